"""Codebooks (``coding_schemes/*.yaml``) and rule-based coding of interview segments.

A codebook is hierarchical (theme → code) with zh/en labels, a definition, inclusion and
exclusion notes and rules: literal ``keywords``, ``regex`` patterns, ``exclude_patterns`` that
veto a segment, and a negation window (``不``, ``没有``, ``不存在``… within N characters before a
match cancel it). Every coding keeps its evidence: which rule matched which characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from pathlib import Path

import pandas as pd
from pydantic import Field, field_validator, model_validator

from pipeline.survey.questionnaire import Label, _check_id, _Strict, read_yaml, validate_model


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
_CLAUSE = r"[,，。;；!?！？:：]"


class Negation(_Strict):
    window: int = Field(default=6, ge=0, le=50)
    cues: list[str] = Field(default_factory=lambda: ["不", "没", "没有", "并不", "不是", "不存在", "倒不是", "谈不上"])
    # cues after a match that deny it ("资金倒不是问题"), looked for up to `window` characters after
    post_cues: list[str] = Field(default_factory=lambda: ["倒不是问题", "不是问题", "没问题", "不成问题", "不是主要"])
    # words that begin with a cue but do not negate ("不少居民反映停车难"); a cue inside one is ignored
    ignore: list[str] = Field(default_factory=lambda: list(PSEUDO_NEGATIONS))


class Code(_Strict):
    id: str
    label: Label
    definition: str = ""
    include: str = ""
    exclude: str = ""
    keywords: list[str] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)
    exclude_patterns: list[str] = Field(default_factory=list)
    negation: bool = True

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @field_validator("regex", "exclude_patterns")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        return [check_regex(p) for p in v]


class Theme(_Strict):
    id: str
    label: Label
    codes: list[Code]


class Codebook(_Strict):
    id: str
    title: Label
    version: str | int = 1
    negation: Negation = Field(default_factory=Negation)
    themes: list[Theme]

    @model_validator(mode="after")
    def _unique(self) -> "Codebook":
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
    return validate_model(Codebook, read_yaml(path), path)


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


class Coder:
    """Applies a codebook's rules to text; compiled once."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        neg = codebook.negation
        self._neg = re.compile("|".join(re.escape(_nfkc(c)) for c in sorted(neg.cues, key=len, reverse=True))) \
            if neg.cues else None
        self._window = neg.window
        self._ignore = re.compile("|".join(re.escape(_nfkc(w)) for w in sorted(neg.ignore, key=len, reverse=True))) \
            if neg.ignore else None
        self._post = re.compile("|".join(re.escape(_nfkc(c)) for c in sorted(neg.post_cues, key=len, reverse=True))) \
            if neg.post_cues else None
        self._rules: list[tuple[str, list[tuple[str, re.Pattern]], list[re.Pattern], bool]] = []
        for _, code in codebook.codes.values():
            # all of a code's keywords in one alternation, longest first (the rule name is
            # recovered from the matched text): one scan instead of one per keyword
            words = sorted({_nfkc(k) for k in code.keywords}, key=lambda w: (-len(w), w))
            rules = [("keyword:", re.compile("|".join(map(re.escape, words))))] if words else []
            rules += [(f"regex:{p}", re.compile(_nfkc(p))) for p in code.regex]
            excl = [re.compile(_nfkc(p)) for p in code.exclude_patterns]
            self._rules.append((code.id, rules, excl, code.negation))

    def _negated(self, text: str, start: int, end: int) -> bool:
        if self._window == 0:
            return False
        lo = max(0, start - self._window)
        # a clause break between the cue and the match ends the negation
        before = re.split(_CLAUSE, text[lo:start])[-1]
        if self._neg is not None:
            b0 = start - len(before)
            masked = []
            if self._ignore is not None:  # pseudo-negations around the window (they may overlap the match)
                ctx0 = max(0, b0 - 4)
                masked = [(ctx0 + m.start(), ctx0 + m.end()) for m in self._ignore.finditer(text[ctx0:end])]
            for m in self._neg.finditer(before):
                a, b = b0 + m.start(), b0 + m.end()
                if not any(s <= a and b <= e for s, e in masked):
                    return True
        after = re.split(_CLAUSE, text[end:end + self._window + 2])[0]
        return bool(self._post is not None and self._post.search(after))

    def code_text(self, text: str) -> list[dict]:
        """Codings of one text: code, start, end (of the first match), rule, evidence."""
        out = []
        for code_id, rules, excl, use_neg in self._rules:
            if any(p.search(text) for p in excl):
                continue
            hits = []
            for name, pat in rules:
                for m in pat.finditer(text):
                    if m.end() == m.start():
                        continue
                    if use_neg and self._negated(text, m.start(), m.end()):
                        continue
                    hits.append((m.start(), m.end(), name + m.group(0) if name == "keyword:" else name, m.group(0)))
            if hits:
                hits.sort(key=lambda h: (h[0], h[0] - h[1]))  # earliest, then longest
                out.append({"code": code_id, "match_start": hits[0][0], "match_end": hits[0][1],
                            "rule": hits[0][2], "evidence": "; ".join(sorted({h[3] for h in hits})),
                            "n_matches": len(hits)})
        return out

    def code_segments(self, segments: pd.DataFrame) -> pd.DataFrame:
        """One row per (segment, code), interviewer segments left out. Offsets are the segment's
        (``start``, ``end``) in the document; ``match_start``/``match_end`` locate the evidence."""
        rows = []
        for s in segments.itertuples(index=False):
            if s.is_interviewer:
                continue
            for c in self.code_text(s.text):
                rows.append({"segment_id": s.segment_id, "document": s.document, "informant": s.informant,
                             "role": s.role, "code": c["code"], "start": s.start, "end": s.end,
                             "match_start": s.start + c["match_start"], "match_end": s.start + c["match_end"],
                             "rule": c["rule"], "evidence": c["evidence"], "n_matches": c["n_matches"]})
        cols = ["segment_id", "document", "informant", "role", "code", "start", "end", "match_start", "match_end",
                "rule", "evidence", "n_matches"]
        return pd.DataFrame(rows, columns=cols)


