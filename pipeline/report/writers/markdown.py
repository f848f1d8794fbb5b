"""Markdown report: GitHub pipe tables, images linked relative to the file."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipeline.report.writers.model import (
    NUMERIC_FORMATS,
    Report,
    Table,
    caption_label,
    check_report,
    note_text,
    table_cells,
    write_bytes,
)


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
    check_report(report, lang)
    path = Path(path)
    numbers = report.numbering()
    out = [f"# {_md_line(report.title(lang))}", ""]
    for sec in report.sections:
        heading = sec.heading(lang)
        if heading:
            out += [f"{'#' * (1 + min(max(sec.level, 1), 2))} {_md_line(heading)}", ""]
        for text in sec.paragraphs(lang):
            out += [text.strip(), ""]
        for it in sec.items:
            n = numbers[id(it)]
            if isinstance(it, Table):
                caption = caption_label("table", n, lang) + it.caption(lang)
                out += [f"**{_md_line(caption)}**", ""]
                cols = it.columns
                fmts = [it.fmt(c) for c in cols]
                out.append("| " + " | ".join(_md_cell(it.header(c, lang)) for c in cols) + " |")
                out.append("| " + " | ".join("---:" if f in NUMERIC_FORMATS else "---" for f in fmts) + " |")
                for row in table_cells(it):
                    out.append("| " + " | ".join(_md_cell(s) for s in row) + " |")
                out.append("")
                note = note_text(it.note(lang), lang)
                if note:
                    out += [_md_line(note), ""]
            else:
                caption = _md_line(caption_label("figure", n, lang) + it.caption(lang))
                alt = caption.replace("[", "\\[").replace("]", "\\]")
                out += [f"![{alt}]({_md_link(_rel(it.path, path.parent))})", "", f"*{caption}*", ""]
    text = "\n".join(out).rstrip("\n") + "\n"
    return write_bytes(path, text.encode("utf-8"))
