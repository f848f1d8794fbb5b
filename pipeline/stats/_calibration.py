"""Shared inputs and cores of survey weighting and design-based estimation (:mod:`weights` and
:mod:`weighted`): design weights, strata keys, population totals, post-stratification and raking
as R's ``survey`` package computes them. Internal: the public functions are in those modules."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import check_columns, numeric_frame

Z95 = float(stats.norm.ppf(0.975))



RAKE_VARIANCE_SWEEPS = 10  # survey:::svyrecvar: `for (iterations in 1:10)` over the margins



def design_weights(data: pd.DataFrame, weight, what: str = "weight") -> np.ndarray:
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
        raise CannotCompute(f"the {what}s sum to 0: nothing to estimate")
    return w



def as_list(cols, what: str) -> list[str]:
    cols = [cols] if isinstance(cols, str) else list(cols)
    if not cols:
        raise ValueError(f"{what}: give at least one column")
    if len(set(cols)) != len(cols):
        raise ValueError(f"{what}: a column is named twice in {cols}")
    return cols



def row_keys(data: pd.DataFrame, cols: list[str], what: str) -> list:
    """One stratum key per row: the value (one column) or the tuple of values (several)."""
    check_columns(data, cols, f"{what} column")
    sub = data[cols]
    bad = sub.isna().any(axis=1).to_numpy()
    if bad.any():
        raise ValueError(f"{what} {cols} missing in {int(bad.sum())} row(s) (row labels "
                         f"{list(data.index[bad][:5])}); every row needs a {what}")
    vals = [sub[c].tolist() for c in cols]
    return vals[0] if len(cols) == 1 else list(zip(*vals))



def key_codes(keys: list) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    return codes.astype(np.intp), list(uniques)



def population_totals(population, cols: list[str], what: str = "population") -> dict:
    """{stratum key: total} from a mapping, a Series (index = strata) or a DataFrame holding the
    stratum column(s) and one column of totals (as R's data.frame(..., Freq))."""
    if isinstance(population, pd.DataFrame):
        check_columns(population, cols, f"{what} stratum column")
        rest = [c for c in population.columns if c not in cols]
        if len(rest) != 1:
            raise ValueError(f"the {what} DataFrame must hold the stratum column(s) {cols} and "
                             f"exactly one column of totals; got other columns {rest}")
        keys = row_keys(population, cols, f"{what} stratum")
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



def type_hint(a: list, b: list) -> str:
    sa, sb = {str(x) for x in a}, {str(x) for x in b}
    if sa & sb:
        return (" (the same labels appear with different types, e.g. numbers in the data and "
                "text in the population: convert one of them)")
    return ""



def sorted_values(values) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)



def poststratify_core(keys: list, w0: np.ndarray, totals: dict, cols: list[str]) -> np.ndarray:
    """As survey::postStratify: w = w0 · N_h / Σ_h w0."""
    return poststratify_codes(*key_codes(keys), w0, totals, cols)



def poststratify_codes(codes: np.ndarray, uniques: list, w0: np.ndarray, totals: dict,
                        cols: list[str]) -> np.ndarray:
    sample_tot = np.bincount(codes, weights=w0, minlength=len(uniques))
    in_sample = {u for u, t in zip(uniques, sample_tot) if t > 0}
    pop_pos = {k for k, t in totals.items() if t > 0}
    only_sample = [u for u in uniques if u in in_sample and u not in pop_pos]
    if only_sample:
        raise ValueError(f"strata of {cols} in the sample are absent from the population (or have "
                         f"a total of 0): {only_sample}; population strata: {list(totals)}"
                         + type_hint(only_sample, list(totals)))
    only_pop = [k for k in totals if k in pop_pos and k not in in_sample]
    if only_pop:
        raise ValueError(f"strata of {cols} in the population are absent from the sample (or all "
                         f"their weights are 0): {only_pop}; sample strata: {sorted_values(uniques)}. Merge them "
                         "with a neighbouring stratum or drop them from the population"
                         + type_hint(only_pop, uniques))
    factor = np.array([totals[u] / t if t > 0 else 0.0 for u, t in zip(uniques, sample_tot)])
    return w0 * factor[codes]



def margins_of(margins, what: str = "margins") -> dict:
    if not isinstance(margins, Mapping) or not margins:
        raise TypeError(f"{what} must be a non-empty dict {{column: {{level: total}}}}; "
                        f"got {type(margins).__name__}")
    return {c: population_totals(m, [c], f"margin '{c}'") for c, m in margins.items()}



def rake_core(data: pd.DataFrame, totals: dict, w0: np.ndarray, max_iter: int, tol: float):
    """survey::rake: post-stratify on each margin in turn until the joint weighted table of all
    margin variables changes by less than epsilon between passes. Returns the weights, the weights
    after each margin's step in the last pass (which svyrecvar uses), passes made, convergence."""
    cols = list(totals)
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number; got {tol!r}")
    keys = {c: row_keys(data, [c], "margin") for c in cols}
    joint, _ = key_codes(list(zip(*keys.values())))
    coded = {c: key_codes(keys[c]) for c in cols}
    eps = tol * w0.sum() if tol < 1 else tol
    w = w0.copy()
    old = np.bincount(joint, weights=w)
    step_w: list[np.ndarray] = []
    converged, passes = False, 0
    while passes < max_iter:
        passes += 1
        step_w = []
        for c in cols:
            w = poststratify_codes(*coded[c], w, totals[c], [c])
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
