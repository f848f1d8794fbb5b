"""Understanding export headers: which platform wrote the file, which columns are metadata,
and for each question column its question number, stem and sub-label (option or matrix row).

Header shapes handled (see ../shared/FORMATS.md):

* WJX (问卷星): ``1、手机部数``, ``16 题干``, type suffixes ``(单选题 *必答)``; matrix
  ``13、题干(矩阵单选题)—外观`` followed by bare row labels; by-code option columns
  ``第6题(运动)`` / ``16(选项)``; other fill-ins ``25、(其他（请补充）:)``.
* Tencent (腾讯问卷): ``1.题干``, option/row columns ``21.题干:选项``, fill-ins ``3.题干_填空1``.
* Qualtrics: export names ``Q2_1``/``Q2_5_TEXT`` in row 1, ``stem - row label`` in row 2.
* Plain tables and SPSS: a column named by the item id (or ``<id>__<option key>``), or by
  ``match.column`` in the definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.errors import InputError
from pipeline.core.tables import RawTable

FORMATS = ("auto", "wjx_text", "wjx_code", "tencent", "qualtrics", "table", "spss")

# export header -> canonical metadata column; None = dropped (personal or irrelevant data)
META = {
    "wjx": {
        "序号": "respondent", "提交答卷时间": "submitted_at", "所用时间": "duration_s",
        "来源": "channel", "来源详情": "channel_detail", "来自ip": "ip", "来自IP": "ip", "总分": None,
        "开始答题时间": "started_at", "答题时长": "duration_s",
    },
    "tencent": {
        "编号": "respondent", "开始答题时间": "started_at", "结束答题时间": "submitted_at",
        "答题时长": "duration_s", "IP": "ip", "地理位置国家和地区": None, "地理位置省": "ip_region",
        "地理位置市": None, "自定义字段": None, "用户类型": None, "用户标识": None, "昵称": None,
        "UA": None, "Referrer": None, "语言": None, "清洗数据结果": None, "智能清洗数据无效概率": None,
        "来源": "channel", "来源渠道": "channel",
    },
    "qualtrics": {
        "ResponseId": "respondent", "StartDate": "started_at", "EndDate": "submitted_at",
        "Duration (in seconds)": "duration_s", "IPAddress": "ip", "Finished": "finished",
        "Progress": "progress", "DistributionChannel": "channel", "RecordedDate": None,
        "RecipientLastName": None, "RecipientFirstName": None, "RecipientEmail": None,
        "ExternalReference": None, "ExternalDataReference": None, "LocationLatitude": None,
        "LocationLongitude": None, "LocationAccuracy": None, "UserLanguage": None, "Q_RecaptchaScore": None,
        # the 2016 'Insights' layout and the legacy V1…Vn layout (named by their second row)
        "ResponseID": "respondent", "ResponseSet": None, "Name": None, "EmailAddress": None,
        "Status": "status", "Q_TotalDuration": "duration_s", "Q_RelevantIDDuplicate": None,
        "Q_RelevantIDDuplicateScore": None, "Q_RelevantIDFraudScore": None, "Q_RelevantIDLastStartDate": None,
    },
    "table": {
        "respondent": "respondent", "respondent_id": "respondent", "id": "respondent", "序号": "respondent",
        "编号": "respondent", "submitted_at": "submitted_at", "提交答卷时间": "submitted_at",
        "started_at": "started_at", "duration_s": "duration_s", "所用时间": "duration_s", "答题时长": "duration_s",
        "ip": "ip", "来自IP": "ip", "IP": "ip", "channel": "channel", "来源": "channel",
        "finished": "finished", "progress": "progress",
        "submit_time": "submitted_at", "submitted": "submitted_at", "end_time": "submitted_at", "start_time": "started_at",
        "duration": "duration_s", "提交时间": "submitted_at", "填写时间": "submitted_at",
        "用时(秒)": "duration_s", "所用时间(秒)": "duration_s", "答题时长(秒)": "duration_s", "IP地址": "ip",
        "答卷编号": "respondent", "问卷编号": "respondent", "答卷序号": "respondent", "问卷序号": "respondent",
    },
}

_TYPE_SUFFIX = re.compile(
    r"\s*\((?:单选题|多选题|填空题|多项填空题|矩阵单选题|矩阵多选题|矩阵量表题|矩阵填空题|矩阵滑动条|量表题|排序题|"
    r"下拉框题|比重题|滑动条|文件上传|评分题|NPS量表题|地区题|日期题)[^)]*\)\s*"
)
_WJX_Q = re.compile(r"^(\d+)[、.]\s*(.*)$", re.S)
_WJX_Q_SPACE = re.compile(r"^(\d+)\s+(\S.*)$", re.S)
_WJX_OPT = re.compile(r"^第(\d+)题\((.*)\)$", re.S)
_WJX_OPT2 = re.compile(r"^(\d+)\((.*)\)$", re.S)
_OTHER_FILL = re.compile(r"^\((.*?):?\)$")
_RENAMED = re.compile(r"\.\d+$")
_QUALTRICS_NAME = re.compile(r"^Q([A-Za-z0-9]+?)(?:_(\d+))?(_TEXT)?$")


@dataclass
class Column:
    index: int
    header: str
    qnum: str | None = None
    stem: str = ""
    sub: str | None = None        # option label or matrix row label
    other_text: bool = False      # holds the fill-in of an "other" option
    meta: str | None = None       # canonical metadata column
    dropped: bool = False         # metadata we deliberately do not read (personal data etc.)
    opt_column: bool = False      # a by-code option column (第6题(运动)), never a matrix row
    bare: bool = False            # an unnumbered header read as the next row of the matrix to its left


def detect_format(table: RawTable, requested: str = "auto") -> str:
    """Return one of wjx, tencent, qualtrics, table, spss (the reading family)."""
    if requested not in FORMATS:
        raise InputError(f"unknown survey format '{requested}'; use one of {list(FORMATS)}", file=table.path)
    if requested in ("wjx_text", "wjx_code"):
        return "wjx"
    if requested != "auto":
        return requested
    if table.kind == "spss":
        return "spss"
    h = set(table.headers)
    if "ResponseId" in h or "ResponseID" in h or ("StartDate" in h and "Finished" in h):
        return "qualtrics"
    if _legacy_qualtrics(table):
        return "qualtrics"
    if "序号" in h and ("提交答卷时间" in h or "所用时间" in h):
        return "wjx"
    if "编号" in h and ("答题时长" in h or "开始答题时间" in h):
        return "tencent"
    return "table"


_V_NAME = re.compile(r"^V\d+$")


def _legacy_qualtrics(table: RawTable) -> bool:
    """The legacy Qualtrics CSV: metadata named V1…Vn in the first row, ResponseID… in the second."""
    return "V1" in table.headers and "ResponseID" in table.texts


def parse_columns(table: RawTable, family: str) -> list[Column]:
    meta = META.get(family if family != "spss" else "table", {})
    cols: list[Column] = []
    last_matrix: Column | None = None
    legacy = family == "qualtrics" and _legacy_qualtrics(table)
    for i, header in enumerate(table.headers):
        c = Column(index=i, header=header)
        cols.append(c)
        name = table.texts[i] if legacy and _V_NAME.match(header) else header
        if family == "spss" and name not in meta and table.texts[i] in meta:
            name = table.texts[i]  # an SPSS variable labelled 提交答卷时间, 来自IP …
        if family in ("table", "spss") and name not in meta:
            name = next((k for k in meta if k.lower() == name.lower()), name)  # ID, Id, IP, Submit_Time …
        if name in meta:
            c.meta = meta[name]
            c.dropped = c.meta is None
            last_matrix = None
            continue
        if family == "qualtrics":
            _parse_qualtrics(c, table.texts[i])
        elif family in ("wjx", "tencent", "table", "spss"):
            _parse_numbered(c, header, family)
            if c.qnum is None and family == "wjx" and last_matrix is not None and header:
                # a bare row label continuing the matrix to its left
                c.qnum, c.stem, c.sub = last_matrix.qnum, last_matrix.stem, _RENAMED.sub("", header)
                c.bare = True
                continue
            if c.qnum is None and family == "spss" and table.texts[i] != header:
                _parse_numbered(c, table.texts[i], "spss_label")
        last_matrix = c if (c.qnum is not None and c.sub is not None and not c.opt_column and not c.other_text) else None
    if family == "qualtrics":
        _qualtrics_subs(cols, table.texts)
    _check_duplicates(table, cols)
    return cols


_SEP_TAIL = re.compile(r"(?:\s+-\s+|-|:|：)$")


def _qualtrics_subs(cols: list[Column], texts: list[str]) -> None:
    """Stem and sub-label of Qualtrics columns that share a question (Q6_1, Q6_2 …) from their
    question texts: the texts' common beginning, cut at its last separator, is the stem and the
    rest the option or row label. Works for the current ``stem - Selected Choice - option``, the
    2016 and legacy ``stem-option`` joins, and labels that contain ' - ' or '-' themselves."""
    groups: dict[str, list[Column]] = {}
    for c in cols:
        if c.qnum is not None and c.meta is None and _QUALTRICS_NAME.match(c.header).group(2) is not None:
            groups.setdefault(c.qnum, []).append(c)
    for group in groups.values():
        plain = [c for c in group if not c.other_text]
        if len(plain) < 2:
            continue
        full = [texts[c.index] for c in plain]
        prefix = full[0]
        for t in full[1:]:
            k = 0
            while k < min(len(prefix), len(t)) and prefix[k] == t[k]:
                k += 1
            prefix = prefix[:k]
        cut = max((m.end() for m in re.finditer(r"\s+-\s+|-|:|：", prefix)), default=0)
        if cut == 0:
            continue
        stem = _SEP_TAIL.sub("", prefix[:cut].strip()).strip()
        stem = re.sub(r"\s+-\s+Selected Choice$", "", stem)
        for c in group:
            rest = texts[c.index][cut:].strip()
            if c.other_text:
                rest = re.sub(r"(?:\s+-\s+|-)(?:Text|TEXT)$", "", rest).strip()
            if rest:
                c.stem, c.sub = stem, rest


def _parse_numbered(c: Column, header: str, family: str) -> None:
    m = _WJX_OPT.match(header) or _WJX_OPT2.match(header)
    if m:
        c.qnum, c.sub, c.opt_column = m.group(1), m.group(2).strip(), True
        return
    m = _WJX_Q.match(header) or (_WJX_Q_SPACE.match(header) if family == "wjx" else None)
    if not m:
        return
    c.qnum = m.group(1)
    rest = _TYPE_SUFFIX.sub("", m.group(2)).strip()
    fill = _OTHER_FILL.match(rest)
    if fill:  # 25、(其他（请补充）:)
        c.sub, c.other_text = fill.group(1).strip(), True
        return
    if family in ("tencent", "spss_label") and ":" in rest.rstrip(":"):
        # Tencent '21.题干:选项'; an SPSS variable label '6. 题干：选项' (NFKC turns ： into :)
        stem, sub = rest.rstrip(":").rsplit(":", 1)
        c.stem, c.sub = stem.strip(), sub.strip()
        if re.search(r"_填空\d*$", c.sub) or (family == "spss_label" and re.search(r"_(文本|text|TEXT)$", c.sub)):
            c.sub, c.other_text = re.sub(r"_(填空\d*|文本|text|TEXT)$", "", c.sub), True
        return
    if family == "tencent" and re.search(r"_填空\d*$", rest):
        c.stem, c.other_text = re.sub(r"_填空\d*$", "", rest), True
        return
    if "—" in rest:
        stem, sub = rest.rsplit("—", 1)
        sub = re.sub(r"^\d+\s+", "", sub.strip())
        c.stem, c.sub = stem.strip(), sub
        return
    c.stem = rest


def _parse_qualtrics(c: Column, text: str) -> None:
    m = _QUALTRICS_NAME.match(c.header)
    if not m:
        return
    c.qnum = m.group(1)
    c.other_text = bool(m.group(3))
    parts = [p.strip() for p in text.split(" - ")]
    c.stem = parts[0]
    if m.group(2) is not None or c.other_text:
        sub = [p for p in parts[1:] if p not in ("Selected Choice", "Text")]
        c.sub = sub[-1] if sub else m.group(2)
    if c.other_text and m.group(2) is None:
        c.sub = None


def _check_duplicates(table: RawTable, cols: list[Column]) -> None:
    """The same header twice is an error, except bare row labels of two different matrices."""
    seen: dict[tuple, Column] = {}
    for c in cols:
        if not c.header:
            continue
        key = (c.header, c.qnum if c.bare else None)
        if key in seen:
            raise InputError(
                f"duplicated header: columns {_col_letter(seen[key].index)} and {_col_letter(c.index)} have the same name",
                file=table.path, row=table.first_data_row - 1, column=c.header, hint="rename or remove one of them")
        seen[key] = c


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
