"""Input checks shared by the statistics functions (scikit-learn style messages), and the
coefficient table every model prints."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

_CLOSED = {"both": ("[", "]"), "left": ("[", ")"), "right": ("(", "]"), "neither": ("(", ")")}


def check_columns(data: pd.DataFrame, columns: Iterable[str], what: str = "column") -> list[str]:
    """The columns as a list; a ValueError naming the absent ones."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"{what}(s) {missing} not in the data; available: {list(data.columns)[:20]}"
                         + (" …" if data.shape[1] > 20 else ""))
    return cols


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"The '{name}' parameter must be one of {set(choices)}. Got '{value}' instead.")
    return value


def numeric_frame(data: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """The items as float64 (nullable integers and Float64 become NaN-aware floats)."""
    out = {}
    for c in items:
        s = data[c]
        try:
            out[c] = pd.to_numeric(s, errors="raise").astype("float64")
        except (ValueError, TypeError):
            raise ValueError(f"column '{c}' is not numeric (dtype {s.dtype})") from None
    return pd.DataFrame(out, index=data.index)


def reverse_items(x: pd.DataFrame, reverse: Iterable[str], scale_min: float | None = None,
                  scale_max: float | None = None) -> pd.DataFrame:
    """Score reversed items as min + max − x. Without a given scale, min and max are those of all
    items together (as psych::alpha does)."""
    reverse = list(reverse)
    if not reverse:
        return x
    bad = [r for r in reverse if r not in x.columns]
    if bad:
        raise ValueError(f"reverse item(s) {bad} are not among the items {list(x.columns)}")
    lo = np.nanmin(x.to_numpy()) if scale_min is None else scale_min
    hi = np.nanmax(x.to_numpy()) if scale_max is None else scale_max
    x = x.copy()
    x[reverse] = lo + hi - x[reverse]
    return x



def _is_number(value, kind: type) -> bool:
    """A real (kind=float) or integral (kind=int) number that is not a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, numbers.Integral if kind is int else numbers.Real)


def _range_text(kind: type, low, high, inclusive: str) -> str:
    left, right = _CLOSED[inclusive]
    fmt = int if kind is int else float
    lo = "-inf" if low is None else fmt(low)
    hi = "inf" if high is None else fmt(high)
    return (f"{'an int' if kind is int else 'a float'} in the range "
            f"{left if low is not None else '('}{lo}, {hi}{right if high is not None else ')'}")


def check_scalar(name: str, value, func: str, kind: type = float, low: float | None = None,
                 high: float | None = None, inclusive: str = "both", none_ok: bool = False):
    """Check a numeric argument of a public function; return it unchanged.

    Parameters
    ----------
    name : str
        The parameter's name.
    value : object
        What the caller passed.
    func : str
        The public function's name (for the message).
    kind : {float, int}
        ``float`` accepts any real number, ``int`` only integers; ``bool`` is never a number.
    low, high : float, optional
        Bounds of the range (None: unbounded). The value must be finite in any case.
    inclusive : {'both', 'left', 'right', 'neither'}
        Which bounds belong to the range.
    none_ok : bool
        Whether None is allowed.

    Returns
    -------
    The value, unchanged.

    Raises
    ------
    ValueError
        In scikit-learn's words: ``The 'ci' parameter of reliability must be a float in the range
        (0.0, 1.0). Got 95 instead.``

    Examples
    --------
    >>> check_scalar("ci", 0.9, "reliability", low=0, high=1, inclusive="neither")
    0.9
    >>> check_scalar("ci", 95, "reliability", low=0, high=1, inclusive="neither")
    Traceback (most recent call last):
    ...
    ValueError: The 'ci' parameter of reliability must be a float in the range (0.0, 1.0). Got 95 instead.
    >>> check_scalar("n_iter", True, "n_factors", kind=int, low=1)
    Traceback (most recent call last):
    ...
    ValueError: The 'n_iter' parameter of n_factors must be an int in the range [1, inf). Got True instead.
    """
    if value is None and none_ok:
        return value
    ok = _is_number(value, kind)
    if ok:
        try:
            v = float(value)
        except OverflowError:  # an int too large for a float
            v = math.inf
        closed_low = inclusive in ("both", "left")
        closed_high = inclusive in ("both", "right")
        ok = (math.isfinite(v)
              and (low is None or (v >= low if closed_low else v > low))
              and (high is None or (v <= high if closed_high else v < high)))
    if not ok:
        what = _range_text(kind, low, high, inclusive) + (" or None" if none_ok else "")
        raise ValueError(f"The {name!r} parameter of {func} must be {what}. Got {value!r} instead.")
    return value


def check_scale_ends(scale_min, scale_max, func: str) -> None:
    """``scale_min`` and ``scale_max``: each a finite number or None, and min < max when both are
    given."""
    check_scalar("scale_min", scale_min, func, none_ok=True)
    check_scalar("scale_max", scale_max, func, none_ok=True)
    if scale_min is not None and scale_max is not None and not scale_min < scale_max:
        raise ValueError(f"The 'scale_max' parameter of {func} must be a float greater than "
                         f"scale_min={scale_min!r}. Got {scale_max!r} instead.")


def check_numbers(name: str, value, func: str, length: int | None = None, increasing: bool = False,
                  none_ok: bool = False):
    """Check a sequence of finite numbers (e.g. ``top_box``, ``scale``); return it unchanged.

    Parameters
    ----------
    name, value, func : as in :func:`check_scalar`
    length : int, optional
        The number of values required (default: at least one).
    increasing : bool
        Whether the values must be strictly increasing.
    none_ok : bool
        Whether None is allowed.

    Returns
    -------
    The value, unchanged.

    Examples
    --------
    >>> check_numbers("scale", (1, 5), "satisfaction_index", length=2, increasing=True)
    (1, 5)
    >>> check_numbers("scale", (5, 1), "satisfaction_index", length=2, increasing=True)
    Traceback (most recent call last):
    ...
    ValueError: The 'scale' parameter of satisfaction_index must be a sequence of 2 floats in increasing order. Got (5, 1) instead.
    """
    if value is None and none_ok:
        return value
    values = (list(value) if np.iterable(value) and not isinstance(value, (str, bytes, Mapping))
              else None)
    ok = (values is not None and (len(values) == length if length is not None else len(values) > 0)
          and all(_is_number(v, float) and math.isfinite(float(v)) for v in values)
          and (not increasing or all(a < b for a, b in zip(values, values[1:]))))
    if not ok:
        what = (f"a sequence of {length} floats" if length is not None
                else "a non-empty sequence of floats")
        what += " in increasing order" if increasing else ""
        what += " or None" if none_ok else ""
        raise ValueError(f"The {name!r} parameter of {func} must be {what}. Got {value!r} instead.")
    return value


def check_random_state(value, func: str, name: str = "random_state"):
    """None, a non-negative int (a seed) or a ``numpy.random.Generator``; return it unchanged.

    Examples
    --------
    >>> check_random_state(-1, "n_factors")
    Traceback (most recent call last):
    ...
    ValueError: The 'random_state' parameter of n_factors must be an int in the range [0, inf), an instance of 'numpy.random.Generator' or None. Got -1 instead.
    """
    if value is None or isinstance(value, np.random.Generator):
        return value
    if not (_is_number(value, int) and value >= 0):
        raise ValueError(f"The {name!r} parameter of {func} must be an int in the range [0, inf), an "
                         f"instance of 'numpy.random.Generator' or None. Got {value!r} instead.")
    return value


def coef_table(terms, est, se, dist) -> pd.DataFrame:
    """term, estimate, se, statistic, p_val, ci95_low, ci95_high: z tests (``dist="normal"``) or
    t tests with ``("t", df)`` (df a number or one per term)."""
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    stat = est / se
    if dist == "normal":
        p = 2 * stats.norm.sf(np.abs(stat))
        q = stats.norm.ppf(0.975)
    else:  # ("t", df)
        df = dist[1]
        p = 2 * stats.t.sf(np.abs(stat), df)
        q = stats.t.ppf(0.975, df)
    return pd.DataFrame({"term": list(terms), "estimate": est, "se": se, "statistic": stat,
                         "p_val": p, "ci95_low": est - q * se, "ci95_high": est + q * se})
