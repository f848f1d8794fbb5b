"""Stage 3, stats: the questionnaire's constructs and roles drive every table in ``stats/``.

Reads ``clean/responses.parquet``; writes one tidy CSV per table (UTF-8 with BOM) and
``stats_log.json`` (what was computed, what was skipped and why).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.core.errors import CannotCompute, InputError
from pipeline.stats import compare, descriptives, models
from pipeline.stats import satisfaction as sat
from pipeline.stats._util import numeric_frame, reverse_items
from pipeline.stats.participation import participation, wilson_ci
from pipeline.stats.paths import mediation, moderation
from pipeline.stats.priorities import consensus, kendall_w, ranking_summary
from pipeline.stats.reliability import item_analysis, reliability
from pipeline.stats.sem import parse_model, sem
from pipeline.stats.validity import bartlett, efa, harman_single_factor, kmo, measurement_validity, n_factors
from pipeline.stats.weighted import weighted_crosstab_test, weighted_mean, weighted_ols
from pipeline.stats.weights import community_weights, poststratify
from pipeline.survey.questionnaire import Questionnaire


def _labels(q: Questionnaire, construct: str) -> tuple[str, str]:
    c = next(c for c in q.constructs if c.id == construct)
    return c.label.zh, c.label.en or c.label.zh  # a definition without English labels: the Chinese one


def _opt_columns(q: Questionnaire, item_id: str) -> dict[str, str]:
    it = q.item_index[item_id]
    return {o.col_key: f"{it.id}__{o.col_key}" for o in q.options_of(it)}


def _model_table(res: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """One tidy table per model: coefficient rows with the fit statistics alongside."""
    coef = res["coefficients"].copy()
    fit = res["fit"].iloc[0]
    coef.insert(0, "model", name)
    for key in ("n", "n_dropped", "n_groups", "r2", "adj_r2", "pseudo_r2", "loglik", "aic", "bic", "icc", "cov_type",
                "event", "converged"):
        if key in fit.index:
            coef[f"fit_{key}"] = fit[key]
    if "fit_converged" not in coef.columns:  # least squares has a closed form: nothing to converge
        coef["fit_converged"] = True
    return coef


@dataclass
class _Inputs:
    """What the table builders below share: the questionnaire and the data, what is derived from
    them once (constructs, reverse-keyed items, roles, background variables), and the tables and
    log they fill."""
    q: Questionnaire
    df: pd.DataFrame
    seed: int
    log: dict
    population: pd.DataFrame | None
    population_path: object
    constructs: dict[str, list[str]]
    reverse: list[str]
    all_items: list[str]
    r: object
    background: list[str]
    numeric_background: list[str]
    tables: dict[str, pd.DataFrame]
    missing: pd.DataFrame | None = None  # clean/missing.parquet: row, item, kind, label
    _scores: pd.DataFrame | None = field(default=None, repr=False)

    def scores(self) -> pd.DataFrame:
        """Construct scores (reverse-keyed items reversed, scoring.min_answered), computed once
        for every builder that needs them."""
        if self._scores is None:
            self._scores = sat.construct_scores(self.df, self.constructs, reverse=self.reverse,
                                                min_share=self.q.scoring.min_answered)
        return self._scores

    def scored(self) -> pd.DataFrame:
        """The data with the construct scores as ``score_<construct>`` columns."""
        return pd.concat([self.df, self.scores().add_prefix("score_")], axis=1)

    def keyed(self, columns: list[str]) -> pd.DataFrame:
        """The columns as numbers with reverse-keyed items reversed (so that they load positively)."""
        rev = [i for i in self.reverse if i in columns]
        return reverse_items(numeric_frame(self.df, columns), rev) if rev else numeric_frame(self.df, columns)

    def community_table(self) -> pd.DataFrame:
        """The post-stratification table of the study's population (households per community)."""
        labels = {o.code: o.label for o in self.q.options_of(self.q.item_index[self.r.community])}
        try:
            _, table = community_weights(self.df, self.r.community, self.population, labels)
        except CannotCompute:
            raise
        except ValueError as e:  # the population table does not fit the survey: the user's input
            raise InputError(str(e), file=self.population_path, key="survey.population") from None
        return table


# ---- one builder per group of tables (each fills t.tables; attempt() in build_tables records
# what these data cannot give) ------------------------------------------------------------------

