"""The project's own ML fitter (pipeline.stats.sem) against lavaan: tests/reference/lavaan_sem.R
(structural paths, := indirect effects, a bootstrap, fixed.x, the demo's model) and
tests/reference/lavaan_cfa.R (every parameter of the HS CFA)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.core.errors import CannotCompute
from pipeline.stats import cfa, sem
from pipeline.stats.sem import parse_model

from .conftest import ROOT

REF = json.loads((ROOT / "tests" / "reference" / "lavaan_sem.json").read_text())
CFA = json.loads((ROOT / "tests" / "reference" / "lavaan_cfa.json").read_text())
HS3 = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
FIT = {"chi2": "chisq", "df": "df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "rmsea_ci90_low": "rmsea.ci.lower",
       "rmsea_ci90_high": "rmsea.ci.upper", "srmr": "srmr", "logl": "logl", "aic": "aic", "bic": "bic",
       "npar": "npar", "baseline_chi2": "baseline.chisq"}


@pytest.fixture(scope="module")
def hs():
    return pytest.importorskip("semopy.examples").holzinger39.get_data()


def _compare(res: dict, ref: dict, rtol: float = 1e-5):
    f = res["fit"].iloc[0]
    for ours, theirs in FIT.items():
        assert f[ours] == pytest.approx(ref["fit"][theirs], rel=rtol, abs=1e-8), ours
    assert int(f["n"]) == ref["nobs"]
    est = res["estimates"].set_index(["lhs", "op", "rhs"])
    r = pd.DataFrame(ref["est"])
    r = r[r["op"] != ":="].set_index(["lhs", "op", "rhs"])
    assert sorted(est.index) == sorted(r.index)          # the same free and fixed parameters
    e = est.loc[r.index]
    np.testing.assert_allclose(e["est"], r["est"], rtol=rtol, atol=1e-7)
    free = r["se"] > 0
    np.testing.assert_allclose(e.loc[free, "se"], r.loc[free, "se"], rtol=rtol, atol=1e-7)
    assert e.loc[~free, "se"].isna().all()
    np.testing.assert_allclose(e["std_all"], r["std_all"], rtol=rtol, atol=1e-7)
    np.testing.assert_allclose(e["std_se"], r["std_se"], rtol=1e-4, atol=1e-6)
    r2 = res["r2"].set_index("variable")["r2"]
    for v, val in ref["r2"].items():
        assert r2[v] == pytest.approx(val, rel=rtol), v


def test_cfa_every_parameter_equals_lavaan(hs):
    res = sem(hs, HS3)
    f = res["fit"].iloc[0]
    for ours, theirs in FIT.items():
        assert f[ours] == pytest.approx(CFA["fit_measures"][theirs], rel=1e-6), ours
    est = res["estimates"].set_index(["lhs", "op", "rhs"])
    for p in CFA["parameter_estimates"]:
        row = est.loc[(p["lhs"], p["op"], p["rhs"])]
        assert row["est"] == pytest.approx(p["est"], rel=1e-5), p
        if p["se"]:
            assert row["se"] == pytest.approx(p["se"], rel=1e-5), p
    # the public cfa() gives the same (it is this fitter)
    c = cfa(hs, HS3)
    assert c["fit"]["chi2"].iloc[0] == pytest.approx(85.3055217699727, rel=1e-9)
    assert c["fit"]["aic"].iloc[0] == pytest.approx(7517.48985325239, rel=1e-9)


def test_structural_model_and_indirect_effect_equal_lavaan(hs):
    ref = REF["hs_sem"]
    res = sem(hs, HS3 + "textual ~ visual\nspeed ~ textual + visual")
    _compare(res, ref)
    d = {x["lhs"]: x for x in ref["est"] if x["op"] == ":="}
    ind = res["indirect"].set_index("path")
    for path, name in (("visual → textual → speed", "ind"), ("visual → speed (total)", "tot")):
        assert ind.loc[path, "est"] == pytest.approx(d[name]["est"], rel=1e-5)
        assert ind.loc[path, "se"] == pytest.approx(d[name]["se"], rel=1e-4)
        assert ind.loc[path, "std_all"] == pytest.approx(d[name]["std_all"], rel=1e-5)
    assert (ind["method"] == "delta method").all()


def test_bootstrap_indirect_within_monte_carlo_error_of_lavaan(hs):
    ref = {b["name"]: b for b in REF["hs_sem"]["bootstrap"]}
    res = sem(hs, HS3 + "textual ~ visual\nspeed ~ textual + visual", n_boot=1000, seed=7)
    ind = res["indirect"].set_index("path")
    for path, name in (("visual → textual → speed", "ind"), ("visual → speed (total)", "tot")):
        r, o = ref[name], ind.loc[path]
        # 1000 resamples here, 5000 in R: the percentile bounds move by about 0.1 SD between seeds
        assert o["ci95_low"] == pytest.approx(r["ci_lower"], abs=0.25 * r["se"])
        assert o["ci95_high"] == pytest.approx(r["ci_upper"], abs=0.25 * r["se"])
        assert o["se"] == pytest.approx(r["se"], rel=0.1)
    assert "percentile bootstrap" in ind["method"].iloc[0]
    again = sem(hs, HS3 + "textual ~ visual\nspeed ~ textual + visual", n_boot=1000, seed=7)
    pd.testing.assert_frame_equal(res["indirect"], again["indirect"])   # seeded


def test_observed_exogenous_covariate_is_fixed_x_as_lavaan(hs):
    res = sem(hs, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual + ageyr")
    _compare(res, REF["hs_fixedx"])
    est = res["estimates"].set_index(["lhs", "op", "rhs"])
    assert ("visual", "~~", "ageyr") not in est.index     # lavaan frees no latent–observed covariance


def test_demo_mediation_model_equals_lavaan():
    path = ROOT / "outputs" / "demo" / "clean" / "responses.parquet"
    if not path.exists():
        pytest.skip("make demo first")
    d = pd.read_parquet(path)
    res = sem(d, """process =~ sat_consultation + sat_disclosure + sat_adoption + sat_complaints
