"""Who speaks and in which role: the stakeholder roles of the roster's ``role`` column and the
speaker labels that mark an interviewer's or an informant's turn in a transcript."""

from __future__ import annotations

import re
import unicodedata

# the speaker labels live with the personal-data rules, which must never take them for names
from pipeline.core.privacy import INTERVIEWER_CODE, INTERVIEWER_LABELS, RESPONDENT_LABELS


def _vocabulary() -> list[dict]:
    from pipeline.core import resources
    from pipeline.core.schema import read_yaml

    return read_yaml(resources.ROLES)["roles"]


# stakeholder roles of the roster's `role` column (pipeline/data/roles.yaml), in the order tables
# and figures show them
ROLE_LABELS: dict[str, tuple[str, str]] = {r["id"]: (r["zh"], r["en"]) for r in _vocabulary()}


def _key(value: str) -> str:
    from pipeline.core.textnorm import fold_traditional

    return fold_traditional(re.sub(r"[\s'’_\-]+", "", unicodedata.normalize("NFKC", value))).lower()


_SYNONYMS: dict[str, str] = {}
for _r in _vocabulary():
    for _v in [_r["id"], _r["zh"], _r["en"], *_r.get("synonyms", [])]:
        _SYNONYMS.setdefault(_key(str(_v)), _r["id"])


def canonical_role(value) -> str | None:
    """The role id a roster value means (居委会, 社区居委会, 居委, Residents' committee →
    ``residents_committee``), or None when the vocabulary does not know it."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _SYNONYMS.get(_key(value))


def role_label(role: str, lang: str = "zh") -> str:
    """A role's label in ``lang`` ('zh' or 'en'); an unknown role is its own label."""
    zh, en = ROLE_LABELS.get(role, (role, role))
    return zh if lang == "zh" else en


# an interviewer's own name or initials become this placeholder, which marks an interviewer's turn
INTERVIEWER_PLACEHOLDER = f"[姓名:{INTERVIEWER_CODE}]"

__all__ = ["INTERVIEWER_CODE", "INTERVIEWER_LABELS", "INTERVIEWER_PLACEHOLDER", "RESPONDENT_LABELS", "ROLE_LABELS",
           "canonical_role", "role_label"]
