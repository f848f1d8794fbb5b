"""Survey weights against R's survey package (4.1.1): postStratify, rake, svymean with
linearised SEs and design effects, on the California API data shipped with survey.

Reference values: tests/reference/survey_weights.json (tests/reference/survey_weights.R) and
tests/reference/weights_extra.json (tests/reference/weights_extra.R, which also writes the data
in tests/reference/data/). Each test states the R call above the numbers it pins.

In R (once):
    library(survey); data(api)
    pop.types   <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
    pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
    pop.awards  <- data.frame(awards = c("No", "Yes"), Freq = c(2027, 4167))
    tight       <- list(maxit = 1000, epsilon = 1e-12)
    hi700 = as.numeric(api00 > 700); api_band = low (< 600) / mid (< 750) / high
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.stats.weighted import weighted_mean, weighted_proportions
from pipeline.stats.weights import community_weights, poststratify, rake
from pipeline.survey.questionnaire import load_questionnaire
from tests.conftest import QUESTIONNAIRE

REF = Path(__file__).parent / "reference"
DATA = REF / "data"
ROOT = Path(__file__).resolve().parents[1]
RTOL = 1e-9          # observed agreement is about 1e-14


def _load(name: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / f"{name}.csv", keep_default_na=False, na_values=[""])
    d["hi700"] = (d["api00"] > 700).astype(float)
    d["api_band"] = pd.Categorical(
        np.where(d["api00"] < 600, "low", np.where(d["api00"] < 750, "mid", "high")),
        categories=["low", "mid", "high"])
    return d


@pytest.fixture(scope="module")
def apistrat():
    return _load("apistrat")


@pytest.fixture(scope="module")
def apiclus1():
    return _load("apiclus1")


@pytest.fixture(scope="module")
def pop():
    """apipop margins, summed from the stype x sch.wide x awards counts written by R."""
    c = pd.read_csv(DATA / "apipop_counts.csv")
    margin = lambda v: c.groupby(v)["Freq"].sum().to_dict()
    cells = c.groupby(["stype", "sch.wide"])["Freq"].sum().to_dict()
    return {"stype": margin("stype"), "sch.wide": margin("sch.wide"),
            "awards": margin("awards"), "cells": cells}


@pytest.fixture(scope="module")
def extra():
    return json.loads((REF / "weights_extra.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ref():
    p = REF / "survey_weights.json"
    if not p.exists():
        pytest.skip("tests/reference/survey_weights.json not generated yet")
    return json.loads(p.read_text(encoding="utf-8"))


def _close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(actual, float), np.atleast_1d(np.asarray(expected, float)),
                               rtol=rtol, atol=0)


def test_population_margins(pop, ref):
    # R: table(apipop$stype); table(apipop$sch.wide); table(apipop$awards)
    assert pop["stype"] == {"E": 4421, "H": 755, "M": 1018} == ref["data"]["pop_stype"]
    assert pop["sch.wide"] == {"No": 1072, "Yes": 5122} == ref["data"]["pop_sch_wide"]
    assert pop["awards"] == {"No": 2027, "Yes": 4167}


# ---------------------------------------------------------------- weights

def test_poststratify_weights(apistrat, pop, ref):
    # R: weights(postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat), ~stype, pop.types))
    w = poststratify(apistrat, "stype", pop["stype"], weight="pw")
    expected = ref["apistrat"]["weights_only"]["postStratify_stype"]["weights"]["weights_by_snum"]
    _close(w, [expected[str(s)] for s in apistrat["snum"]])
    assert w.name == "weight" and w.index.equals(apistrat.index)
    assert w.groupby(apistrat["stype"]).sum().to_dict() == pytest.approx(pop["stype"], rel=1e-12)
    # the population as a DataFrame (R's data.frame(stype, Freq)) or a Series gives the same
    frame = pd.DataFrame({"stype": ["E", "H", "M"], "Freq": [4421, 755, 1018]})
    _close(poststratify(apistrat, "stype", frame, weight="pw"), w, 1e-15)
    _close(poststratify(apistrat, "stype", frame.set_index("stype")["Freq"],
                        weight=apistrat["pw"]), w, 1e-15)


def test_poststratify_cells(apistrat, pop, extra):
    # R: weights(postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat),
    #                         ~stype + sch.wide, pop.cells))   # pop.cells: apipop stype x sch.wide
    w = poststratify(apistrat, ["stype", "sch.wide"], pop["cells"], weight="pw")
    _close(w, extra["cases"]["w_ps_cells"]["weights"])
    assert w.sum() == pytest.approx(6194, rel=1e-12)


def test_rake_weights_default_and_tight(apistrat, pop, ref, extra):
    margins = {"stype": pop["stype"], "sch.wide": pop["sch.wide"]}
    # R: rake(svydesign(id = ~1, weights = ~pw, data = apistrat), list(~stype, ~sch.wide),
    #         list(pop.types, pop.schwide))           # control: maxit = 10, epsilon = 1
    w = rake(apistrat, margins, weight="pw", max_iter=10, tol=1)
    r = ref["apistrat"]["weights_only"]
    _close(w, [r["rake_stype_schwide"]["weights"]["weights_by_snum"][str(s)] for s in apistrat["snum"]])
    # R: svytable(~stype, rk): E 4420.95330194963, H 755.029907224598, M 1018.01679082577
    _close(w.groupby(apistrat["stype"]).sum(), list(r["rake_margins_default"]["stype"].values()))
    assert w.attrs["converged"]
    # R: the same with control = list(maxit = 1000, epsilon = 1e-12)
    wt = rake(apistrat, margins, weight="pw", max_iter=1000, tol=1e-12)
    _close(wt, [r["rake_stype_schwide_tight"]["weights"]["weights_by_snum"][str(s)]
                for s in apistrat["snum"]])
    for col, tot in margins.items():
        assert wt.groupby(apistrat[col]).sum().to_dict() == pytest.approx(tot, rel=1e-10)
    # three margins from equal weights
    # R: weights(rake(svydesign(id = ~1, weights = ~w_equal, data = apistrat),
    #                 list(~stype, ~sch.wide, ~awards), list(pop.types, pop.schwide, pop.awards)))
    m3 = {**margins, "awards": pop["awards"]}
    _close(rake(apistrat, m3, max_iter=10, tol=1), extra["cases"]["eq_rake3"]["weights"])
    # R: the same with control = tight
    _close(rake(apistrat, m3, max_iter=1000, tol=1e-12), extra["cases"]["eq_rake3_tight"]["weights"])


def test_rake_not_converged_warns(apistrat, pop):
    m3 = {"stype": pop["stype"], "sch.wide": pop["sch.wide"], "awards": pop["awards"]}
    with pytest.warns(RuntimeWarning, match="Raking did not converge after 2 iterations"):
        w = rake(apistrat, m3, max_iter=2, tol=1e-12)
    assert not w.attrs["converged"] and w.attrs["iterations"] == 2


# ---------------------------------------------------------------- means against survey_weights.json

DESIGNS = {
    # R: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
    "stratified_fpc": {"weights": "pw", "strata": "stype", "fpc": "fpc"},
    # R: svydesign(id = ~1, weights = ~pw, data = apistrat)
    "weights_only": {"weights": "pw"},
    # R: svydesign(id = ~1, weights = ~w_equal, data = apistrat)
    "equal_weights": {"weights": None},
}


def _calibrations(pop):
    both = {"stype": pop["stype"], "sch.wide": pop["sch.wide"]}
    return {
        "design": {},
        # R: postStratify(design, ~stype, pop.types)
        "postStratify_stype": {"poststrata": "stype", "population": pop["stype"]},
        # R: rake(design, list(~stype, ~sch.wide), list(pop.types, pop.schwide))
        "rake_stype_schwide": {"poststrata": ["stype", "sch.wide"], "population": both,
                               "calibration": "rake", "max_iter": 10, "tol": 1},
        # R: rake(..., control = list(maxit = 1000, epsilon = 1e-12))
        "rake_stype_schwide_tight": {"poststrata": ["stype", "sch.wide"], "population": both,
                                     "calibration": "rake", "max_iter": 1000, "tol": 1e-12},
    }


@pytest.mark.parametrize("design", list(DESIGNS))
@pytest.mark.parametrize("calib", ["design", "postStratify_stype", "rake_stype_schwide",
                                   "rake_stype_schwide_tight"])
@pytest.mark.parametrize("var", ["api00", "hi700"])
def test_apistrat_against_survey(apistrat, pop, ref, design, calib, var):
    # R: svymean(~var, <calibrated design>, deff = TRUE); svymean(..., deff = "replace")
    r = ref["apistrat"][design][calib][var]
    kw = {**DESIGNS[design], **_calibrations(pop)[calib]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # deff NaN for unscaled equal weights
        got = weighted_mean(apistrat, var, **kw).iloc[0]
    _close(got["mean"], r["mean"])
    _close(got["se"], r["se"])
    if r["deff"] is None:   # R: Inf (weights sum to n, so (N - n)/N = 0)
        assert np.isnan(got["deff"])
    else:
        _close(got["deff"], r["deff"])
    rep = weighted_mean(apistrat, var, deff="srswr", **kw).iloc[0]
    _close(rep["deff"], r["deff_replace"])
    # R: confint(svymean(~var, design))  (df = Inf: normal quantile)
    _close([got["ci95_low"], got["ci95_high"]],
           [r["mean"] - 1.959963984540054 * r["se"], r["mean"] + 1.959963984540054 * r["se"]])


@pytest.mark.parametrize("calib", ["design", "postStratify_stype", "rake_stype_schwide"])
def test_apiclus1_against_survey(apiclus1, pop, ref, calib):
    # R: dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
    #    svymean(~api00, dclus1, deff = TRUE)                       mean 644.169398907104, SE 23.2577...
    #    svymean(~api00, postStratify(dclus1, ~stype, pop.types), deff = TRUE)
    #    svymean(~api00, rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)))
    kw = {"weights": "pw", "cluster": "dnum", "fpc": "fpc", **_calibrations(pop)[calib]}
    got = weighted_mean(apiclus1, ["api00", "hi700"], **kw)
    rep = weighted_mean(apiclus1, ["api00", "hi700"], deff="srswr", **kw)
    r = ref["apiclus1"][calib]
    for i, var in enumerate(["api00", "hi700"]):
        _close(got.loc[i, ["mean", "se", "deff"]].to_numpy(float),
               [r[var]["mean"], r[var]["se"], r[var]["deff"]])
        _close(rep.loc[i, "deff"], r[var]["deff_replace"])
    assert list(got.columns) == ["variable", "n", "mean", "se", "ci95_low", "ci95_high", "deff"]
    assert got["n"].tolist() == [183, 183]


# ---------------------------------------------------------------- means against weights_extra.json

def _extra_specs(pop):
    pt, ps, pa = pop["stype"], pop["sch.wide"], pop["awards"]
    clus = {"weights": "pw", "cluster": "dnum"}
    clus_fpc = {**clus, "fpc": "fpc"}
    rake2 = {"poststrata": ["stype", "sch.wide"], "population": {"stype": pt, "sch.wide": ps},
             "calibration": "rake"}
    rake3 = {"poststrata": ["stype", "sch.wide", "awards"],
             "population": {"stype": pt, "sch.wide": ps, "awards": pa}, "calibration": "rake"}
    default, tight = {"max_iter": 10, "tol": 1}, {"max_iter": 1000, "tol": 1e-12}
    return {
        # R: svydesign(id = ~dnum, weights = ~pw, data = apiclus1)  (with replacement)
        "clus1_wr": ("apiclus1", clus),
        # R: postStratify(dclus1_wr, ~stype, pop.types)
        "clus1_wr_ps_stype": ("apiclus1", {**clus, "poststrata": "stype", "population": pt}),
        # R: dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
        "clus1_fpc": ("apiclus1", clus_fpc),
        # R: postStratify(dclus1, ~stype, pop.types)
        "clus1_fpc_ps_stype": ("apiclus1", {**clus_fpc, "poststrata": "stype", "population": pt}),
        # R: rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))
        "clus1_fpc_rake": ("apiclus1", {**clus_fpc, **rake2, **default}),
        # R: rake(dclus1, ..., control = tight)
        "clus1_fpc_rake_tight": ("apiclus1", {**clus_fpc, **rake2, **tight}),
        # R: dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
        "strat_fpc": ("apistrat", {"weights": "pw", "strata": "stype", "fpc": "fpc"}),
        # R: postStratify(dstrat, ~sch.wide, pop.schwide)
        "strat_fpc_ps_schwide": ("apistrat", {"weights": "pw", "strata": "stype", "fpc": "fpc",
                                              "poststrata": "sch.wide", "population": ps}),
        # R: dstrat_clus <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = apistrat,
        #                            nest = TRUE)
        "strat_clus": ("apistrat", {"weights": "pw", "strata": "stype", "cluster": "dnum"}),
        # R: postStratify(dstrat_clus, ~awards, pop.awards)
        "strat_clus_ps_awards": ("apistrat", {"weights": "pw", "strata": "stype", "cluster": "dnum",
                                              "poststrata": "awards", "population": pa}),
        # R: postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat), ~stype, pop.types)
        "w_ps_stype": ("apistrat", {"weights": "pw", "poststrata": "stype", "population": pt}),
        # R: postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat), ~stype + sch.wide,
        #                 pop.cells)
        "w_ps_cells": ("apistrat", {"weights": "pw", "poststrata": ["stype", "sch.wide"],
                                    "population": pop["cells"]}),
        # R: rake(svydesign(id = ~1, weights = ~pw, data = apistrat), list(~stype, ~sch.wide),
        #         list(pop.types, pop.schwide), control = tight)
        "w_rake_tight": ("apistrat", {"weights": "pw", **rake2, **tight}),
        # R: rake(svydesign(id = ~1, weights = ~w_equal, data = apistrat),
        #         list(~stype, ~sch.wide, ~awards), list(pop.types, pop.schwide, pop.awards))
        "eq_rake3": ("apistrat", {"weights": None, **rake3, **default}),
        # R: the same with control = tight
        "eq_rake3_tight": ("apistrat", {"weights": None, **rake3, **tight}),
    }


EXTRA_CASES = ["clus1_wr", "clus1_wr_ps_stype", "clus1_fpc", "clus1_fpc_ps_stype", "clus1_fpc_rake",
               "clus1_fpc_rake_tight", "strat_fpc", "strat_fpc_ps_schwide", "strat_clus",
               "strat_clus_ps_awards", "w_ps_stype", "w_ps_cells", "w_rake_tight", "eq_rake3",
               "eq_rake3_tight"]


@pytest.mark.parametrize("case", EXTRA_CASES)
def test_means_and_proportions_against_survey(request, pop, extra, case):
    # R: svymean(~api00, design, deff = TRUE); svymean(~hi700, ...); svymean(~api_band, ...)
    #    and the same with deff = "replace"  (design: see _extra_specs)
    name, kw = _extra_specs(pop)[case]
    d = request.getfixturevalue(name)
    r = extra["cases"][case]
    means = weighted_mean(d, ["api00", "hi700"], **kw)
    means_r = weighted_mean(d, ["api00", "hi700"], deff="srswr", **kw)
    for i, var in enumerate(["api00", "hi700"]):
        _close(means.loc[i, ["mean", "se", "deff"]].to_numpy(float),
               [r[var]["mean"], r[var]["se"], r[var]["deff"]])
        _close(means_r.loc[i, "deff"], r[var]["deff_replace"])
    props = weighted_proportions(d, "api_band", **kw)
    props_r = weighted_proportions(d, "api_band", deff="srswr", **kw)
    assert props["category"].tolist() == ["low", "mid", "high"]
    assert [f"api_band{c}" for c in props["category"]] == r["api_band"]["names"]
    _close(props["proportion"], r["api_band"]["mean"])
    _close(props["se"], r["api_band"]["se"])
    _close(props["deff"], r["api_band"]["deff"])
    _close(props_r["deff"], r["api_band"]["deff_replace"])
    assert props["proportion"].sum() == pytest.approx(1, abs=1e-12)
    assert props["count"].sum() == props["n"].iloc[0] == len(d)


@pytest.mark.parametrize("case, name, var, kw", [
    # R: svymean(~avg.ed, dclus1, na.rm = TRUE, deff = TRUE)
    ("clus1_fpc_avg_ed", "apiclus1", "avg.ed", {"weights": "pw", "cluster": "dnum", "fpc": "fpc"}),
    # R: svymean(~avg.ed, postStratify(dclus1, ~stype, pop.types), na.rm = TRUE, deff = TRUE)
    ("clus1_fpc_ps_avg_ed", "apiclus1", "avg.ed",
     {"weights": "pw", "cluster": "dnum", "fpc": "fpc", "poststrata": "stype", "population": "stype"}),
    # R: svymean(~avg.ed, rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
    #                          control = tight), na.rm = TRUE, deff = TRUE)
    ("clus1_fpc_rake_tight_avg_ed", "apiclus1", "avg.ed",
     {"weights": "pw", "cluster": "dnum", "fpc": "fpc", "poststrata": ["stype", "sch.wide"],
      "population": "rake2", "calibration": "rake", "max_iter": 1000, "tol": 1e-12}),
    # R: svymean(~acs.46, dstrat, na.rm = TRUE, deff = TRUE)
    ("strat_fpc_acs46", "apistrat", "acs.46", {"weights": "pw", "strata": "stype", "fpc": "fpc"}),
    # R: svymean(~acs.46, postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat), ~stype,
    #                                  pop.types), na.rm = TRUE, deff = TRUE)
    ("w_ps_stype_acs46", "apistrat", "acs.46",
     {"weights": "pw", "poststrata": "stype", "population": "stype"}),
])
def test_missing_values_as_survey_na_rm(request, pop, extra, case, name, var, kw):
    d = request.getfixturevalue(name)
    kw = dict(kw)
    if kw.get("population") == "stype":
        kw["population"] = pop["stype"]
    elif kw.get("population") == "rake2":
        kw["population"] = {"stype": pop["stype"], "sch.wide": pop["sch.wide"]}
    r = extra["na_rm"][case][var]
    got = weighted_mean(d, var, **kw).iloc[0]
    _close([got["mean"], got["se"], got["deff"]], [r["mean"], r["se"], r["deff"]])
    assert got["n"] == d[var].notna().sum()


def test_listwise_as_survey_na_rm(apiclus1, pop, extra):
    # R: svymean(~acs.46 + avg.ed, postStratify(dclus1, ~stype, pop.types), na.rm = TRUE, deff = TRUE)
    #    acs.46 29.1250967058106 (SE 0.468498187385768), avg.ed 2.62522857325708 (SE 0.0987343315962006)
    r = extra["na_rm"]["clus1_fpc_ps_listwise"]
    got = weighted_mean(apiclus1, ["acs.46", "avg.ed"], "pw", cluster="dnum", fpc="fpc",
                        poststrata="stype", population=pop["stype"], nan_policy="listwise")
    _close(got["mean"], r["mean"])
    _close(got["se"], r["se"])
    _close(got["deff"], r["deff"])
    assert got["n"].tolist() == [r["n"], r["n"]] == [131, 131]


# ---------------------------------------------------------------- weights computed beforehand

def test_precomputed_weights_give_the_calibrated_variance(apistrat, apiclus1, pop, ref, extra):
    # post-stratified weights + poststrata, no population: the same as calibrating inside
    # R: svymean(~api00, postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat), ~stype,
    #            pop.types), deff = TRUE)
    w = poststratify(apistrat, "stype", pop["stype"], weight="pw")
    got = weighted_mean(apistrat, ["api00", "hi700"], w, poststrata="stype")
    r = ref["apistrat"]["weights_only"]["postStratify_stype"]
    _close(got["mean"], [r["api00"]["mean"], r["hi700"]["mean"]])
    _close(got["se"], [r["api00"]["se"], r["hi700"]["se"]])
    _close(got["deff"], [r["api00"]["deff"], r["hi700"]["deff"]])
    # without poststrata the calibration is ignored: the SE is that of fixed weights, here
    # (w = pw up to pw's float32 rounding) that of svymean(~api00, svydesign(id = ~1, weights = ~pw))
    plain = weighted_mean(apistrat, "api00", w).iloc[0]
    _close(plain["se"], ref["apistrat"]["weights_only"]["design"]["api00"]["se"], rtol=1e-6)
    assert plain["se"] > got.loc[0, "se"]
    # converged raked weights + the margins: the same as raking inside
    # R: svymean(~api00, rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
    #            control = tight), deff = TRUE)
    margins = {"stype": pop["stype"], "sch.wide": pop["sch.wide"]}
    wr = rake(apiclus1, margins, weight="pw", max_iter=1000, tol=1e-12)
    got = weighted_mean(apiclus1, ["api00", "hi700"], wr, cluster="dnum", fpc="fpc",
                        poststrata=["stype", "sch.wide"], calibration="rake")
    r = extra["cases"]["clus1_fpc_rake_tight"]
    _close(got["se"], [r["api00"]["se"], r["hi700"]["se"]])
    # R's default rake stops early (epsilon = 1 school): its SE uses each margin's weights from
    # the last pass; the final weights alone agree to about 1.5e-6
    # R: svymean(~api00, rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)))
    wd = rake(apiclus1, margins, weight="pw", max_iter=10, tol=1)
    got = weighted_mean(apiclus1, ["api00", "hi700"], wd, cluster="dnum", fpc="fpc",
                        poststrata=["stype", "sch.wide"], calibration="rake")
    r = ref["apiclus1"]["rake_stype_schwide"]
    _close(got["mean"], [r["api00"]["mean"], r["hi700"]["mean"]])
    _close(got["se"], [r["api00"]["se"], r["hi700"]["se"]], rtol=1e-5)


def test_proportions_levels_and_unused_category(apistrat):
    # R: svymean(~factor(stype, levels = c("E", "H", "M", "X")), dstrat): X has proportion 0, SE 0
    got = weighted_proportions(apistrat, "stype", "pw", strata="stype", fpc="fpc",
                               levels=["E", "H", "M", "X"])
    assert got["category"].tolist() == ["E", "H", "M", "X"]
    _close(got["proportion"], [4421 / 6194, 755 / 6194, 1018 / 6194, 0], rtol=1e-6)
    assert (got["se"] < 1e-12).all()          # stratified on stype: the shares are known
    assert got["count"].tolist() == [100, 50, 50, 0]
    with pytest.raises(ValueError, match=r"column 'stype' has values not in levels \['E', 'H'\]: \['M'\]"):
        weighted_proportions(apistrat, "stype", "pw", levels=["E", "H"])


# ---------------------------------------------------------------- errors

def test_poststratify_population_stratum_absent_from_sample(apistrat):
    with pytest.raises(ValueError, match=r"in the population are absent from the sample .*\['X'\]"):
        poststratify(apistrat, "stype", {"E": 4421, "H": 755, "M": 1018, "X": 10})
    # a stratum with total 0 and no respondents is ignored (as survey's postStratify)
    w = poststratify(apistrat, "stype", {"E": 4421, "H": 755, "M": 1018, "X": 0})
    assert w.sum() == pytest.approx(6194)


def test_poststratify_sample_stratum_absent_from_population(apistrat):
    with pytest.raises(ValueError, match=r"in the sample are absent from the population .*\['M'\]"):
        poststratify(apistrat, "stype", {"E": 4421, "H": 755})
    with pytest.raises(ValueError, match=r"different types"):
        poststratify(pd.DataFrame({"c": [1, 2, 2]}), "c", {"1": 10, "2": 20})


def test_poststratify_input_errors(apistrat):
    d = apistrat[["stype", "pw"]].copy()
    d.loc[3, "stype"] = None
    with pytest.raises(ValueError, match=r"stratum \['stype'\] missing in 1 row\(s\) \(row labels \[3\]\)"):
        poststratify(d, "stype", {"E": 1, "H": 1, "M": 1})
    with pytest.raises(ValueError, match=r"stratum column\(s\) \['school_type'\] not in the data"):
        poststratify(apistrat, "school_type", {"E": 1})
    with pytest.raises(ValueError, match=r"weight must be >= 0"):
        poststratify(apistrat, "stype", {"E": 1, "H": 1, "M": 1}, weight=-apistrat["pw"])
    with pytest.raises(ValueError, match=r"not aligned with data"):
        poststratify(apistrat, "stype", {"E": 1, "H": 1, "M": 1}, weight=apistrat["pw"].iloc[:10])
    with pytest.raises(ValueError, match=r"exactly one column of totals"):
        poststratify(apistrat, "stype", pd.DataFrame({"stype": ["E"], "a": [1], "b": [2]}))
    with pytest.raises(ValueError, match=r"total of stratum 'E' must be a finite number >= 0"):
        poststratify(apistrat, "stype", {"E": -1, "H": 1, "M": 1})


def test_design_errors(apistrat, apiclus1, pop):
    with pytest.raises(ValueError, match=r"The 'deff' parameter must be one of .* Got 'TRUE' instead"):
        weighted_mean(apistrat, "api00", "pw", deff="TRUE")
    with pytest.raises(ValueError, match=r"The 'calibration' parameter must be one of"):
        weighted_mean(apistrat, "api00", "pw", poststrata="stype", calibration="raking")
    with pytest.raises(ValueError, match=r"stratum 'H' has only one PSU"):
        weighted_mean(apiclus1.assign(one=1), "api00", "pw", strata="stype", cluster="one")
    with pytest.raises(ValueError, match=r"fpc column 'enroll' varies within stratum 'E'"):
        weighted_mean(apistrat, "api00", "pw", strata="stype", fpc="enroll")
    small = apistrat.assign(fpc2=apistrat["stype"].map({"E": 4421, "H": 20, "M": 1018}))
    with pytest.raises(ValueError, match=r"more than 100% sampling in stratum 'H'"):
        weighted_mean(small, "api00", "pw", strata="stype", fpc="fpc2")
    with pytest.raises(ValueError, match=r"use calibration='rake'"):
        weighted_mean(apistrat, "api00", "pw", poststrata=["stype", "sch.wide"],
                      population={"stype": pop["stype"], "sch.wide": pop["sch.wide"]})
    with pytest.raises(ValueError, match=r"population is given but poststrata is not"):
        weighted_mean(apistrat, "api00", "pw", population=pop["stype"])
    with pytest.raises(ValueError, match=r"column 'sname' is not numeric"):
        weighted_mean(apistrat, "sname", "pw")
    with pytest.raises(ValueError, match=r"The 'nan_policy' parameter must be one of"):
        weighted_mean(apistrat, "api00", "pw", nan_policy="pairwise")


def test_fpc_as_sampling_fraction(apistrat, ref):
    # R: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~frac, data = apistrat) with
    #    frac = n_h / N_h gives the same design as fpc = ~fpc (all fpc <= 1 are fractions)
    d = apistrat.assign(frac=apistrat.groupby("stype")["stype"].transform("size") / apistrat["fpc"])
    got = weighted_mean(d, "api00", "pw", strata="stype", fpc="frac").iloc[0]
    r = ref["apistrat"]["stratified_fpc"]["design"]["api00"]
    _close([got["mean"], got["se"], got["deff"]], [r["mean"], r["se"], r["deff"]])
    with pytest.raises(ValueError, match=r"mixes population sizes \(> 1\) and sampling fractions"):
        weighted_mean(d.assign(frac=np.where(d["stype"] == "E", 0.5, 755)), "api00", "pw",
                      strata="stype", fpc="frac")


def test_deff_needs_weights_scaled_to_the_population(apistrat):
    # R: svymean(~api00, svydesign(id = ~1, weights = ~w_equal, data = apistrat), deff = TRUE)
    #    gives deff Inf: the weights sum to n
    with pytest.warns(RuntimeWarning, match=r"deff is NaN: the weights sum to 200.*deff='srswr'"):
        got = weighted_mean(apistrat, "api00", None).iloc[0]
    assert np.isnan(got["deff"])
    # R: svymean(~api00, svydesign(id = ~1, weights = ~w_equal, data = apistrat), deff = "replace")
    #    deff 1 (equal weights, simple random sample)
    assert weighted_mean(apistrat, "api00", None, deff="srswr").iloc[0]["deff"] == pytest.approx(1)


# ---------------------------------------------------------------- the demo study

@pytest.fixture(scope="module")
def community_labels():
    q = load_questionnaire(QUESTIONNAIRE)
    return {o.code: o.label for o in q.options_of(q.item_index["community"])}


@pytest.fixture(scope="module")
def demo_communities(demo):
    """The community codes (q7) of the generated demo's by-code export."""
    col = next(c for c in demo.by_code.columns if str(c).startswith("7、"))
    return pd.DataFrame({"community": demo.by_code[col].astype("int64")})


