"""The whole pipeline on the demo (survey and interviews) through findings and report:
files, content, no personal data, manifests, byte-identical reruns."""

from __future__ import annotations

import hashlib
import zipfile

import pandas as pd
import pytest
import yaml

from .conftest import ROOT


@pytest.fixture(scope="module")
def full(demo_dir, tmp_path_factory):
    from pipeline.cli import main
    from pipeline.core.study import Study

    d, _ = demo_dir
    demo = ROOT / "examples" / "demo"
    cfg = yaml.safe_load((demo / "study.yaml").read_text(encoding="utf-8"))
    cfg.update(name="full",  # questionnaire and codebook: the demo's bundled names, kept
               survey={"files": ["raw/survey_by_text.xlsx"], "population": "raw/households.csv"},
               outputs=str(tmp_path_factory.mktemp("full") / "out"))
    iv = cfg["interviews"]
    iv.update(dir=str(demo / iv["dir"]), roster=str(demo / iv["roster"]), gold=[str(demo / g) for g in iv["gold"]])
    path = d / "full.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    assert main(["run", "--study", str(path), "--quiet"]) == 0
    return Study(path)


def test_every_stage_has_a_manifest(full):
    for stage in ("ingest", "clean", "stats", "interviews", "coding", "topics", "findings", "report"):
        assert (full.stage_dir(stage) / "manifest.json").exists(), stage


