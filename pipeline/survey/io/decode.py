"""Decoding cells into typed values, one column at a time over its distinct values.

Every raw column is factorised once (distinct values + an index per row); each distinct value is
decoded once, and the results are spread back with ``numpy.take``. That keeps a 1,000,000-row
export at a few seconds. Missing values keep their kind:

* ``skipped`` — logic skip: WJX ``(跳过)`` by text, ``-2`` or ``-3`` by code (unless the
  definition gives the code a meaning of its own);
* ``blank`` — left empty: ``(空)``, an empty cell;
* ``scale_missing`` — a no-answer label of the item or its scale such as 不清楚 / 不愿透露, or a
  value an SPSS file declares user-missing (its value label is kept as the label).

Answer text that the definition does not know is an :class:`InputError` naming the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.textnorm import canon, norm
from pipeline.survey.questionnaire import Item, Questionnaire

ANSWERED, SKIPPED, BLANK, SCALE_MISSING = 0, 1, 2, 3
KIND_NAMES = {SKIPPED: "skipped", BLANK: "blank", SCALE_MISSING: "scale_missing"}
_SKIP = {"(跳过)", "跳过", "/"}  # '/' is how a hand-typed table says 'not applicable
_BLANK = {"", "(空)", "NULL"}
_SCORE = re.compile(r"^(-?\d+)分$")
_INT = re.compile(r"^-?\d+$")
# what a per-option column holds when the option is chosen, besides 1 and the option's own text
# (canonical forms; compare canon(value))
CHOSEN_MARKS = {canon(x) for x in ("√", "✓", "✔", "☑", "是", "选中", "已选", "yes", "y", "x", "true")}
_INT_FLOAT = re.compile(r"^(-?\d+)\.0+$")  # '2.0': a code written by a program that made it a float
_NUM = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")


def int_text(u: str) -> str:
    """'2.0' -> '2' (codes that went through a float column); anything else unchanged."""
    m = _INT_FLOAT.match(u)
    return m.group(1) if m else u


@dataclass
class Cell:
    """Where a column's values come from, for error messages."""

    file: str
    header: str
    first_row: int
    codes: np.ndarray = field(repr=False)
    user_missing: tuple = ()          # SPSS user-missing (lo, hi) ranges of this column
    value_labels: dict = field(default_factory=dict)  # SPSS value labels of this column

    def is_user_missing(self, v: float) -> bool:
        return any(lo <= v <= hi for lo, hi in self.user_missing)

    def row_of(self, k: int) -> int:
        return int(np.argmax(self.codes == k)) + self.first_row


def _lookup(q: Questionnaire, item: Item) -> tuple[dict[str, int], dict[int, str], set[int]]:
    """canon(label) -> code (options, missing labels, aliases); code -> label; missing codes."""
    opts = q.options_of(item)
    miss = q.missing_of(item)
    by_label = {canon(o.label): o.code for o in opts + miss}
    if item.scale:
        sc = q.scales[item.scale]
        for alias, target in sc.aliases.items():
            by_label[canon(alias)] = by_label[canon(target)]
    return by_label, {o.code: o.label for o in opts + miss}, {o.code for o in miss}


def decode_choice(q: Questionnaire, item: Item, mode: str, cell: Cell, uniq: list[str]):
    """Single choice / likert: (codes as floats, missing kinds, 'other' fill-ins, labels of
    scale-missing answers such as 不清楚), one entry per distinct value."""
    by_label, by_code, missing_codes = _lookup(q, item)
    offset = q.export_offset(item)
    n = len(uniq)
    vals = np.full(n, np.nan)
    kinds = np.zeros(n, dtype=np.int8)
    others = np.full(n, None, dtype=object)
    missing_labels = np.full(n, None, dtype=object)
    other_codes = {o.code for o in q.options_of(item) if o.other}
    for k, u in enumerate(uniq):
        if mode != "text":
            u = int_text(u)
        if u in _BLANK:
            kinds[k] = BLANK
            continue
        if u in _SKIP or (mode != "text" and u in ("-2", "-3") and int(u) - offset not in by_code):
            kinds[k] = SKIPPED
            continue
        label, other = u, None
        if "〖" in u:
            label, other = u.split("〖", 1)
            other = norm(other.rstrip("〗"))
        code = None
        if mode != "code":
            code = by_label.get(canon(label))
            if code is None:
                m = _SCORE.match(label)
                if m and int(m.group(1)) in by_code and int(m.group(1)) not in missing_codes:
                    code = int(m.group(1))
            if code is None and _INT.match(label):  # a bare 7 for the option 7分 (Tencent, Qualtrics, tables)
                code = by_label.get(canon(label + "分"))
        if code is None and mode != "text" and _INT.match(label) and int(label) - offset in by_code:
            code = int(label) - offset
        if code is None and mode != "text" and cell.user_missing and _NUM.match(label) and cell.is_user_missing(float(label)):
            kinds[k] = SCALE_MISSING
            missing_labels[k] = cell.value_labels.get(float(label)) or f"user-missing {label}"
            continue
        if code is None:
            expected = "one of the option labels" if mode == "text" else ("an option code" if mode == "code" else "an option label or code")
            raise InputError(f"answer not in the definition of item '{item.id}' (expected {expected}: "
                             f"{_preview(by_code, mode)})", file=cell.file, row=cell.row_of(k),
                             column=cell.header, value=u)
        if code in missing_codes:
            kinds[k] = SCALE_MISSING
            missing_labels[k] = by_code[code]
        else:
            vals[k] = code
        if other is not None:
            if code not in other_codes:
                raise InputError(f"fill-in text 〖…〗 given for an option of item '{item.id}' that is not an 'other' option",
                                 file=cell.file, row=cell.row_of(k), column=cell.header, value=u)
            others[k] = other
    return vals, kinds, others, missing_labels


