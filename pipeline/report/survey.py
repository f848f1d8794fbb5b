"""The survey part of the report, for any questionnaire: sample profile (样本基本情况), ratings
with 满意率 and the least satisfying items, reliability and validity, satisfaction indices by
weighting scheme, group comparisons, the ordinal model, IPA and one page per community.

Each table comes with the short interpretive sentence researchers write beside it. The wording
follows fixed, cited thresholds (docs/findings.md, "Interpretive sentences"):

* Cronbach's α — ≥ .9 很好 (excellent), ≥ .8 良好 (good), ≥ .7 可接受 (acceptable), ≥ .6 尚可
  (questionable), else 较差 (poor): George & Mallery (2003), widely used with Nunnally (1978)'s .7;
* KMO — ≥ .9 非常适合, ≥ .8 很适合, ≥ .7 适合, ≥ .6 尚可, ≥ .5 勉强, else 不适合 (Kaiser 1974);
  Bartlett's test p < .05: the correlation matrix is not an identity matrix;
* factor loadings — |λ| ≥ .40 salient (Stevens 2002; Hair et al. 2019 for n ≥ 200);
* significance — adjusted p < .05 (the family is named in each table note);
* IPA — the "concentrate here" quadrant (high importance, low performance) is the priority.

Every number is read from ``stats/`` (computed and pinned to R there); this module only selects,
labels and words them.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from pipeline.report.tables import read_table
from pipeline.report.writers import Section, Table
from pipeline.report.writers.model import format_value

SCHEMES = {"equal": ("等权", "equal weights"), "importance": ("重要性加权", "stated importance"),
           "entropy": ("熵权法（按受访者）", "entropy over respondents"),
           "entropy_groups": ("熵权法（按小区）", "entropy over communities"), "regression": ("回归权重", "regression weights")}


def _alpha_word(a: float, zh: bool) -> str:
    for cut, w_zh, w_en in ((.9, "很好", "excellent"), (.8, "良好", "good"), (.7, "可接受", "acceptable"),
                            (.6, "尚可", "questionable")):
        if a >= cut:
            return w_zh if zh else w_en
    return "较差" if zh else "poor"


def _kmo_word(k: float, zh: bool) -> str:
    for cut, w_zh, w_en in ((.9, "非常适合", "marvellous"), (.8, "很适合", "meritorious"), (.7, "适合", "middling"),
                            (.6, "尚可", "mediocre"), (.5, "勉强可以", "miserable")):
        if k >= cut:
            return w_zh if zh else w_en
    return "不适合" if zh else "unacceptable"


def _p(p: float) -> str:
    """p as a sentence writes it ("= .023", "< .001"), by the tables' rule (format_value)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    s = format_value(p, "p")
    return "< .001" if s == "<.001" else f"= {s}"


def _pct(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f}%"


def _item_text(q, item_id: str) -> str:
    it = q.item_index.get(item_id) if q is not None else None
    if it is None:
        return item_id
    parent = next((x for x in q.items if any(r.id == item_id for r in x.rows or [])), None)
    if parent is not None:
        return next(r.label for r in parent.rows if r.id == item_id)
    return it.text or item_id


def _clean_label(label) -> str:
    """An option label as a table prints it: 其他【请注明】 → 其他; English placeholders in Chinese."""
    import re

    if not isinstance(label, str):
        return ""
    label = re.sub(r"[【(（〖\[]\s*(请注明|请说明|请填写|注明)[^】)）〗\]]*[】)）〗\]]", "", label).strip()
    return {"missing": "缺失", "total": "合计"}.get(label, label)


def short_name(q, item_id: str) -> str:
    """A variable's short name as tables print it: 您居住的小区是 → 小区, 您家庭的月收入大约是 → 月收入;
    the overall rating is 总体满意度."""
    import re

    if q is not None and item_id == q.roles.overall:
        return "总体满意度"
    if q is not None and item_id == q.roles.community:
        return "小区"
    t = _item_text(q, item_id)
    t = re.sub(r"^(请问)?(总体而言|总的来说|总体来看)?[，,]?您(家庭|家)?(的|家)?(居住的|所在的|目前的)?", "", t)
    t = re.sub(r"[？?：:。]+$", "", t)
    t = re.sub(r"^在本(小区|社区)", "", t)
    t = re.sub(r"居住了?(多少|几)年$", "居住年限", t)
    t = re.sub(r"有(多少|几)(个)?(人|口)$", "", t)
    t = re.sub(r"(大约|大概)?(是|属于|为|有)?(多少|几)?$", "", t).strip()
    return t if 1 <= len(t) <= 12 else _item_text(q, item_id)


def _construct_label(q, cid: str, zh: bool) -> str:
    c = next((c for c in (q.constructs if q else []) if c.id == cid), None)
    if c is None:
        return cid
    return (c.label.zh if zh else (c.label.en or c.label.zh)) if hasattr(c.label, "zh") else str(c.label)


# ---- 样本基本情况 ------------------------------------------------------------------------------
def sample_section(out: Path, q, lang: str, kept: int | None) -> Section | None:
    zh = lang == "zh"
    freq = read_table(out / "stats" / "frequencies.csv")
    if freq is None or q is None:
        return None
    r = q.roles
    items = [i for i in dict.fromkeys([r.community, *r.groups]) if i]
    if not items:
        return None
    rows, sentences_zh, sentences_en = [], [], []
    for i in items:
        f = freq[freq["item"] == i]
        if not len(f):
            continue
        text = short_name(q, i)
        valid = f[~f["is_missing"].astype(bool)] if "is_missing" in f else f
        for k, (_, x) in enumerate(f.iterrows()):
            label = _clean_label(x["label"]) or ("缺失" if zh else "missing")
            rows.append({"variable": text if k == 0 else "", "category": label, "n": int(x["n"]),
                         "percent": float(x["valid_percent"]) if not bool(x.get("is_missing", False)) else float("nan")})
        if len(valid):
            top = valid.sort_values("n", ascending=False, kind="stable").iloc[0]
            sentences_zh.append(f"{text}以“{_clean_label(top['label'])}”居多（{top['valid_percent']:.1f}%）")
            sentences_en.append(f"{text}: mostly {top['label']} ({top['valid_percent']:.1f}%)")
    desc = read_table(out / "stats" / "descriptives.csv")
    if desc is not None and q is not None:  # numeric background items: mean (SD), median, range
        for it in q.items:
            if it.type != "numeric" or it.id in items:
                continue
            d = desc[desc["variable"] == it.id]
            if not len(d):
                continue
            x = d.iloc[0]
            unit = (it.unit if isinstance(it.unit, str) else (it.unit[0] if it.unit else "")) or ""
            rows.append({"variable": short_name(q, it.id), "category": (f"均值 {x['mean']:.1f}{unit}（标准差 {x['sd']:.1f}），"
                                                                   f"中位数 {x['median']:g}，{x['min']:g}–{x['max']:g}")
                         if zh else f"mean {x['mean']:.1f} (SD {x['sd']:.1f}), median {x['median']:g}, {x['min']:g}–{x['max']:g}",
                         "n": int(x["n"]), "percent": float("nan")})
            sentences_zh.append(f"{short_name(q, it.id)}平均 {x['mean']:.1f}{unit}")
            sentences_en.append(f"{short_name(q, it.id)}: mean {x['mean']:.1f}")
    if not rows:
        return None
    table = Table("sample_profile", "样本基本情况", "Sample profile", pd.DataFrame(rows),
                  headers_zh={"variable": "变量", "category": "类别", "n": "人数", "percent": "有效百分比（%）"},
                  headers_en={"variable": "Variable", "category": "Category", "n": "n", "percent": "Valid %"},
                  formats={"n": "int", "percent": "pct1"},
                  note_zh="有效百分比以该题作答者为分母；缺失含跳题、未答与“不清楚”等。",
                  note_en="Valid percentages use the respondents who answered the question as denominator.")
    lead_zh = (f"有效样本 {kept} 份。" if kept else "") + "；".join(sentences_zh) + "。"
    lead_en = (f"The analysis uses {kept} valid responses. " if kept else "") + "; ".join(sentences_en) + "."
    return Section("样本基本情况", "Sample profile", [lead_zh], [lead_en], [table])


# ---- 各题作答分布 ----------------------------------------------------------------------------------
def answers_section(out: Path, q, lang: str, figs: list | None = None) -> Section | None:
    """The distribution of every single-choice item not in the sample profile, and of every
    multi-select (share of respondents choosing each option)."""
    zh = lang == "zh"
    if q is None:
        return None
    freq = read_table(out / "stats" / "frequencies.csv")
    multi = read_table(out / "stats" / "multi_response.csv")
    r = q.roles
    profile = {r.community, *r.groups}
    items = []
    singles = [it.id for it in q.items if it.type == "single" and it.id not in profile]
    if freq is not None and singles:
        rows = []
        for i in singles:
            f = freq[freq["item"] == i]
            for k, (_, x) in enumerate(f.iterrows()):
                missing = bool(x.get("is_missing", False))
                rows.append({"variable": short_name(q, i) if k == 0 else "",
                             "category": _clean_label(x["label"]) or ("缺失" if zh else "missing"),
                             "n": int(x["n"]), "percent": float("nan") if missing else float(x["valid_percent"])})
        if rows:
            items.append(Table("single_answers", "单选题作答分布", "Single-choice items", pd.DataFrame(rows),
                               headers_zh={"variable": "题目", "category": "选项", "n": "人数", "percent": "有效百分比（%）"},
                               headers_en={"variable": "Item", "category": "Option", "n": "n", "percent": "Valid %"},
                               formats={"n": "int", "percent": "pct1"}))
    if multi is not None and len(multi):
        df = multi[multi["option"].astype(str) != "total"].copy() if "option" in multi else multi.copy()
        df["label"] = [_clean_label(x) for x in df["label"]]
        df["variable"] = [f"{short_name(q, i)}（n = {int(b)}）" for i, b in zip(df["item"], df["n_cases"])]
        df["variable"] = df["variable"].where(df["item"].ne(df["item"].shift()), "")
        items.append(Table("multi_answers", "多选题作答分布", "Multiple-choice items",
                           df[["variable", "label", "n_responses", "pct_of_cases", "pct_of_responses"]],
                           headers_zh={"variable": "题目（作答人数）", "label": "选项", "n_responses": "人数",
                                       "pct_of_cases": "占受访者（%）", "pct_of_responses": "占选择次数（%）"},
                           headers_en={"variable": "Item", "label": "Option", "n_responses": "n",
                                       "pct_of_cases": "% of respondents", "pct_of_responses": "% of choices"},
                           formats={"n_responses": "int", "pct_of_cases": "pct1", "pct_of_responses": "pct1"},
                           note_zh="多选题各选项比例之和可超过 100%。", note_en="Shares of respondents can add up to more than 100%."))
    if not items:
        return None
    return Section("各题作答分布", "Answers to each question", [], [], items + list(figs or []))


