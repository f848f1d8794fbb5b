"""Report writers: one small data model, four outputs (Excel, Word, Markdown, LaTeX), zh or en.

A :class:`Report` is a title and :class:`Section` s; a section has headings, paragraphs and items,
each a :class:`Table` (a DataFrame whose columns are internal ids, with zh/en headers and a
number format per column) or a :class:`Figure` (an image file). Where the tables come from is no
concern of this module.

* :func:`write_xlsx` — a 目录/Contents sheet with links, then one sheet per table: caption row,
  bold header row with a filter, frozen panes below it, real numbers with Excel number formats,
  fitted column widths (a CJK character counts 2), the note below the table.
* :func:`write_docx` — Word report on A4 with 2.5 cm margins: 三线表 (1.5 pt top and bottom
  rules, 0.75 pt rule under the header, no other lines) with the caption above (表1 … /
  Table 1. …) and the note below in a smaller size; figures 15 cm wide with the caption below
  (图1 … / Figure 1. …); 宋体/黑体 for East Asian text, Times New Roman for Latin text.
  Caption numbers are Word SEQ fields (cross-references and a list of tables work in Word).
* :func:`write_markdown` — GitHub pipe tables, images linked relative to the ``.md`` file.
* :func:`write_latex_tables` — ``tables/<name>.tex`` per table (booktabs), for ``\\input``.

Numbers in docx/md/tex are formatted by :func:`format_value`: ``int`` 0 decimals, ``pct1``
(already in percent, no % sign added) 1, ``dec2`` 2, ``dec3`` 3, ``p`` 3 decimals without the
leading zero and ``<.001`` below 0.001 (APA style: ``.023``), ``text`` as is. A missing number
(None/NaN/NA) is shown as an em dash ``—`` (``---`` in LaTeX) so that an empty cell is never
mistaken for a lost value; a missing text is an empty string. In the xlsx, numbers stay numbers
(p-values too, format ``0.000``) and a missing value is an empty cell.

Every writer is deterministic: the workbook/document core properties carry a fixed time
(:data:`FIXED_TIME`) and the zip is rewritten with fixed entry dates and permissions, so two runs
on the same report give byte-identical files.
"""

from __future__ import annotations

import io
import math
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.stage import fixed_zip, neutralise

__all__ = [
    "Table", "Figure", "Section", "Report", "FORMATS", "FIXED_TIME",
    "format_value", "display_width", "tex_escape",
    "write_xlsx", "write_docx", "write_markdown", "write_latex_tables", "write_all",
]

FORMATS = ("int", "pct1", "dec2", "dec3", "p", "text")
NUMERIC_FORMATS = frozenset(FORMATS) - {"text"}
LANGS = ("zh", "en")
NA_TEXT = "—"                                 # a missing number in docx/md
NA_TEX = "---"                                # … and in LaTeX (em dash ligature, any engine)
FIXED_TIME = datetime(2024, 1, 1, 0, 0, 0)    # created/modified of every xlsx/docx (UTC)
XLSX_NUMBER_FORMATS = {"int": "0", "pct1": "0.0", "dec2": "0.00", "dec3": "0.000", "p": "0.000"}
_DECIMALS = {"int": 0, "pct1": 1, "dec2": 2, "dec3": 3}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_CJK_RE = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
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
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
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
        return _pick(self.caption_zh, self.caption_en, lang)

    def note(self, lang: str) -> str:
        return _pick(self.note_zh, self.note_en, lang)


@dataclass
class Figure:
    """An image file (PNG/JPEG) and its captions."""

    path: Path
    caption_zh: str
    caption_en: str

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    def caption(self, lang: str) -> str:
        return _pick(self.caption_zh, self.caption_en, lang)


@dataclass
class Section:
    heading_zh: str
    heading_en: str
    paragraphs_zh: list[str] = field(default_factory=list)
    paragraphs_en: list[str] = field(default_factory=list)
    items: list[Table | Figure] = field(default_factory=list)

    def heading(self, lang: str) -> str:
        return _pick(self.heading_zh, self.heading_en, lang)

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
        return _pick(self.title_zh, self.title_en, lang)

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


