"""Report figures: every figure in zh and en, the bundled CJK font (no tofu, no missing glyphs),
byte-identical PNGs, and render_all on a study folder with some tables missing.

Small DataFrames built here; nothing needs outputs/ to exist.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.report import figures as F
from pipeline.report import plotting as P

from .conftest import QUESTIONNAIRE, ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")


# ---- small inputs -----------------------------------------------------------------------------

def _frequencies() -> pd.DataFrame:
    rows = []
    labels = ["非常不满意", "比较不满意", "一般", "比较满意", "非常满意"]
    for item, ns in {"sat_water": [5, 10, 20, 30, 15], "sat_power": [12, 18, 25, 15, 10],
                     "sat_greening": [3, 7, 30, 25, 20], "overall_sat": [8, 15, 30, 28, 14]}.items():
        rows += [{"item": item, "value": float(c), "label": lab, "n": n, "percent": np.nan,
                  "valid_percent": np.nan, "cumulative_percent": np.nan, "is_missing": False}
                 for c, lab, n in zip(range(1, 6), labels, ns)]
        rows.append({"item": item, "value": np.nan, "label": "missing", "n": 2, "percent": np.nan,
                     "valid_percent": np.nan, "cumulative_percent": np.nan, "is_missing": True})
    return pd.DataFrame(rows)


def _likert_items() -> tuple[pd.DataFrame, pd.DataFrame]:
    items = pd.DataFrame({
        "item": ["sat_water", "sat_power", "sat_greening"],
        "label_zh": ["供水管网", "供电线路", "绿化景观"],
        "label_en": ["Water supply", "Power supply", "Greening"],
        "group": ["infrastructure", "infrastructure", "environment"],
        "group_zh": ["基础设施", "基础设施", "居住环境"],
        "group_en": ["Basic infrastructure", "Basic infrastructure", "Living environment"],
    })
    scale = pd.DataFrame({"code": [1, 2, 3, 4, 5],
                          "label_zh": ["非常不满意", "比较不满意", "一般", "比较满意", "非常满意"],
                          "label_en": ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"]})
    return items, scale


def _ipa() -> pd.DataFrame:
    return pd.DataFrame({
        "attribute": ["infrastructure", "environment", "ageing", "management"],
        "label_zh": ["基础设施", "居住环境", "适老化设施与服务", "物业与长效管理"],
        "label_en": ["Basic infrastructure", "Living environment", "Ageing-friendly facilities", "Property management"],
        "performance": [3.35, 3.24, 2.76, 3.00], "importance": [4.40, 3.92, 3.59, 4.32],
        "importance_type": "stated", "performance_cut": 3.09, "importance_cut": 4.06,
        "quadrant": ["keep up the good work", "possible overkill", "low priority", "concentrate here"],
        "quadrant_zh": ["继续保持区", "过度供给区", "次要改进区", "重点改进区"],
    })


def _by_community() -> pd.DataFrame:
    return pd.DataFrame({"community": [1, 2, 3], "label_zh": ["梧桐里小区", "建设新村", "纺织厂宿舍"],
                         "label_en": ["Wutongli", "Jianshe Xincun", "Textile Mill Quarters"], "n": [99, 100, 106],
                         "index": [57.4, 51.3, 42.9], "se": [1.5, 1.6, 1.4], "ci95_low": [54.4, 48.0, 40.2],
                         "ci95_high": [60.5, 54.5, 45.7]})


def _index() -> pd.DataFrame:
    return pd.DataFrame({"weighting": ["equal", "importance"], "n": [600, 600], "index": [51.4, 51.8],
                         "se": [0.68, 0.68], "ci95_low": [50.1, 50.4], "ci95_high": [52.8, 53.1]})


def _stages() -> pd.DataFrame:
    return pd.DataFrame({"stage": ["consultation", "design", "supervision"], "n": [256, 99, 111],
                         "pct_of_participants": [78.3, 30.3, 33.9], "pct_of_all": [42.7, 16.5, 18.5],
                         "ci95_low": [38.8, 13.7, 15.6], "ci95_high": [46.7, 19.7, 21.8]})


STAGE_LABELS = {"consultation": ("意见征询", "Consultation"), "design": ("方案设计", "Design"),
                "supervision": ("施工监督", "Construction supervision")}


def _codebook() -> pd.DataFrame:
    return pd.DataFrame({"theme": ["problems", "problems", "mechanisms"], "theme_zh": ["问题", "问题", "机制"],
                         "code": ["funding_pressure", "low_participation", "resident_deliberation"],
                         "label_zh": ["资金压力", "居民参与不足", "议事协商"],
                         "label_en": ["Funding pressure", "Low resident participation", "Resident deliberation"]})


def _code_by_role() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["funding_pressure", "funding_pressure", "low_participation", "resident_deliberation"],
        "label_zh": ["资金压力", "资金压力", "居民参与不足", "议事协商"],
        "role": ["street_office", "resident", "residents_committee", "resident"],
        "segments": [3, 2, 4, 1], "informants": [2, 1, 3, 1], "informants_in_role": [3, 7, 4, 7],
        "pct_informants": [66.7, 14.3, 75.0, 14.3]})


def _cooccurrence() -> pd.DataFrame:
    return pd.DataFrame({"code_a": ["funding_pressure", "funding_pressure", "low_participation"],
                         "code_b": ["low_participation", "resident_deliberation", "resident_deliberation"],
                         "segments": [3, 1, 2]})


def _topic_terms() -> pd.DataFrame:
    words = {1: ["物业", "社区", "街道", "改造", "业委会", "物业费", "改完", "没人管", "监控"],
             2: ["老人", "年轻人", "参与", "孩子", "居民", "活动", "社区", "参加", "关心"]}
    rows = [{"model": m, "topic": t, "rank": r + 1, "term": w, "weight": round(0.08 - 0.006 * r, 4)}
            for m in ("nmf", "lda") for t, ws in words.items() for r, w in enumerate(ws)]
    return pd.DataFrame(rows)


def _topics() -> pd.DataFrame:
    return pd.DataFrame({"model": ["nmf", "nmf"], "topic": [1, 2], "label": ["物业·社区·街道", "老人·年轻人·参与"],
                         "share_overall": [0.55, 0.45], "npmi": [0.1, 0.2], "terms": ["", ""]})


FIGURES = {
    "likert_diverging": lambda lang: F.likert_diverging(_frequencies(), *_likert_items(), lang=lang),
    "ipa_plot": lambda lang: F.ipa_plot(_ipa(), lang),
    "satisfaction_by_community": lambda lang: F.satisfaction_by_community(_by_community(), _index(), lang),
    "participation_by_stage": lambda lang: F.participation_by_stage(_stages(), lang, STAGE_LABELS),
    "code_role_heatmap": lambda lang: F.code_role_heatmap(_code_by_role(), _codebook(), lang),
    "cooccurrence_heatmap": lambda lang: F.cooccurrence_heatmap(_cooccurrence(), _codebook(), lang),
    "topic_terms": lambda lang: F.topic_terms(_topic_terms(), _topics(), lang),
    "multi_choice": lambda lang: F.multi_choice(_multi(), lang),
    "path_diagram": lambda lang: F.path_diagram(_sem_estimates(), _sem_fit(), lang),
    "simple_slopes": lambda lang: F.simple_slopes(_slopes(), lang, *(("物业管理", "总体满意度", "居住年限") if lang == "zh"
                                                                   else ("management", "overall", "years lived"))),
}


def _sem_estimates() -> pd.DataFrame:
    return pd.DataFrame({
        "lhs": ["process", "management", "management", "overall", "overall"],
        "lhs_zh": ["沟通与参与过程", "物业与长效管理", "物业与长效管理", "总体满意度", "总体满意度"],
        "kind": ["loading", "loading", "regression", "regression", "regression"],
        "rhs": ["c1", "m1", "process", "management", "process"],
        "rhs_zh": ["征求意见", "物业服务", "沟通与参与过程", "物业与长效管理", "沟通与参与过程"],
        "std_all": [0.7, 0.8, 0.42, 0.54, 0.03], "p_val": [np.nan, np.nan, 1e-9, 1e-12, 0.4],
        "r2_lhs": [np.nan, np.nan, 0.17, 0.76, 0.76]})


def _sem_fit() -> pd.DataFrame:
    return pd.DataFrame({"n": [552], "chi2": [19.64], "df": [25.0], "cfi": [1.0], "tli": [1.003], "rmsea": [0.0],
                         "srmr": [0.013]})


def _slopes() -> pd.DataFrame:
    return pd.DataFrame({"w_level": ["mean − 1 SD", "mean", "mean + 1 SD"], "w_value": [5.1, 19.5, 33.8],
                         "slope": [0.67, 0.73, 0.79], "p_val": [1e-6, 1e-8, 1e-6], "x_low": 1.9, "x_high": 4.1,
                         "y_at_x_low": [2.45, 2.45, 2.46], "y_at_x_high": [3.9, 4.04, 4.17]})


def _multi() -> pd.DataFrame:
    return pd.DataFrame({"item": "lacks", "option": ["lacks__1", "lacks__2", "lacks__3"],
                         "label": ["加装电梯", "停车位", "其他【请注明】"], "label_en": ["Lift", "Parking", "Other"],
                         "n_responses": [120, 80, 3],
                         "pct_of_cases": [60.0, 40.0, 1.5]})


@functools.cache
def _rendered(name: str, lang: str):
    """(figure, PNG bytes, glyph warnings) of one figure, built and rendered once per session."""
    import matplotlib

    before = matplotlib.rcParams.copy()  # not dict(rcParams): reading 'backend' would import pyplot
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = FIGURES[name](lang)
        png = P.png_bytes(fig)
    assert matplotlib.rcParams.copy() == before, "a figure function changed the global rcParams"
    return fig, png, _glyph_warnings(caught)


def _glyph_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]


def _texts(fig) -> list:
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


# ---- tests --------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", P.LANGS)
@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_renders_without_missing_glyphs(name, lang):
    from matplotlib.figure import Figure

    fig, png, glyph_warnings = _rendered(name, lang)
    assert isinstance(fig, Figure)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not glyph_warnings, glyph_warnings
    w_cm, _ = fig.get_size_inches() * 2.54
    assert w_cm == pytest.approx(P.WIDTH_CM)
    texts = _texts(fig)
    assert texts
    assert min(t.get_fontsize() for t in texts) >= 8  # readable at paper size
    has_cjk = any(CJK.search(t.get_text()) for t in texts)
    if lang == "zh" or name == "topic_terms":  # topic terms stay Chinese in an English figure
        assert has_cjk
    else:
        assert not has_cjk, [t.get_text() for t in texts if CJK.search(t.get_text())]


def test_chinese_text_is_set_in_bundled_noto_sans_cjk():
    from matplotlib import font_manager as fm

    fig, _, _ = _rendered("code_role_heatmap", "zh")
    chinese = [t for t in _texts(fig) if CJK.search(t.get_text())]
    assert chinese
    for t in chinese:  # outside the rc context: the font is named on the artist itself
        path = fm.findfont(t.get_fontproperties(), fallback_to_default=False)
        assert path.endswith(P.FONT_FILE), path
    assert P.font_path().parent.parent.name == "mplfonts"
    assert P.font_path().name == "NotoSansCJKsc-Regular.otf"  # OFL, not SimHei


def test_glyph_check_detects_tofu():
    """The warning the tests look for does appear when Chinese is set in a Latin-only font."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    FigureCanvasAgg(fig)
    fig.text(0.1, 0.5, "满意度", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    assert _glyph_warnings(caught)


def test_png_is_byte_identical_across_renders(tmp_path):
    a = F.save_png(F.participation_by_stage(_stages(), "zh", STAGE_LABELS), tmp_path / "a.png")
    b = F.save_png(F.participation_by_stage(_stages(), "zh", STAGE_LABELS), tmp_path / "b.png")
    assert a.read_bytes() == b.read_bytes()
    assert b"Software" not in a.read_bytes()[:400]


def test_import_changes_nothing():
    # (rcParams.copy(), not dict(rcParams): reading 'backend' would import pyplot)
    code = ("import sys, matplotlib as m, matplotlib.font_manager as fm; before = m.rcParams.copy(); "
            "import pipeline.report.figures; "
            "assert 'matplotlib.pyplot' not in sys.modules and 'mplfonts' not in sys.modules; "
            "assert m.rcParams.copy() == before; "
            "assert not any('NotoSansCJK' in f.fname for f in fm.fontManager.ttflist)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_likert_shares_leave_out_missing():
    s = F.likert_shares(_frequencies(), ["sat_water"], [1, 2, 3, 4, 5])
    assert s.loc["sat_water"].sum() == pytest.approx(100)
    assert s.loc["sat_water", 4] == pytest.approx(30 / 80 * 100)


def test_likert_items_from_questionnaire():
    from pipeline.survey.questionnaire import load_questionnaire

    items, scale = F.likert_items(load_questionnaire(QUESTIONNAIRE))
    assert "attention_check" not in set(items["item"])
    assert items.loc[items["item"] == "sat_water", "label_zh"].item() == "供水管网"
    assert items["item"].iloc[-1] == "overall_sat"
    assert list(scale["label_zh"]) == ["非常不满意", "比较不满意", "一般", "比较满意", "非常满意"]


def _write(path: Path, df: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8-sig")


def test_render_all_skips_missing_inputs(tmp_path):
    study = tmp_path / "out"
    _write(study / "stats" / "participation_stages.csv", _stages())
    _write(study / "coding" / "cooccurrence.csv", _cooccurrence())
    _write(study / "coding" / "codebook.csv", _codebook())
    (study / "topics").mkdir()
    (study / "topics" / "topic_terms.csv").write_text("", encoding="utf-8")  # empty: skipped
    out = F.render_all(study, tmp_path / "figs", lang="en")
    assert [r["name"] for r in out] == ["participation_by_stage", "cooccurrence_heatmap"]
    for r in out:
        assert Path(r["file"]).is_file() and Path(r["file"]).name.endswith("_en.png")
        assert CJK.search(r["caption_zh"]) and r["caption_en"] and not CJK.search(r["caption_en"])
    assert F.render_all(tmp_path / "nothing", tmp_path / "figs2") == []


def test_render_all_with_questionnaire(tmp_path):
    study = tmp_path / "out"
    _write(study / "stats" / "frequencies.csv", _frequencies())
    out = F.render_all(study, tmp_path / "figs", lang="zh", questionnaire=QUESTIONNAIRE)
    assert [r["name"] for r in out] == ["likert_satisfaction"]
    assert Path(out[0]["file"]).name == "likert_satisfaction_zh.png"
    assert F.render_all(study, tmp_path / "figs") == []  # no questionnaire found: no Likert figure


def test_ipa_axes_name_the_scale_the_means_are_on():
    """The axis says the scale of stats/ipa.csv (performance_scale, importance_scale): 1–5 only
    when it is 1–5; a 0–10 rating says 0–10; mixed or unknown scales say no range."""
    from matplotlib import pyplot as plt

    for perf, imp, want_x, want_y in [("1–5", "1–5", "Performance (mean satisfaction, 1–5)", "Importance (mean stated importance, 1–5)"),
                                      ("0–10", "1–7", "Performance (mean satisfaction, 0–10)", "Importance (mean stated importance, 1–7)"),
                                      (None, None, "Performance (mean satisfaction)", "Importance (mean stated importance)")]:
        d = _ipa()
        if perf:
            d = d.assign(performance_scale=perf, importance_scale=imp)
        fig = F.ipa_plot(d, "en")
        assert fig.axes[0].get_xlabel() == want_x and fig.axes[0].get_ylabel() == want_y
        plt.close(fig)
    mixed = _ipa().assign(performance_scale=["1–5", "1–5", "0–10", "1–5"], importance_scale="1–5")
    fig = F.ipa_plot(mixed, "zh")
    assert fig.axes[0].get_xlabel() == "表现（满意度均值）"
    plt.close(fig)
