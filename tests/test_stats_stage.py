"""The stats stage on the demo study: tables exist, agree with the public API, recover the
planted effects and are byte-identical across runs."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from pipeline.stats import reliability
from pipeline.stats import stage as stats_stage


@pytest.fixture(scope="module")
def stats_run(demo_clean):
    st, _ = demo_clean
    log = stats_stage.run(st)
    return st, log


def read(st, name):
    return pd.read_csv(st.stage_dir("stats") / f"{name}.csv", encoding="utf-8-sig")


def test_every_table_is_made(stats_run):
    st, log = stats_run
    assert log["skipped"] == {}
    for name in ["reliability", "item_analysis", "kmo", "bartlett", "efa_loadings", "satisfaction_index",
                 "satisfaction_constructs", "satisfaction_by_community", "ipa", "key_drivers",
                 "participation_overall", "participation_stages", "participation_channels", "participation_depth",
                 "priorities", "priorities_concordance", "priorities_consensus_within", "frequencies",
                 "multi_response", "descriptives", "crosstab_tests", "crosstab_counts", "comparisons",
                 "posthoc_overall_by_community", "model_overall_ordinal", "model_overall_drivers",
                 "model_overall_mixed", "icc", "model_participation", "weights", "weighted_estimates"]:
        assert (st.stage_dir("stats") / f"{name}.csv").exists(), name
    on_disk = json.loads((st.stage_dir("stats") / "stats_log.json").read_text(encoding="utf-8"))
    assert on_disk["rows"] == 600


def test_tables_agree_with_the_api(stats_run):
    st, _ = stats_run
    df = pd.read_parquet(st.stage_dir("clean") / "responses.parquet")
    q = st.questionnaire
    rel = read(st, "reliability").set_index("construct")
    for c in q.constructs:
        expected = reliability(df, q.construct_items(c.id), scale_min=1, scale_max=5)["alpha"].item()
        assert rel.loc[c.id, "alpha"] == pytest.approx(expected, rel=1e-12)
        assert 0.7 < rel.loc[c.id, "alpha"] < 0.95  # the generator's constructs hang together
    assert set(read(st, "satisfaction_index")["weighting"]) == {"equal", "importance", "entropy", "entropy_groups", "regression"}


def test_descriptive_tables(stats_run):
    st, _ = stats_run
    freq = read(st, "frequencies")
    overall = freq[freq["item"] == "overall_sat"]
    assert overall["n"].sum() == 600 and overall["valid_percent"].dropna().sum() == pytest.approx(100)
    multi = read(st, "multi_response")
    problems = multi[(multi["item"] == "problems") & (multi["option"] != "total")].set_index("label")
    # funding and long-term management are the problems most often named (planted)
    assert set(problems["n_responses"].nlargest(2).index) == {"改造资金不足", "改造后缺乏长效管理"}
    tests = read(st, "crosstab_tests")
    tenure = tests[(tests["row_variable"] == "participated") & (tests["col_variable"] == "tenure")]
    assert tenure["p_adj"].item() < 0.001 and tenure["cramers_v"].item() > 0.3
    comp = read(st, "comparisons")
    comm = comp[(comp["group"] == "community") & (comp["dv"] == "score_management") & (comp["test"] == "welch_anova")]
    assert comm["p_adj"].item() < 1e-10


def test_planted_community_effect(stats_run):
    st, _ = stats_run
    by = read(st, "satisfaction_by_community").set_index("label_zh")
    # 纺织厂宿舍 and 铁路新村 have no professional property company: lowest management index
    worst = by["index_management"].nsmallest(2).index
    assert set(worst) == {"纺织厂宿舍", "铁路新村"}
    assert by.loc["梧桐里小区", "ci95_low"] > by.loc["纺织厂宿舍", "ci95_high"]
    kd = read(st, "key_drivers").set_index("driver")
    assert kd.loc["management", "rank"] == 1
    ipa = read(st, "ipa")
    stated = ipa[ipa["importance_type"] == "stated"].set_index("attribute")
    assert stated.loc["management", "quadrant_zh"] == "重点改进区"


def test_models_recover_planted_effects(stats_run):
    st, log = stats_run
    ordinal = read(st, "model_overall_ordinal").set_index("term")
    for code in (3, 6):  # 纺织厂宿舍, 铁路新村 against 梧桐里小区
        row = ordinal.loc[f"C(community)[T.{code}]"]
        assert row["estimate"] < 0 and row["p_val"] < 0.001
    part = read(st, "model_participation").set_index("term")
    assert part.loc["C(tenure)[T.2]", "odds_ratio"] < 0.5 and part.loc["C(tenure)[T.2]", "p_val"] < 0.001
    assert part.loc["years_lived", "estimate"] > 0 and part.loc["years_lived", "p_val"] < 0.001
    drivers = read(st, "model_overall_drivers").set_index("term")
    assert drivers.loc["score_management", "estimate"] > drivers.loc["score_ageing", "estimate"]
    assert 0.05 < read(st, "icc")["icc"].item() < 0.5


def test_weights_to_household_counts(stats_run):
    st, _ = stats_run
    w = read(st, "weights").set_index("community")
    df = pd.read_parquet(st.stage_dir("clean") / "responses.parquet")
    counts = df["community"].value_counts()
    # post-stratified weights reproduce the households of each community
    weighted = (w.set_index("code")["weight"] * counts).to_numpy()
    shares = weighted / weighted.sum()
    hh = w["households"].to_numpy()
    assert shares == pytest.approx(hh / hh.sum(), rel=1e-9)
    est = read(st, "weighted_estimates").set_index("variable")
    # well-managed communities are the large ones: weighting raises the management index
    assert est.loc["index_management", "mean"] > est.loc["index_management", "mean_unweighted"] + 2
    assert (est["deff"] > 1).all() and (est["se"] > 0).all()


def test_stats_tables_are_byte_identical_across_runs(stats_run):
    st, _ = stats_run
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in st.stage_dir("stats").glob("*.csv")}
    stats_stage.run(st)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in st.stage_dir("stats").glob("*.csv")}
    assert before == after and len(before) >= 20


def test_the_random_intercept_model_is_lme4s(stats_run):
    """The demo's random-intercept model once came out degenerate (intercept 2e-16, SE 2.3e6,
    loglik +inf) and was reported as converged. lme4::lmer (REML) on the same data, from the
    independent audit in issue 12 (R 4.2.2): intercept -1.002, loglik -556.85, community variance
    0.0024, ICC 0.0067, management slope 0.4580."""
    m = read(stats_run[0], "model_overall_mixed").set_index("term")
    assert m.loc["Intercept", "estimate"] == pytest.approx(-1.002, abs=5e-4)
    assert m.loc["score_management", "estimate"] == pytest.approx(0.4580, abs=5e-5)
    assert m["fit_loglik"].iloc[0] == pytest.approx(-556.85, abs=5e-3)
    assert m["fit_icc"].iloc[0] == pytest.approx(0.0067, abs=5e-5)
    assert m["se"].max() < 1  # no standard error of millions


def test_every_model_table_says_whether_it_converged_and_what_it_used(stats_run):
    for name in ("model_overall_ordinal", "model_overall_drivers", "model_overall_mixed", "model_participation"):
        t = read(stats_run[0], name)
        assert {"fit_n", "fit_n_dropped", "fit_converged"} <= set(t.columns), name
        assert t["fit_converged"].all() and (t["fit_n"] + t["fit_n_dropped"] > 0).all(), name


def test_wilson_interval_equals_r_prop_test():
    """tests/reference/wilson_prop_test.R: prop.test(k, n, correct = FALSE)$conf.int × 100."""
    from pipeline.stats import wilson_ci

    ref = {(264, 600): (40.0787904235, 47.9975499886), (0, 12): (0.0, 24.2494006655),
           (12, 12): (75.7505993345, 100.0), (7, 40): (8.7454137460, 31.9499903318)}
    for (k, n), (lo, hi) in ref.items():
        assert [100 * x for x in wilson_ci(k, n)] == pytest.approx([lo, hi], abs=1e-8)


def test_item_satisfaction_uses_each_scale_own_top_two(tmp_path):
    """满意率 is the share in the item's own two highest levels: 4-5 of a 1-5 scale, 9-10 of a
    0-10 score, the top level only of a 3-level scale; attention checks are left out."""
    import yaml

    from pipeline.stats.stage import build_tables
    from pipeline.survey.questionnaire import load_questionnaire

    q = {"id": "t", "title": {"zh": "测试"},
         "scales": {"sat5": {"levels": {"很不满意": 1, "不满意": 2, "一般": 3, "满意": 4, "很满意": 5}},
                    "s010": {"levels": {f"{v}分": v for v in range(11)}}},
         "items": [{"id": "a", "q": 1, "type": "likert", "scale": "sat5"},
                   {"id": "b", "q": 2, "type": "likert", "scale": "s010"},
                   {"id": "c", "q": 3, "type": "likert", "options": {"差": 1, "中": 2, "好": 3}},
                   {"id": "chk", "q": 4, "type": "likert", "scale": "sat5"}],
         "quality": {"attention": [{"item": "chk", "passes": [4]}]}}
    p = tmp_path / "q.yaml"
    p.write_text(yaml.safe_dump(q, allow_unicode=True, sort_keys=False), encoding="utf-8")
    qq = load_questionnaire(p)
    df = pd.DataFrame({"a": pd.array([5, 4, 3, 1, None], dtype="Int16"), "b": pd.array([10, 9, 8, 0, 10], dtype="Int16"),
                       "c": pd.array([3, 3, 2, 1, 1], dtype="Int16"), "chk": pd.array([4] * 5, dtype="Int16")})
    log = {"computed": [], "skipped": {}}
    tab = build_tables(qq, df, 1, log)["item_satisfaction"].set_index("item")
    assert list(tab.index) == ["a", "b", "c"]
    assert tab.loc["a", "top2_pct"] == 50.0 and tab.loc["a", "n"] == 4 and tab.loc["a", "bottom2_pct"] == 25.0
    assert tab.loc["b", "top2_pct"] == 60.0 and tab.loc["b", "top2_codes"] == "9/10"
    assert tab.loc["c", "top2_pct"] == 40.0 and tab.loc["c", "top2_codes"] == "3"
    assert tab.loc["a", "satisfaction_scale"] and not tab.loc["c", "satisfaction_scale"]
    assert list(tab["rank_lowest"]) == [2, 3, 1]
    # 0–100 by each item's own range: (mean − lowest) / (highest − lowest)
    assert tab.loc["a", "index"] == pytest.approx(100 * (13 / 4 - 1) / 4)
    assert tab.loc["b", "index"] == pytest.approx(100 * (37 / 5) / 10)      # a 0–10 score: 0 is the bottom
    assert (tab.loc["b", "scale_min"], tab.loc["b", "scale_max"]) == (0, 10)


def test_construct_score_rule_is_the_questionnaires(tmp_path):
    """scoring.min_answered: with 1.0 a respondent who skipped one item of a construct has no
    score; with 0.5 (the default) the mean of the answered items."""
    import yaml

    from pipeline.stats.stage import build_tables
    from pipeline.survey.questionnaire import load_questionnaire

    base = {"id": "t", "title": {"zh": "测试"},
            "scales": {"s5": {"levels": {"很不满意": 1, "不满意": 2, "一般": 3, "满意": 4, "很满意": 5}}},
            "constructs": [{"id": "c", "label": {"zh": "维度"}}, {"id": "d", "label": {"zh": "维度二"}}],
            "items": [{"id": "m", "q": 1, "type": "matrix", "scale": "s5", "construct": "c",
                       "rows": [{"id": "a1", "label": "甲"}, {"id": "a2", "label": "乙"}]},
                      {"id": "n", "q": 2, "type": "matrix", "scale": "s5", "construct": "d",
                       "rows": [{"id": "b1", "label": "丙"}, {"id": "b2", "label": "丁"}]}]}
    df = pd.DataFrame({"a1": pd.array([5, 4, 1, 2], dtype="Int16"), "a2": pd.array([5, None, 1, 3], dtype="Int16"),
                       "b1": pd.array([3, 3, 2, 4], dtype="Int16"), "b2": pd.array([4, 3, 2, 5], dtype="Int16")})
    out = {}
    for share in (0.5, 1.0):
        p = tmp_path / f"q{share}.yaml"
        p.write_text(yaml.safe_dump({**base, "scoring": {"min_answered": share}}, allow_unicode=True, sort_keys=False),
                     encoding="utf-8")
        tabs = build_tables(load_questionnaire(p), df, 1, {"computed": [], "skipped": {}})
        out[share] = tabs["satisfaction_constructs"].query("weighting == 'equal'").set_index("construct")
    assert out[0.5].loc["c", "n"] == 4 and out[1.0].loc["c", "n"] == 3
    assert out[1.0].loc["c", "mean"] == pytest.approx((5 + 1 + 2.5) / 3)
    assert out[0.5].loc["c", "mean"] == pytest.approx((5 + 4 + 1 + 2.5) / 4)


def test_cfa_tables_of_the_demo_equal_lavaan(demo_clean):
    """tests/reference/lavaan_demo_cfa.R: the stage's CFA of the five constructs (375 complete
    rows) against lavaan and semTools."""
    from pipeline.stats.stage import build_tables

    st, df = demo_clean
    tabs = build_tables(st.questionnaire, df, 1, {"computed": [], "skipped": {}})
    f = tabs["cfa_fit"].iloc[0]
    assert f["n"] == 375 and f["df"] == 199
    # the project's own ML fitter: lavaan's numbers to the optimiser's tolerance
    assert f["chi2"] == pytest.approx(213.9746236208571, rel=1e-7)
    assert (f["cfi"], f["tli"], f["rmsea"]) == pytest.approx((0.9952533879692, 0.9944901136728, 0.0141656264649), rel=1e-6)
    assert (f["rmsea_ci90_low"], f["rmsea_ci90_high"]) == pytest.approx((0.0, 0.0270008886729), rel=1e-6)
    assert f["srmr"] == pytest.approx(0.0349422245050, rel=1e-6)
    c = tabs["validity_constructs"].set_index("construct")
    assert list(c["cr_model"]) == pytest.approx([0.870417673341, 0.819493184315, 0.800986435022, 0.843105653360,
                                                 0.810316021894], rel=1e-6)
    h = tabs["htmt"].set_index("construct")
    assert h.loc["infrastructure", "environment"] == pytest.approx(0.359370126724, rel=1e-9)
    assert h.loc["management", "process"] == pytest.approx(0.449617825834, rel=1e-9)
    assert c["fornell_larcker"].all() and (c["ave"] > 0.5).all()
    assert 20 < tabs["harman"]["pct_variance"].iloc[0] < 40


def test_the_analysis_plan_runs_and_names_a_wrong_key(demo_clean, tmp_path):
    """analyses: in the study file → mediation and moderation tables; a name the questionnaire
    lacks is one line naming analyses[i].key."""
    from pipeline.core.errors import InputError
    from pipeline.core.study import Analysis
    from pipeline.stats.stage import build_tables

    st, df = demo_clean
    plan = [Analysis(type="mediation", x="process", m="management", y="overall_sat", n_boot=500),
            Analysis(type="moderation", x="management", w="years_lived", y="overall_sat")]
    tabs = build_tables(st.questionnaire, df, 1, {"computed": [], "skipped": {}}, analyses=plan)
    med = tabs["mediation"].set_index("effect")
    assert med.loc["indirect", "estimate"] == pytest.approx(med.loc["a", "estimate"] * med.loc["b", "estimate"])
    assert med.loc["indirect", "ci95_low"] > 0
    assert list(tabs["moderation_simple_slopes"]["w_level"]) == ["mean − 1 SD", "mean", "mean + 1 SD"]
    bad = [Analysis(type="mediation", x="process", m="nothing_here", y="overall_sat", n_boot=100)]
    with pytest.raises(InputError) as e:
        build_tables(st.questionnaire, df, 1, {"computed": [], "skipped": {}}, analyses=bad)
    assert e.value.key == "analyses[0].m" and "nothing_here" in str(e.value)


def test_the_demo_mediation_equals_r(demo_clean):
    """tests/reference/mediation_moderation.R: the demo's process → management → overall paths
    (exact) and the 5000-resample bootstrap (within Monte-Carlo error of R's)."""
    from pipeline.core.study import Analysis
    from pipeline.stats.stage import build_tables

    st, df = demo_clean
    plan = [Analysis(type="mediation", x="process", m="management", y="overall_sat")]
    med = build_tables(st.questionnaire, df, 20240501, {"computed": [], "skipped": {}}, analyses=plan)["mediation"]
    m = med.set_index("effect")
    assert m.loc["a", "estimate"] == pytest.approx(0.3797331795079, rel=1e-9)
    assert m.loc["a", "se"] == pytest.approx(0.0410911080073, rel=1e-9)
    assert m.loc["b", "estimate"] == pytest.approx(0.5605688579416, rel=1e-9)
    assert m.loc["c_prime", "estimate"] == pytest.approx(0.5383655311053, rel=1e-9)
    assert m.loc["indirect", "se"] == pytest.approx(0.026362, abs=0.002)
    assert (m.loc["indirect", "ci95_low"], m.loc["indirect", "ci95_high"]) == pytest.approx((0.164017, 0.265539), abs=0.005)


def test_a_structural_model_in_the_plan_equals_lavaan_and_names_a_wrong_variable(demo_clean):
    """analyses: type sem → sem_fit, sem_estimates, sem_indirect equal to lavaan::sem on the demo
    (tests/reference/lavaan_sem.R); constructs become latent variables measured by their items."""
    import json

    from pipeline.core.errors import InputError
    from pipeline.core.study import Analysis
    from pipeline.stats.stage import build_tables

    from .conftest import ROOT

    ref = json.loads((ROOT / "tests" / "reference" / "lavaan_sem.json").read_text())["demo"]
    st, df = demo_clean
    plan = [Analysis(type="sem", model="management ~ process\noverall_sat ~ management + process")]
    tabs = build_tables(st.questionnaire, df, 1, {"computed": [], "skipped": {}}, analyses=plan)
    f = tabs["sem_fit"].iloc[0]
    assert f["n"] == ref["nobs"] == 552
    assert f["chi2"] == pytest.approx(ref["fit"]["chisq"], rel=1e-6)
    assert f["aic"] == pytest.approx(ref["fit"]["aic"], rel=1e-9)
    e = tabs["sem_estimates"]
    reg = e[e["kind"] == "regression"].set_index(["lhs", "rhs"])
    for r in ref["est"]:
        if r["op"] == "~":
            row = reg.loc[(r["lhs"], r["rhs"])]
            assert row["est"] == pytest.approx(r["est"], rel=1e-5)
            assert row["se"] == pytest.approx(r["se"], rel=1e-5)
            assert row["std_all"] == pytest.approx(r["std_all"], rel=1e-5)
    assert set(e["kind"]) == {"loading", "regression", "residual_variance", "variance"}
    assert reg.loc[("overall_sat", "management"), "lhs_zh"] == "总体满意度"
    ind = tabs["sem_indirect"].iloc[0]
    want = next(r for r in ref["est"] if r["lhs"] == "ind")
    assert ind["est"] == pytest.approx(want["est"], rel=1e-5) and ind["method"] == "delta method"
    for model, key in (("management ~ nothing_here", "analyses[0].model"), ("management ~ a*process", "analyses[0].model")):
        with pytest.raises(InputError) as err:
            build_tables(st.questionnaire, df, 1, {"computed": [], "skipped": {}}, analyses=[Analysis(type="sem", model=model)])
        assert err.value.key == key
    with pytest.raises(ValueError, match="a sem needs 'model'"):
        Analysis(type="sem")
    with pytest.raises(ValueError, match="takes its variables from 'model'"):
        Analysis(type="sem", model="a ~ b", x="a")