def _pick(zh: str, en: str, lang: str) -> str:
    zh, en = (zh or "").strip(), (en or "").strip()
    return (zh or en) if lang == "zh" else (en or zh)


def _check(report: Report, lang: str) -> None:
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

def _is_missing(v) -> bool:
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
    if _is_missing(v):
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
    s = f"{x:.{_DECIMALS[fmt]}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s


def display_width(text: str) -> int:
    """Width of ``text`` in half-width columns: East Asian wide/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def _label(kind: str, n: int, lang: str) -> str:
    """'表1 ' / 'Table 1. ' (kind 'table') or '图1 ' / 'Figure 1. ' (kind 'figure')."""
    if lang == "zh":
        return f"{'表' if kind == 'table' else '图'}{n} "
    return f"{'Table' if kind == 'table' else 'Figure'} {n}. "


def _note_text(note: str, lang: str) -> str:
    """The note with its 注： / Note. prefix (not doubled if the note already has one)."""
    note = note.strip()
    if not note:
        return ""
    if lang == "zh":
        return note if re.match(r"^注\s*[：:]", note) else f"注：{note}"
    return note if re.match(r"^notes?\s*[.:]", note, re.I) else f"Note. {note}"


def _cells(table: Table, na: str = NA_TEXT) -> list[list[str]]:
    fmts = [table.fmt(c) for c in table.columns]
    return [[format_value(v, f, na) for v, f in zip(row, fmts)]
            for row in table.df.itertuples(index=False, name=None)]


# --------------------------------------------------------------------------- files

def _write_bytes(path: Path, data: bytes) -> Path:
    """Write atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _w3cdtf(t: datetime) -> str:
    """ISO 8601 in UTC (a naive datetime is taken as UTC)."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fix_core(blob: bytes, created: datetime) -> bytes:
    """docProps/core.xml with dcterms:created and dcterms:modified set to ``created``."""
    from lxml import etree

    dcterms = "http://purl.org/dc/terms/"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.fromstring(blob)
    for tag in ("created", "modified"):
        el = root.find(f"{{{dcterms}}}{tag}")
        if el is None:
            el = etree.SubElement(root, f"{{{dcterms}}}{tag}")
            el.set(f"{{{xsi}}}type", "dcterms:W3CDTF")
        el.text = _w3cdtf(created)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _normalise_zip(data: bytes, created: datetime) -> bytes:
    """An OOXML package rewritten byte-reproducibly: the same entries in the order the library
    wrote them, with a fixed date, permissions and compression, and fixed core-property times."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        entries = [(i.filename, _fix_core(zin.read(i), created) if i.filename == "docProps/core.xml" else zin.read(i))
                   for i in zin.infolist()]
    return fixed_zip(entries)


# --------------------------------------------------------------------------- xlsx

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(names: list[str], reserved: set[str]) -> list[str]:
    """Excel-valid (≤ 31 characters, no []:*?/\\), unique (case-insensitively) sheet names."""
    used = {r.lower() for r in reserved}
    out = []
    for name in names:
        base = _SHEET_BAD.sub("_", name).strip("'")[:31] or "table"
        cand, k = base, 2
        while cand.lower() in used:
            suffix = f"_{k}"
            cand = base[: 31 - len(suffix)] + suffix
            k += 1
        used.add(cand.lower())
        out.append(cand)
    return out


