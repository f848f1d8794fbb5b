"""Input checks shared by the statistics functions (scikit-learn style messages)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


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

