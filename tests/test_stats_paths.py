"""Mediation and moderation against R (tests/reference/mediation_moderation.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.stats import mediation, moderation


@pytest.fixture(scope="module")
def med():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"x": rng.normal(size=200)})
    d["m"] = 0.5 * d["x"] + rng.normal(size=200)
    d["y"] = 0.4 * d["m"] + 0.2 * d["x"] + rng.normal(size=200)
    return d


def test_mediation_paths_equal_lm_and_bootstrap_within_monte_carlo_error(med):
    r = mediation(med, "x", "m", "y", n_boot=5000, seed=3).set_index("effect")
    ref = {"a": (0.539756794484, 0.0687706399364), "b": (0.172816596180, 0.0790138216113),
           "c": (0.523205495663, 0.0771878925364), "c_prime": (0.429926563676, 0.0875506937187)}
    for k, (est, se) in ref.items():
        assert r.loc[k, "estimate"] == pytest.approx(est, rel=1e-9) and r.loc[k, "se"] == pytest.approx(se, rel=1e-8), k
    assert r.loc["indirect", "estimate"] == pytest.approx(0.539756794484 * 0.172816596180, rel=1e-9)
    assert r.loc["c", "estimate"] == pytest.approx(r.loc["c_prime", "estimate"] + r.loc["indirect", "estimate"], rel=1e-9)
    # R, 5000 resamples (another generator): SD 0.0417744, 2.5% 0.0100986, 97.5% 0.1759160
    assert r.loc["indirect", "se"] == pytest.approx(0.0417744, abs=0.003)
    assert r.loc["indirect", "ci95_low"] == pytest.approx(0.0100986, abs=0.006)
    assert r.loc["indirect", "ci95_high"] == pytest.approx(0.1759160, abs=0.008)
    again = mediation(med, "x", "m", "y", n_boot=5000, seed=3)
    pd.testing.assert_frame_equal(r.reset_index(), again)  # the seed fixes the interval


def test_moderation_simple_slopes_equal_lm():
    rng = np.random.default_rng(2)
    e = pd.DataFrame({"x": rng.normal(size=300), "w": rng.normal(size=300)})
    e["y"] = 0.3 * e["x"] + 0.2 * e["w"] + 0.25 * e["x"] * e["w"] + rng.normal(size=300)
    res = moderation(e, "x", "w", "y")
    c = res["coefficients"].set_index("term")
    assert c.loc["x:w", "estimate"] == pytest.approx(0.3211368706454, rel=1e-9)
    assert c.loc["x:w", "se"] == pytest.approx(0.0622225444714, rel=1e-9)
    assert c.loc["x", "p_val"] == pytest.approx(8.80109361210e-05, rel=1e-7)
    s = res["simple_slopes"]
    assert list(s["slope"]) == pytest.approx([-0.085077200940, 0.229108001283, 0.543293203507], rel=1e-9)
    assert list(s["se"]) == pytest.approx([0.085633846750, 0.057617134064, 0.081963358998], rel=1e-9)
    binary = moderation(e.assign(g=(e["w"] > 0).astype(int)), "x", "g", "y")["simple_slopes"]
    assert list(binary["w_level"]) == ["w = 0", "w = 1"]


def test_bca_interval_within_monte_carlo_error_of_boot_ci(med):
    r = mediation(med, "x", "m", "y", n_boot=5000, seed=3, interval="bca").set_index("effect")
    p = mediation(med, "x", "m", "y", n_boot=5000, seed=3).set_index("effect")
    # R boot::boot.ci(type = "bca"), 5000 resamples (another generator): 0.014273, 0.175325
    assert r.loc["indirect", "ci95_low"] == pytest.approx(0.014273, abs=0.006)
    assert r.loc["indirect", "ci95_high"] == pytest.approx(0.175325, abs=0.008)
    # the same resamples: BCa moves the interval, percentile does not use the jackknife
    assert r.loc["indirect", "ci95_low"] != p.loc["indirect", "ci95_low"]
    assert r.loc["indirect", "se"] == p.loc["indirect", "se"]
    assert (r["interval"] == "bca").all() and (p["interval"] == "percentile").all()
    with pytest.raises(ValueError, match="interval must be 'percentile' or 'bca'"):
        mediation(med, "x", "m", "y", interval="bc")


def test_jackknife_closed_form_equals_refits(med):
    from pipeline.stats.paths import _loo_coef

    X = np.column_stack([np.ones(len(med)), med["x"], med["m"]])
    y = med["y"].to_numpy()
    loo = _loo_coef(X, y, 2)
    for i in (0, 17, 199):
        keep = np.arange(len(y)) != i
        b = np.linalg.lstsq(X[keep], y[keep], rcond=None)[0]
        assert loo[i] == pytest.approx(b[2], rel=1e-10)


def test_johnson_neyman_points_equal_r():
    rng = np.random.default_rng(2)
    e = pd.DataFrame({"x": rng.normal(size=300), "w": rng.normal(size=300)})
    e["y"] = 0.3 * e["x"] + 0.2 * e["w"] + 0.25 * e["x"] * e["w"] + rng.normal(size=300)
    jn = moderation(e, "x", "w", "y")["johnson_neyman"]
    # R: the roots from lm's vcov, p recomputed at each: -1.4146919943, -0.3972440178 (p = .05)
    assert list(jn["w_value"]) == pytest.approx([-1.4146919943, -0.3972440178], rel=1e-8)
    assert list(jn["p_val"]) == pytest.approx([0.05, 0.05], rel=1e-8)
    assert jn["within_range"].all()
    assert list(jn["share_below"]) == [float(np.mean(e["w"] < v)) for v in jn["w_value"]]
    binary = moderation(e.assign(g=(e["w"] > 0).astype(int)), "x", "g", "y")["johnson_neyman"]
    assert binary.empty


def test_simple_slope_plot_points_are_the_fitted_values_of_the_uncentred_model():
    rng = np.random.default_rng(2)
    e = pd.DataFrame({"x": rng.normal(size=300), "w": rng.normal(size=300) + 3, "z": rng.normal(size=300)})
    e["y"] = 0.3 * e["x"] + 0.2 * e["w"] + 0.25 * e["x"] * e["w"] + 0.1 * e["z"] + rng.normal(size=300)
    s = moderation(e, "x", "w", "y", covariates=["z"])["simple_slopes"]
    X = np.column_stack([np.ones(300), e["x"], e["w"], e["x"] * e["w"], e["z"]])
    b = np.linalg.lstsq(X, e["y"].to_numpy(), rcond=None)[0]
    for _, r in s.iterrows():
        for tag in ("x_low", "x_high"):
            xv, wv = r[tag], r["w_value"]
            assert r[f"y_at_{tag}"] == pytest.approx(b @ [1, xv, wv, xv * wv, e["z"].mean()], rel=1e-9)
        assert (r["y_at_x_high"] - r["y_at_x_low"]) / (r["x_high"] - r["x_low"]) == pytest.approx(r["slope"], rel=1e-9)
    assert s["x_low"].iloc[0] == pytest.approx(e["x"].mean() - e["x"].std())
