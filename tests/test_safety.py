"""Safe on hostile and careless input (issue 9): no data lost, no personal data out, no live
formulas, one line and exit 2 instead of a traceback, one run at a time."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from tests.conftest import DATA, QUESTIONNAIRE, ROOT

DEMO = ROOT / "examples" / "demo"
CODEBOOK = DATA / "coding_schemes" / "renewal_governance.yaml"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def interview_study(d: Path, *, outputs: str | None = "out", extra_iv: str = "", roster: str | None = None,
                    transcripts: dict[str, str] | None = None) -> Path:
    """A small study in ``d``: two transcripts, a roster with a phone column, outputs in ``outputs``."""
    (d / "interviews").mkdir(parents=True, exist_ok=True)
    (d / "interviews" / "informants.csv").write_text(roster or (
        "informant,role,community,name,电话\n"
        "R01,resident,梧桐里,洪振邦,13800138000\n"
        "J01,residents_committee,梧桐里,龚建华,13912345678\n"), encoding="utf-8")
    for name, text in (transcripts or {
        "R01.txt": "访谈者：改造以后谁来管？\n受访者：没有物业，楼道灯坏了没人修。资金也不够。\n",
        "J01.txt": "访谈者：居民参与怎么样？\n受访者：开会来的人很少，协调起来很难。\n",
    }).items():
        (d / "interviews" / name).write_text(text, encoding="utf-8")
    (d / "raw").mkdir(exist_ok=True)
    (d / "raw" / "survey.csv").write_text("community,households\nA,10\n", encoding="utf-8")
    lines = ["name: safety", f"questionnaire: {QUESTIONNAIRE}", "survey:", "  files: [raw/survey.csv]",
             f"coding_scheme: {CODEBOOK}", "interviews:", "  dir: interviews/", "  roster: interviews/informants.csv"]
    if extra_iv:
        lines.append(extra_iv)
    if outputs is not None:
        lines.append(f"outputs: {outputs}")
    p = d / "study.yaml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


# ---- 1. no data loss -------------------------------------------------------------------------

@pytest.mark.parametrize("outputs", [".", "interviews", "..", "interviews/out", "raw/survey.csv"])
def test_outputs_overlapping_inputs_are_refused_and_nothing_is_touched(tmp_path, capsys, outputs):
    d = tmp_path / "study"
    study = interview_study(d, outputs=outputs)
    before = _snapshot(tmp_path)
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2
    assert err.count("\n") == 1 and "key 'outputs'" in err and "input" in err
    assert _snapshot(tmp_path) == before


def test_default_output_folder_inside_the_data_is_refused(tmp_path, capsys, monkeypatch):
    d = tmp_path / "study"
    study = interview_study(d, outputs=None)
    monkeypatch.chdir(d / "interviews")  # outputs/<name> would land inside the transcripts folder
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "key 'name'" in err and "lies inside" in err


@pytest.mark.parametrize("folder", ["interviews", "interviews.tmp", "interviews.old"])
def test_a_stage_folder_the_pipeline_did_not_write_is_never_deleted(tmp_path, capsys, folder):
    d = tmp_path / "study"
    study = interview_study(d)
    mine = d / "out" / folder
    mine.mkdir(parents=True)
    (mine / "only_copy.txt").write_text("my notes", encoding="utf-8")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and "was not written by the pipeline" in err and folder in err
    assert (mine / "only_copy.txt").read_text(encoding="utf-8") == "my notes"
    assert not (d / "out" / "interviews" / "segments.parquet").exists()


def test_stage_folder_with_another_stages_manifest_is_not_replaced(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    other = d / "out" / "interviews"
    other.mkdir(parents=True)
    (other / "manifest.json").write_text('{"stage": "ingest"}', encoding="utf-8")
    code, _ = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and (other / "manifest.json").exists()


def test_pipeline_replaces_its_own_folders(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    # a crash left a temporary folder of the pipeline's own behind: it is cleared, not refused
    leftover = d / "out" / "interviews.tmp"
    leftover.mkdir()
    (leftover / ".renewal-tmp").write_bytes(b"")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert not leftover.exists() and (d / "out" / "interviews" / "manifest.json").exists()
    assert not (d / "out" / "interviews" / ".renewal-tmp").exists()


# ---- 2. roster columns: an allow-list ----------------------------------------------------------

def test_case_variables_default_to_role_and_community(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    assert _run(capsys, "code", "--study", str(study))[0] == 0
    cases = pd.read_csv(d / "out" / "interviews" / "cases.csv", encoding="utf-8-sig")
    assert list(cases.columns) == ["informant", "role", "community"]
    assert leaks(d / "out", ("13800138000", "13912345678", "洪振邦", "龚建华")) == []


def leaks(folder: Path, secrets) -> list[tuple[str, str]]:
    """(file, secret) for each secret found in any file under ``folder`` — zip members and Parquet
    text values included (:func:`_decompressed`); an empty list when nothing leaks."""
    found = []
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            data = _decompressed(p)
            found += [(str(p), s) for s in secrets if s.encode() in data]
    return found


def _decompressed(p: Path) -> bytes:
    """A file's bytes, with every member of a zip container and every Parquet text value (numbers
    are left out: an offset or an IP hash may contain a short secret's digits by chance)."""
    import zipfile

    data = p.read_bytes()
    if zipfile.is_zipfile(p):
        with zipfile.ZipFile(p) as z:
            data += b"".join(z.read(n) for n in z.namelist())
    if p.suffix == ".parquet":
        frame = pd.read_parquet(p)
        data += frame.select_dtypes(include=["object", "string"]).to_csv().encode()
    return data