# ---- 满意度评价 ------------------------------------------------------------------------------------
def ratings_section(out: Path, q, lang: str, figs: list) -> Section | None:
    zh = lang == "zh"
    items = read_table(out / "stats" / "item_satisfaction.csv")
    if items is None or not len(items):
        return None
    lab = "label_zh" if zh else "label_en"
    df = items.copy()
    overall = q.roles.overall if q is not None else None
    df["group"] = [("总体" if zh else "Overall") if i == overall else
                   (_construct_label(q, c, zh) if isinstance(c, str) and c else "")
                   for i, c in zip(df["item"], df["construct"])]
    in_construct = df["construct"].fillna("").astype(str) != ""
    sat_mask = df["satisfaction_scale"].astype(bool) | in_construct
    keep = (df["scale_points"] <= 7) | sat_mask | df["item"].eq(overall)  # a 0-10 score has no 'top two' to report
    df, sat_mask = df[keep], sat_mask[keep]
    sat = df[sat_mask]
    other = df[~sat_mask]
    main = sat if len(sat) else df
    head_pct = ("满意率（%）" if sat["satisfaction_scale"].astype(bool).all() else "满意率/认同率（%）") if len(sat) else "前两级占比（%）"
    shown = main.copy()
    shown["group"] = shown["group"].where(shown["group"].ne(shown["group"].shift()), "")
    shown[lab] = [(short_name(q, i) if i == overall else x) for i, x in zip(shown["item"], shown[lab])]
    table = Table("item_ratings", "各评价项目的得分与满意率" if len(sat) else "各评分项目的得分",
                  "Ratings of each item and share satisfied",
                  shown[["group", lab, "n", "mean", "sd", "top2_pct", "top2_ci95_low", "top2_ci95_high"]]
                  .rename(columns={lab: "item"}),
                  headers_zh={"group": "维度", "item": "项目", "n": "样本量", "mean": "均值", "sd": "标准差",
                              "top2_pct": head_pct, "top2_ci95_low": "下限", "top2_ci95_high": "上限"},
                  headers_en={"group": "Dimension", "item": "Item", "n": "n", "mean": "Mean", "sd": "SD",
                              "top2_pct": "Top-two-box %", "top2_ci95_low": "95% CI low", "top2_ci95_high": "95% CI high"},
                  formats={"n": "int", "mean": "dec2", "sd": "dec2", "top2_pct": "pct1", "top2_ci95_low": "pct1",
                           "top2_ci95_high": "pct1"},
                  note_zh="下限、上限为 95% 置信区间。满意率 = 选择量表最高两级（如“比较满意”“非常满意”）者占该项有效作答的比例，95% 置信区间为 Wilson 区间；"
                          "“不清楚”等不计入有效作答。非满意度量表（如重要性）为最高两级的比例。",
                  note_en="Top-two-box: share of valid answers in the scale's two highest levels (Wilson 95% CI); "
                          "'don't know' answers are not valid answers.")
    extra = []
    if len(sat) and len(other):
        extra.append(Table("other_ratings", "其他评分题（重要性、意愿等）", "Other rating items (importance, willingness …)",
                           other[[lab, "n", "mean", "sd", "top2_pct", "top2_ci95_low", "top2_ci95_high"]]
                           .rename(columns={lab: "item"}),
                           headers_zh={"item": "项目", "n": "样本量", "mean": "均值", "sd": "标准差",
                                       "top2_pct": "前两级占比（%）", "top2_ci95_low": "下限", "top2_ci95_high": "上限"},
                           headers_en={"item": "Item", "n": "n", "mean": "Mean", "sd": "SD", "top2_pct": "Top-two-box %",
                                       "top2_ci95_low": "95% CI low", "top2_ci95_high": "95% CI high"},
                           formats={"n": "int", "mean": "dec2", "sd": "dec2", "top2_pct": "pct1", "top2_ci95_low": "pct1",
                                    "top2_ci95_high": "pct1"},
                           note_zh="前两级占比 = 选择该量表最高两级（如“比较重要”“非常重要”）者的比例；下限、上限为 95% 置信区间。",
                           note_en="Top-two-box: the scale's two highest levels."))
    pool = main[main["item"] != overall] if (main["item"] != overall).any() else main
    k = min(5, len(pool))
    low = pool.sort_values(["bottom2_pct", "top2_pct"], ascending=[False, True], kind="stable").head(k)
    lowest = Table("lowest_items", f"不满意率最高的 {k} 个项目（亟需改进）", f"The {k} items with most dissatisfied",
                   low[[lab, "group", "top2_pct", "top2_ci95_low", "top2_ci95_high", "bottom2_pct", "mean"]]
                   .rename(columns={lab: "item"}).reset_index(drop=True).rename_axis("rank").reset_index()
                   .assign(rank=lambda d: d["rank"] + 1),
                   headers_zh={"rank": "序号", "item": "项目", "group": "维度", "top2_pct": "满意率（%）",
                               "top2_ci95_low": "下限", "top2_ci95_high": "上限",
                               "bottom2_pct": "不满意率（%）", "mean": "均值"},
                   headers_en={"rank": "#", "item": "Item", "group": "Dimension", "top2_pct": "Satisfied %",
                               "top2_ci95_low": "95% CI low", "top2_ci95_high": "95% CI high",
                               "bottom2_pct": "Dissatisfied %", "mean": "Mean"},
                   formats={"rank": "int", "top2_pct": "pct1", "top2_ci95_low": "pct1", "top2_ci95_high": "pct1",
                            "bottom2_pct": "pct1", "mean": "dec2"},
                   note_zh="不满意率 = 选择量表最低两级者的比例；下限、上限为满意率的 95% 置信区间。", note_en="Dissatisfied: the two lowest levels.")
    lo_names_zh = "、".join(f"{x[lab]}（不满意率 {x['bottom2_pct']:.1f}%）" for _, x in low.head(3).iterrows())
    lo_names_en = ", ".join(f"{x[lab]} ({x['bottom2_pct']:.1f}% dissatisfied)" for _, x in low.head(3).iterrows())
    best = pool.sort_values("top2_pct", ascending=False, kind="stable").iloc[0]
    paras_zh = [f"{len(pool)} 个{'满意度' if len(sat) else ''}评价项目的满意率介于 {pool['top2_pct'].min():.1f}% 与 "
                f"{pool['top2_pct'].max():.1f}% 之间，满意率最高的是{best[lab]}（{best['top2_pct']:.1f}%）；不满意率最高、"
                f"最需改进的是{lo_names_zh}。"]
    paras_en = [f"Across {len(pool)} rated items the share satisfied ranges from {pool['top2_pct'].min():.1f}% to "
                f"{pool['top2_pct'].max():.1f}%; most satisfying: {best[lab]} ({best['top2_pct']:.1f}%); most "
                f"dissatisfied: {lo_names_en}."]
    overall = _overall_sentence(out, q, zh=True)
    if overall:
        paras_zh.insert(0, overall)
        paras_en.insert(0, _overall_sentence(out, q, zh=False))
    return Section("满意度评价", "Ratings", paras_zh, paras_en, [table, lowest] + extra + figs)


def _overall_sentence(out: Path, q, zh: bool) -> str | None:
    if q is None or not q.roles.overall:
        return None
    items = read_table(out / "stats" / "item_satisfaction.csv")
    if items is None:
        return None
    row = items[items["item"] == q.roles.overall]
    if not len(row):
        return None
    x = row.iloc[0]
    if zh:
        return (f"总体满意率（总体满意度题选择最高两级的比例）为 {x['top2_pct']:.1f}%"
                f"（95% CI {x['top2_ci95_low']:.1f}%–{x['top2_ci95_high']:.1f}%，n = {int(x['n'])}），"
                f"不满意率为 {x['bottom2_pct']:.1f}%，平均分 {x['mean']:.2f}。")
    return (f"Overall, {x['top2_pct']:.1f}% were satisfied (95% CI {x['top2_ci95_low']:.1f}–{x['top2_ci95_high']:.1f}%, "
            f"n = {int(x['n'])}) and {x['bottom2_pct']:.1f}% dissatisfied; mean {x['mean']:.2f}.")


