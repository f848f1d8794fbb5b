"""Resident participation: rate overall, by stage and by channel, and depth (number of stages)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.stats._util import check_columns, check_scalar, numeric_frame


def wilson_ci(k: float, n: float, ci: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n.

    Parameters
    ----------
    k : float
        Number of events (a weighted count may be fractional), 0 <= k <= n.
    n : float
        Number of trials, >= 0.
    ci : float
        Confidence level, in (0, 1).

    Returns
    -------
    (low, high) : tuple of float
        The interval's ends as proportions (0–1); NaN when n = 0.

    Notes
    -----
    With p = k/n and z the (1 + ci)/2 normal quantile: centre (p + z²/2n) / (1 + z²/n),
    half-width z sqrt(p(1 − p)/n + z²/4n²) / (1 + z²/n).
    # R: prop.test(k, n, correct = FALSE)$conf.int

    Examples
    --------
    >>> from pipeline.stats import wilson_ci
    >>> [round(float(v), 5) for v in wilson_ci(327, 600)]
    [0.50499, 0.58443]

    # R: prop.test(327, 600, correct = FALSE)$conf.int  0.50499 0.58443
    """
    check_scalar("ci", ci, "wilson_ci", low=0, high=1, inclusive="neither")
    check_scalar("n", n, "wilson_ci", low=0)
    check_scalar("k", k, "wilson_ci", low=0, high=n)
    if n == 0:
        return np.nan, np.nan
    z = stats.norm.ppf(1 - (1 - ci) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _share_rows(x: pd.DataFrame, base_all: int, base_part: int, name: str) -> pd.DataFrame:
    rows = []
    for key in x.columns:
        k = int((x[key] == 1).sum())
        lo, hi = wilson_ci(k, base_all)
        rows.append({name: key, "n": k, "pct_of_participants": 100 * k / base_part if base_part else np.nan,
                     "pct_of_all": 100 * k / base_all if base_all else np.nan,
                     "ci95_low": 100 * lo, "ci95_high": 100 * hi})
    return pd.DataFrame(rows)


def participation(data: pd.DataFrame, participated: str, yes: int = 1,
                  stages: Mapping[str, str] | None = None, channels: Mapping[str, str] | None = None,
                  ci: float = 0.95) -> dict[str, pd.DataFrame]:
    """Participation rate and its breakdown.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    participated : str
        Column saying whether the respondent took part (code ``yes`` = took part); rows where
        it is missing are left out.
    yes : int or float
        The code of ``participated`` that means "took part" (any other code: did not).
    stages, channels : dict, optional
        Stage (channel) → its 0/1 column; missing (a logic skip) for non-participants.
    ci : float
        Confidence level of the Wilson interval of the overall rate, in (0, 1). The stage and
        channel intervals are 95% intervals (their columns are named ``ci95_*``).

    Returns
    -------
    dict of DataFrames:
        overall : one row: n, n_participated, rate (%), ci95_low, ci95_high (Wilson, %)
        stages : one row per stage: stage, n, pct_of_participants, pct_of_all, ci95_low, ci95_high
        channels : the same per channel
        depth : number of stages taken part in (participants): depth, n, pct; attrs['mean_depth']

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import participation
    >>> d = pd.DataFrame({"took_part": [1, 1, 1, 2, 2, None],
    ...                   "s_plan": [1, 0, 1, None, None, None],
    ...                   "s_build": [1, 1, 0, None, None, None]})
    >>> res = participation(d, "took_part", yes=1, stages={"plan": "s_plan", "build": "s_build"})
    >>> res["overall"].round(1)
       n  n_participated  rate  ci95_low  ci95_high
    0  5               3  60.0      23.1       88.2
    >>> res["stages"][["stage", "n", "pct_of_participants", "pct_of_all"]].round(1)
       stage  n  pct_of_participants  pct_of_all
    0   plan  2                 66.7        40.0
    1  build  2                 66.7        40.0
    >>> res["depth"].round(1)
       depth  n   pct
    0      0  0   0.0
    1      1  2  66.7
    2      2  1  33.3
    """
    check_scalar("yes", yes, "participation")
    check_scalar("ci", ci, "participation", low=0, high=1, inclusive="neither")
    check_columns(data, [participated], "column")
    p = numeric_frame(data, [participated])[participated]
    valid = p.notna()
    n = int(valid.sum())
    took = (p == yes) & valid
    k = int(took.sum())
    lo, hi = wilson_ci(k, n, ci)
    out = {"overall": pd.DataFrame([{"n": n, "n_participated": k, "rate": 100 * k / n if n else np.nan,
                                     "ci95_low": 100 * lo, "ci95_high": 100 * hi}])}
    for name, spec in (("stage", stages), ("channel", channels)):
        if not spec:
            continue
        x = numeric_frame(data, check_columns(data, list(spec.values()), name))
        x.columns = list(spec)
        x = x.where(took, other=0)  # non-participants took part in no stage
        out[name + "s"] = _share_rows(x[valid], n, k, name)
        if name == "stage":
            depth = x[took].sum(axis=1).astype(int)
            dist = depth.value_counts().reindex(range(len(spec) + 1), fill_value=0)
            tab = pd.DataFrame({"depth": dist.index, "n": dist.to_numpy(), "pct": 100 * dist.to_numpy() / max(k, 1)})
            tab.attrs["mean_depth"] = float(depth.mean()) if k else np.nan
            out["depth"] = tab
    return out