management =~ sat_property_service + sat_fee_disclosure + sat_maintenance + sat_repair
management ~ process
overall_sat ~ management + process""")
    _compare(res, REF["demo"])
    d = {x["lhs"]: x for x in REF["demo"]["est"] if x["op"] == ":="}
    ind = res["indirect"].set_index("path")
    assert ind.loc["process → management → overall_sat", "est"] == pytest.approx(d["ind"]["est"], rel=1e-5)
    assert ind.loc["process → management → overall_sat", "se"] == pytest.approx(d["ind"]["se"], rel=1e-4)


def test_model_syntax_errors_name_the_line():
    with pytest.raises(ValueError, match=r"model line 'textual ~ a\*visual'.*labels, fixed values"):
        parse_model("textual ~ a*visual")
    with pytest.raises(ValueError, match="expected '=~', '~' or '~~'"):
        parse_model("visual = x1 + x2")
    with pytest.raises(ValueError, match="cannot predict itself"):
        parse_model("y ~ y")
    with pytest.raises(ValueError, match="cycle"):
        sem(pd.DataFrame(np.random.default_rng(0).normal(size=(50, 2)), columns=["a", "b"]), "a ~ b\nb ~ a")


def test_underidentified_and_degenerate_inputs_are_refused(hs):
    with pytest.raises(CannotCompute, match="not identified"):
        sem(hs, "f =~ x1 + x2")          # 3 moments, 4 parameters
    d = hs.assign(x10=hs["x1"] * 2)
    with pytest.raises(CannotCompute, match="singular"):
        sem(d, "f =~ x1 + x2 + x10")
    with pytest.raises(ValueError, match="x99"):
        sem(hs, "f =~ x1 + x2 + x99")
