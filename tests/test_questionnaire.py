"""Questionnaire definitions are validated on load; errors name the YAML file and the key."""

from __future__ import annotations

import pytest
import yaml

from pipeline.core.errors import InputError
from pipeline.survey.questionnaire import load_questionnaire

from .conftest import QUESTIONNAIRE

BASE = {
    "id": "t",
    "title": {"zh": "测试"},
    "scales": {"sat5": {"levels": {"不满意": 1, "一般": 2, "满意": 3}, "missing": {"不清楚": 9}}},
    "constructs": [{"id": "env", "label": {"zh": "环境", "en": "Environment"}}],
    "items": [
        {"id": "gender", "q": 1, "type": "single", "options": {"男": 1, "女": 2}},
        {"id": "env", "q": 2, "type": "matrix", "scale": "sat5", "construct": "env",
         "rows": [{"id": "env_green", "label": "绿化"}, {"id": "env_clean", "label": "卫生"}]},
    ],
}


def load(tmp_path, data):
    p = tmp_path / "q.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p, load_questionnaire(p)


def broken(tmp_path, mutate):
    import copy

    data = copy.deepcopy(BASE)
    mutate(data)
    p = tmp_path / "q.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_questionnaire(p)
    assert str(p) in str(e.value)
    return str(e.value)


def test_default_questionnaire_loads_with_its_constructs():
    q = load_questionnaire(QUESTIONNAIRE)
    assert [c.id for c in q.constructs] == ["infrastructure", "environment", "ageing", "management", "process"]
    assert q.construct_items("infrastructure") == ["sat_water", "sat_power", "sat_gas", "sat_drainage", "sat_roads", "sat_fire"]
    # the attention-check row sits in the environment matrix but belongs to no construct
    assert q.item_index["attention_check"].construct is None
    assert "attention_check" not in q.construct_items("environment")
    assert all(q.item_index[c.importance].type == "likert" for c in q.constructs)
    assert q.output_columns(q.item_index["problems"])[-1] == "problems_other"


def test_valid_minimal_definition(tmp_path):
    _, q = load(tmp_path, BASE)
    assert q.item_index["env_green"].type == "likert" and q.item_index["env_green"].construct == "env"
    assert [o.code for o in q.options_of(q.item_index["gender"])] == [1, 2]


@pytest.mark.parametrize("mutate, key, message", [
    (lambda d: d["items"][1].update(scale="sat7"), "items[1] (id: env).scale", "unknown scale 'sat7'"),
    (lambda d: d["items"][1].update(construct="environment"), "items[1] (id: env).construct", "unknown construct 'environment'"),
    (lambda d: d["items"][0].update(tpye="single"), "items[0] (id: gender).tpye", "unknown key"),
    (lambda d: d["items"][0].update(type="choice"), "items[0] (id: gender).type", "Input should be"),
    (lambda d: d["items"][0].pop("options"), "items[0] (id: gender)", "needs 'options'"),
    (lambda d: d["items"][1].pop("scale"), "items[1] (id: env)", "needs a 'scale'"),
    (lambda d: d["items"][0].update(id="Gender"), "items[0] (id: Gender).id", "not snake_case"),
    (lambda d: d["items"][0].update(id="source"), "items[0] (id: source).id", "reserved"),
    (lambda d: d["items"][1]["rows"][0].update(id="gender"), "items", "item ids repeat: ['gender']"),
    (lambda d: d["items"].append({"id": "gender_other", "q": 3, "type": "open"}) or
     d["items"][0].update(options=[{"code": 1, "label": "男"}, {"code": 3, "label": "其他", "other": True}]),
     "items", "would write the same column(s) ['gender_other']"),
    (lambda d: d.update(quality={"attention": [{"item": "attn", "passes": [3]}]}), "quality.attention[0].item", "unknown item 'attn'"),
    (lambda d: d.update(quality={"order": ["speeders"]}), "quality.order", "unknown rule(s) ['speeders']"),
    (lambda d: d["constructs"][0].update(importance="imp_env"), "constructs[0] (id: env).importance", "unknown item 'imp_env'"),
    (lambda d: d["scales"]["sat5"].update(missing={"不清楚": 1}), "scales.sat5", "codes repeat"),
])
def test_errors_name_the_key(tmp_path, mutate, key, message):
    err = broken(tmp_path, mutate)
    assert f"key '{key}" in err, err
    assert message in err, err


def test_yaml_syntax_error_names_the_line(tmp_path):
    p = tmp_path / "q.yaml"
    p.write_text("id: t\nitems: [\n  - {id: a\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"q\.yaml, row \d+: not valid YAML"):
        load_questionnaire(p)
