"""The definitions and dictionaries that ship with the package (``pipeline/data/``), and the
names by which a study file may use them instead of a path::

    questionnaire: renewal_satisfaction     # pipeline/data/questionnaires/renewal_satisfaction.yaml
    coding_scheme: renewal_governance       # pipeline/data/coding_schemes/renewal_governance.yaml
    problems: renewal_problems              # pipeline/data/coding_schemes/problems.yaml (the default)

They are package data, so they are there wherever the package is installed (a wheel, an
editable install, a checkout); nothing is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
QUESTIONNAIRES = DATA / "questionnaires"
CODING_SCHEMES = DATA / "coding_schemes"
USER_DICT = CODING_SCHEMES / "user_dict.txt"        # jieba user dictionary of the domain
STOPWORDS = CODING_SCHEMES / "stopwords_zh.txt"
DEFAULT_PROBLEMS = CODING_SCHEMES / "problems.yaml"
ROLES = DATA / "roles.yaml"                         # the stakeholder-role vocabulary

# study-file key → bundled name → file under DATA
BUNDLED: dict[str, dict[str, str]] = {
    "questionnaire": {"renewal_satisfaction": "questionnaires/renewal_satisfaction.yaml"},
    "coding_scheme": {"renewal_governance": "coding_schemes/renewal_governance.yaml"},
    "problems": {"renewal_problems": "coding_schemes/problems.yaml"},
}


def bundled(key: str, value: str) -> Path | None:
    """The packaged file a study-file value names (``renewal_satisfaction``), or ``None`` when
    the value is not a bundled name (then it is a path)."""
    rel = BUNDLED.get(key, {}).get(value)
    return DATA / rel if rel else None


def names(key: str) -> list[str]:
    """The bundled names a key accepts (for messages and docs)."""
    return sorted(BUNDLED.get(key, {}))


def cache_dir() -> Path:
    """Where caches go (jieba's prefix dictionary): ``RENEWAL_CACHE`` if set; in a checkout its
    ``.cache/``; for an installed package the user's cache folder (``$XDG_CACHE_HOME`` or
    ``~/.cache``) under ``renewal-pipeline/``. Never inside the installed package."""
    import os

    if os.environ.get("RENEWAL_CACHE"):
        return Path(os.environ["RENEWAL_CACHE"])
    checkout = DATA.parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "pipeline").is_dir():
        return checkout / ".cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "renewal-pipeline"
