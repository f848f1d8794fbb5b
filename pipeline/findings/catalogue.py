"""The problem catalogue (bundled: ``pipeline/data/coding_schemes/problems.yaml``): the problems a study reports, each
with its survey indicators, the interview codes that evidence it, and the thresholds of the
judgement rules (see :mod:`pipeline.findings.stage` and docs/findings.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.core.schema import Label, Strict, check_id, read_yaml, validate_model
from pipeline.interviews.codebook import check_regex


class Indicator(Strict):
    id: str
    type: Literal["share", "index", "ipa"]
    label: Label
    item: str | None = None
    values: list[int] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)
    construct: str | None = None
    constructs: list[str] = Field(default_factory=list)
    direction: Literal["above", "below"]
    threshold: float

    @model_validator(mode="after")
    def _inputs(self) -> Indicator:
        if self.type == "share" and not (self.item and self.values):
            raise ValueError("a 'share' indicator needs 'item' and 'values'")
        if self.type == "index" and not (self.items or self.construct or self.constructs):
            raise ValueError("an 'index' indicator needs 'items', 'construct' or 'constructs'")
        return self


class InterviewRules(Strict):
    strong_share: float = Field(default=0.25, gt=0, le=1)
    strong_roles: int = Field(default=3, ge=1)
    moderate_informants: int = Field(default=2, ge=1)


class Problem(Strict):
    id: str
    label: Label
    codes: list[str] = Field(default_factory=list)
    segment_filter: str | None = None
    indicators: list[Indicator] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_id(v)

    @field_validator("segment_filter")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        return None if v is None else check_regex(v)


class Catalogue(Strict):
    id: str
    version: str | int = 1
    interview_rules: InterviewRules = Field(default_factory=InterviewRules)
    problems: list[Problem]


def load_catalogue(path: str | Path) -> Catalogue:
    path = Path(path)
    return validate_model(Catalogue, read_yaml(path), path)
