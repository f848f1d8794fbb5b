"""The cases an independent red team found after the first round of issue 9 (hostile and careless
use): a user's files inside a stage folder, two transcripts of one informant, personal data in
file names, informant codes and speaker labels, numbers written to slip past the patterns, and
configuration values that only look valid."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.core.privacy import redact
from tests.test_safety import _decompressed, _run, interview_study

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
    for p in (d / "out").rglob("*"):
        if p.is_file():
            data = _decompressed(p)
            for secret in ("洪振邦", "振邦", "龚建华", "LXW", "李明"):
                assert secret.encode() not in data, (p, secret)
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
    from pipeline.interviews.redaction import redact_text, roster_names

    roster = pd.DataFrame({"informant": ["R01", "R02", "R03"], "name": ["洪振邦", "阿依古丽·买买提", "邓丽娟"]})
    names = roster_names(roster)
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
