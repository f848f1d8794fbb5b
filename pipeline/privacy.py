"""Personal data in free text: find and replace phone numbers, ID numbers, e-mail and IP addresses.

Placeholders keep the kind (``[电话]``, ``[身份证号]``, ``[邮箱]``, ``[IP]``) and never the value;
callers count what was replaced by kind. IP addresses in metadata columns are not kept at all: ingest turns them into a keyed hash
(SipHash, key derived from the raw files) that only serves duplicate detection and is dropped
by clean.
"""

from __future__ import annotations

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


def redact_spans(text: str, names: dict[str, str] | None = None
                 ) -> tuple[str, list[tuple[str, int, int, int, int]]]:
    """Replace personal data, and names (name → informant code, '' for none) with ``[姓名:R03]``
    or ``[姓名]``. Returns the new text and, for each placeholder, (kind, start, end) in the new
    text and (source_start, source_end) of what it replaced in the input; where two matches
    overlap, the earlier (then the longer) wins."""
    spans: list[tuple[int, int, str, str]] = []  # start, end, kind, placeholder in the input text
    for kind, placeholder, pat in PATTERNS:
        for m in pat.finditer(text):
            if kind == "id_number" and not id_checksum_ok(m.group(0)):
                continue
            spans.append((m.start(), m.end(), kind, placeholder))
    for name, code in (names or {}).items():
        for m in re.finditer(re.escape(name), text):
            spans.append((m.start(), m.end(), "name", f"[姓名:{code}]" if code else "[姓名]"))
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

