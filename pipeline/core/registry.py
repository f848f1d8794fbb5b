"""The stage registry: every stage once — its name, what it reads, what it writes, the function
that runs it and the one that summarises its log. The CLI (its sub-commands and ``run``), the
Makefile's rules and prerequisites (:mod:`pipeline.core.makedeps`) and ``docs/stages.md`` are all
derived from :data:`STAGES`; nothing else lists the stages or their order.

Only the standard library is imported here (``--help`` stays instant); a stage's code is
imported when it runs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline.

    Attributes
    ----------
    name : str
        The sub-command (``python -m pipeline NAME``, ``renewal NAME``).
    folder : str
        Its folder under the study's outputs.
    artifact : str
        The file (in ``folder``) whose time stamp says when the stage last ran: make's target.
    outputs : tuple of str
        What it writes (documentation; every stage also writes ``manifest.json``).
    reads : tuple of str
        Earlier stages whose outputs it needs.
    reads_if_present : tuple of str
        Earlier stages whose outputs it uses when the study has them.
    run : str
        ``module:function`` that runs it on a :class:`~pipeline.core.study.Study` and returns
        its log (a dict).
    summary : str
        ``module:function`` that turns the log into the lines printed at the end.
    help : str
        One line for ``--help`` and the docs.
    needs : str
        What the study must have for the stage to apply: ``survey``, ``interviews``,
        ``coding`` (interviews and a codebook) or ``study`` (always).
    code : tuple of str
        The package files (globs relative to ``pipeline/``) whose change makes the stage out of
        date, besides its inputs.
    make_target : str
        The make target that builds it (``clean-stage``: ``make clean`` deletes outputs).
    """

    name: str
    folder: str
    artifact: str
    outputs: tuple[str, ...]
    reads: tuple[str, ...]
    reads_if_present: tuple[str, ...]
    run: str
    summary: str
    help: str
    needs: str
    code: tuple[str, ...]
    make_target: str = ""

    @property
    def target(self) -> str:
        return self.make_target or self.name

    def applies(self, study) -> bool:
        """Whether the stage has anything to do for ``study``."""
        c = study.config
        return {"survey": c.survey is not None, "study": True, "interviews": c.interviews is not None,
                "coding": c.interviews is not None and bool(c.coding_scheme)}[self.needs]

    def runner(self):
        return _resolve(self.run)

    def summariser(self):
        return _resolve(self.summary)


def _resolve(ref: str):
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


CORE = ("core/*.py",)

