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


def _scores(name: str = "realtalk"):
    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    coder = Coder(book)
    texts = pd.read_csv(ROOT / f"tests/data/{name}/texts.csv", encoding="utf-8-sig", keep_default_na=False)
    ref = pd.DataFrame([(r.id, c) for r in texts.itertuples() for c in r.codes.split()], columns=["segment_id", "code"])
    # as the interviews stage reads text: NFKC, traditional folded to simplified
    got = pd.DataFrame([(r.id, c["code"]) for r in texts.itertuples() for c in coder.code_text(normalise_text(r.text))],
                       columns=["segment_id", "code"])
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
    # (plain-speech rules written from tests/data/devtalk, never from this set): P 0.788, R 0.578,
    # F1 0.649 — poor_communication 0.55 → 0.80, low_participation 0.36 → 0.62, interest_conflicts
    # 0.33 → 0.57; facility_deficits (0.30), satisfaction (0.38) and resident_deliberation (0.38)
    # lowest
    assert s["macro_precision"] >= 0.78
    assert s["macro_f1"] >= 0.64
    assert s["macro_recall"] >= 0.57
    assert per_code.set_index("code").loc["poor_communication", "f1"] >= 0.75


def test_development_set_is_separate_and_scored():
    """tests/data/devtalk: 200 passages written and coded from the definitions by another coder who
    never saw the rules — the set the v3 rules were written from (so its score is optimistic: v2
    scored F1 0.578 on it, v3 0.851). No passage is shared with the evaluation set."""
    dev, _, s = _scores("devtalk")
    real, _, _ = _scores()
    assert len(dev) == 200 and dev["id"].is_unique
    assert not set(dev["text"]) & set(real["text"])
    assert s["macro_precision"] >= 0.88 and s["macro_f1"] >= 0.83
