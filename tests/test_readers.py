"""Readers: every platform's export of the same three respondents decodes to the same values."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.core.errors import InputError
from pipeline.survey.ingest import read_survey
from pipeline.survey.questionnaire import load_questionnaire

from .conftest import ROOT

MINI = ROOT / "tests" / "data" / "mini.yaml"
NA = None

EXPECTED = {
    "gender": [1, 3, 2],
    "gender_other": [NA, "不便透露", NA],
    "years": [12.0, 15.0, 3.0],
    "env_green": [4, NA, 2],
    "env_clean": [3, 5, 4],
    "problems__funding": [1, NA, 0],
    "problems__coordination": [0, NA, 1],
    "problems__other": [1, NA, 0],
    "problems_other": ["没人管", NA, NA],
    "rank__elevator": [1, NA, NA],
    "rank__parking": [2, NA, NA],
    "rank__greening": [NA, NA, 1],
    "overall": [4, 1, 3],
    "region": ["山东-济南", NA, "北京-北京"],
    "advice": ["很好", NA, "请打电话[电话]"],
}

META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
META_ROWS = [
    [1, "2024/05/12 14:22:55", "136秒", "手机提交", "微信", "183.192.16.69(上海-上海)"],
    [2, "2024/05/12 15:01:02", "301秒", "手机提交", "直接访问", "10.1.2.3(山东-济南)"],
    [3, "2024/05/13 09:00:00", "250秒", "链接", "微信", "183.192.16.69(上海-上海)"],
]


def wjx_text() -> pd.DataFrame:
    cols = META + ["1、性别", "2、居住年限 ", "3、环境满意度(矩阵单选题 *必答)—绿化", "卫生", "4、存在问题(多选题)",
                   "5、优先事项(排序题)", "6、总体满意度 ", "7、户籍地", "8、建议"]
    rows = [
        ["男", "12年", "满意", "一般", "资金不足┋其他【请注明】〖没人管〗", "电梯→停车", "4分", "山东-济南", "很好"],
        ["其他【请注明】〖不便透露〗", "１５", "不清楚", "非常满意", "(跳过)", "(跳过)", "非常不满意", "(空)", "(空)"],
        ["女", "3", "不满意", "满意", "协调不畅", "绿化", "一般", "北京-北京", "请打电话13812345678"],
    ]
    return pd.DataFrame([m + r for m, r in zip(META_ROWS, rows)], columns=cols)


def wjx_code() -> pd.DataFrame:
    cols = META + ["1、性别", "1、(其他【请注明】:)", "2、居住年限 ", "3、环境满意度(矩阵单选题 *必答)—绿化", "卫生",
                   "第4题(资金不足)", "第4题(协调不畅)", "第4题(其他【请注明】)", "4、(其他【请注明】:)",
                   "第5题(电梯)", "第5题(停车)", "第5题(绿化)", "6、总体满意度 ", "7、户籍地", "8、建议"]
    rows = [
        [1, "", "12年", 4, 3, 1, 0, 1, "没人管", 1, 2, -2, 4, "山东-济南", "很好"],
        [3, "不便透露", "１５", 6, 5, -3, -3, -3, "", -3, -3, -3, 1, "(空)", "(空)"],
        [2, "", "3", 2, 4, 0, 1, 0, "", -2, -2, 1, 3, "北京-北京", "请打电话13812345678"],
    ]
    return pd.DataFrame([m + r for m, r in zip(META_ROWS, rows)], columns=cols)


def tencent_rows() -> list[list[str]]:
    head = ["编号", "开始答题时间", "结束答题时间", "答题时长", "IP", "昵称", "1.性别", "1.性别_填空", "2.居住年限",
            "3.环境满意度:绿化", "3.环境满意度:卫生", "4.存在问题:资金不足", "4.存在问题:协调不畅", "4.存在问题:其他【请注明】",
            "4.存在问题:其他【请注明】_填空", "5.优先事项:电梯", "5.优先事项:停车", "5.优先事项:绿化", "6.总体满意度",
            "7.户籍地", "8.建议"]
    t = ["02-Feb-2021 20:26:58", "02-Feb-2021 20:30:00"]
    return [head,
            ["1", *t, "182", "1.2.3.4", "小王", "男", "", "12", "满意", "一般", "资金不足", "", "其他【请注明】", "没人管", "1", "2", "", "满意", "山东-济南", "很好"],
            ["2", *t, "300", "1.2.3.5", "阿花", "其他【请注明】", "不便透露", "15", "不清楚", "非常满意", "", "", "", "", "", "", "", "非常不满意", "", ""],
            ["3", *t, "200", "1.2.3.6", "老李", "女", "", "3年", "不满意", "满意", "", "协调不畅", "", "", "", "", "1", "一般", "北京-北京", "请打电话13812345678"]]


def qualtrics_rows() -> list[list[str]]:
    names = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
             "ResponseId", "RecipientLastName", "Q1", "Q1_3_TEXT", "Q2", "Q3_1", "Q3_2", "Q4", "Q4_3_TEXT", "Q5_1", "Q5_2", "Q5_3",
             "Q6", "Q7", "Q8"]
    texts = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)", "Finished",
             "Recorded Date", "Response ID", "Recipient Last Name", "性别 - Selected Choice", "性别 - 其他【请注明】 - Text",
             "居住年限", "环境满意度 - 绿化", "环境满意度 - 卫生", "存在问题 - Selected Choice", "存在问题 - 其他【请注明】 - Text",
             "优先事项 - 电梯", "优先事项 - 停车", "优先事项 - 绿化", "总体满意度", "户籍地", "建议"]
    ids = [json.dumps({"ImportId": n}) for n in names]
    meta = ["2024-05-12 14:20:00", "2024-05-12 14:22:55", "IP Address", "1.2.3.4", "100", "175", "True", "2024-05-12 14:22:55"]
    return [names, texts, ids,
            meta + ["R_1", "Wang", "男", "", "12", "满意", "一般", "资金不足,其他【请注明】", "没人管", "1", "2", "", "满意", "山东-济南", "很好"],
            meta + ["R_2", "Li", "其他【请注明】", "不便透露", "15", "不清楚", "非常满意", "", "", "", "", "", "非常不满意", "", ""],
            meta + ["R_3", "Zhao", "女", "", "3", "不满意", "满意", "协调不畅", "", "", "", "1", "一般", "北京-北京", "请打电话13812345678"]]


def table_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "respondent": ["a", "b", "c"], "gender": [1, 3, 2], "gender_other": ["", "不便透露", ""], "years": ["12", "15", "3"],
        "env_green": ["满意", "不清楚", "不满意"], "env_clean": [3, 5, 4],
        "problems__funding": ["1", "", "0"], "problems__coordination": ["0", "", "1"], "problems__other": ["1", "", "0"],
        "problems_other": ["没人管", "", ""], "rank__elevator": ["1", "", ""], "rank__parking": ["2", "", ""],
        "rank__greening": ["", "", "1"], "overall": [4, 1, 3], "region": ["山东-济南", "", "北京-北京"],
        "advice": ["很好", "", "请打电话13812345678"],
    })


def write_csv_rows(rows: list[list[str]], path: Path, encoding: str) -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(MINI)


def check(result, expected=EXPECTED):
    df = result.data
    for col, exp in expected.items():
        got = [None if pd.isna(v) else v for v in df[col].tolist()]
        assert got == exp, f"{col}: {got} != {exp}"


@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_wjx_text_and_code(q, tmp_path, ext):
    for name, frame in (("text", wjx_text()), ("code", wjx_code())):
        p = tmp_path / f"{name}.{ext}"
        frame.to_excel(p, index=False) if ext == "xlsx" else frame.to_csv(p, index=False, encoding="utf-8-sig")
        r = read_survey(q, p)
        assert r.info["mode"] == name
        check(r)
        assert r.data["duration_s"].tolist() == [136.0, 301.0, 250.0]
        assert r.data["ip_region"].tolist() == ["上海-上海", "山东-济南", "上海-上海"]
        ip = r.data["ip_hash"]
        assert ip[0] == ip[2] != ip[1] and str(ip.dtype) == "UInt64"  # a keyed hash, never the address
        assert str(r.data["submitted_at"][0]) == "2024-05-12 14:22:55"
        assert r.info["redactions"] == {"mobile": 1}


def test_missing_kinds_stay_distinguishable(q, tmp_path):
    for name, frame in (("text", wjx_text()), ("code", wjx_code())):
        p = tmp_path / f"{name}.xlsx"
        frame.to_excel(p, index=False)
        m = read_survey(q, p).missing
        got = {(r.respondent, r.item): (r.kind, None if pd.isna(r.label) else r.label) for r in m.itertuples()}
        assert got[("2", "problems")] == ("skipped", None)
        assert got[("2", "rank")] == ("skipped", None)
        assert got[("2", "env_green")] == ("scale_missing", "不清楚")
        assert got[("2", "region")][0] == "blank"
        assert got[("2", "advice")][0] == "blank"
        assert len(m) == 5


def test_tencent_csv_gbk_and_utf8(q, tmp_path):
    rows = tencent_rows()
    for enc in ("utf-8-sig", "gbk"):
        p = write_csv_rows(rows, tmp_path / f"tencent_{enc}.csv", enc)
        r = read_survey(q, p)
        assert (r.info["format"], r.info["mode"]) == ("tencent", "text")
        exp = dict(EXPECTED)
        # Tencent writes nothing for an unanswered multi-select: blank, not skipped
        check(r, exp)
        assert "小王" not in r.data.to_string() and "nickname" not in r.data.columns
        assert r.data["duration_s"].tolist() == [182.0, 300.0, 200.0]
        assert r.column_map.loc[r.column_map["column"] == "昵称", "status"].item().startswith("dropped")


def test_qualtrics_three_header_rows(q, tmp_path):
    p = write_csv_rows(qualtrics_rows(), tmp_path / "qualtrics.csv", "utf-8")
    r = read_survey(q, p)
    assert r.info["format"] == "qualtrics"
    check(r)
    assert r.data["respondent"].tolist() == ["R_1", "R_2", "R_3"]
    assert r.data["finished"].tolist() == [True, True, True]
    assert "Wang" not in r.data.to_string()


def test_plain_table_gbk_csv_with_fullwidth(q, tmp_path):
    df = table_frame()
    df["years"] = ["１２", "15", " 3 "]
    p = tmp_path / "table.csv"
    df.to_csv(p, index=False, encoding="gbk")
    r = read_survey(q, p)
    assert (r.info["format"], r.info["encoding"]) == ("table", "gb18030")
    check(r)


def test_spss_sav_value_labels(q, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = table_frame()
    num = ["gender", "env_clean", "overall"]
    df = df.assign(env_green=[4, 6, 2], years=[12.0, 15.0, 3.0])
    for c in ["problems__funding", "problems__coordination", "problems__other", "rank__elevator", "rank__parking", "rank__greening"]:
        df[c] = pd.to_numeric(df[c].replace("", np.nan))
    for c in num:
        df[c] = df[c].astype(float)
    p = tmp_path / "survey.sav"
    pyreadstat.write_sav(df, str(p), variable_value_labels={"gender": {1: "男", 2: "女", 3: "其他"}})
    r = read_survey(q, p)
    assert r.info["format"] == "spss"
    exp = dict(EXPECTED)
    exp["problems__funding"] = [1, NA, 0]
    check(r, exp)


def test_stacked_files_get_source_column(tmp_path):
    from pipeline.core.study import Study
    from pipeline.survey import ingest

    from .conftest import write_study

    wjx_text().to_excel(tmp_path / "wave1.xlsx", index=False)
    wjx_code().to_excel(tmp_path / "wave2.xlsx", index=False)
    study = Study(write_study(tmp_path, ["wave1.xlsx", "{path: wave2.xlsx, source: w2}"], questionnaire=MINI))
    log = ingest.run(study)
    df = pd.read_parquet(study.stage_dir("ingest") / "responses.parquet")
    assert log["rows"] == 6
    assert df["source"].tolist() == ["wave1"] * 3 + ["w2"] * 3
    assert df["respondent"].tolist() == ["wave1:1", "wave1:2", "wave1:3", "w2:1", "w2:2", "w2:3"]
    miss = pd.read_parquet(study.stage_dir("ingest") / "missing.parquet")
    assert set(miss["respondent"]) == {"wave1:2", "w2:2"}
    assert (df["respondent"].to_numpy()[miss["row"].to_numpy()] == miss["respondent"].to_numpy()).all()
    assert df.loc[:2, "gender"].tolist() == df.loc[3:, "gender"].tolist()


def test_unknown_answer_text_is_an_error_naming_the_cell(q, tmp_path):
    df = wjx_text()
    df.loc[2, "1、性别"] = "未知"
    p = tmp_path / "bad.xlsx"
    df.to_excel(p, index=False)
    with pytest.raises(InputError) as e:
        read_survey(q, p)
    msg = str(e.value)
    assert "row 4" in msg and "1、性别" in msg and "'未知'" in msg and "gender" in msg


def test_text_in_numeric_item(q, tmp_path):
    df = wjx_text()
    df.loc[1, "2、居住年限 "] = "很多年"
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False, encoding="utf-8-sig")
    with pytest.raises(InputError, match=r"row 3.*2、居住年限.*'很多年'.*not a number"):
        read_survey(q, p)