STAGES: tuple[Stage, ...] = (
    Stage("ingest", "ingest", "responses.parquet",
          ("responses.parquet", "missing.parquet", "column_map.csv", "ingest_log.json"),
          (), (), "pipeline.survey.ingest:run", "pipeline.survey.ingest:summary",
          "read the survey export(s) into outputs/<study>/ingest/", "survey",
          CORE + ("survey/*.py", "survey/io/*.py")),
    Stage("clean", "clean", "responses.parquet",
          ("responses.parquet", "missing.parquet", "exclusions.csv", "codebook.csv", "cleaning_log.json"),
          ("ingest",), (), "pipeline.survey.clean:run", "pipeline.survey.clean:summary",
          "apply the quality rules; write clean/responses.parquet, exclusions.csv, cleaning_log.json", "survey",
          CORE + ("survey/*.py",), make_target="clean-stage"),
    Stage("stats", "stats", "manifest.json", ("*.csv", "stats_log.json"),
          ("clean",), (), "pipeline.stats.stage:run", "pipeline.stats.stage:summary",
          "reliability, validity, satisfaction index, IPA, participation, priorities → stats/*.csv", "survey",
          CORE + ("survey/questionnaire.py", "stats/*.py")),
    Stage("interviews", "interviews", "segments.parquet",
          ("segments.parquet", "documents.parquet", "redactions.csv", "cases.csv", "speakers.csv", "interviews_log.json"),
          (), (), "pipeline.interviews.stage:run", "pipeline.interviews.stage:summary",
          "read, redact and segment the transcripts → interviews/segments.parquet", "interviews",
          CORE + ("interviews/*.py", "data/coding_schemes/*.txt")),
    Stage("code", "coding", "codings.parquet",
          ("codings.parquet", "project.qdpx", "codebook.csv", "code_by_role.csv", "code_by_informant.csv",
           "cooccurrence.csv", "framework_matrix.csv", "exemplar_quotes.csv", "agreement*.csv", "suggest*.csv", "doubts.csv",
           "coding_log.json"),
          ("interviews",), (), "pipeline.interviews.coding:run", "pipeline.interviews.coding:summary",
          "apply the codebook to the segments → coding/codings.parquet, frequencies, quotes, project.qdpx", "coding",
          CORE + ("interviews/*.py",)),
    # topics relate their topics to the codes (topic_codes.csv), so they follow the coding stage
    Stage("topics", "topics", "topics.csv", ("topics.csv", "topic_terms.csv", "topic_segments.csv", "topic_codes.csv", "topic_share_by_role.csv",
           "keywords_by_role.csv", "coherence.csv", "topics_log.json"),
          ("interviews",), ("code",), "pipeline.interviews.topics:run", "pipeline.interviews.topics:summary",
          "NMF and LDA topic models of the segments (k by NPMI coherence), keywords by role → topics/*.csv",
          "interviews", CORE + ("interviews/*.py", "data/coding_schemes/*.txt")),
    Stage("findings", "findings", "findings.csv", ("findings.csv", "indicators.csv", "quotes.csv", "stakeholder_problem*.csv", "findings_log.json"),
          ("stats",), ("code",), "pipeline.findings.stage:run", "pipeline.findings.stage:summary",
          "survey indicators and interview evidence joined problem by problem → findings/findings.csv", "study",
          CORE + ("findings/*.py", "stats/*.py", "interviews/coding.py", "interviews/codebook.py")),
    Stage("report", "report", "report.docx",
          ("report.docx", "report.xlsx", "report.md", "tables/*.tex", "figures/*.png", "report_log.json"),
          ("findings",), ("topics",), "pipeline.report.stage:run", "pipeline.report.stage:summary",
          "tables and figures → report/report.xlsx, report.docx, report.md, tables/*.tex, figures/*.png", "study",
          CORE + ("report/*.py", "report/**/*.py", "interviews/roles.py")),
    # the human side of coding: it feeds nothing downstream (its decisions reach the code stage
    # through the study's decisions file), so it comes last
    Stage("review", "review", "review.xlsx",
          ("review.xlsx", "review.qdpx", "candidates.csv", "expansion_words.csv", "keyword_proposals.csv",
           "review_agreement.csv",
           "review_log.json"),
          ("code",), (), "pipeline.interviews.review:run", "pipeline.interviews.review:summary",
          "codings worth a human look → review/review.xlsx (and .qdpx); `--import FILE` adds the decisions",
          "coding", CORE + ("interviews/*.py",)),
)

BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}
BY_FOLDER: dict[str, Stage] = {s.folder: s for s in STAGES}
ORDER: list[str] = [s.name for s in STAGES]


def stages_for(study) -> list[Stage]:
    """The stages that apply to ``study``, in order (``run`` runs these)."""
    return [s for s in STAGES if s.applies(study)]


def markdown() -> str:
    """The stage table of ``docs/stages.md`` (a test keeps the file equal to it)."""
    lines = ["# Stages", "",
             "Generated from `pipeline/core/registry.py` (`python -m pipeline stages`); do not edit by hand.", "",
             "| stage | make target | writes (under `outputs/<study>/`) | reads | runs when the study has | what it does |",
             "| --- | --- | --- | --- | --- | --- |"]
    for s in STAGES:
        reads = ", ".join([f"`{r}`" for r in s.reads] + [f"`{r}` (if present)" for r in s.reads_if_present]) or "—"
        writes = ", ".join(f"`{s.folder}/{o}`" for o in s.outputs)
        needs = {"survey": "a survey", "interviews": "interviews", "coding": "interviews and a codebook",
                 "study": "anything"}[s.needs]
        lines.append(f"| `{s.name}` | `make {s.target}` | {writes} | {reads} | {needs} | {s.help} |")
    lines += ["", "`python -m pipeline run --study PATH` (or `make all STUDY=PATH`) runs every stage that "
              "applies, in this order. Every stage folder also holds `manifest.json` (inputs, hashes, "
              "versions, seed).", ""]
    return "\n".join(lines)