# ---- 缺失值 ------------------------------------------------------------------------------------------
def missing_section(out: Path, q, lang: str) -> Section | None:
    """Items with missing answers: logic skips, blanks and each no-answer label (不清楚, 不愿透露),
    and the rule for construct scores."""
    m = read_table(out / "stats" / "missing_answers.csv")
    if m is None or not len(m):
        return None
    m = m[m["answered"] < m["n"]].copy()
    said = [c for c in m.columns if c.startswith("said_")]
    if not len(m):
        return Section("缺失值", "Missing answers", ["所有题目均无缺失。"], ["No answer is missing."])
    m["item"] = [_item_text(q, i) if q is not None else i for i in m["item"]]
    m = m.sort_values("missing_pct", ascending=False, kind="stable")
    cols = ["item", "answered", "skipped", "blank", *said, "missing_pct"]
    heads = {c: f"“{c[len('said_'):]}”" for c in said}
    table = Table("missing_answers", "各题的缺失情况", "Missing answers by item", m[cols],
                  headers_zh={"item": "题目", "answered": "有效作答", "skipped": "跳题", "blank": "未答", **heads,
                              "missing_pct": "缺失比例（%）"},
                  headers_en={"item": "Item", "answered": "Answered", "skipped": "Skipped", "blank": "Blank", **heads,
                              "missing_pct": "Missing %"},
                  formats={"answered": "int", "skipped": "int", "blank": "int", **{c: "int" for c in said},
                           "missing_pct": "pct1"},
                  note_zh="“不清楚”“不愿透露”等回答不计入有效作答，也不参与均值、满意率与模型；维度得分取该维度已作答题目的均值，"
                          f"至少需答完 {100 * (q.scoring.min_answered if q is not None else 0.5):.0f}% 的题目（问卷定义的 scoring.min_answered），否则该维度记为缺失。",
                  note_en="'Don't know' and refusals are not valid answers; a dimension score is the mean of its "
                          "answered items and needs at least half of them.")
    worst = m.iloc[0]
    return Section("缺失值", "Missing answers",
                   [f"{len(m)} 个题目有缺失，缺失比例最高的是{worst['item']}（{worst['missing_pct']:.1f}%）。"
                    "“不清楚”“不愿透露”单独计数，不作为答案类别分析。"],
                   [f"{len(m)} items have missing answers; most: {worst['item']} ({worst['missing_pct']:.1f}%)."], [table])


# ---- 信度与效度 ------------------------------------------------------------------------------------
def validity_section(out: Path, q, lang: str) -> Section | None:
    zh = lang == "zh"
    lab = "label_zh" if zh else "label_en"
    items, paras_zh, paras_en = [], [], []
    rel = read_table(out / "stats" / "reliability.csv")
    if rel is not None and len(rel):
        df = rel[[lab, "n_items", "n_complete", "alpha", "alpha_ci_low", "alpha_ci_high", "omega_total"]]
        df = df.rename(columns={lab: "construct"}).assign(
            verdict=[_alpha_word(a, zh) for a in rel["alpha"]])
        items.append(Table("reliability", "各维度信度", "Reliability of the dimensions", df,
                           headers_zh={"construct": "维度", "n_items": "题数", "n_complete": "完整作答", "alpha": "Cronbach's α",
                                       "alpha_ci_low": "α 下限", "alpha_ci_high": "α 上限",
                                       "omega_total": "ω", "verdict": "评价"},
                           headers_en={"construct": "Dimension", "n_items": "Items", "n_complete": "Complete n",
                                       "alpha": "Cronbach's α", "alpha_ci_low": "α CI low", "alpha_ci_high": "α CI high",
                                       "omega_total": "ω", "verdict": "Verdict"},
                           formats={"n_items": "int", "n_complete": "int", "alpha": "dec3", "alpha_ci_low": "dec3",
                                    "alpha_ci_high": "dec3", "omega_total": "dec3"},
                           note_zh="α ≥ .9 很好，≥ .8 良好，≥ .7 可接受，≥ .6 尚可，其余较差（George & Mallery, 2003）；"
                                   "α 的 95% 置信区间为 Feldt 区间。",
                           note_en="α ≥ .9 excellent, ≥ .8 good, ≥ .7 acceptable, ≥ .6 questionable, else poor "
                                   "(George & Mallery, 2003); Feldt 95% CI."))
        lo, hi = rel["alpha"].min(), rel["alpha"].max()
        weak = rel[rel["alpha"] < .7]
        paras_zh.append(f"{len(rel)} 个维度的 Cronbach's α 介于 {lo:.3f} 与 {hi:.3f} 之间，"
                        + (f"信度{_alpha_word(lo, True)}至{_alpha_word(hi, True)}" if _alpha_word(lo, True) != _alpha_word(hi, True)
                           else f"信度{_alpha_word(lo, True)}")
                        + ("。" if not len(weak) else f"；{'、'.join(weak[lab])}的 α 低于 .7，解释时应谨慎。"))
        paras_en.append(f"Cronbach's α of the {len(rel)} dimensions lies between {lo:.3f} and {hi:.3f}"
                        + ("." if not len(weak) else f"; {', '.join(weak[lab])} below .7 should be read with caution."))
    kmo = read_table(out / "stats" / "kmo.csv")
    bart = read_table(out / "stats" / "bartlett.csv")
    if kmo is not None and bart is not None and len(bart):
        overall = kmo[kmo["item"] == "overall"]["msa"]
        k = float(overall.iloc[0]) if len(overall) else float("nan")
        b = bart.iloc[0]
        df = pd.DataFrame({"kmo": [k], "chi2": [float(b["chi2"])], "df": [int(b["df"])], "p": [float(b["p_val"])],
                           "n": [int(b["n"])]})
        items.append(Table("kmo_bartlett", "KMO 与 Bartlett 球形检验", "KMO and Bartlett's test of sphericity", df,
                           headers_zh={"kmo": "KMO", "chi2": "Bartlett χ²", "df": "自由度", "p": "p", "n": "样本量"},
                           headers_en={"kmo": "KMO", "chi2": "Bartlett χ²", "df": "df", "p": "p", "n": "n"},
                           formats={"kmo": "dec3", "chi2": "dec2", "df": "int", "p": "p", "n": "int"},
                           note_zh="KMO ≥ .9 非常适合，≥ .8 很适合，≥ .7 适合，≥ .6 尚可，≥ .5 勉强可以，其余不适合做因子分析（Kaiser, 1974）。",
                           note_en="KMO ≥ .9 marvellous, ≥ .8 meritorious, ≥ .7 middling, ≥ .6 mediocre, ≥ .5 miserable "
                                   "(Kaiser, 1974)."))
        paras_zh.append(f"KMO 值为 {k:.3f}，{_kmo_word(k, True)}进行因子分析；Bartlett 球形检验 χ²({int(b['df'])}) = "
                        f"{b['chi2']:.2f}，p {_p(float(b['p_val']))}，" +
                        ("相关矩阵不是单位矩阵。" if float(b["p_val"]) < .05 else "不能拒绝相关矩阵为单位矩阵的假设。"))
        paras_en.append(f"KMO = {k:.3f} ({_kmo_word(k, False)}); Bartlett's test χ²({int(b['df'])}) = {b['chi2']:.2f}, "
                        f"p {_p(float(b['p_val']))}.")
    load = read_table(out / "stats" / "efa_loadings.csv")
    var = read_table(out / "stats" / "efa_variance.csv")
    if load is not None and len(load):
        factors = [c for c in load.columns if c.startswith("F") and c[1:].isdigit()]
        df = load[["item", *factors, "h2"]].copy()
        df["item"] = [_item_text(q, i) for i in df["item"]]
        items.append(Table("efa_loadings", "探索性因子分析：旋转后的因子载荷", "Exploratory factor analysis: rotated loadings", df,
                           headers_zh={"item": "项目", **{f: f for f in factors}, "h2": "共同度"},
                           headers_en={"item": "Item", **{f: f for f in factors}, "h2": "Communality"},
                           formats={**{f: "dec2" for f in factors}, "h2": "dec2"},
                           note_zh="最小残差法提取、oblimin 斜交旋转，因子数取维度数；|载荷| ≥ .40 视为显著载荷（Hair et al., 2019）。",
                           note_en="|loading| ≥ .40 is taken as salient (Hair et al., 2019)."))
        if var is not None and len(var):
            cum = float(var["cum_var"].iloc[-1]) * 100
            shown = load[factors].abs().round(2)  # as the table prints them
            cross = int(((shown >= .4).sum(axis=1) > 1).sum())
            weak = int((shown.max(axis=1) < .4).sum())
            paras_zh.append(f"探索性因子分析提取 {len(factors)} 个因子，累计解释 {cum:.1f}% 的方差；"
                            + (f"{weak} 个项目在所有因子上的载荷均低于 .40，" if weak else "每个项目至少在一个因子上载荷 ≥ .40，")
                            + (f"{cross} 个项目存在交叉载荷。" if cross else "无交叉载荷。"))
            paras_en.append(f"The EFA retained {len(factors)} factors explaining {cum:.1f}% of the variance; "
                            f"{weak} items load below .40 everywhere and {cross} cross-load.")
    cfa_items, cfa_zh, cfa_en = _cfa_part(out, q, lang)
    items += cfa_items
    paras_zh += cfa_zh
    paras_en += cfa_en
    if not items:
        return None
    return Section("信度与效度", "Reliability and validity", paras_zh, paras_en, items)


def _fit_word(f, zh: bool) -> str:
    good = f["cfi"] >= .95 and f["tli"] >= .95 and f["rmsea"] <= .06 and f["srmr"] <= .08
    ok = f["cfi"] >= .90 and f["tli"] >= .90 and f["rmsea"] <= .08 and f["srmr"] <= .08
    return ("良好" if good else "可以接受" if ok else "欠佳") if zh else ("good" if good else "acceptable" if ok else "poor")


