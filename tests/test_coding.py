"""Codebook validation and rule-based coding with evidence, exclusions and negation."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from pipeline.core.errors import InputError
from pipeline.interviews.codebook import load_codebook
from pipeline.interviews.coding import Coder

BOOK = {
    "id": "t", "title": {"zh": "测试"},
    "negation": {"window": 6, "cues": ["不", "没有", "倒不是", "不存在"]},
    "themes": [{"id": "problems", "label": {"zh": "问题", "en": "Problems"}, "codes": [
        {"id": "funding_pressure", "label": {"zh": "资金压力", "en": "Funding pressure"},
         "keywords": ["资金缺口", "资金"], "regex": ["财政.{0,4}补贴.{0,4}(不够|不足)"],
         "exclude_patterns": ["资金.{0,3}(到位|充足)"]},
        {"id": "weak_coordination", "label": {"zh": "协调不畅", "en": "Weak coordination"},
         "keywords": ["推诿", "协调难"], "negation": False},
    ]}],
}


def book(tmp_path, data=BOOK):
    p = tmp_path / "book.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_codebook(p)


def test_codes_with_evidence(tmp_path):
    c = Coder(book(tmp_path))
    got = {r["code"]: r for r in c.code_text("财政补贴远远不够，还有资金缺口；部门之间互相推诿。")}
    assert set(got) == {"funding_pressure", "weak_coordination"}
    assert got["funding_pressure"]["rule"].startswith("regex:") and got["funding_pressure"]["match_start"] == 0
    # keywords match longest first and do not overlap: 资金缺口, not also 资金 inside it
    assert got["funding_pressure"]["evidence"] == "财政补贴远远不够; 资金缺口"
    assert got["weak_coordination"]["evidence"] == "推诿"


@pytest.mark.parametrize("text, codes", [
    ("资金倒不是问题。", set()),                       # a denial after the match ("X 倒不是问题")
    ("倒不是资金的事，主要是协调难。", {"weak_coordination"}),  # cue before the keyword: negated
    ("资金已经到位了。", set()),                       # exclusion pattern vetoes the segment
    ("没有推诿。", {"weak_coordination"}),              # negation switched off for this code
    ("不存在推诿，但资金紧张。", {"funding_pressure", "weak_coordination"}),
    ("不是说不行，资金缺口很大。", {"funding_pressure"}),  # a clause break ends the negation
])
def test_negation_and_exclusions(tmp_path, text, codes):
    c = Coder(book(tmp_path))
    assert {r["code"] for r in c.code_text(text)} == codes


def test_segments_skip_the_interviewer(tmp_path):
    segs = pd.DataFrame({"segment_id": ["a", "b"], "document": ["d", "d"], "informant": ["R1", "R1"],
                         "role": ["resident", "resident"], "is_interviewer": [True, False],
                         "start": [0, 10], "end": [8, 18], "text": ["资金缺口大吗", "资金缺口很大"]})
    out = Coder(book(tmp_path)).code_segments(segs)
    assert out["segment_id"].tolist() == ["b"]
    assert (out["match_start"].item(), out["match_end"].item()) == (10, 14)


def test_codebook_errors_name_the_key(tmp_path):
    bad = yaml.safe_load(yaml.safe_dump(BOOK))
    bad["themes"][0]["codes"][0]["regex"] = ["财政(补贴"]
    with pytest.raises(InputError, match=r"themes\[0\] \(id: problems\)\.codes\[0\] \(id: funding_pressure\)\.regex.*not a valid regular expression"):
        book(tmp_path, bad)
    bad = yaml.safe_load(yaml.safe_dump(BOOK))
    bad["themes"][0]["codes"][1]["id"] = "funding_pressure"
    with pytest.raises(InputError, match="code ids repeat"):
        book(tmp_path, bad)


def test_summaries_count_segments_and_informants(tmp_path):
    from pipeline.interviews.coding import summarise

    segs = pd.DataFrame({
        "segment_id": ["a1", "a2", "b1", "b2", "c1"], "document": ["A", "A", "B", "B", "C"],
        "informant": ["R1", "R1", "R2", "R2", "G1"], "role": ["resident", "resident", "resident", "resident", "street_office"],
        "is_interviewer": [False, False, False, True, False], "start": [0, 20, 0, 30, 0], "end": [18, 40, 25, 50, 30],
        "text": ["资金缺口很大，互相推诿", "还是资金缺口", "资金缺口大", "资金缺口大吗", "协调难，资金缺口也大"]})
    b = book(tmp_path)
    codings = Coder(b).code_segments(segs)
    t = summarise(codings, segs, b)
    by_role = t["code_by_role"].set_index(["code", "role"])
    assert by_role.loc[("funding_pressure", "resident"), ["segments", "informants", "informants_in_role"]].tolist() == [3, 2, 2]
    assert by_role.loc[("funding_pressure", "resident"), "pct_informants"] == 100
    assert by_role.loc[("weak_coordination", "street_office"), "informants"] == 1
    co = t["cooccurrence"].set_index(["code_a", "code_b"])["segments"]
    assert co[("funding_pressure", "weak_coordination")] == 2  # a1 and c1
    fm = t["framework_matrix"].set_index(["informant", "code"])["quote"]
    assert fm[("R1", "funding_pressure")] == "资金缺口很大，互相推诿"  # two matches beat one
    ex = t["exemplar_quotes"]
    # one quote per informant; equal matches and readable lengths: document order
    assert ex[ex["code"] == "funding_pressure"]["informant"].tolist() == ["R1", "R2", "G1"]
    assert ex[ex["code"] == "funding_pressure"]["rank"].tolist() == [1, 2, 3]


def test_batched_coding_equals_text_by_text():
    """Coder.code_texts (each pattern scans all texts joined) gives exactly what code_text gives
    one text at a time — on the real-register set, the held-out set and texts built to trip a
    joined scan (a match that would run across texts, anchors, empty and one-character texts)."""
    import pandas as pd

    from pipeline.core.resources import CODING_SCHEMES
    from pipeline.core.textnorm import normalise_text
    from pipeline.interviews.codebook import load_codebook
    from pipeline.interviews.coding import Coder

    from .conftest import ROOT

    texts = []
    for rel in ("tests/data/realtalk/texts.csv",):
        texts += [normalise_text(t) for t in pd.read_csv(ROOT / rel, encoding="utf-8-sig", keep_default_na=False)["text"]]
    texts += ["", "钱", "仅靠财政资金", "远远不够。", "居民", "不愿意出钱", "维修资金", "就剩一点了", "满意", "不满意"]
    coder = Coder(load_codebook(CODING_SCHEMES / "renewal_governance.yaml"))
    assert coder.code_texts(texts) == [coder.code_text(t) for t in texts]
    assert any(coder.code_texts(texts))
    # anchored and cross-text patterns (the default codebook's rules replaced)
    import re

    coder._rules = [("a", [("regex:^钱", re.compile("^钱")), ("regex:够$", re.compile("够$")),
                           ("regex:cross", re.compile("钱[^。]{0,8}够"))], [], True),
                    ("b", [("keyword:", re.compile("资金"))], [re.compile("^不")], False)]
    odd = ["钱", "不够", "钱多", "够", "资金", "不提资金", "钱不够", "有钱", "够了", "钱", "", "够"]
    got = coder.code_texts(odd)
    assert got == [coder.code_text(t) for t in odd]
    assert [c["code"] for c in got[6]] == ["a"]          # 钱不够: ^钱 and 钱…够 in one text
    assert [c["code"] for c in got[4]] == ["b"] and got[5] == []   # 不提资金: excluded by ^不
    assert got[7] == []                                     # 有钱 | 够了: no match across two texts


def _book(**code):
    from pipeline.interviews.codebook import Codebook

    return Codebook.model_validate({"id": "t", "title": {"zh": "t", "en": "t"}, "themes": [
        {"id": "p", "label": {"zh": "p", "en": "p"}, "codes": [{"id": "c", "label": {"zh": "c", "en": "c"}, **code}]}]})


@pytest.mark.parametrize("text, evidence", [
    ("上头给的那点钱哪够啊", "钱…哪够"),          # the terms in either order
    ("不够的是钱", "不够…钱"),
    ("哪够啊,钱", None),                           # another clause
    ("钱倒不是不够", None),                        # a negation between the terms
    ("资金并不紧张", None),
    ("不少钱都不够用", "钱…不够"),                  # 不少 is a pseudo-negation before the match
    ("钱够了", None),
])
def test_cooccurrence_rules_within_a_clause(text, evidence):
    from pipeline.interviews.coding import Coder

    coder = Coder(_book(cooccur=[[["钱", "资金"], ["哪够", "不够", "紧张"]]]))
    got = coder.code_text(text)
    assert ([g["evidence"] for g in got] or [None]) == [evidence]
    if got:
        assert got[0]["rule"] == f"cooccur:{evidence}"
        assert text[got[0]["match_start"]:got[0]["match_end"]].startswith(evidence.split("…")[0])
    assert coder.code_texts([text, "别的话", text]) == [got, [], got]


def test_cooccurrence_in_a_sentence_scope_and_ignored_spans():
    from pipeline.interviews.coding import Coder

    coder = Coder(_book(cooccur=[{"all": [["以前"], ["现在"], ["好了", "亮"]], "scope": "sentence"}]))
    assert coder.code_text("以前摸黑,现在路灯亮了。")[0]["evidence"] == "以前…现在…亮"
    assert coder.code_text("以前摸黑。现在路灯亮了。") == []
    party = Coder(_book(keywords=["党委"], ignore_patterns=["党委书记[^,。]{0,4}告诉记者"]))
    assert party.code_text("社区党委书记李敏告诉记者,三个小区已经开工。") == []
    got = party.code_text("社区党委书记李敏告诉记者,是社区党委牵头组织的。")
    assert got[0]["match_start"] == 16 and got[0]["evidence"] == "党委"
    texts = ["社区党委书记李敏告诉记者,三个小区已经开工。", "社区党委牵头。"]
    assert party.code_texts(texts) == [party.code_text(t) for t in texts]


def test_cooccurrence_rules_are_checked():
    with pytest.raises(Exception, match="at least"):
        _book(cooccur=[[["钱"]]])
    with pytest.raises(Exception, match="non-empty"):
        _book(cooccur=[[["钱"], [" "]]])
