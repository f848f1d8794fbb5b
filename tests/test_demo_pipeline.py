"""The demo study end to end: twin exports agree, planted bad rows are the ones excluded."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from pipeline.core.study import Study
from pipeline.survey import clean, ingest

from .conftest import write_study


def _run(study_path):
    study = Study(study_path)
    ingest.run(study)
    log = clean.run(study)
    return study, log


@pytest.fixture(scope="module")
def runs(demo_dir):
    d, demo = demo_dir
    text = _run(write_study(d, ["raw/survey_by_text.xlsx"], name="text"))
    code = _run(write_study(d, ["raw/survey_by_code.xlsx"], name="code"))
    return d, demo, text, code


def test_twin_exports_clean_to_identical_values(runs):
    _, _, (st, _), (sc, _) = runs
    a = pd.read_parquet(st.stage_dir("clean") / "responses.parquet")
    b = pd.read_parquet(sc.stage_dir("clean") / "responses.parquet")
    assert len(a) == len(b) == 600
    skip = {"source_file", "source", "part_channels_other"}  # q18's fill-in exists only by text
    cols = [c for c in a.columns if c not in skip]
    assert cols == [c for c in b.columns if c not in skip]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert b["part_channels_other"].isna().all() and a["part_channels_other"].notna().any()
    # the by-code export carries the q23 fill-in in its own column
    pd.testing.assert_series_equal(a["problems_other"], b["problems_other"])
    ma = pd.read_parquet(st.stage_dir("clean") / "missing.parquet").drop(columns="source")
    mb = pd.read_parquet(sc.stage_dir("clean") / "missing.parquet").drop(columns="source")
    pd.testing.assert_frame_equal(ma, mb)


def test_planted_bad_rows_are_excluded_per_rule(runs):
    _, demo, (st, log), _ = runs
    ex = pd.read_csv(st.stage_dir("clean") / "exclusions.csv", encoding="utf-8-sig", dtype={"respondent": str})
    planted = demo.planted.assign(respondent=demo.planted["respondent"].astype(str))
    want_listed = {(r.respondent, rule) for r in planted.itertuples() for rule in r.rules.split(";")}
    got_listed = set(zip(ex["respondent"], ex["rule"]))
    assert got_listed == want_listed
    counted = ex[ex["counted"]]
    assert dict(zip(counted["respondent"], counted["rule"])) == dict(zip(planted["respondent"], planted["first_rule"]))
    per_rule = {r["rule"]: r["excluded"] for r in log["rules"]}
    assert per_rule == {**{r: 0 for r in per_rule}, **planted["first_rule"].value_counts().to_dict()}
    assert per_rule["speeder"] == 30 and per_rule["duplicate_answers"] == 12 and per_rule["straightlining"] == 9


def test_counts_reconcile(runs):
    _, _, (st, log), _ = runs
    on_disk = json.loads((st.stage_dir("clean") / "cleaning_log.json").read_text(encoding="utf-8"))
    assert on_disk["read"] == on_disk["kept"] + sum(r["excluded"] for r in on_disk["rules"]) == 681
    ex = pd.read_csv(st.stage_dir("clean") / "exclusions.csv", encoding="utf-8-sig")
    assert ex["counted"].sum() == on_disk["excluded"] == ex["respondent"].nunique() == 81
    straight = next(r for r in on_disk["rules"] if r["rule"] == "straightlining")
    assert (straight["flagged"], straight["excluded"]) == (18, 9)  # 9 also failed the attention check first
    kept = pd.read_parquet(st.stage_dir("clean") / "responses.parquet")
    assert not set(kept["respondent"]) & set(ex["respondent"].astype(str))
    miss = pd.read_parquet(st.stage_dir("clean") / "missing.parquet")
    assert (kept["respondent"].to_numpy()[miss["row"].to_numpy()] == miss["respondent"].to_numpy()).all()
    assert "ip_hash" not in kept.columns


def test_no_personal_data_in_outputs(runs):
    d, demo, _, _ = runs
    raw_ips = demo.by_text["来自IP"].str.extract(r"^([\d.]+)")[0]
    blob = b"".join(p.read_bytes() for p in (d / "out").rglob("*") if p.is_file())
    for ip in raw_ips.head(50):
        assert ip.encode() not in blob
    assert b"13812345678" not in blob
    for phone in demo.by_text["25、您对小区改造和今后管理还有哪些意见和建议？"].str.extract(r"(1[3-9]\d{9})")[0].dropna():
        assert phone.encode() not in blob


def test_gbk_csv_reads_like_the_utf8_one(demo_dir, tmp_path):
    d, demo = demo_dir
    q = Study(write_study(d, ["raw/survey_by_text.xlsx"], name="text")).questionnaire
    utf8, gbk = tmp_path / "utf8.csv", tmp_path / "gbk.csv"
    demo.by_text.to_csv(utf8, index=False, encoding="utf-8-sig")
    demo.by_text.to_csv(gbk, index=False, encoding="gbk")
    key = b"k" * 32  # by default each file keys its own IP pseudonyms
    a = ingest.read_survey(q, utf8, ip_key=key)
    b = ingest.read_survey(q, gbk, ip_key=key)
    assert (a.info["encoding"], b.info["encoding"]) == ("utf-8-sig", "gb18030")
    cols = [c for c in a.data.columns if c not in ("source_file", "source")]
    pd.testing.assert_frame_equal(a.data[cols], b.data[cols])
    xl = ingest.read_survey(q, d / "raw" / "survey_by_text.xlsx", ip_key=key).data
    pd.testing.assert_frame_equal(a.data[cols], xl[cols])


def test_same_inputs_give_byte_identical_tables(runs, tmp_path):
    d, _, (st, _), _ = runs
    again = _run(write_study(d, ["raw/survey_by_text.xlsx"], name="text_again"))[0]
    for stage, names in {"ingest": ["responses.parquet", "missing.parquet", "column_map.csv"],
                         "clean": ["responses.parquet", "missing.parquet", "exclusions.csv", "codebook.csv"]}.items():
        for n in names:
            h1 = hashlib.sha256((st.stage_dir(stage) / n).read_bytes()).hexdigest()
            h2 = hashlib.sha256((again.stage_dir(stage) / n).read_bytes()).hexdigest()
            assert h1 == h2, f"{stage}/{n} differs between two runs"


def test_clean_values_are_typed_and_labelled(runs):
    _, _, (st, _), _ = runs
    df = pd.read_parquet(st.stage_dir("clean") / "responses.parquet")
    assert str(df["sat_water"].dtype) == "Int16" and set(df["sat_water"].dropna()) <= {1, 2, 3, 4, 5}
    assert str(df["years_lived"].dtype) == "Float64"
    assert set(df["problems__funding"].dropna()) <= {0, 1}
    # a skipped multi-select is missing, not "not chosen"
    skipped = df["participated"] == 2
    assert df.loc[skipped, "part_stages__design"].isna().all()
    assert df.loc[~skipped, "part_stages__design"].notna().all()
    cb = pd.read_csv(st.stage_dir("clean") / "codebook.csv", encoding="utf-8-sig", dtype=str)
    row = cb[(cb["column"] == "overall_sat") & (cb["code"] == "5")]
    assert row["label_zh"].item() == "非常满意" and row["label_en"].item() == "Very satisfied"
    manifest = json.loads((st.stage_dir("clean") / "manifest.json").read_text())
    assert manifest["seed"] == 20240501 and "pandas" in manifest["versions"]
