"""Report writers: xlsx, docx (三线表), Markdown and LaTeX from one small Report."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from pipeline.core.stage import ZIP_DATE
from pipeline.report.writers import (
    FIXED_TIME,
    Figure,
    Report,
    Section,
    Table,
    display_width,
    format_value,
    write_all,
    write_docx,
    write_latex_tables,
    write_markdown,
    write_xlsx,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LONG = "a_very_long_table_name_that_exceeds_excel_limit"


@pytest.fixture()
def figure_png(tmp_path):
    from PIL import Image

    path = tmp_path / "figures" / "bar.png"
    path.parent.mkdir()
    Image.new("RGB", (80, 50), (70, 130, 180)).save(path)
    return path


@pytest.fixture()
def report(figure_png):
    df = pd.DataFrame({
        "community": ["梧桐里小区", "建设新村|A", "a_b%"],
        "n": [99, 100, 106],
        "share": [12.345, np.nan, 50.0],
        "mean": [3.14159, -0.001, 2.5],
        "p": [0.0004, 0.0234, 1.0],
    })
    findings = Table(
        "findings", "各小区满意度（%）", "Satisfaction by community (%)", df,
        headers_zh={"community": "小区", "n": "样本量", "share": "满意比例（%）", "mean": "均值", "p": "p 值"},
        headers_en={"community": "Community", "n": "N", "share": "Satisfied (%)", "mean": "Mean", "p": "p"},
        formats={"community": "text", "n": "int", "share": "pct1", "mean": "dec2", "p": "p"},
        note_zh="p 值为 Kruskal–Wallis 检验。", note_en="p from the Kruskal–Wallis test.",
    )
    small = pd.DataFrame({"item": ["x_1"], "alpha": [0.87123]})
    t2 = Table(LONG + "_one", "信度", "Reliability", small, {"item": "题项", "alpha": "α"},
               {"item": "Item", "alpha": "Alpha"}, {"alpha": "dec3"})
    t3 = Table(LONG + "_two", "信度二", "Reliability 2", small, {"item": "题项", "alpha": "α"},
               {"item": "Item", "alpha": "Alpha"}, {"alpha": "dec3"})
    return Report(
        "老旧小区改造满意度调查", "Renovation satisfaction survey",
        [
            Section("一、样本与满意度", "1 Sample and satisfaction",
                    ["本研究共回收有效问卷 600 份。"], ["600 valid questionnaires."],
                    [findings, Figure(figure_png, "各小区满意度", "Satisfaction by community")]),
            Section("二、信度", "2 Reliability", [], [], [t2, t3]),
        ],
    )


def test_format_value():
    assert format_value(0.0004, "p") == "<.001"
    assert format_value(0.0234, "p") == ".023"
    assert format_value(1.0, "p") == "1.000"
    assert format_value(12.345, "pct1") == "12.3"
    assert format_value(99.0, "int") == "99"
    assert format_value(np.int64(7), "int") == "7"
    assert format_value(-0.001, "dec2") == "0.00"
    assert format_value(0.87123, "dec3") == "0.871"
    assert format_value(float("nan"), "dec2") == "—"
    assert format_value(pd.NA, "pct1") == "—"
    assert format_value(None, "text") == ""
    assert format_value(np.nan, "text") == ""
    assert format_value(3.0, "text") == "3"
    assert format_value("n/a", "dec2") == "n/a"
    assert format_value(float("inf"), "dec2") == "∞"
    with pytest.raises(ValueError):
        format_value(1, "percent")
    assert display_width("小区ab") == 6


def test_table_validation():
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="snake_case"):
        Table("Bad Name", "", "", df)
    with pytest.raises(ValueError, match="unknown formats"):
        Table("t", "", "", df, formats={"a": "pct"})
    with pytest.raises(ValueError, match="not in df"):
        Table("t", "", "", df, formats={"b": "int"})
    r = Report("", "", [Section("", "", items=[Table("t", "", "", df), Table("t", "", "", df)])])
    with pytest.raises(ValueError, match="unique"):
        write_markdown(r, "unused.md")
    with pytest.raises(ValueError, match="lang"):
        write_markdown(Report("", ""), "unused.md", lang="fr")


def test_xlsx(report, tmp_path):
    import openpyxl

    path = write_xlsx(report, tmp_path / "report.xlsx", "zh")
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names[0] == "目录" and names[1] == "findings"
    assert all(len(n) <= 31 for n in names)
    assert len(set(n.lower() for n in names)) == len(names) == 4
    assert names[2] == LONG[:31] and names[3] == LONG[:29] + "_2"

    toc = wb["目录"]
    links = [c.hyperlink.location for row in toc.iter_rows() for c in row if c.hyperlink]
    assert links == [f"'{n}'!A1" for n in names[1:]]
    assert toc.cell(row=4, column=1).value == "表1"
    assert toc.cell(row=4, column=3).value == "各小区满意度（%）"

    ws = wb["findings"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:E5"
    assert ws["A1"].value == "表1 各小区满意度（%）"
    assert [c.value for c in ws[2]] == ["小区", "样本量", "满意比例（%）", "均值", "p 值"]
    assert all(c.font.b for c in ws[2])
    assert ws["B3"].value == 99 and ws["B3"].number_format == "0"
    assert ws["C3"].value == 12.3 and ws["C3"].number_format == "0.0"  # stored as shown
    assert ws["C4"].value is None                       # NaN -> empty cell
    assert ws["D3"].number_format == "0.00"
    assert ws["E3"].value == pytest.approx(0.0004) and ws["E3"].number_format == "0.000"  # p unrounded
    assert ws["A6"].value == "注：p 值为 Kruskal–Wallis 检验。"
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert set("ABCDE") <= set(widths) and all(w > 0 for w in widths.values())
    assert widths["A"] >= display_width("梧桐里小区")     # CJK counted as 2
    assert wb.properties.created == FIXED_TIME and wb.properties.modified == FIXED_TIME

    en = openpyxl.load_workbook(write_xlsx(report, tmp_path / "en.xlsx", "en"))
    assert en.sheetnames[0] == "Contents"
    assert [c.value for c in en["findings"][2]][:2] == ["Community", "N"]
    bi = openpyxl.load_workbook(write_xlsx(report, tmp_path / "bi.xlsx", "zh", bilingual=True))
    assert bi["findings"]["A2"].value == "小区 (Community)"


def _body(doc):
    return list(doc.element.body.iterchildren())


def _text(el):
    return "".join(t.text or "" for t in el.iter(f"{W}t"))


def test_docx(report, tmp_path):
    import docx
    from docx.shared import Cm

    path = write_docx(report, tmp_path / "report.docx", "zh")
    doc = docx.Document(str(path))
    body = _body(doc)
    tbls = [i for i, el in enumerate(body) if el.tag == f"{W}tbl"]
    assert len(tbls) == 3
    i = tbls[0]
    assert _text(body[i - 1]) == "表1 各小区满意度（%）"          # caption above the table
    assert _text(body[i + 1]).startswith("注：")                    # note below it
    assert _text(body[tbls[1] - 1]).startswith("表2 ")
    pics = [k for k, el in enumerate(body) if list(el.iter(f"{W}drawing"))]
    assert len(pics) == 1 and _text(body[pics[0] + 1]) == "图1 各小区满意度"   # caption below
    assert doc.inline_shapes[0].width == Cm(15)

    # three-line table: 1.5 pt top/bottom, 0.75 pt under the header, nothing else
    tbl = body[i]
    borders = tbl.find(f"{W}tblPr/{W}tblBorders")
    edge = {e.tag[len(W):]: (e.get(f"{W}val"), e.get(f"{W}sz")) for e in borders}
    assert edge["top"] == ("single", "12") and edge["bottom"] == ("single", "12")
    for side in ("left", "right", "insideH", "insideV"):
        assert edge[side][0] in ("none", "nil")
    rows = tbl.findall(f"{W}tr")
    for tc in rows[0].findall(f"{W}tc"):
        b = tc.find(f"{W}tcPr/{W}tcBorders/{W}bottom")
        assert (b.get(f"{W}val"), b.get(f"{W}sz")) == ("single", "6")
    for tr in rows[1:]:
        assert tr.find(f"{W}tc/{W}tcPr/{W}tcBorders") is None
    table = doc.tables[0]
    assert [c.text for c in table.rows[1].cells] == ["梧桐里小区", "99", "12.3", "3.14", "<.001"]
    assert table.rows[2].cells[2].text == "—"
    assert table.rows[1].cells[1].paragraphs[0].alignment == 2     # right
    assert table.rows[1].cells[0].paragraphs[0].alignment == 0     # left

    # fonts: 宋体 for the body, 黑体 for headings, Times New Roman for Latin text
    def fonts(style):
        rf = doc.styles[style].element.find(f"{W}rPr/{W}rFonts")
        return rf.get(f"{W}eastAsia"), rf.get(f"{W}ascii"), rf.get(f"{W}asciiTheme")
    assert fonts("Normal") == ("宋体", "Times New Roman", None)
    assert fonts("Heading 1") == ("黑体", "Times New Roman", None)
    assert fonts("Title")[0] == "黑体"
    # A4, 2.5 cm margins
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    margins = {sec.left_margin, sec.right_margin, sec.top_margin, sec.bottom_margin}
    assert len(margins) == 1 and margins.pop().cm == pytest.approx(2.5, abs=0.01)
    assert doc.core_properties.created.replace(tzinfo=None) == FIXED_TIME

    en = docx.Document(str(write_docx(report, tmp_path / "en.docx", "en")))
    texts = [p.text for p in en.paragraphs]
    assert "Table 1. Satisfaction by community (%)" in texts
    assert "Figure 1. Satisfaction by community" in texts
    assert "Note. p from the Kruskal–Wallis test." in texts


def test_markdown(report, tmp_path):
    path = write_markdown(report, tmp_path / "report.md", "zh")
    md = path.read_text(encoding="utf-8")
    assert md.startswith("# 老旧小区改造满意度调查\n")
    assert "## 一、样本与满意度" in md
    assert "**表1 各小区满意度（%）**" in md
    assert "| 小区 | 样本量 | 满意比例（%） | 均值 | p 值 |" in md
    assert "| --- | ---: | ---: | ---: | ---: |" in md
    assert "| 梧桐里小区 | 99 | 12.3 | 3.14 | <.001 |" in md
    assert "| 建设新村\\|A | 100 | — | 0.00 | .023 |" in md
    assert "![图1 各小区满意度](figures/bar.png)" in md
    assert "注：p 值为 Kruskal–Wallis 检验。" in md
    # relative to the md file's folder
    sub = write_markdown(report, tmp_path / "out" / "report.md", "en")
    assert "![Figure 1. Satisfaction by community](../figures/bar.png)" in sub.read_text(encoding="utf-8")


def test_latex(report, tmp_path):
    paths = write_latex_tables(report, tmp_path, "zh")
    assert [p.name for p in paths] == ["findings.tex", LONG + "_one.tex", LONG + "_two.tex"]
    tex = (tmp_path / "tables" / "findings.tex").read_text(encoding="utf-8")
    for s in ("\\toprule", "\\midrule", "\\bottomrule", "\\begin{table}", "\\label{tab:findings}",
              "\\caption{各小区满意度（\\%）}", "\\begin{tabular}{lrrrr}", "xeCJK"):
        assert s in tex
    assert "a\\_b\\% & 106 & 50.0 & 2.50 & 1.000 \\\\" in tex
    assert "建设新村\\textbar{}A & 100 & --- & 0.00 & .023 \\\\" in tex
    assert "$<$.001" in tex
    assert tex.index("\\caption") < tex.index("\\begin{tabular}")
    en = write_latex_tables(Report("t", "t", [Section("", "", items=[
        Table("plain", "", "Cost & time ~ 5$ #1 {x} ^ \\", pd.DataFrame({"a": [1.5]}))])]), tmp_path / "en", "en")
    text = en[0].read_text(encoding="utf-8")
    assert ("\\caption{Cost \\& time \\textasciitilde{} 5\\$ \\#1 \\{x\\} \\textasciicircum{} "
            "\\textbackslash{}}") in text
    assert "xeCJK" not in text and "\\begin{tabular}{r}" in text and "1.50" in text


def test_byte_identical(report, tmp_path):
    a = write_all(report, tmp_path / "a", "zh")
    first = {k: (v.read_bytes() if k != "tex" else [p.read_bytes() for p in v]) for k, v in a.items()}
    b = write_all(report, tmp_path / "a", "zh")
    second = {k: (v.read_bytes() if k != "tex" else [p.read_bytes() for p in v]) for k, v in b.items()}
    assert first == second
    # the bytes do not depend on the clock: fixed zip dates and core times
    for key in ("xlsx", "docx"):
        with zipfile.ZipFile(a[key]) as z:
            assert {i.date_time for i in z.infolist()} == {ZIP_DATE}
            core = z.read("docProps/core.xml").decode()
            assert core.count("2024-01-01T00:00:00Z") == 2
    # …nor on the folder written to
    c = write_all(report, tmp_path / "c", "zh")
    assert c["xlsx"].read_bytes() == first["xlsx"] and c["docx"].read_bytes() == first["docx"]


def test_missing_figure(tmp_path):
    r = Report("t", "t", [Section("s", "s", items=[Figure(tmp_path / "nope.png", "图", "fig")])])
    with pytest.raises(FileNotFoundError, match="nope.png"):
        write_docx(r, tmp_path / "r.docx")


def test_quotes_keep_chinese_punctuation():
    """NFKC turns ，？（） into ASCII for matching; a quote in the report is printed as said."""
    from pipeline.core.textnorm import cjk_punctuation

    assert cjk_punctuation("没有物业,楼道灯坏了没人修?") == "没有物业，楼道灯坏了没人修？"
    assert cjk_punctuation("人数(约300户):不少") == "人数（约300户）：不少"
    assert cjk_punctuation("A, B and 3.5; 比例3:2") == "A, B and 3.5; 比例3:2"
