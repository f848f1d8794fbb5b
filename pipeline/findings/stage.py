"""Stage 7, findings: survey and interview evidence joined problem by problem.

For each problem of the catalogue (:mod:`pipeline.findings.catalogue`): its survey indicators
with 95% CIs from ``clean/responses.parquet`` (and ``stats/ipa.csv``), who in the interviews
raised it (informants and segments coded with its codes, by stakeholder role) and in what
words (1–3 quotes from different informants, preferring different roles), a judgement of each
source (strong / moderate / none / contradicts), their convergence (both / survey only /
interviews only / conflict / neither) and a rank.

Judgement rules (documented in the catalogue's header and docs/findings.md):

* an indicator *supports* the problem when its estimate lies beyond the threshold in the
  problem's direction, *strongly* when the whole 95% CI does, and *contradicts* it when the
  whole CI lies on the other side; the survey's support is the strongest of its indicators,
  and it contradicts only when every indicator does;
* interviews are *strong* when at least ``strong_share`` of the informants from at least
  ``strong_roles`` roles raise the problem, *moderate* with at least ``moderate_informants``;
* rank: survey strength + interview strength (strong 2, moderate 1), then the share of
  informants, then the catalogue order.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError
from pipeline.findings.catalogue import Catalogue, Indicator, InterviewRules, Problem, load_catalogue
from pipeline.interviews.coding import quote_rank
from pipeline.interviews.roles import ROLE_LABELS, role_label

SUPPORT_ZH = {"strong": "强", "moderate": "中", "none": "无", "contradicts": "相反", "not_measured": "未测量"}
CONVERGENCE = {
    "both": ("两类证据一致支持", "Both sources support"), "survey_only": ("仅问卷支持", "Survey only"),
    "interviews_only": ("仅访谈支持", "Interviews only"), "conflict": ("两类证据冲突", "Conflict"),
    "neither": ("均不支持", "Neither source"), "not_measured": ("未测量", "Not measured"),
}
STRENGTH = {"strong": 2, "moderate": 1, "none": 0, "contradicts": 0, "not_measured": 0}


# ---- survey indicators -------------------------------------------------------------------------

def _judge(est: float, lo: float, hi: float, direction: str, threshold: float) -> str:
    if math.isnan(est):
        return "none"
    beyond = (lambda v: v > threshold) if direction == "above" else (lambda v: v < threshold)
    short = (lambda v: v <= threshold) if direction == "above" else (lambda v: v >= threshold)
    if not math.isnan(lo) and beyond(lo) and beyond(hi):
        return "strong"
    if beyond(est):
        return "moderate"
    if not math.isnan(lo) and short(lo) and short(hi) and not (lo == hi == threshold):
        return "contradicts"
    return "none"


def unmeasured(ind: Indicator, responses: pd.DataFrame, questionnaire) -> str | None:
    """Why the study's questionnaire cannot give an indicator of the catalogue (an item or a
    construct it does not have), or None when it can."""
    if ind.type == "share":
        return None if ind.item in responses.columns else f"no item '{ind.item}'"
    if ind.type == "index":
        if ind.items:
            missing = [i for i in ind.items if i not in responses.columns]
            return f"no item(s) {missing}" if missing else None
        known = {c.id for c in questionnaire.constructs} if questionnaire is not None else set()
        wanted = [ind.construct] if ind.construct else list(ind.constructs)
        absent = [c for c in wanted if c not in known]
        if absent:
            return f"no construct(s) {absent}"
        missing = [i for c in wanted for i in questionnaire.construct_items(c) if i not in responses.columns]
        return f"no item(s) {missing}" if missing else None
    return None


def indicator_value(ind: Indicator, responses: pd.DataFrame, questionnaire, ipa: pd.DataFrame | None) -> dict:
    """Estimate, 95% CI and n of one indicator."""
    from pipeline.stats.participation import wilson_ci
    from pipeline.stats.satisfaction import construct_scores, mean_ci

    if ind.type == "share":
        if ind.item not in responses.columns:
            raise InputError(f"indicator '{ind.id}': no column '{ind.item}' in the clean responses", key=ind.id)
        x = responses[ind.item].dropna()
        n, k = int(len(x)), int(x.isin(ind.values).sum())
        lo, hi = wilson_ci(k, n)
        return {"estimate": 100 * k / n if n else math.nan, "ci95_low": 100 * lo, "ci95_high": 100 * hi, "n": n,
                "detail": f"{k}/{n}"}
    if ind.type == "index":
        groups = [ind.items] if ind.items else [questionnaire.construct_items(c) for c in
                                                ([ind.construct] if ind.construct else ind.constructs)]
        scores = []
        for items in groups:
            missing = [i for i in items if i not in responses.columns]
            if missing:
                raise InputError(f"indicator '{ind.id}': no columns {missing} in the clean responses", key=ind.id)
            scale = questionnaire.scales[questionnaire.column_item(items[0]).scale]
            raw = construct_scores(responses, {"x": items}, min_share=0)["x"]  # mean of the answered items
            scores.append((raw - scale.min) / (scale.max - scale.min) * 100)
        score = pd.concat(scores, axis=1).mean(axis=1)
        n, m, _, lo, hi = mean_ci(score.to_numpy(dtype="float64"), None, 0.95)
        return {"estimate": m, "ci95_low": lo, "ci95_high": hi, "n": n, "detail": ""}
    # ipa: attributes in the "concentrate here" quadrant
    if ipa is None:
        return {"estimate": math.nan, "ci95_low": math.nan, "ci95_high": math.nan, "n": 0, "detail": "no stats/ipa.csv"}
    if "importance_type" in ipa.columns:  # stated importance when asked, else derived
        kinds = ipa["importance_type"].unique().tolist()
        ipa = ipa[ipa["importance_type"] == ("stated" if "stated" in kinds else kinds[0])]
    hit = ipa[ipa["quadrant"] == "concentrate here"]
    return {"estimate": float(len(hit)), "ci95_low": math.nan, "ci95_high": math.nan, "n": int(len(ipa)),
            "detail": "、".join(hit["label_zh"].astype(str)) +
            ("|" + ", ".join(hit["label_en"].fillna(hit["label_zh"]).astype(str)) if len(hit) else "")}


def _evidence(inds: list[dict], lang: str) -> str:
    """The measured indicators, then the unmeasured ones named once (their missing items are in
    indicators.csv): a reader sees what the survey says and what it did not ask."""
    measured = [_fmt_indicator(i, lang) for i in inds if i.get("support") != "not_measured"]
    missing = [i["label_zh" if lang == "zh" else "label_en"] for i in inds if i.get("support") == "not_measured"]
    if lang == "zh":
        return "；".join(measured) + (f"{'；' if measured else ''}未测量：{'、'.join(missing)}" if missing else "")
    return "; ".join(measured) + (f"{'; ' if measured else ''}not measured: {', '.join(missing)}" if missing else "")


def _fmt_indicator(row: dict, lang: str) -> str:
    label = row["label_zh"] if lang == "zh" else row["label_en"]
    if row.get("support") == "not_measured":
        return f"{label} 未测量（{row['detail']}）" if lang == "zh" else f"{label} not measured ({row['detail']})"
    if row["type"] == "ipa":
        if math.isnan(row["estimate"]):
            return f"{label} —"
        names = row["detail"].split("|")
        names = names[0] if lang == "zh" else (names[1] if len(names) > 1 else "")
        return f"{label} {int(row['estimate'])}" + (f"（{names}）" if lang == "zh" and names else
                                                   f" ({names})" if names else "")
    unit = "%" if row["type"] == "share" else ""
    ci = (f" [{row['ci95_low']:.1f}, {row['ci95_high']:.1f}]" if not math.isnan(row["ci95_low"]) else "")
    return f"{label} {row['estimate']:.1f}{unit}{ci}"


# ---- interview evidence ------------------------------------------------------------------------

def _quotes(coded: pd.DataFrame, text: pd.Series, k: int = 3) -> pd.DataFrame:
    """Up to k quotes from different informants, a new role first, then more rule matches and a
    readable length (15–80 characters)."""
    if coded.empty:
        return coded.assign(quote=[])
    ranked = quote_rank(coded).drop_duplicates("informant")
    picked, roles = [], set()
    for r in ranked.itertuples(index=False):  # first pass: one per role
        if r.role not in roles:
            picked.append(r.segment_id)
            roles.add(r.role)
        if len(picked) == k:
            break
    for sid in ranked["segment_id"]:
        if len(picked) == k:
            break
        if sid not in picked:
            picked.append(sid)
    out = ranked.set_index("segment_id").loc[picked].reset_index()
    return out.assign(quote=out["segment_id"].map(text))


def interview_evidence(problem: Problem, codings: pd.DataFrame, segments: pd.DataFrame,
                       rules: InterviewRules) -> dict:
    speaking = segments[~segments["is_interviewer"]]
    informants_in_role = speaking.groupby("role")["informant"].nunique()
    n_inf = int(speaking["informant"].nunique())
    coded = codings[codings["code"].isin(problem.codes)]
    text = segments.set_index("segment_id")["text"]
    if problem.segment_filter:
        pat = re.compile(problem.segment_filter)
        keep = np.array([bool(pat.search(t)) for t in coded["segment_id"].map(text)], dtype=bool)
        coded = coded[keep]  # a boolean array, also when nothing is coded (an empty list would select columns)
    coded = coded.drop_duplicates("segment_id")
    by_role = coded.groupby("role")["informant"].nunique()
    informants = int(coded["informant"].nunique())
    if informants >= max(rules.moderate_informants, math.ceil(rules.strong_share * n_inf)) and \
            len(by_role) >= rules.strong_roles:
        support = "strong"
    elif informants >= rules.moderate_informants:
        support = "moderate"
    else:
        support = "none"
    return {"informants": informants, "informants_total": n_inf, "segments": int(len(coded)),
            "by_role": by_role, "informants_in_role": informants_in_role, "support": support,
            "quotes": _quotes(coded, text)}


def _convergence(survey: str, interviews: str) -> str:
    s, i = STRENGTH[survey] > 0, STRENGTH[interviews] > 0
    if s and i:
        return "both"
    if i and survey == "contradicts":
        return "conflict"
    return "survey_only" if s else "interviews_only" if i else "neither"


# ---- the stage ---------------------------------------------------------------------------------

def open_answer_texts(responses: pd.DataFrame, questionnaire) -> pd.DataFrame:
    """The survey's own free text, one row per answer: respondent, item (open items and the
    fill-ins of 'other' options, as ``<item>_other``), text (already redacted by ingest)."""
    cols = []
    for it in questionnaire.items:
        if it.type == "open" and it.id in responses.columns:
            cols.append(it.id)
        if f"{it.id}_other" in responses.columns:
            cols.append(f"{it.id}_other")
    parts = []
    for c in cols:
        v = responses[c]
        ok = v.notna() & (v.astype(str).str.strip() != "")
        parts.append(pd.DataFrame({"respondent": responses.loc[ok, "respondent"].astype(str).to_numpy(), "item": c,
                                   "text": v[ok].astype(str).to_numpy()}))
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=["respondent", "item", "text"]))


def code_open_answers(texts: pd.DataFrame, codebook) -> pd.DataFrame:
    """The codebook's rules on the open answers: respondent, item, code, rule, evidence."""
    from pipeline.interviews.coding import Coder

    coder = Coder(codebook)
    rows = [{"respondent": r.respondent, "item": r.item, "code": c["code"], "rule": c["rule"], "evidence": c["evidence"]}
            for r in texts.itertuples(index=False) for c in coder.code_text(r.text)]
    return pd.DataFrame(rows, columns=["respondent", "item", "code", "rule", "evidence"])