HOUSEHOLDS = ROOT / "examples" / "demo" / "raw" / "households.csv"


def test_demo_weighted_counts_equal_households(demo_communities, community_labels):
    hh = pd.read_csv(HOUSEHOLDS, encoding="utf-8-sig")
    by_code = {code: int(hh.loc[hh["community"] == lab, "households"].iloc[0])
               for code, lab in community_labels.items()}
    w = poststratify(demo_communities, "community", by_code)
    counts = w.groupby(demo_communities["community"]).sum()
    assert counts.to_dict() == pytest.approx(by_code, rel=1e-12)
    assert by_code == {1: 1480, 2: 960, 3: 420, 4: 1150, 5: 680, 6: 330}


def test_demo_community_weights(demo_communities, community_labels):
    w, table = community_weights(demo_communities, "community", HOUSEHOLDS, community_labels)
    n, total = len(demo_communities), 1480 + 960 + 420 + 1150 + 680 + 330
    assert w.mean() == pytest.approx(1, rel=1e-12) and w.index.equals(demo_communities.index)
    assert list(table.columns) == ["community", "code", "households", "sample_n", "weight"]
    assert table["community"].tolist() == ["梧桐里小区", "建设新村", "纺织厂宿舍", "和平街小区",
                                           "红星苑", "铁路新村"]
    assert table["sample_n"].sum() == n
    assert table["sample_n"].tolist() == demo_communities["community"].value_counts() \
        .reindex(table["code"]).tolist()
    _close(table["weight"], table["households"] / table["sample_n"] * n / total, 1e-12)
    # weighted counts proportional to the households
    counts = w.groupby(demo_communities["community"]).sum().reindex(table["code"])
    _close(counts, table["households"] * n / total, 1e-12)
    # the same from a frame with full-width / spaced labels
    frame = pd.read_csv(HOUSEHOLDS, encoding="utf-8-sig")
    frame["community"] = " " + frame["community"] + "\u3000"
    w2, _ = community_weights(demo_communities, "community", frame, community_labels)
    _close(w2, w, 1e-15)


