"""Stage 8, report: the findings, survey and interview tables and the figures as
``report/report.xlsx``, ``report.docx``, ``report.md``, ``tables/*.tex`` and ``figures/*.png``.

The methods paragraph is written from the stage logs and manifests (sample, exclusions by rule,
reliability, interview sample by role, coding and agreement), so it always describes the run
that produced the tables. Every part is optional: a study without interviews gets a survey
report, one without a survey an interview report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline.core.textnorm import cjk_punctuation
from pipeline.interviews.roles import ROLE_LABELS, role_label
from pipeline.report.tables import read_table
from pipeline.report.writers import Figure, Report, Section, Table

RULES = {
    "duplicate_id": ("重复编号", "duplicate id"), "duplicate_answers": ("重复作答", "duplicate answers"),
    "duplicate_ip": ("同一IP短时重复提交", "same IP within the window"), "speeder": ("作答过快", "speeding"),
    "attention_check": ("未通过注意力检测题", "failed attention check"),
    "straightlining": ("直线作答", "straightlining"), "incomplete": ("未完成", "incomplete"),
    "out_of_range": ("数值超出范围", "out of range"), "platform_status": ("平台标记为预览/测试/垃圾答卷", "platform preview/test/spam"),
    "exclusive": ("互斥选项同时勾选", "exclusive option chosen with others"),
}


def _json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def methods(out: Path, lang: str) -> list[str]:
    """Methods paragraphs from the stage logs."""
    zh = lang == "zh"
    paras = []
    clean = _json(out / "clean" / "cleaning_log.json")
    if clean:
        ex = [(r["rule"], r["excluded"]) for r in clean["rules"] if r.get("excluded")]
        parts = ("、".join(f"{RULES.get(k, (k, k))[0]} {n} 份" for k, n in ex) if zh else
                 ", ".join(f"{RULES.get(k, (k, k))[1]} {n}" for k, n in ex))
        if not clean["excluded"]:
            paras.append(f"问卷共回收 {clean['read']} 份，均通过预先设定的质量规则，有效问卷 {clean['kept']} 份。" if zh else
                         f"All {clean['read']} questionnaires returned passed the pre-set quality rules.")
        else:
            paras.append(f"问卷共回收 {clean['read']} 份，按预先设定的质量规则剔除 {clean['excluded']} 份（{parts}；每份只计入其首个"
                         f"未通过的规则），有效问卷 {clean['kept']} 份，有效回收率 {100 * clean['kept'] / clean['read']:.1f}%。"
                         if zh else
                         f"Of {clean['read']} questionnaires returned, {clean['excluded']} were excluded by the pre-set quality "
                         f"rules ({parts}; each counted under the first rule it failed), leaving {clean['kept']} valid "
                         f"responses ({100 * clean['kept'] / clean['read']:.1f}%).")
    if read_table(out / "stats" / "satisfaction_index.csv") is not None:
        paras.append("满意度指数按（均值−1）/（量表点数−1）×100 换算为 0–100 分；满意率为选择量表最高两级者的比例；"
                     "置信区间均为 95%。" if zh else
                     "Satisfaction indices are (mean − 1) / (points − 1) × 100 on a 0–100 scale; the share satisfied is "
                     "the top-two-box share; all intervals are 95%.")
    cases = read_table(out / "interviews" / "cases.csv")
    iv = _json(out / "interviews" / "interviews_log.json")
    if cases is not None and iv:
        counts = cases["role"].value_counts()
        order = [r for r in ROLE_LABELS if r in counts.index] + sorted(set(counts.index) - set(ROLE_LABELS))
        by_role = ("、".join(f"{role_label(r, lang)} {counts[r]} 人" for r in order) if zh else
                   ", ".join(f"{role_label(r, lang).lower()} {counts[r]}" for r in order))
        red = sum(iv.get("redactions", {}).values())
        paras.append(f"深度访谈共 {iv['documents']} 份、{iv['informants']} 位受访者（{by_role}），转写文本切分为 "
                     f"{iv['segments'] - iv['interviewer_segments']} 个受访者语句；电话、身份证号、邮箱与人名等个人信息在分析前"
                     f"全部替换为占位符（{red} 处）。"
                     if zh else
                     f"{iv['documents']} in-depth interviews with {iv['informants']} informants ({by_role}) were transcribed "
                     f"and split into {iv['segments'] - iv['interviewer_segments']} informant sentences; phone and ID "
                     f"numbers, e-mail addresses and personal names were replaced by placeholders before analysis "
                     f"({red} replacements).")
    code = _json(out / "coding" / "coding_log.json")
    if code:
        agree = code.get("agreement", {})
        gold = [(k, v) for k, v in agree.items() if k.startswith("pipeline vs")]
        extra = ""
        if gold:
            per_zh = "；".join(f"与编码员 {k.split(' vs ', 1)[1]}（{v['documents']} 份访谈、{v['units']} 个语句）相比，宏平均 F1 "
                              f"{v['macro_f1']:.2f}，平均 Cohen's κ {v['mean_kappa']:.2f}，Krippendorff α（MASI）"
                              f"{v['alpha_masi_coded_units']:.2f}" for k, v in gold)
            per_en = "; ".join(f"against {k.split(' vs ', 1)[1]} ({v['documents']} interviews, {v['units']} sentences) "
                               f"macro-F1 {v['macro_f1']:.2f}, mean κ {v['mean_kappa']:.2f}, α (MASI) "
                               f"{v['alpha_masi_coded_units']:.2f}" for k, v in gold)
            low = [v for _, v in gold if v["alpha_masi_coded_units"] < 0.667]
            extra = (f"程序编码的一致性检验：{per_zh}。" + ("α 低于 Krippendorff 建议的 .667，编码结果宜作探索性解读，"
                                                        "并以人工复核的引语为准。" if low else "") if zh else
                     f" Agreement with human coders: {per_en}." + (" α below .667: read the coding as exploratory."
                                                                   if low else ""))
        by = code.get("codings_by_coder", {})
        others = {k: v for k, v in by.items() if k != "rules"}
        if others and "rules" in by:   # who made the codings: rules, models, reviewers
            names_zh = {"review": "人工复核采纳"}
            names_en = {"review": "accepted in review"}
            split_zh = "（规则 " + str(by["rules"]) + " 条；" + "；".join(
                f"{names_zh.get(k, '编码器 ' + k)} {v} 条" for k, v in others.items()) + (
                "；examples 是以人工编码示例语段训练的字符 n-gram 逻辑回归，每条编码附权重最高的字串为证据"
                if "examples" in others else "") + "）"
            split_en = " (" + str(by["rules"]) + " by the rules; " + "; ".join(
                f"{v} {names_en.get(k, 'by the coder ' + k)}" for k, v in others.items()) + (
                "; examples is a character n-gram logistic regression trained on human-coded example passages, each "
                "coding keeping its weightiest n-grams as evidence" if "examples" in others else "") + ")"
        else:
            split_zh = split_en = ""
        paras.append(f"访谈文本依据编码框架（{code['codes_in_codebook']} 个代码）以关键词、正则规则、同句共现规则、否定窗口与排除模式进行编码，"
                     f"{code['segments']} 个语句中 {code['coded_segments']} 个被编码，共 {code['codings']} 条编码{split_zh}。{extra}"
                     if zh else
                     f"Interviews were coded with the codebook ({code['codes_in_codebook']} codes) by keyword, pattern "
                     f"and co-occurrence rules with a negation window and exclusion patterns: {code['coded_segments']} of "
                     f"{code['segments']} sentences received {code['codings']} codings{split_en}.{extra}")
    return paras


def _findings_table(f: pd.DataFrame, lang: str) -> Table:
    zh = lang == "zh"
    df = pd.DataFrame({
        "rank": f["rank"], "problem": f["label_zh" if zh else "label_en"],
        "survey": f["survey_evidence" if zh else "survey_evidence_en"],
        "informants": [f"{a}/{b}" for a, b in zip(f["interview_informants"], f["informants_total"])],
        "roles": f["roles" if zh else "roles_en"].fillna(""),
        "convergence": f["convergence_zh" if zh else "convergence_en"],
    }).sort_values("rank", kind="stable")
    if "open_n" in f.columns and pd.to_numeric(f["open_n"], errors="coerce").fillna(0).max() > 0:
        # the survey's own words: share of respondents whose open answer raises the problem
        text = pd.Series([f"{pct:.1f}% [{lo:.1f}, {hi:.1f}]（{int(k)}/{int(n)}）" if zh else
                          f"{pct:.1f}% [{lo:.1f}, {hi:.1f}] ({int(k)}/{int(n)})"
                          for pct, lo, hi, k, n in zip(f["open_pct"], f["open_ci95_low"], f["open_ci95_high"],
                                                       f["open_k"], f["open_n"])], index=f.index)
        df.insert(3, "open", text.loc[df.index])  # aligned by problem, whatever the rank order
    if "survey_support" in f.columns and (f["survey_support"] == "not_measured").all():
        # no survey (an interview-only study) or none of the catalogue's indicators: no empty column
        df = df.drop(columns="survey")
    note_zh = ("一致性：问卷指标越过问题目录设定的阈值（整个置信区间越过为强）且访谈中至少 2 位受访者提及，视为两类证据一致支持。"
               "提及的受访者：被编为该问题任一相关代码的受访者，可多于下文单个代码的人数。")
    note_en = ("Convergence: a survey indicator beyond its threshold (strongly when the whole CI is) and at least "
               "two informants raising the problem count as both sources supporting it.")
    if "informants_total" in f.columns and (pd.to_numeric(f["informants_total"], errors="coerce").fillna(0) == 0).all():
        df = df.drop(columns=["informants", "roles"])  # a survey-only study: no empty interview columns
        note_zh = ("本研究没有访谈：“仅问卷支持”即问卷指标越过阈值（整个置信区间越过为强）；“未测量”的指标问卷未涉及，"
                   "所缺题目列在输出文件 indicators.csv 中。")
        note_en = ("No interviews in this study: 'survey only' means a survey indicator beyond its threshold; 'not "
                   "measured' indicators were not asked (findings/indicators.csv names the missing items).")
    survey = "survey" in df.columns
    interviews = "informants" in df.columns
    what_zh = "问卷指标与访谈证据" if survey and interviews else ("访谈证据" if interviews else "问卷指标")
    what_en = ("survey indicators and interview evidence" if survey and interviews else
               "interview evidence" if interviews else "survey indicators")
    return Table("findings", "问题—证据汇总表：" + what_zh, "Findings: " + what_en, df,
                 headers_zh={"rank": "排序", "problem": "问题", "survey": "问卷证据（% 或 0–100 指数 [95% CI]）",
                             "open": "开放题中提及（% [95% CI]，人数/作答人数）",
                             "informants": "提及的受访者", "roles": "提及者角色（人数/该角色人数）", "convergence": "一致性"},
                 headers_en={"rank": "Rank", "problem": "Problem", "survey": "Survey evidence (% or 0–100 index [95% CI])",
                             "open": "Raised in open answers (% [95% CI], k/n)",
                             "informants": "Informants raising it", "roles": "Roles (n / informants in role)",
                             "convergence": "Convergence"},
                 formats={"rank": "int"}, note_zh=note_zh, note_en=note_en)


def _quotes_table(q: pd.DataFrame, f: pd.DataFrame, lang: str) -> Table:
    zh = lang == "zh"
    labels = dict(zip(f["problem"], f["label_zh" if zh else "label_en"]))
    df = pd.DataFrame({"problem": q["problem"].map(labels), "informant": q["informant"],
                       "role": q["role"].map(lambda r: role_label(r, lang)), "quote": q["quote"].map(cjk_punctuation)})
    return Table("quotes", "典型引语", "Exemplar quotes", df,
                 headers_zh={"problem": "问题", "informant": "受访者", "role": "角色", "quote": "引语"},
                 headers_en={"problem": "Problem", "informant": "Informant", "role": "Role", "quote": "Quote"})


def _stakeholder_table(s: pd.DataFrame, lang: str) -> Table:
    zh = lang == "zh"
    wide = s.pivot_table(index=["problem", "label_zh" if zh else "label_en"], columns="role", values="pct",
                         sort=False).reset_index()
    roles = [r for r in ROLE_LABELS if r in wide.columns] + sorted(
        c for c in wide.columns if c not in ROLE_LABELS and c not in ("problem", "label_zh", "label_en"))
    wide = wide[["label_zh" if zh else "label_en"] + roles].rename(columns={"label_zh": "problem", "label_en": "problem"})
    heads = {r: role_label(r, lang) for r in roles}
    return Table("stakeholder_problem", "各利益相关方提及各问题的受访者比例（%）",
                 "Share of informants raising each problem, by stakeholder (%)", wide,
                 headers_zh={"problem": "问题", **heads}, headers_en={"problem": "Problem", **heads},
                 formats={r: "pct1" for r in roles})


def _ipa_table(out: Path, lang: str) -> Table | None:
    zh = lang == "zh"
    lab = "label_zh" if zh else "label_en"
    ipa = read_table(out / "stats" / "ipa.csv")
    if ipa is None or not len(ipa):
        return None
    ipa = ipa[ipa["importance_type"] == ipa["importance_type"].iloc[0]]
    df = ipa[[lab, "performance", "importance", "quadrant_zh" if zh else "quadrant"]]
    df = df.rename(columns={lab: "attribute", "quadrant_zh": "quadrant"})
    kind = ipa["importance_type"].iloc[0]
    return Table("ipa", "重要性—表现分析（IPA）", "Importance–performance analysis", df,
                 headers_zh={"attribute": "维度", "performance": "表现（满意度均值）",
                             "importance": "重要性均值" if kind == "stated" else "重要性（与总体满意度的相关）",
                             "quadrant": "象限"},
                 headers_en={"attribute": "Dimension", "performance": "Performance", "importance": "Importance",
                             "quadrant": "Quadrant"},
                 formats={"performance": "dec2", "importance": "dec2"},
                 note_zh="象限以各维度均值为分界；“重点改进区”为重要性高而表现低。" if zh else "",
                 note_en="Quadrants split at the means; 'concentrate here' = high importance, low performance.")


def _interview_tables(out: Path, lang: str) -> list[Table]:
    zh = lang == "zh"
    tables = []
    cbr = read_table(out / "coding" / "code_by_role.csv")
    book = read_table(out / "coding" / "codebook.csv")
    if cbr is not None and book is not None:
        wide = cbr.pivot_table(index="code", columns="role", values="informants", aggfunc="sum", fill_value=0)
        roles = [r for r in ROLE_LABELS if r in wide.columns] + sorted(c for c in wide.columns if c not in ROLE_LABELS)
        wide = wide.reindex(book["code"]).fillna(0).astype(int)[roles].reset_index()
        wide.insert(1, "label", wide["code"].map(dict(zip(book["code"], book["label_zh" if zh else "label_en"]))))
        wide["total"] = wide[roles].sum(axis=1)
        heads = {r: role_label(r, lang) for r in roles}
        tables.append(Table("code_by_role", "各代码在各类受访者中的提及人数", "Informants mentioning each code, by role",
                            wide.drop(columns="code"),
                            headers_zh={"label": "代码", **heads, "total": "合计"},
                            headers_en={"label": "Code", **heads, "total": "Total"},
                            formats={**{r: "int" for r in roles}, "total": "int"}))
    agr = read_table(out / "coding" / "agreement.csv")
    if agr is not None:
        if zh:  # 'pipeline vs gold_codes' -> 程序编码 vs 人工编码（gold_codes）
            agr = agr.assign(comparison=agr["comparison"].astype(str)
                             .str.replace(r"^pipeline vs (.+)$", r"程序编码 vs 人工编码（\1）", regex=True)
                             .str.replace(r"^(?!程序)(.+) vs (.+)$", r"人工编码（\1）vs 人工编码（\2）", regex=True))
        df = agr[["comparison", "documents", "units", "macro_precision", "macro_recall", "macro_f1", "mean_kappa",
                  "alpha_masi_coded_units"]]
        tables.append(Table("agreement", "编码一致性（以语句为单位）", "Coding agreement (sentence units)", df,
                            headers_zh={"comparison": "比较", "documents": "文档数", "units": "语句数",
                                        "macro_precision": "宏平均精确率", "macro_recall": "宏平均召回率",
                                        "macro_f1": "宏平均 F1", "mean_kappa": "平均 κ", "alpha_masi_coded_units":
                                        "Krippendorff α（MASI）"},
                            headers_en={"comparison": "Comparison", "documents": "Documents", "units": "Sentences",
                                        "macro_precision": "Macro precision", "macro_recall": "Macro recall",
                                        "macro_f1": "Macro F1", "mean_kappa": "Mean κ",
                                        "alpha_masi_coded_units": "Krippendorff's α (MASI)"},
                            formats={"documents": "int", "units": "int", "macro_precision": "dec3",
                                     "macro_recall": "dec3", "macro_f1": "dec3", "mean_kappa": "dec3",
                                     "alpha_masi_coded_units": "dec3"},
                            note_zh="α 仅计算至少一方编码过的语句，未编码文本不会抬高一致性。",
                            note_en="α is computed on the sentences at least one side coded, so uncoded text does not "
                                    "inflate agreement."))
    return tables


def _survey_sections(out: Path, lang: str, q, pick) -> list[Section]:
    from pipeline.report import survey as sv

    clean = _json(out / "clean" / "cleaning_log.json")
    parts = [sv.sample_section(out, q, lang, clean["kept"] if clean else None),
             sv.answers_section(out, q, lang, [f for name, f in pick.figures.items() if name.startswith("multi_")]),
             sv.ratings_section(out, q, lang, pick("likert_satisfaction")),
             sv.missing_section(out, q, lang),
             sv.validity_section(out, q, lang),
             sv.index_section(out, q, lang, pick("satisfaction_by_community")),
             sv.comparisons_section(out, q, lang),
             sv.model_section(out, q, lang),
             sv.paths_section(out, q, lang, pick.figures)]
    ipa = _ipa_table(out, lang)
    if ipa is not None:
        words = sv.ipa_sentence(out, lang)
        parts.append(Section("重要性—表现分析", "Importance–performance analysis", [words[0]] if words else [],
                             [words[1]] if words else [], [ipa] + pick("ipa_stated", "ipa_derived")))
    part_figs = pick("participation_by_stage")
    if part_figs:
        parts.append(Section("居民参与", "Participation", [], [], part_figs))
    parts += sv.community_sections(out, q, lang)
    return [p for p in parts if p is not None]


def build_report(out: Path, figures: list[dict], lang: str, title: str, questionnaire=None) -> Report:
    zh = lang == "zh"
    figs = {d["name"]: Figure(Path(d["file"]), d["caption_zh"], d["caption_en"]) for d in figures}

    def pick(*names: str) -> list:
        return [figs[n] for n in names if n in figs]

    pick.figures = figs  # the survey chapters take the per-item figures by name prefix
    sections = [Section("研究方法", "Methods", [p for p in methods(out, "zh")], [p for p in methods(out, "en")])]
    f = read_table(out / "findings" / "findings.csv")
    if f is not None and "convergence" in f.columns and (f["convergence"] == "not_measured").all():
        sections.append(Section("主要发现", "Findings", [
            "问题目录中的指标在本问卷中均未测量，研究也没有访谈，因此没有问题—证据汇总表；如需按问题汇总，请按 "
            "docs/findings.md 编写自己的问题目录（研究文件的 problems 键）。"],
            ["None of the problem catalogue's indicators is measured by this questionnaire and the study has no "
             "interviews, so there is no findings table; write your own catalogue (the study's problems key, "
             "docs/findings.md)."]))
        f = None
    if f is not None:
        items: list = [_findings_table(f, lang)]
        s = read_table(out / "findings" / "stakeholder_problem.csv")
        if s is not None and len(s):
            items.append(_stakeholder_table(s, lang))
        q = read_table(out / "findings" / "quotes.csv")
        if q is not None and len(q):
            items.append(_quotes_table(q, f, lang))
        top = f.sort_values("rank")
        both = top[top["convergence"] == "both"]
        lead_zh = (f"问卷与访谈两类证据一致指向的问题有 {len(both)} 项，按证据强度依次为："
                   + "、".join(both["label_zh"]) + "。") if len(both) else ""
        lead_en = (f"Both sources point to {len(both)} problems, in order of the strength of evidence: "
                   + ", ".join(both["label_en"]) + ".") if len(both) else ""
        sections.append(Section("主要发现", "Findings", [lead_zh] if lead_zh else [], [lead_en] if lead_en else [], items))
    sections += _survey_sections(out, lang, questionnaire, pick)
    interviews = _interview_tables(out, lang)
    if interviews or figs:
        iv_items = interviews + pick("code_role_heatmap", "cooccurrence_heatmap", "topic_terms")
        if iv_items:
            sections.append(Section("访谈结果", "Interview results", [], [], iv_items))
    return Report(title if zh else title, title, sections)


def run(study, lang: str | None = None) -> dict:
    """The report stage."""
    from pipeline.interviews.roles import use_study_roles

    use_study_roles(study)  # the study's own role vocabulary, if it has one
    from pipeline.core.stage import write_json
    from pipeline.report.figures import render_all
    from pipeline.report.writers import write_all

    lang = lang or getattr(study.config, "language", None) or "zh"
    out = study.out
    inputs = sorted(p for stage in ("clean", "stats", "interviews", "coding", "topics", "findings")
                    for p in (out / stage).glob("*") if p.suffix in (".csv", ".json") and p.name != "manifest.json")
    if not any((out / stage / "manifest.json").is_file() for stage in ("stats", "coding", "findings")):
        from pipeline.core.errors import InputError

        raise InputError(f"nothing to report yet: none of stats/, coding/, findings/ is in {out}; run the stages "
                         f"first (make all, or python -m pipeline run --study {study.path})", file=study.path)
    name = study.redact_label(study.name)  # a study named after a person shows no name
    kind_zh, kind_en = {(True, True): ("调查与访谈", "survey and interview"), (True, False): ("问卷调查", "survey"),
                        (False, True): ("访谈", "interview")}[(study.config.survey is not None,
                                                             study.config.interviews is not None)]
    q = study.questionnaire if study.config.survey is not None else None
    if q is not None:  # the survey's own title, as the questionnaire gives it
        base = study.redact_label(q.title.zh)
        title_zh = f"{base}分析报告" if base.endswith(("调查", "问卷", "调研")) else f"{base}：{kind_zh}分析报告"
        title_en = f"{study.redact_label(q.title.en or q.title.zh)}: {kind_en} report"
    else:  # an interview-only study: the subject named by its own codebook (老旧小区改造治理编码框架 → 老旧小区改造治理)
        subject_zh = subject_en = ""
        if study.config.coding_scheme:
            import re

            from pipeline.interviews.codebook import load_codebook

            book = load_codebook(study.definition("coding_scheme"))
            subject_zh = re.sub(r"(的)?(编码框架|编码本|编码表|编码体系)$", "", book.title.zh).strip()
            subject_en = re.sub(r"\s*(codebook|coding frame|coding scheme)$", "", book.title.en or "", flags=re.I).strip()
        title_zh = f"{study.redact_label(subject_zh)}{kind_zh}分析报告（{name}）"
        title_en = (f"{study.redact_label(subject_en)}: " if subject_en else "") + f"{kind_en} report ({name})"
    with study.output("report", "report", inputs) as tmp:
        skipped: dict[str, str] = {}
        figures = render_all(out, tmp / "figures", lang, questionnaire=study.questionnaire, skipped=skipped)
        # the figures are written into the temporary folder; the report refers to them there and
        # Markdown links are relative, so they stay valid after the folder is renamed
        report = build_report(out, figures, lang, title_zh if lang == "zh" else title_en, questionnaire=q)
        report.title_zh, report.title_en = title_zh, title_en
        written = write_all(report, tmp, lang, bilingual=bool(getattr(study.config, "bilingual", False)))
        log = {"language": lang, "tables": [t.name for _, t in report.tables()],
               "figures": [Path(d["file"]).name for d in figures], "figures_skipped": skipped,
               "files": sorted(str(Path(p).relative_to(tmp)) for p in
                               [written["xlsx"], written["docx"], written["md"], *written["tex"]])}
        write_json(log, tmp / "report_log.json")
    return log


def summary(log: dict) -> str:
    """One line for the terminal."""
    return (f"report ({log['language']}): {len(log['tables'])} tables, {len(log['figures'])} figures → "
            + ", ".join(f for f in log["files"] if not f.startswith("tables/")) + ", tables/*.tex, figures/*.png")