# ---- the coding stage ------------------------------------------------------------------------

def _quote_rank(df: pd.DataFrame) -> pd.DataFrame:
    """Order candidate quotes: more rule matches first, then a readable length (15–80 characters
    preferred), then document order — deterministic."""
    length = (df["end"] - df["start"]).astype(int)
    penalty = (length < 15) * (15 - length) + (length > 80) * (length - 80)
    return df.assign(_pen=penalty).sort_values(["n_matches", "_pen", "document", "start"],
                                               ascending=[False, True, True, True], kind="stable")


def summarise(codings: pd.DataFrame, segments: pd.DataFrame, book: Codebook) -> dict[str, pd.DataFrame]:
    """Frequencies by role and informant, co-occurrence, framework matrix and exemplar quotes."""
    labels = {cid: c.label.zh for cid, (_, c) in book.codes.items()}
    speaking = segments[~segments["is_interviewer"]]
    informants_by_role = speaking.groupby("role")["informant"].nunique()
    by_role = (codings.groupby(["code", "role"])
               .agg(segments=("segment_id", "nunique"), informants=("informant", "nunique")).reset_index())
    by_role["informants_in_role"] = by_role["role"].map(informants_by_role).astype(int)
    by_role["pct_informants"] = 100 * by_role["informants"] / by_role["informants_in_role"]
    by_role.insert(1, "label_zh", by_role["code"].map(labels))
    by_informant = (codings.groupby(["informant", "role", "code"])
                    .agg(segments=("segment_id", "nunique")).reset_index())
    seg_codes = codings[["segment_id", "code"]].drop_duplicates()
    pairs = seg_codes.merge(seg_codes, on="segment_id")
    pairs = pairs[pairs["code_x"] < pairs["code_y"]]
    co = (pairs.groupby(["code_x", "code_y"]).size().rename("segments").reset_index()
          .rename(columns={"code_x": "code_a", "code_y": "code_b"}))
    text = segments.set_index("segment_id")["text"]
    ranked = _quote_rank(codings)
    best = ranked.drop_duplicates(["informant", "code"])
    framework = best.assign(quote=best["segment_id"].map(text))[["informant", "role", "code", "segment_id", "quote"]]
    framework = framework.sort_values(["informant", "code"], kind="stable").reset_index(drop=True)
    exemplars = (ranked.drop_duplicates(["code", "informant"]).groupby("code", sort=True).head(5)
                 .assign(quote=lambda d: d["segment_id"].map(text)))
    exemplars["rank"] = exemplars.groupby("code").cumcount() + 1
    exemplars = exemplars[["code", "rank", "informant", "role", "segment_id", "quote", "evidence"]]
    exemplars.insert(1, "label_zh", exemplars["code"].map(labels))
    return {"code_by_role": by_role, "code_by_informant": by_informant, "cooccurrence": co,
            "framework_matrix": framework, "exemplar_quotes": exemplars.reset_index(drop=True)}