def _cfa_part(out: Path, q, lang: str) -> tuple[list, list[str], list[str]]:
    """Confirmatory factor analysis: fit, AVE/CR, Fornell–Larcker and HTMT, Harman's test."""
    zh = lang == "zh"
    lab = "label_zh" if zh else "label_en"
    fit = read_table(out / "stats" / "cfa_fit.csv")
    cons = read_table(out / "stats" / "validity_constructs.csv")
    items, pz, pe = [], [], []
    if fit is not None and len(fit):
        f = fit.iloc[0]
        ok = lambda c: ("达标" if c else "未达标") if zh else ("met" if c else "not met")
        rows = [("χ²（自由度）" if zh else "χ² (df)", f"{f['chi2']:.2f}（{int(f['df'])}）" if zh else f"{f['chi2']:.2f} ({int(f['df'])})",
                 "—", ""),
                ("χ²/df", f"{f['chi2'] / f['df']:.2f}", "< 3", ok(f["chi2"] / f["df"] < 3)),
                ("CFI", f"{f['cfi']:.3f}", "≥ .90（≥ .95 良好）" if zh else "≥ .90 (≥ .95 good)", ok(f["cfi"] >= .90)),
                ("TLI", f"{f['tli']:.3f}", "≥ .90（≥ .95 良好）" if zh else "≥ .90 (≥ .95 good)", ok(f["tli"] >= .90)),
                ("RMSEA（90% CI）" if zh else "RMSEA (90% CI)",
                 f"{f['rmsea']:.3f} [{f['rmsea_ci90_low']:.3f}, {f['rmsea_ci90_high']:.3f}]",
                 "≤ .08（≤ .06 良好）" if zh else "≤ .08 (≤ .06 good)", ok(f["rmsea"] <= .08)),
                ("SRMR", f"{f['srmr']:.3f}", "≤ .08", ok(f["srmr"] <= .08))]
        df = pd.DataFrame(rows, columns=["index", "value", "criterion", "verdict"])
        items.append(Table("cfa_fit", f"验证性因子分析（CFA）拟合指标（n = {int(f['n'])}）",
                           f"Confirmatory factor analysis: fit (n = {int(f['n'])})", df,
                           headers_zh={"index": "指标", "value": "值", "criterion": "参考标准", "verdict": "结论"},
                           headers_en={"index": "Index", "value": "Value", "criterion": "Criterion", "verdict": "Verdict"},
                           note_zh="最大似然估计，每个维度第一个题项的载荷固定为 1（同 lavaan）；只用各维度题项都作答的样本。"
                                   "标准见 Hu & Bentler（1999）。5 点量表题按连续变量处理（ML）；有序数据的 WLSMV 估计尚未提供。",
                           note_en="ML, first loading of each factor fixed to 1 (as lavaan), complete rows; criteria after "
                                   "Hu & Bentler (1999). 5-point items are treated as continuous (ML); WLSMV for ordinal "
                                   "data is not offered yet."))
        pz.append(f"验证性因子分析（n = {int(f['n'])}）：χ²/df = {f['chi2'] / f['df']:.2f}，CFI = {f['cfi']:.3f}，TLI = "
                  f"{f['tli']:.3f}，RMSEA = {f['rmsea']:.3f}（90% CI {f['rmsea_ci90_low']:.3f}–{f['rmsea_ci90_high']:.3f}），"
                  f"SRMR = {f['srmr']:.3f}，模型拟合{_fit_word(f, True)}。")
        pe.append(f"CFA (n = {int(f['n'])}): CFI = {f['cfi']:.3f}, TLI = {f['tli']:.3f}, RMSEA = {f['rmsea']:.3f}, "
                  f"SRMR = {f['srmr']:.3f}: {_fit_word(f, False)} fit.")
    if cons is not None and len(cons):
        df = cons[[lab, "n_items", "ave", "cr", "cr_model", "sqrt_ave", "max_cor", "max_htmt"]].rename(columns={lab: "construct"})
        items.append(Table("validity_constructs", "收敛效度与区分效度", "Convergent and discriminant validity", df,
                           headers_zh={"construct": "维度", "n_items": "题数", "ave": "AVE", "cr": "CR",
                                       "cr_model": "CR（模型）", "sqrt_ave": "√AVE", "max_cor": "与其他维度最大相关",
                                       "max_htmt": "最大 HTMT"},
                           headers_en={"construct": "Dimension", "n_items": "Items", "ave": "AVE", "cr": "CR",
                                       "cr_model": "CR (model)", "sqrt_ave": "√AVE", "max_cor": "Largest correlation",
                                       "max_htmt": "Largest HTMT"},
                           formats={"n_items": "int", "ave": "dec3", "cr": "dec3", "cr_model": "dec3", "sqrt_ave": "dec3",
                                    "max_cor": "dec3", "max_htmt": "dec3"},
                           note_zh="AVE 为标准化载荷平方的均值，CR =（Σλ）²/[（Σλ）² + Σ(1 − λ²)]（Fornell & Larcker, 1981）；"
                                   "CR（模型）为模型隐含的 ω（同 semTools::compRelSEM）。AVE ≥ .50、CR ≥ .70 表示收敛效度良好；"
                                   "√AVE 大于与其他维度的相关（Fornell–Larcker 准则）且 HTMT < .85（Henseler et al., 2015）表示区分效度良好。",
                           note_en="AVE: mean squared standardised loading; CR (Fornell & Larcker, 1981); CR (model): "
                                   "model-implied ω (semTools::compRelSEM). AVE ≥ .50, CR ≥ .70; √AVE above the "
                                   "correlations and HTMT < .85 for discriminant validity."))
        low_ave = cons[cons["ave"] < .5][lab].tolist()
        low_cr = cons[cons["cr"] < .7][lab].tolist()
        fl_bad = cons[~cons["fornell_larcker"].astype(bool)][lab].tolist() if "fornell_larcker" in cons else []
        ht_bad = cons[cons["max_htmt"] >= .85][lab].tolist()
        conv = ("各维度 AVE 均 ≥ .50、CR 均 ≥ .70，收敛效度良好" if not low_ave and not low_cr else
                "收敛效度不足：" + "；".join(x for x in [("AVE < .50：" + "、".join(low_ave)) if low_ave else "",
                                                    ("CR < .70：" + "、".join(low_cr)) if low_cr else ""] if x))
        disc = ("各维度 √AVE 均大于其与其他维度的相关、HTMT 均低于 .85，区分效度良好" if not fl_bad and not ht_bad else
                "区分效度存疑：" + "、".join(dict.fromkeys(fl_bad + ht_bad)))
        pz.append(f"{conv}；{disc}。")
        pe.append("Convergent validity: " + ("AVE ≥ .50 and CR ≥ .70 throughout" if not low_ave and not low_cr else
                                             "below the thresholds for " + ", ".join(dict.fromkeys(low_ave + low_cr)))
                  + "; discriminant validity: " + ("√AVE above the correlations and HTMT < .85" if not fl_bad and not ht_bad
                                                   else "doubtful for " + ", ".join(dict.fromkeys(fl_bad + ht_bad))) + ".")
    hm = read_table(out / "stats" / "harman.csv")
    if hm is not None and len(hm):
        h = hm.iloc[0]
        pz.append(f"Harman 单因子检验：全部 {int(h['n_items'])} 个题项未旋转的第一主成分解释 {h['pct_variance']:.1f}% 的方差"
                  + ("（低于 40%），" if h["pct_variance"] < 40 else "（不低于 40%），")
                  + ("未见严重的共同方法偏差。" if h["pct_variance"] < 40 else "可能存在共同方法偏差，应谨慎解释。"))
        pe.append(f"Harman's single-factor test: the first unrotated component explains {h['pct_variance']:.1f}% of "
                  f"the variance of the {int(h['n_items'])} items.")
    return items, pz, pe


