"""The cases an independent red team found after the first round of issue 9 (hostile and careless
use): a user's files inside a stage folder, two transcripts of one informant, personal data in
file names, informant codes and speaker labels, numbers written to slip past the patterns, and
configuration values that only look valid."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.core.privacy import redact
from tests.test_safety import _run, interview_study, leaks

# ---- stage folders: a user's own files are never deleted ----------------------------------------

def test_a_users_file_inside_a_stage_folder_stops_the_rerun(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    manifest = json.loads((d / "out" / "interviews" / "manifest.json").read_text(encoding="utf-8"))
    assert "segments.parquet" in manifest["files"] and "manifest.json" in manifest["files"]
    mine = d / "out" / "interviews" / "my_memo.docx"
    mine.write_bytes(b"only copy")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "my_memo.docx" in err and "move your files out" in err
    assert mine.read_bytes() == b"only copy"
    mine.unlink()
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0


def test_a_manifest_written_before_the_file_list_still_protects_extra_files(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    m = d / "out" / "interviews" / "manifest.json"
    old = json.loads(m.read_text(encoding="utf-8"))
    del old["files"]
    m.write_text(json.dumps(old), encoding="utf-8")
    (d / "out" / "interviews" / "notes.txt").write_text("x", encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "notes.txt" in err


# ---- study values that only look valid -----------------------------------------------------------

@pytest.mark.parametrize("line, key", [("  files: []", "survey.files"), ("seed: true", "seed"),
                                       ("bilingual: 'yes'", "bilingual")])
def test_values_that_only_look_valid_are_refused(tmp_path, capsys, line, key):
    d = tmp_path / "study"
    study = interview_study(d)
    text = study.read_text(encoding="utf-8")
    text = text.replace("  files: [raw/survey.csv]", line) if line.startswith("  files") else text + line + "\n"
    study.write_text(text, encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and err.count("\n") == 1 and key in err


def test_a_wave_written_as_a_year_is_a_label(tmp_path):
    from pipeline.core.study import Study

    d = tmp_path / "study"
    study = interview_study(d)
    study.write_text(study.read_text(encoding="utf-8").replace(
        "  files: [raw/survey.csv]", "  files:\n    - {path: raw/survey.csv, source: 2024}"), encoding="utf-8")
    assert Study(study).survey_files[0][1] == "2024"


# ---- interviews: several sessions, empty files ---------------------------------------------------

def test_two_transcripts_of_one_informant_are_two_sessions(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, transcripts={
        "R01_a.txt": "---\ninformant: R01\n---\n访谈者：改造以后谁来管？\n受访者：没有物业，楼道灯坏了没人修。\n",
        "R01_b.txt": "---\ninformant: R01\n---\n访谈者：资金呢？\n受访者：资金也不够，居民不愿意出钱。\n",
        "J01.txt": "访谈者：居民参与怎么样？\n受访者：开会来的人很少，协调起来很难。\n"})
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert _run(capsys, "code", "--study", str(study))[0] == 0
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    assert seg["segment_id"].is_unique
    r01 = seg[seg["informant"] == "R01"]
    assert set(r01["document"]) == {"R01_a.txt", "R01_b.txt"}
    assert r01["segment_id"].str.match(r"R01\.[12]-\d{3}-\d{2}$").all()
    assert seg.loc[seg["informant"] == "J01", "segment_id"].str.match(r"J01-\d{3}-\d{2}$").all()


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"", b"---\ninformant: R01\n---\n  \n"])
def test_a_transcript_without_text_is_refused(tmp_path, capsys, content):
    d = tmp_path / "study"
    study = interview_study(d)
    (d / "interviews" / "R01.txt").write_bytes(content)
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "R01.txt" in err and ("no text" in err or "empty" in err)


# ---- personal data in file names, codes and speaker labels --------------------------------------

def test_no_name_leaks_through_file_names_speaker_labels_or_the_manifest(tmp_path, capsys):
    d = tmp_path / "study"
    roster = ("informant,role,community,name,interviewer\n"
              "R01,resident,梧桐里,洪振邦,LXW\nJ01,residents_committee,梧桐里,龚建华,李明\n")
    study = interview_study(d, roster=roster, extra_iv="  gold: interviews/gold.csv", transcripts={
        "洪振邦访谈.txt": "---\ninformant: R01\n---\nLXW：改造以后谁来管？\n受访者：没有物业，振邦我自己修灯。\n",
        "J01.txt": "李明：居民参与怎么样？\n受访者：开会来的人很少，协调起来很难。\n"})
    # the coder's spans name the file as it is on disk
    (d / "interviews" / "gold.csv").write_text("document,start,end,code\n洪振邦访谈.txt,24,28,long_term_management\n",
                                               encoding="utf-8")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    code, err = _run(capsys, "code", "--study", str(study))
    assert code == 0, err
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    assert "[姓名:R01]访谈.txt" in set(seg["document"])
    asked = seg[seg["is_interviewer"]]
    assert set(asked["speaker"]) == {"[姓名:访谈者]"} and len(asked) == 2
    assert leaks(d / "out", ("洪振邦", "振邦", "龚建华", "LXW", "李明")) == []
    agreement = pd.read_csv(d / "out" / "coding" / "agreement.csv", encoding="utf-8-sig")
    assert agreement["documents"].iloc[0] == 1


@pytest.mark.parametrize("code", ["13800138000", "洪振邦"])
def test_informant_codes_that_are_personal_data_are_refused(tmp_path, capsys, code):
    d = tmp_path / "study"
    roster = f"informant,role,community,name\n{code},resident,梧桐里,洪振邦\nJ01,residents_committee,梧桐里,龚建华\n"
    study = interview_study(d, roster=roster, transcripts={
        f"{code}.txt": "访谈者：谁来管？\n受访者：没人管。\n", "J01.txt": "访谈者：参与？\n受访者：很少。\n"})
    err = _run(capsys, "interviews", "--study", str(study))[1]
    assert "informant code holds personal data" in err and code not in err


@pytest.mark.parametrize("column", ["interviewer", "访谈员"])
def test_the_interviewer_is_not_a_case_variable(tmp_path, capsys, column):
    d = tmp_path / "study"
    roster = f"informant,role,community,{column}\nR01,resident,梧桐里,LXW\nJ01,residents_committee,梧桐里,ZBY\n"
    study = interview_study(d, roster=roster, extra_iv=f"  case_variables: [role, {column}]")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "looks like personal data" in err


# ---- numbers and names written to slip past the patterns ----------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("我电话138\u200b1234\u200b5678", "mobile"),
    ("手机一三八，嗯，一二三四，五六七八", "mobile"),
    ("打138，1234，5678找我", "mobile"),
    ("号码是 1 3 8 1 2 3 4 5 6 7 8", "mobile"),
    ("1381-234-5678", "mobile"),
    ("身份证3101 0519 8003 0312 34", "id_number"),
    ("证件号310105-19800312-3456", "id_number"),
    ("住长乐路123弄4号", "address"),
    ("45弄6号302室还漏水", "address"),
    ("三弄十二号", "address"),
])
def test_numbers_written_to_slip_past(text, kind):
    _, counts = redact(text)
    assert counts.get(kind) == 1, (text, counts)


@pytest.mark.parametrize("text", ["投资13,000,000,000元", "2019、2020、2021年", "12345热线", "3号楼加装电梯",
                                  "工单号 20230512000123", "第3弄的路灯"])
def test_plain_numbers_stay(text):
    assert redact(text) == (text, {})


def test_given_names_dotted_and_traditional_names():
    from pipeline.core.privacy import names_from_roster
    from pipeline.interviews.redaction import redact_text

    roster = pd.DataFrame({"informant": ["R01", "R02", "R03"], "name": ["洪振邦", "阿依古丽·买买提", "邓丽娟"]})
    names = names_from_roster(roster)
    for text, want in [("振邦说过", "[姓名:R01]说过"), ("阿依古丽.买买提来了", "[姓名:R02]来了"),
                       ("阿依古丽买买提", "[姓名:R02]"), ("阿依古丽•买买提", "[姓名:R02]"), ("阿依古丽说", "[姓名:R02]说"),
                       ("鄧麗娟說", "[姓名:R03]說"), ("邓 丽 娟", "[姓名:R03]")]:
        assert redact_text(text, names)[0] == want
    # traditional text stays traditional: only the name is replaced, offsets hold
    out, placed = redact_text("我是鄧麗娟，住這裡", names)
    assert out == "我是[姓名:R03]，住這裡" and placed[0][3:] == (2, 5)


def test_roster_values_in_traditional_script_are_caught_as_case_variables(tmp_path, capsys):
    d = tmp_path / "study"
    roster = ("informant,role,community,name,note\n"
              "R01,resident,梧桐里,邓丽娟,鄧麗娟家\nJ01,residents_committee,梧桐里,龚建华,好\n")
    study = interview_study(d, roster=roster, extra_iv="  case_variables: [role, note]")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "column 'note' holds personal data" in err


def test_redaction_of_a_long_answer_is_linear():
    """A 5 MB answer of repeated titles and digits once took minutes (an overlap check of every
    pair of matches, an e-mail pattern without an anchor); the count of matches is exact."""
    text = "王主任说1111111111aaaa.com 一三八 " * 2000
    out, counts = redact(text)
    assert counts == {"name_short": 2000}
    assert out.count("[姓名]") == 2000


# ---- messages instead of the system's bare reason -----------------------------------------------

def test_outputs_pointing_at_a_file(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, outputs="notes.txt")
    (d / "notes.txt").write_text("mine", encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "key 'outputs'" in err and "is a file" in err
    assert (d / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("stage, needs", [("code", "interviews"), ("topics", "interviews")])
def test_a_stage_run_before_the_one_it_reads_says_which(tmp_path, capsys, stage, needs):
    d = tmp_path / "study"
    study = interview_study(d)
    code, err = _run(capsys, stage, "--study", str(study))
    assert code == 2 and f"run the {needs} stage first" in err.replace("'", "")


def test_a_report_of_nothing_is_refused(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    code, err = _run(capsys, "report", "--study", str(study))
    assert code == 2 and "nothing to report yet" in err
    assert not (d / "out" / "report").exists()


def test_a_gold_offset_too_large_is_named(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, extra_iv="  gold: interviews/gold.csv")
    (d / "interviews" / "gold.csv").write_text("document,start,end,code\nR01.txt,0,1e300,long_term_management\n",
                                               encoding="utf-8")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    code, err = _run(capsys, "code", "--study", str(study))
    assert code == 2 and "column 'end'" in err and "1e300" in err and "whole numbers" in err


# ---- second round ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["interviews.old", "interviews.tmp"])
def test_a_users_copy_of_a_stage_folder_is_never_deleted(tmp_path, capsys, name):
    import shutil

    d = tmp_path / "study"
    study = interview_study(d)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    backup = d / "out" / name
    shutil.copytree(d / "out" / "interviews", backup)  # the user's backup, manifest included
    (backup / "my_notes.txt").write_text("keep", encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and name in err
    assert (backup / "my_notes.txt").read_text(encoding="utf-8") == "keep"


def test_a_file_saved_into_the_stage_folder_while_the_stage_runs_is_kept(tmp_path):
    from pipeline.core.errors import InputError
    from pipeline.core.stage import stage_output

    out = tmp_path / "out" / "s"
    with stage_output(out, inputs=[], configs=[], seed=1, stage="s") as tmp:
        (tmp / "a.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(InputError, match="during.txt"):
        with stage_output(out, inputs=[], configs=[], seed=1, stage="s") as tmp:
            (tmp / "a.csv").write_text("y\n", encoding="utf-8")
            (out / "during.txt").write_text("mine", encoding="utf-8")  # saved while the stage runs
    assert (out / "during.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "a.csv").read_text(encoding="utf-8") == "x\n"  # the previous results stand
    assert not (tmp_path / "out" / "s.tmp").exists()


@pytest.mark.parametrize("name_col, iv_col", [("姓名", "访谈员"), ("Name", "Interviewer")])
def test_name_and_interviewer_columns_under_other_headers(tmp_path, capsys, name_col, iv_col):
    d = tmp_path / "study"
    roster = (f"informant,role,community,{name_col},{iv_col}\n"
              "R01,resident,梧桐里,洪振邦（老洪）,李明/LM\nJ01,residents_committee,梧桐里,龚建华、龚太太,L.X.W.\n")
    study = interview_study(d, roster=roster, transcripts={
        "R01.txt": "李明：您好。\n受访者：我是洪振邦，大家叫我老洪。楼道灯坏了。\nLM：好的。\n",
        "J01.txt": "lxw：参与怎么样？\n受访者：龚建华说很少，龚太太也这么说。\n"})
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    text = " ".join(seg["text"]) + " ".join(seg["speaker"]) + " ".join(t for ts in seg["tokens"] for t in ts)
    for secret in ("洪振邦", "李明", "LM", "龚建华", "龚太太", "lxw", "老洪"):
        assert secret not in text, secret
    assert seg["is_interviewer"].sum() == 3


def test_gold_file_and_coder_named_after_people(tmp_path, capsys):
    d = tmp_path / "study"
    roster = "informant,role,community,name,interviewer\nR01,resident,梧桐里,洪振邦,ZBY\nJ01,residents_committee,梧桐里,龚建华,ZBY\n"
    study = interview_study(d, roster=roster, extra_iv="  gold: interviews/洪振邦的编码.csv")
    (d / "interviews" / "洪振邦的编码.csv").write_text(
        "document,start,end,code,coder\nR01.txt,10,20,long_term_management,ZBY\n", encoding="utf-8")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    code, err = _run(capsys, "code", "--study", str(study))
    assert code == 0, err
    assert leaks(d / "out", ("洪振邦", "ZBY")) == []


def test_roster_columns_that_are_not_case_variables_never_leave(tmp_path, capsys):
    d = tmp_path / "study"
    roster = ("informant,role,community,备注(访员李明13911112222)\n"
              "R01,resident,洪振邦家 3号楼2单元501 13800138000,x\nJ01,residents_committee,梧桐里,y\n")
    study = interview_study(d, roster=roster, extra_iv="  case_variables: [role]")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert leaks(d / "out", ("13800138000", "3号楼2单元501", "13911112222")) == []


def test_survey_file_names_labels_headers_and_known_names(tmp_path, capsys, demo):
    """An export named after a person, its source label, an extra column's header, and the
    roster's names in open answers: all redacted on the survey side too."""
    d = tmp_path / "study"
    study = interview_study(d)
    df = demo.by_text.head(30).copy()
    col = next(c for c in df.columns if str(c).startswith("25"))
    df[col] = df[col].astype(object)
    df.loc[df.index[0], col] = "洪振邦说楼道灯坏了，找龚建华也没用"
    df["备注(韩志峰13911112222)"] = "x"
    df.to_csv(d / "raw" / "韩志峰_13911112222.csv", index=False)
    text = study.read_text(encoding="utf-8").replace(
        "  files: [raw/survey.csv]", "  files:\n    - {path: raw/韩志峰_13911112222.csv, source: 龚建华的问卷}")
    study.write_text(text, encoding="utf-8")
    code, err = _run(capsys, "ingest", "--study", str(study))
    assert code == 0, err
    assert leaks(d / "out" / "ingest", ("13911112222", "洪振邦", "龚建华")) == []
    log = json.loads((d / "out" / "ingest" / "ingest_log.json").read_text(encoding="utf-8"))
    assert log["redactions"].get("name", 0) >= 2


