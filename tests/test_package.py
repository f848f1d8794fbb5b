"""The package as a user gets it (issue 15): one stage registry behind the CLI, `run`, make and the
docs; bundled definitions by name; a `renewal` command; a wheel that works outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from pipeline.cli import _parser, main
from pipeline.core import registry, resources
from pipeline.core.makedeps import fragment
from pipeline.core.study import Study
from tests.conftest import ROOT, write_study


def _subcommands() -> list[str]:
    sub = next(a for a in _parser()._actions if a.dest == "stage")
    return list(sub.choices)


def test_cli_offers_exactly_the_registry_stages_and_run():
    assert _subcommands() == registry.ORDER + ["run", "deps", "init", "stages", "clean-outputs"]


def test_docs_stage_table_is_the_registry():
    assert (ROOT / "docs" / "stages.md").read_text(encoding="utf-8") == registry.markdown(), \
        "docs/stages.md is stale: python -m pipeline stages > docs/stages.md"


def test_every_registry_runner_and_summary_resolves():
    for s in registry.STAGES:
        assert callable(s.runner()) and callable(s.summariser())
        assert set(s.reads + s.reads_if_present) <= set(registry.ORDER[: registry.ORDER.index(s.name)])
        assert s.code and all(list((ROOT / "pipeline").glob(g)) for g in s.code), s.name


def test_run_and_make_follow_the_registry_for_a_survey_only_study(tmp_path):
    st = Study(write_study(tmp_path, ["survey.csv"], extra=""), check_files=False)
    names = [s.name for s in registry.stages_for(st)]
    assert names == ["ingest", "clean", "stats", "findings", "report"]
    frag = fragment(st)
    for s in registry.STAGES:
        rule = f"$(OUT)/{s.folder}/{s.artifact}:"
        assert (rule in frag) == (s.name in names), s.name
    assert "\ncode:\n\t@echo 'the study has no coding for the code stage' >&2; exit 2" in frag


def test_bundled_definitions_by_name(tmp_path, capsys):
    study = tmp_path / "study.yaml"
    (tmp_path / "s.csv").write_text("a\n1\n", encoding="utf-8")
    study.write_text("name: t\nquestionnaire: renewal_satisfaction\nsurvey: {files: [s.csv]}\n"
                     "coding_scheme: renewal_governance\nproblems: renewal_problems\n", encoding="utf-8")
    st = Study(study)
    assert st.definition("questionnaire") == resources.QUESTIONNAIRES / "renewal_satisfaction.yaml"
    assert st.definition("coding_scheme") == resources.CODING_SCHEMES / "renewal_governance.yaml"
    assert st.definition("problems") == resources.DEFAULT_PROBLEMS
    assert st.questionnaire.constructs
    study.write_text("name: t\nquestionnaire: renewal_satisfactoin\nsurvey: {files: [s.csv]}\n", encoding="utf-8")
    assert main(["ingest", "--study", str(study)]) == 2
    err = capsys.readouterr().err
    assert "key 'questionnaire'" in err and "bundled definition (renewal_satisfaction)" in err


def test_package_data_is_declared_for_every_bundled_file():
    """Every file under pipeline/data matches a package-data pattern (else a wheel lacks it)."""
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["pipeline"]
    for f in (ROOT / "pipeline" / "data").rglob("*"):
        if f.is_file():
            rel = f.relative_to(ROOT / "pipeline")
            assert any(rel.match(p) for p in patterns), rel


def test_renewal_is_the_console_command():
    eps = {e.name: e.value for e in metadata.entry_points(group="console_scripts")}
    assert eps.get("renewal") == "pipeline.cli:entry"


@pytest.mark.slow
def test_the_wheel_installs_and_runs_a_study_outside_the_checkout(tmp_path, demo):
    """Build the wheel, install it (no dependencies: they come from this environment) into a fresh
    virtual environment outside the checkout, and run a survey study with the `renewal` command
    using the bundled questionnaire by name, from a folder that is not the checkout."""
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(wheels), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    wheel = next(wheels.glob("renewal_pipeline-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = next(env_dir.glob("lib/python*/site-packages"))
    # the dependencies come from this environment (read-only), the project only from the wheel
    ours = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "deps.pth").write_text(str(ours) + "\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
                        "--no-deps", "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    if r.returncode != 0 and "no such option: --python" in r.stderr:
        pytest.skip("pip too old for --python")
    assert r.returncode == 0, r.stderr
    study_dir = tmp_path / "mystudy"
    study_dir.mkdir()
    demo.by_text.to_csv(study_dir / "export.csv", index=False)  # a WJX export by text, as the demo's
    (study_dir / "study.yaml").write_text(yaml.safe_dump({
        "name": "wheel", "questionnaire": "renewal_satisfaction", "survey": {"files": ["export.csv"]},
        "outputs": "out"}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["RENEWAL_CACHE"] = str(tmp_path / "cache")
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import pipeline; print(pipeline.__file__)"],
                           cwd=study_dir, env=env, capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout  # not the checkout
    r = subprocess.run([str(env_dir / "bin" / "renewal"), "run", "--study", "study.yaml"], cwd=study_dir, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    out = study_dir / "out"
    for s in ("ingest", "clean", "stats", "findings", "report"):
        assert (out / s / "manifest.json").is_file(), s
    assert (out / "report" / "report.docx").stat().st_size > 10_000
    assert not (out / "interviews").exists()


def test_stats_stage_records_what_cannot_be_computed_and_stops_on_faults(monkeypatch):
    """attempt() turns only CannotCompute (and a singular matrix) into a skipped table: a wrong
    argument or a bug inside a table stops the stage (a degenerate model once went unnoticed)."""
    import pandas as pd

    from pipeline.core.errors import CannotCompute
    from pipeline.stats import stage
    from pipeline.survey.questionnaire import load_questionnaire
    from tests.conftest import QUESTIONNAIRE

    q = load_questionnaire(QUESTIONNAIRE)
    df = pd.DataFrame({"x": [1, 2]})

    def cannot(*a, **k):
        raise CannotCompute("nobody answered the ranking question")

    def bug(*a, **k):
        raise ValueError("The 'method' parameter must be one of {'a'}. Got 'b' instead.")

    log = {"computed": [], "skipped": {}}
    monkeypatch.setattr(stage.descriptives, "frequencies", cannot)
    monkeypatch.setattr(stage, "ranking_summary", cannot)
    monkeypatch.setattr(stage, "_item_rows", cannot)
    for name in ("crosstab", "describe", "multi_response"):
        monkeypatch.setattr(stage.descriptives, name, cannot)
    for name in ("compare_many", "posthoc"):
        monkeypatch.setattr(stage.compare, name, cannot)
    monkeypatch.setattr(stage.sat, "construct_scores", bug)
    with pytest.raises(ValueError, match="parameter must be one of") as err:
        stage.build_tables(q, df, 1, log)
    assert not isinstance(err.value, CannotCompute)
    assert log["skipped"]["descriptives"] == "nobody answered the ranking question"
    assert issubclass(CannotCompute, ValueError)


@pytest.mark.slow
def test_a_population_table_that_does_not_fit_is_an_input_error(tmp_path, capsys, demo):
    d = tmp_path
    demo.by_text.head(60).to_csv(d / "export.csv", index=False)
    (d / "pop.csv").write_bytes("community,households\n不存在的小区,100\n".encode("gbk"))
    study = write_study(d, ["export.csv"], population="pop.csv")
    for stage in ("ingest", "clean"):
        assert main([stage, "--study", str(study), "--quiet"]) == 0
    assert main(["stats", "--study", str(study), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "pop.csv" in err and "key 'survey.population'" in err and "不存在的小区" in err


def test_public_statistics_api_documents_every_parameter():
    """numpydoc for the public API: every parameter under Parameters, a Returns and an Examples
    section (the examples run in tests/test_stats_doctests.py)."""
    import inspect
    import re

    import pipeline.stats as S

    def sections(doc: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        cur = None
        lines = inspect.cleandoc(doc or "").splitlines()
        for i, line in enumerate(lines):
            if i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip()) and line.strip():
                cur = line.strip()
                out[cur] = []
            elif cur and not re.fullmatch(r"-{3,}", line.strip()):
                out[cur].append(line)
        return out

    problems = []
    for name in S.__all__:
        f = getattr(S, name)
        sec = sections(f.__doc__)
        documented = {n.strip() for line in sec.get("Parameters", []) if not line.startswith(" ")
                      and (m := re.match(r"^(\w[\w, ]*)\s*:", line)) for n in m.group(1).split(",")}
        missing = [p for p in inspect.signature(f).parameters if not p.startswith("*") and p not in documented]
        if missing or "Returns" not in sec or "Examples" not in sec:
            problems.append((name, missing, sorted(sec)))
    assert problems == []


@pytest.mark.slow
def test_an_interview_only_study_runs_to_a_report(tmp_path, capsys):
    """No questionnaire and no survey: run does the interview stages, findings and the report."""
    shutil.copytree(ROOT / "examples" / "demo" / "transcripts", tmp_path / "transcripts")
    study = tmp_path / "study.yaml"
    study.write_text("name: ivonly\ninterviews:\n  dir: transcripts/\n  roster: transcripts/informants.csv\n"
                     "coding_scheme: renewal_governance\noutputs: out\n", encoding="utf-8")
    st = Study(study)
    assert [s.name for s in registry.stages_for(st)] == ["interviews", "code", "topics", "findings", "report", "review"]
    assert main(["run", "--study", str(study), "--quiet"]) == 0
    assert (tmp_path / "out" / "report" / "report.docx").is_file()
    assert not (tmp_path / "out" / "ingest").exists()
    md = (tmp_path / "out" / "report" / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# 老旧小区改造治理访谈分析报告（ivonly）")  # the subject from its codebook
    assert "问卷证据" not in md and "表1 问题—证据汇总表：访谈证据" in md  # no empty survey column
    assert main(["ingest", "--study", str(study)]) == 2
    assert "the ingest stage has nothing to do: the study has no 'survey' section" in capsys.readouterr().err


@pytest.mark.parametrize("body, key", [("name: t\noutputs: out\n", "survey"),
                                       ("name: t\nsurvey: {files: [s.csv]}\n", "questionnaire")])
def test_a_study_needs_a_survey_or_interviews(tmp_path, capsys, body, key):
    (tmp_path / "s.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text(body, encoding="utf-8")
    assert main(["run", "--study", str(tmp_path / "study.yaml")]) == 2
    assert f"key '{key}'" in capsys.readouterr().err