def _preview(by_code: dict[int, str], mode: str) -> str:
    items = [f"{c}={lab}" for c, lab in by_code.items()] if mode != "text" else list(by_code.values())
    s = ", ".join(str(i) for i in items[:8])
    return s + (", …" if len(items) > 8 else "")


def split_multi(u: str, item: Item, q: Questionnaire, cell: Cell, k: int, seps: str) -> list[tuple[int, str | None]]:
    """'运动┋影视┋其他【请注明】〖宠物〗' -> [(code, None), (code, None), (code, '宠物')]."""
    by_label, by_code, _ = _lookup(q, item)
    parts: list[str] = []
    buf = ""
    # split on separators, but never inside 〖…〗 fill-in text
    depth = 0
    for ch in u:
        if ch == "〖":
            depth += 1
        elif ch == "〗":
            depth = max(0, depth - 1)
        if depth == 0 and ch in seps:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    out: list[tuple[int, str | None]] = []
    i = 0
    while i < len(parts):
        # labels may contain the separator (Qualtrics uses ','): join greedily while it helps
        for j in range(len(parts), i, -1):
            piece = seps[0].join(parts[i:j]).strip()
            label, other = piece, None
            if "〖" in piece:
                label, other = piece.split("〖", 1)
                other = norm(other.rstrip("〗"))
            code = by_label.get(canon(label))
            if code is None and _INT.match(label) and int(label) in by_code and "→" not in seps:
                code = int(label)
            if code is not None:
                out.append((code, other))
                i = j
                break
        else:
            raise InputError(f"option not in the definition of item '{item.id}' (options: {_preview(by_code, 'text')})",
                             file=cell.file, row=cell.row_of(k), column=cell.header, value=parts[i])
    return out


def decode_numeric(item: Item, cell: Cell, uniq: list[str], mode: str = "text"):
    """Numbers (a unit after them accepted); the item's ``missing`` codes and labels and SPSS
    user-missing values are no answer (``scale_missing``), WJX -2/-3 by code are skips."""
    n = len(uniq)
    vals = np.full(n, np.nan)
    kinds = np.zeros(n, dtype=np.int8)
    missing_labels = np.full(n, None, dtype=object)
    units = sorted((norm(u) for u in ([item.unit] if isinstance(item.unit, str) else item.unit or [])), key=len, reverse=True)
    miss_code = {o.code: o.label for o in item.missing}
    miss_label = {canon(o.label): o.label for o in item.missing}
    for k, u in enumerate(uniq):
        if mode != "text":
            u = int_text(u)
        if u in _BLANK:
            kinds[k] = BLANK
            continue
        if canon(u) in miss_label or (_INT.match(u) and int(u) in miss_code):
            kinds[k] = SCALE_MISSING
            missing_labels[k] = miss_label.get(canon(u)) or miss_code[int(u)]
            continue
        if u in _SKIP or (mode == "code" and u in ("-2", "-3")):
            kinds[k] = SKIPPED
            continue
        if cell.user_missing and _NUM.match(u) and cell.is_user_missing(float(u)):
            kinds[k] = SCALE_MISSING
            missing_labels[k] = cell.value_labels.get(float(u)) or f"user-missing {u}"
            continue
        s = u.replace(",", "").replace(" ", "")
        for unit in units:
            if unit and s.endswith(unit):
                s = s[: -len(unit)]
                break
        if not _NUM.match(s):
            raise InputError(f"not a number for numeric item '{item.id}'" + (f" (unit '{item.unit}' is accepted)" if item.unit else ""),
                             file=cell.file, row=cell.row_of(k), column=cell.header, value=u)
        vals[k] = float(s)
    return vals, kinds, missing_labels


def decode_text(uniq: list[str], mode: str = "text"):
    """Open text: normalised values (None when missing) and missing kinds. Redaction is the caller's."""
    n = len(uniq)
    vals = np.full(n, None, dtype=object)
    kinds = np.zeros(n, dtype=np.int8)
    for k, u in enumerate(uniq):
        if u in _BLANK:
            kinds[k] = BLANK
        elif u in _SKIP or (mode == "code" and u in ("-2", "-3")):
            kinds[k] = SKIPPED
        else:
            vals[k] = u
    return vals, kinds


def take_text(values: np.ndarray, codes: np.ndarray):
    """Row-level pyarrow strings from distinct values (object array, None = missing) and codes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.take(pa.array(values, type=pa.string()), pa.array(codes))


def str_series(arr) -> pd.Series:
    """A pandas ``str`` column straight from a pyarrow string array (no Python objects)."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return pd.Series(arr.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get))


def to_int_array(v: np.ndarray, dtype=np.int16) -> pd.arrays.IntegerArray:
    """Nullable integers (codes fit in Int16, 0/1 and ranks in Int8: an eighth of Int64's memory)."""
    mask = np.isnan(v)
    return pd.arrays.IntegerArray(np.where(mask, 0, v).astype(dtype), mask)