@pytest.mark.parametrize("text, kind", [
    ("138/1234/5678", "mobile"), ("1381，2345，678", "mobile"), ("(138) 1234-5678", "mobile"),
    ("身份证三一零一零五一九八零零三一二三四五六", "id_number"), ("310105.19800312.3456", "id_number"),
    ("QQ一二三四五六七八", "qq"), ("微信搜id abc_12345", "wechat"), ("微 信 号:abcde123", "wechat"),
    ("微信号码是abcde123", "wechat"), ("京A-12345", "plate"), ("沪 A 12345", "plate"), ("沪A一二三四五", "plate"),
    ("3号楼2单元5楼501", "address"), ("3栋5楼501", "address"), ("12#301", "address"), ("3#2-501", "address"),
    ("3—2—501", "address"), ("3/2/501", "address"), ("门牌号501", "address"), ("302号房", "address"),
    ("x@163，com", "email"), ("联系方式：6234-5678", "landline"),
    ("洪先生", "name_short"), ("龚女士", "name_short"), ("张小姐", "name_short"), ("龚太太", "name_short"),
    ("洪大叔", "name_short"), ("龚姨", "name_short"), ("邓大娘", "name_short"), ("龚老", "name_short"),
])
def test_second_round_variants(text, kind):
    _, counts = redact(text)
    assert counts.get(kind) == 1, (text, counts)


