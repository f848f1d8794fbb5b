"""LaTeX tables (booktabs), one file per table, and write_all (every format at once)."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.report.writers.model import (
    CJK_RE,
    NA_TEX,
    NUMERIC_FORMATS,
    Report,
    Table,
    check_report,
    format_value,
    note_text,
    write_bytes,
)

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
    note = tex_escape(note_text(t.note(lang), lang))
    spec = "".join("r" if f in NUMERIC_FORMATS else "l" for f in fmts) or "l"
    cjk = any(CJK_RE.search(s) for s in [caption, note, *head, *(c for r in rows for c in r)])
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
    check_report(report, lang)
    out = Path(folder) / "tables"
    return [write_bytes(out / f"{t.name}.tex", _latex_table(t, lang).encode("utf-8"))
            for _, t in report.tables()]


