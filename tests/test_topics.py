"""Topics stage: NPMI by hand, two planted topics, TextRank, units, determinism of the stage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.interviews import topics as T

from .conftest import write_study

ELEVATOR = ["电梯", "加装", "楼层", "一楼", "井道", "采光", "低层", "噪音"]
FEES = ["物业费", "收费", "物业", "保洁", "缴费", "涨价", "服务", "账目"]
NOISE = ["居民", "大家", "时候", "事情"]


def _segment(i: int, tokens: list[str], *, role: str = "resident", turn: int = 1, doc: str | None = None,
             interviewer: bool = False, community: str = "甲小区") -> dict:
    doc = doc or f"D{i:02d}"
    return {"segment_id": f"{doc}-{turn:03d}-{i:02d}", "document": doc, "informant": doc, "role": role,
            "community": community, "speaker": "访谈者" if interviewer else doc, "is_interviewer": interviewer,
            "turn": turn, "start": 10 * i, "end": 10 * i + 9, "text": "".join(tokens) + "。", "tokens": tokens}


def two_topic_segments(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """n one-sentence documents, alternately about elevators and about property fees (five of the
    topic's eight words) plus one background word; the fee half is said by the property company."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        words, role = (ELEVATOR, "resident") if i % 2 == 0 else (FEES, "property_company")
        toks = [str(t) for t in rng.choice(words, size=5, replace=False)] + [str(rng.choice(NOISE))]
        rows.append(_segment(i, toks, role=role))
    rows.append(_segment(99, ["电梯", "物业"], interviewer=True))  # the interviewer's words are left out
    return pd.DataFrame(rows)


OPTIONS = dict(k_min=2, k_max=4, top_n=5, min_df=2, max_df=1.0, unit_tokens=0)


# ---- NPMI ------------------------------------------------------------------------------------

def test_npmi_matches_hand_computation():
    # units: {a, b}, {a, b}, {a, c}, {d}
    b = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]])
    m = T.npmi_matrix(b, [0, 1, 2])
    # p(a) = 3/4, p(b) = 1/2, p(a, b) = 1/2: log((1/2) / (3/4 · 1/2)) / −log(1/2) = log(4/3) / log 2
    assert m[0, 1] == pytest.approx(math.log(4 / 3) / math.log(2), abs=1e-9)
    # p(c) = 1/4, p(a, c) = 1/4: log((1/4) / (3/4 · 1/4)) / −log(1/4) = log(4/3) / log 4
    assert m[0, 2] == pytest.approx(math.log(4 / 3) / math.log(4), abs=1e-9)
    assert m[1, 2] == -1.0  # b and c never meet
    assert np.allclose(m, m.T)
    expected = (math.log(4 / 3) / math.log(2) + math.log(4 / 3) / math.log(4) - 1) / 3
    assert T.topic_npmi(b, [[0, 1, 2]])[0] == pytest.approx(expected, abs=1e-9)
    # two terms in every unit: 1; independent terms: 0
    every = np.array([[1, 1], [1, 1]])
    assert T.npmi_matrix(every, [0, 1])[0, 1] == 1.0
    indep = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])
    assert T.npmi_matrix(indep, [0, 1])[0, 1] == pytest.approx(0.0, abs=1e-9)


def test_token_filter():
    assert T.filter_tokens(["电梯", "钱", "2024", "3.5", "50%", "加装电梯", "ok", "七十"], frozenset({"ok"})) == \
        ["电梯", "加装电梯", "七十"]


# ---- models ----------------------------------------------------------------------------------

