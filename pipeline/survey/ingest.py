"""Stage 1, ingest: read the platform export(s) of a study into one typed table.

Writes ``ingest/responses.parquet`` (one row per submission; metadata columns, then item
columns named by item id), ``ingest/missing.parquet`` (respondent, item, kind, label: every
missing answer with its kind), ``ingest/column_map.csv`` (export column -> item, option/row) and
``ingest/ingest_log.json``. IP addresses are replaced by a keyed hash (``ip_hash``) before
anything is written; open answers have phone/ID numbers, e-mail and IP addresses redacted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.privacy import Names, redact
from pipeline.core.tables import RawTable, cell_text, read_table
from pipeline.core.textnorm import canon, norm
from pipeline.survey.io import decode as dec
from pipeline.survey.io.headers import Column, detect_format, parse_columns
from pipeline.survey.io.mapping import ItemPlan, plan_items
from pipeline.survey.questionnaire import Questionnaire

_DUR = re.compile(r"^(?:(\d+)(?:小时|时))?(?:(\d+)分)?(?:(\d+(?:\.\d+)?)秒?)?$")
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M",
                 "%d-%b-%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S",
                 "%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d",  # a date alone (调查日期): midnight
                 "%Y.%m.%d %H:%M", "%Y.%m.%d %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H:%M:%S")


@dataclass
class FileResult:
    data: pd.DataFrame
    missing: pd.DataFrame
    column_map: pd.DataFrame
    info: dict = field(default_factory=dict)


def read_survey(q: Questionnaire, path: Path, fmt: str = "auto", source: str | None = None,
                ip_key: bytes | Callable[[], bytes] | None = None, display: str | None = None,
                label: str | None = None) -> FileResult:
    """Read one export file into typed columns. Raises InputError on anything unexpected.

    ``display`` is how messages name the file; ``label`` is what the ``source_file`` column
    records (the path relative to the study file, so that tables do not depend on the folder
    the pipeline runs from). ``ip_key`` keys the IP pseudonyms (SipHash); by default it is
    derived from the file's own bytes, so nobody without the raw export can reverse them.
    """
    if ip_key is None:
        from pipeline.core.stage import file_hash

        ip_key = lambda: bytes.fromhex(file_hash(path))
    try:
        return _read_survey(q, path, fmt, source, ip_key, display or str(path), label or path.name)
    except InputError as e:
        if e.file in (str(path), str(Path(path).resolve())):
            e.file = display or str(path)
        raise


def _read_survey(q: Questionnaire, path: Path, fmt: str, source: str | None, ip_key: bytes, shown: str,
                 label: str) -> FileResult:
    table = read_table(path)
    family = detect_format(table, fmt)
    cols = parse_columns(table, family)
    plans = plan_items(q, table, cols, family)
    table.prefactorize([c.index for p in plans for c in p.columns()])
    mode = _mode(q, table, plans, family, fmt)
    n = table.n_rows
    out: dict[str, object] = {}
    miss_parts: list[pd.DataFrame] = []
    redactions: dict[str, int] = {}

    meta = _read_meta(table, cols, ip_key, shown)
    row_numbers = np.arange(table.first_data_row, table.first_data_row + n)
    out["respondent"] = meta.pop("respondent", None)
    if out["respondent"] is None:
        out["respondent"] = pd.Series(row_numbers.astype(str), dtype="str")
    else:  # an id typed by hand may be a name, a phone or a flat (序号 洪振邦, 3号楼2单元101)
        ids = out["respondent"]
        uniq = pd.unique(ids.dropna())
        personal = {u for u in uniq if redact(str(u), KNOWN_NAMES.get())[0] != str(u)}
        if personal:
            hit = ids.isin(personal).to_numpy()
            ids = ids.astype(object).copy()
            ids[hit] = [f"id-redacted-row{r}" for r in row_numbers[hit]]
            out["respondent"] = pd.Series(ids, dtype="str")
            redactions["respondent_id"] = int(hit.sum())
    zeros = np.zeros(n, dtype=np.int64)
    out["source_file"] = dec.str_series(dec.take_text(np.array([label], dtype=object), zeros))
    out["source"] = dec.str_series(dec.take_text(np.array([source or path.stem], dtype=object), zeros))
    out["source_row"] = row_numbers.astype(np.int64)
    out.update(meta)

    def add_missing(item_id: str, kinds_rows: np.ndarray, labels: np.ndarray | None = None) -> None:
        idx = np.flatnonzero(kinds_rows)
        if len(idx):
            miss_parts.append(pd.DataFrame({
                "row": idx, "item": item_id,
                "kind": pd.Categorical.from_codes(kinds_rows[idx] - 1, ["skipped", "blank", "scale_missing"]),
                "label": labels[idx] if labels is not None else None,
            }))

    for plan in plans:
        item = plan.item
        t = item.type
        if t in ("single", "likert"):
            _choice(q, item, item.id, plan.main, plan, table, mode, shown, out, add_missing, redactions)
        elif t == "matrix":
            for r in item.rows or []:
                _choice(q, q.item_index[r.id], r.id, plan.rows[r.id], plan, table, mode, shown, out, add_missing, redactions)
        elif t in ("multi", "ranking"):
            _multi(q, item, plan, table, mode, shown, out, add_missing, family, redactions)
        elif t == "numeric":
            cell, uniq = _fact(table, plan.main, shown)
            vals, kinds, miss_labels = dec.decode_numeric(item, cell, uniq, mode)
            # a "number" that is a phone, ID or card number (a 联系电话 item typed as numeric) never leaves
            personal = np.array([isinstance(u, str) and bool(u.strip()) and redact(u, KNOWN_NAMES.get())[0] != u
                                 for u in uniq], dtype=bool)
            if personal.any():
                vals = np.where(personal, np.nan, vals)
                redactions["numeric_personal"] = redactions.get("numeric_personal", 0) + int(
                    np.isin(cell.codes, np.flatnonzero(personal)).sum())
            out[item.id] = pd.array(np.take(vals, cell.codes), dtype="Float64")
            add_missing(item.id, np.take(kinds, cell.codes),
                        np.take(miss_labels, cell.codes) if (kinds == dec.SCALE_MISSING).any() else None)
        elif t in ("open", "region"):
            uvals, codes, kind_rows = _text_column(table, plan.main, shown, mode, redactions)
            out[item.id] = dec.str_series(dec.take_text(uvals, codes))
            if t == "region":  # 山西-晋城 -> province 山西, city 晋城
                split = [v.split("-", 1) if v else [None, None] for v in uvals]
                province = np.array([p[0] for p in split], dtype=object)
                city = np.array([p[1] if len(p) > 1 else None for p in split], dtype=object)
                out[f"{item.id}_province"] = dec.str_series(dec.take_text(province, codes))
                out[f"{item.id}_city"] = dec.str_series(dec.take_text(city, codes))
            add_missing(item.id, kind_rows)
    data = pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in out.items()})
    missing = (pd.concat(miss_parts, ignore_index=True) if miss_parts
               else pd.DataFrame({"row": pd.Series(dtype=np.int64), "item": pd.Series(dtype="str"),
                                  "kind": pd.Categorical([], ["skipped", "blank", "scale_missing"]),
                                  "label": pd.Series(dtype="str")}))
    rows_idx = missing["row"].to_numpy()
    missing = pd.DataFrame({
        "row": rows_idx.astype(np.int64),
        "respondent": data["respondent"].take(rows_idx).reset_index(drop=True),
        "source": data["source"].take(rows_idx).reset_index(drop=True),
        "source_row": data["source_row"].to_numpy()[rows_idx],
        "item": missing["item"].astype("str"), "kind": missing["kind"], "label": missing["label"].astype("str"),
    })
    cmap = _column_map(cols, plans, label)
    info = {"file": label, "format": family, "mode": mode, "rows": n, "columns": len(cols),
            "encoding": table.encoding, "redactions": redactions,
            "ignored_columns": int((cmap["status"] != "mapped").sum())}
    return FileResult(data, missing, cmap, info)


# Qualtrics 'Status' (response type): text exports write the name, numeric exports the code
_STATUS = {"ip address": "response", "0": "response", "survey preview": "preview", "1": "preview",
           "survey test": "test", "2": "test", "imported": "imported", "4": "imported", "spam": "spam",
           "8": "spam", "survey preview spam": "preview", "9": "preview", "imported spam": "spam", "12": "spam",
           "offline": "offline", "16": "offline", "offline survey preview": "preview", "17": "preview"}

# the study's known names (roster, names list) while a stage reads its exports: open answers,
# labels and headers are redacted with them (a context variable, so nested readers need no argument)
KNOWN_NAMES: ContextVar[Names | None] = ContextVar("renewal_known_names", default=None)


def _redact_rows(values: np.ndarray, codes: np.ndarray | None, redactions: dict[str, int]) -> np.ndarray:
    """Redact personal data in distinct texts; count replacements per row that carries them."""
    out = values.copy()
    counts = np.bincount(codes, minlength=len(values)) if codes is not None else np.ones(len(values), int)
    for k, v in enumerate(values):
        if isinstance(v, str) and v:
            out[k], found = redact(v, KNOWN_NAMES.get())
            for kind, m in found.items():
                redactions[kind] = redactions.get(kind, 0) + m * int(counts[k])
    return out


def _text_column(table: RawTable, col: Column, shown: str, mode: str, redactions: dict[str, int]):
    """(distinct redacted texts, row codes, row missing kinds) of a free-text column."""
    cell, uniq = _fact(table, col, shown)
    vals, kinds = dec.decode_text(uniq, mode)
    vals = _redact_rows(vals, cell.codes, redactions)
    return vals, cell.codes, np.take(kinds, cell.codes)


def _fact(table: RawTable, c: Column, shown: str) -> tuple[dec.Cell, list[str]]:
    codes, uniq = table.factorize(c.index)
    return dec.Cell(shown, c.header, table.first_data_row, codes, table.user_missing.get(c.index, ()),
                    table.value_labels.get(c.index, {})), uniq


def _choice(q, item, col_id, column, plan, table, mode, shown, out, add_missing, redactions) -> None:
    cell, uniq = _fact(table, column, shown)
    vals, kinds, others, missing_labels = dec.decode_choice(q, item, mode, cell, uniq)
    others = _redact_rows(others, cell.codes, redactions)
    rows = np.take(vals, cell.codes)
    out[col_id] = dec.to_int_array(rows)
    kind_rows = np.take(kinds, cell.codes)
    labels = np.take(missing_labels, cell.codes) if (kinds == dec.SCALE_MISSING).any() else None
    add_missing(col_id, kind_rows, labels)
    if any(o.other for o in q.options_of(item)) and item.type == "single":
        other_rows = dec.take_text(others, cell.codes)
        if plan.other is not None:
            other_rows = _merge_other(other_rows, table, plan.other, shown, mode, redactions)
        out[f"{col_id}_other"] = dec.str_series(other_rows)


def _merge_other(rows, table: RawTable, col: Column, shown: str, mode: str, redactions: dict[str, int]):
    """The fill-in text from 〖…〗 in the answer cell or, failing that, from its own column."""
    import pyarrow.compute as pc

    uvals, codes, _ = _text_column(table, col, shown, mode, redactions)
    return pc.coalesce(rows, dec.take_text(uvals, codes))


def _multi(q, item, plan: ItemPlan, table, mode, shown, out, add_missing, family, redactions) -> None:
    opts = q.options_of(item)
    n = table.n_rows
    is_rank = item.type == "ranking"
    has_other = any(o.other for o in opts)
    if plan.options:  # one column per option (by code, Tencent, Qualtrics rank columns)
        mats = []
        kinds_cols = []
        for o in opts:
            cell, uniq = _fact(table, plan.options[o.code], shown)
            chosen_as = dec.CHOSEN_MARKS | {canon(o.label)}
            v = np.full(len(uniq), np.nan)
            kd = np.zeros(len(uniq), dtype=np.int8)
            for k, u in enumerate(uniq):
                u = dec.int_text(u)
                if u in ("-3", "(跳过)", "跳过") or (u == "-2" and not is_rank):  # by code -2 is a skip, in a rank column 'not ranked'
                    kd[k] = dec.SKIPPED
                elif u in ("-2", "(空)", "NULL") or (u == "" and (is_rank or family != "tencent")):
                    kd[k] = dec.BLANK
                elif is_rank:
                    if not dec._INT.match(u) or not 1 <= int(u) <= len(opts):
                        raise InputError(f"rank must be a whole number from 1 to {len(opts)} (or -2 when not ranked) "
                                         f"for item '{item.id}'",
                                         file=shown, row=cell.row_of(k), column=cell.header, value=u)
                    v[k] = int(u)
                elif family == "tencent":
                    v[k] = 0.0 if u in ("", "0") else 1.0
                elif u in ("0", "1"):
                    v[k] = float(u)
                elif canon(u) in chosen_as:  # Qualtrics/plain tables: the option's text or a tick mark
                    v[k] = 1.0
                else:
                    raise InputError(f"option column of item '{item.id}' must hold 0 or 1, the option's text or a tick "
                                     "such as √ (or -3 when skipped)",
                                     file=shown, row=cell.row_of(k), column=cell.header, value=u)
            mats.append(np.take(v, cell.codes))
            kinds_cols.append(np.take(kd, cell.codes))
        mat = np.column_stack(mats)
        kmat = np.column_stack(kinds_cols)
        skipped = (kmat == dec.SKIPPED).all(axis=1)
        if is_rank:
            none = np.isnan(mat).all(axis=1) & ~skipped
        else:
            blank_all = (kmat == dec.BLANK).all(axis=1)
            none = blank_all | ((np.nan_to_num(mat) == 0).all(axis=1) & (family == "tencent"))
            mat = np.where(kmat == dec.BLANK, np.where(blank_all[:, None], np.nan, 0.0), mat)
        mat[skipped | none] = np.nan
        kinds = np.where(skipped, dec.SKIPPED, np.where(none, dec.BLANK, dec.ANSWERED)).astype(np.int8)
        other_rows = dec.take_text(np.array([None], dtype=object), np.zeros(n, dtype=np.int64))
    else:
        cell, uniq = _fact(table, plan.main, shown)
        nu = len(uniq)
        umat = np.full((nu, len(opts)), np.nan)
        ukinds = np.zeros(nu, dtype=np.int8)
        uother = np.full(nu, None, dtype=object)
        pos = {o.code: j for j, o in enumerate(opts)}
        seps = "→>" if is_rank else ("┋" if family != "qualtrics" else ",")
        for k, u in enumerate(uniq):
            if u in dec._BLANK:
                ukinds[k] = dec.BLANK
                continue
            if u in dec._SKIP:
                ukinds[k] = dec.SKIPPED
                continue
            chosen = dec.split_multi(u, item, q, cell, k, seps + ("|" if seps == "┋" else ""))
            if not is_rank:
                umat[k, :] = 0
            for rank, (code, other) in enumerate(chosen, start=1):
                if code not in pos:
                    raise InputError(f"'{code}' is not an option of item '{item.id}'", file=shown,
                                     row=cell.row_of(k), column=cell.header, value=u)
                umat[k, pos[code]] = rank if is_rank else 1
                if other is not None:
                    uother[k] = other
        uother = _redact_rows(uother, cell.codes, redactions)
        mat = umat[cell.codes]
        kinds = ukinds[cell.codes]
        other_rows = dec.take_text(uother, cell.codes)
    for j, o in enumerate(opts):
        col = mat[:, j]
        out[f"{item.id}__{o.col_key}"] = dec.to_int_array(col, np.int8)
    if has_other:
        if plan.other is not None:
            other_rows = _merge_other(other_rows, table, plan.other, shown, mode, redactions)
        out[f"{item.id}_other"] = dec.str_series(other_rows)
    add_missing(item.id, kinds)


def _mode(q: Questionnaire, table: RawTable, plans: list[ItemPlan], family: str, fmt: str) -> str:
    """'text' (answers are labels), 'code' (answers are codes) or 'auto' (either, per cell)."""
    if fmt == "wjx_text":
        return "text"
    if fmt == "wjx_code":
        return "code"
    if family in ("table", "spss", "qualtrics"):
        return "auto"
    if family == "tencent":
        return "text"
    if any(p.options and any(c.opt_column for c in p.options.values()) for p in plans):
        return "code"
    numeric = total = 0
    for p in plans:
        if p.item.type in ("single", "likert", "matrix"):
            for c in ([p.main] if p.main else list(p.rows.values())):
                _, uniq = table.factorize(c.index)
                for u in uniq:
                    if u and u not in dec._BLANK and u not in dec._SKIP:
                        total += 1
                        numeric += bool(dec._INT.match(u))
    return "code" if total and numeric / total > 0.95 else "text"


def _meta_text(table: RawTable, i: int, normalise: bool = True):
    """Column i as a pyarrow string array, trimmed and (unless told not to) NFKC-normalised;
    vectorised, because ids, times and IPs have as many distinct values as rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = table.columns[i]
    if hasattr(col, "combine_chunks"):
        arr = pc.fill_null(col.combine_chunks(), "")
    else:
        arr = pa.array([cell_text(v) for v in col], type=pa.string())
    return pc.utf8_trim_whitespace(pc.utf8_normalize(arr, "NFKC") if normalise else arr)