def _xl_value(v, fmt: str):
    """A cell value: numbers stay numbers (int for integral 'int' values), missing → None."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if _is_missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not math.isfinite(x):
            return format_value(x, "dec2")
        if fmt == "int" and x.is_integer():
            return int(x)
        return x
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(v)))


def _set_cell(ws, row: int, col: int, value):
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    return cell


def write_xlsx(report: Report, path: str | Path, lang: str = "zh", *, bilingual: bool = False,
               created: datetime = FIXED_TIME) -> Path:
    """Write every table of ``report`` to one workbook (``path``), replaced atomically.

    Sheet 1 is 目录 (zh) / Contents (en): table number, a link to the sheet, the caption.
    Each table sheet: caption (row 1), header (row 2, bold, filter, panes frozen below it),
    the data with number formats per :data:`XLSX_NUMBER_FORMATS`, the note below the data.
    ``bilingual=True`` with ``lang="zh"`` writes headers as ``中文 (English)``.
    Figures are not written to the workbook.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    _check(report, lang)
    zh = lang == "zh"
    tables = report.tables()
    wb = Workbook()
    toc = wb.active
    toc.title = "目录" if zh else "Contents"
    names = _sheet_names([t.name for _, t in tables], {toc.title})

    bold = Font(bold=True)
    thick, thin = Side(style="medium"), Side(style="thin")

    # contents
    toc.cell(row=1, column=1, value=report.title(lang)).font = Font(bold=True, size=14)
    toc_header = ["序号", "工作表", "标题"] if zh else ["No.", "Sheet", "Caption"]
    for j, h in enumerate(toc_header, 1):
        c = toc.cell(row=3, column=j, value=h)
        c.font = bold
        c.border = Border(top=thick, bottom=thin)
    widths = [display_width(h) for h in toc_header]
    for i, ((n, t), sheet) in enumerate(zip(tables, names)):
        r = 4 + i
        label = _label("table", n, lang).strip().rstrip(".")
        toc.cell(row=r, column=1, value=label)
        link = toc.cell(row=r, column=2, value=sheet)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!A1", display=sheet)
        link.style = "Hyperlink"
        _set_cell(toc, r, 3, t.caption(lang))
        for j, text in enumerate((label, sheet, t.caption(lang))):
            widths[j] = max(widths[j], display_width(text))
    if tables:
        for j in range(1, 4):
            toc.cell(row=3 + len(tables), column=j).border = Border(bottom=thick)
    for j, w in enumerate(widths, 1):
        toc.column_dimensions[get_column_letter(j)].width = min(w + 2, 80)

    # one sheet per table
    for (n, t), sheet in zip(tables, names):
        ws = wb.create_sheet(sheet)
        cols = t.columns
        fmts = [t.fmt(c) for c in cols]
        ncol, nrow = max(len(cols), 1), len(t.df)
        _set_cell(ws, 1, 1, _label("table", n, lang) + t.caption(lang)).font = bold
        col_w = []
        for j, (c, f) in enumerate(zip(cols, fmts), 1):
            h = t.header(c, lang, bilingual=bilingual)
            cell = _set_cell(ws, 2, j, h)
            cell.font = bold
            cell.border = Border(top=thick, bottom=thin)
            cell.alignment = Alignment(horizontal="right" if f in NUMERIC_FORMATS else "left",
                                       vertical="center")
            col_w.append(display_width(h) + 3)  # + the filter button
        for i, row in enumerate(t.df.itertuples(index=False, name=None)):
            r = 3 + i
            for j, (v, f) in enumerate(zip(row, fmts), 1):
                cell = _set_cell(ws, r, j, _xl_value(v, f))
                if f in NUMERIC_FORMATS:
                    cell.number_format = XLSX_NUMBER_FORMATS[f]
                if i == nrow - 1:
                    cell.border = Border(bottom=thick)
                shown = format_value(v, f, na="")
                if f == "p" and shown == "<.001":
                    shown = "0.000"
                col_w[j - 1] = max(col_w[j - 1], display_width(shown) + 2)
        note = _note_text(t.note(lang), lang)
        if note:
            _set_cell(ws, 3 + nrow, 1, note).font = Font(italic=True, size=9)
        for j, w in enumerate(col_w, 1):
            ws.column_dimensions[get_column_letter(j)].width = max(6, min(w, 60))
        last = get_column_letter(ncol)
        ws.freeze_panes = "A3"
        ws.auto_filter.ref = f"A2:{last}{2 + nrow}"

    props = wb.properties
    props.creator = GENERATOR
    props.lastModifiedBy = GENERATOR
    props.title = report.title(lang)
    props.language = "zh-CN" if zh else "en-US"
    props.created = created
    props.modified = created  # openpyxl resets this on save; _normalise_zip fixes it again
    buf = io.BytesIO()
    wb.save(buf)
    return _write_bytes(Path(path), _normalise_zip(buf.getvalue(), created))


