"""The study file: one YAML per study; every path in it is relative to the file itself."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from pipeline.core import resources
from pipeline.core.errors import InputError
from pipeline.core.schema import KeyedError, Strict, read_yaml, validate_model
from pipeline.survey.questionnaire import Questionnaire, load_questionnaire


class SurveyFile(Strict):
    path: str
    source: str | None = None  # label for the stacked `source` column (wave, community...)

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("an empty path; name the export file")
        return v

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, v):
        # a wave written as a year (source: 2024) is a label, not a number
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Survey(Strict):
    files: list[SurveyFile] = Field(min_length=1)
    format: str = "auto"
    population: str | None = None

    @field_validator("files", mode="before")
    @classmethod
    def _files(cls, v):
        if isinstance(v, (str, dict)):
            v = [v]
        if not isinstance(v, list):
            raise ValueError(f"must be a file path or a list of file paths; got {type(v).__name__} {v!r:.40}")
        return [{"path": f} if isinstance(f, str) else f for f in v]

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        from pipeline.survey.io.headers import FORMATS

        if v not in FORMATS:
            raise ValueError(f"must be one of {list(FORMATS)}; got '{v}'")
        return v


class CoderConfig(Strict):
    """One coder besides the codebook's rules (``interviews.coders``; pipeline/interviews/coders.py)."""
    name: str
    plugin: str | None = None            # file.py:Name (relative to the study) or package.module:Name
    use: Literal["code", "suggest"] = "suggest"
    threshold: float = Field(default=0.5, ge=0, le=1)
    options: dict = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, v):
        if isinstance(v, str):
            v = {"name": v}
        if isinstance(v, dict) and v.get("name") == "suggester" and "threshold" not in v:
            v = {**v, "threshold": 0.3}   # the suggester's calibrated default
        if isinstance(v, dict) and v.get("name") == "examples" and not v.get("plugin"):
            # chosen on the bundled development passages alone (docs/coders.md)
            v = {"use": "code", "threshold": 0.55, **v}
        return v


class Interviews(Strict):
    dir: str
    roster: str | None = None
    gold: str | list[str] | None = None    # one file per coder (CSV or .qdpx)
    names: str | None = None
    roles: str | None = None  # the study's own role vocabulary (YAML like pipeline/data/roles.yaml), added to the bundled one
    # roster columns exported as case attributes (cases.csv, project.qdpx); nothing else leaves
    case_variables: list[str] = Field(default_factory=lambda: ["role", "community"])
    # coders besides the rules, in order of precedence (docs/coders.md); default: the suggester, for review
    coders: list[CoderConfig] = Field(default_factory=lambda: [CoderConfig(name="examples"),
                                                               CoderConfig(name="suggester")])
    # where `renewal review --import` keeps the coders' accept/reject decisions (read when it exists)
    review: str = "review_decisions.csv"

    @field_validator("coders")
    @classmethod
    def _coders(cls, v: list[CoderConfig]) -> list[CoderConfig]:
        names = [c.name for c in v]
        dup = sorted({n for n in names if names.count(n) > 1} | ({"rules", "review"} & set(names)))
        if dup:
            raise ValueError(f"coder names must be unique and not 'rules' or 'review' (taken): {dup}")
        return v

    @property
    def gold_files(self) -> list[str]:
        return [self.gold] if isinstance(self.gold, str) else list(self.gold or [])


class Topics(Strict):
    """Options of the topics stage (see pipeline/topics.py and docs/study.md)."""
    k_min: int = Field(default=4, ge=2)
    k_max: int = Field(default=12, ge=2)
    top_n: int = Field(default=10, ge=2)
    min_df: int = Field(default=3, ge=1)
    max_df: float = Field(default=0.25, gt=0, le=1)
    unit_tokens: int = Field(default=20, ge=0)
    stop_words: list[str] = Field(default_factory=list)
    drop_community_names: bool = True
    lda_max_iter: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _k(self) -> Topics:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) is larger than k_max ({self.k_max})")
        return self


