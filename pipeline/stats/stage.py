"""Stage 3, stats: the questionnaire's constructs and roles drive every table in ``stats/``.

Reads ``clean/responses.parquet``; writes one tidy CSV per table (UTF-8 with BOM) and
``stats_log.json`` (what was computed, what was skipped and why).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..questionnaire import Questionnaire
from . import satisfaction as sat
from .participation import participation
from .priorities import consensus, kendall_w, ranking_summary
from .reliability import item_analysis, reliability
from .validity import bartlett, efa, kmo, n_factors


def _labels(q: Questionnaire, construct: str) -> tuple[str, str]:
    c = next(c for c in q.constructs if c.id == construct)
    return c.label.zh, c.label.en


def _opt_columns(q: Questionnaire, item_id: str) -> dict[str, str]:
    it = q.item_index[item_id]
    return {o.col_key: f"{it.id}__{o.col_key}" for o in q.options_of(it)}


def build_tables(q: Questionnaire, df: pd.DataFrame, seed: int, log: dict) -> dict[str, pd.DataFrame]:
    """Every table of the stage, by file name (without .csv)."""
    tables: dict[str, pd.DataFrame] = {}

    def attempt(name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
            log["computed"].append(name)
        except (ValueError, np.linalg.LinAlgError) as e:  # a table that cannot be made is reported, not fatal
            log["skipped"][name] = str(e)

    constructs = {c.id: q.construct_items(c.id) for c in q.constructs}
    reverse = [i for items in constructs.values() for i in items if q.item_index[i].reverse]
    all_items = [i for items in constructs.values() for i in items]

    def reliability_tables() -> None:
        rows, items_rows = [], []
        for cid, items in constructs.items():
            if len(items) < 2:
                continue
            sc = q.scales.get(q.item_index[items[0]].scale)
            kw = dict(reverse=[i for i in items if i in reverse],
                      scale_min=sc.min if sc else None, scale_max=sc.max if sc else None)
            zh, en = _labels(q, cid)
            r = reliability(df, items, **kw)
            r.insert(0, "construct", cid)
            r.insert(1, "label_zh", zh)
            r.insert(2, "label_en", en)
            rows.append(r)
            ia = item_analysis(df, items, **kw)
            ia.insert(0, "construct", cid)
            items_rows.append(ia)
        tables["reliability"] = pd.concat(rows, ignore_index=True)
        tables["item_analysis"] = pd.concat(items_rows, ignore_index=True)

    def validity_tables() -> None:
        tables["kmo"] = kmo(df, all_items)
        tables["bartlett"] = bartlett(df, all_items)
        nf = n_factors(df, all_items, n_iter=20, random_state=seed)
        tables["n_factors"] = nf
        log["n_factors"] = dict(nf.attrs)
        res = efa(df, all_items, len(constructs), method="minres", rotation="oblimin")
        load = res["loadings"]
        load.insert(1, "construct", [q.item_index[i].construct for i in load["item"]])
        tables["efa_loadings"] = load
        tables["efa_variance"] = res["variance"]
        tables["efa_phi"] = res["phi"]

    def satisfaction_tables() -> None:
        importance = {c.id: c.importance for c in q.constructs if c.importance}
        idx_rows, con_rows = [], []
        for w in sat.WEIGHTINGS:
            if w == "importance" and len(importance) != len(constructs):
                continue
            if w == "regression" and not q.roles.overall:
                continue
            res = sat.satisfaction_index(df, constructs, weighting=w, importance=importance,
                                         overall=q.roles.overall, reverse=reverse)
            idx_rows.append(res["index"])
            con_rows.append(res["constructs"].assign(weighting=w))
        tables["satisfaction_index"] = pd.concat(idx_rows, ignore_index=True)
        cons = pd.concat(con_rows, ignore_index=True)
        cons.insert(1, "label_zh", [_labels(q, c)[0] for c in cons["construct"]])
        cons.insert(2, "label_en", [_labels(q, c)[1] for c in cons["construct"]])
        tables["satisfaction_constructs"] = cons
        if q.roles.community:
            rows = []
            comm = q.item_index[q.roles.community]
            for o in q.options_of(comm):
                sub = df[df[q.roles.community] == o.code]
                if len(sub) < 2:
                    continue
                r = sat.satisfaction_index(sub, constructs, weighting="equal", reverse=reverse)
                per = r["constructs"].set_index("construct")["index"]
                rows.append({"community": o.code, "label_zh": o.label, "label_en": o.en,
                             **r["index"].drop(columns="weighting").iloc[0].to_dict(),
                             **{f"index_{c}": per[c] for c in constructs}})
            tables["satisfaction_by_community"] = pd.DataFrame(rows)
        ipa_rows = []
        if len(importance) == len(constructs):
            ipa_rows.append(sat.ipa(df, constructs, importance=importance))
        if q.roles.overall:
            ipa_rows.append(sat.ipa(df, constructs, overall=q.roles.overall))
        if ipa_rows:
            ipa = pd.concat(ipa_rows, ignore_index=True)
            ipa.insert(1, "label_zh", [_labels(q, c)[0] for c in ipa["attribute"]])
            ipa.insert(2, "label_en", [_labels(q, c)[1] for c in ipa["attribute"]])
            tables["ipa"] = ipa
        if q.roles.overall:
            scores = sat.construct_scores(df, constructs, reverse=reverse)
            kd = sat.key_drivers(pd.concat([scores, df[q.roles.overall]], axis=1), list(constructs), q.roles.overall)
            kd.insert(1, "label_zh", [_labels(q, c)[0] for c in kd["driver"]])
            kd["r2"] = kd.attrs["r2"]
            kd["n"] = kd.attrs["n"]
            tables["key_drivers"] = kd

    def participation_tables() -> None:
        r = q.roles
        res = participation(
            df, r.participated, r.participated_yes,
            stages=_opt_columns(q, r.participation_stages) if r.participation_stages else None,
            channels=_opt_columns(q, r.participation_channels) if r.participation_channels else None)
        for key, t in res.items():
            tables[f"participation_{key}"] = t
        if "depth" in res:
            log["mean_participation_depth"] = res["depth"].attrs["mean_depth"]

    def priority_tables() -> None:
        it = q.item_index[q.roles.priorities]
        opts = _opt_columns(q, it.id)
        labels = {o.col_key: o.label for o in q.options_of(it)}
        tables["priorities"] = ranking_summary(df, opts, labels=labels)
        tables["priorities_concordance"] = kendall_w(df, opts)
        if q.roles.community:
            cons = consensus(df, opts, q.roles.community)
            tables["priorities_consensus_within"] = cons["within"]
            tables["priorities_consensus_between"] = cons["between"]
            tables["priorities_mean_ranks"] = cons["mean_ranks"]

    if constructs:
        attempt("reliability", reliability_tables)
        attempt("validity", validity_tables)
        attempt("satisfaction", satisfaction_tables)
    if q.roles.participated:
        attempt("participation", participation_tables)
    if q.roles.priorities:
        attempt("priorities", priority_tables)
    return tables


def run(study) -> dict:
    from ..stage import stage_output, write_csv, write_json

    q = study.questionnaire
    src = study.stage_dir("clean") / "responses.parquet"
    df = pd.read_parquet(src)
    log: dict = {"rows": int(len(df)), "computed": [], "skipped": {}}
    tables = build_tables(q, df, study.config.seed, log)
    log["tables"] = sorted(tables)
    with stage_output(study.stage_dir("stats"), inputs=[src], configs=study.config_files(),
                      seed=study.config.seed, stage="stats", base=study.dir) as tmp:
        for name, t in tables.items():
            write_csv(t, tmp / f"{name}.csv")
        write_json(log, tmp / "stats_log.json")
    return log