# --------------------------------------------------------------------------- docx

FONT_LATIN = "Times New Roman"
FONT_BODY_ZH = "宋体"
FONT_HEAD_ZH = "黑体"
FIGURE_WIDTH_CM = 15.0
FIGURE_MAX_HEIGHT_CM = 22.0
RULE_OUTER = 12    # eighths of a point: 1.5 pt
RULE_HEADER = 6    # 0.75 pt
TEXT_WIDTH_CM = 16.0


def _set_fonts(rpr_owner, latin: str, east_asia: str) -> None:
    """rFonts ascii/hAnsi/cs = ``latin``, eastAsia = ``east_asia``, theme fonts removed.

    ``rpr_owner`` is a style element (w:style), a run (w:r) or an rPr itself.
    """
    from docx.oxml.ns import qn

    rpr = rpr_owner if rpr_owner.tag == qn("w:rPr") else rpr_owner.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _size(style, pt: float) -> None:
    """Font size of ``style`` for all scripts (w:sz and w:szCs)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.size = Pt(pt)
    rpr = style.element.get_or_add_rPr()
    sz_cs = rpr.find(qn("w:szCs"))
    if sz_cs is None:
        sz_cs = rpr.makeelement(qn("w:szCs"), {})
        rpr.find(qn("w:sz")).addnext(sz_cs)
    sz_cs.set(qn("w:val"), str(int(round(pt * 2))))


def _style(doc, name: str, *, base: str = "Normal", kind: str = "paragraph"):
    from docx.enum.style import WD_STYLE_TYPE

    try:
        return doc.styles[name]
    except KeyError:
        st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH if kind == "paragraph"
                                  else WD_STYLE_TYPE.CHARACTER)
        st.base_style = doc.styles[base]
        st.quick_style = True
        return st


def _setup_document(doc, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    zh = lang == "zh"
    for sec in doc.sections:
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
        sec.left_margin = sec.right_margin = sec.top_margin = sec.bottom_margin = Cm(2.5)
        sec.header_distance = sec.footer_distance = Cm(1.5)

    # document defaults: fonts and language
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, FONT_LATIN, FONT_BODY_ZH)
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is not None:
        lang_el.set(qn("w:val"), "en-US")
        lang_el.set(qn("w:eastAsia"), "zh-CN")

    black = RGBColor(0, 0, 0)
    normal = doc.styles["Normal"]
    _set_fonts(normal.element, FONT_LATIN, FONT_BODY_ZH)
    _size(normal, 12)                              # 小四
    pf = normal.paragraph_format
    pf.space_before, pf.space_after = Pt(0), Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE

    body = doc.styles["Body Text"]
    _set_fonts(body.element, FONT_LATIN, FONT_BODY_ZH)
    pf = body.paragraph_format
    pf.space_before, pf.space_after = Pt(0), Pt(0 if zh else 6)
    pf.line_spacing = 1.5
    pf.first_line_indent = Pt(24) if zh else None          # two characters
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    title = doc.styles["Title"]
    _set_fonts(title.element, FONT_LATIN, FONT_HEAD_ZH)
    ppr = title.element.get_or_add_pPr()
    for el in ppr.findall(qn("w:pBdr")):
        ppr.remove(el)
    _size(title, 18)
    title.font.bold, title.font.color.rgb = True, black   # 小二
    pf = title.paragraph_format
    pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf.space_before, pf.space_after = Pt(0), Pt(18)

    for level, size in ((1, 14), (2, 12)):                 # 四号, 小四
        h = doc.styles[f"Heading {level}"]
        _set_fonts(h.element, FONT_LATIN, FONT_HEAD_ZH)
        _size(h, size)
        h.font.bold, h.font.color.rgb = True, black
        pf = h.paragraph_format
        pf.space_before, pf.space_after = Pt(18 if level == 1 else 12), Pt(6)

    cap = doc.styles["Caption"]
    _set_fonts(cap.element, FONT_LATIN, FONT_HEAD_ZH)
    _size(cap, 10.5)
    cap.font.bold, cap.font.color.rgb = True, black       # 五号
    pf = cap.paragraph_format
    pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf.space_before, pf.space_after = Pt(6), Pt(6)

    cell = _style(doc, "Table Text")
    _size(cell, 10.5)
    cell.paragraph_format.space_before = cell.paragraph_format.space_after = Pt(0)

    note = _style(doc, "Table Note")
    _size(note, 9)                                  # 小五
    note.paragraph_format.space_before, note.paragraph_format.space_after = Pt(3), Pt(12)

    fig = _style(doc, "Figure")
    fig.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fig.paragraph_format.keep_with_next = True
    fig.paragraph_format.space_before = Pt(6)


def _border(tag: str, val: str, sz: int = 0):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    el.set(qn("w:val"), val)
    el.set(qn("w:sz"), str(sz))
    el.set(qn("w:space"), "0")
    el.set(qn("w:color"), "000000" if val == "single" else "auto")
    return el


def _three_line(table) -> None:
    """三线表: 1.5 pt rules above and below the table, 0.75 pt under the header row, nothing else."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    for el in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(el)
    borders = OxmlElement("w:tblBorders")
    borders.append(_border("w:top", "single", RULE_OUTER))
    borders.append(_border("w:left", "none"))
    borders.append(_border("w:bottom", "single", RULE_OUTER))
    borders.append(_border("w:right", "none"))
    borders.append(_border("w:insideH", "none"))
    borders.append(_border("w:insideV", "none"))
    tbl_pr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                 "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    for cell in table.rows[0].cells:
        tc_pr = cell._tc.get_or_add_tcPr()
        for el in tc_pr.findall(qn("w:tcBorders")):
            tc_pr.remove(el)
        tcb = OxmlElement("w:tcBorders")
        tcb.append(_border("w:bottom", "single", RULE_HEADER))
        tc_pr.insert_element_before(tcb, "w:shd", "w:noWrap", "w:tcMar", "w:textDirection",
                                    "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers",
                                    "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))


def _add_seq_field(paragraph, name: str, n: int) -> None:
    """A Word SEQ field (caption number) showing ``n`` until fields are updated."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld_char(kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(el)

    fld_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" SEQ {name} \\* ARABIC "
    paragraph.add_run()._r.append(instr)
    fld_char("separate")
    paragraph.add_run(str(n))
    fld_char("end")


def _add_caption(doc, kind: str, n: int, text: str, lang: str):
    """表1 … / Table 1. … (kind 'table') or 图1 … / Figure 1. … with the number as a SEQ field."""
    p = doc.add_paragraph(style="Caption")
    if lang == "zh":
        word = "表" if kind == "table" else "图"
        p.add_run(word)
        _add_seq_field(p, word, n)
        p.add_run(" " + text)
    else:
        word = "Table" if kind == "table" else "Figure"
        p.add_run(word + " ")
        _add_seq_field(p, word, n)
        p.add_run(". " + text)
    return p


def _docx_widths(headers: list[str], body: list[list[str]], numeric: list[bool]) -> list[float]:
    """Column widths in cm (10.5 pt: about 0.19 cm a half-width character, plus cell margins).

    Each column gets the width of its widest text if the table fits the text width; otherwise
    every column keeps at least its minimum — the widest number (numbers never wrap), at most
    12 half-width characters of text, the longest Latin word of the header (at most 10; CJK
    headers may wrap after two characters) — and the rest of the text width is shared in
    proportion to what each column lacks.
    """
    def cm(w: float) -> float:
        return w * 0.19 + 0.5

    desired, minimum = [], []
    for j, h in enumerate(headers):
        data = max((display_width(row[j]) for row in body), default=0)
        head_word = max((min(display_width(w), 4 if _CJK_RE.search(w) else 10) for w in h.split()),
                        default=0)   # CJK headers may wrap after any 2 characters
        desired.append(cm(max(data, display_width(h))))
        minimum.append(cm(max(data if numeric[j] else min(data, 12), head_word)))
    if sum(desired) <= TEXT_WIDTH_CM:
        return desired
    if sum(minimum) >= TEXT_WIDTH_CM:
        return [m * TEXT_WIDTH_CM / sum(minimum) for m in minimum]
    lack = [d - m for d, m in zip(desired, minimum)]
    extra = TEXT_WIDTH_CM - sum(minimum)
    return [m + extra * x / sum(lack) for m, x in zip(minimum, lack)]


def _add_table(doc, t: Table, n: int, lang: str) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    cols = t.columns
    fmts = [t.fmt(c) for c in cols]
    headers = [t.header(c, lang) for c in cols]
    body = _cells(t)

    cap = _add_caption(doc, "table", n, t.caption(lang), lang)
    cap.paragraph_format.keep_with_next = True

    table = doc.add_table(rows=1 + len(body), cols=max(len(cols), 1))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _three_line(table)
    _repeat_header(table.rows[0])
    text_style = doc.styles["Table Text"]
    aligns = [WD_ALIGN_PARAGRAPH.RIGHT if f in NUMERIC_FORMATS else WD_ALIGN_PARAGRAPH.LEFT for f in fmts]
    widths = _docx_widths(headers, body, [f in NUMERIC_FORMATS for f in fmts]) if cols else [2.0]
    for j, w in enumerate(widths):
        table.columns[j].width = Cm(w)
    for i, values in enumerate([headers] + body):
        for j, (cell, text) in enumerate(zip(table.rows[i].cells, values)):
            cell.width = Cm(widths[j])
            p = cell.paragraphs[0]
            p.style = text_style
            p.alignment = aligns[j]
            run = p.add_run(text)
            if i == 0:
                run.bold = True
    note = _note_text(t.note(lang), lang)
    if note:
        doc.add_paragraph(note, style="Table Note")
    else:
        doc.add_paragraph(style="Table Note")   # space after the table


def _add_figure(doc, f: Figure, n: int, lang: str) -> None:
    from docx.shared import Cm, Pt

    if not f.path.is_file():
        raise FileNotFoundError(f"figure {n}: no image file {f.path}")
    p = doc.add_paragraph(style="Figure")
    pic = p.add_run().add_picture(str(f.path), width=Cm(FIGURE_WIDTH_CM))
    if pic.height > Cm(FIGURE_MAX_HEIGHT_CM):   # a tall figure: fit the page instead
        pic.width = int(pic.width * Cm(FIGURE_MAX_HEIGHT_CM) / pic.height)
        pic.height = Cm(FIGURE_MAX_HEIGHT_CM)
    cap = _add_caption(doc, "figure", n, f.caption(lang), lang)
    cap.paragraph_format.space_after = Pt(12)


def write_docx(report: Report, path: str | Path, lang: str = "zh", *,
               created: datetime = FIXED_TIME) -> Path:
    """Write ``report`` as a Word document (``path``), replaced atomically.

    Title, one Heading 1 per section, its paragraphs (style Body Text), then its items: tables
    as 三线表 with the caption above and the note below, figures 15 cm wide (at most 22 cm
    high) with the caption below. Styles (Normal, Body Text, Title, Heading 1/2, Caption, Table
    Text, Table Note, Figure) carry the fonts and sizes, so they can be changed in Word at once.
    """
    import docx

    _check(report, lang)
    doc = docx.Document()
    _setup_document(doc, lang)
    numbers = report.numbering()
    doc.add_paragraph(report.title(lang), style="Title")
    for sec in report.sections:
        heading = sec.heading(lang)
        if heading:
            doc.add_paragraph(heading, style="Heading 1")
        for text in sec.paragraphs(lang):
            doc.add_paragraph(text, style="Body Text")
        for it in sec.items:
            if isinstance(it, Table):
                _add_table(doc, it, numbers[id(it)], lang)
            else:
                _add_figure(doc, it, numbers[id(it)], lang)

    # the template's thumbnail shows python-docx's sample page, not this report: drop it
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    pkg_rels = doc.part.package.rels
    for rid in [k for k, rel in pkg_rels.items() if rel.reltype == RT.THUMBNAIL]:
        del pkg_rels[rid]

    cp = doc.core_properties
    cp.title = report.title(lang)
    cp.author = cp.last_modified_by = GENERATOR
    cp.comments = ""
    cp.subject = ""
    cp.keywords = ""
    cp.language = "zh-CN" if lang == "zh" else "en-US"
    cp.revision = 1
    cp.created = cp.modified = created
    buf = io.BytesIO()
    doc.save(buf)
    return _write_bytes(Path(path), _normalise_zip(buf.getvalue(), created))


# --------------------------------------------------------------------------- markdown

def _md_cell(text: str) -> str:
    text = str(text).replace("\\", "\\\\").replace("|", "\\|")
    text = re.sub(r"\r\n|\r|\n", "<br>", text)
    return text.strip()


def _md_line(text: str) -> str:
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip()


def _md_link(target: str) -> str:
    return f"<{target}>" if re.search(r"[\s()<>]", target) else target


def _rel(target: Path, start: Path) -> str:
    """``target`` relative to the folder ``start``, with / separators (absolute if impossible)."""
    try:
        rel = os.path.relpath(Path(target).resolve(), Path(start).resolve())
    except ValueError:  # another drive on Windows
        return Path(target).resolve().as_posix()
    return Path(rel).as_posix()


def write_markdown(report: Report, path: str | Path, lang: str = "zh") -> Path:
    """Write ``report`` as Markdown (``path``, UTF-8, LF), replaced atomically.

    ``#`` title, ``##`` sections, paragraphs as given (they may contain Markdown), tables as
    GitHub pipe tables under a bold caption (numbers right-aligned, ``|`` escaped, line breaks as
    ``<br>``) with the note below, figures as ``![图1 …](relative/path.png)`` followed by the
    caption in italics (image paths are relative to the folder of ``path``).
    """
    _check(report, lang)
    path = Path(path)
    numbers = report.numbering()
    out = [f"# {_md_line(report.title(lang))}", ""]
    for sec in report.sections:
        heading = sec.heading(lang)
        if heading:
            out += [f"## {_md_line(heading)}", ""]
        for text in sec.paragraphs(lang):
            out += [text.strip(), ""]
        for it in sec.items:
            n = numbers[id(it)]
            if isinstance(it, Table):
                caption = _label("table", n, lang) + it.caption(lang)
                out += [f"**{_md_line(caption)}**", ""]
                cols = it.columns
                fmts = [it.fmt(c) for c in cols]
                out.append("| " + " | ".join(_md_cell(it.header(c, lang)) for c in cols) + " |")
                out.append("| " + " | ".join("---:" if f in NUMERIC_FORMATS else "---" for f in fmts) + " |")
                for row in _cells(it):
                    out.append("| " + " | ".join(_md_cell(s) for s in row) + " |")
                out.append("")
                note = _note_text(it.note(lang), lang)
                if note:
                    out += [_md_line(note), ""]
            else:
                caption = _md_line(_label("figure", n, lang) + it.caption(lang))
                alt = caption.replace("[", "\\[").replace("]", "\\]")
                out += [f"![{alt}]({_md_link(_rel(it.path, path.parent))})", "", f"*{caption}*", ""]
    text = "\n".join(out).rstrip("\n") + "\n"
    return _write_bytes(path, text.encode("utf-8"))


# --------------------------------------------------------------------------- LaTeX

_TEX_SPECIAL = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_TEX_RE = re.compile("|".join(re.escape(k) for k in _TEX_SPECIAL))


def tex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (& % $ # _ { } ~ ^ \\ and < > |, which
    print wrongly in OT1 fonts), line breaks as spaces."""
    text = re.sub(r"\s*[\r\n]+\s*", " ", str(text))
    return _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group()], text)