class Analysis(Strict):
    """One model of the analysis plan (``analyses:``): variables are construct ids (their scores;
    in a ``sem`` model, latent variables measured by their items) or numeric/rating item ids of
    the questionnaire."""
    type: Literal["mediation", "moderation", "sem"]
    x: str | None = None          # mediation / moderation: the predictor
    y: str | None = None          # mediation / moderation: the outcome
    m: str | None = None          # mediation: the mediator
    w: str | None = None          # moderation: the moderator
    model: str | None = None      # sem: regressions (y ~ x1 + x2), covariances (a ~~ b), optional =~ lines
    covariates: list[str] = Field(default_factory=list)
    n_boot: StrictInt = Field(default=5000, ge=0, le=100_000)   # sem: 0 = delta method unless given
    ci: Literal["percentile", "bca"] = "percentile"            # mediation: the bootstrap interval
    label: str | None = None      # how the report names it

    @model_validator(mode="after")
    def _parts(self) -> Analysis:
        if self.type in ("mediation", "moderation"):
            for k in ("x", "y"):
                if not getattr(self, k):
                    raise ValueError(f"a {self.type} needs '{k}'")
            if self.model:
                raise ValueError(f"'model' is for type: sem, not {self.type}")
            if self.n_boot and self.n_boot < 100 and self.type == "mediation":
                raise ValueError("n_boot must be at least 100")
        if self.type == "mediation" and not self.m:
            raise ValueError("a mediation needs 'm' (the mediator)")
        if self.type == "moderation" and not self.w:
            raise ValueError("a moderation needs 'w' (the moderator)")
        if self.type == "sem":
            if not self.model:
                raise ValueError("a sem needs 'model' (lavaan-like lines such as 'management ~ process')")
            extra = [k for k in ("x", "y", "m", "w") if getattr(self, k)] + (["covariates"] if self.covariates else [])
            if extra:
                raise ValueError(f"a sem takes its variables from 'model', not {extra}")
            if "n_boot" in self.model_fields_set and 0 < self.n_boot < 100:
                raise ValueError("n_boot must be 0 (delta method) or at least 100")
        return self


class StudyConfig(Strict):
    name: str
    questionnaire: str | None = None   # with survey: (a study may be survey-only, interview-only or both)
    survey: Survey | None = None
    interviews: Interviews | None = None
    coding_scheme: str | None = None
    problems: str | None = None
    names: str | None = None   # personal names to redact everywhere (one per line), for any study shape
    topics: Topics = Field(default_factory=Topics)
    language: Literal["zh", "en"] = "zh"   # of the report's labels, headers and captions
    bilingual: StrictBool = False                # report.xlsx headers as "中文 (English)"
    # every stage passes it to numpy and scikit-learn, which take 0 … 2**32 − 1
    seed: StrictInt = Field(default=20240501, ge=0, le=2**32 - 1)
    outputs: str | None = None  # default: outputs/<name> under the working directory
    analyses: list[Analysis] = Field(default_factory=list)  # mediation / moderation models (stats stage)

    @model_validator(mode="after")
    def _shape(self) -> StudyConfig:
        if self.survey is None and self.interviews is None:
            raise KeyedError("survey", "a study needs a 'survey' (with a 'questionnaire'), 'interviews', or both")
        if self.survey is not None and not self.questionnaire:
            raise KeyedError("questionnaire", "a study with a 'survey' needs its 'questionnaire' (a bundled name "
                                              "such as renewal_satisfaction, or a path)")
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if (not v or v.startswith(".") or any(ch in v for ch in '/\\:*?"<>|$#% ')
                or any(ord(ch) < 32 or ord(ch) == 127 for ch in v)):
            raise ValueError("must be a plain folder name (no spaces, slashes or special characters, "
                             "not starting with '.')")
        return v


