"""Hostile and careless input (issue 9, points 5 and 7): one line naming the file and key and
exit 2, or handled — never a traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from tests.conftest import QUESTIONNAIRE, write_study
from tests.test_readers import MINI, wjx_text
from tests.test_safety import interview_study


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def _one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and err.startswith("error: ")


def _study(d: Path, body: str) -> Path:
    (d / "survey.csv").write_text("a\n1\n", encoding="utf-8")
    p = d / "study.yaml"
    p.write_text(body, encoding="utf-8")
    return p


STUDY_CASES = {
    "files_not_a_list": (f"name: t\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: 123\n", "key 'survey.files'"),
    "duplicate_key": (f"name: t\nname: u\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: [survey.csv]\n",
                      "key 'name' appears twice"),
    "name_dotdot": (f"name: '..'\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: [survey.csv]\n", "key 'name'"),
    "name_control": (f"name: \"a\\tb\"\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: [survey.csv]\n", "key 'name'"),
    "seed_negative": (f"name: t\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: [survey.csv]\nseed: -1\n", "key 'seed'"),
    "seed_too_large": (f"name: t\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: [survey.csv]\nseed: {2**40}\n",
                       "key 'seed'"),
    "deep_nesting": ("name: t\nx: " + "[" * 5000 + "]" * 5000 + "\n", "nesting"),
    "questionnaire_is_folder": ("name: t\nquestionnaire: .\nsurvey:\n  files: [survey.csv]\n", "is a folder"),
}


@pytest.mark.parametrize("case", sorted(STUDY_CASES))
def test_bad_study_files(case, tmp_path, capsys):
    body, expected = STUDY_CASES[case]
    study = _study(tmp_path, body)
    code, err = _run(capsys, "ingest", "--study", str(study))
    assert code == 2 and _one_line(err) and expected in err, err
    assert "study.yaml" in err or "is a folder" in err


@pytest.mark.parametrize("content, expected", [
    (b"\x00\x01\x02binary\xff", "binary file"),
    (b"name: \xff\xfe\xff\xfe\n", "neither UTF-8 nor GBK"),
])
def test_binary_or_undecodable_study_and_questionnaire(tmp_path, capsys, content, expected):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    code, err = _run(capsys, "ingest", "--study", str(bad))
    assert code == 2 and _one_line(err) and expected in err and "bad.yaml" in err
    study = _study(tmp_path, f"name: t\nquestionnaire: {bad}\nsurvey:\n  files: [survey.csv]\n")
    code, err = _run(capsys, "ingest", "--study", str(study))
    assert code == 2 and _one_line(err) and expected in err and "bad.yaml" in err


def test_study_path_is_a_folder(tmp_path, capsys):
    code, err = _run(capsys, "ingest", "--study", str(tmp_path))
    assert code == 2 and _one_line(err) and "is a folder" in err


def test_undecodable_names_list(tmp_path, capsys):
    d = tmp_path / "s"
    study = interview_study(d, extra_iv="  names: names.txt")
    (d / "names.txt").write_bytes(b"\xff\xfe\xff\xfe\x00")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and _one_line(err) and "names.txt" in err


def test_csv_with_cr_line_ends_and_a_huge_cell(tmp_path, capsys):
    df = wjx_text()
    (tmp_path / "cr.csv").write_text(df.to_csv(index=False, lineterminator="\r"), encoding="utf-8")
    big = df.copy()
    big.loc[0, "8、建议"] = "意见" * 70_000  # 140,000 characters, over csv's default field limit
    big.to_csv(tmp_path / "big.csv", index=False)
    for name in ("cr", "big"):
        study = write_study(tmp_path, [f"{name}.csv"], name=name, questionnaire=MINI)
        code, err = _run(capsys, "ingest", "--study", str(study))
        assert code == 0, err
        got = pd.read_parquet(tmp_path / "out" / name / "ingest" / "responses.parquet")
        assert len(got) == 3
        assert got["advice"].iloc[2] == "请打电话[电话]"
    assert got["advice"].iloc[0] == "意见" * 70_000


def test_control_characters_in_a_transcript(tmp_path, capsys):
    from lxml import etree

    d = tmp_path / "s"
    text = "访谈者：改造以后谁来管？\x00\n受访者：没有物业\x07，楼道灯\x1b坏了没人修\ufffe。资金也不够\x0c。\n"
    study = interview_study(d, transcripts={"R01.txt": text, "J01.txt": "受访者：协调很难。\n"})
    for stage in ("interviews", "code"):
        code, err = _run(capsys, stage, "--study", str(study))
        assert code == 0, err
    docs = pd.read_parquet(d / "out" / "interviews" / "documents.parquet")
    assert not docs["text"].str.contains("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]").any()
    assert "没有物业 ,楼道灯 坏了没人修" in docs.loc[docs["informant"] == "R01", "text"].iloc[0]
    with zipfile.ZipFile(d / "out" / "coding" / "project.qdpx") as z:
        etree.fromstring(z.read("project.qde"))  # well-formed XML


def _survey_rows(generator, demo, which: str, n: int | None = None) -> pd.DataFrame:
    bt = demo.by_text
    rid = [c for c in bt.columns if c.startswith("序号")][0]
    planted = demo.planted
    if which == "speeders":
        return bt[bt[rid].isin(set(planted.loc[planted["first_rule"] == "speeder", "respondent"]))]
    return bt[~bt[rid].isin(set(planted["respondent"]))].iloc[:n]


def test_zero_respondents_kept(tmp_path, capsys, generator, demo):
    generator.write_xlsx(_survey_rows(generator, demo, "speeders"), tmp_path / "s.xlsx")
    study = write_study(tmp_path, ["s.xlsx"], name="zero")
    assert _run(capsys, "ingest", "--study", str(study))[0] == 0
    assert _run(capsys, "clean", "--study", str(study))[0] == 0
    code, err = _run(capsys, "stats", "--study", str(study))
    assert code == 2 and _one_line(err) and "kept no respondent" in err and "exclusions.csv" in err
    code, err = _run(capsys, "findings", "--study", str(study))
    assert code == 2 and _one_line(err) and "kept no respondent" in err


def test_a_single_respondent_runs_through_the_report(tmp_path, capsys, generator, demo):
    import json

    generator.write_xlsx(_survey_rows(generator, demo, "good", 1), tmp_path / "s.xlsx")
    study = write_study(tmp_path, ["s.xlsx"], name="one")
    for stage in ("ingest", "clean", "stats", "findings", "report"):
        code, err = _run(capsys, stage, "--study", str(study))
        assert code == 0, (stage, err)
    log = json.loads((tmp_path / "out" / "one" / "report" / "report_log.json").read_text(encoding="utf-8"))
    assert "ipa_derived" in log["figures_skipped"]
    assert (tmp_path / "out" / "one" / "report" / "report.docx").stat().st_size > 0


def _bomb(path: Path, member: str, mb: int = 24) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(member, b"\x00" * (mb << 20))


def test_zip_bombs_are_refused(tmp_path, capsys):
    assert (tmp_path / "x").mkdir() is None
    _bomb(tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml")
    assert (tmp_path / "bomb.xlsx").stat().st_size < 200_000
    study = write_study(tmp_path, ["bomb.xlsx"], name="bomb")
    code, err = _run(capsys, "ingest", "--study", str(study))
    assert code == 2 and _one_line(err) and "zip bomb" in err and "bomb.xlsx" in err

    d = tmp_path / "s"
    study = interview_study(d)
    _bomb(d / "interviews" / "R01.docx", "word/document.xml")
    (d / "interviews" / "R01.txt").unlink()
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and _one_line(err) and "zip bomb" in err and "R01.docx" in err

    from pipeline.interviews.qdpx import read_qdpx

    _bomb(tmp_path / "gold.qdpx", "project.qde")
    from pipeline.core.errors import InputError

    with pytest.raises(InputError, match="zip bomb"):
        read_qdpx(tmp_path / "gold.qdpx")
