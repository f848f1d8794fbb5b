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
mistaken for a lost value; a missing text is an empty string. In the xlsx, numbers stay numbers,
rounded to the decimals shown (a copied cell carries no false precision; the stage CSVs keep full
precision), p-values unrounded with format ``0.000``, and a missing value is an empty cell.

Every writer is deterministic: the workbook/document core properties carry a fixed time
(:data:`FIXED_TIME`) and the zip is rewritten with fixed entry dates and permissions, so two runs
on the same report give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.report.writers.docx import write_docx
from pipeline.report.writers.latex import tex_escape, write_latex_tables
from pipeline.report.writers.markdown import write_markdown
from pipeline.report.writers.model import (
    FIXED_TIME,
    FORMATS,
    Figure,
    Report,
    Section,
    Table,
    display_width,
    format_value,
)
from pipeline.report.writers.xlsx import write_xlsx

__all__ = [
    "Table", "Figure", "Section", "Report", "FORMATS", "FIXED_TIME",
    "format_value", "display_width", "tex_escape",
    "write_xlsx", "write_docx", "write_markdown", "write_latex_tables", "write_all",
]


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