def run(study) -> dict:
    """The coding stage: codebook rules over interviews/segments.parquet → coding/."""
    from pipeline.core.errors import InputError
    from pipeline.core.stage import read_csv, stage_output, write_tables

    if not study.config.coding_scheme:
        raise InputError("the study names no coding_scheme", file=study.path, key="coding_scheme")
    book_path = study.resolve(study.config.coding_scheme)
    book = load_codebook(book_path)
    src = study.stage_dir("interviews") / "segments.parquet"
    segments = pd.read_parquet(src)
    codings = Coder(book).code_segments(segments)
    tables = summarise(codings, segments, book)
    log = {"segments": int((~segments["is_interviewer"]).sum()), "codings": int(len(codings)),
           "coded_segments": int(codings["segment_id"].nunique()), "codes_used": int(codings["code"].nunique()),
           "codes_in_codebook": len(book.codes)}
    gold_files = [study.resolve(g) for g in study.config.interviews.gold_files] if study.config.interviews else []
    iv_dir = study.stage_dir("interviews")
    inputs = [src, iv_dir / "documents.parquet", iv_dir / "cases.csv"]
    docs = pd.read_parquet(iv_dir / "documents.parquet", columns=["document", "informant", "text"])
    cases = read_csv(iv_dir / "cases.csv", dtype=str, keep_default_na=False)
    gold = pd.DataFrame(columns=["document", "start", "end", "code", "coder"])
    if gold_files:
        from pipeline.interviews.agreement import evaluate, read_spans

        from pipeline.interviews.transcripts import document_name, read_roster, roster_names

        reds = read_csv(iv_dir / "redactions.csv")
        texts = dict(zip(docs["document"], docs["text"]))
        iv = study.config.interviews
        names = roster_names(read_roster(study.resolve(iv.roster)), study.resolve(iv.names) if iv.names else None)
        gold = pd.concat([read_spans(g, texts, reds, book, rename=lambda d: document_name(d, names))
                          for g in gold_files], ignore_index=True)
        per_code, overall = evaluate(segments, codings, gold, list(book.codes))
        tables["agreement_by_code"] = per_code
        tables["agreement"] = overall
        # a supervised suggester trained on the first gold coder, cross-validated by document
        from pipeline.interviews.agreement import spans_to_units
        from pipeline.interviews.suggest import train_and_suggest

        first = gold[gold["coder"] == gold["coder"].iloc[0]]
        labels, _ = spans_to_units(first, segments)
        units = segments[segments["document"].isin(set(first["document"])) & ~segments["is_interviewer"]]
        cv, suggestions = train_and_suggest(segments, units[["segment_id", "document"]], labels, codings,
                                            list(book.codes), seed=study.config.seed)
        tables["suggester_cv"] = cv
        tables["suggestions"] = suggestions
        log["suggester"] = {"trained_on": str(gold["coder"].iloc[0]), "suggestions": int(len(suggestions)),
                            "codes_scored": int(cv["f1"].notna().sum()),
                            "macro_f1_cv": float(cv["f1"].mean()) if cv["f1"].notna().any() else None}
        log["agreement"] = {r["comparison"]: {k: r[k] for k in ("documents", "units", "macro_f1", "micro_f1",
                                                                 "mean_kappa", "alpha_masi_coded_units")}
                            for r in overall.to_dict("records")}
        inputs += gold_files
    with stage_output(study.stage_dir("coding"), inputs=inputs, configs=study.config_files() + [book_path],
                      seed=study.config.seed, stage="coding", base=study.dir) as tmp:
        codings.to_parquet(tmp / "codings.parquet", index=False)
        # the coded interviews for NVivo, ATLAS.ti, MAXQDA, QualCoder: the pipeline's codings and
        # every gold coder's, each as a REFI-QDA user
        from pipeline.interviews.qdpx import export_qdpx

        both = pd.concat([codings[["document", "start", "end", "code"]].assign(coder="pipeline"), gold],
                         ignore_index=True)
        q = export_qdpx(tmp / "project.qdpx", docs, cases, book, both, project_name=study.name)
        log["qdpx"] = {k: q[k] for k in ("sources", "codes", "cases", "selections", "codings") if k in q}
        write_tables({"codebook": book.table(), **tables}, log, tmp, "coding_log.json")
    return log
