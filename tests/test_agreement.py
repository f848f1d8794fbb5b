"""Agreement: Cohen's kappa, Krippendorff's alpha (nominal, interval, MASI), spans → segment units,
gold files (CSV offsets before redaction), and the demo study's agreement tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from pipeline.core.errors import InputError
from pipeline.interviews import agreement as ag


def test_cohen_kappa_equals_sklearn():
    rng = np.random.default_rng(3)
    for _ in range(5):
        a = rng.integers(0, 3, 200)
        b = np.where(rng.random(200) < 0.6, a, rng.integers(0, 3, 200))
        assert ag.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), rel=1e-12)
    assert math.isnan(ag.cohen_kappa([0, 0, 0], [0, 0, 0]))


def test_krippendorff_alpha_published_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers, 12 units,
    # missing values; alpha nominal 0.743, interval 0.849 (also the `krippendorff` package's values)
    n = None
    rel = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n], [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
           [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n], [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    units = list(zip(*rel))
    assert ag.krippendorff_alpha(units) == pytest.approx(0.743421052631579, rel=1e-12)
    assert ag.krippendorff_alpha(units, "interval") == pytest.approx(0.8491071428571428, rel=1e-12)


def test_masi_alpha_equals_nltk():
    # value from nltk.metrics.agreement.AnnotationTask(distance=masi_distance).alpha() (nltk 3.9),
    # with d(∅, ∅) = 0 (nltk divides by zero there)
    pairs = ["ad a", "bc bc", "ad ad", "ab abd", "- b", "ad ad", "- c", "- b", "bde bde", "cde cd", "a ae",
             "bd bcd", "b be", "bc bc", "ac ac", "abde abcde", "bc bcd", "ae a", "e ae", "b be", "c c",
             "cde acde", "e ae", "b b", "cde cde", "- -"]
    units = [[frozenset(x.strip("-")) for x in p.split()] for p in pairs]
    assert ag.krippendorff_alpha(units, "masi") == pytest.approx(0.5100445440868462, rel=1e-12)
    assert ag.masi_distance(frozenset("ab"), frozenset("a")) == pytest.approx(1 - 0.5 * 2 / 3)
    assert ag.masi_distance(frozenset("ab"), frozenset("bc")) == pytest.approx(1 - 1 / 3 * 1 / 3)


SEGS = pd.DataFrame({
    "segment_id": ["d-1", "d-2", "d-3", "d-4", "d-5"], "document": ["d.txt"] * 5,
    "is_interviewer": [True, False, False, False, False],
    "start": [0, 10, 20, 40, 50], "end": [10, 20, 40, 50, 60]})


def test_spans_map_to_segments_by_half_overlap():
    spans = pd.DataFrame({"document": ["d.txt"] * 4, "start": [10, 19, 25, 2], "end": [40, 30, 28, 8],
                          "code": ["a", "b", "c", "d"]})
    pairs, on_iv = ag.spans_to_units(spans, SEGS)
    # a: two whole segments; b: one character spills into d-2, the rest lies in d-3 only;
    # c: a clause inside d-3; d: only on the interviewer's turn
    assert sorted(map(tuple, pairs.to_numpy())) == [("d-2", "a"), ("d-3", "a"), ("d-3", "b"), ("d-3", "c")]
    assert on_iv == 1


def test_compare_counts_and_ignores_jointly_uncoded_units():
    ref = pd.DataFrame({"segment_id": ["u1", "u2", "u3"], "code": ["a", "a", "b"]})
    cand = pd.DataFrame({"segment_id": ["u1", "u3", "u4"], "code": ["a", "b", "b"]})
    table, s = ag.compare(ref, cand, ["u1", "u2", "u3", "u4", "u5"], ["a", "b", "c"])
    a, b, c = (table.set_index("code").loc[k] for k in "abc")
    assert (a.tp, a.fp, a.fn, a.tn) == (1, 0, 1, 3) and a.precision == 1 and a.recall == 0.5
    assert (b.tp, b.fp, b.fn) == (1, 1, 0) and b.f1 == pytest.approx(2 / 3)
    assert a.kappa == pytest.approx(cohen_kappa_score([1, 1, 0, 0, 0], [1, 0, 0, 0, 0]))
    assert math.isnan(c.f1) and s["codes_compared"] == 2
    assert s["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2) and s["micro_f1"] == pytest.approx(4 / 6)
    # a thousand more units neither coder coded change neither F1 nor the alpha on coded units
    more = ["u1", "u2", "u3", "u4", "u5"] + [f"x{i}" for i in range(1000)]
    table2, s2 = ag.compare(ref, cand, more, ["a", "b", "c"])
    assert s2["macro_f1"] == s["macro_f1"] and s2["alpha_masi_coded_units"] == s["alpha_masi_coded_units"]
    assert s2["units_coded_by_either"] == s["units_coded_by_either"] == 4


def test_gold_csv_offsets_are_mapped_through_redactions(tmp_path):
    # original text "我叫韩志峰,资金缺口很大。" → redacted "我叫[姓名:G01],资金缺口很大。"
    texts = {"G01.txt": "我叫[姓名:G01],资金缺口很大。"}
    reds = pd.DataFrame({"document": ["G01.txt"], "start": [2], "end": [10], "source_start": [2], "source_end": [5]})
    p = tmp_path / "gold.csv"
    p.write_text("document,start,end,code\nG01.txt,6,13,funding_pressure\nG01.txt,0,5,trust_belonging\n",
                 encoding="utf-8")
    spans = ag.read_spans(p, texts, reds)
    t = texts["G01.txt"]
    assert t[spans.start[0]:spans.end[0]] == "资金缺口很大。"
    assert t[spans.start[1]:spans.end[1]] == "我叫[姓名:G01]" and spans.coder[0] == "gold"


@pytest.mark.parametrize("body, column, value, message", [
    ("G01.txt,5,x,a", "end", "x", "whole numbers"),
    ("G01.txt,5,3,a", "end", "3", "end after it starts"),
    ("G09.txt,0,3,a", "document", "G09.txt", "not among the transcripts"),
    ("G01.txt,0,300,a", "end", "300", "after the end of the text"),
])
def test_gold_errors_name_row_and_column(tmp_path, body, column, value, message):
    p = tmp_path / "gold.csv"
    p.write_text("document,start,end,code\nG01.txt,0,2,a\n" + body + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as e:
        ag.read_spans(p, {"G01.txt": "一二三四五六七八九十"})
    assert e.value.row == 3 and e.value.column == column and str(e.value.value) == value


def test_demo_agreement(demo_interviews):
    out = demo_interviews.stage_dir("coding")
    summary = pd.read_csv(out / "agreement.csv", encoding="utf-8-sig").set_index("comparison")
    assert list(summary.index) == ["pipeline vs gold_codes", "pipeline vs gold_codes_coder2",
                                   "gold_codes_coder2 vs gold_codes"]
    first = summary.loc["pipeline vs gold_codes"]
    assert first.documents == 6 and first.spans_on_interviewer_turns == 0
    assert first.macro_f1 >= 0.7  # the bar for the default codebook on the demo gold
    humans = summary.loc["gold_codes_coder2 vs gold_codes"]
    assert humans.documents == 4 and 0 < humans.alpha_masi_coded_units <= 1
    by_code = pd.read_csv(out / "agreement_by_code.csv", encoding="utf-8-sig")
    assert len(by_code) == 3 * 19
    sub = by_code[by_code.comparison == "pipeline vs gold_codes"]
    assert (sub.tp + sub.fn).sum() >= first.units_coded_by_reference  # a unit may carry several codes
    assert ((sub.tp + sub.fp + sub.fn + sub.tn) == first.units).all()
