"""Transcripts: reading (encodings, front matter, .docx), speaker turns, sentences, redaction."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.core.errors import InputError
from pipeline.core.privacy import _ID_CHECK, _ID_WEIGHTS
from pipeline.core.study import Study
from pipeline.interviews import redaction as iv_redaction
from pipeline.interviews import roster as iv_roster
from pipeline.interviews import segmentation as iv_segmentation
from pipeline.interviews import stage as iv_stage
from pipeline.interviews import transcripts as iv_transcripts
from pipeline.interviews.segmentation import Segmenter

from .conftest import QUESTIONNAIRE


def valid_id(first17: str) -> str:
    return first17 + _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


ID = valid_id("11010519491231002")

ROSTER = pd.DataFrame({
    "informant": ["R03", "G1", "S01", "J02"],
    "role": ["resident", "street_office", "social_organisation", "residents_committee"],
    "community": ["纺织厂宿舍", "全区", "铁路新村", "建设新村"],
    "name": ["王秀英", "李建国", "赵敏", "陈丽"],
})

R03 = (
    "[00:00:05] 访谈者：您好，请问您在小区住了多久？\n"
    "[00:00:12] 受访者: 二十多年了。改造完以后没人管，垃圾也没人清。\n"
    "楼道灯坏了也没人修！李建国来看过一次。\n"
    "访谈者：您有什么建议？\n"
    "受访者：希望有物业。我电话是13812345678，身份证" + ID + "，邮箱wang@example.com。\n"
)
G1 = "---\ninformant: G1\ndate: 2024-05-20\n---\n问：资金怎么解决？\n答：财政补贴不够，居民出资难；还得靠社会资本。\n"
S01 = "今天在铁路新村开了楼道议事会，来了十几个老人。\n赵敏主持，大家对加装电梯意见不一。"
J02 = "J02：我们居委会人手少。\n访谈员：那怎么办？\nJ02：只能靠志愿者。"


@pytest.fixture()
def folder(tmp_path):
    d = tmp_path / "transcripts"
    d.mkdir()
    (d / "R03.txt").write_text(R03, encoding="utf-8")
    (d / "g1.md").write_text(G1, encoding="utf-8-sig")
    (d / "S01.txt").write_text(S01, encoding="gbk")
    import docx

    doc = docx.Document()
    for line in J02.split("\n"):
        doc.add_paragraph(line)
    doc.save(d / "J02.docx")
    ROSTER.to_csv(d / "informants.csv", index=False, encoding="utf-8-sig")
    return d


def test_turns_sentences_and_offsets(folder):
    names = dict(zip(ROSTER["name"], ROSTER["informant"]))
    tr = iv_transcripts.read_transcript(folder / "R03.txt", ROSTER, names)
    seg = iv_segmentation.segment(tr, ROSTER, Segmenter())
    assert list(seg["speaker"].unique()) == ["访谈者", "受访者"]
    assert seg["is_interviewer"].tolist() == [True, False, False, False, False, True, False, False]
    # offsets point into the redacted, normalised text; timestamps and labels are not in segments
    for r in seg.itertuples():
        assert tr.text[r.start:r.end] == r.text
        assert "00:00" not in r.text and not r.text.startswith(("访谈者", "受访者"))
    assert seg.loc[1, "text"] == "二十多年了。"
    assert "楼道灯坏了也没人修!" in seg["text"].tolist()  # continuation line belongs to the turn; ！ normalised
    assert seg["turn"].tolist()[:4] == [1, 2, 2, 2]
    assert seg.loc[2, "tokens"] and all(isinstance(t, str) for t in seg.loc[2, "tokens"])


def test_redaction_replaces_personal_data_and_counts_it(folder):
    names = dict(zip(ROSTER["name"], ROSTER["informant"]))
    tr = iv_transcripts.read_transcript(folder / "R03.txt", ROSTER, names)
    for secret in ("13812345678", ID, "wang@example.com", "李建国"):
        assert secret not in tr.text
    assert "[电话]" in tr.text and "[身份证号]" in tr.text and "[邮箱]" in tr.text and "[姓名:G1]" in tr.text
    kinds = sorted(k for k, *_ in tr.redactions)
    assert kinds == ["email", "id_number", "mobile", "name"]
    for _kind, a, b, *_ in tr.redactions:  # positions point at the placeholders in the text
        assert tr.text[a:b].startswith("[")
    # an 18-digit number with a wrong check digit is still someone's (mistyped) ID number ...
    wrong = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    text, placed = iv_redaction.redact_text("编号" + wrong, {})
    assert wrong not in text and [k for k, *_ in placed] == ["id_number"]
    # ... but an 18-digit work-order number with no birth date in it is not
    order = "202313450000123456"
    text, placed = iv_redaction.redact_text("工单号" + order, {})
    assert order in text and not placed


def test_front_matter_gbk_docx_and_field_note(folder):
    g1 = iv_transcripts.read_transcript(folder / "g1.md", ROSTER)
    assert g1.informant == "G1" and g1.meta["date"].isoformat() == "2024-05-20" and g1.text.startswith("问:")
    s01 = iv_transcripts.read_transcript(folder / "S01.txt", ROSTER, {"赵敏": "S01"})
    assert s01.encoding == "gb18030" and "[姓名:S01]主持" in s01.text
    seg = iv_segmentation.segment(s01, ROSTER, None)
    assert set(seg["speaker"]) == {"S01"} and not seg["is_interviewer"].any() and len(seg) == 2
    j02 = iv_transcripts.read_transcript(folder / "J02.docx", ROSTER)
    seg = iv_segmentation.segment(j02, ROSTER, None)
    assert seg["speaker"].tolist() == ["J02", "访谈员", "J02"] and seg["is_interviewer"].tolist() == [False, True, False]


def test_unknown_informant_is_an_error(folder):
    (folder / "X9.txt").write_text("受访者：你好", encoding="utf-8")
    with pytest.raises(InputError, match=r"X9.txt.*informant 'X9' is not in the roster"):
        iv_transcripts.read_transcript(folder / "X9.txt", ROSTER)


def test_stage_writes_no_personal_data(folder, tmp_path):
    study = tmp_path / "s.yaml"
    (tmp_path / "raw.csv").write_text("序号,提交答卷时间,所用时间\n", encoding="utf-8")
    study.write_text(f"name: iv\nquestionnaire: {QUESTIONNAIRE}\nsurvey: {{files: [raw.csv]}}\n"
                     "interviews: {dir: transcripts, roster: transcripts/informants.csv}\noutputs: out/iv\n",
                     encoding="utf-8")
    log = iv_stage.run(Study(study))
    assert log["documents"] == 4 and log["informants"] == 4
    assert log["redactions"] == {"email": 1, "id_number": 1, "mobile": 1, "name": 2}
    out = tmp_path / "out" / "iv" / "interviews"
    seg = pd.read_parquet(out / "segments.parquet")
    assert {"segment_id", "informant", "role", "speaker", "is_interviewer", "start", "end", "text", "tokens"} <= set(seg.columns)
    assert seg["segment_id"].is_unique
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    for secret in ["13812345678", ID, "wang@example.com"] + ROSTER["name"].tolist():
        assert secret.encode() not in blob, secret
    red = pd.read_csv(out / "redactions.csv", encoding="utf-8-sig")
    assert list(red.columns) == ["document", "informant", "kind", "start", "end", "source_start", "source_end"]
    # offsets in the original (normalised, unredacted) text map onto the redacted text
    docs = pd.read_parquet(out / "documents.parquet").set_index("document")["text"]
    for doc, g in red.groupby("document"):
        text = docs[doc]
        assert iv_redaction.source_length(len(text), g) == len(text) + int(((g.source_end - g.source_start) - (g.end - g.start)).sum())
        first = g.sort_values("start").iloc[0]
        after = iv_redaction.source_to_text([first.source_end], g, "start")[0]
        assert after == first.end
        inside = iv_redaction.source_to_text([first.source_start + 1, first.source_start + 1], g, "start")
        assert list(inside) == [first.start, first.start]
        assert iv_redaction.source_to_text([first.source_start + 1], g, "end")[0] == first.end


def test_demo_transcripts(tmp_path):
    from .conftest import ROOT

    demo = ROOT / "examples" / "demo"
    roster = iv_roster.read_roster(demo / "transcripts" / "informants.csv")
    study = tmp_path / "s.yaml"
    study.write_text(f"name: iv\nquestionnaire: {QUESTIONNAIRE}\nsurvey: {{files: [{demo / 'raw' / 'households.csv'}]}}\n"
                     f"interviews: {{dir: {demo / 'transcripts'}, roster: {demo / 'transcripts' / 'informants.csv'}}}\n"
                     "outputs: out/iv\n", encoding="utf-8")
    log = iv_stage.run(Study(study))
    assert log["documents"] == 24 == log["informants"]  # README.md in the folder is not a transcript
    assert log["redactions"]["mobile"] == 4 and log["redactions"]["id_number"] == 1 and log["redactions"]["email"] == 2
    out = tmp_path / "out" / "iv" / "interviews"
    seg = pd.read_parquet(out / "segments.parquet")
    per = seg.groupby("informant")["is_interviewer"].any()
    assert not per["S01"] and per.drop("S01").all()  # the field note has no interviewer; every interview has
    assert set(seg["role"]) == set(roster["role"])
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    for name in roster["name"]:
        assert name.encode() not in blob, name
    docs = pd.read_parquet(out / "documents.parquet").set_index("document")["text"]
    for r in seg.sample(50, random_state=0).itertuples():
        assert docs[r.document][r.start:r.end] == r.text


@pytest.mark.parametrize("text, expected", [
    ("问:杜主任,您好。", "问:[姓名:J02],您好。"),           # unique roster surname → the informant's code
    ("隔壁楼的老刘在家摔倒了。", "隔壁楼的[姓名]在家摔倒了。"),  # not on the roster: anonymous
    ("孔总说社会资本要算账。", "[姓名]说社会资本要算账。"),
    ("养老金不够,至于总体来说还行,小高层和老旧小区不一样。", "养老金不够,至于总体来说还行,小高层和老旧小区不一样。"),
    ("杜春梅主任来过。", "[姓名:J02]主任来过。"),           # the full name wins over the short form
])
def test_short_forms_of_names_are_redacted(text, expected):
    got, placed = iv_redaction.redact_text(text, {"杜春梅": "J02"})
    assert got == expected
    assert all(kind in ("name", "name_short") for kind, *_ in placed)


# ---- transcripts as transcription tools write them (issue 11) ----------------------------------

def _layout_study(tmp_path, text: str, roster: str | None = None):
    from tests.test_safety import interview_study

    return interview_study(tmp_path / "s", roster=roster, transcripts={"R01.txt": text,
                                                                      "J01.txt": "访谈者：好吗？\n受访者：好。\n"})


@pytest.mark.parametrize("text", [
    # 讯飞听见 / 飞书妙记 / 通义听悟: the speaker and the time on their own line, the text below
    "说话人 1 00:00:02\n改造以后谁来管？\n\n说话人 2 00:00:06\n没有物业，楼道灯坏了没人修。\n资金也不够。\n",
    # a timestamp before the label, no brackets
    "00:00:02 说话人1：改造以后谁来管？\n00:00:06 说话人2：没有物业，楼道灯坏了没人修。资金也不够。\n",
    # 腾讯会议 / Zoom: name (time): text
    "说话人1 (00:00:02): 改造以后谁来管？\n说话人2 (00:00:06): 没有物业，楼道灯坏了没人修。资金也不够。\n",
])
def test_transcription_tool_layouts(tmp_path, capsys, text):
    from pipeline.cli import main

    study = _layout_study(tmp_path, text)
    assert main(["interviews", "--study", str(study)]) == 0
    out = capsys.readouterr().out
    seg = pd.read_parquet(tmp_path / "s" / "out" / "interviews" / "segments.parquet")
    r01 = seg[seg["document"] == "R01.txt"]
    assert r01.loc[r01["is_interviewer"], "text"].tolist() == ["改造以后谁来管?"]
    assert r01.loc[~r01["is_interviewer"], "text"].tolist() == ["没有物业,楼道灯坏了没人修。", "资金也不够。"]
    assert "R01.txt: speakers" in out and "guessed" in out  # the guess is reported
    sp = pd.read_csv(tmp_path / "s" / "out" / "interviews" / "speakers.csv", encoding="utf-8-sig")
    assert set(sp.loc[sp["document"] == "R01.txt", "assigned_by"]) == {"guess"}


def test_front_matter_says_who_is_who_and_names_in_headers_never_become_speakers(tmp_path, capsys):
    from pipeline.cli import main

    text = ("---\nspeakers: {说话人1: R01, 说话人2: interviewer}\n---\n"
            "说话人2 00:00:01\n您觉得呢？\n说话人1 00:00:04\n我觉得挺好。\n"
            "王小丫 00:00:09\n我补充一句，电梯还没装。\n")
    study = _layout_study(tmp_path, text)
    assert main(["interviews", "--study", str(study)]) == 0
    seg = pd.read_parquet(tmp_path / "s" / "out" / "interviews" / "segments.parquet")
    r01 = seg[seg["document"] == "R01.txt"]
    assert r01.loc[r01["is_interviewer"], "text"].tolist() == ["您觉得呢?"]
    assert "王小丫" not in set(r01["speaker"]) and "说话人1" in set(r01["speaker"])
    sp = pd.read_csv(tmp_path / "s" / "out" / "interviews" / "speakers.csv", encoding="utf-8-sig")
    assert set(sp.loc[sp["document"] == "R01.txt", "assigned_by"]) >= {"front matter"}


def test_a_focus_group_attributes_each_turn_to_its_informant(tmp_path, capsys):
    from pipeline.cli import main

    roster = ("informant,role,community\nR01,resident,梧桐里\nR02,resident,梧桐里\n"
              "J01,residents_committee,梧桐里\n")
    text = "访谈者：大家说说？\nR01：电梯还没装。\nR02：停车太难了。\n"
    study = _layout_study(tmp_path, text, roster=roster)
    assert main(["interviews", "--study", str(study)]) == 0
    seg = pd.read_parquet(tmp_path / "s" / "out" / "interviews" / "segments.parquet")
    r01 = seg[seg["document"] == "R01.txt"].set_index("text")
    assert r01.loc["电梯还没装。", "informant"] == "R01" and r01.loc["停车太难了。", "informant"] == "R02"


def test_only_one_labelled_speaker_is_a_warning(tmp_path, capsys):
    from pipeline.cli import main

    study = _layout_study(tmp_path, "受访者：改造以后谁来管？没有物业。\n受访者：资金也不够。\n")
    assert main(["interviews", "--study", str(study)]) == 0
    assert "R01.txt: only one speaker found" in capsys.readouterr().out


def test_roles_as_the_researcher_writes_them(tmp_path, capsys):
    """居委会, 居民, 社区党委, 运营企业 in the roster become the vocabulary's ids, so every table by
    role fills; a role the vocabulary does not know stays as written and is reported."""
    from pipeline.cli import main
    from tests.test_safety import interview_study

    roster = ("informant,role,community\nR01,居民,梧桐里\nJ01,社区居委会,梧桐里\nJ02,社区党委,梧桐里\n"
              "Q01,运营企业,梧桐里\nX01,住建局,梧桐里\n")
    texts = {f"{c}.txt": "访谈者：资金怎么样？\n受访者：资金不够，居民出资难。\n" for c in ("R01", "J01", "J02", "Q01", "X01")}
    study = interview_study(tmp_path / "s", roster=roster, transcripts=texts)
    assert main(["interviews", "--study", str(study)]) == 0
    assert main(["code", "--study", str(study)]) == 0
    out = tmp_path / "s" / "out"
    seg = pd.read_parquet(out / "interviews" / "segments.parquet")
    assert set(seg["role"]) == {"resident", "residents_committee", "operator", "住建局"}
    log = json.loads((out / "interviews" / "interviews_log.json").read_text(encoding="utf-8"))
    assert log["roles_mapped"] == {"居民": "resident", "社区居委会": "residents_committee",
                                   "社区党委": "residents_committee", "运营企业": "operator"}
    assert any("住建局" in w for w in log["warnings"])
    by_role = pd.read_csv(out / "coding" / "code_by_role.csv", encoding="utf-8-sig")
    funding = by_role[by_role["code"] == "funding_pressure"].set_index("role")
    assert funding.loc["residents_committee", "informants"] == 2


def test_a_study_extends_the_role_vocabulary(tmp_path):
    """interviews.roles: the study's own vocabulary adds a role (住建局 → housing_bureau, labelled
    区住建局) and synonyms of a bundled one (楼组长 → resident); tables and the report show them,
    and the next study in the same process is back to the bundled vocabulary."""
    from pipeline.cli import main
    from pipeline.interviews.roles import ROLE_LABELS, canonical_role
    from tests.test_safety import interview_study

    d = tmp_path / "s"
    d.mkdir()
    (d / "roles.yaml").write_text(
        "roles:\n  - {id: housing_bureau, zh: 区住建局, en: Housing bureau, synonyms: [住建局, 住建委]}\n"
        "  - {id: resident, synonyms: [楼组长]}\n", encoding="utf-8")
    roster = "informant,role,community\nR01,楼组长,梧桐里\nX01,住建局,梧桐里\nJ01,居委会,梧桐里\n"
    texts = {f"{c}.txt": "访谈者：资金怎么样？\n受访者：资金不够，居民出资难。\n" for c in ("R01", "X01", "J01")}
    study = interview_study(d, roster=roster, transcripts=texts, extra_iv="  roles: roles.yaml")
    for stage in ("interviews", "code", "findings", "report"):
        assert main([stage, "--study", str(study), "--quiet"]) == 0, stage
    out = d / "out"
    seg = pd.read_parquet(out / "interviews" / "segments.parquet")
    assert set(seg["role"]) == {"resident", "housing_bureau", "residents_committee"}
    log = json.loads((out / "interviews" / "interviews_log.json").read_text(encoding="utf-8"))
    assert log["roles_mapped"]["楼组长"] == "resident" and log["roles_mapped"]["住建局"] == "housing_bureau"
    assert not any("住建局" in w for w in log["warnings"])
    md = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "区住建局" in md
    assert ROLE_LABELS["housing_bureau"] == ("区住建局", "Housing bureau")
    other = interview_study(tmp_path / "t", roster="informant,role,community\nX01,住建局,梧桐里\n",
                            transcripts={"X01.txt": "访谈者：资金？\n受访者：资金不够。\n"})
    assert main(["interviews", "--study", str(other), "--quiet"]) == 0
    assert "housing_bureau" not in ROLE_LABELS and canonical_role("住建局") is None


def test_a_roster_with_chinese_headers_and_roles_written_with_a_position(tmp_path):
    """A researcher's roster (受访者编号, 姓名, 身份 '物业经理', 小区, 访谈人) and a 腾讯会议 transcript
    whose speaker labels are the people's names ("陈志刚(00:00:08): …"): the informant's turns are
    the informant's (they were merged into the interviewer's, all of them uncoded), the roles map
    to the vocabulary, and no name is left."""
    from pipeline.interviews.roles import canonical_role

    assert [canonical_role(v) for v in ["街道办干部", "居委会主任", "物业经理", "业委会委员", "社区党委书记", "主任", "社区规划师"]] \
        == ["street_office", "residents_committee", "property_company", "owners_committee", "residents_committee",
            None, None]
    d = tmp_path / "s"
    (d / "t").mkdir(parents=True)
    (d / "t" / "roster.csv").write_text("受访者编号,姓名,身份,小区,访谈日期,访谈人\nA01,陈志刚,物业经理,纺织新村,2024-05-08,林晓\n"
                                        "A02,赵秀英,居民,纺织新村,2024-05-09,林晓\n", encoding="utf-8-sig")
    (d / "t" / "A01.txt").write_text(
        "会议主题：物业访谈\n\n林晓(00:00:05): 陈经理，改造以后物业怎么样？\n\n"
        "陈志刚(00:00:08): 物业费收不上来，我们快撑不下去了。\n\n林晓(00:00:20): 居民来开会吗？\n\n"
        "陈志刚(00:00:24): 开会就那几个人。\n", encoding="utf-8")
    (d / "t" / "A02.txt").write_text("访谈者：您好。\n受访者：我住五楼，没电梯。\n", encoding="utf-8")
    (d / "study.yaml").write_text(f"name: s\nquestionnaire: {QUESTIONNAIRE}\ncoding_scheme: renewal_governance\n"
                                  "interviews:\n  dir: t/\n  roster: t/roster.csv\noutputs: out\n", encoding="utf-8")
    st = Study(d / "study.yaml")
    log = iv_stage.run(st)
    assert not [w for w in log["warnings"] if "role" in w]
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    a01 = seg[seg["document"] == "A01.txt"]
    informant = a01[~a01["is_interviewer"]]
    assert {"物业费收不上来,我们快撑不下去了。", "开会就那几个人。"} <= set(informant["text"])
    assert set(a01.loc[a01["is_interviewer"], "text"]) >= {"居民来开会吗?"}
    assert set(seg["role"]) == {"property_company", "resident"} and set(seg["community"]) == {"纺织新村"}
    text = " ".join(seg["text"]) + " ".join(seg["speaker"].astype(str))
    for name in ("陈志刚", "林晓", "赵秀英"):
        assert name not in text
    cases = pd.read_csv(d / "out" / "interviews" / "cases.csv", encoding="utf-8-sig")
    assert list(cases.columns) == ["informant", "role", "community"]
