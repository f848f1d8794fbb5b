"""Normalisation of Chinese text as it comes out of questionnaire platforms and Excel.

* full-width ASCII (``５``, ``，``, ``：``, ``（）``) -> half-width (Unicode NFKC);
* non-breaking and ideographic spaces -> plain spaces; runs of white space collapsed;
* leading/trailing space and stray line breaks trimmed.

Box-drawing ``┋``, ``〖〗``, ``【】``, ``→`` and ``—`` are not changed by NFKC and keep their
meaning for the readers.
"""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
_ANNOT = re.compile(r"【[^】]*】|\((?:请注明|请补充|请填写)[^)]*\)")


def norm(text: object) -> str:
    """Full-width -> half-width, collapse white space, strip."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    if "\n" in s or "\r" in s or "\t" in s or "  " in s or "\u3000" in s or "\xa0" in s:
        s = _WS.sub(" ", s)
    return s.strip()


def canon(label: object) -> str:
    """Key used to compare option labels: normalised, annotations such as 【请注明】 removed,
    spaces removed, lower case (for Latin text)."""
    s = _ANNOT.sub("", norm(label))
    return s.replace(" ", "").lower()
