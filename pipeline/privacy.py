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


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Return the text with personal data replaced, and counts by kind."""
    counts: dict[str, int] = {}
    if not text:
        return text, counts
    for kind, placeholder, pat in PATTERNS:
        def _sub(m: re.Match, kind=kind, placeholder=placeholder) -> str:
            if kind == "id_number" and not id_checksum_ok(m.group(0)):
                return m.group(0)
            counts[kind] = counts.get(kind, 0) + 1
            return placeholder
        text = pat.sub(_sub, text)
    return text, counts