@pytest.mark.parametrize("variables, column", [("[role, 电话]", "电话"), ("[role, phone_no]", "phone_no"),
                                               ("[role, note]", "note"), ("[role, name]", "name")])
def test_personal_roster_columns_cannot_be_case_variables(tmp_path, capsys, variables, column):
    d = tmp_path / "study"
    roster = ("informant,role,community,name,电话,phone_no,note\n"
              "R01,resident,梧桐里,洪振邦,13800138000,1,ok\n"
              "J01,residents_committee,梧桐里,龚建华,13912345678,2,call 13912345678\n")
    study = interview_study(d, roster=roster, extra_iv=f"  case_variables: {variables}")
    code, err = _run(capsys, "interviews", "--study", str(study))
    assert code == 2 and f"column '{column}'" in err and "personal" in err
    assert "13912345678" not in err and "洪振邦" not in err
    assert not (d / "out" / "interviews").exists()


def test_declared_case_variables_are_exported(tmp_path, capsys):
    d = tmp_path / "study"
    roster = "informant,role,community,gender,name\nR01,resident,梧桐里,女,洪振邦\nJ01,residents_committee,梧桐里,男,龚建华\n"
    study = interview_study(d, roster=roster, extra_iv="  case_variables: [role, gender]")
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0
    cases = pd.read_csv(d / "out" / "interviews" / "cases.csv", encoding="utf-8-sig")
    assert list(cases.columns) == ["informant", "role", "gender"]
    code, err = _run(capsys, "interviews", "--study", str(interview_study(
        d, roster=roster, extra_iv="  case_variables: [role, age]")))
    assert code == 2 and "'age' is not a roster column" in err


# ---- 4. spreadsheet formula injection ------------------------------------------------------------