def _reliability_tables(t: _Inputs) -> None:
    q, df, constructs, reverse, tables = t.q, t.df, t.constructs, t.reverse, t.tables
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


def _validity_tables(t: _Inputs) -> None:
    q, df, seed, log, constructs, all_items, tables = t.q, t.df, t.seed, t.log, t.constructs, t.all_items, t.tables
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


def _measurement_tables(t: _Inputs) -> None:
    """CFA of the questionnaire's constructs (each with at least two items): fit, loadings, AVE
    and CR, Fornell–Larcker, HTMT and HTMT2; Harman's single-factor share over all items."""
    q, df, constructs, tables = t.q, t.df, t.constructs, t.tables
    model = {c: items for c, items in constructs.items() if len(items) >= 2}
    all_items = [i for items in model.values() for i in items]
    tables["harman"] = harman_single_factor(df, all_items)
    if len(model) < 1 or sum(len(v) for v in model.values()) < 3:
        raise CannotCompute("a CFA needs constructs with at least two items")
    try:
        res = measurement_validity(t.keyed(all_items), model)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as e:  # degenerate data
        raise CannotCompute(f"the CFA cannot be fitted on these data ({type(e).__name__}: {e})") from None
    tables["cfa_fit"] = res["fit"]
    load = res["loadings"]
    load.insert(2, "label_zh", [_item_label(q, i) for i in load["item"]])
    tables["cfa_loadings"] = load
    cons = res["constructs"]
    cons.insert(1, "label_zh", [_labels(q, c)[0] for c in cons["construct"]])
    cons.insert(2, "label_en", [_labels(q, c)[1] for c in cons["construct"]])
    tables["validity_constructs"] = cons
    for name in ("fornell_larcker", "htmt", "htmt2"):
        if len(res[name]):
            tables[name] = res[name].rename_axis("construct").reset_index()


def _scale_text(q, item_id: str) -> str:
    """An item's response range as text ('1–5', '0–10'), or '' when it has no scale."""
    item = q.item_index.get(item_id)
    sc = q.scales.get(item.scale) if item is not None and item.scale else None
    return f"{sc.min:g}–{sc.max:g}" if sc is not None else ""


def _satisfaction_tables(t: _Inputs) -> None:
    q, df, constructs, reverse, tables = t.q, t.df, t.constructs, t.reverse, t.tables
    importance = {c.id: c.importance for c in q.constructs if c.importance}
    idx_rows, con_rows = [], []
    for w in sat.WEIGHTINGS:
        if w == "importance" and len(importance) != len(constructs):
            continue
        if w == "regression" and not q.roles.overall:
            continue
        if w == "entropy_groups" and not q.roles.community:
            continue
        try:
            res = sat.satisfaction_index(df, constructs, weighting=w, importance=importance,
                                         overall=q.roles.overall, reverse=reverse, group=q.roles.community,
                                         min_share=q.scoring.min_answered)
        except CannotCompute as e:
            if w != "entropy_groups":  # one community: the other schemes still stand
                raise
            t.log["skipped"]["satisfaction_index_entropy_groups"] = str(e)
            continue
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
            r = sat.satisfaction_index(sub, constructs, weighting="equal", reverse=reverse,
                                       min_share=q.scoring.min_answered)
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
        # the scales the means are on (a figure's axis says 1–5 only when it is 1–5)
        ipa["performance_scale"] = [_scale_text(q, constructs[c][0]) for c in ipa["attribute"]]
        ipa["importance_scale"] = [_scale_text(q, importance[c]) if k == "stated" and c in importance else ""
                                   for c, k in zip(ipa["attribute"], ipa["importance_type"])]
        tables["ipa"] = ipa
    if q.roles.overall:
        scores = t.scores()
        kd = sat.key_drivers(pd.concat([scores, df[q.roles.overall]], axis=1), list(constructs), q.roles.overall)
        kd.insert(1, "label_zh", [_labels(q, c)[0] for c in kd["driver"]])
        kd["r2"] = kd.attrs["r2"]
        kd["n"] = kd.attrs["n"]
        tables["key_drivers"] = kd