def _open_evidence(p: Problem, coded: pd.DataFrame | None, texts: pd.DataFrame | None) -> dict:
    """Share of the respondents who wrote any open answer whose answer raises the problem (one of
    its codes; the problem's segment filter applies to the answer), with a Wilson 95% CI."""
    from pipeline.stats.participation import wilson_ci

    if coded is None or texts is None or texts.empty or not p.codes:
        return {"open_k": 0, "open_n": 0 if texts is None else int(texts["respondent"].nunique()),
                "open_pct": math.nan, "open_ci95_low": math.nan, "open_ci95_high": math.nan}
    hit = coded[coded["code"].isin(p.codes)]
    if p.segment_filter and len(hit):
        keep = texts.set_index(["respondent", "item"])["text"].str.contains(p.segment_filter, regex=True)
        hit = hit[[bool(keep.get((r, i), False)) for r, i in zip(hit["respondent"], hit["item"])]]
    n = int(texts["respondent"].nunique())
    k = int(hit["respondent"].nunique())
    lo, hi = wilson_ci(k, n) if n else (math.nan, math.nan)
    return {"open_k": k, "open_n": n, "open_pct": 100 * k / n if n else math.nan,
            "open_ci95_low": max(0.0, 100 * lo) if n else math.nan, "open_ci95_high": min(100.0, 100 * hi) if n else math.nan}


