"""The supervised suggester: cross-validated scores grouped by document and suggestions the rules missed."""

from __future__ import annotations

import pandas as pd

from pipeline.interviews.suggest import train_and_suggest


def _segments():
    lift = ["加装电梯的事一楼反对", "电梯加装楼上楼下吵", "一楼说电梯挡光", "电梯方案楼下不同意"]
    park = ["晚上停车找不到位置", "车位太少天天抢", "停车难问题突出", "车都停到消防通道上"]
    other = ["今天天气不错", "孩子上学去了", "我退休好几年了", "早上去买菜", "下午去公园", "周末看孙子"]
    rows = []
    for d in range(4):
        texts = [lift[d], park[d], other[d], other[d + 2]]
        for i, t in enumerate(texts):
            rows.append({"segment_id": f"D{d}-{i}", "document": f"D{d}.txt", "informant": f"R{d}", "role": "resident",
                         "is_interviewer": False, "text": t})
    rows.append({"segment_id": "X-0", "document": "X.txt", "informant": "R9", "role": "resident",
                 "is_interviewer": False, "text": "电梯加装一楼反对得厉害"})
    return pd.DataFrame(rows)


def test_scores_and_suggestions():
    seg = _segments()
    units = seg[seg["document"] != "X.txt"][["segment_id", "document"]]
    labels = pd.DataFrame({"segment_id": [f"D{d}-0" for d in range(4)] + [f"D{d}-1" for d in range(4)],
                           "code": ["interest_conflicts"] * 4 + ["facility_deficits"] * 4})
    none = pd.DataFrame(columns=["segment_id", "code"])
    cv, sug = train_and_suggest(seg, units, labels, none, ["interest_conflicts", "facility_deficits", "policy_gaps"])
    cv = cv.set_index("code")
    assert cv.loc["interest_conflicts", "positives"] == 4 and cv.loc["interest_conflicts", "recall"] >= 0.75
    assert cv.loc["facility_deficits", "f1"] > 0.5
    assert pd.isna(cv.loc["policy_gaps", "f1"])  # no positives: not scored
    assert ("X-0", "interest_conflicts") in set(zip(sug["segment_id"], sug["code"]))
    # a coding the rules already made is not suggested again
    ruled = pd.DataFrame({"segment_id": ["X-0"], "code": ["interest_conflicts"]})
    _, sug2 = train_and_suggest(seg, units, labels, ruled, ["interest_conflicts"])
    assert sug2.empty
    again = train_and_suggest(seg, units, labels, none, ["interest_conflicts", "facility_deficits"])
    pd.testing.assert_frame_equal(again[1], sug[sug["code"] != "policy_gaps"].reset_index(drop=True))


def test_cross_validation_cost_does_not_grow_with_documents(monkeypatch):
    """12 gold documents: 5 grouped folds (each document's sentences predicted by a model that
    never saw the document), one vocabulary per fold shared by the codes, not one per
    document × code."""
    import numpy as np

    from pipeline.interviews import suggest

    docs = np.array([f"D{d:02d}.txt" for d in range(12) for _ in range(3)])
    folds = suggest._folds(docs)
    assert len(folds) == 5
    assert np.sum(folds, axis=0).tolist() == [1] * len(docs)       # every sentence tested once
    for test in folds:                                             # a document is never split
        assert not set(docs[test]) & set(docs[~test])
    assert len(suggest._folds(docs[:6])) == 2                      # fewer documents: leave one out
    calls = []
    real = suggest._vectoriser
    monkeypatch.setattr(suggest, "_vectoriser", lambda: calls.append(1) or real())
    rows = []
    for d in range(12):
        for i, t in enumerate(["加装电梯一楼反对", "停车位太少", "今天天气不错"]):
            rows.append({"segment_id": f"D{d}-{i}", "document": f"D{d:02d}.txt", "informant": f"R{d}",
                         "role": "resident", "is_interviewer": False, "text": t + "的" * (d % 3)})
    seg = pd.DataFrame(rows)
    labels = pd.DataFrame({"segment_id": [f"D{d}-0" for d in range(12)] + [f"D{d}-1" for d in range(12)],
                           "code": ["interest_conflicts"] * 12 + ["facility_deficits"] * 12})
    cv, _ = suggest.train_and_suggest(seg, seg[["segment_id", "document"]], labels,
                                      pd.DataFrame(columns=["segment_id", "code"]),
                                      ["interest_conflicts", "facility_deficits"])
    assert len(calls) == 5          # 5 folds; no final fit (no sentence outside the gold documents)
    assert (cv["note"] == "5-fold cross-validation grouped by document").all()
    assert cv.set_index("code").loc["interest_conflicts", "f1"] == 1.0
