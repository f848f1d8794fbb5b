"""The real 800-respondent WJX sample (../shared/external/wjx/, MIT): by-text and by-code
exports of the same respondents must read into identical values."""


import pandas as pd
import pytest

from pipeline.survey.ingest import read_survey
from pipeline.survey.questionnaire import load_questionnaire

from .conftest import ROOT, SHARED

WJX = SHARED / "wjx"
pytestmark = [pytest.mark.external,
              pytest.mark.skipif(not (WJX / "wjx_800_by_text.xls").exists(), reason="../shared/external/wjx absent")]


@pytest.fixture(scope="module")
def both():
    q = load_questionnaire(ROOT / "tests" / "external" / "wjx800.yaml")
    text = read_survey(q, WJX / "wjx_800_by_text.xls")
    code = read_survey(q, WJX / "wjx_800_by_code.xls")
    return q, text, code


def test_modes_detected(both):
    _, text, code = both
    assert (text.info["format"], text.info["mode"]) == ("wjx", "text")
    assert (code.info["format"], code.info["mode"]) == ("wjx", "code")
    assert text.info["rows"] == code.info["rows"] == 800


def test_every_respondent_and_item_identical(both):
    q, text, code = both
    a, b = text.data, code.data
    assert a["respondent"].tolist() == b["respondent"].tolist() == [str(i) for i in range(1, 801)]
    item_cols = [c for c in a.columns if c.split("__")[0] in q.item_index and ("__" in c or not c.endswith("_other"))]
    assert len(item_cols) == 6 + 14 + 10  # six single items, 14 + 10 multi options
    for c in item_cols:
        pd.testing.assert_series_equal(a[c], b[c], check_names=True)
    assert a[item_cols].notna().all().all()


def test_multi_counts_from_cells_equal_sums_of_01_columns(both):
    _, text, _ = both
    raw = pd.read_excel(WJX / "wjx_800_by_text.xls", engine="calamine")
    raw_code = pd.read_excel(WJX / "wjx_800_by_code.xls", engine="calamine")
    # count directly from the ┋ cells of the raw export, independently of the reader
    cells = raw["6、兴趣爱好"].str.split("┋").explode()
    assert int((cells == "运动").sum()) == int(text.data["hobbies__sport"].sum()) == int(raw_code["第6题(运动)"].sum()) == 479
    for label, key in [("美食", "food"), ("旅游", "travel"), ("健康", "health")]:
        assert int((cells == label).sum()) == int(text.data[f"hobbies__{key}"].sum()) == int(raw_code[f"第6题({label})"].sum())
    news = raw["8、关注资讯"].str.split("┋").explode()
    assert int((news == "ACG文化(动漫、游戏等)").sum()) == int(text.data["news__acg"].sum()) \
        == int(raw_code["第8题(ACG文化(动漫、游戏等))"].sum()) == 131


def test_other_fill_in_kept_as_text(both):
    _, text, code = both
    assert text.data.loc[text.data["phone_price"] == 10, "phone_price_other"].tolist() == ["我妈买的。", "亲友赠送的"]
    assert sorted(text.data["hobbies_other"].dropna()) == ["军事国防", "宠物"]
    # full-width comma normalised
    assert "电影,餐饮" in text.data["news_other"].tolist()
    # the by-code export has the codes but not the fill-in text
    assert code.data["hobbies_other"].isna().all()
    assert int(code.data["hobbies__other"].sum()) == 2