def _participation_tables(t: _Inputs) -> None:
    q, df, log, tables = t.q, t.df, t.log, t.tables
    r = q.roles
    res = participation(
        df, r.participated, r.participated_yes,
        stages=_opt_columns(q, r.participation_stages) if r.participation_stages else None,
        channels=_opt_columns(q, r.participation_channels) if r.participation_channels else None)
    for key, t in res.items():
        tables[f"participation_{key}"] = t
    if "depth" in res:
        log["mean_participation_depth"] = res["depth"].attrs["mean_depth"]


def _priority_tables(t: _Inputs) -> None:
    q, df, tables = t.q, t.df, t.tables
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


def _descriptive_tables(t: _Inputs) -> None:
    q, df, numeric_background, tables = t.q, t.df, t.numeric_background, t.tables
    freq, multi, desc_items = [], [], []
    for it in q.items:
        cols = [r.id for r in it.rows or []] if it.type == "matrix" else [it.id]
        if it.type in ("single", "likert", "matrix"):
            labels = {o.code: o.label for o in q.options_of(it)}
            for c in cols:
                f = _split_missing(descriptives.frequencies(df, c, labels=labels), c, t.missing, len(df))
                f.insert(0, "item", c)
                freq.append(f)
            if it.type in ("likert", "matrix"):
                desc_items += cols
        elif it.type == "multi":
            opts = q.options_of(it)
            m = descriptives.multi_response(df, [f"{it.id}__{o.col_key}" for o in opts],
                                            labels={f"{it.id}__{o.col_key}": o.label for o in opts})
            m.insert(0, "item", it.id)
            multi.append(m)
    tables["frequencies"] = pd.concat(freq, ignore_index=True)
    if multi:
        tables["multi_response"] = pd.concat(multi, ignore_index=True)
    parts = []
    if desc_items:
        # the top box is each item's own top two levels (4-5 of a 1-5 scale, 9-10 of 0-10, 6-7 of 1-7)
        by_box: dict[tuple, list[str]] = {}
        for c in desc_items:
            by_box.setdefault(_top_two(q, c), []).append(c)
        described = pd.concat([descriptives.describe(df, cols, top_box=box) for box, cols in by_box.items()],
                              ignore_index=True)
        parts.append(described.set_index("variable").loc[desc_items].reset_index())
    if numeric_background:
        parts.append(descriptives.describe(df, numeric_background, top_box=None))
    if parts:
        tables["descriptives"] = pd.concat(parts, ignore_index=True)


KIND_ZH = {"skipped": "跳题（逻辑跳过）", "blank": "未作答"}


def _split_missing(f: pd.DataFrame, column: str, missing: pd.DataFrame | None, n: int) -> pd.DataFrame:
    """The frequency table's one system-missing row split by why the answer is missing: each
    no-answer label (不清楚, 不愿透露 …) its own row, then logic skips, then blanks (SPSS shows
    user-missing codes the same way)."""
    if missing is None or not f["is_missing"].any():
        return f
    m = missing[missing["item"] == column]
    if m.empty:
        return f
    rows = []
    labelled = m[m["kind"] == "scale_missing"]
    for lab, k in labelled["label"].fillna("").value_counts(sort=False).items():
        rows.append({"value": np.nan, "label": lab or "scale_missing", "n": int(k)})
    for kind in ("skipped", "blank"):
        k = int((m["kind"] == kind).sum())
        if k:
            rows.append({"value": np.nan, "label": KIND_ZH[kind], "n": k})
    total = int(f.loc[f["is_missing"], "n"].sum())
    accounted = sum(r["n"] for r in rows)
    if accounted != total:  # answers missing for another reason (e.g. a value cleared by a rule)
        rows.append({"value": np.nan, "label": "missing", "n": total - accounted})
    extra = pd.DataFrame([{**r, "percent": r["n"] / n * 100, "valid_percent": np.nan, "cumulative_percent": np.nan,
                           "is_missing": True} for r in rows if r["n"]])
    return pd.concat([f[~f["is_missing"]], extra], ignore_index=True)[f.columns]


