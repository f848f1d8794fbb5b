"""Stale results (issue 9, point 8): every input a stage reads is a prerequisite of its artifact,
so touching one reruns exactly the stages that depend on it — for a user's study kept anywhere
(absolute paths, its own questionnaire, codebook and catalogue next to it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.core.makedeps import ARTIFACTS, fragment, make_path
from pipeline.core.study import Study
from tests.conftest import DATA, QUESTIONNAIRE, ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "python").exists(),
                                reason="needs make and the project's .venv")

SURVEY = {"ingest", "clean", "stats", "findings", "report"}
INTERVIEWS = {"interviews", "code", "topics", "findings", "report", "review"}
CODING = {"code", "topics", "findings", "report", "review"}
ALL = set(ARTIFACTS)


def _study(d: Path) -> Path:
    """A study with every kind of input, kept next to it (its own questionnaire, codebook and
    problem catalogue, a population table, transcripts, roster, names list and gold coding)."""
    (d / "raw").mkdir(parents=True)
    (d / "raw" / "export.csv").write_text("a\n1\n", encoding="utf-8")
    (d / "raw" / "households.csv").write_text("community,households\nA,10\n", encoding="utf-8")
    shutil.copy(QUESTIONNAIRE, d / "questionnaire.yaml")
    shutil.copy(DATA / "coding_schemes" / "renewal_governance.yaml", d / "codebook.yaml")
    shutil.copy(DATA / "coding_schemes" / "problems.yaml", d / "problems.yaml")
    iv = d / "interview texts"  # a space in a path
    iv.mkdir()
    (iv / "R01.txt").write_text("受访者：没人管。\n", encoding="utf-8")
    (iv / "J01.md").write_text("受访者：钱不够。\n", encoding="utf-8")
    (iv / "roster.csv").write_text("informant,role\nR01,resident\nJ01,residents_committee\n", encoding="utf-8")
    (iv / "gold.csv").write_text("document,code,start,end\n", encoding="utf-8")
    (d / "names.txt").write_text("洪振邦\n", encoding="utf-8")
    study = d / "study.yaml"
    study.write_text("\n".join([
        "name: deps", "questionnaire: questionnaire.yaml", "survey:", "  files: [raw/export.csv]",
        "  population: raw/households.csv", "coding_scheme: codebook.yaml", "problems: problems.yaml",
        "interviews:", "  dir: interview texts/", "  roster: interview texts/roster.csv",
        "  gold: interview texts/gold.csv", "  names: names.txt", f"outputs: {d / 'out'}", ""]), encoding="utf-8")
    return study


def _planned(study: Path, deps_dir: Path) -> set[str]:
    """The stages `make -n all` would run."""
    r = subprocess.run(["make", "-n", "all", f"STUDY={study}", f"DEPS_DIR={deps_dir}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(re.findall(r"-m pipeline (\w+) --study", r.stdout.replace("deps --study", "")))


def test_fragment_lists_every_input_with_make_escapes(tmp_path):
    st = Study(_study(tmp_path / "s"), check_files=False)
    text = fragment(st)
    assert "interview\\ texts/R01.txt" in text and "interview\\ texts/roster.csv" in text
    for name in ("questionnaire.yaml", "raw/export.csv", "raw/households.csv", "codebook.yaml", "problems.yaml",
                 "names.txt", "gold.csv", "J01.md"):
        assert name in text, name
    assert make_path(Path("/a b/c$d#e:f")) == "/a\\ b/c$$d\\#e\\:f"


@pytest.mark.slow
def test_touching_each_input_reruns_exactly_the_stages_that_read_it(tmp_path):
    d = tmp_path / "s"
    study = _study(d)
    deps_dir = tmp_path / "deps"
    assert _planned(study, deps_dir) == ALL  # nothing built yet
    inputs = {p for ps in Study(study, check_files=False).stage_inputs().values() for p in ps}
    # everything the artifacts depend on from the repository (code, data, the installed venv)
    repo = [p for p in (ROOT / "pipeline").rglob("*.py")] + list((DATA / "coding_schemes").glob("*")) + \
        [ROOT / ".venv" / ".installed-stamp", ROOT / "pyproject.toml", ROOT / "requirements.lock"]
    newest = max(p.stat().st_mtime for p in repo if p.exists())
    now = time.time()
    if newest > now - 12:
        time.sleep(newest - now + 12)
        now = time.time()
    old = now - 11
    for p in inputs | {deps_dir / f for f in os.listdir(deps_dir)}:
        os.utime(p, (old, old))
    for i, stage in enumerate(ARTIFACTS):  # the artifacts, each newer than the one before
        art = d / "out" / ARTIFACTS[stage]
        art.parent.mkdir(parents=True, exist_ok=True)
        art.write_bytes(b"")
        os.utime(art, (now - 10 + i, now - 10 + i))
    assert _planned(study, deps_dir) == set()

    cases = {
        d / "questionnaire.yaml": SURVEY, d / "raw" / "export.csv": SURVEY,
        d / "raw" / "households.csv": {"stats", "findings", "report"},
        d / "interview texts" / "R01.txt": INTERVIEWS, d / "interview texts" / "J01.md": INTERVIEWS,
        # the roster and names list also feed the survey side (known names are redacted in open answers)
        d / "interview texts" / "roster.csv": INTERVIEWS | SURVEY, d / "names.txt": INTERVIEWS | SURVEY,
        d / "interview texts" / "gold.csv": CODING, d / "codebook.yaml": CODING,
        d / "problems.yaml": {"findings", "report"},
        study: ALL,
    }
    for path, expected in cases.items():
        os.utime(path, (now, now))
        assert _planned(study, deps_dir) == expected, path.name
        os.utime(path, (old, old))
        for f in os.listdir(deps_dir):  # touching the study regenerated the fragment
            os.utime(deps_dir / f, (old, old))
        assert _planned(study, deps_dir) == set(), path.name

    # a new transcript: the folder changes, the fragment is regenerated and lists it
    (d / "interview texts" / "R02.txt").write_text("受访者：好。\n", encoding="utf-8")
    assert _planned(study, deps_dir) == INTERVIEWS
    assert "R02.txt" in "".join((deps_dir / f).read_text(encoding="utf-8") for f in os.listdir(deps_dir))
