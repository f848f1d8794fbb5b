"""Bad input: exit code 2, one line naming file/row/column/value, raw bytes unchanged, no traceback."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, write_study
from .test_readers import MINI, wjx_text


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _xlsx(tmp_path: Path, frame, name="survey.xlsx") -> Path:
    p = tmp_path / name
    frame.to_excel(p, index=False)
    return p


def _case_empty(tmp_path):
    p = tmp_path / "survey.csv"
    p.write_bytes(b"")
    return p, ["empty"]


def _case_header_only(tmp_path):
    p = tmp_path / "survey.csv"
    wjx_text().iloc[:0].to_csv(p, index=False, encoding="utf-8-sig")
    return p, ["header but no data rows"]


def _case_unknown_answer(tmp_path):
    df = wjx_text()
    df.loc[1, "6、总体满意度 "] = "超级满意"
    return _xlsx(tmp_path, df), ["row 3", "6、总体满意度", "'超级满意'", "overall"]


def _case_item_without_column(tmp_path):
    df = wjx_text().drop(columns=["7、户籍地"])
    return _xlsx(tmp_path, df), ["item 'region' (question 7) matches no column"]


def _case_two_columns_one_item(tmp_path):
    df = wjx_text()
    df.insert(8, "1、性别(单选题 *必答)", df["1、性别"])
    return _xlsx(tmp_path, df), ["two columns match item 'gender'", "1、性别(单选题 *必答)"]


def _case_duplicated_header(tmp_path):
    df = wjx_text()
    p = tmp_path / "survey.csv"
    text = df.to_csv(index=False)
    lines = text.splitlines()
    lines[0] = lines[0].replace("8、建议", "1、性别")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, ["duplicated header", "'1、性别'", "row 1"]


def _case_text_in_numeric(tmp_path):
    df = wjx_text()
    df.loc[0, "2、居住年限 "] = "二十年"
    return _xlsx(tmp_path, df), ["row 2", "2、居住年限", "'二十年'", "not a number"]


def _case_truncated_xlsx(tmp_path):
    p = _xlsx(tmp_path, wjx_text())
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p, ["cannot read as an Excel workbook"]


CASES = {
    "empty file": _case_empty,
    "header only": _case_header_only,
    "unknown answer text": _case_unknown_answer,
    "item matching no column": _case_item_without_column,
    "two columns matching one item": _case_two_columns_one_item,
    "duplicated header": _case_duplicated_header,
    "text in a numeric item": _case_text_in_numeric,
    "truncated xlsx": _case_truncated_xlsx,
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exit_2_one_line(case, tmp_path):
    raw, expected = CASES[case](tmp_path)
    before = digest(raw)
    study = write_study(tmp_path, [raw.name], questionnaire=MINI)
    r = run_cli("ingest", "--study", str(study))
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert str(raw) in err  # names the file
    for piece in expected:
        assert piece in err, f"{piece!r} not in {err!r}"
    assert digest(raw) == before
    assert not (tmp_path / "out" / "t" / "ingest").exists()  # nothing half-written


def test_study_pointing_to_missing_file(tmp_path):
    study = write_study(tmp_path, ["nowhere.xlsx"], questionnaire=MINI)
    r = run_cli("ingest", "--study", str(study))
    assert r.returncode == 2
    assert "survey file not found" in r.stderr and "nowhere.xlsx" in r.stderr and "survey.files[0]" in r.stderr
    assert str(study) in r.stderr


@pytest.mark.parametrize("yaml_text, key, message", [
    ("name: x\nquestionnaire: q.yaml\nsurvey: {files: [a.csv]}\nsurvy: 1\n", "survy", "unknown key"),
    ("name: x\nsurvey: {files: [a.csv]}\n", "questionnaire", "needs its 'questionnaire'"),
    ("name: x\nquestionnaire: q.yaml\nsurvey: {files: [a.csv], format: wjx}\n", "survey.format", "must be one of"),
])
def test_study_file_validation_names_key(tmp_path, yaml_text, key, message):
    p = tmp_path / "study.yaml"
    p.write_text(yaml_text, encoding="utf-8")
    r = run_cli("ingest", "--study", str(p))
    assert r.returncode == 2
    assert f"key '{key}'" in r.stderr and message in r.stderr and str(p) in r.stderr


def test_help_is_fast_and_lists_stages():
    t0 = time.perf_counter()
    r = run_cli("--help")
    elapsed = time.perf_counter() - t0
    assert r.returncode == 0
    for stage in ("ingest", "clean", "run"):
        assert stage in r.stdout
    # informational only (timing lives in bench/): the CLI must not import pandas for --help
    r2 = subprocess.run([sys.executable, "-c", "import sys, pipeline.cli; print('pandas' in sys.modules)"],
                        cwd=ROOT, capture_output=True, text=True)
    assert r2.stdout.strip() == "False"
    assert elapsed < 30