@pytest.mark.parametrize("text", ["13,000,000,000", "共计1,234,567元", "2019/2020/2021年", "第3/2期", "老人家",
                                  "他老说不清楚"])
def test_second_round_plain_text_stays(text):
    assert redact(text) == (text, {})


def test_an_address_does_not_swallow_the_next_line(tmp_path):
    from pipeline.interviews.redaction import redact_text

    out, _ = redact_text("受访者：我住3号楼2单元501\n问：资金不够吗？", {})
    assert out == "受访者：我住[门牌]\n问：资金不够吗？"


def test_names_list_kept_in_the_transcripts_folder_is_not_a_transcript(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, extra_iv="  names: interviews/names.txt")
    (d / "interviews" / "names.txt").write_text("张伟明\n", encoding="utf-8")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    assert set(seg["document"]) == {"R01.txt", "J01.txt"}


def test_special_files_are_refused_not_read(tmp_path, capsys):
    import os

    d = tmp_path / "study"
    study = interview_study(d, extra_iv="  names: /dev/zero")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "not a regular file" in err
    d2 = tmp_path / "study2"
    study2 = interview_study(d2)
    os.mkfifo(d2 / "interviews" / "R02.txt")
    code, err = _run(capsys, "interviews", "--study", str(study2))
    assert code == 2 and "R02.txt" in err and "not a regular file" in err


