"""Design-based means and proportions with Taylor-linearised standard errors and design effects,
as R's ``survey`` package (Lumley) computes ``svymean`` on a ``svydesign`` with strata, one stage
of clusters (PSUs), an optional finite population correction, and post-stratified or raked
weights (the variance uses the residuals of the linearised scores from the calibration cells, as
``survey:::svyrecvar`` does, so that calibration on known totals is credited)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.core.errors import CannotCompute
from pipeline.stats._calibration import (
    RAKE_VARIANCE_SWEEPS,
    Z95,
    as_list,
    design_weights,
    key_codes,
    margins_of,
    population_totals,
    poststratify_core,
    rake_core,
    row_keys,
    type_hint,
)
from pipeline.stats._util import check_choice, check_columns, check_scalar, coef_table, numeric_frame


@dataclass
class _Design:
    w: np.ndarray                   # final (calibrated) weights, every row
    psu: np.ndarray                 # PSU code per row, unique across strata
    psu_stratum: np.ndarray         # stratum code per PSU
    n_psu: np.ndarray               # PSUs per stratum (in the whole sample)
    scale: np.ndarray               # per stratum: (1 − n_h/N_h) · n_h/(n_h − 1), 0 for a census
    calib: list = field(default_factory=list)   # ("post", codes, psw, oldw) | ("rake", [(codes, psw)])



def _rowsum(x: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    return np.column_stack([np.bincount(codes, weights=x[:, j], minlength=g)
                            for j in range(x.shape[1])]) if x.shape[1] else np.zeros((g, 0))



def _build_design(data, w0, strata, cluster, fpc, poststrata, population, calibration,
                  max_iter, tol) -> _Design:
    n = len(data)
    # strata and PSUs (PSU labels are taken within strata, as svydesign(nest = TRUE))
    if strata is None:
        s_codes, s_uniques = np.zeros(n, dtype=np.intp), ["(all)"]
    else:
        s_codes, s_uniques = key_codes(row_keys(data, [strata], "stratum"))
    if cluster is None:
        psu, psu_stratum = np.arange(n, dtype=np.intp), s_codes
    else:
        row_keys(data, [cluster], "cluster")          # checks: present, no missing value
        pairs = pd.DataFrame({"s": s_codes, "c": data[cluster].to_numpy()})
        psu = pairs.groupby(["s", "c"], sort=False).ngroup().to_numpy(dtype=np.intp)
        psu_stratum = np.zeros(int(psu.max()) + 1 if n else 0, dtype=np.intp)
        psu_stratum[psu] = s_codes
    n_psu = np.bincount(psu_stratum, minlength=len(s_uniques)).astype(float)
    f = np.ones(len(s_uniques))
    if fpc is not None:
        check_columns(data, [fpc], "fpc column")
        v = numeric_frame(data, [fpc])[fpc].to_numpy()
        if np.isnan(v).any() or (v <= 0).any():
            raise ValueError(f"fpc column '{fpc}' must be > 0 in every row")
        per = pd.Series(v).groupby(s_codes).agg(["min", "max"])
        if (per["max"] - per["min"] > 1e-9 * per["max"]).any():
            h = int(per.index[(per["max"] - per["min"] > 1e-9 * per["max"]).to_numpy()][0])
            raise ValueError(f"fpc column '{fpc}' varies within stratum {s_uniques[h]!r}; it must "
                             "be the population number of PSUs (or the sampling fraction) of the "
                             "stratum")
        fh = per["max"].sort_index().to_numpy()
        if (fh > 1).any() and (fh < 1).any():
            raise ValueError(f"fpc column '{fpc}' mixes population sizes (> 1) and sampling "
                             "fractions (< 1); use one or the other (as survey::svydesign)")
        popsize = fh if (fh > 1).any() else n_psu / fh
        if (popsize < n_psu - 1e-9).any():
            h = int(np.flatnonzero(popsize < n_psu - 1e-9)[0])
            raise ValueError(f"fpc column '{fpc}' implies more than 100% sampling in stratum "
                             f"{s_uniques[h]!r}: population {popsize[h]:g} PSUs, sample "
                             f"{int(n_psu[h])}")
        f = (popsize - n_psu) / popsize
    lonely = (n_psu == 1) & (f >= 1e-7)
    if lonely.any():
        raise CannotCompute(f"stratum {s_uniques[int(np.flatnonzero(lonely)[0])]!r} has only one PSU: "
                         "its variance cannot be estimated (survey's lonely.psu = 'fail'); merge "
                         "it with another stratum")
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(f < 1e-7, 0.0, f * n_psu / (n_psu - 1))
    design = _Design(w=w0, psu=psu, psu_stratum=psu_stratum, n_psu=n_psu, scale=scale)

    # calibration
    if poststrata is None:
        if population is not None:
            raise ValueError("population is given but poststrata is not: name the calibration "
                             "column(s) with poststrata=")
        return design
    cols = as_list(poststrata, "poststrata")
    calibration = "poststratify" if calibration is None else calibration
    check_choice("calibration", calibration, ("poststratify", "rake"))
    if calibration == "poststratify":
        if (len(cols) > 1 and isinstance(population, Mapping)
                and set(population) == set(cols)):
            raise ValueError(f"population is a dict of margins for {cols}: use calibration='rake' "
                             "(calibration='poststratify' needs a total per cross-classified cell)")
        if len(cols) == 1 and isinstance(population, Mapping) and list(population) == cols \
                and isinstance(population[cols[0]], (Mapping, pd.Series, pd.DataFrame)):
            population = population[cols[0]]          # {column: {level: total}} for one column
        keys = row_keys(data, cols, "post-stratum")
        codes, _ = key_codes(keys)
        if population is None:
            # weights already post-stratified: within a post-stratum the design weights are
            # proportional to them, so the residuals need only the final weights
            design.calib = [("post", codes, w0, w0)]
        else:
            w = poststratify_core(keys, w0, population_totals(population, cols), cols)
            design.w = w
            design.calib = [("post", codes, w, w0)]
        return design
    margin_codes = [key_codes(row_keys(data, [c], "margin"))[0] for c in cols]
    if population is None:
        # weights already raked: at convergence each margin's step leaves them unchanged
        design.calib = [("rake", [(c, w0) for c in margin_codes])]
        return design
    totals = margins_of(population, "population (margins for calibration='rake')")
    if set(totals) != set(cols):
        raise ValueError(f"the margins in population {list(totals)} do not match poststrata {cols}")
    totals = {c: totals[c] for c in cols}
    w, step_w, _, _ = rake_core(data, totals, w0, max_iter, tol)
    design.w = w
    design.calib = [("rake", list(zip(margin_codes, step_w)))]
    return design



def _linearised_var(x: np.ndarray, design: _Design) -> np.ndarray:
    """Variance of Σ x_i: the calibration residuals, then the with-replacement (times the fpc
    factor) sum of squared PSU totals around their stratum mean (survey:::svyrecvar)."""
    x = x.copy()
    for step in design.calib:
        if step[0] == "post":
            _, codes, psw, oldw = step
            psw = psw.copy()
            psw[(psw == 0) & (oldw == 0)] = 1.0
            g = int(codes.max()) + 1
            den = np.bincount(codes, weights=oldw, minlength=g)
            with np.errstate(divide="ignore", invalid="ignore"):
                means = _rowsum(x * (oldw / psw)[:, None], codes, g) / den[:, None]
            means[den == 0] = 0.0
            x = x - means[codes] * psw[:, None]
        else:
            margins = step[1]
            for _ in range(RAKE_VARIANCE_SWEEPS):
                for codes, psw in margins:
                    g = int(codes.max()) + 1
                    with np.errstate(divide="ignore", invalid="ignore"):
                        r = np.where(psw[:, None] > 0, x / psw[:, None], 0.0)
                    means = _rowsum(r, codes, g) / np.bincount(codes, minlength=g)[:, None]
                    x = x - psw[:, None] * means[codes]
    g = len(design.psu_stratum)
    t = _rowsum(x, design.psu, g)                                   # PSU totals
    h = design.psu_stratum
    tbar = _rowsum(t, h, len(design.n_psu)) / design.n_psu[:, None]
    tc = (t - tbar[h]) * np.sqrt(design.scale[h])[:, None]
    return tc.T @ tc



def _domain_mean(y: np.ndarray, used: np.ndarray, design: _Design, what: str):
    """The weighted means of y's columns over the rows `used` (others are a domain outside:
    weight 0 in the estimate, kept in the variance structure, as survey's subsetting does) and
    their linearised covariance: (mean, V, wm, psum, z)."""
    wm = np.where(used, design.w, 0.0)
    psum = wm.sum()
    if psum <= 0:
        raise CannotCompute(f"no {what} has a positive weight")
    yy = np.where(used[:, None], y, 0.0)
    mean = (wm[:, None] * yy).sum(axis=0) / psum
    z = np.where(used[:, None], yy - mean, 0.0)
    return mean, _linearised_var(z * (wm / psum)[:, None], design), wm, psum, z


def _estimate(y: np.ndarray, used: np.ndarray, design: _Design, deff: str) -> dict:
    """svymean of the columns of y over the rows `used` (see :func:`_domain_mean`)."""
    mean, V, wm, psum, z = _domain_mean(y, used, design, "answered row")
    v = np.diag(V)
    nobs = int((wm != 0).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = (wm[:, None] * z ** 2).sum(axis=0) / psum * nobs / (nobs - 1)
        if deff == "srswr":
            vsrs = s2 / nobs
        elif psum > nobs:
            vsrs = s2 * (psum - nobs) / (psum * nobs)
        else:
            vsrs = np.full_like(s2, np.nan)
        d = v / vsrs
    se = np.sqrt(v)
    return {"n": int(used.sum()), "mean": mean, "se": se, "deff": d, "psum": psum, "nobs": nobs}



def _warn_deff(est: dict, deff: str) -> None:
    if deff == "srswor" and est["psum"] <= est["nobs"]:
        warnings.warn(f"deff is NaN: the weights sum to {est['psum']:g}, not more than the "
                      f"{est['nobs']} respondents, so sampling without replacement from that "
                      "population is undefined. Scale the weights to the population or use "
                      "deff='srswr'", RuntimeWarning, stacklevel=3)



_DOC_DESIGN = """    strata : str, optional
        Column of the design strata (stratified sampling).
    cluster : str, optional
        Column of the primary sampling units (e.g. building or community when whole units were
        sampled); labels are taken within strata (svydesign(nest = TRUE)). Default: each row.
    fpc : str, optional
        Column with the population number of PSUs in the respondent's stratum (or the sampling
        fraction, if every value is <= 1). Default: sampling with replacement.
    poststrata : str or list of str, optional
        Calibration column(s) whose residuals enter the variance (see Notes).
    population : optional
        Population totals to calibrate ``weights`` on ``poststrata`` here: as in
        :func:`poststratify` for ``calibration='poststratify'``, margins as in :func:`rake` for
        ``calibration='rake'``. Without it, ``weights`` are taken as already calibrated.
    calibration : {'poststratify', 'rake'}
        How ``poststrata`` were used: one post-stratification on their (cross-classified) cells,
        or raking with each column a margin.
    deff : {'srswor', 'srswr'}
        Reference design of the design effect: simple random sampling without replacement from
        the weighted population (R's ``deff = TRUE``) or with replacement (``deff = "replace"``).
    max_iter, tol : int, float
        Passed to :func:`rake` when ``calibration='rake'`` and population is given: the largest
        number of raking passes (>= 1) and the convergence tolerance (> 0)."""



def weighted_mean(data: pd.DataFrame, columns: str | Sequence[str], weights=None,
                  strata: str | None = None, cluster: str | None = None, fpc: str | None = None,
                  poststrata: str | Sequence[str] | None = None, population=None, *,
                  calibration: str = "poststratify", deff: str = "srswor",
                  nan_policy: str = "omit", max_iter: int = 50, tol: float = 1e-6) -> pd.DataFrame:
    """Design-based means with Taylor-linearised standard errors and design effects.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    columns : str or list of str
        Numeric columns (a 0/1 column gives a proportion).
    weights : str or array-like, optional
        Column name or one weight per row (e.g. from :func:`poststratify`); default 1.
{design}
    nan_policy : {'omit', 'listwise'}
        'omit': each column uses the rows answering it (``svymean(~x, na.rm = TRUE)`` column by
        column); 'listwise': only rows answering every column (``svymean(~x + y, na.rm =
        TRUE)``). Rows left out stay in the design as a domain outside (weight 0), as survey does.

    Returns
    -------
    DataFrame, one row per column:
        variable : the column
        n : rows with an answer
        mean : weighted mean Σ w y / Σ w
        se : linearised standard error
        ci95_low, ci95_high : mean ∓ 1.96 se (normal quantile, as ``confint(svymean(...))``)
        deff : design effect, var(design) / var(simple random sample of size n)

    Notes
    -----
    Scores x_i = w_i (y_i − ȳ) / Σw. After post-stratification they are replaced by their
    residuals from the post-stratum means, x_i − w_i Σ_{j∈h} x_j d_j/w_j / Σ_{j∈h} d_j; after raking
    each margin is swept in turn, ten times (``survey:::svyrecvar``). Then
    var = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_i (t_hi − t̄_h)², t_hi the PSU totals, f_h = n_h/N_h with fpc,
    else 0. deff = var / (s² (N − n)/(N n)) with s² = n/(n−1) Σ w (y − ȳ)² / Σ w and N = Σ w
    (``svymean(deff = TRUE)``); NaN when N <= n (weights not scaled to the population).

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. Journal of Statistical Software 9(8).
    Särndal, Swensson & Wretman (1992). Model Assisted Survey Sampling, ch. 7. Springer.

    Examples
    --------
    Eight respondents, three men and five women, post-stratified to a population of 500 of each:

    >>> import pandas as pd
    >>> from pipeline.stats import weighted_mean
    >>> d = pd.DataFrame({"sex": ["m", "m", "m", "f", "f", "f", "f", "f"],
    ...                   "sat": [4, 5, 5, 3, 2, 4, 3, 3]})
    >>> res = weighted_mean(d, "sat", poststrata="sex", population={"m": 500, "f": 500})
    >>> res[["variable", "n", "mean", "se", "deff"]].round(3)
      variable  n   mean    se   deff
    0      sat  8  3.833  0.21  0.309

    On the survey package's api data (tests/reference/data/apistrat.csv),
    ``weighted_mean(apistrat, ["api00"], "pw", poststrata="stype", population={"E": 4421,
    "H": 755, "M": 1018})`` is

    # R: svymean(~api00, postStratify(svydesign(id=~1, weights=~pw, data=apistrat), ~stype,
    #            pop.types), deff=TRUE)
    """
    check_scalar("max_iter", max_iter, "weighted_mean", kind=int, low=1)
    check_scalar("tol", tol, "weighted_mean", low=0, inclusive="neither")
    cols = check_columns(data, as_list(columns, "columns"), "column")
    check_choice("deff", deff, ("srswor", "srswr"))
    check_choice("nan_policy", nan_policy, ("omit", "listwise"))
    y = numeric_frame(data, cols).to_numpy()
    design = _build_design(data, design_weights(data, weights), strata, cluster, fpc,
                           poststrata, population, calibration, max_iter, tol)
    answered = ~np.isnan(y)
    if nan_policy == "listwise":
        answered[:] = answered.all(axis=1, keepdims=True)
    rows = []
    for j, c in enumerate(cols):
        if not answered[:, j].any():
            raise CannotCompute(f"column '{c}' has no answers" +
                             (" in rows complete on every column" if nan_policy == "listwise" else ""))
        est = _estimate(y[:, [j]], answered[:, j], design, deff)
        _warn_deff(est, deff)
        m, se = float(est["mean"][0]), float(est["se"][0])
        rows.append({"variable": c, "n": est["n"], "mean": m, "se": se,
                     "ci95_low": m - Z95 * se, "ci95_high": m + Z95 * se,
                     "deff": float(est["deff"][0])})
    return pd.DataFrame(rows, columns=["variable", "n", "mean", "se", "ci95_low", "ci95_high",
                                       "deff"])



def weighted_proportions(data: pd.DataFrame, column: str, weights=None, strata: str | None = None,
                         cluster: str | None = None, fpc: str | None = None,
                         poststrata: str | Sequence[str] | None = None, population=None, *,
                         levels: Sequence | None = None, calibration: str = "poststratify",
                         deff: str = "srswor", max_iter: int = 50,
                         tol: float = 1e-6) -> pd.DataFrame:
    """Design-based proportions of each category of a categorical column, with linearised
    standard errors and design effects (``svymean`` on a factor).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    column : str
        The categorical column; rows where it is missing are left out (as a domain outside).
    weights : str or array-like, optional
        Column name or one weight per row; default 1.
{design}
    levels : list, optional
        The categories in order; categories never chosen get proportion 0. A value of the column
        not among them is an error. Default: the categories of a pandas Categorical, else the
        sorted distinct values (R's ``factor()``).

    Returns
    -------
    DataFrame, one row per category:
        variable : the column
        category : the category
        n : rows answering the column
        count : rows in the category (unweighted)
        proportion : weighted share Σ_{i∈k} w_i / Σ w
        se : linearised standard error
        ci95_low, ci95_high : proportion ∓ 1.96 se (Wald, as ``confint(svymean(~factor(x)))``; not
            ``svyciprop``)
        deff : design effect (as in :func:`weighted_mean`); NaN for a category never chosen

    Examples
    --------
    A stratified sample of four households in each of two strata of 100 and 400 households:

    >>> import pandas as pd
    >>> from pipeline.stats import weighted_proportions
    >>> d = pd.DataFrame({"stratum": ["A"] * 4 + ["B"] * 4, "N": [100] * 4 + [400] * 4,
    ...                   "lift": ["yes", "yes", "no", "yes", "no", "no", "yes", "no"]})
    >>> res = weighted_proportions(d, "lift", d["N"] / 4, strata="stratum", fpc="N")
    >>> res[["category", "count", "proportion", "se", "deff"]].round(3)
      category  count  proportion     se   deff
    0       no      4        0.65  0.205  1.313
    1      yes      4        0.35  0.205  1.313

    On the survey package's api data (tests/reference/data/apistrat.csv),
    ``weighted_proportions(apistrat, "awards", "pw", strata="stype", fpc="fpc")`` is

    # R: svymean(~awards, svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc,
    #            data=apistrat), deff=TRUE)
    """
    check_scalar("max_iter", max_iter, "weighted_proportions", kind=int, low=1)
    check_scalar("tol", tol, "weighted_proportions", low=0, inclusive="neither")
    col = check_columns(data, [column], "column")[0]
    check_choice("deff", deff, ("srswor", "srswr"))
    s = data[col]
    used = s.notna().to_numpy()
    if levels is None:
        if isinstance(s.dtype, pd.CategoricalDtype):
            levels = list(s.cat.categories)
        else:
            levels = sorted(pd.unique(s[used]).tolist())
    else:
        levels = list(levels)
        if len(set(levels)) != len(levels):
            raise ValueError(f"levels contain duplicates: {levels}")
        known = set(levels)
        unknown = sorted({v for v in pd.unique(s[used]).tolist() if v not in known}, key=str)
        if unknown:
            raise ValueError(f"column '{col}' has values not in levels {levels}: {unknown[:10]}"
                             + type_hint(unknown, levels))
    if not used.any():
        raise CannotCompute(f"column '{col}' has no answers")
    level_of = {lv: k for k, lv in enumerate(levels)}
    codes, uniq = pd.factorize(s)                       # -1 for a missing value
    row_level = np.array([level_of.get(u, -1) for u in list(uniq)] + [-1])[codes]
    y = (row_level[:, None] == np.arange(len(levels))[None, :]).astype(float)
    design = _build_design(data, design_weights(data, weights), strata, cluster, fpc,
                           poststrata, population, calibration, max_iter, tol)
    est = _estimate(y, used, design, deff)
    _warn_deff(est, deff)
    rows = []
    for k, lv in enumerate(levels):
        p, se = float(est["mean"][k]), float(est["se"][k])
        rows.append({"variable": col, "category": lv, "n": est["n"], "count": int(y[:, k].sum()),
                     "proportion": p, "se": se, "ci95_low": p - Z95 * se,
                     "ci95_high": p + Z95 * se, "deff": float(est["deff"][k])})
    return pd.DataFrame(rows, columns=["variable", "category", "n", "count", "proportion", "se",
                                       "ci95_low", "ci95_high", "deff"])


def _with_design(f):
    """Put the shared design parameters into f's docstring (absent under python -OO)."""
    if f.__doc__:
        f.__doc__ = f.__doc__.replace("{design}\n", _DOC_DESIGN + "\n").replace("{design}", _DOC_DESIGN)
    return f


_with_design(weighted_mean)
_with_design(weighted_proportions)


def weighted_crosstab_test(data: pd.DataFrame, row: str, col: str, weights=None, strata: str | None = None,
                           cluster: str | None = None, fpc: str | None = None,
                           poststrata: str | Sequence[str] | None = None, population=None, *,
                           calibration: str = "poststratify", max_iter: int = 50,
                           tol: float = 1e-6) -> pd.DataFrame:
    """Design-based test of independence of two categorical columns: Pearson's X² on the weighted
    table with the Rao–Scott second-order correction, as ``survey::svychisq`` (``statistic = "F"``,
    its default, and ``"Chisq"``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    row, col : str
        The two categorical columns (codes or labels); rows missing either are a domain outside.
    weights : str or array-like, optional
        Column name or one weight per row; default 1.
{design}

    Returns
    -------
    DataFrame, one row:
        row, col : the columns; n : rows answering both; r, c : categories observed
        chi2 : Pearson's X² of the weighted table scaled to the number of rows
            (``svytable(Ntotal = n)``), the uncorrected statistic
        f : X² / tr(Δ), with Δ the generalised design-effect matrix of the interaction contrasts
        ndf, ddf : d = tr(Δ)² / tr(Δ²) and d · (PSUs − strata); p_val : F(ndf, ddf) upper tail
        chisq_rs, p_chisq : the first-order correction X² / mean(diag Δ) and its χ² p-value on
            (r − 1)(c − 1) df (``statistic = "Chisq"``, which prints X² and reports this p)
        mean_deff : tr(Δ) / ((r − 1)(c − 1)), the mean generalised design effect

    Notes
    -----
    With p̂ the weighted cell proportions (rows varying fastest), V their linearised covariance
    (as :func:`weighted_mean`), C the interaction columns of the saturated design residualised on
    the main effects, D = diag(p̂) and N the number of rows:
    Δ = (C' D⁻¹ C / N)⁻¹ (C' D⁻¹ V D⁻¹ C) (Rao & Scott 1984; ``survey:::svychisq.survey.design``).

    References
    ----------
    Rao, J. N. K. & Scott, A. J. (1984). On chi-squared tests for multiway contingency tables with
    cell proportions estimated from survey data. Annals of Statistics 12, 46–60.

    Examples
    --------
    Sixteen respondents, six men and ten women, post-stratified to 500 of each:

    >>> import pandas as pd
    >>> from pipeline.stats import weighted_crosstab_test
    >>> d = pd.DataFrame({"sex": ["m"] * 6 + ["f"] * 10,
    ...                   "agree": ["yes"] * 4 + ["no"] * 2 + ["yes", "no", "no", "no", "yes", "no", "no", "no", "yes", "no"]})
    >>> res = weighted_crosstab_test(d, "agree", "sex", poststrata="sex", population={"m": 500, "f": 500})
    >>> res[["n", "chi2", "f", "ndf", "ddf", "p_val"]].round(4)
        n    chi2       f  ndf   ddf   p_val
    0  16  2.1535  1.9062  1.0  15.0  0.1876

    # R: svychisq(~agree + sex, postStratify(svydesign(id = ~1, weights = ~1, data = d), ~sex,
    #             data.frame(sex = c("f", "m"), Freq = c(500, 500))))   F = 1.9062, ndf 1, ddf 15, p 0.1876
    """
    check_scalar("max_iter", max_iter, "weighted_crosstab_test", kind=int, low=1)
    check_scalar("tol", tol, "weighted_crosstab_test", low=0, inclusive="neither")
    check_columns(data, [row, col], "column")
    design = _build_design(data, design_weights(data, weights), strata, cluster, fpc,
                           poststrata, population, calibration, max_iter, tol)
    a, b = data[row], data[col]
    used = (a.notna() & b.notna()).to_numpy()
    ra = pd.Categorical(a[used])
    cb = pd.Categorical(b[used])
    nr, nc = len(ra.categories), len(cb.categories)
    if nr < 2 or nc < 2:
        raise CannotCompute(f"a test of independence needs two categories in each column; '{row}' has {nr}, "
                            f"'{col}' has {nc} among the rows answering both")
    n_all = len(data)
    cell = np.full(n_all, -1)
    cell[used] = ra.codes + nr * cb.codes
    k = nr * nc
    mm = np.zeros((n_all, k))
    mm[used, cell[used]] = 1.0
    p, V, *_ = _domain_mean(mm, used, design, "row answering both columns")
    # Pearson's X² of the weighted table scaled to N rows (svytable(Ntotal = N), chisq.test)
    N = float(n_all)
    obs = p.reshape(nc, nr).T * N                              # r × c
    exp = obs.sum(axis=1, keepdims=True) * obs.sum(axis=0, keepdims=True) / N
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.nansum(np.where(exp > 0, (obs - exp) ** 2 / exp, 0.0)))
    # main-effects and interaction columns of the saturated model over the cells
    rr = np.tile(np.arange(nr), nc)
    cc = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack([np.ones(k)] + [(rr == i).astype(float) for i in range(1, nr)]
                         + [(cc == j).astype(float) for j in range(1, nc)])
    inter = np.column_stack([((rr == i) & (cc == j)).astype(float) for j in range(1, nc) for i in range(1, nr)])
    Q, _ = np.linalg.qr(X1)
    C = inter - Q @ (Q.T @ inter)
    iD = np.diag(np.where(p == 0, 0.0, 1 / np.where(p == 0, 1, p)))
    denom = C.T @ (iD / N) @ C
    numr = C.T @ iD @ V @ iD @ C
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    d0 = tr * tr / float(np.trace(delta @ delta))
    nu = len(design.psu_stratum) - len(design.n_psu)
    from scipy import stats as _st

    f = chi2 / tr
    dof = (nr - 1) * (nc - 1)
    rs = chi2 / (tr / dof)  # first-order: X² over the mean generalised design effect
    return pd.DataFrame([{"row": row, "col": col, "n": int(used.sum()), "r": nr, "c": nc, "chi2": chi2,
                          "f": f, "ndf": d0, "ddf": d0 * nu, "p_val": float(_st.f.sf(f, d0, d0 * nu)),
                          "chisq_rs": rs, "p_chisq": float(_st.chi2.sf(rs, dof)),
                          "mean_deff": tr / dof}])


_with_design(weighted_crosstab_test)


def weighted_ols(data: pd.DataFrame, formula: str, weights=None, strata: str | None = None,
                 cluster: str | None = None, fpc: str | None = None,
                 poststrata: str | Sequence[str] | None = None, population=None, *,
                 calibration: str = "poststratify", max_iter: int = 50, tol: float = 1e-6) -> pd.DataFrame:
    """Design-based linear regression, as ``survey::svyglm`` with the gaussian family: weighted
    least squares estimates, linearised (sandwich) standard errors that carry the design and the
    calibration, t tests on the design's degrees of freedom.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        patsy formula, e.g. ``"overall_sat ~ score_management + score_process"``; rows missing
        any of its variables are left out (a domain outside, as ``svyglm(na.action = na.omit)``).
    weights : str or array-like, optional
        Column name or one weight per row; default 1.
{design}

    Returns
    -------
    DataFrame, one row per term:
        term, estimate, se, statistic (t), df (PSUs − strata − terms + 1, as svyglm's
        ``df.residual``), p_val, ci95_low, ci95_high (t quantile), n (rows used)

    Notes
    -----
    β = (X'WX)⁻¹ X'Wy; with the estimating functions u_i = x_i w_i (y_i − x_i'β) the covariance
    is the linearised variance of Σ_i (X'WX)⁻¹ u_i over the design, post-stratification or
    raking residuals included (``survey:::svy.varcoef`` with ``svyrecvar``).

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import weighted_ols
    >>> d = pd.DataFrame({"sex": ["m"] * 4 + ["f"] * 6, "age": [30, 45, 50, 62, 28, 35, 41, 56, 60, 70],
    ...                   "sat": [3, 4, 4, 5, 2, 3, 3, 4, 4, 5]})
    >>> res = weighted_ols(d, "sat ~ age", poststrata="sex", population={"m": 500, "f": 500})
    >>> res[["term", "estimate", "se", "df"]].round(4)
            term  estimate      se   df
    0  Intercept    0.8477  0.4339  8.0
    1        age    0.0610  0.0088  8.0

    # R: summary(svyglm(sat ~ age, postStratify(svydesign(id = ~1, weights = ~1, data = d), ~sex,
    #    data.frame(sex = c("f", "m"), Freq = c(500, 500)))))
    """
    import patsy

    check_scalar("max_iter", max_iter, "weighted_ols", kind=int, low=1)
    check_scalar("tol", tol, "weighted_ols", low=0, inclusive="neither")
    design = _build_design(data, design_weights(data, weights), strata, cluster, fpc,
                           poststrata, population, calibration, max_iter, tol)
    y_df, X_df = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="drop")
    used = np.zeros(len(data), bool)
    used[data.index.get_indexer(X_df.index)] = True
    n_all, k = len(data), X_df.shape[1]
    X = np.zeros((n_all, k))
    y = np.zeros(n_all)
    pos = data.index.get_indexer(X_df.index)
    X[pos] = X_df.to_numpy(dtype=float)
    y[pos] = y_df.to_numpy(dtype=float)[:, 0]
    w = np.where(used, design.w, 0.0)
    XtW = X.T * w
    A = XtW @ X
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise CannotCompute(f"the predictors of {formula!r} are collinear in the weighted data") from None
    beta = Ainv @ (XtW @ y)
    resid = np.where(used, y - X @ beta, 0.0)
    estfun = X * (w * resid)[:, None]
    V = _linearised_var(estfun @ Ainv, design)
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    df = float(len(design.psu_stratum) - len(design.n_psu) + 1 - k)
    out = coef_table(X_df.columns, beta, se, ("t", df))
    out.insert(4, "df", df)
    out["n"] = int(used.sum())
    return out


_with_design(weighted_ols)
