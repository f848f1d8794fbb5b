"""Codebooks (bundled: ``pipeline/data/coding_schemes/renewal_governance.yaml``): hierarchical (theme → code), with zh/en labels, a
definition, inclusion and exclusion notes, and the rules the coder applies — literal
``keywords``, ``regex`` patterns, ``exclude_patterns`` that veto a segment, and a negation window."""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, PrivateAttr, field_validator, model_validator

from pipeline.core.schema import Label, Strict, check_id, read_yaml, validate_model


def check_regex(pattern: str) -> str:
    """The pattern, if it compiles; a validation error naming it otherwise."""
    try:
        re.compile(pattern)
    except re.error as e:
        raise ValueError(f"pattern '{pattern}' is not a valid regular expression ({e})") from None
    return pattern


# Words that start with (or contain) a negation cue without negating what follows.
PSEUDO_NEGATIONS = (
    "不少", "不仅", "不光", "不但", "不断", "不管", "不论", "不停", "不久", "不过", "不然", "不得不", "不一定",
    "不同", "不错", "不禁", "不只", "不外乎", "不如", "不用说", "不妨", "要不", "要不然", "差不多", "了不起",
    "忍不住", "不知不觉", "没想到", "没准", "没多久", "没过多久", "没几天", "无论", "无障碍", "无非", "无数",
    "毫无疑问", "无所谓", "不好意思",
)


CLAUSE = r"[,，。;；!?！？:：]"
SENTENCE = r"[。;；!?！？\n]"


class Negation(Strict):
    window: int = Field(default=6, ge=0, le=50)
    cues: list[str] = Field(default_factory=lambda: ["不", "没", "没有", "并不", "不是", "不存在", "倒不是", "谈不上"])
    # cues after a match that deny it ("资金倒不是问题"), looked for up to `window` characters after
    post_cues: list[str] = Field(default_factory=lambda: ["倒不是问题", "不是问题", "没问题", "不成问题", "不是主要"])
    # words that begin with a cue but do not negate ("不少居民反映停车难"); a cue inside one is ignored
    ignore: list[str] = Field(default_factory=lambda: list(PSEUDO_NEGATIONS))


class CoRule(Strict):
    """A co-occurrence rule: one term of every group within one clause (or sentence), in any
    order — word-order-free (钱/资金 … 不够/难/拿不出); a negation cue between the terms cancels it."""
    all: list[list[str]] = Field(min_length=2)
    scope: Literal["clause", "sentence"] = "clause"

    @model_validator(mode="before")
    @classmethod
    def _list(cls, v):
        return {"all": v} if isinstance(v, list) else v

    @field_validator("all")
    @classmethod
    def _terms(cls, v: list[list[str]]) -> list[list[str]]:
        for g in v:
            if not g or any(not t.strip() for t in g):
                raise ValueError("every group of a co-occurrence rule needs at least one non-empty term")
        return v


class Code(Strict):
    id: str
    label: Label
    definition: str = ""
    include: str = ""
    exclude: str = ""
    keywords: list[str] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)
    exclude_patterns: list[str] = Field(default_factory=list)
    cooccur: list[CoRule] = Field(default_factory=list)
    # spans this code's rules do not see, e.g. a title used as attribution (党委书记…告诉记者)
    ignore_patterns: list[str] = Field(default_factory=list)
    negation: bool = True

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_id(v)

    @field_validator("regex", "exclude_patterns", "ignore_patterns")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        return [check_regex(p) for p in v]


class Theme(Strict):
    id: str
    label: Label
    codes: list[Code]


class Codebook(Strict):
    id: str
    title: Label
    version: str | int = 1
    negation: Negation = Field(default_factory=Negation)
    # coded example passages (CSV: text, codes), relative to the codebook file: the `examples`
    # coder learns from them (pipeline/interviews/suggest.py, docs/coders.md)
    examples: list[str] = Field(default_factory=list)
    themes: list[Theme]
    _base: Path | None = PrivateAttr(default=None)

    def example_paths(self) -> list[Path]:
        """The example files, resolved against the codebook's folder."""
        base = self._base or Path.cwd()
        return [(base / e).resolve() for e in self.examples]

    @model_validator(mode="after")
    def _unique(self) -> Codebook:
        ids = [c.id for t in self.themes for c in t.codes]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"code ids repeat: {dup}")
        return self

    @cached_property
    def codes(self) -> dict[str, tuple[Theme, Code]]:
        return {c.id: (t, c) for t in self.themes for c in t.codes}

    def table(self) -> pd.DataFrame:
        """The codebook as a table: theme, code, labels, definition, rule counts."""
        return pd.DataFrame([{"theme": t.id, "theme_zh": t.label.zh, "code": c.id, "label_zh": c.label.zh,
                              "label_en": c.label.en, "definition": c.definition, "n_keywords": len(c.keywords),
                              "n_regex": len(c.regex)} for t in self.themes for c in t.codes])


def load_codebook(path: str | Path) -> Codebook:
    path = Path(path)
    book = validate_model(Codebook, read_yaml(path), path)
    book._base = path.resolve().parent
    return book


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)