# ---- 满意度指数 ------------------------------------------------------------------------------------
def index_section(out: Path, q, lang: str, figs: list) -> Section | None:
    zh = lang == "zh"
    lab = "label_zh" if zh else "label_en"
    con = read_table(out / "stats" / "satisfaction_constructs.csv")
    idx = read_table(out / "stats" / "satisfaction_index.csv")
    if con is None or idx is None:
        return None
    eq = con[con["weighting"] == "equal"]
    rows = [{"part": x[lab], "scheme": "—", "weight": float("nan"), "index": x["index"], "lo": x["ci95_low"],
             "hi": x["ci95_high"], "n": int(x["n"])} for _, x in eq.iterrows()]
    for _, x in idx.iterrows():
        name = SCHEMES.get(x["weighting"], (x["weighting"], x["weighting"]))
        rows.append({"part": "总指数" if zh else "Overall index", "scheme": name[0] if zh else name[1],
                     "weight": float("nan"), "index": x["index"], "lo": x["ci95_low"], "hi": x["ci95_high"], "n": int(x["n"])})
    schemes = list(idx["weighting"])
    weights = con.pivot_table(index="construct", columns="weighting", values="weight", sort=False)
    df = pd.DataFrame(rows).drop(columns="weight")
    wtab = weights.reset_index()
    wtab["construct"] = [dict(zip(con["construct"], con[lab])).get(c, c) for c in wtab["construct"]]
    tables = [Table("satisfaction_index", "满意度指数（0–100）：各维度与不同权重方案下的总指数",
                    "Satisfaction index (0–100): dimensions and the overall index under each weighting scheme", df,
                    headers_zh={"part": "项目", "scheme": "权重方案", "index": "指数", "lo": "下限", "hi": "上限",
                                "n": "样本量"},
                    headers_en={"part": "Part", "scheme": "Weighting", "index": "Index", "lo": "95% CI low",
                                "hi": "95% CI high", "n": "n"},
                    formats={"index": "dec2", "lo": "dec2", "hi": "dec2", "n": "int"},
                    note_zh="下限、上限为 95% 置信区间。指数 =（均值−1）/（量表点数−1）×100，未加权（按样本）。等权：各维度权重相同；重要性加权：按受访者"
                            "陈述的重要性；熵权法：按各维度得分的差异程度定权（按受访者或按小区均值计算；差异越大权重越高，衡量的是区分度而非重要性）；"
                            "回归权重：按各维度对总体满意度的回归系数。",
                    note_en="Index = (mean − 1) / (points − 1) × 100, unweighted (sample). Equal: same weight per "
                            "dimension; importance: stated importance; entropy: dispersion across respondents (more "
                            "spread, more weight — not importance); regression: coefficients on overall satisfaction."),
              Table("index_weights", "各权重方案下的维度权重", "Dimension weights under each weighting scheme",
                    wtab.rename(columns={"construct": "construct"}),
                    headers_zh={"construct": "维度", **{s: SCHEMES.get(s, (s, s))[0] for s in schemes}},
                    headers_en={"construct": "Dimension", **{s: SCHEMES.get(s, (s, s))[1] for s in schemes}},
                    formats={s: "dec3" for s in schemes if s in wtab.columns})]
    first = idx.iloc[0]
    paras_zh = [f"按等权计算的总满意度指数为 {first['index']:.1f}（95% CI {first['ci95_low']:.1f}–{first['ci95_high']:.1f}）"
                + (f"，不同权重方案下介于 {idx['index'].min():.1f} 与 {idx['index'].max():.1f} 之间" if len(idx) > 1 else "")
                + f"。维度指数最低的是{eq.sort_values('index').iloc[0][lab]}（{eq['index'].min():.1f}），最高的是"
                f"{eq.sort_values('index').iloc[-1][lab]}（{eq['index'].max():.1f}）。"]
    items_tab = read_table(out / "stats" / "item_satisfaction.csv")
    if q is not None and q.roles.overall and items_tab is not None and (items_tab["item"] == q.roles.overall).any():
        o = items_tab[items_tab["item"] == q.roles.overall].iloc[0]
        paras_zh.append(f"总指数由各维度题项计算；总体满意度题是受访者的整体评价，平均分 {o['mean']:.2f}（折合 0–100 为 "
                        f"{o['index']:.1f}），两者含义不同，宜并列报告。")
    paras_en = [f"The equally weighted overall index is {first['index']:.1f} (95% CI {first['ci95_low']:.1f}–"
                f"{first['ci95_high']:.1f}); lowest dimension {eq.sort_values('index').iloc[0][lab]} "
                f"({eq['index'].min():.1f}), highest {eq.sort_values('index').iloc[-1][lab]} ({eq['index'].max():.1f})."]
    wtd = read_table(out / "stats" / "weighted_estimates.csv")
    if wtd is not None and len(wtd):
        names = {f"index_{c}": lab_ for c, lab_ in zip(con["construct"], con[lab])}
        names["index_overall"] = "总指数（等权）" if zh else "overall index (equal weights)"
        names["participation_rate"] = "参与率（比例）" if zh else "participation rate (proportion)"
        if q is not None and q.roles.overall:
            o = items_tab[items_tab["item"] == q.roles.overall] if items_tab is not None else pd.DataFrame()
            rng = f"{int(o['scale_min'].iloc[0])}–{int(o['scale_max'].iloc[0])}" if len(o) and "scale_min" in o else ""
            names[q.roles.overall] = (f"总体满意度（均值{'，' + rng if rng else ''}）" if zh else
                                      f"overall satisfaction (mean{', ' + rng if rng else ''})")
        names = {k: (v if k in ("participation_rate", q.roles.overall if q else None) else f"{v}（指数，0–100）" if zh else f"{v} (index)")
                 for k, v in names.items()}
        w = wtd.assign(variable=[names.get(v, v) for v in wtd["variable"]])
        tables.append(Table("weighted_estimates", "按各小区户数加权（事后分层）与未加权的估计",
                            "Population-weighted (post-stratified) and unweighted estimates",
                            w[["variable", "n", "mean_unweighted", "mean", "ci95_low", "ci95_high", "deff"]],
                            headers_zh={"variable": "指标", "n": "样本量", "mean_unweighted": "未加权", "mean": "加权",
                                        "ci95_low": "加权下限", "ci95_high": "加权上限", "deff": "设计效应"},
                            headers_en={"variable": "Estimate", "n": "n", "mean_unweighted": "Unweighted",
                                        "mean": "Weighted", "ci95_low": "Weighted CI low", "ci95_high": "Weighted CI high",
                                        "deff": "Design effect"},
                            formats={"n": "int", "mean_unweighted": "dec2", "mean": "dec2", "ci95_low": "dec2",
                                     "ci95_high": "dec2", "deff": "dec2"},
                            note_zh="加权：以各小区户数为总体进行事后分层，置信区间按抽样设计计算（考虑加权带来的方差增大，即设计效应）。",
                            note_en="Weighted: post-stratified to the households of each community; design-based CIs "
                                    "(as R's survey package)."))
        tot = wtd[wtd["variable"] == "index_overall"]
        if len(tot):
            x = tot.iloc[0]
            paras_zh.append(f"按各小区户数加权后，总指数（等权）为 {x['mean']:.1f}（95% CI {x['ci95_low']:.1f}–{x['ci95_high']:.1f}），"
                            f"未加权为 {x['mean_unweighted']:.1f}。")
            paras_en.append(f"Weighted by households the overall index is {x['mean']:.1f} (95% CI {x['ci95_low']:.1f}–"
                            f"{x['ci95_high']:.1f}); unweighted {x['mean_unweighted']:.1f}.")
        big = w.assign(d=(w["mean"] - w["mean_unweighted"]).abs()).sort_values("d", ascending=False).iloc[0]
        paras_zh.append(f"按各小区户数加权后，变化最大的是{big['variable']}（未加权 {big['mean_unweighted']:.1f}，加权 "
                        f"{big['mean']:.1f}）。加权结果代表各小区住户总体，可作为对外发布的数字；本章其余指数为未加权（样本）结果。")
        paras_en.append(f"Weighting by households changes {big['variable']} most ({big['mean_unweighted']:.1f} unweighted, "
                        f"{big['mean']:.1f} weighted); other indices in this report are unweighted.")
    return Section("满意度指数", "Satisfaction index", paras_zh, paras_en, tables + figs)


# ---- 群体差异与影响因素 -------------------------------------------------------------------------
_PREFERRED = ("welch_anova", "welch_t", "anova", "student_t")
_NONPAR = {"welch_anova": "kruskal_wallis", "anova": "kruskal_wallis", "welch_t": "mann_whitney", "student_t": "mann_whitney"}


def comparisons_section(out: Path, q, lang: str) -> Section | None:
    zh = lang == "zh"
    cmp_ = read_table(out / "stats" / "comparisons.csv")
    if cmp_ is None or not len(cmp_):
        return None
    con = read_table(out / "stats" / "satisfaction_constructs.csv")
    names = {}
    if con is not None:
        names = {f"score_{c}": name for c, name in zip(con["construct"], con["label_zh" if zh else "label_en"])}
    if q is not None and q.roles.overall:
        names[q.roles.overall] = short_name(q, q.roles.overall)
    rows = []
    for (g, dv), part in cmp_.groupby(["group", "dv"], sort=False):
        main = next((part[part["test"] == t].iloc[0] for t in _PREFERRED if (part["test"] == t).any()), None)
        if main is None:
            continue
        np_ = part[part["test"] == _NONPAR.get(main["test"], "")]
        df1, df2 = main.get("df1", float("nan")), main.get("df2", float("nan"))
        dfs = (f"{df1:.0f}, {df2:.1f}" if df1 == df1 and df2 == df2 else
               f"{main.get('df', float('nan')):.1f}" if main.get("df", float("nan")) == main.get("df", float("nan")) else "")
        ename = {"eta_squared": "η²", "cohen_d": "d", "hedges_g": "g"}.get(str(main.get("effect_size_name", "")),
                                                                          str(main.get("effect_size_name", "")))
        rows.append({"group": short_name(q, g), "dv": names.get(dv, dv), "test": main["test"], "df": dfs,
                     "statistic": main["statistic"], "p": main["p_val"], "p_adj": main.get("p_adj", float("nan")),
                     "effect": main.get("effect_size", float("nan")), "effect_name": ename,
                     "p_np": float(np_.iloc[0]["p_val"]) if len(np_) else float("nan")})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    tests_zh = {"welch_anova": "Welch 方差分析", "anova": "方差分析", "welch_t": "Welch t 检验", "student_t": "t 检验"}
    df["test"] = [tests_zh.get(t, t) if zh else t.replace("_", " ") for t in df["test"]]
    table = Table("group_comparisons", "不同群体的满意度差异", "Satisfaction by group", df,
                  headers_zh={"group": "分组", "dv": "指标", "test": "检验", "df": "自由度", "statistic": "统计量", "p": "p",
                              "p_adj": "校正p", "effect": "效应量", "effect_name": "类型", "p_np": "非参数p"},
                  headers_en={"group": "Group", "dv": "Outcome", "test": "Test", "df": "df", "statistic": "Statistic", "p": "p",
                              "p_adj": "Adjusted p (BH)", "effect": "Effect size", "effect_name": "Measure",
                              "p_np": "Nonparametric p"},
                  formats={"statistic": "dec2", "p": "p", "p_adj": "p", "effect": "dec3", "p_np": "p"},
                  note_zh="校正 p：Benjamini–Hochberg 法，族为同一分组变量下的全部指标；效应量为 η²（方差分析）或 Cohen's d"
                          "（t 检验）；非参数检验为 Kruskal–Wallis 或 Mann–Whitney。",
                  note_en="Adjusted p: Benjamini–Hochberg within each grouping variable; effect size η² (ANOVA) or "
                          "Cohen's d (t test); nonparametric: Kruskal–Wallis or Mann–Whitney.")
    sig = df[df["p_adj"] < .05]
    if len(sig):
        by_group = sig.groupby("group", sort=False)["dv"].apply(list)
        lst_zh = "；".join(f"不同{g}的受访者在{'、'.join(d)}上" for g, d in by_group.items())
        lst_en = "; ".join(f"{g} on {', '.join(d)}" for g, d in by_group.items())
        paras = ([f"校正多重比较后（Benjamini–Hochberg，校正 p < .05），存在显著差异的有：{lst_zh}。"
                  f"其余 {len(df) - len(sig)} 项比较差异不显著。"],
                 [f"After correction, differences are significant for {lst_en}; the other {len(df) - len(sig)} are not."])
    else:
        paras = ([f"校正多重比较后，{len(df)} 项群体比较均无显著差异（校正 p ≥ .05）。"],
                 [f"After correction none of the {len(df)} group comparisons is significant."])
    return Section("群体差异", "Group differences", paras[0], paras[1], [table])


