"""Findings: indicator estimates and judgements, interview evidence by role, convergence, ranks."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from pipeline.core.resources import CODING_SCHEMES
from pipeline.findings import stage as fd
from pipeline.stats import wilson_ci


def test_wilson_equals_statsmodels():
    # the findings' share indicators use pipeline.stats.wilson_ci
    for k, n in [(0, 10), (3, 10), (232, 600), (600, 600)]:
        lo, hi = wilson_ci(k, n)
        ref = proportion_confint(k, n, method="wilson")
        assert (lo, hi) == pytest.approx(ref, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("est, lo, hi, direction, threshold, expected", [
    (40, 35, 45, "above", 30, "strong"), (32, 28, 36, "above", 30, "moderate"), (29, 25, 33, "above", 30, "none"),
    (20, 15, 25, "above", 30, "contradicts"), (50, 45, 55, "below", 60, "strong"),
    (58, 55, 61, "below", 60, "moderate"), (70, 65, 75, "below", 60, "contradicts"),
    (3, math.nan, math.nan, "above", 0, "moderate"), (0, math.nan, math.nan, "above", 0, "none"),
])
def test_judgement(est, lo, hi, direction, threshold, expected):
    assert fd._judge(est, lo, hi, direction, threshold) == expected


def test_convergence():
    assert fd._convergence("strong", "moderate") == "both"
    assert fd._convergence("contradicts", "strong") == "conflict"
    assert fd._convergence("moderate", "none") == "survey_only"
    assert fd._convergence("none", "strong") == "interviews_only"
    assert fd._convergence("contradicts", "none") == "neither"


def _segments():
    rows = []
    for inf, role, texts in [("G1", "street_office", ["资金缺口很大。", "天气不错。"]),
                             ("J1", "residents_committee", ["钱不够用。"]),
                             ("R1", "resident", ["我很不满意。"]), ("R2", "resident", ["挺好的。"])]:
        for i, t in enumerate(texts):
            rows.append({"segment_id": f"{inf}-{i}", "document": f"{inf}.txt", "informant": inf, "role": role,
                         "is_interviewer": False, "text": t, "start": 0, "end": len(t)})
    return pd.DataFrame(rows)


def test_interview_evidence_by_role_with_quotes_and_filter():
    segs = _segments()
    cod = pd.DataFrame({"segment_id": ["G1-0", "J1-0", "R1-0", "R2-0"], "document": ["G1.txt", "J1.txt", "R1.txt", "R2.txt"],
                        "informant": ["G1", "J1", "R1", "R2"],
                        "role": ["street_office", "residents_committee", "resident", "resident"],
                        "code": ["funding_pressure", "funding_pressure", "satisfaction", "satisfaction"],
                        "start": [0, 0, 0, 0], "end": [7, 5, 6, 4], "n_matches": [1, 1, 1, 1]})
    rules = fd.InterviewRules(strong_share=0.5, strong_roles=2, moderate_informants=1)
    ev = fd.interview_evidence(fd.Problem(id="funding_pressure", label={"zh": "资金压力"}, codes=["funding_pressure"]),
                               cod, segs, rules)
    assert ev["informants"] == 2 and ev["informants_total"] == 4 and ev["support"] == "strong"
    assert ev["by_role"].to_dict() == {"residents_committee": 1, "street_office": 1}
    assert set(ev["quotes"]["quote"]) == {"资金缺口很大。", "钱不够用。"}
    low = fd.Problem(id="low_satisfaction", label={"zh": "满意度偏低"}, codes=["satisfaction"], segment_filter="不满")
    ev = fd.interview_evidence(low, cod, segs, rules)
    assert ev["informants"] == 1 and ev["quotes"]["informant"].tolist() == ["R1"] and ev["support"] == "moderate"


def test_demo_findings(demo_clean, demo_interviews):
    st, responses = demo_clean
    iv = demo_interviews
    cat = fd.load_catalogue(CODING_SCHEMES / "problems.yaml")
    codings = pd.read_parquet(iv.stage_dir("coding") / "codings.parquet")
    segments = pd.read_parquet(iv.stage_dir("interviews") / "segments.parquet")
    t = fd.build(cat, responses, st.questionnaire, None, codings, segments)
    f = t["findings"].set_index("problem")
    assert list(f.index) == [p.id for p in cat.problems]
    assert sorted(f["rank"]) == list(range(1, 7))
    for p in ["funding_pressure", "weak_coordination", "low_participation", "long_term_management"]:
        row = f.loc[p]
        assert row.survey_support in ("strong", "moderate") and row.interview_support in ("strong", "moderate")
        assert row.convergence == "both" and row.quotes.count("“") >= 2 and "%" in row.survey_evidence
    ind = t["indicators"].set_index("indicator")
    # the demo's clean sample: 232 of 600 unwilling to pay; participation 327 of 600 (stats/participation_overall)
    assert ind.loc["unwilling_to_pay", "detail"] == "232/600"
    assert ind.loc["participation_rate", "estimate"] == pytest.approx(54.5)
    lo, hi = proportion_confint(327, 600, method="wilson")
    assert ind.loc["participation_rate", "ci95_low"] == pytest.approx(100 * lo)
    stake = t["stakeholder_problem"]
    assert set(stake["role"]) == set(segments["role"]) and stake["pct"].between(0, 100).all()
    q = t["quotes"]
    assert (q.groupby("problem")["informant"].nunique() == q.groupby("problem").size()).all()


def test_indicators_the_questionnaire_lacks_are_not_measured(demo_clean):
    """Another questionnaire: the catalogue's items and constructs it lacks are listed as not
    measured, with the reason; the problem is judged on what is measured; nothing crashes."""
    st, responses = demo_clean
    cat = fd.load_catalogue(CODING_SCHEMES / "problems.yaml")
    fewer = responses.drop(columns=["willing_pay"])
    t = fd.build(cat, fewer, st.questionnaire, None, None, None)
    ind = t["indicators"].set_index("indicator")
    assert ind.loc["unwilling_to_pay", "support"] == "not_measured"
    assert ind.loc["unwilling_to_pay", "detail"] == "no item 'willing_pay'"
    f = t["findings"].set_index("problem")
    assert f.loc["funding_pressure", "survey_evidence"].endswith("；未测量：不愿为改造或维护出资")  # item in indicators.csv
    assert f.loc["funding_pressure", "survey_support"] in ("strong", "moderate", "none", "contradicts")
    # a questionnaire without any of a problem's items: the survey did not measure it
    only = responses[["respondent"]].copy()
    t = fd.build(cat, only, st.questionnaire, None, None, None)
    assert set(t["findings"]["survey_support"]) == {"not_measured"}


def test_open_answers_are_a_third_strand(demo_clean):
    """The survey's own open answers (建议 and 'other' fill-ins) coded with the interview codebook:
    per problem, the share of respondents who wrote something whose words raise it, with a
    Wilson CI, next to the closed items."""
    import numpy as np

    from pipeline.findings.stage import build, code_open_answers, open_answer_texts
    from pipeline.interviews.codebook import load_codebook
    from pipeline.stats import wilson_ci

    st, responses = demo_clean
    texts = open_answer_texts(responses, st.questionnaire)
    assert set(texts["item"]) <= {"suggestions", "part_channels_other", "problems_other", "gender_other"} | \
        {f"{it.id}_other" for it in st.questionnaire.items}
    assert texts["text"].str.strip().ne("").all() and not texts["text"].str.contains(r"1[3-9]\d{9}").any()
    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    coded = code_open_answers(texts, book)
    cat = fd.load_catalogue(CODING_SCHEMES / "problems.yaml")
    f = build(cat, responses, st.questionnaire, None, None, None, coded, texts)["findings"].set_index("problem")
    n = texts["respondent"].nunique()
    for p in cat.problems:
        k = coded[coded["code"].isin(p.codes)]["respondent"].nunique() if not p.segment_filter else None
        assert f.loc[p.id, "open_n"] == n
        if k is not None:
            assert f.loc[p.id, "open_k"] == k
            lo, hi = wilson_ci(k, n)
            assert f.loc[p.id, "open_ci95_low"] == pytest.approx(max(0, 100 * lo), abs=1e-9)
            assert f.loc[p.id, "open_ci95_high"] == pytest.approx(100 * hi, abs=1e-9)
    assert f["open_k"].sum() > 0 and np.isfinite(f["open_pct"]).all()
