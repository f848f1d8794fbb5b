"""The supervised suggester: leave-one-document-out scores and suggestions the rules missed."""

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