def _tex_cell(v, fmt: str) -> str:
    s = format_value(v, fmt, na=NA_TEX)
    if fmt != "text" and s == NA_TEX:
        return s
    if fmt in NUMERIC_FORMATS and s.startswith("<"):
        return "$<$" + tex_escape(s[1:])
    if fmt in NUMERIC_FORMATS and re.match(r"^-\d", s):
        return "$-$" + s[1:]                   # a minus sign, not a hyphen
    return tex_escape(s)


def _latex_table(t: Table, lang: str) -> str:
    cols = t.columns
    fmts = [t.fmt(c) for c in cols]
    head = [tex_escape(t.header(c, lang)) for c in cols]
    rows = [[_tex_cell(v, f) for v, f in zip(row, fmts)]
            for row in t.df.itertuples(index=False, name=None)]
    caption = tex_escape(t.caption(lang))
    note = tex_escape(_note_text(t.note(lang), lang))
    spec = "".join("r" if f in NUMERIC_FORMATS else "l" for f in fmts) or "l"
    cjk = any(_CJK_RE.search(s) for s in [caption, note, *head, *(c for r in rows for c in r)])
    lines = [
        f"% Table tab:{t.name}, written by pipeline.report.writers (edits are overwritten).",
        "% Needs \\usepackage{booktabs}.",
    ]
    if cjk:
        lines.append("% Contains Chinese text: compile with XeLaTeX and \\usepackage{xeCJK} "
                     "(or use the ctex package/ctexart class).")
    lines += [
        "\\begin{table}[htbp]",
        "  \\centering",
        f"  \\caption{{{caption}}}",
        f"  \\label{{tab:{t.name}}}",
        f"  \\begin{{tabular}}{{{spec}}}",
        "    \\toprule",
        "    " + " & ".join(head) + " \\\\",
        "    \\midrule",
    ]
    lines += ["    " + " & ".join(r) + " \\\\" for r in rows]
    lines += ["    \\bottomrule", "  \\end{tabular}"]
    if note:
        lines += ["  \\par\\smallskip", f"  {{\\footnotesize\\raggedright {note}\\par}}"]
    lines += ["\\end{table}", ""]
    return "\n".join(lines)


