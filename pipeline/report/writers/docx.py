"""Word report: 三线表 with captions above, figures with captions below, CJK and Latin fonts."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from pipeline.report.writers.model import (
    CJK_RE,
    FIXED_TIME,
    GENERATOR,
    NUMERIC_FORMATS,
    Figure,
    Report,
    Table,
    check_report,
    display_width,
    normalise_zip,
    note_text,
    table_cells,
    write_bytes,
)

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
    14 half-width characters of text (a problem's name such as 多主体协调不畅 stays on one line),
    the longest Latin word of the header (at most 10; CJK headers may wrap after three
    characters) — and the rest of the text width is shared in
    proportion to what each column lacks.
    """
    def cm(w: float) -> float:
        return w * 0.19 + 0.5

    desired, minimum = [], []
    for j, h in enumerate(headers):
        data = max((display_width(row[j]) for row in body), default=0)
        head_word = max((min(display_width(w), 6 if CJK_RE.search(w) else 10) for w in h.split()),
                        default=0)   # CJK headers may wrap after any 3 characters (受访者 stays whole)
        desired.append(cm(max(data, display_width(h))))
        minimum.append(cm(max(data if numeric[j] else min(data, 14), head_word)))
    if sum(desired) <= TEXT_WIDTH_CM:
        return desired
    if sum(minimum) >= TEXT_WIDTH_CM:
        return [m * TEXT_WIDTH_CM / sum(minimum) for m in minimum]
    lack = [d - m for d, m in zip(desired, minimum)]
    extra = TEXT_WIDTH_CM - sum(minimum)
    return [m + extra * x / sum(lack) for m, x in zip(minimum, lack)]



KEEP_TOGETHER_ROWS = 25  # tables up to this many rows stay on one page (longer ones repeat their header)


def _add_table(doc, t: Table, n: int, lang: str) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    cols = t.columns
    fmts = [t.fmt(c) for c in cols]
    headers = [t.header(c, lang) for c in cols]
    body = table_cells(t)

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
            if len(body) <= KEEP_TOGETHER_ROWS and i < len(body):
                p.paragraph_format.keep_with_next = True  # a short table is not split across pages
    if len(body) <= KEEP_TOGETHER_ROWS:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        for row in table.rows:  # nor is a row split
            tr_pr = row._tr.get_or_add_trPr()
            if tr_pr.find(qn("w:cantSplit")) is None:
                tr_pr.append(OxmlElement("w:cantSplit"))
    note = note_text(t.note(lang), lang)
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

    check_report(report, lang)
    doc = docx.Document()
    _setup_document(doc, lang)
    numbers = report.numbering()
    doc.add_paragraph(report.title(lang), style="Title")
    for sec in report.sections:
        heading = sec.heading(lang)
        if heading:
            doc.add_paragraph(heading, style=f"Heading {min(max(sec.level, 1), 2)}")
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
    return write_bytes(Path(path), normalise_zip(buf.getvalue(), created))