def _missing_tables(t: _Inputs) -> None:
    """Per item: answered, logic skips, blanks and each no-answer label (不清楚, 不愿透露 …), as
    counts and shares of the respondents analysed."""
    q, df, tables, missing = t.q, t.df, t.tables, t.missing
    if missing is None:
        return
    n = len(df)
    rows = []
    labels = sorted(set(missing.loc[missing["kind"] == "scale_missing", "label"].dropna()))
    for it in q.items:
        ids = [r.id for r in it.rows or []] if it.type == "matrix" else [it.id]
        for c in ids:
            m = missing[missing["item"] == c]
            row = {"item": c, "label_zh": _item_label(q, c), "n": n, "answered": n - len(m),
                   "skipped": int((m["kind"] == "skipped").sum()), "blank": int((m["kind"] == "blank").sum())}
            for lab in labels:
                row[f"said_{lab}"] = int(((m["kind"] == "scale_missing") & (m["label"] == lab)).sum())
            row["missing_pct"] = 100 * len(m) / n if n else np.nan
            rows.append(row)
    tables["missing_answers"] = pd.DataFrame(rows)


def _item_label(q: Questionnaire, item_id: str) -> str:
    parent = next((x for x in q.items if any(r.id == item_id for r in x.rows or [])), None)
    if parent is not None:
        return next(r.label for r in parent.rows if r.id == item_id)
    return q.item_index[item_id].text or item_id


def _top_two(q: Questionnaire, item_id: str) -> tuple:
    levels = q.options_of(q.item_index[item_id])
    return tuple(o.code for o in levels[-2:]) if len(levels) >= 4 else (levels[-1].code,) if levels else (4, 5)


def _item_rows(q: Questionnaire, df: pd.DataFrame, items: list[str]) -> list[dict]:
    rows = []
    for c in items:
        it = q.item_index[c]
        v = pd.to_numeric(df[c]).astype("float64").dropna()
        box = _top_two(q, c)
        levels = q.options_of(it)
        bottom = tuple(o.code for o in levels[:2]) if len(levels) >= 4 else (levels[0].code,) if levels else ()
        n = int(len(v))
        lo_code, hi_code = (min(o.code for o in levels), max(o.code for o in levels)) if levels else (np.nan, np.nan)
        k_top, k_bottom = float(v.isin(box).sum()), float(v.isin(bottom).sum())
        lo, hi = (100 * x for x in wilson_ci(k_top, n)) if n else (np.nan, np.nan)
        parent = next((x for x in q.items if any(r.id == c for r in x.rows or [])), None)
        label = next((r.label for r in parent.rows if r.id == c), c) if parent else (it.text or c)
        en = next((r.en for r in parent.rows if r.id == c), "") if parent else it.en
        rows.append({
            "item": c, "label_zh": label, "label_en": en or label, "block": parent.id if parent else "",
            "construct": it.construct or "", "scale_points": len(levels),
            "satisfaction_scale": any("满意" in o.label for o in levels),
            "n": n, "mean": float(v.mean()) if n else np.nan, "sd": float(v.std(ddof=1)) if n > 1 else np.nan,
            "top2_pct": 100 * k_top / n if n else np.nan, "top2_ci95_low": lo, "top2_ci95_high": hi,
            "bottom2_pct": 100 * k_bottom / n if n else np.nan,
            "top2_codes": "/".join(str(b) for b in box),
            # the mean on 0–100 by the item's own scale (lowest level 0, highest 100), as the indices
            "scale_min": lo_code, "scale_max": hi_code,
            "index": 100 * (float(v.mean()) - lo_code) / (hi_code - lo_code) if n and hi_code > lo_code else np.nan,
        })
    return rows


def _item_satisfaction_tables(t: _Inputs) -> None:
    """Every rating item (likert items and matrix rows): n, mean, SD, top-two-box share (满意率,
    the headline of Chinese government evaluations) with its Wilson 95% CI, bottom-two share, and
    its rank from the least satisfying; per community too when the questionnaire names one."""
    q, df, tables = t.q, t.df, t.tables
    attention = {a.item for a in q.quality.attention}
    items = [c for it in q.items for c in ([r.id for r in it.rows or []] if it.type == "matrix" else [it.id])
             if it.type in ("likert", "matrix") and c not in attention]
    if not items:
        return
    tab = pd.DataFrame(_item_rows(q, df, items))
    tab["rank_lowest"] = tab["top2_pct"].rank(method="min", na_option="bottom").astype(int)
    tables["item_satisfaction"] = tab
    r = q.roles
    if r.community:
        parts = []
        for o in q.options_of(q.item_index[r.community]):
            sub = df[pd.to_numeric(df[r.community]) == o.code]
            if not len(sub):
                continue
            part = pd.DataFrame(_item_rows(q, sub, items))
            part.insert(0, "community", o.code)
            part.insert(1, "community_zh", o.label)
            part["rank_lowest"] = part["top2_pct"].rank(method="min", na_option="bottom").astype(int)
            parts.append(part)
        if parts:
            tables["item_satisfaction_by_community"] = pd.concat(parts, ignore_index=True)