def write_latex_tables(report: Report, folder: str | Path, lang: str = "zh") -> list[Path]:
    """Write ``<folder>/tables/<name>.tex`` for every table of ``report`` (UTF-8, LF).

    Each file is a floating ``table`` with ``\\caption`` (LaTeX numbers it), ``\\label{tab:<name>}``
    and a booktabs ``tabular`` (``r`` columns for numbers, ``l`` for text), the note below in
    footnote size. Files with Chinese text say in a comment that they need xeCJK/ctex.
    Figures are not written.
    """
    _check(report, lang)
    out = Path(folder) / "tables"
    return [_write_bytes(out / f"{t.name}.tex", _latex_table(t, lang).encode("utf-8"))
            for _, t in report.tables()]


# --------------------------------------------------------------------------- all

def write_all(report: Report, folder: str | Path, lang: str = "zh", *, stem: str = "report",
              bilingual: bool = False) -> dict[str, Path | list[Path]]:
    """All four outputs into ``folder``: ``<stem>.xlsx``, ``<stem>.docx``, ``<stem>.md`` and
    ``tables/*.tex``."""
    folder = Path(folder)
    return {
        "xlsx": write_xlsx(report, folder / f"{stem}.xlsx", lang, bilingual=bilingual),
        "docx": write_docx(report, folder / f"{stem}.docx", lang),
        "md": write_markdown(report, folder / f"{stem}.md", lang),
        "tex": write_latex_tables(report, folder, lang),
    }
