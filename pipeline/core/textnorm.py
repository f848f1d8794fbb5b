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


# variant forms OpenCC's tables leave alone (Hong Kong, Taiwan and older printed forms), folded
# before traditional → simplified
EXTRA_VARIANTS = {
    "栢": "柏", "姸": "妍", "淸": "清", "峯": "峰", "綫": "线", "啓": "启", "眞": "真", "敎": "教", "戶": "户",
    "兌": "兑", "稅": "税", "囘": "回", "爲": "为", "僞": "伪", "潙": "沩", "媯": "妫", "麪": "面", "衆": "众",
    "鷄": "鸡", "雞": "鸡", "羣": "群", "裡": "里", "綉": "绣", "鬭": "斗", "匯": "汇", "彥": "彦", "産": "产",
    "靑": "青", "淨": "净", "吿": "告", "鄕": "乡", "鍊": "炼", "祕": "秘", "秊": "年", "晉": "晋",
}


@functools.lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional → simplified, character by character, from OpenCC's tables (in the
    opencc-python-reimplemented package, Apache-2.0; read from the installed package, never
    downloaded): Hong Kong and Taiwan variant forms to the standard traditional ones
    (HKVariantsRev, TWVariantsRev; 衞 → 衛), then TSCharacters (衛 → 卫), and
    :data:`EXTRA_VARIANTS`. Only one-character targets are kept, so folding never changes a
    text's length."""
    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the 'opencc-python-reimplemented' package is needed to fold traditional characters")
    folder = Path(list(spec.submodule_search_locations)[0]) / "dictionary"

    def pairs(name: str) -> dict[str, str]:
        out = {}
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            src, _, dst = line.partition("\t")
            first = dst.split(" ")[0] if dst else ""
            if len(src) == 1 and len(first) == 1 and first != src:
                out[src] = first
        return out

    ts = pairs("TSCharacters.txt")
    variants = {**pairs("TWVariantsRev.txt"), **pairs("HKVariantsRev.txt")}
    table = {ord(t): s for t, s in ts.items()}
    for v, std in variants.items():
        table.setdefault(ord(v), ts.get(std, std))
    for v, std in EXTRA_VARIANTS.items():
        table.setdefault(ord(v), std)
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


_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_CJK_PUNCT = re.compile(r"(?<=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”‘’…])[,;:?!()]|[,;:?!()](?=[\u3400-\u9fff“”‘’…])")


def cjk_punctuation(text: str) -> str:
    """Chinese punctuation as printed, for quotes a thesis cites: the ASCII ``, ; : ? ! ( )`` that
    NFKC made of ``，；：？！（）`` turned back where they touch Chinese text (``楼道灯坏了,没人修`` →
    ``楼道灯坏了，没人修``); numbers and Latin text keep theirs (``3.5``, ``A, B``)."""
    if not isinstance(text, str):
        return text
    return _CJK_PUNCT.sub(lambda m: _FULL[m.group(0)], text)
