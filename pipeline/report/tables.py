"""Reading what the stages wrote, for the report: their CSV tables and the questionnaire a study
used (found through the stages' manifests)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.core.stage import read_csv

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.survey.questionnaire import Questionnaire


def read_table(path: Path) -> pd.DataFrame | None:
    """A stage's CSV (UTF-8 with BOM), or None when it is absent or empty."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        d = read_csv(path)
    except pd.errors.EmptyDataError:
        return None
    return None if d.empty else d



def find_questionnaire(study_out_dir: Path) -> Questionnaire | None:
    """The questionnaire a study's stages used, from their manifest.json (None when not found).

    A manifest lists its config files relative to the study file, and its ``command`` names the
    study file (relative to the directory the stage ran in, tried as the current one).
    """
    from pipeline.survey.questionnaire import load_questionnaire

    for stage in ("stats", "clean", "ingest"):
        mf = Path(study_out_dir) / stage / "manifest.json"
        if not mf.is_file():
            continue
        try:
            man = json.loads(mf.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        study = None
        try:
            argv = shlex.split(str(man.get("command", "")))
            if "--study" in argv:
                study = Path(argv[argv.index("--study") + 1])
            study = study or next((Path(a.split("=", 1)[1]) for a in argv if a.startswith("--study=")), None)
        except (ValueError, IndexError):
            study = None
        bases = [study.parent] if study else []
        for rel in man.get("configs", {}):
            if not str(rel).endswith((".yaml", ".yml")) or (study and Path(rel).name == study.name):
                continue
            for base in bases:
                p = (base / rel)
                if p.is_file():
                    try:
                        return load_questionnaire(p)
                    except Exception:
                        continue
    return None