def _first_bad(mask, table: RawTable) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0]) + table.first_data_row


def _read_meta(table: RawTable, cols: list[Column], ip_key, shown: str) -> dict[str, object]:
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, object] = {}
    for c in cols:
        if c.meta is None or c.dropped:
            continue
        if c.meta == "respondent":
            out["respondent"] = dec.str_series(_meta_text(table, c.index))
        elif c.meta in ("submitted_at", "started_at"):
            text = _meta_text(table, c.index)
            blank = pc.is_in(text, pa.array(sorted(dec._BLANK))).to_numpy(zero_copy_only=False)
            ts = None
            for f in _TIME_FORMATS:  # each format only where the previous ones failed
                parsed = pc.strptime(text, format=f, unit="s", error_is_null=True)
                ts = parsed if ts is None else pc.coalesce(ts, parsed)
                bad = ts.is_null().to_numpy(zero_copy_only=False) & ~blank
                if not bad.any():
                    break
            bad = ts.is_null().to_numpy(zero_copy_only=False) & ~blank
            if bad.any():
                raise InputError("date/time not understood (expected e.g. '2024/05/12 14:22:55')", file=shown,
                                 row=_first_bad(bad, table), column=c.header, value=text[int(np.flatnonzero(bad)[0])].as_py())
            out[c.meta] = pd.Series(ts.to_numpy(zero_copy_only=False), dtype="datetime64[s]")
        elif c.meta == "ip":
            # '183.192.16.69(上海-上海)': the address before '(', the region inside (WJX)
            parts = pc.split_pattern(_meta_text(table, c.index, normalise=False), "(", max_splits=1)
            ip = pc.utf8_trim_whitespace(pc.list_element(parts, 0))
            ips = ip.to_numpy(zero_copy_only=False)
            has = (ips != "") & pd.notna(ips)
            hashed = np.zeros(len(ips), dtype=np.uint64)
            if has.any():
                key = ip_key() if callable(ip_key) else ip_key
                hashed[has] = pd.util.hash_array(ips[has], hash_key=key.hex()[:16], categorize=False)
            out["ip_hash"] = pd.array(np.where(has, hashed, 0), dtype="UInt64")
            out["ip_hash"][~has] = pd.NA
            if "ip_region" not in out:
                raw = _meta_text(table, c.index, normalise=False)
                inside = pc.utf8_rtrim(pc.replace_substring_regex(raw, r"^[^(]*\(?", ""), characters=")")
                region = pc.dictionary_encode(inside)
                names = pa.array([norm(v) or None for v in region.dictionary.to_pylist()], type=pa.string())
                out["ip_region"] = dec.str_series(pc.take(names, region.indices))
        else:
            codes, uniq = table.factorize(c.index)
            if c.meta == "duration_s":
                vals = np.full(len(uniq), np.nan)
                for k, u in enumerate(uniq):
                    if u in dec._BLANK:
                        continue
                    m = _DUR.match(u.replace(" ", ""))
                    if not m or not any(m.groups()):
                        raise InputError("duration not understood (expected seconds such as '136秒' or '136')", file=shown,
                                         row=_first_bad(codes == k, table), column=c.header, value=u)
                    h, mi, sec = m.groups()
                    vals[k] = int(h or 0) * 3600 + int(mi or 0) * 60 + float(sec or 0)
                out["duration_s"] = pd.array(np.take(vals, codes), dtype="Float64")
            elif c.meta in ("channel", "channel_detail", "ip_region"):  # free text a link may carry (?sojumpparm=)
                vals = np.array([None if u in dec._BLANK else redact(u, KNOWN_NAMES.get())[0] for u in uniq],
                                dtype=object)
                out[c.meta] = dec.str_series(dec.take_text(vals, codes))
            elif c.meta == "finished":
                truth = {"true": True, "1": True, "是": True, "yes": True, "false": False, "0": False, "否": False, "no": False}
                vals = np.full(len(uniq), None, dtype=object)
                for k, u in enumerate(uniq):
                    if u in dec._BLANK:
                        continue
                    if u.lower() not in truth:
                        raise InputError("expected True/False (or 1/0, 是/否)", file=shown, column=c.header, value=u,
                                         row=_first_bad(codes == k, table))
                    vals[k] = truth[u.lower()]
                out["finished"] = pd.array(np.take(vals, codes), dtype="boolean")
            elif c.meta == "status":  # Qualtrics Status, as text or as its numeric code
                vals = np.array([None if u in dec._BLANK else _STATUS.get(u.lower(), u.lower()) for u in uniq], dtype=object)
                out["status"] = dec.str_series(dec.take_text(vals, codes))
            elif c.meta == "progress":
                vals = np.full(len(uniq), np.nan)
                for k, u in enumerate(uniq):
                    if u in dec._BLANK:
                        continue
                    if not dec._NUM.match(u.rstrip("%")):
                        raise InputError("progress must be a number (percent)", file=shown, column=c.header, value=u,
                                         row=_first_bad(codes == k, table))
                    vals[k] = float(u.rstrip("%"))
                out["progress"] = pd.array(np.take(vals, codes), dtype="Float64")
    if "duration_s" not in out and "submitted_at" in out and "started_at" in out:
        out["duration_s"] = pd.array((out["submitted_at"] - out["started_at"]).dt.total_seconds(), dtype="Float64")
    return out