def test_two_planted_topics_are_found_by_both_models():
    tables, log = T.analyse(two_topic_segments(), seed=1, **OPTIONS)
    assert log["units"] == 40 and log["segments"] == 40
    assert log["chosen"]["nmf"]["k"] == 2 and log["chosen"]["lda"]["k"] == 2
    coh = tables["coherence"]
    assert coh.groupby("model")["chosen"].sum().to_dict() == {"lda": 1, "nmf": 1}
    assert sorted(coh["k"].unique()) == [2, 3, 4]
    terms = tables["topic_terms"]
    for model in ("nmf", "lda"):
        tops = [set(g["term"]) for _, g in terms[terms["model"] == model].groupby("topic")]
        assert len(tops) == 2
        assert sorted(len(t & set(ELEVATOR)) for t in tops) == [0, 5], (model, tops)
        assert sorted(len(t & set(FEES)) for t in tops) == [0, 5], (model, tops)
    topics = tables["topics"]
    assert set(topics.columns) >= {"model", "topic", "label", "share_overall", "npmi"}
    assert topics["label"].str.count("·").eq(2).all()
    # the fee topic is the property company's
    share = tables["topic_share_by_role"]
    assert np.allclose(share.groupby(["model", "role"])["share"].sum(), 1, atol=1e-5)
    for model in ("nmf", "lda"):
        s = share[share["model"] == model]
        mine = topics[topics["model"] == model]
        fee_topic = mine[mine["terms"].map(lambda t: bool(set(t.split()) & set(FEES)))]["topic"].item()
        pc = s[(s["role"] == "property_company") & (s["topic"] == fee_topic)]["share"].item()
        assert pc > 0.9
    # representative segments: at most five per topic, one per informant, by decreasing weight
    q = tables["topic_segments"]
    assert q.groupby(["model", "topic"]).size().max() <= 5
    assert not q.duplicated(["model", "topic", "informant"]).any()
    assert (q.groupby(["model", "topic"])["weight"].diff().dropna() <= 0).all()


def test_choose_prefers_the_smaller_k_on_a_tie():
    f = [T.Fit("nmf", k, np.zeros((k, 2)), np.zeros((1, k)), np.array([0.25] * k)) for k in (5, 3, 4)]
    assert T.choose(f).k == 3


# ---- units -----------------------------------------------------------------------------------

def test_units_merge_consecutive_segments_of_one_turn():
    rows = [_segment(1, ["电梯", "加装", "楼层"], doc="R01", turn=2), _segment(2, ["一楼", "采光", "噪音"], doc="R01", turn=2),
            _segment(3, ["井道", "低层"], doc="R01", turn=2), _segment(4, ["物业费", "收费", "物业"], doc="R01", turn=4),
            _segment(5, ["好的"], doc="R01", turn=3, interviewer=True)]
    seg = T.informant_segments(pd.DataFrame(rows))
    units = T.make_units(seg, unit_tokens=5)
    # turn 2: 3 + 3 terms make a unit, the remaining 2 join it; turn 4 is its own unit
    assert units["segment_ids"].tolist() == ["R01-002-01 R01-002-02 R01-002-03", "R01-004-04"]
    assert units["unit"].tolist() == ["R01-002-01", "R01-004-04"]
    assert units["terms"].map(len).tolist() == [8, 3]
    assert T.make_units(seg, unit_tokens=0)["unit"].tolist() == ["R01-002-01", "R01-002-02", "R01-002-03", "R01-004-04"]
    assert T.make_units(seg, unit_tokens=3)["segment_ids"].tolist() == ["R01-002-01", "R01-002-02 R01-002-03", "R01-004-04"]


def test_community_names_are_dropped():
    segs = pd.DataFrame([_segment(1, ["铁路", "新村", "电梯"], community="铁路新村")])
    assert T.place_words(segs) == frozenset({"铁路", "新村"})


# ---- TextRank and keywords -------------------------------------------------------------------

