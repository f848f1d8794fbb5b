"""Personal data in free text: find and replace phone numbers, ID numbers, e-mail and IP addresses.

Placeholders keep the kind (``[电话]``, ``[身份证号]``, ``[邮箱]``, ``[IP]``) and never the value;
callers count what was replaced by kind. IP addresses in metadata columns are not kept at all: ingest turns them into a keyed hash
(SipHash, key derived from the raw files) that only serves duplicate detection and is dropped
by clean.
"""

from __future__ import annotations

import functools
import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

PATTERNS: list[tuple[str, str, re.Pattern]] = [
    ("email", "[邮箱]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("id_number", "[身份证号]", re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])")),
    ("ip", "[IP]", re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")),
    ("mobile", "[电话]", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")),
    ("landline", "[电话]", re.compile(r"(?<!\d)(?:\(?0\d{2,3}\)?[- ]?)\d{7,8}(?!\d)")),
]


def id_checksum_ok(s: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    if len(s) != 18 or not s[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


# Short forms of names: surname + title or kinship term (杜主任, 冯书记, 孔总, 洪大爷) and 老/小 +
# surname (老张). Common single-character surnames that are not also function words (于, 和, 向…
# are left out of the generic list; a roster's surnames are always included).
COMMON_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
                   "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
                   "覃武戴莫孔汤洪")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "司徒")
TITLES = ("总经理", "副主任", "副书记", "老师傅", "主任", "书记", "经理", "大爷", "大妈", "阿姨", "师傅", "老师", "主管",
          "大姐", "大哥", "科长", "所长", "站长", "队长", "组长", "楼长", "会长", "局长", "处长", "院长", "老板",
          "教授", "医生", "律师", "支书", "社长", "奶奶", "爷爷", "婆婆", "伯伯", "叔叔", "阿婆", "老太", "工",
          "总(?![体是共之结算量数计价额规理部监站归计的])")


def surname(name: str) -> str:
    """The surname of a Chinese full name (two characters for the common compound surnames)."""
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def short_name_pattern(surnames: str | list[str] = COMMON_SURNAMES) -> re.Pattern:
    """Surname + title (冯书记, 孔总) or 老/小 + surname (老张), for the given surnames."""
    alt = "|".join(sorted({re.escape(s) for s in surnames}, key=len, reverse=True))
    titles = "|".join(TITLES)
    return re.compile(rf"(?P<s1>{alt})(?:{titles})|(?:(?<![\u4e00-\u9fff])|(?<=[的是和跟找给问叫让被对说把向同与]))[老小](?P<s2>{alt})(?!层|区|孩|人|伙)")


@functools.lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """One alternation of all names, longest first (one scan per text, not one per name)."""
    if not names:
        return None
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))))


def redact_spans(text: str, names: dict[str, str] | None = None, short_names: re.Pattern | None = None,
                 surname_codes: dict[str, str] | None = None
                 ) -> tuple[str, list[tuple[str, int, int, int, int]]]:
    """Replace personal data, and names (name → informant code, '' for none) with ``[姓名:R03]``
    or ``[姓名]``; with ``short_names`` (:func:`short_name_pattern`) also short forms, as
    ``[姓名:R03]`` when ``surname_codes`` maps the surname to one informant, else ``[姓名]``
    (kind ``name_short``). Returns the new text and, for each placeholder, (kind, start, end) in the new
    text and (source_start, source_end) of what it replaced in the input; where two matches
    overlap, the earlier (then the longer) wins."""
    spans: list[tuple[int, int, str, str]] = []  # start, end, kind, placeholder in the input text
    for kind, placeholder, pat in PATTERNS:
        for m in pat.finditer(text):
            if kind == "id_number" and not id_checksum_ok(m.group(0)):
                continue
            spans.append((m.start(), m.end(), kind, placeholder))
    if names:
        pattern = _names_pattern(tuple(sorted(n for n in names if n)))
        if pattern is not None:
            for m in pattern.finditer(text):
                code = names[m.group(0)]
                spans.append((m.start(), m.end(), "name", f"[姓名:{code}]" if code else "[姓名]"))
    if short_names is not None:
        for m in short_names.finditer(text):
            code = (surname_codes or {}).get(m.group("s1") or m.group("s2"), "")
            spans.append((m.start(), m.end(), "name_short", f"[姓名:{code}]" if code else "[姓名]"))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out, placed, pos, shift = [], [], 0, 0
    for start, end, kind, ph in spans:
        if start < pos:  # overlaps a span already replaced
            continue
        out.append(text[pos:start])
        out.append(ph)
        placed.append((kind, start + shift, start + shift + len(ph), start, end))
        shift += len(ph) - (end - start)
        pos = end
    out.append(text[pos:])
    return "".join(out), placed


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Return the text with personal data replaced, and counts by kind."""
    if not text:
        return text, {}
    new, placed = redact_spans(text)
    counts: dict[str, int] = {}
    for kind, *_ in placed:
        counts[kind] = counts.get(kind, 0) + 1
    return new, counts