def model_section(out: Path, q, lang: str) -> Section | None:
    zh = lang == "zh"
    m = read_table(out / "stats" / "model_overall_ordinal.csv")
    if m is None or not len(m):
        return None
    terms = m[~m["term"].astype(str).str.startswith("threshold")].copy()
    if not len(terms):
        return None
    con = read_table(out / "stats" / "satisfaction_constructs.csv")
    names = {f"score_{c}": name for c, name in zip(con["construct"], con["label_zh" if zh else "label_en"])} if con is not None else {}

    def term_label(t: str) -> str:
        import re

        mm = re.match(r"^C\((\w+)\)\[T\.([^\]]+)\]$", t)
        if mm and q is not None and mm.group(1) in q.item_index:
            it = q.item_index[mm.group(1)]
            code = float(mm.group(2))
            label = next((o.label for o in q.options_of(it) if o.code == code), mm.group(2))
            return f"{short_name(q, mm.group(1))}：{label}" if zh else f"{short_name(q, mm.group(1))}: {label}"
        return names.get(t, short_name(q, t) if q is not None and t in q.item_index else t)

    terms["label"] = [term_label(t) for t in terms["term"]]
    df = terms[["label", "estimate", "se", "odds_ratio", "or_ci95_low", "or_ci95_high", "p_val"]]
    fit = m.iloc[0]
    table = Table("model_overall", "总体满意度的有序 logistic 回归", "Ordinal logistic regression of overall satisfaction", df,
                  headers_zh={"label": "变量", "estimate": "系数", "se": "标准误", "odds_ratio": "OR", "or_ci95_low": "OR 下限",
                              "or_ci95_high": "OR 上限", "p_val": "p"},
                  headers_en={"label": "Term", "estimate": "B", "se": "SE", "odds_ratio": "OR", "or_ci95_low": "OR CI low",
                              "or_ci95_high": "OR CI high", "p_val": "p"},
                  formats={"estimate": "dec3", "se": "dec3", "odds_ratio": "dec2", "or_ci95_low": "dec2", "or_ci95_high": "dec2",
                           "p_val": "p"},
                  note_zh=f"累积 logit（比例优势）模型，n = {int(fit['fit_n'])}，McFadden 伪 R² = {fit['fit_pseudo_r2']:.3f}。"
                          f"分类变量的参照组：{_references(q, m)}；OR 下限、上限为 95% 置信区间。",
                  note_en=f"Cumulative logit (proportional odds), n = {int(fit['fit_n'])}, McFadden pseudo R² = "
                          f"{fit['fit_pseudo_r2']:.3f}; categorical terms against their first category.")
    sig = df[df["p_val"] < .05].sort_values("p_val")
    if len(sig):
        lst_zh = "、".join(f"{x['label']}（OR = {x['odds_ratio']:.2f}，p {_p(x['p_val'])}）" for _, x in sig.iterrows())
        lst_en = ", ".join(f"{x['label']} (OR = {x['odds_ratio']:.2f}, p {_p(x['p_val'])})" for _, x in sig.iterrows())
        paras = ([f"控制其他变量后，与总体满意度显著相关的是{lst_zh}。OR > 1 表示该组（相对参照组）或该变量每增加一个单位，"
                  f"给出更高满意度评价的几率更大，OR < 1 则更小；横断面数据只说明相关，不能据此推断因果。"],
                 [f"Holding the others constant, {lst_en} are associated with overall satisfaction (OR > 1: higher odds of a "
                  f"higher rating)."])
    else:
        paras = (["控制其他变量后，模型中各变量与总体满意度均无显著关联。"], ["No term is significant at .05."])
    po = read_table(out / "stats" / "model_overall_po_test.csv")
    if po is not None and len(po) > 1:
        tests = po[po["term"] != "<none>"]
        bad = tests[tests["p_val"] < .05]

        def name(t: str) -> str:
            import re

            mm = re.match(r"^C\((\w+)\)$", t)
            return short_name(q, mm.group(1) if mm else t) if q is not None else t

        if len(bad):
            lst = "、".join(f"{name(t)}（χ²({int(d)}) = {x:.2f}，p {_p(pv)}）" for t, d, x, pv in
                           zip(bad["term"], bad["df"], bad["lrt"], bad["p_val"]))
            paras[0].append(f"比例优势假定的似然比检验（逐项放开为各阈值不同的效应，同 R ordinal::nominal_test）显示，{lst}"
                            "不满足该假定：其 OR 是各累积分界的平均效应，解释时应谨慎，可改用部分比例优势模型或多项 logit 模型核对。")
            paras[1].append("The likelihood-ratio test of proportional odds (as ordinal::nominal_test) rejects it for "
                            + ", ".join(name(t) for t in bad["term"]) + "; their ORs average over the cut-points.")
        else:
            paras[0].append(f"比例优势假定的似然比检验（同 R ordinal::nominal_test）对 {len(tests)} 个变量均未拒绝该假定（p ≥ .05）。")
            paras[1].append("The likelihood-ratio test of proportional odds does not reject it for any term.")
    return Section("影响因素", "Drivers of overall satisfaction", paras[0], paras[1], [table])


def _references(q, m: pd.DataFrame) -> str:
    """The reference category of each categorical term of a model (its first option not in the table)."""
    import re

    if q is None:
        return "各分类变量的第一类"
    parts = []
    for var in dict.fromkeys(mm.group(1) for t in m["term"].astype(str) for mm in [re.match(r"^C\((\w+)\)\[T\.", t)] if mm):
        if var not in q.item_index:
            continue
        shown = {float(mm.group(1)) for t in m["term"].astype(str)
                 for mm in [re.match(rf"^C\({var}\)\[T\.([^\]]+)\]$", t)] if mm}
        ref = next((o.label for o in q.options_of(q.item_index[var]) if float(o.code) not in shown), None)
        if ref:
            parts.append(f"{short_name(q, var)}为“{_clean_label(ref)}”")
    return "、".join(parts) or "各分类变量的第一类"


def ipa_sentence(out: Path, lang: str) -> tuple[str, str] | None:
    ipa = read_table(out / "stats" / "ipa.csv")
    if ipa is None or not len(ipa):
        return None
    ipa = ipa[ipa["importance_type"] == ipa["importance_type"].iloc[0]]
    focus = ipa[ipa["quadrant"] == "concentrate here"]
    if len(focus):
        kind = "受访者陈述的重要性" if ipa["importance_type"].iloc[0] == "stated" else "与总体满意度的相关（推导重要性）"
        return (f"以{kind}衡量，{'、'.join(focus['label_zh'])}位于“重点改进区”（重要性高于平均而表现低于平均），"
                "可作为优先改进的参考；象限以均值切分，靠近切分线的维度归属并不稳定。",
                f"In the IPA, {', '.join(focus['label_en'])} fall in 'concentrate here' (high importance, low performance).")
    return ("重要性—表现分析中没有维度落在“重点改进区”。", "No dimension falls in the IPA's 'concentrate here' quadrant.")


