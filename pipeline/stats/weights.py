"""Survey weights: post-stratification and raking to population totals, and design-based means
and proportions with Taylor-linearised standard errors and design effects.

Computed as R's ``survey`` package (Lumley) does: ``postStratify``, ``rake`` and ``svymean`` on a
``svydesign`` with strata, one stage of clusters (PSUs) and an optional finite population
correction. The variance of a post-stratified or raked estimate uses the residuals of the
linearised scores from the post-stratum (for raking: each margin in turn) means, as
``survey:::svyrecvar`` does, so that calibration on known totals is credited.

Weights are plain numbers per row (a Series aligned with the data); the functions that need the
calibration for the variance take the calibration variables (``poststrata``) and, optionally, the
population totals to calibrate the design weights themselves.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.stats._util import check_choice, check_columns, numeric_frame

_Z95 = float(stats.norm.ppf(0.975))
_RAKE_VARIANCE_SWEEPS = 10  # survey:::svyrecvar: `for (iterations in 1:10)` over the margins


# ---------------------------------------------------------------- inputs

def _design_weights(data: pd.DataFrame, weight, what: str = "weight") -> np.ndarray:
    """Design weights as float64: None → 1 for every row; a column name; or an array/Series
    aligned with the rows of data."""
    n = len(data)
    if weight is None:
        return np.ones(n)
    if isinstance(weight, str):
        check_columns(data, [weight], f"{what} column")
        s = numeric_frame(data, [weight])[weight]
    elif isinstance(weight, pd.Series):
        if not weight.index.equals(data.index):
            if weight.index.has_duplicates or not data.index.isin(weight.index).all():
                raise ValueError(f"the {what} Series is not aligned with data: its index must hold "
                                 "every row label of data exactly once (pass a column name, or "
                                 "weights computed from this data)")
            weight = weight.reindex(data.index)
        try:
            s = pd.to_numeric(weight, errors="raise").astype("float64")
        except (ValueError, TypeError):
            raise ValueError(f"the {what} values are not numeric (dtype {weight.dtype})") from None
    else:
        arr = np.asarray(weight)
        if arr.ndim != 1 or len(arr) != n:
            raise ValueError(f"{what} must be a column name or one number per row of data "
                             f"({n}); got shape {arr.shape}")
        try:
            s = pd.Series(arr.astype("float64"), index=data.index)
        except (ValueError, TypeError):
            raise ValueError(f"the {what} values are not numeric (dtype {arr.dtype})") from None
    w = s.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(w)
    if bad.any():
        raise ValueError(f"{what} missing or infinite in {int(bad.sum())} row(s) "
                         f"(row labels {list(data.index[bad][:5])}); every row needs a weight")
    if (w < 0).any():
        raise ValueError(f"{what} must be >= 0; {int((w < 0).sum())} row(s) are negative "
                         f"(row labels {list(data.index[w < 0][:5])})")
    if n and w.sum() <= 0:
        raise ValueError(f"the {what}s sum to 0: nothing to estimate")
    return w


def _as_list(cols, what: str) -> list[str]:
    cols = [cols] if isinstance(cols, str) else list(cols)
    if not cols:
        raise ValueError(f"{what}: give at least one column")
    if len(set(cols)) != len(cols):
        raise ValueError(f"{what}: a column is named twice in {cols}")
    return cols


def _keys(data: pd.DataFrame, cols: list[str], what: str) -> list:
    """One stratum key per row: the value (one column) or the tuple of values (several)."""
    check_columns(data, cols, f"{what} column")
    sub = data[cols]
    bad = sub.isna().any(axis=1).to_numpy()
    if bad.any():
        raise ValueError(f"{what} {cols} missing in {int(bad.sum())} row(s) (row labels "
                         f"{list(data.index[bad][:5])}); every row needs a {what}")
    vals = [sub[c].tolist() for c in cols]
    return vals[0] if len(cols) == 1 else list(zip(*vals))


def _codes(keys: list) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    return codes.astype(np.intp), list(uniques)


def _population_totals(population, cols: list[str], what: str = "population") -> dict:
    """{stratum key: total} from a mapping, a Series (index = strata) or a DataFrame holding the
    stratum column(s) and one column of totals (as R's data.frame(..., Freq))."""
    if isinstance(population, pd.DataFrame):
        check_columns(population, cols, f"{what} stratum column")
        rest = [c for c in population.columns if c not in cols]
        if len(rest) != 1:
            raise ValueError(f"the {what} DataFrame must hold the stratum column(s) {cols} and "
                             f"exactly one column of totals; got other columns {rest}")
        keys = _keys(population, cols, f"{what} stratum")
        tot = population[rest[0]].tolist()
    elif isinstance(population, pd.Series):
        if len(cols) > 1 and not isinstance(population.index, pd.MultiIndex):
            raise ValueError(f"{len(cols)} stratum columns {cols}: the {what} Series needs a "
                             "MultiIndex with one level per column")
        keys, tot = list(population.index), population.tolist()
    elif isinstance(population, Mapping):
        keys, tot = list(population.keys()), list(population.values())
    else:
        raise TypeError(f"{what} must be a DataFrame, a Series or a dict stratum → total; "
                        f"got {type(population).__name__}")
    if len(cols) > 1:
        bad = [k for k in keys if not (isinstance(k, tuple) and len(k) == len(cols))]
        if bad:
            raise ValueError(f"{what} keys must be tuples of {len(cols)} values (one per column "
                             f"{cols}); got {bad[:5]}")
    out: dict = {}
    for k, t in zip(keys, tot):
        if k in out:
            raise ValueError(f"{what} stratum {k!r} is given twice")
        try:
            t = float(t)
        except (TypeError, ValueError):
            raise ValueError(f"{what} total of stratum {k!r} is not a number: {t!r}") from None
        if not np.isfinite(t) or t < 0:
            raise ValueError(f"{what} total of stratum {k!r} must be a finite number >= 0; got {t}")
        out[k] = t
    return out


def _type_hint(a: list, b: list) -> str:
    sa, sb = {str(x) for x in a}, {str(x) for x in b}
    if sa & sb:
        return (" (the same labels appear with different types, e.g. numbers in the data and "
                "text in the population: convert one of them)")
    return ""


# ---------------------------------------------------------------- calibration

def _sorted(values) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _poststratify_core(keys: list, w0: np.ndarray, totals: dict, cols: list[str]) -> np.ndarray:
    """As survey::postStratify: w = w0 · N_h / Σ_h w0."""
    return _poststratify_codes(*_codes(keys), w0, totals, cols)


def _poststratify_codes(codes: np.ndarray, uniques: list, w0: np.ndarray, totals: dict,
                        cols: list[str]) -> np.ndarray:
    sample_tot = np.bincount(codes, weights=w0, minlength=len(uniques))
    in_sample = {u for u, t in zip(uniques, sample_tot) if t > 0}
    pop_pos = {k for k, t in totals.items() if t > 0}
    only_sample = [u for u in uniques if u in in_sample and u not in pop_pos]
    if only_sample:
        raise ValueError(f"strata of {cols} in the sample are absent from the population (or have "
                         f"a total of 0): {only_sample}; population strata: {list(totals)}"
                         + _type_hint(only_sample, list(totals)))
    only_pop = [k for k in totals if k in pop_pos and k not in in_sample]
    if only_pop:
        raise ValueError(f"strata of {cols} in the population are absent from the sample (or all "
                         f"their weights are 0): {only_pop}; sample strata: {_sorted(uniques)}. Merge them "
                         "with a neighbouring stratum or drop them from the population"
                         + _type_hint(only_pop, uniques))
    factor = np.array([totals[u] / t if t > 0 else 0.0 for u, t in zip(uniques, sample_tot)])
    return w0 * factor[codes]


def poststratify(data: pd.DataFrame, strata: str | Sequence[str], population,
                 weight=None) -> pd.Series:
    """Post-stratification weights: weighted counts equal the population totals per stratum.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    strata : str or list of str
        The post-stratification column; several columns post-stratify on their cross-classified
        cells (the population then gives a total per combination).
    population : dict, Series or DataFrame
        Population total per stratum: ``{stratum: total}`` (keys are tuples for several
        columns), a Series indexed by stratum, or a DataFrame holding the stratum column(s) and one
        column of totals (R's ``data.frame(stype = ..., Freq = ...)``). Strata with a total of 0
        that do not occur in the sample are ignored.
    weight : str or array-like, optional
        Design weights (a column name or one number per row); default 1 for every row.

    Returns
    -------
    Series ``weight`` aligned with ``data``: w_i = d_i · N_h / Σ_{j∈h} d_j for respondent i in
    stratum h (d: design weight, N_h: population total).

    Raises
    ------
    ValueError
        A stratum of the population is absent from the sample (or all its design weights are 0),
        a stratum of the sample is absent from the population, or a row has no stratum.

    Notes
    -----
    Weighted counts Σ_{i∈h} w_i = N_h exactly. For the standard errors of estimates on these
    weights pass ``poststrata=strata`` to :func:`weighted_mean`.

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, ch. 7. Wiley.

    Examples
    --------
    >>> w = poststratify(apistrat, "stype", {"E": 4421, "H": 755, "M": 1018}, weight="pw")  # doctest: +SKIP
    # R: postStratify(svydesign(id=~1, weights=~pw, data=apistrat), ~stype,
    #                 data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018)))
    """
    cols = _as_list(strata, "strata")
    w0 = _design_weights(data, weight)
    keys = _keys(data, cols, "stratum")
    totals = _population_totals(population, cols)
    w = _poststratify_core(keys, w0, totals, cols)
    return pd.Series(w, index=data.index, name="weight")


def _margins_of(margins, what: str = "margins") -> dict:
    if not isinstance(margins, Mapping) or not margins:
        raise TypeError(f"{what} must be a non-empty dict {{column: {{level: total}}}}; "
                        f"got {type(margins).__name__}")
    return {c: _population_totals(m, [c], f"margin '{c}'") for c, m in margins.items()}


def _rake_core(data: pd.DataFrame, totals: dict, w0: np.ndarray, max_iter: int, tol: float):
    """survey::rake: post-stratify on each margin in turn until the joint weighted table of all
    margin variables changes by less than epsilon between passes. Returns the weights, the weights
    after each margin's step in the last pass (which svyrecvar uses), passes made, convergence."""
    cols = list(totals)
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number; got {tol!r}")
    keys = {c: _keys(data, [c], "margin") for c in cols}
    joint, _ = _codes(list(zip(*keys.values())))
    coded = {c: _codes(keys[c]) for c in cols}
    eps = tol * w0.sum() if tol < 1 else tol
    w = w0.copy()
    old = np.bincount(joint, weights=w)
    step_w: list[np.ndarray] = []
    converged, passes = False, 0
    while passes < max_iter:
        passes += 1
        step_w = []
        for c in cols:
            w = _poststratify_codes(*coded[c], w, totals[c], [c])
            step_w.append(w)
        new = np.bincount(joint, weights=w)
        if np.max(np.abs(old - new)) < eps:
            converged = True
            break
        old = new
    if not converged:
        warnings.warn(f"Raking did not converge after {max_iter} iterations (largest change of a "
                      f"weighted cell in the last pass above {eps:g}); raise max_iter or tol",
                      RuntimeWarning, stacklevel=3)
    return w, step_w, passes, converged


def rake(data: pd.DataFrame, margins: Mapping, weight=None, max_iter: int = 50,
         tol: float = 1e-6) -> pd.Series:
    """Raking (iterative proportional fitting) of the weights to several population margins.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    margins : dict
        ``{column: population}`` where each population is given as in :func:`poststratify`
        (``{level: total}``, a Series or a two-column DataFrame). The margins should have the same
        grand total.
    weight : str or array-like, optional
        Design weights; default 1 for every row.
    max_iter : int
        Largest number of passes over the margins (R's ``control$maxit``, 10 there).
    tol : float
        Convergence: a pass is the last when no cell of the joint weighted table of all margin
        columns changed by ``tol`` or more since the previous pass. ``tol < 1`` is relative to the
        sum of the design weights, ``tol >= 1`` is absolute — R's ``control$epsilon`` (default 1,
        i.e. one population unit). The default 1e-6 is stricter than R's default.

    Returns
    -------
    Series ``weight`` aligned with ``data``. ``attrs`` holds ``iterations`` (passes made) and
    ``converged``. A RuntimeWarning is issued when raking did not converge.

    Notes
    -----
    Each pass post-stratifies on every margin in turn (w ← w · N_l / Σ_{i∈l} w_i), so the last
    margin is met exactly and the earlier ones to within the tolerance. For standard errors
    pass ``poststrata=list(margins), calibration="rake"`` to :func:`weighted_mean`.

    References
    ----------
    Deming, W. E. & Stephan, F. F. (1940). Annals of Mathematical Statistics 11, 427–444.
    Lumley, T. survey: ``rake``.

    Examples
    --------
    >>> w = rake(apistrat, {"stype": {"E": 4421, "H": 755, "M": 1018},
    ...                     "sch.wide": {"No": 1072, "Yes": 5122}}, weight="pw")  # doctest: +SKIP
    # R: rake(svydesign(id=~1, weights=~pw, data=apistrat), list(~stype, ~sch.wide),
    #         list(pop.types, pop.schwide), control=list(maxit=50, epsilon=1e-6))
    """
    totals = _margins_of(margins)
    w0 = _design_weights(data, weight)
    w, _, passes, converged = _rake_core(data, totals, w0, max_iter, tol)
    out = pd.Series(w, index=data.index, name="weight")
    out.attrs = {"iterations": passes, "converged": converged}
    return out


# ---------------------------------------------------------------- design and variance

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
        s_codes, s_uniques = _codes(_keys(data, [strata], "stratum"))
    if cluster is None:
        psu, psu_stratum = np.arange(n, dtype=np.intp), s_codes
    else:
        _keys(data, [cluster], "cluster")          # checks: present, no missing value
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
        raise ValueError(f"stratum {s_uniques[int(np.flatnonzero(lonely)[0])]!r} has only one PSU: "
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
    cols = _as_list(poststrata, "poststrata")
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
        keys = _keys(data, cols, "post-stratum")
        codes, _ = _codes(keys)
        if population is None:
            # weights already post-stratified: within a post-stratum the design weights are
            # proportional to them, so the residuals need only the final weights
            design.calib = [("post", codes, w0, w0)]
        else:
            w = _poststratify_core(keys, w0, _population_totals(population, cols), cols)
            design.w = w
            design.calib = [("post", codes, w, w0)]
        return design
    margin_codes = [_codes(_keys(data, [c], "margin"))[0] for c in cols]
    if population is None:
        # weights already raked: at convergence each margin's step leaves them unchanged
        design.calib = [("rake", [(c, w0) for c in margin_codes])]
        return design
    totals = _margins_of(population, "population (margins for calibration='rake')")
    if set(totals) != set(cols):
        raise ValueError(f"the margins in population {list(totals)} do not match poststrata {cols}")
    totals = {c: totals[c] for c in cols}
    w, step_w, _, _ = _rake_core(data, totals, w0, max_iter, tol)
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
            for _ in range(_RAKE_VARIANCE_SWEEPS):
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


def _estimate(y: np.ndarray, used: np.ndarray, design: _Design, deff: str) -> dict:
    """svymean of the columns of y over the rows `used` (others are a domain outside: weight 0
    in the estimate, kept in the variance structure, as survey's subsetting does)."""
    wm = np.where(used, design.w, 0.0)
    psum = wm.sum()
    if psum <= 0:
        raise ValueError("no answered row has a positive weight")
    yy = np.where(used[:, None], y, 0.0)
    mean = (wm[:, None] * yy).sum(axis=0) / psum
    z = np.where(used[:, None], yy - mean, 0.0)
    v = np.diag(_linearised_var(z * (wm / psum)[:, None], design))
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
        Passed to :func:`rake` when ``calibration='rake'`` and population is given."""


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
    >>> weighted_mean(apistrat, ["api00"], "pw", poststrata="stype",
    ...               population={"E": 4421, "H": 755, "M": 1018})  # doctest: +SKIP
    # R: svymean(~api00, postStratify(svydesign(id=~1, weights=~pw, data=apistrat), ~stype,
    #            pop.types), deff=TRUE)
    """
    cols = check_columns(data, _as_list(columns, "columns"), "column")
    check_choice("deff", deff, ("srswor", "srswr"))
    check_choice("nan_policy", nan_policy, ("omit", "listwise"))
    y = numeric_frame(data, cols).to_numpy()
    design = _build_design(data, _design_weights(data, weights), strata, cluster, fpc,
                           poststrata, population, calibration, max_iter, tol)
    answered = ~np.isnan(y)
    if nan_policy == "listwise":
        answered[:] = answered.all(axis=1, keepdims=True)
    rows = []
    for j, c in enumerate(cols):
        if not answered[:, j].any():
            raise ValueError(f"column '{c}' has no answers" +
                             (" in rows complete on every column" if nan_policy == "listwise" else ""))
        est = _estimate(y[:, [j]], answered[:, j], design, deff)
        _warn_deff(est, deff)
        m, se = float(est["mean"][0]), float(est["se"][0])
        rows.append({"variable": c, "n": est["n"], "mean": m, "se": se,
                     "ci95_low": m - _Z95 * se, "ci95_high": m + _Z95 * se,
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
    >>> weighted_proportions(apistrat, "awards", "pw", strata="stype", fpc="fpc")  # doctest: +SKIP
    # R: svymean(~awards, svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc,
    #            data=apistrat), deff=TRUE)
    """
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
                             + _type_hint(unknown, levels))
    if not used.any():
        raise ValueError(f"column '{col}' has no answers")
    level_of = {lv: k for k, lv in enumerate(levels)}
    codes, uniq = pd.factorize(s)                       # -1 for a missing value
    row_level = np.array([level_of.get(u, -1) for u in list(uniq)] + [-1])[codes]
    y = (row_level[:, None] == np.arange(len(levels))[None, :]).astype(float)
    design = _build_design(data, _design_weights(data, weights), strata, cluster, fpc,
                           poststrata, population, calibration, max_iter, tol)
    est = _estimate(y, used, design, deff)
    _warn_deff(est, deff)
    rows = []
    for k, lv in enumerate(levels):
        p, se = float(est["mean"][k]), float(est["se"][k])
        rows.append({"variable": col, "category": lv, "n": est["n"], "count": int(y[:, k].sum()),
                     "proportion": p, "se": se, "ci95_low": p - _Z95 * se,
                     "ci95_high": p + _Z95 * se, "deff": float(est["deff"][k])})
    return pd.DataFrame(rows, columns=["variable", "category", "n", "count", "proportion", "se",
                                       "ci95_low", "ci95_high", "deff"])


weighted_mean.__doc__ = weighted_mean.__doc__.replace("{design}\n", _DOC_DESIGN + "\n")
weighted_proportions.__doc__ = weighted_proportions.__doc__.replace("{design}\n", _DOC_DESIGN + "\n")


# ---------------------------------------------------------------- the pipeline's community weights

def community_weights(data: pd.DataFrame, community_col: str, population: str | Path | pd.DataFrame,
                      labels: Mapping, *, label_col: str = "community",
                      count_col: str = "households") -> tuple[pd.Series, pd.DataFrame]:
    """Post-stratify respondents to the households of their community, weights with mean 1.

    Parameters
    ----------
    data : DataFrame
        Clean survey data; ``community_col`` holds the community codes (1..6 in the demo).
    community_col : str
        The community column.
    population : path or DataFrame
        The population file (``households.csv``: UTF-8, with or without BOM) or frame, with a
        column of community labels and one of household counts.
    labels : dict
        Community code → label, e.g. from the questionnaire:
        ``{o.code: o.label for o in q.options_of(q.item_index["community"])}``. Labels are
        compared after normalising full-width characters and spaces (``textnorm.canon``).
    label_col, count_col : str
        Column names in the population file.

    Returns
    -------
    weights : Series ``weight`` aligned with ``data``, mean 1: households_c / sample_n_c · n / N for
        a respondent of community c (n respondents, N households in all).
    table : DataFrame, one row per community of the population file, in its order:
        community : label
        code : code in the data
        households : population count
        sample_n : respondents
        weight : the weight of each respondent of the community

    Raises
    ------
    ValueError
        A code in the data has no label, a label in the population file is not a community of the
        questionnaire, a community of the population has no respondent, a respondent's community
        is missing, or a community of the data is not in the population file.

    Notes
    -----
    Weighted counts are proportional to the households: Σ_{i∈c} w_i = households_c · n / N.
    Estimates with these weights: :func:`weighted_mean` with ``poststrata=community_col`` (and
    ``deff='srswr'``, since the weights are not scaled to the population).

    Examples
    --------
    >>> w, table = community_weights(clean, "community", "examples/demo/raw/households.csv",
    ...                              labels)  # doctest: +SKIP
    # R: postStratify(svydesign(id=~1, data=clean), ~community, households); then w / mean(w)
    """
    from pipeline.core.textnorm import canon

    col = check_columns(data, [community_col], "community column")[0]
    if isinstance(population, (str, Path)):
        pop = pd.read_csv(population, encoding="utf-8-sig", dtype={label_col: str})
        source = str(population)
    elif isinstance(population, pd.DataFrame):
        pop, source = population, "the population frame"
    else:
        raise TypeError(f"population must be a path or a DataFrame; got {type(population).__name__}")
    check_columns(pop, [label_col, count_col], f"population ({source}) column")
    if not isinstance(labels, Mapping) or not labels:
        raise TypeError("labels must be a non-empty dict code → community label")
    by_canon: dict[str, object] = {}
    for code, lab in labels.items():
        key = canon(lab)
        if key in by_canon:
            raise ValueError(f"labels: {lab!r} is the label of two codes ({by_canon[key]!r}, {code!r})")
        by_canon[key] = code
    pop_labels = pop[label_col].tolist()
    unknown = [lab for lab in pop_labels if canon(lab) not in by_canon]
    if unknown:
        raise ValueError(f"communities {unknown} in {source} are not among the labels "
                         f"{list(labels.values())}")
    pop_codes = [by_canon[canon(lab)] for lab in pop_labels]
    if len(set(pop_codes)) != len(pop_codes):
        dup = [lab for lab, c in zip(pop_labels, pop_codes) if pop_codes.count(c) > 1]
        raise ValueError(f"communities {dup} appear more than once in {source}")
    counts = numeric_frame(pop, [count_col])[count_col].tolist()
    codes = data[col]
    if codes.isna().any():
        raise ValueError(f"community column '{col}' is missing in {int(codes.isna().sum())} row(s) "
                         f"(row labels {list(data.index[codes.isna().to_numpy()][:5])})")
    in_data = set(pd.unique(codes).tolist())
    bad = sorted((v for v in in_data if v not in labels), key=str)
    if bad:
        raise ValueError(f"community column '{col}' has codes without a label: {bad[:10]}; "
                         f"labelled codes: {list(labels)}" + _type_hint(bad, list(labels)))
    missing_pop = sorted((v for v in in_data if v not in set(pop_codes)), key=str)
    if missing_pop:
        raise ValueError(f"communities {[labels[c] for c in missing_pop]} have respondents but "
                         f"no household count in {source}")
    empty = [labels[c] for c, k in zip(pop_codes, counts) if c not in in_data and k > 0]
    if empty:
        raise ValueError(f"communities {empty} in {source} have no respondents: their households "
                         "cannot be represented; merge them with a similar community or drop them "
                         "from the population file")
    w = poststratify(data, col, dict(zip(pop_codes, counts)))
    w = w * (len(w) / w.sum())
    w.name = "weight"
    n_by = codes.value_counts()
    table = pd.DataFrame({
        "community": [labels[c] for c in pop_codes],
        "code": pop_codes,
        "households": counts,
        "sample_n": [int(n_by.get(c, 0)) for c in pop_codes],
    })
    per = pd.Series(w.to_numpy(), index=codes.to_numpy()).groupby(level=0).first()
    table["weight"] = [float(per[c]) for c in pop_codes]
    return w, table
