"""The default codebook on passages in the registers of real speech (tests/data/realtalk/README.md:
hotline complaints, forum posts, news quotes, work reports, dialect, traditional script, abstracts),
written and coded from the definitions by someone who never saw the rules (issue 14's evaluation
set). The floors hold the measured baseline so that no change makes it worse; the target is
macro F1 ≥ 0.75 with precision ≥ 0.80 and no code under 0.5."""

from __future__ import annotations

import pandas as pd

from pipeline.core.resources import CODING_SCHEMES
from pipeline.core.textnorm import normalise_text
from pipeline.interviews.agreement import compare
from pipeline.interviews.codebook import load_codebook
from pipeline.interviews.coding import Coder

from .conftest import ROOT

SETS = {"realtalk": ROOT / "tests/data/realtalk", "fresh": ROOT / "tests/data/fresh",
        "devtalk3": CODING_SCHEMES / "examples/devtalk3", "devtalk4": CODING_SCHEMES / "examples/devtalk4", "devtalk": CODING_SCHEMES / "examples/devtalk",
        "devtalk2": CODING_SCHEMES / "examples/devtalk2"}


def _scores(name: str = "realtalk", examples: bool = False):
    """Passage-level agreement of the default codebook's rules (and, with ``examples``, the
    default 'examples' coder at its default threshold added as the stage adds it)."""
    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    coder = Coder(book)
    texts = pd.read_csv(SETS[name] / "texts.csv", encoding="utf-8-sig", keep_default_na=False)
    ref = pd.DataFrame([(r.id, c) for r in texts.itertuples() for c in r.codes.split()], columns=["segment_id", "code"])
    # as the interviews stage reads text: NFKC, traditional folded to simplified
    got = pd.DataFrame([(r.id, c["code"]) for r in texts.itertuples() for c in coder.code_text(normalise_text(r.text))],
                       columns=["segment_id", "code"])
    if examples:
        from pipeline.interviews.suggest import ExamplesCoder

        p = ExamplesCoder(book).predict([normalise_text(t) for t in texts["text"]])
        from pipeline.core.study import CoderConfig

        threshold = CoderConfig(name="examples").threshold
        extra = [(texts["id"].iloc[i], c) for c in p.columns for i in range(len(p)) if p[c].iloc[i] >= threshold]
        got = pd.concat([got, pd.DataFrame(extra, columns=["segment_id", "code"])]).drop_duplicates()
    per_code, s = compare(ref, got, texts["id"].tolist(), list(book.codes))
    return texts, per_code, s


def test_realtalk_set_is_complete():
    texts, _, _ = _scores()
    assert len(texts) == 120 and texts["id"].is_unique
    assert texts["genre"].value_counts().to_dict() == {"热线投诉": 25, "论坛/业主群帖子": 25, "新闻引语": 20,
                                                       "工作报告/总结": 15, "方言/口语访谈": 15, "繁体字文本": 10, "学术摘要": 10}
    assert (texts["codes"] == "").sum() == 20


def test_default_codebook_on_real_registers_holds_its_baseline():
    _, per_code, s = _scores()
    # measured at the set's arrival (codebook v2): macro P 0.784, R 0.493, F1 0.581. Codebook v3
    # (plain-speech rules written from pipeline/data/coding_schemes/examples/devtalk, never from this set): P 0.788, R 0.578,
    # F1 0.649 — poor_communication 0.55 → 0.80, low_participation 0.36 → 0.62, interest_conflicts
    # 0.33 → 0.57; facility_deficits (0.30), satisfaction (0.38) and resident_deliberation (0.38)
    # lowest; with resident_deliberation's sense restrictions (from devtalk2) P 0.793, F1 0.652
    assert s["macro_precision"] >= 0.78
    assert s["macro_f1"] >= 0.64
    assert s["macro_recall"] >= 0.57
    assert per_code.set_index("code").loc["poor_communication", "f1"] >= 0.75


def test_rules_and_the_examples_coder_on_real_registers():
    """The default coders (rules, then 'examples' at 0.45, trained on the bundled development
    passages only): macro P 0.766, R 0.718, F1 0.725 on this evaluation set (rules alone 0.652)."""
    _, per_code, s = _scores(examples=True)
    assert s["macro_precision"] >= 0.75 and s["macro_recall"] >= 0.70 and s["macro_f1"] >= 0.71


def test_development_set_is_separate_and_scored():
    """pipeline/data/coding_schemes/examples/devtalk: 200 passages written and coded from the definitions by another coder who
    never saw the rules — the set the v3 rules were written from (so its score is optimistic: v2
    scored F1 0.578 on it, v3 0.851). No passage is shared with the evaluation set."""
    dev, _, s = _scores("devtalk")
    real, _, _ = _scores()
    assert len(dev) == 200 and dev["id"].is_unique
    assert not set(dev["text"]) & set(real["text"])
    assert s["macro_precision"] >= 0.88 and s["macro_f1"] >= 0.83
    dev2, _, s2 = _scores("devtalk2")
    # the second development set (220 passages) arrived after v3 was written: v2 F1 0.522, v3 0.549
    assert len(dev2) == 220 and not set(dev2["text"]) & (set(real["text"]) | set(dev["text"]))
    assert s2["macro_f1"] >= 0.54


def test_a_second_evaluation_set_nobody_tuned_on():
    """tests/data/fresh: 160 passages (focus groups, petitions, minutes, reportage, professionals,
    dialect, traditional script) written and coded from the definitions by a third coder, first
    run after codebook v3 and the examples coder were fixed and never used to change either:
    v2 rules F1 0.465, v3 rules P 0.757 R 0.420 F1 0.516, rules + examples (420 passages, 0.45)
    P 0.765 R 0.575 F1 0.637; now rules 0.514, rules + examples (920 passages, 0.55) P 0.764 R 0.597
    F1 0.655."""
    texts, _, rules = _scores("fresh")
    _, _, both = _scores("fresh", examples=True)
    assert len(texts) == 160 and texts["id"].is_unique
    assert rules["macro_precision"] >= 0.74 and rules["macro_f1"] >= 0.50
    assert both["macro_precision"] >= 0.75 and both["macro_f1"] >= 0.64


def test_training_passages_share_no_text_with_the_evaluation_sets():
    """The examples coder's 920 passages and the three evaluation sets are disjoint, also after
    normalisation (NFKC, traditional folded)."""
    ev = set()
    for name in ("realtalk", "fresh"):
        ev |= {normalise_text(t) for t in pd.read_csv(SETS[name] / "texts.csv", encoding="utf-8-sig")["text"]}
    ev |= {normalise_text(t) for t in pd.read_csv(ROOT / "tests/data/heldout/texts.csv", encoding="utf-8-sig")["text"]}
    train = [normalise_text(t) for n in ("devtalk", "devtalk2", "devtalk3", "devtalk4")
             for t in pd.read_csv(SETS[n] / "texts.csv", encoding="utf-8-sig")["text"]]
    assert len(train) == 920 and len(set(train)) == 920
    assert not set(train) & ev
