"""Survey weights: post-stratification and raking to population totals, and weights for
communities from household counts (design-based estimation with them: :mod:`weighted`).

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

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from pipeline.stats._calibration import (
    as_list,
    design_weights,
    margins_of,
    population_totals,
    poststratify_core,
    rake_core,
    row_keys,
    type_hint,
)
from pipeline.stats._util import check_columns, check_scalar, numeric_frame

# ---------------------------------------------------------------- inputs


# ---------------------------------------------------------------- calibration


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
    >>> import pandas as pd
    >>> from pipeline.stats import poststratify
    >>> d = pd.DataFrame({"sex": ["m", "m", "f", "f", "f"], "pw": [10, 10, 10, 10, 20]})
    >>> w = poststratify(d, "sex", {"m": 40, "f": 60}, weight="pw")
    >>> w.tolist()
    [20.0, 20.0, 15.0, 15.0, 30.0]
    >>> w.groupby(d["sex"]).sum().to_dict()
    {'f': 60.0, 'm': 40.0}

    On the survey package's api data (tests/reference/data/apistrat.csv),
    ``poststratify(apistrat, "stype", {"E": 4421, "H": 755, "M": 1018}, weight="pw")`` gives
    the weights of

    # R: postStratify(svydesign(id=~1, weights=~pw, data=apistrat), ~stype,
    #                 data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018)))
    """
    cols = as_list(strata, "strata")
    w0 = design_weights(data, weight)
    keys = row_keys(data, cols, "stratum")
    totals = population_totals(population, cols)
    w = poststratify_core(keys, w0, totals, cols)
    return pd.Series(w, index=data.index, name="weight")


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
        Largest number of passes over the margins, >= 1 (R's ``control$maxit``, 10 there).
    tol : float
        Convergence (> 0): a pass is the last when no cell of the joint weighted table of all margin
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
    >>> import pandas as pd
    >>> from pipeline.stats import rake
    >>> d = pd.DataFrame({"sex": ["m", "m", "f", "f", "f", "m", "f"],
    ...                   "age": ["young", "old", "young", "old", "old", "old", "young"]})
    >>> w = rake(d, {"sex": {"m": 50, "f": 50}, "age": {"young": 40, "old": 60}})
    >>> w.round(3).tolist()
    [15.887, 17.056, 12.056, 12.944, 12.944, 17.056, 12.056]
    >>> w.groupby(d["sex"]).sum().round(3).to_dict(), w.groupby(d["age"]).sum().round(3).to_dict()
    ({'f': 50.0, 'm': 50.0}, {'old': 60.0, 'young': 40.0})
    >>> w.attrs
    {'iterations': 5, 'converged': True}

    On the survey package's api data (tests/reference/data/apistrat.csv),
    ``rake(apistrat, {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072,
    "Yes": 5122}}, weight="pw")`` gives the weights of

    # R: rake(svydesign(id=~1, weights=~pw, data=apistrat), list(~stype, ~sch.wide),
    #         list(pop.types, pop.schwide), control=list(maxit=50, epsilon=1e-6))
    """
    check_scalar("max_iter", max_iter, "rake", kind=int, low=1)
    check_scalar("tol", tol, "rake", low=0, inclusive="neither")
    totals = margins_of(margins)
    w0 = design_weights(data, weight)
    w, _, passes, converged = rake_core(data, totals, w0, max_iter, tol)
    out = pd.Series(w, index=data.index, name="weight")
    out.attrs = {"iterations": passes, "converged": converged}
    return out


# ---------------------------------------------------------------- design and variance




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
    >>> import pandas as pd
    >>> from pipeline.stats import community_weights
    >>> d = pd.DataFrame({"community": [1, 1, 1, 1, 2, 2, 3, 3]})
    >>> households = pd.DataFrame({"community": ["东园", "西园", "南园"], "households": [200, 300, 500]})
    >>> w, table = community_weights(d, "community", households, {1: "东园", 2: "西园", 3: "南园"})
    >>> table
      community  code  households  sample_n  weight
    0        东园     1       200.0         4     0.4
    1        西园     2       300.0         2     1.2
    2        南园     3       500.0         2     2.0
    >>> w.round(3).tolist()
    [0.4, 0.4, 0.4, 0.4, 1.2, 1.2, 2.0, 2.0]

    In the pipeline: ``community_weights(clean, "community", "examples/demo/raw/households.csv",
    labels)``.

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
                         f"labelled codes: {list(labels)}" + type_hint(bad, list(labels)))
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
