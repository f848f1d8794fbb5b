"""Survey statistics that agree with R (psych, lavaan, survey, ordinal, lme4) and SPSS.

pingouin-style functions: a DataFrame and column names in, a tidy DataFrame (or a dict of them)
out, with identifier-safe column names. Each function's docstring names the R call it follows.
"""

from pipeline.stats.compare import (
    compare_groups,
    compare_many,
    compare_two,
    p_adjust,
    posthoc,
)
from pipeline.stats.descriptives import crosstab, describe, frequencies, multi_response
from pipeline.stats.models import icc, logit, mixed, nominal_test, ols, ordinal_logit
from pipeline.stats.participation import participation, wilson_ci
from pipeline.stats.paths import mediation, moderation
from pipeline.stats.priorities import consensus, kendall_w, ranking_summary
from pipeline.stats.reliability import item_analysis, reliability
from pipeline.stats.satisfaction import (
    construct_scores,
    ipa,
    key_drivers,
    satisfaction_index,
)
from pipeline.stats.sem import sem
from pipeline.stats.validity import (
    bartlett,
    cfa,
    efa,
    harman_single_factor,
    htmt,
    kmo,
    measurement_validity,
    n_factors,
)
from pipeline.stats.weighted import weighted_crosstab_test, weighted_mean, weighted_ols, weighted_proportions
from pipeline.stats.weights import community_weights, poststratify, rake

__all__ = [
    "frequencies", "multi_response", "crosstab", "describe",
    "reliability", "item_analysis", "kmo", "bartlett", "efa", "n_factors", "cfa", "htmt", "measurement_validity", "harman_single_factor", "mediation", "moderation", "sem",
    "construct_scores", "satisfaction_index", "ipa", "key_drivers",
    "participation", "wilson_ci", "ranking_summary", "kendall_w", "consensus",
    "compare_two", "compare_groups", "posthoc", "p_adjust", "compare_many",
    "ols", "logit", "ordinal_logit", "nominal_test", "mixed", "icc",
    "poststratify", "rake", "weighted_mean", "weighted_proportions", "weighted_crosstab_test", "weighted_ols", "community_weights",
]