def test_report_files_and_content(full):
    from docx import Document
    from openpyxl import load_workbook

    rep = full.stage_dir("report")
    figures = sorted(p.name for p in (rep / "figures").glob("*.png"))
    assert {"likert_satisfaction_zh.png", "ipa_stated_zh.png", "satisfaction_by_community_zh.png",
            "participation_by_stage_zh.png", "code_role_heatmap_zh.png", "cooccurrence_heatmap_zh.png",
            "topic_terms_zh.png"} <= set(figures)
    assert (rep / "tables" / "findings.tex").read_text(encoding="utf-8").count("\\toprule") == 1
    md = (rep / "report.md").read_text(encoding="utf-8")
    assert "有效问卷 600 份" in md and "资金压力" in md and "](figures/ipa_stated_zh.png)" in md
    doc = Document(str(rep / "report.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "表1" in text and "图1" in text and "研究方法" in text
    assert len(doc.tables) >= 8 and len(doc.inline_shapes) == len(figures)
    wb = load_workbook(rep / "report.xlsx")
    assert "findings" in " ".join(wb.sheetnames) and len(wb.sheetnames) >= 9
    f = pd.read_csv(full.stage_dir("findings") / "findings.csv", encoding="utf-8-sig").set_index("problem")
    for p in ("funding_pressure", "weak_coordination", "low_participation", "long_term_management"):
        assert f.loc[p, "convergence"] == "both" and f.loc[p, "quotes"].count("“") >= 2


def test_no_personal_data_in_any_output(full):
    roster = pd.read_csv(ROOT / "examples/demo/transcripts/informants.csv", encoding="utf-8-sig")
    secrets = ["13912345678", "150-0000-1234", "186 0000 5678", "13700112233", "370999195103120425",
               "gongwt.studio@example.com", "kongds.parking@example.org", *roster["name"]]
    blobs = []
    for p in sorted(full.out.rglob("*")):
        if not p.is_file():
            continue
        blobs.append(p.read_bytes())
        if p.suffix == ".parquet":
            blobs.append(pd.read_parquet(p).to_csv().encode())
        if p.suffix in (".qdpx", ".docx", ".xlsx"):
            with zipfile.ZipFile(p) as z:
                blobs += [z.read(n) for n in z.namelist()]
    for secret in secrets:
        assert not any(secret.encode() in b for b in blobs), secret


def test_findings_and_report_are_byte_identical_on_rerun(full):
    from pipeline.findings import stage as findings
    from pipeline.report import stage as report

    def digests(stage):
        root = full.stage_dir(stage)
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file() and p.name != "manifest.json"}

    before = {s: digests(s) for s in ("findings", "report")}
    findings.run(full)
    report.run(full)
    assert {s: digests(s) for s in ("findings", "report")} == before


def test_english_report_from_the_same_tables(full, tmp_path):
    from pipeline.report.stage import build_report
    from pipeline.report.writers import write_markdown

    rep = build_report(full.out, [], "en", "Demo")
    md = write_markdown(rep, tmp_path / "report.md", "en").read_text(encoding="utf-8")
    assert "## Methods" in md and "Of 681 questionnaires returned, 81 were excluded" in md
    assert "Funding pressure" in md and "Both sources support" in md and "Table 1." in md
    assert "资金压力" not in md.split("## Survey results")[0].split("Exemplar quotes")[0]


def test_topics_are_related_to_codes(full):
    t = pd.read_csv(full.stage_dir("topics") / "topic_codes.csv", encoding="utf-8-sig")
    nmf = t[t["model"] == "nmf"]
    # each code's mean topic weights are a distribution over the topics
    assert (nmf.groupby("code")["mean_weight"].sum().round(4) == 1).all()
    # the operators' parking/operation talk: market_operation is concentrated in one topic
    assert nmf.loc[nmf["code"] == "market_operation", "lift"].max() > 2


def test_survey_report_for_a_thesis_and_a_district(full):
    """The report of the demo's survey: title from the questionnaire, sample profile, 满意率 with
    the least satisfying items, reliability/KMO/EFA with their verdicts, the index by weighting
    scheme with an overall row, weighted estimates labelled, group comparisons, the model and
    one page per community; xlsx numbers stored as shown."""
    import json

    from openpyxl import load_workbook

    rep = full.stage_dir("report")
    log = json.loads((rep / "report_log.json").read_text(encoding="utf-8"))
    for name in ("sample_profile", "item_ratings", "lowest_items", "reliability", "kmo_bartlett", "efa_loadings",
                 "satisfaction_index", "index_weights", "weighted_estimates", "group_comparisons", "model_overall"):
        assert name in log["tables"], name
    assert sum(t.startswith("community_") and t.endswith("_priorities") for t in log["tables"]) == 6
    assert "community_overview" in log["tables"] and "missing_answers" in log["tables"]
    md = (rep / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# " + full.questionnaire.title.zh)
    assert "有效样本 600 份。小区以“和平街小区”居多（18.7%）" in md
    items = pd.read_csv(full.stage_dir("stats") / "item_satisfaction.csv", encoding="utf-8-sig")
    sat = items[items["satisfaction_scale"] & (items["item"] != "overall_sat")]
    lowest = sat.sort_values(["bottom2_pct", "top2_pct"], ascending=[False, True]).head(3)
    assert "最需改进的是" + "、".join(f"{x.label_zh}（不满意率 {x.bottom2_pct:.1f}%）" for x in lowest.itertuples()) in md
    assert "| 月收入 |" in md and "|  | 不愿透露 | 42 | — |" in md  # a refusal is its own missing row
    assert "月收入：不愿透露" not in md and "月收入：9" not in md  # …and never a model term
    assert "本行请选择" not in md  # the attention check is not an item to report
    overall = items.set_index("item").loc["overall_sat"]
    assert "总体满意率（" in md and f"为 {overall.top2_pct:.1f}%" in md
    assert "信度良好" in md and "很适合进行因子分析" in md
    idx = pd.read_csv(full.stage_dir("stats") / "satisfaction_index.csv", encoding="utf-8-sig")
    assert f"按等权计算的总满意度指数为 {idx['index'].iloc[0]:.1f}" in md
    for scheme in ("| 总指数 | 等权 |", "| 总指数 | 重要性加权 |", "| 总指数 | 熵权法（按受访者） |", "| 总指数 | 熵权法（按小区） |",
                   "| 总指数 | 回归权重 |"):
        assert scheme in md
    assert "### 梧桐里小区" in md and "在 6 个小区中居第" in md and "整改优先清单" in md
    wb = load_workbook(rep / "report.xlsx")
    ws = wb["satisfaction_index"]
    values = [ws.cell(row=r, column=3).value for r in range(3, 12)]
    assert all(v == round(v, 2) for v in values if isinstance(v, float))


def test_methods_sentence_when_nothing_is_excluded(tmp_path):
    from pipeline.report.stage import methods

    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "cleaning_log.json").write_text(
        '{"read": 12, "kept": 12, "excluded": 0, "rules": [{"rule": "speeder", "excluded": 0}]}', encoding="utf-8")
    text = methods(tmp_path, "zh")[0]
    assert text == "问卷共回收 12 份，均通过预先设定的质量规则，有效问卷 12 份。" and "（；" not in text