def test_neutralise_is_exact_and_leaves_numbers():
    from pipeline.core.stage import neutralise, unneutralise

    for text in ["=HYPERLINK(\"http://x\",\"y\")", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=quoted", "'"]:
        safe = neutralise(text)
        assert safe.startswith("'") and unneutralise(safe) == text
    for value in ["-3", "+86", "-0.5", "1e5", "普通文本", "", 3, -2.5, None]:
        assert neutralise(value) == value


def test_csv_and_xlsx_cells_are_neutralised_and_read_back(tmp_path):
    from openpyxl import load_workbook

    from pipeline.core.stage import read_csv, write_csv
    from pipeline.report.writers import Report, Section, Table, write_xlsx

    df = pd.DataFrame({"quote": ["=1+1", "-就这样吧", "@所有人 开会", "正常", "-5"], "n": [1, -2, 3, 4, 5]})
    write_csv(df, tmp_path / "t.csv")
    raw = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", dtype=str)
    assert raw["quote"].tolist() == ["'=1+1", "'-就这样吧", "'@所有人 开会", "正常", "-5"]
    assert raw["n"].tolist() == ["1", "-2", "3", "4", "5"]
    back = read_csv(tmp_path / "t.csv")
    pd.testing.assert_frame_equal(back, df)
    write_csv(df, tmp_path / "t2.csv")
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "t2.csv").read_bytes()

    report = Report("报告", "Report", [Section("引语", "Quotes", items=[Table("quotes", "引语", "Quotes", df)])])
    write_xlsx(report, tmp_path / "r.xlsx")
    ws = load_workbook(tmp_path / "r.xlsx").worksheets[1]
    values = [ws.cell(row=r, column=1).value for r in range(3, 8)]
    assert values == ["'=1+1", "'-就这样吧", "'@所有人 开会", "正常", "-5"]
    assert [ws.cell(row=r, column=2).value for r in range(3, 8)] == [1, -2, 3, 4, 5]
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(3, 8))


def test_quotes_starting_with_formula_characters_are_neutralised_in_stage_tables(tmp_path, capsys):
    d = tmp_path / "study"
    study = interview_study(d, transcripts={
        "R01.txt": "访谈者：改造以后谁来管？\n受访者：=HYPERLINK(\"http://evil\",\"没有物业\")，楼道灯坏了没人修。\n"
                   "受访者：+资金不够，维修基金用不了。\n",
        "J01.txt": "访谈者：居民参与怎么样？\n受访者：@所有人 开会来的人很少，协调起来很难。\n"})
    for stage in ("interviews", "code"):
        assert _run(capsys, stage, "--study", str(study))[0] == 0
    texts = []
    for p in (d / "out").rglob("*.csv"):
        cells = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False).to_numpy().ravel()
        texts += [c for c in cells if c]
    assert texts
    bad = [c for c in texts if c[0] in "=+@\t\r" or (c[0] == "-" and not c.lstrip("-").replace(".", "").isdigit())]
    assert bad == []
    assert any(c.startswith(("'=HYPERLINK", "'+资金")) for c in texts)


# ---- 6. one run at a time ----------------------------------------------------------------------

def test_second_run_of_the_same_study_exits_2_while_the_lock_is_held(tmp_path, capsys, monkeypatch):
    d = tmp_path / "study"
    study = interview_study(d)
    (d / "out").mkdir()
    fd = os.open(d / "out" / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"pid 1, interviews --study, since 10:00:00")
        monkeypatch.setenv("RENEWAL_LOCK_WAIT", "0.3")
        code, err = _run(capsys, "interviews", "--study", str(study))
        assert code == 2 and "another run of this study is in progress (pid 1" in err
        assert not (d / "out" / "interviews").exists()
    finally:
        os.close(fd)
    assert _run(capsys, "interviews", "--study", str(study))[0] == 0


def test_two_concurrent_runs_both_succeed_one_after_the_other(tmp_path):
    import subprocess
    import sys

    d = tmp_path / "study"
    study = interview_study(d)
    env = {**os.environ, "RENEWAL_LOCK_WAIT": "120", "PIPELINE_QUIET": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "pipeline", "interviews", "--study", str(study), "--quiet"],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert [r[0] for r in results] == [0, 0], results
    assert (d / "out" / "interviews" / "segments.parquet").exists()
    assert not (d / "out" / "interviews.tmp").exists() and not (d / "out" / "interviews.old").exists()