def test_community_weights_errors(demo_communities, community_labels):
    hh = pd.read_csv(HOUSEHOLDS, encoding="utf-8-sig")
    with pytest.raises(ValueError, match=r"communities \['幸福里'\] in the population frame are not among the labels"):
        community_weights(demo_communities, "community",
                          pd.concat([hh, pd.DataFrame({"community": ["幸福里"], "households": [5]})]),
                          community_labels)
    with pytest.raises(ValueError, match=r"communities \['铁路新村'\] have respondents but no household count"):
        community_weights(demo_communities, "community", hh.iloc[:5], community_labels)
    only5 = demo_communities[demo_communities["community"] != 6]
    with pytest.raises(ValueError, match=r"communities \['铁路新村'\] in .* have no respondents"):
        community_weights(only5, "community", hh, community_labels)
    with pytest.raises(ValueError, match=r"codes without a label: \[9\]"):
        community_weights(pd.DataFrame({"community": [1, 9]}), "community", hh, community_labels)
    with pytest.raises(ValueError, match=r"column\(s\) \['households'\] not in the data"):
        community_weights(demo_communities, "community", hh.rename(columns={"households": "hh"}),
                          community_labels)


def test_rao_scott_equals_svychisq(apistrat):
    """tests/reference/survey_svychisq.R: svychisq on a stratified design with fpc and on a
    post-stratified one, second-order F (the default) and first-order 'Chisq'."""
    from pipeline.stats.weighted import weighted_crosstab_test

    t = weighted_crosstab_test(apistrat, "sch.wide", "stype", weights="pw", strata="stype", fpc="fpc").iloc[0]
    assert t["f"] == pytest.approx(17.2474439639, rel=1e-8)
    assert t["ndf"] == pytest.approx(1.8286715042, rel=1e-8) and t["ddf"] == pytest.approx(360.2482863202, rel=1e-8)
    assert t["p_val"] == pytest.approx(2.035046359e-07, rel=1e-6)
    assert t["chi2"] == pytest.approx(26.7535340359, rel=1e-8) and t["p_chisq"] == pytest.approx(3.232438416e-08, rel=1e-6)
    t = weighted_crosstab_test(apistrat, "awards", "stype", weights="pw", poststrata="stype",
                               population={"E": 4421, "H": 755, "M": 1018}).iloc[0]
    assert t["f"] == pytest.approx(13.6839437122, rel=1e-8) and t["ndf"] == pytest.approx(1.8930070212, rel=1e-8)
    assert t["ddf"] == pytest.approx(376.7083972189, rel=1e-8) and t["p_val"] == pytest.approx(3.061132189e-06, rel=1e-6)
    assert t["chi2"] == pytest.approx(19.4796560888, rel=1e-8) and t["p_chisq"] == pytest.approx(1.14061415e-06, rel=1e-6)


