"""Who speaks and in which role: the stakeholder roles of the roster's ``role`` column and the
speaker labels that mark an interviewer's or an informant's turn in a transcript."""

from __future__ import annotations

from pipeline.core.privacy import INTERVIEWER_CODE

# stakeholder roles of the roster's `role` column, in the order tables and figures show them
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "street_office": ("街道办", "Street office"), "residents_committee": ("居委会", "Residents' committee"),
    "property_company": ("物业公司", "Property company"), "owners_committee": ("业委会", "Owners' committee"),
    "resident": ("居民", "Residents"), "social_organisation": ("社会组织", "Social organisations"),
    "operator": ("运营方", "Operators"),
}


def role_label(role: str, lang: str = "zh") -> str:
    """A role's label in ``lang`` ('zh' or 'en'); an unknown role is its own label."""
    zh, en = ROLE_LABELS.get(role, (role, role))
    return zh if lang == "zh" else en


# labels that start an interviewer's turn, and an informant's
INTERVIEWER_LABELS = {"访谈者", "访谈员", "采访者", "调研者", "调研员", "主持人", "访问员", "问", "Q", "I", "记者"}
RESPONDENT_LABELS = {"受访者", "被访者", "答", "A", "回答"}
# an interviewer's own name or initials become this placeholder, which marks an interviewer's turn
INTERVIEWER_PLACEHOLDER = f"[姓名:{INTERVIEWER_CODE}]"

__all__ = ["INTERVIEWER_CODE", "INTERVIEWER_LABELS", "INTERVIEWER_PLACEHOLDER", "RESPONDENT_LABELS", "ROLE_LABELS",
           "role_label"]