def _column_map(cols: list[Column], plans: list[ItemPlan], shown: str) -> pd.DataFrame:
    owner: dict[int, tuple[str, str]] = {}
    for p in plans:
        if p.main:
            owner[p.main.index] = (p.item.id, "")
        for code, c in p.options.items():
            owner[c.index] = (p.item.id, f"option {code}")
        for rid, c in p.rows.items():
            owner[c.index] = (rid, "row")
        if p.other:
            owner[p.other.index] = (p.item.id + "_other", "fill-in")
    rows = []
    for c in cols:
        if c.index in owner:
            item, part = owner[c.index]
            status = "mapped"
        elif c.meta and not c.dropped:
            item, part, status = c.meta, "metadata", "mapped"
        elif c.dropped:
            item, part, status = "", "metadata", "dropped (personal or platform data)"
        else:
            item, part, status = "", "", "not in the questionnaire (ignored)"
        rows.append({"file": shown, "column_index": c.index + 1, "column": redact(c.header, KNOWN_NAMES.get())[0],
                     "item": item,
                     "part": part, "status": status})
    return pd.DataFrame(rows)


def run(study) -> dict:
    """Run the ingest stage for a loaded :class:`~pipeline.core.study.Study`."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.core.stage import file_hash, write_csv, write_json

    q = study.questionnaire
    files = study.survey_files
    # hash the raw files (for the manifest) while they are read; the hashes also key the IP
    # pseudonyms, so reruns agree and nobody without the raw export can reverse them
    pool = ThreadPoolExecutor(max_workers=1)
    hashes = [pool.submit(file_hash, p) for p, _ in files]
    pool.shutdown(wait=False)

    def ip_key() -> bytes:
        return hashlib.sha256(("ip-key:" + ":".join(h.result() for h in hashes)).encode()).digest()

    # names and numbers in file names, source labels and column headers are redacted like the answers
    names = study.personal_names
    token = KNOWN_NAMES.set(names)
    try:
        files = [(p, redact(src, names)[0]) for p, src in files]
        results = [read_survey(q, p, study.config.survey.format, src, ip_key, study.display(p),
                               redact(study.rel(p), names)[0]) for p, src in files]
    finally:
        KNOWN_NAMES.reset(token)
    if len(results) > 1:  # respondent ids restart in every file: prefix them with the source
        for r, (_, src) in zip(results, files):
            r.data["respondent"] = src + ":" + r.data["respondent"].astype(str)
            r.missing["respondent"] = src + ":" + r.missing["respondent"].astype(str)
    offsets = np.cumsum([0] + [len(r.data) for r in results[:-1]])
    for r, off in zip(results, offsets):
        r.missing["row"] += off  # position in the stacked responses.parquet
    data = pd.concat([r.data for r in results], ignore_index=True)
    missing = pd.concat([r.missing for r in results], ignore_index=True)
    cmap = pd.concat([r.column_map for r in results], ignore_index=True)
    log = {"files": [r.info for r in results], "rows": int(len(data)),
           "redactions": _sum_dicts(r.info["redactions"] for r in results)}
    with study.output("ingest", "ingest", [p for p, _ in files]) as tmp:
        data.to_parquet(tmp / "responses.parquet", index=False)
        missing.to_parquet(tmp / "missing.parquet", index=False)
        write_csv(cmap, tmp / "column_map.csv")
        write_json(log, tmp / "ingest_log.json")
    return log


def _sum_dicts(ds) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in ds:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def summary(log: dict) -> str:
    """One line for the terminal: what was read from which export, and what was redacted."""
    files = ", ".join(f"{f['file']} ({f['format']}, {f['mode']}, {f['rows']} rows)" for f in log["files"])
    red = log["redactions"]
    return f"ingest: {log['rows']} submissions read from {files}" + (f"; redacted in open answers: {red}" if red else "")
