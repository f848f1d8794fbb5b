"""A pluggable coder (issue 14, part 4): a model of the study's own behind one interface, with
the documented precedence, scored by the same agreement code as the rules."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.interviews import coding

from .conftest import study_like

# a coder as a user would write one: no access to the pipeline, only the contract
PLUGIN = textwrap.dedent('''
    import pandas as pd


    class WordVotes:
        """Scores a code 1.0 when one of its cue words occurs (a stand-in for an embedding model
        or an LLM the study hosts)."""

        def __init__(self, codebook, seed, cues):
            self.name = "word_votes"
            self.cues = cues

        def predict(self, texts):
            return pd.DataFrame({c: [float(any(w in t for w in ws)) for t in texts] for c, ws in self.cues.items()})

        def evidence(self, text, code):
            return "cue: " + next(w for w in self.cues[code] if w in text)


    class Memoriser:
        """Trains: remembers the exact sentences coded with each code."""

        def __init__(self, codebook, seed):
            self.seen = {}

        def fit(self, texts, labels):
            self.seen = {c: {t for t, y in zip(texts, labels[c]) if y is True or y == 1} for c in labels.columns}

        def predict(self, texts):
            return pd.DataFrame({c: [float(t in s) for t in texts] for c, s in self.seen.items()})


    def broken(codebook, seed):
        class Bad:
            def predict(self, texts):
                return pd.DataFrame({"no_such_code": [0.0] * len(texts)})
        return Bad()
''')


def _study(demo_interviews, tmp_path, coders):
    (tmp_path / "my_coders.py").write_text(PLUGIN, encoding="utf-8")
    return study_like(demo_interviews, tmp_path, coders=coders)


def test_plugged_coders_code_suggest_and_are_scored(demo_interviews, tmp_path):
    cues = {"funding_pressure": ["钱", "资金"], "policy_gaps": ["政策"]}
    st = _study(demo_interviews, tmp_path, [
        {"name": "votes", "plugin": "my_coders.py:WordVotes", "use": "code", "threshold": 0.5, "options": {"cues": cues}},
        {"name": "memo", "plugin": "my_coders.py:Memoriser", "use": "suggest"},
        "suggester"])
    log = coding.run(st)
    out = st.stage_dir("coding")
    cod = pd.read_parquet(out / "codings.parquet")
    seg = pd.read_parquet(st.stage_dir("interviews") / "segments.parquet")
    text = seg.set_index("segment_id")["text"]
    # precedence: the rules' codings stand; the plug-in adds only what nobody coded before it
    rules = cod[cod["coder"] == "rules"]
    votes = cod[cod["coder"] == "votes"]
    assert len(votes) == log["coders"]["votes"]["codings"] > 0
    assert not set(zip(votes["segment_id"], votes["code"])) & set(zip(rules["segment_id"], rules["code"]))
    assert set(votes["code"]) <= set(cues)
    for r in votes.itertuples():
        assert any(w in text[r.segment_id] for w in cues[r.code])
        assert r.rule == "model:votes" and r.evidence.startswith("cue: ")
    # every speaking sentence with a cue and no rule coding of that code got it from the plug-in
    speaking = seg[~seg["is_interviewer"]]
    want = {(s, c) for s, t in zip(speaking["segment_id"], speaking["text"]) for c, ws in cues.items()
            if any(w in t for w in ws)} - set(zip(rules["segment_id"], rules["code"]))
    assert set(zip(votes["segment_id"], votes["code"])) == want
    # scored by the same agreement code: one row per coder and gold coder
    agr = pd.read_csv(out / "agreement_by_coder.csv", encoding="utf-8-sig")
    assert set(agr["coder"]) == {"rules", "votes", "memo", "suggester"}
    memo = agr[(agr["coder"] == "memo") & (agr["reference"] == "gold_codes")].iloc[0]
    # a memoriser scored out of fold finds nothing it did not see: agreement is measured honestly
    assert memo["how"].startswith("out of fold") and memo["units_coded_by_candidate"] <= 5
    votes_row = agr[(agr["coder"] == "votes") & (agr["reference"] == "gold_codes")].iloc[0]
    assert votes_row["how"] == "scores" and votes_row["units_coded_by_candidate"] > 0
    # suggestions carry their source; the memoriser has nothing outside the gold to suggest
    sug = pd.read_csv(out / "suggestions.csv", encoding="utf-8-sig")
    assert set(sug["source"]) <= {"memo", "suggester"} and (sug["source"] == "suggester").any()
    assert log["coders"]["memo"]["use"] == "suggest"


@pytest.mark.parametrize("coders, where, what", [
    ([{"name": "x", "plugin": "missing.py:X"}], "interviews.coders[0].plugin", "does not exist"),
    ([{"name": "x", "plugin": "my_coders.py:Nope"}], "interviews.coders[0].plugin", "Nope"),
    ([{"name": "x"}], "interviews.coders[0].name", "not a built-in coder"),
    ([{"name": "x", "plugin": "my_coders.py:broken"}], "interviews.coders[0]", "no_such_code"),
])
def test_bad_plugins_stop_with_the_key(demo_interviews, tmp_path, capsys, coders, where, what):
    st = _study(demo_interviews, tmp_path, coders)
    assert main(["code", "--study", str(st.path)]) == 2
    err = capsys.readouterr().err
    assert where in err and what in err


def test_coder_names_are_checked(tmp_path):
    from pipeline.core.study import Interviews

    with pytest.raises(ValueError, match="unique"):
        Interviews(dir="t", coders=[{"name": "a", "plugin": "x.py:A"}, {"name": "a", "plugin": "x.py:B"}])
    with pytest.raises(ValueError, match="rules"):
        Interviews(dir="t", coders=[{"name": "rules", "plugin": "x.py:A"}])
    default = Interviews(dir="t").coders
    assert [(c.name, c.use, c.threshold) for c in default] == [("examples", "code", 0.55), ("suggester", "suggest", 0.3)]


def test_examples_coder_learns_from_the_codebooks_passages(tmp_path):
    """The built-in 'examples' coder: trained on the codebook's coded passages, explains each
    coding by its weightiest n-grams, and names a bad example file's row."""
    from pipeline.core.errors import InputError
    from pipeline.core.resources import CODING_SCHEMES
    from pipeline.interviews.codebook import load_codebook
    from pipeline.interviews.suggest import ExamplesCoder

    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    assert [p.parent.name for p in book.example_paths()] == ["devtalk", "devtalk2", "devtalk3", "devtalk4"] and all(p.exists() for p in book.example_paths())
    coder = ExamplesCoder(book, seed=1)
    assert coder.examples == 920
    texts = ["一说要出钱,群里立马没人吭声了,上头给的那点哪够。", "今天天气不错,我去公园转了转。"]
    p = coder.predict(texts)
    assert list(p.index) == [0, 1] and set(p.columns) == set(book.codes)
    assert p.loc[0, "funding_pressure"] > 0.55 > p.loc[1].max()
    why = coder.evidence(texts[0], "funding_pressure")
    assert why.startswith("examples 0.") and why.count("「") >= 1
    bad = tmp_path / "ex.csv"
    bad.write_text("text,codes\n钱不够,funding_pressure\n没人管,no_such_code\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        ExamplesCoder(book, files=[str(bad)])
    assert "row 3" in str(e.value) and "no_such_code" in str(e.value)