# ---- 各小区概况 ------------------------------------------------------------------------------------
def community_sections(out: Path, q, lang: str) -> list[Section]:
    zh = lang == "zh"
    lab = "label_zh" if zh else "label_en"
    com = read_table(out / "stats" / "satisfaction_by_community.csv")
    items = read_table(out / "stats" / "item_satisfaction_by_community.csv")
    if com is None or not len(com) or q is None:
        return []
    con = read_table(out / "stats" / "satisfaction_constructs.csv")
    cnames = dict(zip(con["construct"], con[lab])) if con is not None else {}
    ranked = com.sort_values("index", ascending=False, kind="stable").reset_index(drop=True)
    sections = [Section("各小区概况", "Communities", [
        f"以下按小区给出样本量、满意度指数及满意率最低的项目，供街道和社区对照改进。共 {len(com)} 个小区，指数最高的是"
        f"{ranked.iloc[0]['label_zh']}（{ranked.iloc[0]['index']:.1f}），最低的是{ranked.iloc[-1]['label_zh']}"
        f"（{ranked.iloc[-1]['index']:.1f}）。"],
        [f"Sample size, satisfaction index and least satisfying items for each of the {len(com)} communities."], [])]
    dims = [k for k in com.columns if k.startswith("index_")]
    over = com[["label_zh", "n", "index", "ci95_low", "ci95_high", *dims]].rename(columns={"label_zh": "community"})
    sections[0].items.append(Table(
        "community_overview", "各小区满意度指数：总指数与各维度", "Satisfaction index by community and dimension", over,
        headers_zh={"community": "小区", "n": "样本量", "index": "总指数", "ci95_low": "下限", "ci95_high": "上限",
                    **{k: cnames.get(k[len("index_"):], k[len("index_"):]) for k in dims}},
        headers_en={"community": "Community", "n": "n", "index": "Overall", "ci95_low": "CI low", "ci95_high": "CI high",
                    **{k: cnames.get(k[len("index_"):], k[len("index_"):]) for k in dims}},
        formats={"n": "int", "index": "dec2", "ci95_low": "dec2", "ci95_high": "dec2",
                 **{k: "dec2" for k in dims}},
        note_zh="指数 0–100，等权；下限、上限为总指数的 95% 置信区间。样本量小于 50 的小区置信区间较宽，相邻名次之间多无显著差异。",
        note_en="Index 0–100, equal weights; 95% CI of the overall index. Communities with n < 50 have wide intervals."))
    # the whole sample's 不满意率 per item (the stats stage writes it with the per-community table)
    overall_items = read_table(out / "stats" / "item_satisfaction.csv")
    ref = overall_items.set_index("item")["bottom2_pct"] if overall_items is not None else pd.Series(dtype=float)
    for _, c in com.iterrows():
        rank = int(ranked.index[ranked["community"] == c["community"]][0]) + 1
        name = c["label_zh"] if zh or not isinstance(c.get("label_en"), str) or not c["label_en"] else c["label_en"]
        tables, low_text_zh, low_text_en = [], "", ""
        if items is not None:
            it = items[(items["community"] == c["community"]) & items["satisfaction_scale"].astype(bool)]
            low = it.sort_values(["bottom2_pct", "top2_pct"], ascending=[False, True], kind="stable").head(5)
            if len(low):
                pr = pd.DataFrame({"rank": range(1, len(low) + 1), "item": low[lab].to_numpy(), "n": low["n"].to_numpy(),
                                   "bottom2": low["bottom2_pct"].to_numpy(), "top2": low["top2_pct"].to_numpy(),
                                   "all": [ref.get(i, float("nan")) for i in low["item"]]})
                pr["diff"] = pr["bottom2"] - pr["all"]
                tables.append(Table(f"community_{int(c['community'])}_priorities", f"{name}：整改优先清单（不满意率最高的 {len(low)} 项）",
                                    f"{name}: what to fix first (most dissatisfied items)", pr,
                                    headers_zh={"rank": "序号", "item": "项目", "n": "样本量", "bottom2": "不满意率（%）",
                                                "top2": "满意率（%）", "all": "全部样本不满意率（%）", "diff": "差值（百分点）"},
                                    headers_en={"rank": "#", "item": "Item", "n": "n", "bottom2": "Dissatisfied %",
                                                "top2": "Satisfied %", "all": "All respondents %", "diff": "Difference (points)"},
                                    formats={"rank": "int", "n": "int", "bottom2": "pct1", "top2": "pct1", "all": "pct1",
                                             "diff": "pct1"},
                                    note_zh="差值 > 0：该小区的不满意率高于全部样本。", note_en="Difference > 0: more dissatisfied than overall."))
                low_text_zh = "最需改进的是" + "、".join(f"{x[lab]}（不满意率 {x['bottom2_pct']:.1f}%）"
                                                   for _, x in low.head(3).iterrows()) + "。"
                low_text_en = "Most dissatisfied: " + ", ".join(f"{x[lab]} ({x['bottom2_pct']:.1f}%)" for _, x in low.head(3).iterrows()) + "."
        small = "样本量较小，置信区间较宽，名次仅供参考。" if c["n"] < 50 else ""
        sections.append(Section(
            name, name,
            [f"有效样本 {int(c['n'])} 份；满意度指数 {c['index']:.1f}（95% CI {c['ci95_low']:.1f}–{c['ci95_high']:.1f}），"
             f"在 {len(com)} 个小区中居第 {rank} 位。{small}{low_text_zh}".strip()],
            [f"{int(c['n'])} respondents; index {c['index']:.1f} (95% CI {c['ci95_low']:.1f}–{c['ci95_high']:.1f}), "
             f"rank {rank} of {len(com)}. {low_text_en}".strip()],
            tables, level=2))
    return sections


# ---- 中介与调节 ------------------------------------------------------------------------------------
def paths_section(out: Path, q, lang: str, figures: dict | None = None) -> Section | None:
    """The study's analysis plan: mediation (paths and the bootstrap indirect effect), moderation
    (interaction, simple slopes and their plot, Johnson–Neyman) and structural models (fit,
    paths, indirect effects, path diagram), each with the sentence researchers write."""
    zh = lang == "zh"
    figures = figures or {}
    med = read_table(out / "stats" / "mediation.csv")
    slopes = read_table(out / "stats" / "moderation_simple_slopes.csv")
    coefs = read_table(out / "stats" / "moderation_coefficients.csv")
    items, pz, pe = [], [], []
    names_zh = {"a": "a（X → M）", "b": "b（M → Y | X）", "c": "c（总效应）", "c_prime": "c′（直接效应）", "indirect": "a × b（间接效应）"}
    if med is not None and len(med):
        for i, part in med.groupby("analysis", sort=True):
            label = part["label"].iloc[0]
            df = part[["effect", "estimate", "se", "p_val", "ci95_low", "ci95_high"]].copy()
            df["effect"] = [names_zh.get(e, e) if zh else e for e in df["effect"]]
            n_boot = int(part["n_boot"].iloc[0])
            bca = "interval" in part and str(part["interval"].iloc[0]) == "bca"
            kind_zh, kind_en = ("偏差校正加速（BCa）", "bias-corrected and accelerated (BCa)") if bca else ("百分位", "percentile")
            items.append(Table(f"mediation_{int(i) + 1}", f"中介效应：{label}", f"Mediation: {label}", df,
                               headers_zh={"effect": "路径", "estimate": "系数", "se": "标准误", "p_val": "p",
                                           "ci95_low": "下限", "ci95_high": "上限"},
                               headers_en={"effect": "Path", "estimate": "B", "se": "SE", "p_val": "p",
                                           "ci95_low": "CI low", "ci95_high": "CI high"},
                               formats={"estimate": "dec3", "se": "dec3", "p_val": "p", "ci95_low": "dec3", "ci95_high": "dec3"},
                               note_zh=f"回归估计（同 PROCESS 模型 4）；间接效应的标准误与 95% 区间来自 {n_boot} 次 bootstrap 重抽样的"
                                       f"{kind_zh}区间（固定随机种子，可重复），其余为 t 区间。",
                               note_en=f"OLS (PROCESS model 4); the indirect effect's SE and 95% {kind_en} interval from "
                                       f"{n_boot} bootstrap resamples (seeded), the rest t intervals."))
            ind = part[part["effect"] == "indirect"].iloc[0]
            sig = ind["ci95_low"] > 0 or ind["ci95_high"] < 0
            prop = float(part["proportion_mediated"].iloc[0])
            direct = part[part["effect"] == "c_prime"].iloc[0]
            kind = ("部分中介" if direct["p_val"] < .05 else "完全中介") if sig else ""
            pz.append(f"{label}：间接效应为 {ind['estimate']:.3f}（95% bootstrap CI {ind['ci95_low']:.3f}–{ind['ci95_high']:.3f}），"
                      + (f"区间不含 0，中介效应显著，为{kind}，约占总效应的 {100 * prop:.1f}%。" if sig else
                         "区间包含 0，中介效应不显著。"))
            pe.append(f"{label}: indirect effect {ind['estimate']:.3f} (95% bootstrap CI {ind['ci95_low']:.3f}–"
                      f"{ind['ci95_high']:.3f})" + (f", {100 * prop:.1f}% of the total effect." if sig else ", not significant."))
    if slopes is not None and coefs is not None and len(slopes):
        for i, part in slopes.groupby("analysis", sort=True):
            label = part["label"].iloc[0]
            inter = coefs[(coefs["analysis"] == i) & coefs["term"].astype(str).str.contains(":")].iloc[0]
            df = part[["w_level", "w_value", "slope", "se", "p_val", "ci95_low", "ci95_high"]].copy()
            if zh:
                df["w_level"] = df["w_level"].map({"mean − 1 SD": "均值 − 1 个标准差", "mean": "均值",
                                                   "mean + 1 SD": "均值 + 1 个标准差"}).fillna(df["w_level"])
            items.append(Table(f"moderation_{int(i) + 1}", f"调节效应（简单斜率）：{label}", f"Moderation (simple slopes): {label}", df,
                               headers_zh={"w_level": "调节变量水平", "w_value": "取值", "slope": "简单斜率", "se": "标准误",
                                           "p_val": "p", "ci95_low": "下限", "ci95_high": "上限"},
                               headers_en={"w_level": "Moderator level", "w_value": "Value", "slope": "Simple slope",
                                           "se": "SE", "p_val": "p", "ci95_low": "CI low", "ci95_high": "CI high"},
                               formats={"w_value": "dec2", "slope": "dec3", "se": "dec3", "p_val": "p",
                                        "ci95_low": "dec3", "ci95_high": "dec3"},
                               note_zh=f"自变量与调节变量均中心化（同 PROCESS 模型 1）；交互项 b = {inter['estimate']:.3f}，"
                                       f"p {_p(inter['p_val'])}。",
                               note_en=f"Mean-centred (PROCESS model 1); interaction b = {inter['estimate']:.3f}, "
                                       f"p {_p(inter['p_val'])}."))
            sig = inter["p_val"] < .05
            lo, hi = df.iloc[0], df.iloc[-1]
            pz.append(f"{label}：交互项{'显著' if sig else '不显著'}（b = {inter['estimate']:.3f}，p {_p(inter['p_val'])}）"
                      + (f"；调节变量较低（{lo['w_level']}）时斜率为 {lo['slope']:.3f}，较高（{hi['w_level']}）时为 "
                         f"{hi['slope']:.3f}。" if sig else "，未发现调节效应。"))
            pe.append(f"{label}: interaction b = {inter['estimate']:.3f}, p {_p(inter['p_val'])}.")
            jz, je = _jn_sentence(out, i, part)
            if jz:
                pz[-1] += jz
                pe[-1] += " " + je
            fig = figures.get(f"moderation_slopes_{int(i) + 1}")
            if fig is not None:
                items.append(fig)
    sem_z, sem_e, sem_items = _sem_part(out, q, lang, figures)
    pz += sem_z
    pe += sem_e
    items += sem_items
    if not items:
        return None
    return Section("中介、调节与结构方程模型", "Mediation, moderation and structural models", pz, pe, items)


