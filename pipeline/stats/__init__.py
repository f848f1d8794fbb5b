"""Survey statistics that agree with R (psych, lavaan, survey, ordinal, lme4).

pingouin-style functions: a DataFrame and column names in, a tidy DataFrame (or a dict of them)
out, with identifier-safe column names. Each function's docstring names the R call it follows.
"""

from .participation import participation, wilson_ci
from .priorities import consensus, kendall_w, ranking_summary
from .reliability import item_analysis, reliability
from .satisfaction import construct_scores, ipa, key_drivers, satisfaction_index
from .validity import bartlett, cfa, efa, kmo, n_factors

__all__ = [
    "reliability", "item_analysis", "kmo", "bartlett", "efa", "n_factors", "cfa",
    "construct_scores", "satisfaction_index", "ipa", "key_drivers",
    "participation", "wilson_ci", "ranking_summary", "kendall_w", "consensus",
]