def test_blank_informant_code_and_empty_survey_path(tmp_path, capsys):
    d = tmp_path / "study"
    roster = "informant,role,community\nR01,resident,梧桐里\n,residents_committee,梧桐里\n"
    study = interview_study(d, roster=roster)
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "no informant code" in err and "row 3" in err
    study.write_text(study.read_text(encoding="utf-8").replace("[raw/survey.csv]", "['']"), encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "empty path" in err


def test_findings_with_a_filtered_problem_and_no_codings(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, transcripts={"R01.txt": "访谈者：你好。\n受访者：天气不错。\n",
                                            "J01.txt": "访谈者：你好。\n受访者：还行吧。\n"})
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert _run(capsys, "code", "--study", str(study))[0] == 0
    code, err = _run(capsys, "findings", "--study", str(study))
    assert "Traceback" not in err and "KeyError" not in err
    assert code in (0, 2)


# ---- third round ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name_col, iv_col", [("Full Name", "Interviewer Name"), ("受访人", "访谈人"),
                                              ("姓  名", "访谈员"), ("respondent_name", "interviewer")])
def test_name_columns_are_found_by_what_their_header_says(tmp_path, capsys, name_col, iv_col):
    d = tmp_path / "study"
    roster = (f"informant,role,community,{name_col},{iv_col}\n"
              "R01,resident,梧桐里,何俊杰-物业经理,LXW\nJ01,residents_committee,梧桐里,洪振邦（外号：洪三）,刘晓伟 LXW\n")
    study = interview_study(d, roster=roster, transcripts={
        "R01.txt": "LXW：您好。\n受访者：我是何俊杰，俊杰就行。物业的事归我管。\n",
        "J01.txt": "晓伟：参与怎么样？\n受访者：振邦我说过，洪三也说过。\n"})
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    text = " ".join(seg["text"]) + " ".join(seg["speaker"])
    for secret in ("何俊杰", "俊杰", "振邦", "洪三", "LXW", "晓伟"):
        assert secret not in text, secret
    assert "物业" in text  # a note in a name cell (物业经理) is not a name


