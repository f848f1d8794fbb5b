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
# characters XML 1.0 (and so .docx, .xlsx, .qdpx) cannot hold: C0 controls other than tab and
# line breaks, DEL-range C1 controls, and the noncharacters U+FFFE/U+FFFF
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def strip_controls(text: str) -> str:
    """Control characters and noncharacters replaced by a space (lengths and offsets kept)."""
    return CONTROL.sub(" ", text) if CONTROL.search(text) else text
_ANNOT = re.compile(r"【[^】]*】|\((?:请注明|请补充|请填写)[^)]*\)")


def norm(text: object) -> str:
    """Full-width -> half-width, collapse white space, strip."""
    if text is None:
        return ""
    s = strip_controls(unicodedata.normalize("NFKC", str(text)))
    if "\n" in s or "\r" in s or "\t" in s or "  " in s or "\u3000" in s or "\xa0" in s:
        s = _WS.sub(" ", s)
    return s.strip()


def canon(label: object) -> str:
    """Key used to compare option labels: normalised, annotations such as 【请注明】 removed,
    spaces removed, lower case (for Latin text)."""
    s = _ANNOT.sub("", norm(label))
    return s.replace(" ", "").lower()
