"""Questionnaire definitions (YAML; bundled: ``pipeline/data/questionnaires/``), validated on load.

A definition describes the items of a survey independently of any platform. See
``docs/questionnaire.md`` for every key with examples. Load with :func:`load_questionnaire`;
every problem is an :class:`~pipeline.core.errors.InputError` naming the YAML file and the key.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from pipeline.core.schema import (
    ID_PATTERN,
    KeyedError,
    Label,
    Strict,
    check_id,
    read_yaml,
    validate_model,
)
from pipeline.core.textnorm import canon

ITEM_TYPES = ("single", "multi", "likert", "matrix", "ranking", "numeric", "open", "region")
RATING_TYPES = ("likert",)  # matrix rows become likert items
META_COLUMNS = (
    "respondent", "source_file", "source_row", "submitted_at", "started_at", "duration_s",
    "ip_hash", "ip_region", "channel", "channel_detail",
)
RESERVED = set(META_COLUMNS) | {"source", "finished", "progress", "status"}
RULES = (
    "platform_status", "duplicate_id", "duplicate_answers", "duplicate_ip", "speeder", "straightlining",
    "attention_check", "exclusive", "incomplete", "out_of_range",
)




class Option(Strict):
    """One answer option: the code a by-code export writes and the label a by-text export writes."""

    code: int = Field(ge=-32768, le=32767)  # stored as Int16; by-code -2/-3 mean skipped unless defined here
    label: str
    en: str = ""
    key: str | None = None  # column suffix for multi/ranking items (default: the code)
    other: bool = False     # "other, please specify": the fill-in text is kept in <item>_other
    exclusive: bool = False  # e.g. 都没有 / 不清楚 in a multi-select
    column: str | None = None  # plain tables, SPSS: the header of this option's own 0/1 (or rank) column

    @property
    def col_key(self) -> str:
        return self.key or (str(self.code) if self.code >= 0 else f"m{-self.code}")


def _options_from(value: Any) -> Any:
    """Accept ``{label: code}`` mappings as a shorthand for a list of options."""
    if isinstance(value, dict):
        return [{"label": str(k), "code": v} for k, v in value.items()]
    return value


class Scale(Strict):
    """A named answer scale: ordered levels (low -> high) plus labels that mean 'no answer'."""

    levels: list[Option]
    missing: list[Option] = Field(default_factory=list)
    aliases: dict[str, str] = Field(default_factory=dict)  # other spelling -> label
    export_offset: int = 0  # a by-code export writes code + offset (WJX numbers a 0-10 scale 1..11)

    @field_validator("levels", "missing", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return _options_from(v)

    @model_validator(mode="after")
    def _check(self) -> Scale:
        codes = [o.code for o in self.levels + self.missing]
        if len(set(codes)) != len(codes):
            raise ValueError(f"codes repeat: {codes}")
        labels = [canon(o.label) for o in self.levels + self.missing]
        if len(set(labels)) != len(labels):
            raise ValueError("labels repeat")
        known = {o.label for o in self.levels + self.missing}
        for alias, target in self.aliases.items():
            if target not in known:
                raise ValueError(f"alias '{alias}' points to '{target}', which is not a label of this scale")
        return self

    @property
    def min(self) -> int:
        return min(o.code for o in self.levels)

    @property
    def max(self) -> int:
        return max(o.code for o in self.levels)


def _check_id(v: str) -> str:
    check_id(v)
    if v in RESERVED:
        raise ValueError(f"'{v}' is reserved for a metadata column")
    return v


class MatrixRow(Strict):
    id: str
    label: str
    en: str = ""
    construct: str | None = None
    reverse: bool = False
    required: bool = True
    column: str | None = None  # plain tables, SPSS: the header of this row's column (default: the row id)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)


class Match(Strict):
    """How to find an item's column(s) besides its question number ``q``.

    ``column`` (an exact header) wins when such a header exists; otherwise the item's ``q`` and
    ``text`` (a piece of the question text) both have to fit. ``qualtrics`` names the Qualtrics
    export name (``Q12``) when it is not ``Q<q>``.
    """

    text: str | None = None
    column: str | None = None
    qualtrics: str | None = None
    other: str | None = None  # plain tables, SPSS: the header of the 'other, please specify' fill-in column


class Item(Strict):
    id: str
    type: Literal["single", "multi", "likert", "matrix", "ranking", "numeric", "open", "region"]
    text: str = ""
    en: str = ""
    q: int | str | None = None
    match: Match | None = None
    scale: str | None = None
    options: list[Option] | None = None
    missing: list[Option] = Field(default_factory=list)  # answers that mean no answer (不愿透露, 拒答, 不清楚)
    export_offset: int | None = None  # overrides the scale's: a by-code export writes code + offset
    rows: list[MatrixRow] | None = None
    construct: str | None = None
    reverse: bool = False
    required: bool = True
    min: float | None = None
    max: float | None = None
    unit: str | list[str] | None = None  # text after a number to accept, e.g. 年 in '12年' (or several: [楼, 层])

    @field_validator("options", "missing", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return _options_from(v)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @model_validator(mode="after")
    def _check(self) -> Item:
        t = self.type
        if t in ("single", "multi", "ranking") and not (self.options or self.scale):
            raise ValueError(f"a {t} item needs 'options' (or a 'scale')")
        if t in ("likert", "matrix") and not (self.scale or self.options):
            raise ValueError(f"a {t} item needs a 'scale'")
        if t == "matrix" and not self.rows:
            raise ValueError("a matrix item needs 'rows'")
        if t != "matrix" and self.rows:
            raise ValueError("'rows' is only for matrix items")
        if t in ("numeric", "open", "region") and (self.options or self.scale):
            raise ValueError(f"a {t} item takes no 'options' or 'scale'")
        if self.missing and t in ("open", "region"):
            raise ValueError(f"a {t} item takes no 'missing' answers")
        if self.options:
            codes = [o.code for o in self.options] + [o.code for o in self.missing]
            if len(set(codes)) != len(codes):
                raise ValueError(f"option codes repeat: {codes}")
            keys = [o.col_key for o in self.options]
            if len(set(keys)) != len(keys):
                raise ValueError(f"option keys repeat: {keys}")
            for k in keys:
                if not ID_PATTERN.match(k) and not k.isdigit():
                    raise ValueError(f"option key '{k}' is not snake_case")
            labels = [canon(o.label) for o in self.options + self.missing]
            if len(set(labels)) != len(labels):
                raise ValueError("option labels repeat (options and missing together)")
        if self.q is None and self.match is None:
            raise ValueError("give 'q' (question number) or 'match' so the item can be found in an export")
        return self


class Construct(Strict):
    id: str
    label: Label
    items: list[str] = Field(default_factory=list)
    importance: str | None = None  # item id holding the stated importance (for IPA)


class Roles(Strict):
    """Which items play which part in the analyses (all optional)."""

    community: str | None = None                 # single: the community (clusters, weights, groups)
    weight: str | None = None                    # numeric: a survey weight given in the export
    overall: str | None = None                   # likert: overall satisfaction
    participated: str | None = None              # single: took part in the renovation process
    participated_yes: int = 1                    # its code for "yes"
    participation_stages: str | None = None      # multi: stages taken part in
    participation_channels: str | None = None    # multi: channels used
    problems: str | None = None                  # multi: perceived problems
    priorities: str | None = None                # ranking: priority of renovation actions
    groups: list[str] = Field(default_factory=list)  # single items for crosstabs and comparisons


class Duplicates(Strict):
    same_id: bool = True
    identical_answers: bool = True
    same_ip_window_minutes: float | None = 30.0  # null switches the rule off
    # share of the answered items two same-IP submissions must agree on to be one person twice
    # (mobile carriers put many phones behind one IP); null: the same IP in the window is enough
    same_ip_min_agreement: float | None = Field(default=0.9, ge=0, le=1)


class Speeders(Strict):
    min_seconds: float | None = None
    median_fraction: float | None = None


class Straightlining(Strict):
    blocks: list[str] | None = None  # matrix item ids; default: every matrix with >= min_items rows
    min_items: int = 4
    min_blocks: int = 2  # flagged when straight in at least this many blocks (or in all answered)


class AttentionCheck(Strict):
    item: str
    passes: list[int]  # codes that pass
    missing_fails: bool = True


class Completeness(Strict):
    min_share: float = 1.0  # share of required items answered (logic skips excused)


class Quality(Strict):
    order: list[str] = Field(default_factory=lambda: list(RULES))
    duplicates: Duplicates = Field(default_factory=Duplicates)
    speeders: Speeders = Field(default_factory=Speeders)
    straightlining: Straightlining | None = Field(default_factory=Straightlining)
    attention: list[AttentionCheck] = Field(default_factory=list)
    completeness: Completeness | None = Field(default_factory=Completeness)
    ranges: bool = True
    exclusive: bool = True         # an 'exclusive' option (都没有) chosen together with another one
    platform_status: list[str] = Field(default_factory=lambda: ["preview", "test", "spam"])  # Qualtrics Status

    @field_validator("order")
    @classmethod
    def _order(cls, v: list[str]) -> list[str]:
        bad = [r for r in v if r not in RULES]
        if bad:
            raise ValueError(f"unknown rule(s) {bad}; rules are {list(RULES)}")
        return v + [r for r in RULES if r not in v]


class Scoring(Strict):
    """How construct scores are formed from their items (statistics stage)."""

    # a respondent's construct score is the mean of the items answered, if at least this share
    # of the construct's items is answered (不清楚 and refusals count as not answered)
    min_answered: float = Field(default=0.5, ge=0, le=1)


class Questionnaire(Strict):
    id: str
    title: Label
    version: str | int = 1
    scales: dict[str, Scale] = Field(default_factory=dict)
    items: list[Item]
    constructs: list[Construct] = Field(default_factory=list)
    roles: Roles = Field(default_factory=Roles)
    quality: Quality = Field(default_factory=Quality)
    scoring: Scoring = Field(default_factory=Scoring)
    path: Path | None = Field(default=None, exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @model_validator(mode="after")
    def _cross(self) -> Questionnaire:
        ids: list[str] = []
        for it in self.items:
            ids.append(it.id)
            ids.extend(r.id for r in it.rows or [])
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise KeyedError("items", f"item ids repeat: {dup}")
        cols = [c for it in self.items for c in self.output_columns(it)]
        clash = sorted({c for c in cols if cols.count(c) > 1})
        if clash:
            raise KeyedError("items", f"two items would write the same column(s) {clash}; rename one of them")
        construct_ids = {c.id for c in self.constructs}
        for n, it in enumerate(self.items):
            where = f"items[{n}] (id: {it.id})"
            if it.scale and it.scale not in self.scales:
                raise KeyedError(f"{where}.scale", f"unknown scale '{it.scale}'; scales are {sorted(self.scales)}")
            for c in [it.construct] + [r.construct for r in it.rows or []]:
                if c and c not in construct_ids:
                    raise KeyedError(f"{where}.construct", f"unknown construct '{c}'; constructs are {sorted(construct_ids)}")
        by_id = self.item_index
        for n, c in enumerate(self.constructs):
            for i in c.items:
                if i not in by_id:
                    raise KeyedError(f"constructs[{n}] (id: {c.id}).items", f"unknown item '{i}'")
            if c.importance and c.importance not in by_id:
                raise KeyedError(f"constructs[{n}] (id: {c.id}).importance", f"unknown item '{c.importance}'")
        expected = {"community": ("single",), "weight": ("numeric",), "overall": ("likert", "single"),
                    "participated": ("single",), "participation_stages": ("multi",),
                    "participation_channels": ("multi",), "problems": ("multi",), "priorities": ("ranking",)}
        for key, types in expected.items():
            v = getattr(self.roles, key)
            if v and v not in by_id:
                raise KeyedError(f"roles.{key}", f"unknown item '{v}'")
            if v and by_id[v].type not in types:
                raise KeyedError(f"roles.{key}", f"item '{v}' is a {by_id[v].type} item; expected {' or '.join(types)}")
        for g in self.roles.groups:
            if g not in by_id or by_id[g].type not in ("single", "likert"):
                raise KeyedError("roles.groups", f"'{g}' is not a single-choice item")
        q = self.quality
        for n, a in enumerate(q.attention):
            if a.item not in by_id:
                raise KeyedError(f"quality.attention[{n}].item", f"unknown item '{a.item}'")
        if q.straightlining and q.straightlining.blocks:
            for b in q.straightlining.blocks:
                if (b not in by_id or by_id[b].type != "matrix") and b not in construct_ids:
                    raise KeyedError("quality.straightlining.blocks", f"'{b}' is not a matrix item or a construct")
        return self

    # ---- derived views -------------------------------------------------------------
    @cached_property
    def item_index(self) -> dict[str, Item]:
        """Every item and matrix row by id (matrix rows as likert items of their matrix)."""
        out: dict[str, Item] = {}
        for it in self.items:
            out[it.id] = it
            for r in it.rows or []:
                out[r.id] = Item(
                    id=r.id, type="likert", text=f"{it.text}—{r.label}", en=r.en, q=it.q,
                    match=it.match, scale=it.scale, options=it.options, missing=it.missing,
                    export_offset=it.export_offset,
                    construct=r.construct if "construct" in r.model_fields_set else it.construct, reverse=r.reverse, required=r.required,
                )
        return out

    def output_columns(self, item: Item) -> list[str]:
        """The columns an item becomes in responses.parquet."""
        opts = self.options_of(item) if (item.options or item.scale in self.scales) else []
        has_other = any(o.other for o in opts)
        if item.type == "matrix":
            return [r.id for r in item.rows or []]
        if item.type in ("multi", "ranking"):
            return [f"{item.id}__{o.col_key}" for o in opts] + ([f"{item.id}_other"] if has_other else [])
        if item.type == "region":
            return [item.id, f"{item.id}_province", f"{item.id}_city"]
        return [item.id] + ([f"{item.id}_other"] if has_other and item.type == "single" else [])

    def column_item(self, column: str) -> Item | None:
        """The item (or matrix row) a responses.parquet column belongs to."""
        for it in self.items:
            if column in self.output_columns(it):
                return self.item_index.get(column) or it
        return None

    def options_of(self, item: Item) -> list[Option]:
        if item.options:
            return list(item.options)
        return list(self.scales[item.scale].levels) if item.scale else []

    def missing_of(self, item: Item) -> list[Option]:
        """Answers that mean no substantive answer: the item's own ``missing``, then its scale's."""
        own = list(item.missing)
        seen = {o.code for o in own}
        return own + ([o for o in self.scales[item.scale].missing if o.code not in seen] if item.scale else [])

    def export_offset(self, item: Item) -> int:
        """What a by-code export adds to the stored code (WJX writes 1..11 for a 0-10 scale)."""
        if item.export_offset is not None:
            return item.export_offset
        return self.scales[item.scale].export_offset if item.scale else 0

    def construct_items(self, construct_id: str) -> list[str]:
        c = next(c for c in self.constructs if c.id == construct_id)
        listed = list(c.items)
        listed += [i for i, it in self.item_index.items() if it.construct == construct_id and it.type == "likert" and i not in listed]
        return listed


def load_questionnaire(path: str | Path) -> Questionnaire:
    path = Path(path)
    data = read_yaml(path)
    q = validate_model(Questionnaire, data, path)
    return q.model_copy(update={"path": path})