def _analysis_tables(t: _Inputs, analyses) -> None:
    """The study's analysis plan (``analyses:``): mediation and moderation models on construct
    scores and items; a name the questionnaire does not have is an error naming the key."""
    constructs, tables = t.constructs, t.tables
    data = t.scored()

    def col(name: str, key: str) -> str:
        return f"score_{name}" if name in constructs else _plan_item(t, name, key)

    med, mod_c, mod_s, mod_jn, sem_fit, sem_est, sem_ind = [], [], [], [], [], [], []
    for i, a in enumerate(analyses):
        where = f"analyses[{i}]"
        if a.type == "sem":
            fit, est, ind = _sem_analysis(t, a, where)
            label = a.label or "; ".join(ln.strip() for ln in a.model.splitlines() if "~" in ln and "=~" not in ln)
            sem_fit.append(fit.assign(analysis=i, label=label))
            sem_est.append(est.assign(analysis=i, label=label))
            sem_ind.append(ind.assign(analysis=i, label=label))
            continue
        x, y = col(a.x, f"{where}.x"), col(a.y, f"{where}.y")
        cov = [col(c, f"{where}.covariates") for c in a.covariates]
        v = lambda name: _var_zh(t, name)
        label = a.label or (f"{v(a.x)} → {v(a.m)} → {v(a.y)}" if a.type == "mediation" else f"{v(a.x)} × {v(a.w)} → {v(a.y)}")
        if a.type == "mediation":
            r = mediation(data, x, col(a.m, f"{where}.m"), y, cov, n_boot=a.n_boot, seed=t.seed, interval=a.ci)
            med.append(r.assign(analysis=i, label=label, x=a.x, m=a.m, y=a.y))
        else:
            r = moderation(data, x, col(a.w, f"{where}.w"), y, cov)
            mod_c.append(r["coefficients"].assign(analysis=i, label=label, x=a.x, w=a.w, y=a.y))
            mod_s.append(r["simple_slopes"].assign(analysis=i, label=label, x=a.x, w=a.w, y=a.y))
            mod_jn.append(r["johnson_neyman"].assign(analysis=i, label=label, x=a.x, w=a.w, y=a.y))
    if med:
        tables["mediation"] = pd.concat(med, ignore_index=True)
    if mod_c:
        tables["moderation_coefficients"] = pd.concat(mod_c, ignore_index=True)
        tables["moderation_simple_slopes"] = pd.concat(mod_s, ignore_index=True)
        tables["moderation_johnson_neyman"] = pd.concat(mod_jn, ignore_index=True)
    if sem_fit:
        tables["sem_fit"] = pd.concat(sem_fit, ignore_index=True)
        tables["sem_estimates"] = pd.concat(sem_est, ignore_index=True)
        tables["sem_indirect"] = pd.concat(sem_ind, ignore_index=True)


def _var_zh(t: _Inputs, v: str) -> str:
    """A variable of the analysis plan as the tables name it: the construct's label, 总体满意度
    for the overall rating, an item's text."""
    if v == t.q.roles.overall:
        return "总体满意度"
    return _labels(t.q, v)[0] if v in t.constructs else _item_label(t.q, v) if v in t.q.item_index else v


def _plan_item(t: _Inputs, name: str, key: str) -> str:
    """An item the analysis plan may name: a rating, numeric or single-choice item in the data."""
    it = t.q.item_index.get(name)
    if it is not None and it.type in ("likert", "numeric", "single") and name in t.df.columns:
        return name
    raise InputError(f"'{name}' is neither a construct ({sorted(t.constructs)}) nor a rating or numeric item of the "
                     "questionnaire", key=key)


