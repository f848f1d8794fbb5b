from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "external"
DATA = ROOT / "pipeline" / "data"
QUESTIONNAIRE = DATA / "questionnaires" / "renewal_satisfaction.yaml"


def load_generator():
    spec = importlib.util.spec_from_file_location("demo_generate", ROOT / "examples" / "demo" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["demo_generate"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def generator():
    return load_generator()


@pytest.fixture(scope="session")
def demo(generator):
    """The demo data as the generator makes it (DataFrames, not files)."""
    return generator.generate()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory, generator):
    """A copy of the demo study with freshly generated raw files, outputs inside it."""
    d = tmp_path_factory.mktemp("demo")
    raw = d / "raw"
    raw.mkdir()
    demo = generator.generate()
    generator.write_xlsx(demo.by_text, raw / "survey_by_text.xlsx")
    generator.write_xlsx(demo.by_code, raw / "survey_by_code.xlsx")
    demo.planted.to_csv(raw / "planted_bad_rows.csv", index=False, encoding="utf-8-sig")
    generator.households().to_csv(raw / "households.csv", index=False, encoding="utf-8-sig")
    return d, demo


@pytest.fixture(scope="session")
def demo_clean(demo_dir):
    """The demo's by-text export through ingest and clean (with the household population):
    (study, clean responses). Shared by the statistics tests."""
    import pandas as pd

    from pipeline.core.study import Study
    from pipeline.survey import clean, ingest

    d, _ = demo_dir
    st = Study(write_study(d, ["raw/survey_by_text.xlsx"], name="demo_clean", population="raw/households.csv"))
    ingest.run(st)
    clean.run(st)
    return st, pd.read_parquet(st.stage_dir("clean") / "responses.parquet")


def write_study(dirpath: Path, files: list[str], name: str = "t", fmt: str = "auto",
                questionnaire: Path = QUESTIONNAIRE, extra: str = "", population: str | None = None) -> Path:
    """A study file in dirpath whose outputs go to dirpath/out."""
    lines = [f"name: {name}", f"questionnaire: {questionnaire}", "survey:",
             "  files: [" + ", ".join(files) + "]", f"  format: {fmt}"]
    if population:
        lines.append(f"  population: {population}")
    lines += [f"outputs: out/{name}", extra]
    p = dirpath / f"{name}.yaml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def demo_interviews(tmp_path_factory):
    """The demo study's interviews and coding stages (with both gold codings) run into a temporary
    outputs folder: the Study. Shared by the agreement, REFI-QDA and topics tests."""
    import yaml

    from pipeline.core.study import Study
    from pipeline.interviews import coding
    from pipeline.interviews import stage as iv_stage

    demo = ROOT / "examples" / "demo"
    d = tmp_path_factory.mktemp("demo_iv")
    cfg = yaml.safe_load((demo / "study.yaml").read_text(encoding="utf-8"))
    # the demo names its definitions by their bundled names (renewal_satisfaction, …): kept as they are
    cfg["survey"] = {"files": [str(demo / "raw" / "households.csv")]}
    iv = cfg["interviews"]
    for key in ("dir", "roster"):
        iv[key] = str(demo / iv[key])
    iv["gold"] = [str(demo / g) for g in iv["gold"]]
    cfg["outputs"] = str(d / "out")
    path = d / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    st = Study(path)
    iv_stage.run(st)
    coding.run(st)
    return st


def study_like(study, folder: Path, *, code: bool = False, **interviews):
    """A copy of a study's file in ``folder`` (its own outputs, ``folder/out``; ``interviews``
    keys replaced), with the interviews stage run (and the code stage with ``code``): the Study."""
    import yaml

    from pipeline.core.study import Study
    from pipeline.interviews import coding
    from pipeline.interviews import stage as iv_stage

    cfg = yaml.safe_load(study.path.read_text(encoding="utf-8"))
    cfg["outputs"] = str(folder / "out")
    cfg["interviews"].update(interviews)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    st = Study(path)
    iv_stage.run(st)
    if code:
        coding.run(st)
    return st


# Tests that run whole studies (the demo's stages end to end) are `slow`: `make test-fast` leaves
# them out. Marked here from the fixtures they use, so a new test on these fixtures is marked too.
SLOW_FIXTURES = {"demo_dir", "demo_interviews", "demo_clean", "runs", "full", "stats_run"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
