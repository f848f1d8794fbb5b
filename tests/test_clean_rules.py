"""Each screening rule on small hand-made frames, with the thresholds it was configured with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.survey import clean
from pipeline.survey.questionnaire import load_questionnaire

from .test_readers import MINI


def questionnaire(tmp_path, quality: dict, **item_updates):
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["quality"] = quality
    for it in data["items"]:
        it.update(item_updates.get(it["id"], {}))
    p = tmp_path / "q.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_questionnaire(p)


def frame(n: int, **cols) -> pd.DataFrame:
    base = {
        "respondent": [str(i + 1) for i in range(n)], "source_file": ["f.xlsx"] * n, "source": ["f"] * n,
        "source_row": np.arange(2, n + 2), "gender": pd.array(np.arange(n) % 2 + 1, dtype="Int16"),
        "years": pd.array(np.arange(n, dtype=float) + 1, dtype="Float64"),
        "env_green": pd.array([3] * n, dtype="Int16"), "env_clean": pd.array([4] * n, dtype="Int16"),
        "overall": pd.array(np.arange(n) % 5 + 1, dtype="Int16"),
    }
    base.update(cols)
    return pd.DataFrame(base)


NO_MISSING = pd.DataFrame({"row": pd.Series(dtype=np.int64), "respondent": pd.Series(dtype="str"),
                           "source": pd.Series(dtype="str"), "source_row": pd.Series(dtype=np.int64),
                           "item": pd.Series(dtype="str"), "kind": pd.Series(dtype="str"), "label": pd.Series(dtype="str")})
OFF = {"duplicates": {"same_id": False, "identical_answers": False, "same_ip_window_minutes": None},
       "straightlining": None, "completeness": None, "ranges": False}


def flagged(flags, rule):
    return sorted(flags[rule].index.tolist())


def test_duplicate_id_keeps_the_first(tmp_path):
    q = questionnaire(tmp_path, {**OFF, "duplicates": {"same_id": True, "identical_answers": False,
                                                      "same_ip_window_minutes": None}})
    df = frame(4, respondent=["a", "b", "a", "a"])
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "duplicate_id") == [2, 3]
    assert flags["duplicate_id"][2] == "same respondent id as file row 2"


def test_identical_answers_name_the_original(tmp_path):
    q = questionnaire(tmp_path, {**OFF, "duplicates": {"same_id": False, "identical_answers": True,
                                                      "same_ip_window_minutes": None}})
    df = frame(4)
    df.loc[3, ["gender", "years", "overall"]] = df.loc[1, ["gender", "years", "overall"]].to_numpy()
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "duplicate_answers") == [3]
    assert flags["duplicate_answers"][3] == "identical answers to respondent 2"


def test_same_ip_only_within_the_window(tmp_path):
    q = questionnaire(tmp_path, {**OFF, "duplicates": {"same_id": False, "identical_answers": False,
                                                      "same_ip_window_minutes": 10, "same_ip_min_agreement": None}})
    t = pd.to_datetime(["2024-05-01 10:00", "2024-05-01 10:09", "2024-05-01 10:30", "2024-05-01 10:05"])
    df = frame(4, ip_hash=pd.array([7, 7, 7, 8], dtype="UInt64"), submitted_at=t)
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "duplicate_ip") == [1]  # 9 min after row 0; row 2 is 21 min after row 1
    assert "same IP as respondent 1, 9.0 min earlier" in flags["duplicate_ip"][1]


def test_same_ip_behind_carrier_nat_is_two_people_unless_the_answers_agree(tmp_path):
    """Two phones behind one carrier IP a minute apart with different answers are both kept; a
    resubmission with the same answers is flagged; the share of shared IPs is reported."""
    q = questionnaire(tmp_path, {**OFF, "duplicates": {"same_id": False, "identical_answers": False,
                                                      "same_ip_window_minutes": 30}})
    t = pd.to_datetime(["2024-05-01 10:00", "2024-05-01 10:01", "2024-05-01 10:02", "2024-05-01 11:00"])
    df = frame(4, ip_hash=pd.array([7, 7, 7, 9], dtype="UInt64"), submitted_at=t)
    # rows 0 and 1: different gender, years and overall (agreement 2 of 5 items); row 2 repeats row 1
    df.loc[2, ["gender", "years", "overall"]] = df.loc[1, ["gender", "years", "overall"]].to_numpy()
    flags, info = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "duplicate_ip") == [2]
    assert flags["duplicate_ip"][2].endswith("100% of the answers identical")
    assert info["duplicate_ip"]["responses_sharing_an_ip"] == 3
    assert info["duplicate_ip"]["share_sharing_an_ip"] == 0.75
    assert info["duplicate_ip"]["same_ip_pairs_in_window"] == 2


def test_exclusive_option_chosen_with_another(tmp_path):
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["quality"] = OFF
    data["items"].append({"id": "lacks", "q": 90, "type": "multi", "required": False, "options": [
        {"code": 1, "label": "电梯"}, {"code": 2, "label": "停车"}, {"code": 3, "label": "都没有", "exclusive": True}]})
    p = tmp_path / "q.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    q = load_questionnaire(p)
    df = frame(3, lacks__1=pd.array([1, 0, 1], dtype="Int8"), lacks__2=pd.array([0, 0, 0], dtype="Int8"),
               lacks__3=pd.array([0, 1, 1], dtype="Int8"))
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "exclusive") == [2]
    assert flags["exclusive"][2] == "lacks: '都没有' chosen together with 1 other option(s)"


def test_platform_status_screens_previews(tmp_path):
    q = questionnaire(tmp_path, OFF)
    df = frame(3, status=pd.array(["response", "preview", "spam"], dtype="string"))
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "platform_status") == [1, 2]
    assert flags["platform_status"][1] == "the platform marks the response as 'preview'"


def test_speeders_floor_and_median_fraction(tmp_path):
    df = frame(5, duration_s=pd.array([50.0, 150.0, 400.0, 410.0, 420.0], dtype="Float64"))
    q = questionnaire(tmp_path, {**OFF, "speeders": {"min_seconds": 100}})
    flags, info = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "speeder") == [0]
    q = questionnaire(tmp_path, {**OFF, "speeders": {"min_seconds": 100, "median_fraction": 0.5}})
    flags, info = clean.screen(df, NO_MISSING, q)
    assert info["speeder"]["median_duration_s"] == 400.0 and info["speeder"]["threshold_s"] == 200.0
    assert flagged(flags, "speeder") == [0, 1]


def test_incomplete_excuses_logic_skips(tmp_path):
    q = questionnaire(tmp_path, {**OFF, "completeness": {"min_share": 1.0}})
    df = frame(3)
    miss = pd.DataFrame({"row": [0, 1], "respondent": ["1", "2"], "source": ["f", "f"], "source_row": [2, 3],
                         "item": ["overall", "overall"], "kind": ["blank", "skipped"], "label": [None, None]})
    flags, _ = clean.screen(df, miss, q)
    assert flagged(flags, "incomplete") == [0]
    # required: gender, years, env_green, env_clean, overall (the others are optional)
    assert flags["incomplete"][0] == "answered 4 of 5 required items (80%; minimum 100%)"


def test_unfinished_platform_flag_counts_as_incomplete(tmp_path):
    q = questionnaire(tmp_path, {**OFF, "completeness": {"min_share": 0.5}})
    df = frame(3, finished=pd.array([True, False, None], dtype="boolean"))
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "incomplete") == [1]


def test_out_of_range_with_only_a_minimum(tmp_path):
    q = questionnaire(tmp_path, {**OFF, "ranges": True}, years={"min": 2, "max": None})
    df = frame(3)
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "out_of_range") == [0]
    assert flags["out_of_range"][0] == "years = 1 outside [2, ∞]"


@pytest.mark.parametrize("missing_fails, expected", [(True, [1, 2]), (False, [1])])
def test_attention_check(tmp_path, missing_fails, expected):
    q = questionnaire(tmp_path, {**OFF, "attention": [{"item": "overall", "passes": [4], "missing_fails": missing_fails}]})
    df = frame(3, overall=pd.array([4, 5, None], dtype="Int16"))
    flags, _ = clean.screen(df, NO_MISSING, q)
    assert flagged(flags, "attention_check") == expected
    assert flags["attention_check"][1] == "overall = 5, expected 4"


def test_straightlining_needs_min_blocks(tmp_path):
    q = questionnaire(tmp_path, {**OFF, "straightlining": {"min_items": 2, "min_blocks": 1}})
    df = frame(3, env_green=pd.array([3, 3, None], dtype="Int16"), env_clean=pd.array([3, 4, 3], dtype="Int16"))
    flags, _ = clean.screen(df, NO_MISSING, q)
    # row 2 answered one row only: fewer than min_items, not judged
    assert flagged(flags, "straightlining") == [0]
    assert flags["straightlining"][0] == "identical answers in 1 of 1 matrix blocks (env=3)"
