"""Excel workbook of a report: a Contents sheet with links, one sheet per table."""

from __future__ import annotations

import io
import math
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.stage import neutralise
from pipeline.report.writers.model import (
    DECIMALS,
    FIXED_TIME,
    GENERATOR,
    NUMERIC_FORMATS,
    XLSX_NUMBER_FORMATS,
    Report,
    caption_label,
    check_report,
    display_width,
    format_value,
    is_missing,
    normalise_zip,
    note_text,
    write_bytes,
)

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

    if is_missing(v):
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
        if fmt in DECIMALS:  # stored as shown (a pasted cell carries no false precision; stats/*.csv keep it all)
            x = round(x, DECIMALS[fmt])
            return int(x) if fmt == "int" else x
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

    check_report(report, lang)
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
        label = caption_label("table", n, lang).strip().rstrip(".")
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
        _set_cell(ws, 1, 1, caption_label("table", n, lang) + t.caption(lang)).font = bold
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
        note = note_text(t.note(lang), lang)
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
    props.modified = created  # openpyxl resets this on save; normalise_zip fixes it again
    buf = io.BytesIO()
    wb.save(buf)
    return write_bytes(Path(path), normalise_zip(buf.getvalue(), created))
