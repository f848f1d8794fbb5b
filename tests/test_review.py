"""The review loop (issue 14, part 3): review.xlsx/.qdpx out, decisions in, codings and the
suggester grown by them, sources scored by acceptance, keywords proposed with their evidence."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.interviews import coding, review

from .conftest import study_like


@pytest.fixture()
def study(demo_interviews, tmp_path):
    """The demo's interviews and coding outputs in a study of this test's own (the decisions file
    is written next to the study file)."""
    return study_like(demo_interviews, tmp_path, code=True)


def _sheet(path):
    return pd.read_excel(path, sheet_name=review.SHEET, dtype=object)


def _save(df, path):
    with pd.ExcelWriter(path) as w:
        df.to_excel(w, sheet_name=review.SHEET, index=False)


def test_decision_values():
    assert [review.decision_value(v) for v in ["接受", " 拒绝 ", "Accept", 1, 0.0, "是", "", None, float("nan"), "也许"]] \
        == ["accept", "reject", "accept", "accept", "reject", "accept", None, None, None, "?"]


def test_review_round_trip(study, tmp_path, capsys):
    log = review.run(study)
    out = study.stage_dir("review")
    rows = _sheet(out / "review.xlsx")
    assert len(rows) == log["candidates"] > 0 and rows["item"].is_unique
    assert {"suggester", "near_miss"} <= set(rows["source"])
    assert rows["decision"].isna().all()
    # byte-identical when rerun
    first = (out / "review.xlsx").read_bytes()
    review.run(study)
    assert (out / "review.xlsx").read_bytes() == first
    # the .qdpx holds the pipeline's codings and the candidates as the user 'review'
    from pipeline.interviews.qdpx import read_qdpx

    q = read_qdpx(out / "review.qdpx", codebook=study.definition("coding_scheme"))
    assert (q["codings"]["coder"] == "review").sum() == len(rows.drop_duplicates(["document", "start", "end", "code"]))

    codings = pd.read_parquet(study.stage_dir("coding") / "codings.parquet")
    sug = rows[rows["source"] == "suggester"].head(3)
    miss = rows[rows["source"] == "near_miss"].head(2)
    rule = codings[codings["coder"] == "rules"].iloc[0]
    reviewed = rows.copy()
    reviewed.loc[sug.index, "decision"] = "接受"
    reviewed.loc[miss.index, "decision"] = "拒绝"
    extra = {c: "" for c in rows.columns}
    extra.update(document=rule["document"], start=int(rule["start"]), end=int(rule["end"]), code=rule["code"],
                 decision="拒绝", source="rules")
    reviewed = pd.concat([reviewed, pd.DataFrame([extra])], ignore_index=True)
    path = tmp_path / "reviewed.xlsx"
    _save(reviewed, path)
    assert main(["review", "--study", str(study.path), "--import", str(path), "--reviewer", "C1"]) == 0
    said = capsys.readouterr().out
    assert "imported 3 accepted and 3 rejected" in said and f"({len(rows) - 5} rows left undecided)" in said
    dec = pd.read_csv(study.review_path, encoding="utf-8-sig")
    assert len(dec) == 6 and set(dec["reviewer"]) == {"C1"}
    # importing the same file again changes nothing
    assert main(["review", "--study", str(study.path), "--import", str(path)]) == 0
    assert len(pd.read_csv(study.review_path, encoding="utf-8-sig")) == 6

    log = coding.run(study)
    assert log["review"]["accepted"] == 3 and log["review"]["rejected"] == 3 and log["review"]["stale"] == 0
    assert log["review"]["applied"] == {"removed": 1, "added": 3}
    after = pd.read_parquet(study.stage_dir("coding") / "codings.parquet")
    pairs = set(zip(after["segment_id"], after["code"]))
    assert set(zip(sug["segment_id"], sug["code"])) <= pairs
    assert (rule["segment_id"], rule["code"]) not in pairs
    assert (after["coder"] == "review").sum() == 3
    # the suggester learnt from the accepted sentences as well as the gold
    cv = pd.read_csv(study.stage_dir("coding") / "suggester_cv.csv", encoding="utf-8-sig")
    gold_units = 181  # the first gold coder's informant sentences (6 documents)
    assert cv["training_sentences"].max() > gold_units

    log = review.run(study)
    assert log["decisions"]["accepted"] == 3
    again = _sheet(study.stage_dir("review") / "review.xlsx")
    decided = set(zip(sug["segment_id"], sug["code"])) | set(zip(miss["segment_id"], miss["code"]))
    assert not decided & set(zip(again["segment_id"], again["code"]))
    agr = pd.read_csv(study.stage_dir("review") / "review_agreement.csv", encoding="utf-8-sig")
    allrows = agr[agr["code"] == "(all)"].set_index("source")
    assert allrows.loc["suggester", "acceptance"] == 1.0 and allrows.loc["near_miss", "acceptance"] == 0.0
    assert allrows.loc["rules", "judged"] == 1
    # no reviewer name leaves the study folder
    for f in study.out.rglob("*.csv"):
        assert "C1" not in f.read_text(encoding="utf-8-sig").split(",")


def test_bad_decision_names_file_row_column(study, tmp_path, capsys):
    review.run(study)
    rows = _sheet(study.stage_dir("review") / "review.xlsx")
    rows.loc[rows.index[1], "decision"] = "也许"
    path = tmp_path / "bad.xlsx"
    _save(rows, path)
    assert main(["review", "--study", str(study.path), "--import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.xlsx" in err and "row 3" in err and "decision" in err and "也许" in err
    assert not study.review_path.exists()


def test_qdpx_round_trip(study, tmp_path):
    """A reviewer who keeps or deletes the 'review' codings in a QDA program and exports the
    project: kept = accepted, deleted = rejected, a coding of their own = accepted."""
    from pipeline.interviews.codebook import load_codebook
    from pipeline.interviews.qdpx import export_qdpx, read_qdpx

    review.run(study)
    out = study.stage_dir("review")
    book = load_codebook(study.definition("coding_scheme"))
    q = read_qdpx(out / "review.qdpx", codebook=book)
    cod = q["codings"]
    cand = cod[cod["coder"] == "review"]
    gone = cand.iloc[:2]
    kept = cod.drop(gone.index)
    seg = pd.read_parquet(study.stage_dir("interviews") / "segments.parquet")
    s = seg[~seg["is_interviewer"]].iloc[5]
    mine = pd.DataFrame([{"document": s["document"], "start": s["start"], "end": s["end"], "code": "policy_gaps",
                          "coder": "reviewer"}])
    edited = tmp_path / "edited.qdpx"
    export_qdpx(edited, q["documents"], None, book, pd.concat([kept[["document", "start", "end", "code", "coder"]], mine]),
                project_name="edited")
    res = review.import_review(study, edited, "C2")
    assert res["rejected"] == 2 and res["accepted"] == len(cand) - 2 + 1
    dec = pd.read_csv(study.review_path, encoding="utf-8-sig")
    assert (dec["source"] == "added in review").sum() == 1


def test_expansion_words_leave_out_numbers_and_model_codings():
    from pipeline.core.resources import CODING_SCHEMES
    from pipeline.interviews.codebook import load_codebook

    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    rows = [(f"S{i}", ["物业费", "两年", "门卫室"]) for i in range(4)] + [(f"S{i}", ["物业费", "两年"]) for i in range(4, 6)] \
        + [("S9", ["门卫室", "天气"])]
    seg = pd.DataFrame([{"segment_id": s, "document": "D.txt", "is_interviewer": False, "tokens": t} for s, t in rows])
    cod = pd.DataFrame({"segment_id": [f"S{i}" for i in range(4)], "code": "long_term_management", "coder": "rules"})
    words, cands = review.keyword_expansion(seg, cod, book)
    assert "两年" not in set(words["word"])                       # a count of years is no topic word
    keywords = book.codes["long_term_management"][1].keywords
    assert set(words["word"]) == {w for w in ["门卫室", "物业费"] if not any(w in k for k in keywords)}
    assert "门卫室" in set(words["word"])
    assert ("S9", "long_term_management") in set(zip(cands["segment_id"], cands["code"]))
    # codings by a model do not propose words
    words2, _ = review.keyword_expansion(seg, cod.assign(coder="examples"), book)
    assert words2.empty


def test_doubted_rule_codings_go_to_review_and_a_rejection_removes_them():
    """A rule coding a model scores below 0.1 becomes a 'doubt' row; rejecting it removes the coding."""
    from pipeline.core.resources import CODING_SCHEMES
    from pipeline.interviews.codebook import load_codebook
    from pipeline.interviews.coding import doubted
    from pipeline.interviews.decisions import apply_decisions

    rules = pd.DataFrame({"segment_id": ["S1", "S2", "S3"], "code": ["funding_pressure"] * 3,
                          "rule": ["keyword:没钱"] * 3, "evidence": ["没钱"] * 3})
    first = pd.DataFrame({"funding_pressure": [0.05, 0.5]}, index=["S1", "S2"])
    second = pd.DataFrame({"funding_pressure": [0.01, 0.02, 0.03]}, index=["S1", "S2", "S3"])
    d = doubted(rules, [("examples", first), ("suggester", second)])
    # the first coder that scored a pair decides; S2 is not doubted by it, S3 only the second scored
    assert list(zip(d["segment_id"], d["source"], d["probability"])) == [("S3", "suggester", 0.03), ("S1", "examples", 0.05)]
    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    seg = pd.DataFrame({"segment_id": ["S1", "S2", "S3"], "document": "D.txt", "informant": "R1", "role": "resident",
                        "is_interviewer": False, "start": [0, 10, 20], "end": [9, 19, 29],
                        "text": ["今年真是没钱了啊。", "没钱也得办事情。", "我们这里没钱修。"], "tokens": [[], [], []]})
    rows, _ = review.candidates(seg, rules.assign(coder="rules"), None, book, doubts=d)
    doubt = rows[rows["source"] == "doubt"]
    assert list(doubt["segment_id"]) == ["S1", "S3"] and doubt["evidence"].str.contains("examples 0.05").any()
    codings = rules.assign(coder="rules", document="D.txt", informant="R1", role="resident", start=0, end=9,
                           match_start=0, match_end=2, n_matches=1)
    dec = pd.DataFrame({"segment_id": ["S1"], "code": ["funding_pressure"], "decision": ["reject"], "source": ["doubt"],
                        "reviewer": [""]})
    kept, counts = apply_decisions(codings, dec, seg)
    assert counts == {"removed": 1, "added": 0} and "S1" not in set(kept["segment_id"])
