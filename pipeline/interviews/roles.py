"""Who speaks and in which role: the stakeholder roles of the roster's ``role`` column and the
speaker labels that mark an interviewer's or an informant's turn in a transcript."""

from __future__ import annotations

import re
import unicodedata

# the speaker labels live with the personal-data rules, which must never take them for names
from pipeline.core.privacy import INTERVIEWER_CODE, INTERVIEWER_LABELS, RESPONDENT_LABELS


def _vocabulary(path=None) -> list[dict]:
    from pipeline.core import resources
    from pipeline.core.schema import read_yaml

    return read_yaml(path or resources.ROLES)["roles"]


# stakeholder roles of the roster's `role` column (pipeline/data/roles.yaml, plus a study's own
# `interviews.roles` file once use_study_roles() has read it), in the order tables and figures
# show them
ROLE_LABELS: dict[str, tuple[str, str]] = {}


def _key(value: str) -> str:
    from pipeline.core.textnorm import fold_traditional

    return fold_traditional(re.sub(r"[\s'’_\-]+", "", unicodedata.normalize("NFKC", value))).lower()


_SYNONYMS: dict[str, str] = {}


def _load(extra: list[dict] | None = None) -> None:
    """The bundled vocabulary, then a study's entries: a known id gains synonyms (and may be
    relabelled), a new id is appended; a study synonym wins over a bundled one."""
    ROLE_LABELS.clear()
    _SYNONYMS.clear()
    for r in _vocabulary():
        ROLE_LABELS[r["id"]] = (r["zh"], r["en"])
        for v in [r["id"], r["zh"], r["en"], *r.get("synonyms", [])]:
            _SYNONYMS.setdefault(_key(str(v)), r["id"])
    for r in extra or []:
        zh, en = ROLE_LABELS.get(r["id"], (r["id"], r["id"]))
        ROLE_LABELS[r["id"]] = (r.get("zh") or zh, r.get("en") or en)
        for v in [r["id"], r.get("zh"), r.get("en"), *r.get("synonyms", [])]:
            if v:
                _SYNONYMS[_key(str(v))] = r["id"]


_load()


def use_study_roles(study) -> None:
    """Read the study's ``interviews.roles`` vocabulary (or go back to the bundled one): each
    stage that maps or shows roles calls this first, so studies in one process do not mix."""
    from pipeline.core.errors import InputError

    iv = getattr(study.config, "interviews", None)
    path = study.resolve(iv.roles) if iv is not None and getattr(iv, "roles", None) else None
    if path is None:
        _load()
        return
    entries = _vocabulary(path)
    if not isinstance(entries, list) or not all(isinstance(r, dict) and r.get("id") for r in entries):
        raise InputError("a role vocabulary is a list 'roles:' of entries with an 'id' (and zh, en, synonyms)",
                         file=path, key="roles")
    _load(entries)


# a position written after the organisation (街道办干部, 居委会主任, 物业经理, 业委会委员): the
# organisation is the role
_POSITION = re.compile(r"(?:副|常务)?(?:主任委员|主任|书记|干部|经理|项目经理|委员|工作人员|负责人|代表|成员|专干|"
                       r"科长|站长|网格员|管家|员工|职员|工作者)$")


def canonical_role(value) -> str | None:
    """The role id a roster value means (居委会, 社区居委会, 居委, Residents' committee →
    ``residents_committee``; with a position after it, 居委会主任 too), or None when the
    vocabulary does not know it."""
    if not isinstance(value, str) or not value.strip():
        return None
    key = _key(value)
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    base = _POSITION.sub("", key)
    return _SYNONYMS.get(base) if base and base != key else None


def role_label(role: str, lang: str = "zh") -> str:
    """A role's label in ``lang`` ('zh' or 'en'); an unknown role is its own label."""
    zh, en = ROLE_LABELS.get(role, (role, role))
    return zh if lang == "zh" else en


# an interviewer's own name or initials become this placeholder, which marks an interviewer's turn
INTERVIEWER_PLACEHOLDER = f"[姓名:{INTERVIEWER_CODE}]"

__all__ = ["INTERVIEWER_CODE", "INTERVIEWER_LABELS", "INTERVIEWER_PLACEHOLDER", "RESPONDENT_LABELS", "ROLE_LABELS",
           "canonical_role", "role_label", "use_study_roles"]