def test_rao_scott_on_the_demo_equals_svychisq(demo_clean):
    """The stage's weighted crosstab of gender and age band by community (post-stratified to the
    demo's households) against survey::svychisq (tests/reference/survey_svychisq.R)."""
    from pipeline.stats.weighted import weighted_crosstab_test

    _, df = demo_clean
    totals = {1: 1480, 2: 960, 3: 420, 4: 1150, 5: 680, 6: 330}
    t = weighted_crosstab_test(df, "gender", "community", poststrata="community", population=totals).iloc[0]
    assert (t["f"], t["ndf"], t["ddf"]) == pytest.approx((1.6449433112, 4.2024106017, 2517.2439504088), rel=1e-8)
    assert t["p_val"] == pytest.approx(0.156947525, rel=1e-7)
    t = weighted_crosstab_test(df, "age_band", "community", poststrata="community", population=totals).iloc[0]
    assert (t["f"], t["ndf"], t["ddf"]) == pytest.approx((1.1242868374, 16.8460823925, 10090.8033530846), rel=1e-8)
    assert t["p_val"] == pytest.approx(0.3226908683, rel=1e-7)


def test_weighted_ols_equals_svyglm(apistrat):
    """tests/reference/survey_svychisq.R: summary(svyglm(...)) on a stratified design with fpc and
    on a post-stratified one."""
    from pipeline.stats.weighted import weighted_ols

    res = weighted_ols(apistrat, "api00 ~ ell + meals + mobility", weights="pw", strata="stype", fpc="fpc").set_index("term")
    ref = {"Intercept": (820.8873159056, 10.0777359499, 5.594749815e-152), "ell": (-0.4805866122, 0.3919734032, 2.216587152e-01),
           "meals": (-3.1415353100, 0.2839465064, 2.254134652e-22), "mobility": (0.2257132102, 0.3932183620, 5.666226132e-01)}
    for term, (b, se, p) in ref.items():
        assert res.loc[term, "estimate"] == pytest.approx(b, rel=1e-9)
        assert res.loc[term, "se"] == pytest.approx(se, rel=1e-8) and res.loc[term, "p_val"] == pytest.approx(p, rel=1e-6)
    assert (res["df"] == 194).all() and (res["n"] == 200).all()
    res = weighted_ols(apistrat, "api00 ~ ell + meals", weights="pw", poststrata="stype",
                       population={"E": 4421, "H": 755, "M": 1018}).set_index("term")
    ref = {"Intercept": (823.8579267745, 8.8631646436), "ell": (-0.5057255499, 0.3922486182),
           "meals": (-3.1106290021, 0.2789707114)}
    for term, (b, se) in ref.items():
        assert res.loc[term, "estimate"] == pytest.approx(b, rel=1e-9) and res.loc[term, "se"] == pytest.approx(se, rel=1e-8)


def test_weighted_headline_on_the_demo_equals_survey(demo_clean, demo_dir):
    """The stage's weighted overall index and management index, post-stratified to the demo's
    households, against svymean (computed in R from the same construct indices:
    index_overall 53.484389068 (SE 0.70318920008), index_management 55.377768112 (1.02047032200),
    overall_sat 3.408064143 (0.04762230943))."""
    from pipeline.core.tables import read_frame
    from pipeline.stats.stage import build_tables

    st, df = demo_clean
    d, _ = demo_dir
    pop = read_frame(d / "raw" / "households.csv")
    pop["households"] = pd.to_numeric(pop["households"])
    tabs = build_tables(st.questionnaire, df, 1, {"computed": [], "skipped": {}}, pop, "households.csv")
    w = tabs["weighted_estimates"].set_index("variable")
    for var, (m, se) in {"index_overall": (53.484389068, 0.70318920008), "index_management": (55.377768112, 1.02047032200),
                         "overall_sat": (3.408064143, 0.04762230943)}.items():
        assert w.loc[var, "mean"] == pytest.approx(m, rel=1e-9) and w.loc[var, "se"] == pytest.approx(se, rel=1e-8), var
