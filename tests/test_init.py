"""``renewal init``: a questionnaire drafted from each export layout reads that export with no edit
and decodes what the respondents answered.

The fixtures in tests/data/layouts/ were written by someone who never saw the reader (README.md
there lists the layouts, the planted cases and the expected answers of respondents 1-3)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.cli import main
from pipeline.survey.draft import run_init
from pipeline.survey.ingest import read_survey
from pipeline.survey.questionnaire import load_questionnaire

from .conftest import ROOT, SHARED

LAYOUTS = ROOT / "tests" / "data" / "layouts"
FILES = ["wjx_text.xlsx", "wjx_code.xlsx", "tencent.csv", "qualtrics_current.csv", "qualtrics_2016.csv",
         "qualtrics_legacy.csv", "spss.sav", "plain_gbk.csv"]
# exports that carry the option wording (the by-code WJX and the legacy Qualtrics export only codes)
LABELLED = ["wjx_text.xlsx", "tencent.csv", "qualtrics_current.csv", "qualtrics_2016.csv", "spss.sav", "plain_gbk.csv"]
QUALTRICS_IDS = {"R_hIoxfKAhQVzPH9f": "1", "R_VVUWxEBTl3SwjgQ": "2", "R_Fqd2eSc5vVPGhjT": "3"}

# README.md, 'Expected decoded answers, respondents 1-3' (scale questions as their own values)
EXPECTED = {
    "性别": ["女", "男", "女"],
    "年龄段": ["60-69岁", "45-59岁", "30-44岁"],
    "小区": ["梧桐里小区", "新华一村", "红星苑"],
    "家庭月收入": ["5000-9999元", None, "10000-19999元"],   # 不愿透露 is no answer
    "出资": ["愿意", "不愿意", "看情况"],
    "金额": ["1万-2万元", None, "1万元以下"],               # skipped by logic for 不愿意
    "住房性质": ["自有产权房", "自有产权房", "自有产权房"],
}
NUMBERS = {"层": [6, 1, 5], "推荐": [9, 2, 7], "总体满意度": [4, 2, 3]}
MATRIX = {"出行便利": [2, 4, 2], "楼道环境": [1, 4, 2], "物业服务": [3, None, 2]}
DIFFICULTIES = {"老人": [1, 0, 0], "婴幼儿": [0, 0, 1], "都没有": [0, 1, 0]}


def sha(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def drafted(tmp_path, *names):
    out = tmp_path / "study"
    run_init([LAYOUTS / n for n in names], out)
    return out, load_questionnaire(out / "questionnaire.yaml")


def local_outputs(study_dir):
    """Outputs beside the study file (the default is the working directory's outputs/)."""
    p = study_dir / "study.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "outputs: outputs\n", encoding="utf-8")


def find(q, fragment: str):
    """The item (or matrix row) whose text or label holds the fragment."""
    hits = [it for it in q.item_index.values() if fragment in (it.text or "") and it.type != "matrix"]
    assert hits, f"no item about {fragment}"
    return hits[0]


def first_three(res, name):
    d = res.data
    if name.startswith("qualtrics"):
        rid = d["respondent"].map(QUALTRICS_IDS)
    else:
        rid = d["respondent"].astype(str)
    idx = [int(np.flatnonzero((rid == k).to_numpy())[0]) for k in ("1", "2", "3")]
    return d.iloc[idx].reset_index(drop=True)


@pytest.mark.parametrize("name", FILES)
def test_drafted_definition_reads_its_export_unchanged(tmp_path, name):
    before = sha(LAYOUTS / name)
    out, q = drafted(tmp_path, name)
    res = read_survey(q, LAYOUTS / name)
    assert sha(LAYOUTS / name) == before  # the raw export is never modified
    assert res.info["rows"] == (43 if name == "qualtrics_current.csv" else 41 if name == "plain_gbk.csv" else 40)
    study = yaml.safe_load((out / "study.yaml").read_text(encoding="utf-8"))
    assert study["questionnaire"] == "questionnaire.yaml"
    assert (out / study["survey"]["files"][0]).resolve() == (LAYOUTS / name).resolve()
    rows = first_three(res, name)
    # numbers: floor (with 楼/层 typed after it), the 0-10 score, the overall rating
    for frag, want in NUMBERS.items():
        if frag == "总体满意度" and name in ("wjx_code.xlsx", "qualtrics_legacy.csv"):
            continue  # code-only exports: the scale's wording is unknown, the codes are still read
        it = find(q, frag)
        assert rows[it.id].astype("float64").tolist() == [float(x) for x in want], (frag, it.id)
    # the matrix, with 不清楚 as no answer
    for frag, want in MATRIX.items():
        if name in ("wjx_code.xlsx", "qualtrics_legacy.csv") and frag == "物业服务":
            continue  # code 6 (不清楚) has no wording in a code-only export: read as a 6th option
        col = next(i for i, it in q.item_index.items() if it.type == "likert" and (it.text or "").endswith(frag))
        got = [None if v is None or v != v else int(v) for v in rows[col].astype("float64").tolist()]
        assert got == want, (frag, got)
    # the multi-select, one 0/1 column per option
    multi = next(it for it in q.items if it.type == "multi")
    for frag, want in DIFFICULTIES.items():
        o = next(o for o in q.options_of(multi) if frag in o.label)
        assert rows[f"{multi.id}__{o.col_key}"].astype("float64").tolist() == [float(x) for x in want], frag


@pytest.mark.parametrize("name", LABELLED)
def test_drafted_labels_and_no_answers(tmp_path, name):
    _, q = drafted(tmp_path, name)
    res = read_survey(q, LAYOUTS / name)
    rows = first_three(res, name)
    for frag, want in EXPECTED.items():
        it = find(q, frag)
        labels = {o.code: o.label for o in q.options_of(it)}
        got = [None if v is None or v != v else labels[int(v)] for v in rows[it.id].astype("float64").tolist()]
        assert got == want, (frag, got)
    # respondent 2's refusal and skip are recorded as kinds of missing answers, not values
    miss = res.missing
    income, amount = find(q, "家庭月收入").id, find(q, "金额").id
    kinds = {(i, k) for i, k in zip(miss["item"], miss["kind"])}
    assert (income, "scale_missing") in kinds
    # Tencent and Qualtrics leave a skipped question empty, like one left blank
    want = {"blank"} if name.startswith(("tencent", "qualtrics")) else {"skipped", "scale_missing"}
    assert {k for i, k in kinds if i == amount} & want


def test_twin_exports_give_codes_and_the_wjx_score_offset(tmp_path):
    out, q = drafted(tmp_path, "wjx_text.xlsx", "wjx_code.xlsx")
    study = yaml.safe_load((out / "study.yaml").read_text(encoding="utf-8"))
    assert [p.split("/")[-1] for p in study["survey"]["files"]] == ["wjx_text.xlsx"]  # the twin is not stacked
    text = read_survey(q, LAYOUTS / "wjx_text.xlsx")
    code = read_survey(q, LAYOUTS / "wjx_code.xlsx")
    items = [c for c in text.data.columns if c.startswith("q")]
    for c in items:
        pd.testing.assert_series_equal(text.data[c], code.data[c])
    score = find(q, "推荐")
    assert q.export_offset(score) == 1 and q.options_of(score)[0].label == "0分"
    age = find(q, "年龄段")
    assert [o.code for o in q.options_of(age)] == [2, 3, 4, 5]  # codes from the twin; 18-29岁 never chosen
    text_yaml = (out / "questionnaire.yaml").read_text(encoding="utf-8")
    assert "CHECK: code(s) [1] never chosen" in text_yaml


def test_drafted_file_says_what_it_guessed(tmp_path):
    out, q = drafted(tmp_path, "tencent.csv")
    text = (out / "questionnaire.yaml").read_text(encoding="utf-8")
    assert "CHECK codes: assigned 1, 2, … in the order shown" in text
    assert "CHECK constructs" in text and "CHECK roles" in text
    assert "levels ordered low → high from their wording (非常不满意 < 不满意 < 一般 < 满意 < 非常满意)" in text
    assert q.roles.community == find(q, "小区").id and q.roles.overall == find(q, "总体满意度").id
    income = find(q, "家庭月收入")
    assert [o.label for o in q.options_of(income)] == ["5000元以下", "5000-9999元", "10000-19999元", "20000元及以上"]
    assert [o.label for o in q.missing_of(income)] == ["不愿透露"]
    multi = next(it for it in q.items if it.type == "multi")
    assert [o.label for o in q.options_of(multi) if o.exclusive] == ["以上都没有"]
    assert [o.label for o in q.options_of(multi) if o.other] == ["其他(请注明)"]


def test_spss_value_labels_and_user_missing(tmp_path):
    _, q = drafted(tmp_path, "spss.sav")
    income = find(q, "家庭月收入")
    assert [(o.code, o.label) for o in q.missing_of(income)] == [(-9, "不愿透露(拒答)")]
    amount = find(q, "金额")
    assert any(o.code == -99 for o in q.missing_of(amount))
    scale = q.scales[find(q, "出行便利").scale]
    assert [(o.code, o.label) for o in scale.missing] == [(-1, "不清楚")]
    ranking = next(it for it in q.items if it.type == "ranking")
    assert [o.label for o in q.options_of(ranking)] == ["费用分摊", "噪音", "采光", "施工周期"]  # '(名次)' dropped


def test_init_never_overwrites_and_bad_input_is_one_line(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["init", str(LAYOUTS / "tencent.csv"), "--out", str(out)]) == 0
    edited = out / "questionnaire.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["init", str(LAYOUTS / "tencent.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert edited.read_text(encoding="utf-8").endswith("# my edit\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["init", str(empty), "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty.csv" in err and "empty" in err


def _run(study_dir):
    local_outputs(study_dir)
    assert main(["run", "--study", str(study_dir / "study.yaml"), "--quiet"]) == 0
    return study_dir / "outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_init_then_run_completes_and_screens_the_planted_cases(tmp_path, monkeypatch, name):
    out, q = drafted(tmp_path, name)
    res = _run(out)
    assert (res / "report" / "report.docx").exists()

    ex = pd.read_csv(res / "clean" / "exclusions.csv", dtype=str)
    counted = ex[ex["counted"] == "True"]
    by_rule = counted.groupby("rule")["respondent"].apply(sorted).to_dict()
    planted = {"speeder": ["23", "8"], "duplicate_answers": ["18"], "straightlining": ["14"], "exclusive": ["26"]}
    if name.startswith("qualtrics"):  # respondents are ResponseIds there: the counts
        assert {r: len(by_rule.get(r, [])) for r in planted} == {r: len(v) for r, v in planted.items()}
    else:
        assert {r: by_rule.get(r) for r in planted} == planted
        kept = pd.read_parquet(res / "clean" / "responses.parquet")["respondent"].astype(str).tolist()
        assert {"11", "29"} <= set(kept)  # one carrier IP, two people: both kept
    log = json.loads((res / "clean" / "cleaning_log.json").read_text(encoding="utf-8"))
    assert log["kept"] == 35


@pytest.mark.slow
def test_qualtrics_previews_and_unfinished_are_screened(tmp_path):
    out, _ = drafted(tmp_path, "qualtrics_current.csv")
    res = _run(out)
    log = json.loads((res / "clean" / "cleaning_log.json").read_text(encoding="utf-8"))
    rules = {r["rule"]: r["excluded"] for r in log["rules"]}
    assert rules["platform_status"] == 2 and rules["incomplete"] == 1
    assert log["read"] == 43 and log["kept"] == 35


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.skipif(not (SHARED / "wjx" / "wjx_800_by_text.xls").exists(), reason="../shared/external/wjx absent")
def test_real_wjx_export_init_then_run(tmp_path):
    wjx = SHARED / "wjx"
    out = tmp_path / "real"
    run_init([wjx / "wjx_800_by_text.xls", wjx / "wjx_800_by_code.xls"], out)
    q = load_questionnaire(out / "questionnaire.yaml")
    assert [it.type for it in q.items] == ["single"] * 5 + ["multi", "single", "multi"]
    res = _run(out)
    log = json.loads((res / "clean" / "cleaning_log.json").read_text(encoding="utf-8"))
    assert log["read"] == 800
    report = json.loads((res / "report" / "report_log.json").read_text(encoding="utf-8"))
    # a survey about phones: its own questions are reported, no renovation findings table
    assert report["tables"] == ["sample_profile", "single_answers", "multi_answers"]  # and "no missing answers"
    md = (res / "report" / "report.md").read_text(encoding="utf-8")
    assert "问题目录中的指标在本问卷中均未测量" in md and "| 兴趣爱好（n = 799） | 运动 | 478 | 59.8 |" in md
    text = read_survey(q, wjx / "wjx_800_by_text.xls")
    code = read_survey(q, wjx / "wjx_800_by_code.xls")
    cols = [c for c in text.data.columns if c.startswith("q") and not c.endswith("_other")]  # 按序号 drops 〖…〗 texts
    for c in cols:
        pd.testing.assert_series_equal(text.data[c], code.data[c])


def test_a_metadata_column_name_and_other_tick_marks_draft_what_ingest_reads(tmp_path):
    """A plain table with a column named like a metadata column (ip_region) and options ticked
    with ☑: the draft must not give an item a reserved id, and must read ☑ as 'chosen' exactly as
    ingest does (a multi-select item, not a matrix with the option '☑')."""
    rows = ["编号,性别,ip_region,困难-老人,困难-婴幼儿,困难-都没有"]
    for k in range(1, 13):
        ticks = ["☑" if (k + j) % 3 == 0 else "" for j in range(3)]
        rows.append(f"{k},{'女' if k % 2 else '男'},上海,{','.join(ticks)}")
    src = tmp_path / "plain.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "study"
    run_init([src], out)
    q = load_questionnaire(out / "questionnaire.yaml")     # loads: no reserved id
    from pipeline.survey.questionnaire import RESERVED

    assert not {it.id for it in q.items} & RESERVED
    multi = [it for it in q.items if it.type == "multi"]
    assert len(multi) == 1 and [o.label for o in q.options_of(multi[0])] == ["老人", "婴幼儿", "都没有"]
    res = read_survey(q, src)
    col = [c for c in res.data.columns if c.startswith(multi[0].id + "__")][0]
    assert res.data[col].sum() == 4                         # rows 2, 5, 8, 11 ticked the first option


def test_an_analysis_plan_on_a_drafted_pilot_survey(tmp_path):
    """The helper-written WJX layout (35 respondents) drafted by init, its rating matrix as the
    construct: a structural model, a BCa mediation and a moderation by floor run to the report,
    named by the questionnaire's labels, with the small-sample caution."""
    out = tmp_path / "pilot"
    run_init([LAYOUTS / "wjx_text.xlsx"], out)
    q = load_questionnaire(out / "questionnaire.yaml")
    matrix = next(it for it in q.items if it.type == "matrix")
    rec = find(q, "推荐").id
    overall = q.roles.overall
    p = out / "study.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "analyses:\n"
                 f"  - {{type: sem, model: '{overall} ~ {matrix.construct}; {rec} ~ {matrix.construct} + {overall}'}}\n"
                 f"  - {{type: mediation, x: {matrix.construct}, m: {overall}, y: {rec}, ci: bca, n_boot: 500}}\n",
                 encoding="utf-8")
    res = _run(out)
    fit = pd.read_csv(res / "stats" / "sem_fit.csv", encoding="utf-8-sig").iloc[0]
    assert bool(fit["converged"]) and fit["df"] == 13 and fit["n"] < 40
    est = pd.read_csv(res / "stats" / "sem_estimates.csv", encoding="utf-8-sig")
    assert (est["kind"] == "loading").sum() == len(matrix.rows)
    assert set(est.loc[est["kind"] == "regression", "lhs_zh"]) == {"总体满意度", find(q, "推荐").text}
    med = pd.read_csv(res / "stats" / "mediation.csv", encoding="utf-8-sig")
    assert (med["interval"] == "bca").all() and med["label"].iloc[0].startswith("满意度 → 总体满意度 → ")
    md = (res / "report" / "report.md").read_text(encoding="utf-8")
    assert "结构方程模型：" in md and "样本量仅" in md and "![图" in md and "sem_path_1_zh.png" in md