def _sem_analysis(t: _Inputs, a, where: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A structural model of the plan: constructs named in ``model`` become latent variables
    measured by their items (reverse-keyed items reversed), items stay observed."""
    constructs = t.constructs
    try:
        spec = parse_model(a.model)
    except ValueError as e:
        raise InputError(str(e), key=f"{where}.model") from None
    names = list(dict.fromkeys(v for pair in spec.regressions + spec.covariances for v in pair))
    for items in spec.measurement.values():
        names += [i for i in items if i not in names]
    lines = []
    for v in names:
        if v in constructs and v not in spec.measurement:
            if len(constructs[v]) < 2:
                raise InputError(f"construct '{v}' has {len(constructs[v])} item: a latent variable needs at least two",
                                 key=f"{where}.model")
            lines.append(f"{v} =~ " + " + ".join(constructs[v]))
        elif v not in constructs and v not in spec.measurement:
            _plan_item(t, v, f"{where}.model")
    full = "\n".join(lines) + "\n" + a.model
    fs = parse_model(full)
    data = t.keyed(fs.observed())
    n_boot = a.n_boot if "n_boot" in a.model_fields_set else 0
    res = sem(data, full, n_boot=n_boot, seed=t.seed)
    if not bool(res["fit"]["converged"].iloc[0]):
        raise CannotCompute(f"the structural model of {where} did not converge")

    est = res["estimates"]
    est.insert(1, "lhs_zh", [_var_zh(t, v) for v in est["lhs"]])
    est.insert(4, "rhs_zh", [_var_zh(t, v) for v in est["rhs"]])
    r2 = res["r2"].set_index("variable")["r2"]
    est["r2_lhs"] = [r2.get(v, np.nan) if op == "~" else np.nan for v, op in zip(est["lhs"], est["op"])]
    # lavaan's operators as words (a cell starting with '=' would be escaped as a formula in the CSV)
    resid = {y for y, _ in fs.regressions} | {i for its in fs.measurement.values() for i in its}
    est.insert(2, "kind", ["loading" if op == "=~" else "regression" if op == "~" else
                           ("residual_variance" if lhs in resid else "variance") if lhs == rhs else "covariance"
                           for lhs, op, rhs in zip(est["lhs"], est["op"], est["rhs"])])
    est = est.drop(columns="op")
    ind = res["indirect"]
    ind.insert(1, "path_zh", [" → ".join(_var_zh(t, v) for v in p.split(" (")[0].split(" → ")) + (" (" + p.split(" (")[1] if " (" in p else "")
                              for p in ind["path"]])
    return res["fit"], est, ind


def _crosstab_tables(t: _Inputs) -> None:
    df, seed, r, tables = t.df, t.seed, t.r, t.tables
    pairs = [(g, r.community) for g in r.groups if g != r.community] if r.community else []
    if r.participated:
        pairs += [(r.participated, g) for g in r.groups]
    counts, tests = [], []
    for a, b in pairs:
        res = descriptives.crosstab(df, a, b, random_state=seed)
        counts.append(res["counts"].assign(row_variable=a, col_variable=b))
        tests.append(res["test"].assign(row_variable=a, col_variable=b))
    if tests:
        out = pd.concat(tests, ignore_index=True)
        out["p_adj"] = compare.p_adjust(out["p_val"].to_numpy(), "fdr_bh")
        out["p_adj_family"] = f"Benjamini-Hochberg over the {len(out)} crosstab tests of this table"
        totals = _population_totals(t)
        if totals is not None:  # design-based tests with the post-stratification weights (= survey::svychisq)
            rs = [weighted_crosstab_test(df, a, b, poststrata=r.community, population=totals).iloc[0] for a, b in pairs]
            out["rao_scott_f"] = [x["f"] for x in rs]
            out["rao_scott_ndf"] = [x["ndf"] for x in rs]
            out["rao_scott_ddf"] = [x["ddf"] for x in rs]
            out["rao_scott_p"] = [x["p_val"] for x in rs]
            out["rao_scott_p_adj"] = compare.p_adjust(out["rao_scott_p"].to_numpy(), "fdr_bh")
        tables["crosstab_tests"] = out
        tables["crosstab_counts"] = pd.concat(counts, ignore_index=True)


def _population_totals(t: _Inputs) -> dict | None:
    """Households per community code from the study's population table, or None without one."""
    if t.population is None or not t.r.community:
        return None
    table = t.community_table()
    return dict(zip(table["code"], table["households"]))


def _comparison_tables(t: _Inputs) -> None:
    constructs, r, tables = t.constructs, t.r, t.tables
    data = t.scored()
    dvs = [f"score_{c}" for c in constructs] + ([r.overall] if r.overall else [])
    out = []
    for g in (r.groups if dvs else []):  # no construct and no overall item: nothing to compare
        res = compare.compare_many(data, dvs, g)
        res.insert(0, "group", g)
        res["p_adj_family"] = [f"Benjamini-Hochberg over the {len(dvs)} outcomes compared by '{g}' with {x}"
                               for x in res["test"]]
        out.append(res)
    if out:
        tables["comparisons"] = pd.concat(out, ignore_index=True)
    if r.community and r.overall:
        ph = []
        for method in ("tukey", "games-howell", "dunn"):
            p = compare.posthoc(data, r.overall, r.community, method=method)
            p.insert(0, "method", method)
            p["p_adj_family"] = {"tukey": "Tukey HSD over all pairs of communities (p_val is already adjusted)",
                                 "games-howell": "Games-Howell over all pairs of communities (p_val is already adjusted)",
                                 "dunn": "Holm over all pairs of communities"}[method]
            ph.append(p)
        tables["posthoc_overall_by_community"] = pd.concat(ph, ignore_index=True)


def _model_tables(t: _Inputs) -> None:
    log, constructs, r, background, tables = t.log, t.constructs, t.r, t.background, t.tables
    data = t.scored()
    terms = " + ".join(f"score_{c}" for c in constructs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if r.overall:
            rhs = " + ".join(([f"C({r.community})"] if r.community else []) + background) or "1"
            tables["model_overall_ordinal"] = _model_table(
                models.ordinal_logit(data, f"{r.overall} ~ {rhs}"), "ordinal_logit")
            # the proportional-odds assumption, term by term (= ordinal::nominal_test)
            tables["model_overall_po_test"] = models.nominal_test(data, f"{r.overall} ~ {rhs}")
            tables["model_overall_drivers"] = _model_table(
                models.ols(data, f"{r.overall} ~ {terms}", cluster=r.community), "ols_cluster_cr2"
                if r.community else "ols")
            totals = _population_totals(t)
            if totals is not None:  # the drivers model with the population weights (= svyglm)
                tables["model_overall_drivers_weighted"] = weighted_ols(
                    data, f"{r.overall} ~ {terms}", poststrata=r.community, population=totals)
            if r.community:
                tables["model_overall_mixed"] = _model_table(
                    models.mixed(data, f"{r.overall} ~ {terms}", group=r.community), "random_intercept")
                tables["icc"] = models.icc(data, r.overall, r.community)
        if r.participated:
            tables["model_participation"] = _model_table(
                models.logit(data, f"{r.participated} ~ {' + '.join(background) or '1'}", event=r.participated_yes),
                "logit")
    for w in caught:
        log.setdefault("warnings", []).append(str(w.message))


def _weight_tables(t: _Inputs) -> None:
    df, constructs, r, tables = t.df, t.constructs, t.r, t.tables
    table = t.community_table()
    tables["weights"] = table
    totals = dict(zip(table["code"], table["households"]))
    w = poststratify(df, r.community, totals)
    scores = t.scores()
    est = pd.DataFrame({f"index_{c}": (scores[c] - 1) / 4 * 100 for c in constructs}, index=df.index)
    if len(constructs) > 1:  # the equally weighted overall index (respondents with every construct)
        est["index_overall"] = est[[f"index_{c}" for c in constructs]].mean(axis=1, skipna=False)
    if r.overall:
        est[r.overall] = pd.to_numeric(df[r.overall]).astype(float)
    if r.participated:
        est["participation_rate"] = (pd.to_numeric(df[r.participated]) == r.participated_yes).astype(float) \
            .where(df[r.participated].notna())
    est[r.community] = df[r.community]
    cols = [c for c in est.columns if c != r.community]
    wm = weighted_mean(est, cols, weights=w.to_numpy(), poststrata=r.community, population=totals)
    wm.insert(2, "mean_unweighted", [float(est[c].mean()) for c in cols])
    tables["weighted_estimates"] = wm


def build_tables(q: Questionnaire, df: pd.DataFrame, seed: int, log: dict,
                 population: pd.DataFrame | None = None, population_path=None,
                 missing: pd.DataFrame | None = None, analyses=()) -> dict[str, pd.DataFrame]:
    """Every table of the stage, by file name (without .csv)."""
    tables: dict[str, pd.DataFrame] = {}

    def attempt(name: str, fn: Callable[[], None]) -> None:
        """Make a group of tables; only what these data cannot give (CannotCompute, a singular
        matrix) is recorded as skipped — any other error is a fault and stops the stage."""
        try:
            fn()
            log["computed"].append(name)
        except (CannotCompute, np.linalg.LinAlgError) as e:
            log["skipped"][name] = str(e)

    constructs = {c.id: q.construct_items(c.id) for c in q.constructs}
    reverse = [i for items in constructs.values() for i in items if q.item_index[i].reverse]
    all_items = [i for items in constructs.values() for i in items]

    r = q.roles
    numeric_background = [it.id for it in q.items if it.type == "numeric"]
    background = [f"C({g})" for g in r.groups if g != r.community] + numeric_background
    t = _Inputs(q, df, seed, log, population, population_path, constructs, reverse, all_items, r, background,
                numeric_background, tables, missing)

    attempt("missing_answers", functools.partial(_missing_tables, t))
    attempt("descriptives", functools.partial(_descriptive_tables, t))
    attempt("item_satisfaction", functools.partial(_item_satisfaction_tables, t))
    if r.groups:
        attempt("crosstabs", functools.partial(_crosstab_tables, t))
        attempt("comparisons", functools.partial(_comparison_tables, t))
    if constructs:
        attempt("reliability", functools.partial(_reliability_tables, t))
        attempt("validity", functools.partial(_validity_tables, t))
        attempt("measurement", functools.partial(_measurement_tables, t))
        attempt("satisfaction", functools.partial(_satisfaction_tables, t))
    if q.roles.participated:
        attempt("participation", functools.partial(_participation_tables, t))
    if q.roles.priorities:
        attempt("priorities", functools.partial(_priority_tables, t))
    if constructs or r.participated:
        attempt("models", functools.partial(_model_tables, t))
    if analyses:
        attempt("analyses", functools.partial(_analysis_tables, t, analyses))
    if population is not None and r.community:
        attempt("weights", functools.partial(_weight_tables, t))
    elif population is not None:
        log["skipped"]["weights"] = "the study gives a population but the questionnaire names no roles.community"
    return tables


def run(study) -> dict:
    from pipeline.core.stage import write_tables

    q = study.questionnaire
    src = study.stage_dir("clean") / "responses.parquet"
    df = pd.read_parquet(src)
    if df.empty:
        raise InputError("the clean stage kept no respondent, so there is nothing to analyse (why each was "
                         "excluded: clean/exclusions.csv; the rules: the questionnaire's 'quality:')", file=src)
    log: dict = {"rows": int(len(df)), "computed": [], "skipped": {}}
    inputs = [src]
    population = pop_path = None
    if study.config.survey.population:
        from pipeline.core.tables import read_frame

        pop_path = study.resolve(study.config.survey.population)
        population = read_frame(pop_path)  # CSV or Excel, UTF-8 or GBK; numbers from their text
        for c in population.columns:
            if len(population) and population[c].str.fullmatch(r"-?\d+(?:\.\d+)?").all():
                population[c] = pd.to_numeric(population[c])
        inputs.append(pop_path)
    missing = None
    miss_path = study.stage_dir("clean") / "missing.parquet"
    if miss_path.exists():
        missing = pd.read_parquet(miss_path)
        inputs.append(miss_path)
    try:
        tables = build_tables(q, df, study.config.seed, log, population, pop_path, missing, study.config.analyses)
    except InputError as e:
        if e.key and e.key.startswith("analyses") and not e.file:
            e.file = str(study.path)
        raise
    log["tables"] = sorted(tables)
    with study.output("stats", "stats", inputs) as tmp:
        write_tables(tables, log, tmp, "stats_log.json")
    return log


def summary(log: dict) -> str:
    """The number of tables, and each table that could not be computed with the reason."""
    lines = [f"stats: {len(log['tables'])} tables from {log['rows']} respondents"]
    lines += [f"  skipped {table}: {why}" for table, why in log["skipped"].items()]
    return "\n".join(lines)
