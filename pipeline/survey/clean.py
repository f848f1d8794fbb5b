"""Stage 2, clean: screening rules from the questionnaire's ``quality`` section.

Every rule flags rows with a human-readable detail. A row that fails several rules is listed
under each of them in ``exclusions.csv`` but counted once, under the first rule in
``quality.order``; ``cleaning_log.json`` reconciles exactly: read = kept + Σ excluded per rule.

Rules: platform_status (Qualtrics survey previews, tests, spam), duplicate_id,
duplicate_answers, duplicate_ip (same IP within a window and near-identical answers; then the IP
pseudonym is dropped), speeder, straightlining, attention_check, exclusive, incomplete,
out_of_range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.survey.questionnaire import META_COLUMNS, Questionnaire

NON_ITEM = set(META_COLUMNS) | {"source", "finished", "progress", "status"}


def item_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c not in NON_ITEM]


def _flags(mask, detail=lambda i: "") -> pd.Series:
    """Flagged row positions → detail text, ``detail(i)`` formatted for flagged rows only."""
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    return pd.Series([detail(i) for i in idx], index=idx, dtype=object)


def rule_duplicate_id(df: pd.DataFrame) -> pd.Series:
    ids = df["respondent"]
    dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy()
    first_row = df.groupby("respondent", sort=False)["source_row"].transform("first").to_numpy()
    return _flags(dup, lambda i: f"same respondent id as file row {first_row[i]}")


def rule_duplicate_answers(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    h = pd.util.hash_pandas_object(df[cols], index=False).to_numpy()
    dup = pd.Series(h).duplicated(keep="first").to_numpy()
    if not dup.any():
        return _flags(dup)
    first = pd.Series(np.arange(len(h))).groupby(h).transform("first").to_numpy()
    resp = df["respondent"].to_numpy()
    return _flags(dup, lambda i: f"identical answers to respondent {resp[first[i]]}")


def rule_platform_status(df: pd.DataFrame, statuses: list[str]) -> pd.Series:
    """Responses the platform itself marks as not real (Qualtrics Status: survey preview, test, spam)."""
    if "status" not in df or not statuses:
        return _flags(np.zeros(len(df), bool))
    st = df["status"].astype("string").fillna("").to_numpy(dtype=object)
    mask = np.isin(st, list(statuses))
    return _flags(mask, lambda i: f"the platform marks the response as '{st[i]}'")


def rule_duplicate_ip(df: pd.DataFrame, window_min: float, cols: list[str],
                      min_agreement: float | None) -> tuple[pd.Series, dict]:
    """The same IP within ``window_min`` minutes of the previous submission from it and, unless
    ``min_agreement`` is None, the same answer to at least that share of the items both answered.

    An IP alone does not identify a person: Chinese mobile carriers put many phones behind one
    address (carrier-grade NAT), so a shared IP with different answers is two people."""
    info: dict = {}
    if "ip_hash" not in df or "submitted_at" not in df:
        return _flags(np.zeros(len(df), bool)), {"note": "no IP or submission time in the export"}
    ip = df["ip_hash"]
    has_ip = ip.notna().to_numpy()
    counts = ip[has_ip].value_counts()
    info["responses_with_ip"] = int(has_ip.sum())
    info["responses_sharing_an_ip"] = int(counts[counts > 1].sum())
    info["share_sharing_an_ip"] = round(info["responses_sharing_an_ip"] / max(int(has_ip.sum()), 1), 4)
    ok = (ip.notna() & df["submitted_at"].notna()).to_numpy()
    d = pd.DataFrame({"ip": ip.to_numpy()[ok], "t": df["submitted_at"].to_numpy()[ok],
                      "pos": np.flatnonzero(ok)}).sort_values(["ip", "t", "pos"], kind="stable")
    same = d["ip"].eq(d["ip"].shift()).to_numpy()
    gap = ((d["t"] - d["t"].shift()).dt.total_seconds() / 60).to_numpy()
    hit = same & (gap <= window_min)
    pos_all = d["pos"].to_numpy()
    prev_all = np.r_[0, pos_all[:-1]]
    agree = np.full(len(d), np.nan)
    if min_agreement is not None and hit.any() and cols:
        idx = np.flatnonzero(hit)
        a = df[cols].iloc[pos_all[idx]].astype("string").to_numpy(dtype=object)
        b = df[cols].iloc[prev_all[idx]].astype("string").to_numpy(dtype=object)
        both = ~(pd.isna(a) | pd.isna(b))
        eq = both & (np.where(both, a, "") == np.where(both, b, ""))
        agree[idx] = eq.sum(axis=1) / np.maximum(both.sum(axis=1), 1)
        info["same_ip_pairs_in_window"] = int(hit.sum())
        hit = hit & (np.nan_to_num(agree, nan=0.0) >= min_agreement - 1e-12)
    prev = df["respondent"].to_numpy()[prev_all]
    mask = np.zeros(len(df), bool)
    detail = np.full(len(df), "", dtype=object)
    pos = pos_all[hit]
    mask[pos] = True
    detail[pos] = [f"same IP as respondent {p}, {g:.1f} min earlier (window {window_min:g} min)"
                   + ("" if min_agreement is None else f", {s:.0%} of the answers identical")
                   for p, g, s in zip(prev[hit], gap[hit], agree[hit])]
    return _flags(mask, detail.__getitem__), info


def rule_exclusive(df: pd.DataFrame, q: Questionnaire) -> pd.Series:
    """A multi-select where an exclusive option (都没有, 不清楚) is chosen together with another."""
    n = len(df)
    mask = np.zeros(n, bool)
    detail = np.full(n, "", dtype=object)
    for it in q.items:
        if it.type != "multi":
            continue
        opts = q.options_of(it)
        excl = [o for o in opts if o.exclusive]
        if not excl:
            continue
        m = df[[f"{it.id}__{o.col_key}" for o in opts]].astype("float64").fillna(0).to_numpy() > 0
        chosen = m.sum(axis=1)
        for o in excl:
            j = opts.index(o)
            bad = m[:, j] & (chosen > 1)
            for i in np.flatnonzero(bad):
                detail[i] = (detail[i] + "; " if detail[i] else "") + \
                    f"{it.id}: '{o.label}' chosen together with {int(chosen[i]) - 1} other option(s)"
            mask |= bad
    return _flags(mask, detail.__getitem__)


def rule_speeder(df: pd.DataFrame, min_seconds: float | None, median_fraction: float | None) -> tuple[pd.Series, dict]:
    info: dict = {}
    if "duration_s" not in df:
        return _flags(np.zeros(len(df), bool)), {"note": "no duration column in the export"}
    dur = df["duration_s"].astype("float64").to_numpy()
    limit = -np.inf
    parts = []
    if min_seconds is not None:
        limit = max(limit, min_seconds)
        parts.append(f"floor {min_seconds:g} s")
    if median_fraction is not None:
        med = float(np.nanmedian(dur)) if np.isfinite(dur).any() else np.nan
        info["median_duration_s"] = med
        if np.isfinite(med):
            limit = max(limit, median_fraction * med)
            parts.append(f"{median_fraction:g} × median {med:g} s = {median_fraction * med:g} s")
    info["threshold_s"] = None if limit == -np.inf else limit
    mask = np.nan_to_num(dur, nan=np.inf) < limit
    return _flags(mask, lambda i: f"duration {dur[i]:g} s below the limit ({'; '.join(parts)})"), info


def rule_attention(df: pd.DataFrame, checks) -> pd.Series:
    mask = np.zeros(len(df), bool)
    detail = np.full(len(df), "", dtype=object)
    for a in checks:
        v = df[a.item]
        fail = ~v.isin(a.passes).fillna(False).to_numpy(bool)
        if not a.missing_fails:
            fail &= v.notna().to_numpy()
        vals = v.astype("string").fillna("missing").to_numpy()
        for i in np.flatnonzero(fail):
            detail[i] = (detail[i] + "; " if detail[i] else "") + f"{a.item} = {vals[i]}, expected {'/'.join(map(str, a.passes))}"
        mask |= fail
    return _flags(mask, detail.__getitem__)


def straightlining_blocks(q: Questionnaire) -> list:
    """(block id, item ids): every matrix, and every construct made of separate rating items
    (a plain table or SPSS file has no matrices), with at least ``min_items`` items."""
    cfg = q.quality.straightlining
    attention = {a.item for a in q.quality.attention}
    blocks = [it for it in q.items if it.type == "matrix" and (cfg.blocks is None or it.id in cfg.blocks)]
    out = []
    for b in blocks:
        rows = [r.id for r in b.rows or [] if r.id not in attention]
        if len(rows) >= cfg.min_items:
            out.append((b.id, rows))
    top = {it.id for it in q.items if it.type == "likert"}
    for c in q.constructs:
        if cfg.blocks is not None and c.id not in cfg.blocks:
            continue
        members = [i for i in q.construct_items(c.id) if i not in attention]
        if members and all(i in top for i in members) and len(members) >= cfg.min_items:
            out.append((c.id, members))
    return out


def rule_straightlining(df: pd.DataFrame, q: Questionnaire) -> pd.Series:
    cfg = q.quality.straightlining
    blocks = straightlining_blocks(q)
    n = len(df)
    if not blocks:
        return _flags(np.zeros(n, bool))
    straight = np.zeros((n, len(blocks)), bool)
    eligible = np.zeros((n, len(blocks)), bool)
    value = np.zeros((n, len(blocks)))
    for j, (_, rows) in enumerate(blocks):
        m = df[rows].astype("float64").to_numpy()
        answered = np.isfinite(m).sum(axis=1)
        eligible[:, j] = answered >= cfg.min_items
        lo, hi = np.nanmin(np.where(np.isfinite(m), m, np.inf), axis=1), np.nanmax(np.where(np.isfinite(m), m, -np.inf), axis=1)
        straight[:, j] = eligible[:, j] & (lo == hi)
        value[:, j] = lo
    n_straight = straight.sum(axis=1)
    n_eligible = eligible.sum(axis=1)
    need = np.minimum(cfg.min_blocks, n_eligible)
    mask = (n_straight >= need) & (n_straight >= 1)
    names = [b for b, _ in blocks]

    def detail(i: int) -> str:
        which = ", ".join(f"{names[j]}={value[i, j]:g}" for j in np.flatnonzero(straight[i]))
        return f"identical answers in {n_straight[i]} of {n_eligible[i]} matrix blocks ({which})"

    return _flags(mask, detail)


def required_units(q: Questionnaire) -> list[str]:
    """Required answer units as they appear in missing.parquet (matrix rows, other items by id)."""
    out = []
    for it in q.items:
        if it.type == "matrix":
            out += [r.id for r in it.rows or [] if r.required]
        elif it.required:
            out.append(it.id)
    return out


def rule_incomplete(df: pd.DataFrame, missing: pd.DataFrame, q: Questionnaire) -> pd.Series:
    cfg = q.quality.completeness
    units = required_units(q)
    n = len(df)
    m = missing[missing["item"].isin(units)]
    pos = m["row"].to_numpy()
    blanks = np.bincount(pos[(m["kind"] == "blank").to_numpy()], minlength=n)
    skips = np.bincount(pos[(m["kind"] == "skipped").to_numpy()], minlength=n)
    denom = np.maximum(len(units) - skips, 1)
    share = 1 - blanks / denom
    mask = share < cfg.min_share - 1e-12
    unfinished = ((df["finished"] == False).fillna(False).to_numpy(bool)  # noqa: E712
                  if "finished" in df else np.zeros(n, bool))

    def detail(i: int) -> str:
        if not mask[i]:
            return "the platform marks the response as not finished"
        return f"answered {denom[i] - blanks[i]} of {denom[i]} required items ({share[i]:.0%}; minimum {cfg.min_share:.0%})"

    return _flags(mask | unfinished, detail)


def rule_out_of_range(df: pd.DataFrame, q: Questionnaire) -> pd.Series:
    n = len(df)
    mask = np.zeros(n, bool)
    detail = np.full(n, "", dtype=object)
    for it in q.items:
        if it.type != "numeric" or (it.min is None and it.max is None):
            continue
        v = df[it.id].astype("float64").to_numpy()
        bad = np.zeros(n, bool)
        if it.min is not None:
            bad |= v < it.min
        if it.max is not None:
            bad |= v > it.max
        for i in np.flatnonzero(bad):
            lo = "-∞" if it.min is None else f"{it.min:g}"
            hi = "∞" if it.max is None else f"{it.max:g}"
            detail[i] = (detail[i] + "; " if detail[i] else "") + f"{it.id} = {v[i]:g} outside [{lo}, {hi}]"
        mask |= bad
    return _flags(mask, detail.__getitem__)


def screen(df: pd.DataFrame, missing: pd.DataFrame, q: Questionnaire) -> tuple[dict[str, pd.Series], dict]:
    """Apply every enabled rule; return rule -> flagged rows (position -> detail) and rule info."""
    qc = q.quality
    flags: dict[str, pd.Series] = {}
    info: dict[str, dict] = {}
    cols = item_columns(df)
    d = qc.duplicates
    if "status" in df:
        flags["platform_status"] = rule_platform_status(df, qc.platform_status)
    if d.same_id:
        flags["duplicate_id"] = rule_duplicate_id(df)
    if d.identical_answers:
        flags["duplicate_answers"] = rule_duplicate_answers(df, cols)
    if d.same_ip_window_minutes is not None:
        flags["duplicate_ip"], info["duplicate_ip"] = rule_duplicate_ip(
            df, d.same_ip_window_minutes, cols, d.same_ip_min_agreement)
    if qc.speeders.min_seconds is not None or qc.speeders.median_fraction is not None:
        flags["speeder"], info["speeder"] = rule_speeder(df, qc.speeders.min_seconds, qc.speeders.median_fraction)
    if qc.straightlining is not None:
        flags["straightlining"] = rule_straightlining(df, q)
        info["straightlining"] = {"blocks": [b for b, _ in straightlining_blocks(q)]}
    if qc.attention:
        flags["attention_check"] = rule_attention(df, qc.attention)
    if qc.exclusive and any(o.exclusive for it in q.items if it.type == "multi" for o in q.options_of(it)):
        flags["exclusive"] = rule_exclusive(df, q)
    if qc.completeness is not None:
        flags["incomplete"] = rule_incomplete(df, missing, q)
    if qc.ranges:
        flags["out_of_range"] = rule_out_of_range(df, q)
    return flags, info


def run(study) -> dict:
    from pipeline.core.stage import write_csv, write_json

    q = study.questionnaire
    src = study.stage_dir("ingest")
    df = pd.read_parquet(src / "responses.parquet")
    missing = pd.read_parquet(src / "missing.parquet")
    flags, info = screen(df, missing, q)
    order = [r for r in q.quality.order if r in flags]
    n = len(df)
    first_rule = np.full(n, None, dtype=object)
    for rule in order:
        pos = flags[rule].index.to_numpy()
        free = pos[first_rule[pos] == None]  # noqa: E711
        first_rule[free] = rule
    excluded = first_rule != None  # noqa: E711
    resp = df["respondent"].to_numpy()
    rows = df["source_row"].to_numpy()
    files = df["source_file"].to_numpy()
    ex_parts = []
    for rule in order:
        s = flags[rule]
        p = s.index.to_numpy()
        ex_parts.append(pd.DataFrame({"respondent": resp[p], "rule": rule, "detail": s.to_numpy(),
                                      "counted": first_rule[p] == rule, "source_file": files[p], "source_row": rows[p],
                                      "_o": p}))
    exclusions = (pd.concat(ex_parts, ignore_index=True) if ex_parts else
                  pd.DataFrame(columns=["respondent", "rule", "detail", "counted", "source_file", "source_row", "_o"]))
    rule_rank = {r: i for i, r in enumerate(order)}
    exclusions = (exclusions.assign(_r=exclusions["rule"].map(rule_rank))
                  .sort_values(["_o", "_r"], kind="stable").drop(columns=["_o", "_r"]).reset_index(drop=True))
    kept = df.loc[~excluded].drop(columns=[c for c in ("ip_hash",) if c in df]).reset_index(drop=True)
    keep_missing = ~excluded[missing["row"].to_numpy()]
    new_pos = np.cumsum(~excluded) - 1  # position among the kept rows
    kept_missing = missing[keep_missing].reset_index(drop=True)
    kept_missing["row"] = new_pos[kept_missing["row"].to_numpy()]
    all_rules = list(q.quality.order)
    log = {
        "read": int(n),
        "kept": int(len(kept)),
        "excluded": int(excluded.sum()),
        "order": order,
        "rules": [{
            "rule": r,
            "enabled": r in flags,
            "flagged": int(len(flags[r])) if r in flags else 0,
            "excluded": int((first_rule == r).sum()),
            **({"info": info[r]} if r in info else {}),
        } for r in all_rules],
        "missing_answers_kept": {k: int(v) for k, v in kept_missing["kind"].value_counts().sort_index().items()},
        "dropped_columns": ["ip_hash"] if "ip_hash" in df else [],
        "config": q.quality.model_dump(),
    }
    assert log["read"] == log["kept"] + sum(r["excluded"] for r in log["rules"])
    with study.output("clean", "clean", [src / "responses.parquet", src / "missing.parquet"]) as tmp:
        kept.to_parquet(tmp / "responses.parquet", index=False)
        kept_missing.to_parquet(tmp / "missing.parquet", index=False)
        write_csv(exclusions, tmp / "exclusions.csv")
        write_csv(codebook(q, kept), tmp / "codebook.csv")
        write_json(log, tmp / "cleaning_log.json")
    return log


def codebook(q: Questionnaire, df: pd.DataFrame) -> pd.DataFrame:
    """Variable and value labels of the clean table (like SPSS's variable view)."""
    rows = []
    for col in df.columns:
        it = q.column_item(col)
        if it is None:
            rows.append({"column": col, "item": "", "type": "metadata", "construct": "", "code": "", "label_zh": "", "label_en": ""})
            continue
        common = {"column": col, "item": it.id, "type": it.type, "construct": it.construct or ""}
        if "__" in col:
            key = col.split("__", 1)[1]
            o = next(o for o in q.options_of(it) if o.col_key == key)
            rows.append({**common, "code": o.code, "label_zh": o.label, "label_en": o.en,
                         "note": "rank (1 = first)" if it.type == "ranking" else "1 = chosen, 0 = not chosen"})
        elif col != it.id:
            part = {"_other": "text of the 'other' option", "_province": "province", "_city": "city"}
            suffix = next((s for s in part if col == it.id + s), "")
            rows.append({**common, "code": "", "label_zh": it.text, "label_en": it.en, "note": part.get(suffix, "")})
        elif it.type in ("single", "likert"):
            for o in q.options_of(it):
                rows.append({**common, "code": o.code, "label_zh": o.label, "label_en": o.en})
        else:
            rows.append({**common, "code": "", "label_zh": it.text, "label_en": it.en})
    return pd.DataFrame(rows)


def summary(log: dict) -> str:
    """CONSORT-style account: read → excluded per rule → kept."""
    width = 34
    lines = [f"{'Submissions read':<{width}}{log['read']:>8}"]
    for r in log["rules"]:
        if not r["enabled"]:
            lines.append(f"  {'– ' + r['rule'] + ' (off)':<{width - 2}}{'':>8}")
            continue
        extra = f"   (flagged {r['flagged']}; {r['flagged'] - r['excluded']} also failed an earlier rule)" \
            if r["flagged"] != r["excluded"] else ""
        lines.append(f"  {'– ' + r['rule']:<{width - 2}}{-r['excluded']:>8}{extra}")
    lines.append(f"{'Kept for analysis':<{width}}{log['kept']:>8}")
    return "\n".join(lines)