def test_textrank_ranks_the_hub_first():
    lists = [["电梯", "加装"], ["电梯", "楼层"], ["电梯", "一楼"], ["电梯", "补偿"], ["加装", "楼层"]]
    s = T.textrank(lists)
    assert s.index[0] == "电梯"
    assert s.sum() == pytest.approx(1, abs=1e-5)
    # a star: the leaves tie and come in term order
    star = T.textrank([["中心", w] for w in ["丙", "乙", "甲", "丁"]])
    assert star.index.tolist() == ["中心", "丁", "丙", "乙", "甲"]
    assert star.iloc[0] > star.iloc[1] == star.iloc[4]
    # the window: with window 2 only neighbours are linked, so 甲 and 丙 are not
    chain = T.textrank([["甲", "乙", "丙"]], window=2)
    assert chain.index[0] == "乙"
    assert chain["甲"] == chain["丙"]


def test_keywords_by_role():
    seg = T.informant_segments(two_topic_segments())
    kw = T.keywords_by_role(seg, top=3)
    assert kw.groupby(["role", "method"]).size().to_dict() == {
        ("property_company", "textrank"): 3, ("property_company", "tfidf"): 3,
        ("resident", "textrank"): 3, ("resident", "tfidf"): 3}
    pc = kw[(kw["role"] == "property_company")]
    assert set(pc["term"]) <= set(FEES)
    assert kw["rank"].tolist() == [1, 2, 3] * 4


# ---- the stage -------------------------------------------------------------------------------

def _study(tmp_path, segments: pd.DataFrame, name: str = "tp"):
    from pipeline.core.study import Study

    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / "survey.csv").write_text("a\n1\n", encoding="utf-8")
    extra = ("topics:\n  k_min: 2\n  k_max: 4\n  top_n: 5\n  min_df: 2\n  max_df: 1.0\n  unit_tokens: 0\n"
             "interviews:\n  dir: iv\n  roster: iv/roster.csv\n")  # the topics stage applies to interview studies
    (tmp_path / "iv").mkdir(exist_ok=True)
    (tmp_path / "iv" / "roster.csv").write_text("informant,role\nR01,resident\n", encoding="utf-8")
    study = Study(write_study(tmp_path, ["raw/survey.csv"], name=name, extra=extra))
    d = study.stage_dir("interviews")
    d.mkdir(parents=True)
    segments.to_parquet(d / "segments.parquet", index=False)
    return study


def test_stage_writes_identical_tables_twice(tmp_path, capsys):
    from pipeline import cli

    study = _study(tmp_path, two_topic_segments())
    out = study.stage_dir("topics")
    assert cli.main(["topics", "--study", str(study.path)]) == 0
    printed = capsys.readouterr().out
    assert "topics: 40 units from 40 segments" in printed and "NMF k=2" in printed and "LDA k=2" in printed
    files = ["coherence.csv", "topic_terms.csv", "topic_segments.csv", "topic_share_by_role.csv",
             "keywords_by_role.csv", "topics.csv", "topics_log.json"]
    first = {f: (out / f).read_bytes() for f in files}
    log = T.run(study)
    assert log["chosen"]["nmf"]["k"] == 2
    assert {f: (out / f).read_bytes() for f in files} == first
    assert (out / "manifest.json").exists()
    assert pd.read_csv(out / "topic_terms.csv", encoding="utf-8-sig").columns.tolist() == \
        ["model", "topic", "rank", "term", "weight"]
    assert "topics" in cli.ORDER and cli.ORDER.index("topics") == cli.ORDER.index("code") + 1


def test_stage_errors_are_one_line(tmp_path):
    from pipeline.core.errors import InputError

    study = _study(tmp_path, two_topic_segments(n=2), name="tiny")
    # too little text is what the data cannot give: recorded, and the pipeline goes on (run, make)
    log = T.run(study)
    assert "too little text" in log["skipped"] and (study.stage_dir("topics") / "topics.csv").is_file()
    (tmp_path / "bad.yaml").write_text(study.path.read_text(encoding="utf-8").replace("k_max: 4", "k_max: 1"),
                                       encoding="utf-8")
    from pipeline.core.study import Study

    with pytest.raises(InputError, match="topics"):
        Study(tmp_path / "bad.yaml")
