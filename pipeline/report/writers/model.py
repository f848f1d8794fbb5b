"""The data model of a report (:class:`Report`, :class:`Section`, :class:`Table`, :class:`Figure`),
number formatting and the helpers every format writer shares (deterministic files, captions)."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.stage import FIXED_TIME, fix_core, fixed_zip, normalise_zip, w3cdtf, write_bytes  # noqa: F401

FORMATS = ("int", "pct1", "dec2", "dec3", "p", "text")
NUMERIC_FORMATS = frozenset(FORMATS) - {"text"}
LANGS = ("zh", "en")
NA_TEXT = "—"                                 # a missing number in docx/md
NA_TEX = "---"                                # … and in LaTeX (em dash ligature, any engine)
XLSX_NUMBER_FORMATS = {"int": "0", "pct1": "0.0", "dec2": "0.00", "dec3": "0.000", "p": "0.000"}
DECIMALS = {"int": 0, "pct1": 1, "dec2": 2, "dec3": 3}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
CJK_RE = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
GENERATOR = "renewal-pipeline"


# --------------------------------------------------------------------------- data model

@dataclass
class Table:
    """A table: ``df`` with internal column ids, headers and a number format per column.

    ``formats`` maps a column id to one of :data:`FORMATS`; a column without an entry gets
    ``int`` (integer dtype), ``dec2`` (float dtype) or ``text`` (anything else).
    """

    name: str                                   # file/sheet stem, ascii snake_case
    caption_zh: str
    caption_en: str
    df: pd.DataFrame
    headers_zh: dict[str, str] = field(default_factory=dict)
    headers_en: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    note_zh: str = ""
    note_en: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME_RE.match(self.name):
            raise ValueError(f"table name must be ascii snake_case ([a-z0-9_]), got {self.name!r}")
        if not isinstance(self.df, pd.DataFrame):
            raise TypeError(f"table {self.name}: df must be a pandas DataFrame, got {type(self.df).__name__}")
        if self.df.columns.has_duplicates:
            dup = sorted({str(c) for c in self.df.columns[self.df.columns.duplicated()]})
            raise ValueError(f"table {self.name}: duplicate column ids {dup}")
        unknown = [c for c in self.formats if c not in self.df.columns]
        if unknown:
            raise ValueError(f"table {self.name}: formats for columns not in df: {unknown}")
        bad = {c: f for c, f in self.formats.items() if f not in FORMATS}
        if bad:
            raise ValueError(f"table {self.name}: unknown formats {bad}; use one of {FORMATS}")

    @property
    def columns(self) -> list:
        return list(self.df.columns)

    def fmt(self, col) -> str:
        """The format of column ``col`` (given, or inferred from its dtype)."""
        if col in self.formats:
            return self.formats[col]
        s = self.df[col]
        if pd.api.types.is_bool_dtype(s):
            return "text"
        if pd.api.types.is_integer_dtype(s):
            return "int"
        if pd.api.types.is_float_dtype(s):
            return "dec2"
        return "text"

    def header(self, col, lang: str, bilingual: bool = False) -> str:
        zh = self.headers_zh.get(col) or ""
        en = self.headers_en.get(col) or ""
        if lang == "zh":
            text = zh or en or str(col)
            if bilingual and zh and en and en != zh:
                text = f"{zh} ({en})"
            return text
        return en or zh or str(col)

    def caption(self, lang: str) -> str:
        return pick(self.caption_zh, self.caption_en, lang)

    def note(self, lang: str) -> str:
        return pick(self.note_zh, self.note_en, lang)


@dataclass
class Figure:
    """An image file (PNG/JPEG) and its captions."""

    path: Path
    caption_zh: str
    caption_en: str

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    def caption(self, lang: str) -> str:
        return pick(self.caption_zh, self.caption_en, lang)


@dataclass
class Section:
    heading_zh: str
    heading_en: str
    paragraphs_zh: list[str] = field(default_factory=list)
    paragraphs_en: list[str] = field(default_factory=list)
    items: list[Table | Figure] = field(default_factory=list)
    level: int = 1  # 1 = a chapter heading, 2 = a sub-heading (one page per community)

    def heading(self, lang: str) -> str:
        return pick(self.heading_zh, self.heading_en, lang)

    def paragraphs(self, lang: str) -> list[str]:
        """The paragraphs in ``lang``; those of the other language if there are none."""
        zh, en = list(self.paragraphs_zh or []), list(self.paragraphs_en or [])
        return (zh or en) if lang == "zh" else (en or zh)


@dataclass
class Report:
    title_zh: str
    title_en: str
    sections: list[Section] = field(default_factory=list)

    def title(self, lang: str) -> str:
        return pick(self.title_zh, self.title_en, lang)

    def tables(self) -> list[tuple[int, Table]]:
        """(number, table) in the order of the report, numbered from 1."""
        return [(n, t) for n, (t, _) in enumerate(self._items(Table), 1)]

    def figures(self) -> list[tuple[int, Figure]]:
        return [(n, f) for n, (f, _) in enumerate(self._items(Figure), 1)]

    def _items(self, kind):
        return [(it, s) for s in self.sections for it in s.items if isinstance(it, kind)]

    def numbering(self) -> dict[int, int]:
        """id(item) -> its table or figure number."""
        out: dict[int, int] = {}
        for n, t in self.tables():
            out[id(t)] = n
        for n, f in self.figures():
            out[id(f)] = n
        return out


def pick(zh: str, en: str, lang: str) -> str:
    zh, en = (zh or "").strip(), (en or "").strip()
    return (zh or en) if lang == "zh" else (en or zh)


def check_report(report: Report, lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if not isinstance(report, Report):
        raise TypeError(f"expected a Report, got {type(report).__name__}")
    seen: dict[str, int] = {}
    for sec in report.sections:
        for it in sec.items:
            if not isinstance(it, (Table, Figure)):
                raise TypeError(f"section {sec.heading_en or sec.heading_zh!r}: item of type "
                                f"{type(it).__name__}; expected Table or Figure")
    for n, t in report.tables():
        if t.name in seen:
            raise ValueError(f"table name {t.name!r} is used by tables {seen[t.name]} and {n}; names must be unique")
        seen[t.name] = n


# --------------------------------------------------------------------------- formatting

def is_missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # array-likes
        return False


def format_value(v, fmt: str, na: str = NA_TEXT) -> str:
    """``v`` as text in format ``fmt`` (one of :data:`FORMATS`).

    >>> format_value(0.0234, "p"), format_value(0.0004, "p"), format_value(12.345, "pct1")
    ('.023', '<.001', '12.3')
    >>> format_value(float("nan"), "dec2"), format_value(None, "text")
    ('—', '')

    A missing number gives ``na`` (an em dash), a missing text ``""``. A value that is not a
    number in a numeric column is shown as text; infinities as ``∞``/``-∞``; ``-0.00`` as ``0.00``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    if is_missing(v):
        return "" if fmt == "text" else na
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if fmt == "text":
        if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
            return str(int(v))
        return str(v)
    if isinstance(v, str):
        return v
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if fmt == "p":
        if x < 0.001:
            return "<.001"
        s = f"{x:.3f}"
        return s[1:] if s.startswith("0.") else s
    s = f"{x:.{DECIMALS[fmt]}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s