def _jn_sentence(out: Path, i, slopes: pd.DataFrame) -> tuple[str, str]:
    """Where the simple slope is significant (Johnson–Neyman), in words."""
    jn = read_table(out / "stats" / "moderation_johnson_neyman.csv")
    if jn is None or "analysis" not in jn:
        return "", ""
    jn = jn[jn["analysis"] == i]
    inside = jn[jn["within_range"].astype(str).str.lower() == "true"]
    mid = slopes[slopes["w_level"].astype(str).isin(["mean", "均值"])]
    if not len(jn) and not len(mid):
        return "", ""
    if not len(inside):
        sig = len(mid) and float(mid["p_val"].iloc[0]) < .05
        return ((f"Johnson–Neyman 分析：在调节变量的观测范围内，简单斜率处处{'显著' if sig else '不显著'}（p {'<' if sig else '≥'} .05）。",
                 f"Johnson–Neyman: the simple slope is {'significant' if sig else 'not significant'} across the "
                 "moderator's observed range.") if len(mid) else ("", ""))
    pts = "、".join(f"{float(r['w_value']):.2f}（样本中 {100 * float(r['share_below']):.1f}% 低于此值）" for _, r in inside.iterrows())
    pts_en = ", ".join(f"{float(r['w_value']):.2f} ({100 * float(r['share_below']):.1f}% of the sample below)"
                       for _, r in inside.iterrows())
    return (f"Johnson–Neyman 分析：简单斜率的显著性在调节变量取 {pts} 处改变（p = .05）。",
            f"Johnson–Neyman: the simple slope's significance changes at {pts_en} (p = .05).")


def var_name(q, v: str, zh: bool) -> str:
    """A variable of a model as the report names it: the construct's label, or the item's short
    name (Chinese) or English text; the id when the questionnaire does not know it."""
    if q is None:
        return v
    if any(c.id == v for c in q.constructs):
        return _construct_label(q, v, zh)
    if v == q.roles.overall and not zh:
        return "overall satisfaction"
    it = q.item_index.get(v)
    if it is None:
        return v
    return short_name(q, v) if zh else (it.en or v)


def _say_path(path: str, q, zh: bool) -> str:
    """sem_indirect's 'x → m → y' or 'x → y (total)' with each id named (var_name)."""
    chain, _, tail = path.partition(" (")
    tails = {"total indirect)": "（总间接效应）" if zh else " (total indirect)", "total)": "（总效应）" if zh else " (total)"}
    return " → ".join(var_name(q, v, zh) for v in chain.split(" → ")) + tails.get(tail, "")


def _sem_part(out: Path, q, lang: str, figures: dict) -> tuple[list[str], list[str], list]:
    """Structural models of the analysis plan: fit, structural paths, indirect effects, diagram."""
    est = read_table(out / "stats" / "sem_estimates.csv")
    fit = read_table(out / "stats" / "sem_fit.csv")
    ind = read_table(out / "stats" / "sem_indirect.csv")
    zh = lang == "zh"
    pz, pe, items = [], [], []
    if est is None or fit is None or not len(est):
        return pz, pe, items
    for i, part in est.groupby("analysis", sort=True):
        label = str(part["label"].iloc[0])
        f = fit[fit["analysis"] == i].iloc[0]
        reg = part[part["kind"] == "regression"].copy()
        reg["path"] = [f"{var_name(q, a, zh)} → {var_name(q, b, zh)}" for a, b in zip(reg["rhs"], reg["lhs"])]
        df = reg[["path", "est", "se", "std_all", "p_val", "r2_lhs"]]
        fit_zh = (f"χ²({int(f['df'])}) = {float(f['chi2']):.2f}，p {_p(f['p_val'])}；CFI = {float(f['cfi']):.3f}，"
                  f"TLI = {float(f['tli']):.3f}，RMSEA = {float(f['rmsea']):.3f}（90% CI {float(f['rmsea_ci90_low']):.3f}–"
                  f"{float(f['rmsea_ci90_high']):.3f}），SRMR = {float(f['srmr']):.3f}")
        fit_en = fit_zh.replace("，", ", ").replace("；", "; ").replace("（", " (").replace("）", ")")
        items.append(Table(f"sem_paths_{int(i) + 1}", f"结构方程模型：{label}", f"Structural model: {label}", df,
                           headers_zh={"path": "路径", "est": "非标准化系数", "se": "标准误", "std_all": "标准化系数 β",
                                       "p_val": "p", "r2_lhs": "结果变量 R²"},
                           headers_en={"path": "Path", "est": "B", "se": "SE", "std_all": "β", "p_val": "p",
                                       "r2_lhs": "R² of outcome"},
                           formats={"est": "dec3", "se": "dec3", "std_all": "dec3", "p_val": "p", "r2_lhs": "dec3"},
                           note_zh=f"最大似然估计（同 lavaan 默认设置；5 级评分按连续变量处理），n = {int(f['n'])}；{fit_zh}。"
                                   "各维度为潜变量，由其题项测量（反向题已反向计分），首个题项载荷固定为 1。",
                           note_en=f"Maximum likelihood (lavaan's defaults; 5-point ratings treated as continuous), "
                                   f"n = {int(f['n'])}; {fit_en}. Constructs are latent, measured by their items "
                                   "(reverse-keyed items reversed), first loading fixed to 1."))
        sig = reg[reg["p_val"] < .05]
        small = int(f["n"]) < 200
        pz.append(f"{label}：模型拟合{_fit_word(f, True)}（{fit_zh}）。"
                  + (f"样本量仅 {int(f['n'])}，结构方程模型的拟合指标（尤其 TLI、RMSEA）与标准误都不稳定，结论宜谨慎。"
                     if small else "")
                  + ("显著的路径有" + "、".join(f"{p}（β = {b:.3f}）" for p, b in zip(sig["path"], sig["std_all"])) + "。"
                     if len(sig) else "没有显著的结构路径。"))
        pe.append(f"{label}: {_fit_word(f, False)} fit ({fit_en}); "
                  + (f"with n = {int(f['n'])} the fit indices and SEs are unstable; " if small else "")
                  + (f"{len(sig)} of {len(reg)} paths significant." if len(reg) else ""))
        if ind is not None and len(ind):
            part_i = ind[ind["analysis"] == i]
            if len(part_i):
                d = part_i[["path", "est", "se", "std_all", "p_val", "ci95_low", "ci95_high"]].copy()
                d["path"] = [_say_path(str(x), q, zh) for x in d["path"]]
                method = str(part_i["method"].iloc[0])
                items.append(Table(f"sem_indirect_{int(i) + 1}", f"间接效应与总效应：{label}", f"Indirect and total effects: {label}", d,
                                   headers_zh={"path": "路径", "est": "效应", "se": "标准误", "std_all": "标准化效应",
                                               "p_val": "p", "ci95_low": "下限", "ci95_high": "上限"},
                                   headers_en={"path": "Path", "est": "Effect", "se": "SE", "std_all": "Standardised",
                                               "p_val": "p", "ci95_low": "CI low", "ci95_high": "CI high"},
                                   formats={"est": "dec3", "se": "dec3", "std_all": "dec3", "p_val": "p",
                                            "ci95_low": "dec3", "ci95_high": "dec3"},
                                   note_zh="间接效应为沿路径的系数乘积；" + ("标准误与 95% 区间用 delta 法（同 lavaan 的 := 定义参数）。"
                                                                  if method == "delta method" else
                                                                  f"标准误与 95% 区间来自百分位 bootstrap（{method.split('(')[1].rstrip(')')}）。"),
                                   note_en=f"Indirect effects are products of the path coefficients; SE and 95% interval: {method}."))
                first = part_i.iloc[0]
                sig_i = float(first["ci95_low"]) > 0 or float(first["ci95_high"]) < 0
                pz.append(f"间接效应（{d['path'].iloc[0]}）为 {float(first['est']):.3f}（标准化 {float(first['std_all']):.3f}，95% CI "
                          f"{float(first['ci95_low']):.3f}–{float(first['ci95_high']):.3f}），{'显著' if sig_i else '不显著'}。")
                pe.append(f"Indirect effect {d['path'].iloc[0]}: {float(first['est']):.3f} (standardised {float(first['std_all']):.3f}, "
                          f"95% CI {float(first['ci95_low']):.3f}–{float(first['ci95_high']):.3f}).")
        fig = figures.get(f"sem_path_{int(i) + 1}")
        if fig is not None:
            items.append(fig)
    return pz, pe, items