def build(catalogue: Catalogue, responses: pd.DataFrame | None, questionnaire, ipa: pd.DataFrame | None,
          codings: pd.DataFrame | None, segments: pd.DataFrame | None, open_coded: pd.DataFrame | None = None,
          open_texts: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """All findings tables; either source may be missing (None). With the survey's open answers
    coded (``open_coded``, ``open_texts``), each problem also gets the share of respondents whose
    own words raise it."""
    rows, ind_rows, role_rows, quote_rows = [], [], [], []
    roles_order = list(ROLE_LABELS)
    for order, p in enumerate(catalogue.problems):
        inds = []
        if responses is not None:
            for ind in p.indicators:
                if ind.type == "ipa" and ipa is None:
                    continue
                why = unmeasured(ind, responses, questionnaire)
                if why:  # the catalogue asks for what this questionnaire does not have
                    v = {"estimate": math.nan, "ci95_low": math.nan, "ci95_high": math.nan, "n": 0, "detail": why}
                    support = "not_measured"
                else:
                    v = indicator_value(ind, responses, questionnaire, ipa)
                    support = _judge(v["estimate"], v["ci95_low"], v["ci95_high"], ind.direction, ind.threshold)
                inds.append({"problem": p.id, "indicator": ind.id, "label_zh": ind.label.zh,
                             "label_en": ind.label.en or ind.label.zh, "type": ind.type, **v,
                             "direction": ind.direction, "threshold": ind.threshold, "support": support})
        ind_rows += inds
        sups = [i["support"] for i in inds if i["support"] != "not_measured"]
        survey = ("not_measured" if not sups else "contradicts" if all(s == "contradicts" for s in sups)
                  else max(sups, key=lambda s: STRENGTH[s]))
        if codings is not None and segments is not None:
            ev = interview_evidence(p, codings, segments, catalogue.interview_rules)
        else:
            ev = {"informants": 0, "informants_total": 0, "segments": 0, "by_role": pd.Series(dtype=int),
                  "informants_in_role": pd.Series(dtype=int), "support": "none", "quotes": pd.DataFrame()}
        role_ids = sorted(ev["informants_in_role"].index, key=lambda r: (roles_order.index(r)
                                                                          if r in roles_order else 99, r))
        for r in role_ids:
            k, n = int(ev["by_role"].get(r, 0)), int(ev["informants_in_role"][r])
            role_rows.append({"problem": p.id, "label_zh": p.label.zh, "label_en": p.label.en or p.label.zh,
                              "role": r, "role_zh": role_label(r, "zh"),
                              "role_en": role_label(r, "en"), "informants": k, "informants_in_role": n,
                              "pct": 100 * k / n if n else math.nan})
        raised = [r for r in role_ids if ev["by_role"].get(r, 0)]
        quotes = ev["quotes"]
        for rank, q in enumerate(quotes.itertuples(index=False), 1):
            quote_rows.append({"problem": p.id, "rank": rank, "informant": q.informant, "role": q.role,
                               "segment_id": q.segment_id, "quote": q.quote})
        conv = _convergence(survey, ev["support"])
        if conv == "neither" and survey == "not_measured" and not ev["informants_total"]:
            conv = "not_measured"  # neither source looked at it: nothing supports or contradicts it
        rows.append({
            "problem": p.id, "label_zh": p.label.zh, "label_en": p.label.en or p.label.zh,
            "survey_evidence": _evidence(inds, "zh"),
            "survey_evidence_en": _evidence(inds, "en"),
            "survey_support": survey,
            "interview_informants": ev["informants"], "informants_total": ev["informants_total"],
            "interview_pct": 100 * ev["informants"] / ev["informants_total"] if ev["informants_total"] else math.nan,
            "interview_segments": ev["segments"],
            "roles": "；".join(f"{role_label(r, 'zh')} {int(ev['by_role'][r])}/{int(ev['informants_in_role'][r])}"
                              for r in raised),
            "roles_en": "; ".join(f"{role_label(r, 'en')} {int(ev['by_role'][r])}/{int(ev['informants_in_role'][r])}"
                                  for r in raised),
            "interview_support": ev["support"],
            "quotes": " ".join(f"“{q.quote}”（{q.informant}，{role_label(q.role, 'zh')}）"
                               for q in quotes.itertuples(index=False)),
            "convergence": conv, "convergence_zh": CONVERGENCE[conv][0], "convergence_en": CONVERGENCE[conv][1],
            **_open_evidence(p, open_coded, open_texts),
            "score": STRENGTH[survey] + STRENGTH[ev["support"]], "_order": order,
        })
    findings = pd.DataFrame(rows)
    findings = findings.sort_values(["score", "interview_pct", "_order"], ascending=[False, False, True],
                                    kind="stable", na_position="last")
    findings["rank"] = np.arange(1, len(findings) + 1)
    findings = findings.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    stake = pd.DataFrame(role_rows)
    wide = (stake.pivot_table(index=["problem", "label_zh"], columns="role_zh", values="pct", sort=False)
            .reset_index() if len(stake) else pd.DataFrame())
    return {"findings": findings, "indicators": pd.DataFrame(ind_rows), "stakeholder_problem": stake,
            "stakeholder_problem_wide": wide, "quotes": pd.DataFrame(quote_rows)}


def run(study) -> dict:
    """The findings stage: catalogue × (clean responses, stats, codings) → findings/."""
    from pipeline.interviews.roles import use_study_roles

    use_study_roles(study)  # the study's own role vocabulary, if it has one
    from pipeline.core.stage import read_csv, write_tables

    cat_path = study.definition("problems")
    catalogue = load_catalogue(cat_path)
    inputs = []
    resp_path = study.stage_dir("clean") / "responses.parquet"
    responses = pd.read_parquet(resp_path) if resp_path.exists() else None
    none_kept = responses is not None and responses.empty
    if none_kept:
        responses = None  # no respondent kept: the survey gives no evidence (the stats stage says why)
    if responses is not None:
        inputs.append(resp_path)
    ipa_path = study.stage_dir("stats") / "ipa.csv"
    ipa = read_csv(ipa_path) if ipa_path.exists() else None
    if ipa is not None:
        inputs.append(ipa_path)
    cod_path = study.stage_dir("coding") / "codings.parquet"
    seg_path = study.stage_dir("interviews") / "segments.parquet"
    codings = segments = None
    if cod_path.exists() and seg_path.exists():
        codings = pd.read_parquet(cod_path)
        segments = pd.read_parquet(seg_path, columns=["segment_id", "document", "informant", "role",
                                                      "is_interviewer", "text"])
        inputs += [cod_path, seg_path]
    if none_kept and codings is None:
        raise InputError("the clean stage kept no respondent and the study has no coded interviews: there is no "
                         "evidence to join (why each respondent was excluded: clean/exclusions.csv)", file=resp_path)
    if responses is None and codings is None:
        raise InputError("findings need the clean survey responses or the coded interviews: run the earlier "
                         "stages first", file=study.path)
    open_coded = open_texts = None
    book_path = None
    if responses is not None and study.config.coding_scheme:
        from pipeline.interviews.codebook import load_codebook

        book_path = study.definition("coding_scheme")
        open_texts = open_answer_texts(responses, study.questionnaire)
        open_coded = code_open_answers(open_texts, load_codebook(book_path))
    tables = build(catalogue, responses, study.questionnaire, ipa, codings, segments, open_coded, open_texts)
    if open_coded is not None:
        tables["open_answers_coded"] = open_coded
    f = tables["findings"]
    log = {"problems": int(len(f)), "survey": responses is not None, "interviews": codings is not None,
           "open_answers": None if open_texts is None else {"answers": int(len(open_texts)),
                                                            "respondents": int(open_texts["respondent"].nunique()),
                                                            "codings": int(len(open_coded))},
           "convergence": {k: int(v) for k, v in f["convergence"].value_counts().sort_index().items()},
           "ranking": f.sort_values("rank")["problem"].tolist()}
    with study.output("findings", "findings", inputs, [cat_path] + ([book_path] if book_path else [])) as tmp:
        write_tables(tables, log, tmp, "findings_log.json")
    return log


def summary(log: dict) -> str:
    """One line for the terminal."""
    conv = ", ".join(f"{k} {v}" for k, v in log["convergence"].items())
    return f"findings: {log['problems']} problems ({conv}); ranked: {', '.join(log['ranking'])}"