def display_width(text: str) -> int:
    """Width of ``text`` in half-width columns: East Asian wide/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def caption_label(kind: str, n: int, lang: str) -> str:
    """'表1 ' / 'Table 1. ' (kind 'table') or '图1 ' / 'Figure 1. ' (kind 'figure')."""
    if lang == "zh":
        return f"{'表' if kind == 'table' else '图'}{n} "
    return f"{'Table' if kind == 'table' else 'Figure'} {n}. "


def note_text(note: str, lang: str) -> str:
    """The note with its 注： / Note. prefix (not doubled if the note already has one)."""
    note = note.strip()
    if not note:
        return ""
    if lang == "zh":
        return note if re.match(r"^注\s*[：:]", note) else f"注：{note}"
    return note if re.match(r"^notes?\s*[.:]", note, re.I) else f"Note. {note}"


def table_cells(table: Table, na: str = NA_TEXT) -> list[list[str]]:
    fmts = [table.fmt(c) for c in table.columns]
    return [[format_value(v, f, na) for v, f in zip(row, fmts)]
            for row in table.df.itertuples(index=False, name=None)]


# --------------------------------------------------------------------------- files

# --------------------------------------------------------------------------- xlsx


# --------------------------------------------------------------------------- docx


# --------------------------------------------------------------------------- markdown


# --------------------------------------------------------------------------- LaTeX


# --------------------------------------------------------------------------- all