class Study:
    """A loaded, validated study: resolved paths and the questionnaire."""

    def __init__(self, path: str | Path, *, check_files: bool = True) -> None:
        self.path = Path(path)
        data = read_yaml(self.path)
        self.config: StudyConfig = validate_model(StudyConfig, data, self.path)
        self.dir = self.path.parent
        if check_files:
            self._check_files()
        self._check_outputs()

    def _check_files(self) -> None:
        """Every file and folder the study names must exist (the study file itself aside)."""
        for key, p in self.input_paths().items():
            if key != "study" and not p.exists():
                what = {"questionnaire": "questionnaire file "}.get(key, "survey file " if key.startswith("survey.files")
                                                                    else "file ")
                hint = (f"neither a file nor a bundled definition ({', '.join(resources.names(key))})"
                        if resources.names(key) else None)
                raise InputError(f"{what}not found: {p}", file=self.path, key=key, hint=hint)
        labels = [s for _, s in self.survey_files]
        if len(set(labels)) != len(labels):
            raise InputError(f"two survey files have the same source label {labels}; give each a 'source'",
                             file=self.path, key="survey.files")

    def input_paths(self) -> dict[str, Path]:
        """Every file or folder the study reads, by its key in the study file."""
        c = self.config
        paths = {"study": self.path, "questionnaire": self.definition("questionnaire")}
        if c.survey is not None:
            paths.update({f"survey.files[{i}]": f.path for i, f in enumerate(c.survey.files)})
        paths.update({"names": c.names, "survey.population": c.survey.population if c.survey else None,
                      "coding_scheme": self.definition("coding_scheme"),
                      "problems": self.definition("problems")})
        if c.interviews:
            iv = c.interviews
            paths.update({"interviews.dir": iv.dir, "interviews.roster": iv.roster, "interviews.names": iv.names,
                          "interviews.roles": iv.roles})
            paths.update({f"interviews.gold[{i}]": g for i, g in enumerate(iv.gold_files)})
            if self.review_path.exists():   # made by `renewal review --import`; absent until then
                paths["interviews.review"] = self.review_path
        return {k: (v if isinstance(v, Path) else self.resolve(v)) for k, v in paths.items() if v}

    @property
    def review_path(self) -> Path:
        """The file of review decisions (``interviews.review``), whether or not it exists yet."""
        return self.resolve(self.config.interviews.review)

    def stage_inputs(self) -> dict[str, list[Path]]:
        """The files (and folders) each stage reads besides earlier stages' outputs and the
        package's own code and data: the study file, the questionnaire, exports, population,
        transcripts, roster, names list, gold codings, codebook, problem catalogue. A change to
        any of them makes the stage and every later one out of date (the Makefile's
        prerequisites come from here: ``python -m pipeline deps``)."""
        paths = self.input_paths()

        def pick(*prefixes: str) -> list[Path]:
            return [p for k, p in paths.items() if k.startswith(prefixes)]

        survey = pick("study", "questionnaire")
        out: dict[str, list[Path]] = {
            "ingest": survey + pick("survey.files", "names", "interviews.roster", "interviews.names"), "clean": survey, "stats": survey + pick("survey.population"),
            "findings": pick("study", "problems"), "report": pick("study"),
        }
        if self.config.interviews:
            from pipeline.interviews.transcripts import TEXT_SUFFIXES

            folder = paths["interviews.dir"]
            texts = sorted(p for p in folder.iterdir() if p.suffix.lower() in TEXT_SUFFIXES
                           and p.name.lower() != "readme.md") if folder.is_dir() else []
            out["interviews"] = pick("study", "interviews.dir") + texts + pick("interviews.roster", "interviews.names",
                                                                                 "names", "interviews.roles")
            out["findings"] += pick("interviews.roles")
            out["report"] += pick("interviews.roles")
            out["code"] = pick("study", "interviews.gold", "interviews.review", "coding_scheme") + (
                pick("interviews.roster", "interviews.names") if self.config.interviews.gold else [])
            out["topics"] = pick("study")
            out["review"] = pick("study", "interviews.review", "coding_scheme")
        return out

    def _check_outputs(self) -> None:
        """Refuse an output folder that is, contains or lies inside anything the study reads: the
        stages replace folders under it, so it must never hold the user's data."""
        out = self.out.resolve()
        if out.exists() and not out.is_dir():
            raise InputError(f"the output folder {out} is a file", file=self.path,
                             key="outputs" if self.config.outputs else "name")
        for key, p in self.input_paths().items():
            p = p.resolve()
            if p == out or out in p.parents or (p.is_dir() and p in out.parents):
                where = "is" if p == out else ("contains" if out in p.parents else "lies inside")
                raise InputError(f"the output folder {out} {where} the input {p}; the stages replace folders "
                                 "there, so outputs must be kept apart from the data (e.g. 'outputs: out')",
                                 file=self.path, key="outputs" if self.config.outputs else "name",
                                 hint=f"input from key '{key}'")

    @property
    def name(self) -> str:
        return self.config.name

    def definition(self, key: str) -> Path | None:
        """The file of a definition key (``questionnaire``, ``coding_scheme``, ``problems``): a
        bundled name (:mod:`pipeline.core.resources`) or a path relative to the study file;
        ``None`` when the key is not given (``problems`` then means the bundled catalogue)."""
        value = getattr(self.config, key)
        if not value:
            return resources.DEFAULT_PROBLEMS if key == "problems" else None
        return resources.bundled(key, value) or self.resolve(value)

    def resolve(self, rel: str) -> Path:
        return (self.dir / rel).resolve() if not Path(rel).is_absolute() else Path(rel)

    def rel(self, p: Path) -> str:
        """A path relative to the study file's folder (stable whatever the working directory)."""
        return os.path.relpath(Path(p).resolve(), self.dir.resolve())

    @staticmethod
    def display(p: Path) -> str:
        """A path for messages and tables: relative to the working directory when inside it."""
        try:
            return str(Path(p).resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(p)

    @cached_property
    def questionnaire(self) -> Questionnaire | None:
        """The questionnaire model (``None`` for an interview-only study)."""
        path = self.definition("questionnaire")
        return load_questionnaire(path) if path else None

    @property
    def out(self) -> Path:
        if self.config.outputs:
            return self.resolve(self.config.outputs)
        return Path("outputs") / self.name

    def stage_dir(self, stage: str) -> Path:
        return self.out / stage

    @cached_property
    def personal_names(self):
        """The names the study knows (its roster's name and interviewer columns and its names
        list, when it has interviews) as a prepared :class:`~pipeline.core.privacy.Names`: every
        stage redacts them, in open survey answers and file names too."""
        from pipeline.core.privacy import Names, names_from_roster
        from pipeline.core.schema import read_text_file
        from pipeline.core.tables import read_frame

        iv = self.config.interviews
        roster = read_frame(self.resolve(iv.roster)) if iv and iv.roster else None
        extra: list[str] = []
        for path in ([iv.names] if iv and iv.names else []) + ([self.config.names] if self.config.names else []):
            extra += read_text_file(self.resolve(path), "names list (one name per line)").splitlines()
        return Names(names_from_roster(roster, extra))

    @property
    def owner(self) -> str:
        """Which study a stage folder belongs to (recorded in its manifest): a hash of the study
        file's path, so two studies sharing an output folder never replace each other's results."""
        import hashlib

        return hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:16]

    def output(self, folder: str, stage: str, inputs: list[Path], extra_configs: list[Path] = (), label=None):
        """The stage's output folder as :func:`~pipeline.core.stage.stage_output` writes it, with
        what every stage records: the study file and questionnaire (and ``extra_configs``) as
        configs, the seed, this study as the owner and paths redacted (``label``, by default
        :meth:`redact_label`)."""
        from pipeline.core.stage import stage_output

        return stage_output(self.stage_dir(folder), inputs=inputs, configs=self.config_files() + list(extra_configs),
                            seed=self.config.seed, stage=stage, base=self.dir, label=label or self.redact_label,
                            owner=self.owner)

    def redact_label(self, text: str) -> str:
        """A label that reaches the outputs (a file name, the study's name, a command line) with
        the study's known names and any personal data redacted."""
        from pipeline.core.privacy import redact

        return redact(text, self.personal_names)[0]

    @property
    def survey_files(self) -> list[tuple[Path, str]]:
        files = self.config.survey.files if self.config.survey else []
        return [(self.resolve(f.path), f.source or Path(f.path).stem) for f in files]

    def config_files(self) -> list[Path]:
        return [self.path] + ([q] if (q := self.definition("questionnaire")) else [])
