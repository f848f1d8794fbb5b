"""Numeric arguments of the public statistics functions are checked up front, with
scikit-learn's message: ``The 'ci' parameter of reliability must be a float in the range
(0.0, 1.0). Got 95 instead.`` A bool is never a number; good values still work."""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pandas as pd
import pytest

import pipeline.stats as S
from pipeline.stats._util import check_numbers, check_random_state, check_scalar

ITEMS = ["i1", "i2", "i3", "i4"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 60
    base = rng.normal(size=n)
    d = pd.DataFrame({c: np.clip(np.round(3 + base + rng.normal(size=n)), 1, 5) for c in ITEMS})
    d["overall"] = np.clip(np.round(3 + base + rng.normal(size=n)), 1, 5)
    d["g"] = np.tile(["a", "b", "c"], n // 3)
    d["h"] = np.repeat(["x", "y"], n // 2)
    d["took"] = np.tile([1, 1, 2], n // 3)
    d["r1"] = np.tile([1, 2, 3], n // 3)
    d["r2"] = np.tile([2, 3, 1], n // 3)
    d["r3"] = np.tile([3, 1, 2], n // 3)
    return d


# function → a call with good arguments; each takes the data and keyword overrides
CALLS = {
    "crosstab": lambda d, **kw: S.crosstab(d, "g", "h", test="fisher", **kw),
    "describe": lambda d, **kw: S.describe(d, ITEMS, **kw),
    "reliability": lambda d, **kw: S.reliability(d, ITEMS, **kw),
    "item_analysis": lambda d, **kw: S.item_analysis(d, ITEMS, **kw),
    "efa": lambda d, **kw: S.efa(d, ITEMS, **{"n_factors": 1, **kw}),
    "n_factors": lambda d, **kw: S.n_factors(d, ITEMS, **{"n_iter": 3, **kw}),
    "construct_scores": lambda d, **kw: S.construct_scores(d, {"c": ITEMS}, **kw),
    "satisfaction_index": lambda d, **kw: S.satisfaction_index(d, {"c1": ITEMS[:2], "c2": ITEMS[2:]}, **kw),
    "participation": lambda d, **kw: S.participation(d, "took", **kw),
    "wilson_ci": lambda d, **kw: S.wilson_ci(**{"k": 3, "n": 10, **kw}),
    "ranking_summary": lambda d, **kw: S.ranking_summary(d, {"a": "r1", "b": "r2", "c": "r3"}, **kw),
    "rake": lambda d, **kw: S.rake(d, {"g": {"a": 10, "b": 20, "c": 30}, "h": {"x": 30, "y": 30}}, **kw),
    "weighted_mean": lambda d, **kw: S.weighted_mean(d, "overall", poststrata="g",
                                                     population={"a": 10, "b": 20, "c": 30}, **kw),
    "weighted_proportions": lambda d, **kw: S.weighted_proportions(d, "h", poststrata="g",
                                                                   population={"a": 10, "b": 20, "c": 30},
                                                                   **kw),
    "weighted_crosstab_test": lambda d, **kw: S.weighted_crosstab_test(d, "h", "took", poststrata="g",
                                                                       population={"a": 10, "b": 20, "c": 30}, **kw),
    "mediation": lambda d, **kw: S.mediation(d, "i1", "i2", "overall", **{"n_boot": 100, **kw}),
    "sem": lambda d, **kw: S.sem(d, "f =~ i1 + i2 + i3\noverall ~ f", **kw),
    "weighted_ols": lambda d, **kw: S.weighted_ols(d, "overall ~ i1", poststrata="g",
                                                   population={"a": 10, "b": 20, "c": 30}, **kw),
}

# (function, parameter, a bad value, what the message says the parameter must be)
FLOAT_01 = "a float in the range (0.0, 1.0)"
COUNT = "an int in the range [1, inf)"
POSITIVE = "a float in the range (0.0, inf)"
SEED = "an int in the range [0, inf), an instance of 'numpy.random.Generator' or None"
BAD = [
    ("crosstab", "exact_limit", -1, "an int in the range [0, inf)"),
    ("crosstab", "exact_limit", 1e6, "an int in the range [0, inf)"),
    ("crosstab", "n_resamples", 0, COUNT),
    ("crosstab", "random_state", -1, SEED),
    ("crosstab", "random_state", 1.5, SEED),
    ("crosstab", "random_state", True, SEED),
    ("describe", "top_box", 4, "a non-empty sequence of floats or None"),
    ("describe", "top_box", [], "a non-empty sequence of floats or None"),
    ("describe", "top_box", ["4", "5"], "a non-empty sequence of floats or None"),
    ("describe", "top_box", "45", "a non-empty sequence of floats or None"),
    ("reliability", "ci", 95, FLOAT_01),
    ("reliability", "ci", 0, FLOAT_01),
    ("reliability", "ci", 1.0, FLOAT_01),
    ("reliability", "ci", float("nan"), FLOAT_01),
    ("reliability", "ci", True, FLOAT_01),
    ("reliability", "ci", "0.95", FLOAT_01),
    ("reliability", "scale_min", math.inf, "a float in the range (-inf, inf) or None"),
    ("reliability", "scale_max", "5", "a float in the range (-inf, inf) or None"),
    ("item_analysis", "scale_min", np.nan, "a float in the range (-inf, inf) or None"),
    ("item_analysis", "scale_max", [5], "a float in the range (-inf, inf) or None"),
    ("efa", "n_factors", 0, COUNT),
    ("efa", "n_factors", 2.0, COUNT),
    ("n_factors", "n_iter", 0, COUNT),
    ("n_factors", "n_iter", True, COUNT),
    ("n_factors", "quantile", 95, FLOAT_01),
    ("n_factors", "quantile", 1, FLOAT_01),
    ("n_factors", "random_state", -3, SEED),
    ("n_factors", "random_state", np.random.RandomState(0), SEED),
    ("construct_scores", "min_share", 1.5, "a float in the range [0.0, 1.0]"),
    ("construct_scores", "min_share", -0.1, "a float in the range [0.0, 1.0]"),
    ("construct_scores", "scale_min", True, "a float in the range (-inf, inf) or None"),
    ("construct_scores", "scale_max", math.nan, "a float in the range (-inf, inf) or None"),
    ("satisfaction_index", "scale", (5, 1), "a sequence of 2 floats in increasing order"),
    ("satisfaction_index", "scale", (1, 3, 5), "a sequence of 2 floats in increasing order"),
    ("satisfaction_index", "scale", 5, "a sequence of 2 floats in increasing order"),
    ("satisfaction_index", "ci", 95, FLOAT_01),
    ("satisfaction_index", "min_share", 1.5, "a float in the range [0.0, 1.0]"),
    ("participation", "yes", "1", "a float in the range (-inf, inf)"),
    ("participation", "yes", True, "a float in the range (-inf, inf)"),
    ("participation", "ci", 95, FLOAT_01),
    ("wilson_ci", "ci", 95, FLOAT_01),
    ("wilson_ci", "n", -1, "a float in the range [0.0, inf)"),
    ("wilson_ci", "k", 11, "a float in the range [0.0, 10.0]"),
    ("wilson_ci", "k", -1, "a float in the range [0.0, 10.0]"),
    ("ranking_summary", "n_positions", 0, "an int in the range [1, inf) or None"),
    ("ranking_summary", "n_positions", 3.0, "an int in the range [1, inf) or None"),
    ("rake", "max_iter", 0, COUNT),
    ("rake", "max_iter", 10.0, COUNT),
    ("rake", "tol", 0, POSITIVE),
    ("rake", "tol", -1e-6, POSITIVE),
    ("rake", "tol", math.inf, POSITIVE),
    ("weighted_mean", "max_iter", -5, COUNT),
    ("weighted_mean", "tol", 0.0, POSITIVE),
    ("weighted_crosstab_test", "max_iter", -5, COUNT),
    ("weighted_crosstab_test", "tol", 0.0, POSITIVE),
    ("mediation", "n_boot", 10, "an int in the range [100, inf)"),
    ("mediation", "seed", -1, "an int in the range [0, inf)"),
    ("mediation", "ci", 95, FLOAT_01),
    ("sem", "n_boot", -1, "an int in the range [0, inf)"),
    ("sem", "seed", -1, "an int in the range [0, inf)"),
    ("sem", "ci", 95, FLOAT_01),
    ("weighted_ols", "max_iter", -5, COUNT),
    ("weighted_ols", "tol", 0.0, POSITIVE),
    ("weighted_proportions", "max_iter", False, COUNT),
    ("weighted_proportions", "tol", "1e-6", POSITIVE),
]

# good values other than the defaults (for every numeric parameter)
GOOD = [
    ("crosstab", {"exact_limit": 0, "n_resamples": 200, "random_state": np.random.default_rng(3)}),
    ("crosstab", {"random_state": None}),
    ("crosstab", {"random_state": np.int64(7)}),
    ("describe", {"top_box": [5]}),
    ("describe", {"top_box": None}),
    ("describe", {"top_box": np.array([4.0, 5.0])}),
    ("reliability", {"ci": 0.9, "scale_min": 1, "scale_max": 5.0}),
    ("reliability", {"ci": np.float64(0.99)}),
    ("item_analysis", {"scale_min": 1, "scale_max": 5}),
    ("efa", {"n_factors": np.int64(2)}),
    ("n_factors", {"n_iter": 2, "quantile": 0.5, "random_state": 0}),
    ("construct_scores", {"min_share": 0, "scale_min": 0.5, "scale_max": 5.5}),
    ("construct_scores", {"min_share": 1}),
    ("satisfaction_index", {"scale": [1, 5], "ci": 0.9, "min_share": 0.75}),
    ("participation", {"yes": 2, "ci": 0.9}),
    ("participation", {"yes": 1.0}),
    ("wilson_ci", {"k": 0, "n": 0}),
    ("wilson_ci", {"k": 2.5, "n": 10.0, "ci": 0.5}),
    ("ranking_summary", {"n_positions": 2}),
    ("ranking_summary", {"n_positions": None}),
    ("rake", {"max_iter": 100, "tol": 1}),
    ("weighted_mean", {"max_iter": 3, "tol": 1e-3}),
    ("weighted_crosstab_test", {"max_iter": 3, "tol": 1e-3}),
    ("weighted_ols", {"max_iter": 3, "tol": 1e-3}),
    ("mediation", {"n_boot": 200, "seed": 7, "ci": 0.9}),
    ("sem", {"n_boot": 100, "seed": 7, "ci": 0.9}),
    ("weighted_proportions", {"max_iter": 3, "tol": 2}),
]

# public functions without a numeric parameter (their column, formula, code and choice
# arguments are checked by their own messages)
NO_NUMERIC = {"frequencies", "multi_response", "kmo", "bartlett", "cfa", "htmt", "measurement_validity",
              "harman_single_factor", "moderation", "ipa", "key_drivers",
              "kendall_w", "consensus", "compare_two", "compare_groups", "posthoc", "p_adjust",
              "compare_many", "ols", "logit", "ordinal_logit", "nominal_test", "mixed", "icc", "poststratify",
              "community_weights"}


def _numeric_parameters(f) -> list[str]:
    """Parameters annotated int or float (alone, optional, or in a sequence), or with a number as
    default."""
    out = []
    for p in inspect.signature(f).parameters.values():
        default_is_number = isinstance(p.default, (int, float)) and not isinstance(p.default, bool)
        if re.search(r"\b(int|float)\b", str(p.annotation)) or default_is_number:
            out.append(p.name)
    return out


@pytest.mark.parametrize("func, param, bad, must", BAD, ids=[f"{f}-{p}-{i}" for i, (f, p, _, _) in enumerate(BAD)])
def test_bad_numeric_argument_is_a_value_error(data, func, param, bad, must):
    message = f"The '{param}' parameter of {func} must be {must}. Got {bad!r} instead."
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        CALLS[func](data, **{param: bad})


@pytest.mark.parametrize("func, kwargs", GOOD, ids=[f"{f}-{sorted(k)}" for f, k in GOOD])
def test_good_numeric_arguments_still_work(data, func, kwargs):
    out = CALLS[func](data, **kwargs)
    assert out is not None


def test_the_brief_example():
    d = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    with pytest.raises(ValueError) as e:
        S.reliability(d, ["a", "b", "c"], ci=95)
    assert str(e.value) == ("The 'ci' parameter of reliability must be a float in the range (0.0, 1.0). "
                            "Got 95 instead.")


def test_every_numeric_parameter_is_checked():
    """Every numeric parameter of the public API has a bad value in BAD and a good one in GOOD;
    the functions without one are exactly NO_NUMERIC."""
    numeric = {name: _numeric_parameters(getattr(S, name)) for name in S.__all__}
    assert {n for n, ps in numeric.items() if not ps} == NO_NUMERIC
    covered_bad = {(f, p) for f, p, _, _ in BAD}
    covered_good = {(f, p) for f, kw in GOOD for p in kw}
    wanted = {(f, p) for f, ps in numeric.items() for p in ps}
    assert wanted - covered_bad == set(), "numeric parameters without a bad-value test"
    assert wanted - covered_good == set(), "numeric parameters without a good-value test"
    assert set(CALLS) == set(numeric) - NO_NUMERIC


def test_p_adjust_p_values_in_sklearn_words():
    with pytest.raises(ValueError, match=r"^The 'p' parameter of p_adjust must be an array of floats in the "
                                         r"range \[0.0, 1.0\] or NaN: p-values must lie in \[0, 1\]; got "
                                         r"\[1.5\] instead.$"):
        S.p_adjust([0.01, 1.5])


def test_defaults_give_the_same_numbers_as_explicit_values(data):
    # the checks return nothing new: explicit defaults and numpy scalars give identical results
    pd.testing.assert_frame_equal(S.reliability(data, ITEMS), S.reliability(data, ITEMS, ci=np.float64(0.95)))
    pd.testing.assert_frame_equal(S.n_factors(data, ITEMS, n_iter=3, random_state=5),
                                  S.n_factors(data, ITEMS, n_iter=np.int64(3), random_state=np.int64(5)))
    assert S.wilson_ci(3, 10) == S.wilson_ci(np.int64(3), np.int64(10), 0.95)


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), np.int8(1)])
def test_check_scalar_accepts_numpy_and_python_numbers(value):
    assert check_scalar("x", value, "f", low=0, high=1) is value


@pytest.mark.parametrize("kind, low, high, inclusive, text", [
    (float, 0, 1, "neither", "a float in the range (0.0, 1.0)"),
    (float, 0, 1, "both", "a float in the range [0.0, 1.0]"),
    (float, 0, None, "left", "a float in the range [0.0, inf)"),
    (float, None, 1, "right", "a float in the range (-inf, 1.0]"),
    (int, 1, None, "both", "an int in the range [1, inf)"),
    (int, 1, 10, "both", "an int in the range [1, 10]"),
])
def test_check_scalar_range_text(kind, low, high, inclusive, text):
    with pytest.raises(ValueError, match=re.escape(f"The 'x' parameter of f must be {text}. Got 'bad' instead.")):
        check_scalar("x", "bad", "f", kind=kind, low=low, high=high, inclusive=inclusive)


def test_check_scalar_bounds_and_specials():
    assert check_scalar("x", 0, "f", low=0, high=1, inclusive="left") == 0
    assert check_scalar("x", 1, "f", low=0, high=1, inclusive="right") == 1
    assert check_scalar("x", None, "f", none_ok=True) is None
    for bad in (None, True, np.bool_(False), math.nan, math.inf, -math.inf, 10 ** 400, "1", [1], 1 + 0j):
        with pytest.raises(ValueError, match=r"The 'x' parameter of f must be"):
            check_scalar("x", bad, "f")
    with pytest.raises(ValueError, match=r"must be an int in the range"):
        check_scalar("x", 2.0, "f", kind=int)


def test_check_numbers_and_random_state():
    assert check_numbers("s", (1, 5), "f", length=2, increasing=True) == (1, 5)
    assert check_numbers("s", None, "f", none_ok=True) is None
    for bad in ((1, 1), (1, math.nan), (1, True), {1: 2, 3: 4}):
        with pytest.raises(ValueError, match=r"The 's' parameter of f must be a sequence of 2 floats"):
            check_numbers("s", bad, "f", length=2, increasing=True)
    gen = np.random.default_rng(0)
    assert check_random_state(gen, "f") is gen
    assert check_random_state(None, "f") is None and check_random_state(0, "f") == 0
    with pytest.raises(ValueError, match=r"The 'seed' parameter of f must be an int in the range \[0, inf\)"):
        check_random_state(-1, "f", name="seed")


def test_scale_ends_in_order(data):
    with pytest.raises(ValueError, match=r"^The 'scale_max' parameter of reliability must be a float greater "
                                         r"than scale_min=5. Got 1 instead.$"):
        S.reliability(data, ITEMS, reverse=["i1"], scale_min=5, scale_max=1)
    with pytest.raises(ValueError, match=r"The 'scale_max' parameter of construct_scores must be a float greater"):
        S.construct_scores(data, {"c": ITEMS}, scale_min=3, scale_max=3)