def test_a_big5_roster_and_transcript(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    (d / "interviews" / "informants.csv").write_bytes(
        "informant,role,community,name\nR01,resident,梧桐里,鄧麗娟\nJ01,residents_committee,梧桐里,龔建華\n".encode("big5"))
    (d / "interviews" / "R01.txt").write_bytes("訪談者：改造以後誰來管？\n受訪者：我是鄧麗娟，沒有物業。\n".encode("big5"))
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    docs = pd.read_parquet(d / "out" / "interviews" / "documents.parquet")
    text = docs.loc[docs["document"] == "R01.txt", "text"].iloc[0]
    assert "沒有物業" in text and "鄧麗娟" not in text and "[姓名:R01]" in text


@pytest.mark.parametrize("text, kind", [
    ("7栋3-201", "address"), ("5#楼401", "address"), ("阿陈说的", "name_short"), ("陈生", "name_short"),
    ("陈太", "name_short"), ("陈伯", "name_short"), ("端木主任", "name_short")])
def test_third_round_variants(text, kind):
    _, counts = redact(text)
    assert counts.get(kind) == 1, (text, counts)


def test_variant_characters_fold_to_the_roster_name():
    from pipeline.interviews.redaction import redact_text

    out, _ = redact_text("周衞國和栢林都来了", {"周卫国": "R01", "柏林": "R02"})
    assert out == "[姓名:R01]和[姓名:R02]都来了"


def test_respondent_ids_and_channel_details_that_are_personal(tmp_path, capsys, demo):
    d = tmp_path / "study"
    study = interview_study(d)
    df = demo.by_text.head(20).copy()
    id_col, detail = df.columns[0], next((c for c in df.columns if "来源详情" in str(c)), None)
    df[id_col] = df[id_col].astype(object)
    df.loc[df.index[0], id_col] = "3号楼2单元101"
    df.loc[df.index[1], id_col] = "13800138000"
    if detail is not None:
        df[detail] = df[detail].astype(object)
        df.loc[df.index[2], detail] = "https://www.wjx.cn/vm/x.aspx?sojumpparm=13912345678"
    df.to_csv(d / "raw" / "survey.csv", index=False)
    assert _run(capsys, "ingest", "--study", str(study))[0] == 0
    assert _run(capsys, "clean", "--study", str(study))[0] == 0
    assert leaks(d / "out", ("13800138000", "3号楼2单元101", "13912345678")) == []
    log = json.loads((d / "out" / "ingest" / "ingest_log.json").read_text(encoding="utf-8"))
    assert log["redactions"]["respondent_id"] == 2


def test_a_study_named_after_a_person(tmp_path, capsys):
    d = tmp_path / "洪振邦访谈"
    study = interview_study(d)
    study.write_text(study.read_text(encoding="utf-8").replace("name: safety", "name: 洪振邦口述史"), encoding="utf-8")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert _run(capsys, "code", "--study", str(study))[0] == 0
    assert leaks(d / "out", ("洪振邦",)) == []


def test_an_impossible_date_in_front_matter_or_the_study(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, transcripts={"R01.txt": "---\ninformant: R01\ndate: 2024-02-30\n---\n访谈者：好\n受访者：好\n",
                                            "J01.txt": "访谈者：好\n受访者：好\n"})
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "R01.txt" in err and "date" in err
    study.write_text(study.read_text(encoding="utf-8").replace("name: safety", "name: 2024-13-01"), encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "study.yaml" in err


def test_word_documents_the_pipeline_cannot_read_are_named(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    (d / "interviews" / "R02.doc").write_bytes(b"\xd0\xcf\x11\xe0old word")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "R02.doc" in err and ".docx" in err


def test_a_word_transcript_laid_out_as_a_table(tmp_path, capsys):
    import docx

    d = tmp_path / "study"
    study = interview_study(d)
    (d / "interviews" / "R01.txt").unlink()
    doc = docx.Document()
    doc.add_paragraph("访谈记录")
    t = doc.add_table(rows=3, cols=3)
    for r, (ts, who, say) in enumerate([("00:00:05", "访谈者", "改造以后谁来管？"),
                                        ("00:00:09", "受访者", "没有物业，楼道灯坏了没人修。"),
                                        ("00:01:02", "访谈者", "资金呢？")]):
        t.cell(r, 0).text, t.cell(r, 1).text, t.cell(r, 2).text = ts, who, say
    doc.save(d / "interviews" / "R01.docx")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    r01 = seg[seg["document"] == "R01.docx"]
    assert r01.loc[~r01["is_interviewer"], "text"].tolist()[-1] == "没有物业,楼道灯坏了没人修。"
    assert r01["is_interviewer"].sum() == 2


def test_an_edited_report_is_not_overwritten(tmp_path):
    from pipeline.core.errors import InputError
    from pipeline.core.stage import stage_output

    out = tmp_path / "out" / "report"
    with stage_output(out, inputs=[], configs=[], seed=1, stage="report") as tmp:
        (tmp / "report.md").write_text("# 报告\n", encoding="utf-8")
    (out / "report.md").write_text("# 报告\n我加的结论。\n", encoding="utf-8")
    with pytest.raises(InputError, match="changed after the report stage wrote it"):
        with stage_output(out, inputs=[], configs=[], seed=1, stage="report") as tmp:
            (tmp / "report.md").write_text("# 报告\n", encoding="utf-8")
    assert "我加的结论" in (out / "report.md").read_text(encoding="utf-8")


# ---- fourth round ---------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["化名", "真名", "姓名（单位）", "Interviewee", "受访者姓名（社区干部）", "称呼",
                                    "Participant", "受访人员", "受訪者", "x"])
def test_names_are_redacted_whatever_the_name_column_is_called(tmp_path, capsys, header):
    """By its header, or — for a header nobody foresaw ('x') — because its values are names."""
    d = tmp_path / "study"
    roster = (f"informant,role,community,{header}\nR01,resident,梧桐里,洪振邦\n"
              "J01,residents_committee,梧桐里,龚建华\n")
    study = interview_study(d, roster=roster, transcripts={
        "R01.txt": "访谈者：您好。\n受访者：我是洪振邦，振邦就行。\n", "J01.txt": "访谈者：好吗？\n受访者：龚建华说好。\n"})
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    seg = pd.read_parquet(d / "out" / "interviews" / "segments.parquet")
    text = " ".join(seg["text"])
    assert "洪振邦" not in text and "振邦" not in text and "龚建华" not in text


def test_a_name_in_the_front_matter_is_redacted(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, roster="informant,role,community\nR01,resident,梧桐里\nJ01,residents_committee,梧桐里\n",
                            transcripts={"R01.txt": "---\ninformant: R01\nname: 洪振邦\n---\n访谈者：您好。\n受访者：我是洪振邦。\n",
                                         "J01.txt": "访谈者：好吗？\n受访者：好。\n"})
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert "洪振邦" not in " ".join(pd.read_parquet(d / "out" / "interviews" / "segments.parquet")["text"])


def test_make_clean_deletes_only_what_the_pipeline_made(tmp_path, capsys):
    from pipeline.cli import main

    d = tmp_path / "study"
    study = interview_study(d)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert _run(capsys, "code", "--study", str(study))[0] == 0
    (d / "out" / "my_notes").mkdir()
    (d / "out" / "my_notes" / "n.txt").write_text("mine", encoding="utf-8")
    (d / "out" / "coding" / "codebook.csv").write_text("edited", encoding="utf-8")
    assert main(["clean-outputs", str(tmp_path / "study")]) == 0
    out = capsys.readouterr().out
    assert not (d / "out" / "interviews").exists()
    assert (d / "out" / "coding" / "codebook.csv").read_text(encoding="utf-8") == "edited"
    assert (d / "out" / "my_notes" / "n.txt").read_text(encoding="utf-8") == "mine"
    assert "edited after the stage wrote it" in out and "my_notes" in out


def test_a_numeric_item_holding_phone_numbers_never_leaves(tmp_path, capsys, demo):
    d = tmp_path / "study"
    study = interview_study(d)
    df = demo.by_text.head(20).copy()
    col = next(c for c in df.columns if "居住" in str(c) and "年" in str(c))  # a numeric item of the demo
    df[col] = df[col].astype(object)
    df.loc[df.index[0], col] = "13800138000"
    df.to_csv(d / "raw" / "survey.csv", index=False)
    assert _run(capsys, "ingest", "--study", str(study))[0] == 0
    for p in (d / "out" / "ingest").rglob("*.parquet"):
        frame = pd.read_parquet(p)
        assert not frame.astype(str).apply(lambda c: c.str.contains("13800138000")).any().any(), p
        assert not (frame.select_dtypes("number") == 13800138000).any().any(), p
    log = json.loads((d / "out" / "ingest" / "ingest_log.json").read_text(encoding="utf-8"))
    assert log["redactions"]["numeric_personal"] == 1


@pytest.mark.parametrize("text", ["帽儿胡同23号", "南锣鼓巷45号院", "和平村5组23号", "18号院3排5号", "502房间", "我住3-501",
                                  "梧桐里-3-2-501", "5号楼-2单元-301"])
def test_fourth_round_addresses(text):
    assert redact(text)[1].get("address") == 1, text


def test_an_informant_code_holding_a_flat_is_refused(tmp_path, capsys):
    d = tmp_path / "study"
    roster = "informant,role,community\nH-3-2-501,resident,梧桐里\nJ01,residents_committee,梧桐里\n"
    study = interview_study(d, roster=roster, transcripts={"H-3-2-501.txt": "访谈者：好\n受访者：好\n",
                                                           "J01.txt": "访谈者：好\n受访者：好\n"})
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "informant code holds personal data" in err


def test_an_edit_is_protected_under_an_older_manifest(tmp_path):
    import os
    import time

    from pipeline.core.errors import InputError
    from pipeline.core.stage import stage_output

    out = tmp_path / "out" / "report"
    with stage_output(out, inputs=[], configs=[], seed=1, stage="report") as tmp:
        (tmp / "report.md").write_text("# 报告\n", encoding="utf-8")
    m = out / "manifest.json"
    old = json.loads(m.read_text(encoding="utf-8"))
    del old["hashes"]
    m.write_text(json.dumps(old), encoding="utf-8")
    past = time.time() - 60
    os.utime(m, (past, past))
    (out / "report.md").write_text("# 报告\n我的结论。\n", encoding="utf-8")
    with pytest.raises(InputError, match="changed after"):
        with stage_output(out, inputs=[], configs=[], seed=1, stage="report") as tmp:
            (tmp / "report.md").write_text("x", encoding="utf-8")


def test_two_studies_sharing_an_output_folder(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    other = d / "other.yaml"
    other.write_text(study.read_text(encoding="utf-8"), encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(other))
    assert code == 2 and "another study" in err


def test_a_pilot_sized_survey_runs_through_stats(tmp_path, capsys, demo):
    from tests.conftest import write_study

    for n in (8, 12):
        d = tmp_path / f"pilot{n}"
        d.mkdir()
        demo.by_text.sample(n=n, random_state=1).to_csv(d / "export.csv", index=False)
        study = write_study(d, ["export.csv"])
        for stage in ("ingest", "clean", "stats"):
            code, err = _run(capsys, stage, "--study", str(study))
            assert code in (0, 2) and "Traceback" not in err, (n, stage, err)


def test_run_goes_on_when_topics_cannot_be_made(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    text = "\n".join(line for line in study.read_text(encoding="utf-8").splitlines()
                     if not line.startswith(("questionnaire:", "survey:", "  files:")))
    study.write_text(text + "\n", encoding="utf-8")  # interview-only: two short transcripts
    code, err = _run(capsys, "run", "--study", str(study))
    assert code == 0, err
    log = json.loads((d / "out" / "topics" / "topics_log.json").read_text(encoding="utf-8"))
    assert "too little text" in log["skipped"]
    assert (d / "out" / "report" / "report.docx").is_file()
