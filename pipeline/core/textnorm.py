"""Normalisation of Chinese text as it comes out of questionnaire platforms and Excel.

* full-width ASCII (``５``, ``，``, ``：``, ``（）``) -> half-width (Unicode NFKC);
* non-breaking and ideographic spaces -> plain spaces; runs of white space collapsed;
* leading/trailing space and stray line breaks trimmed.

Box-drawing ``┋``, ``〖〗``, ``【】``, ``→`` and ``—`` are not changed by NFKC and keep their
meaning for the readers.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from pathlib import Path

_WS = re.compile(r"\s+")
# characters XML 1.0 (and so .docx, .xlsx, .qdpx) cannot hold: C0 controls other than tab and
# line breaks, DEL-range C1 controls, and the noncharacters U+FFFE/U+FFFF
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
# invisible format characters (zero-width space and joiners, soft hyphen, direction marks, BOM):
# they can hide a phone number or a name from every pattern (138\u200b1234\u200b5678)
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def strip_controls(text: str) -> str:
    """Control characters and noncharacters replaced by a space; invisible format characters
    (zero-width space, soft hyphen, BOM…) removed."""
    if INVISIBLE.search(text):
        text = INVISIBLE.sub("", text)
    return CONTROL.sub(" ", text) if CONTROL.search(text) else text


@functools.lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional → simplified, character by character, from OpenCC's TSCharacters table (in
    the opencc-python-reimplemented package, Apache-2.0; read from the installed package, never
    downloaded). Only one-character targets are kept, so folding never changes a text's length."""
    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the 'opencc-python-reimplemented' package is needed to fold traditional characters")
    path = Path(list(spec.submodule_search_locations)[0]) / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        first = simp.split(" ")[0] if simp else ""
        if len(trad) == 1 and len(first) == 1 and first != trad:
            table[ord(trad)] = first
    return table


def fold_traditional(text: str) -> str:
    """Traditional characters folded to simplified (鄧麗娟 → 邓丽娟, 兩 → 两), one character for
    one, so offsets in the folded text are offsets in the original."""
    return text.translate(_t2s_table())


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


def normalise_text(text: str) -> str:
    """A running text (a transcript) normalised: NFKC (full-width → half-width), one kind of line
    end, no control characters (which XML — .docx, .qdpx — cannot hold: replaced by a space), no
    invisible format characters. Unlike :func:`norm`, line breaks and spacing are kept."""
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return strip_controls(text.replace("\u3000", " ").replace("\xa0", " "))
