"""Rule-based coding of interview segments with a codebook (:mod:`pipeline.interviews.codebook`),
and the code stage (``coding/``).

The coder applies the codebook's literal ``keywords``, ``regex`` patterns, ``exclude_patterns`` that
veto a segment, and a negation window (``不``, ``没有``, ``不存在``… within N characters before a
match cancel it). Every coding keeps its evidence: which rule matched which characters.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.interviews.codebook import CLAUSE, SENTENCE, Codebook, CoRule, load_codebook, nfkc

NAMED = ("keyword:", "cooccur:")   # rules named by what they matched


class _Hit:
    """A match-like result of a co-occurrence rule."""
    __slots__ = ("_a", "_b", "_text")

    def __init__(self, a: int, b: int, text: str) -> None:
        self._a, self._b, self._text = a, b, text

    def start(self) -> int:
        return self._a

    def end(self) -> int:
        return self._b

    def group(self, _: int = 0) -> str:
        return self._text


class _CoMatcher:
    """A co-occurrence rule compiled: ``finditer(text)`` yields one hit per clause (or sentence)
    holding a term of every group, the terms apart, with no negation cue between them; the
    evidence is the terms joined by '…' in text order."""

    def __init__(self, rule: CoRule, neg: re.Pattern | None, ignore: re.Pattern | None) -> None:
        self.groups = [re.compile("|".join(map(re.escape, sorted({nfkc(t) for t in g}, key=lambda w: (-len(w), w)))))
                       for g in rule.all]
        self.split = re.compile(CLAUSE if rule.scope == "clause" else SENTENCE)
        self.neg, self.ignore = neg, ignore

    def _negated_between(self, gap: str) -> bool:
        if self.neg is None or not self.neg.search(gap):
            return False
        masked = [(m.start(), m.end()) for m in self.ignore.finditer(gap)] if self.ignore is not None else []
        return any(not any(s <= m.start() and m.end() <= e for s, e in masked) for m in self.neg.finditer(gap))

    def finditer(self, text: str):
        if not self.groups[0].search(text) or not self.groups[-1].search(text):
            return
        pos = 0
        for piece in self.split.split(text):
            start, pos = pos, pos + len(piece) + 1
            found = []
            for g in self.groups:
                m = g.search(piece)
                if m is None:
                    break
                found.append((m.start(), m.end()))
            else:
                found.sort()
                if any(b > c for (_, b), (c, _) in zip(found, found[1:])):
                    continue   # two groups' terms overlap: not two words
                if any(self._negated_between(piece[b:c]) for (_, b), (c, _) in zip(found, found[1:])):
                    continue
                yield _Hit(start + found[0][0], start + found[-1][1], "…".join(piece[a:b] for a, b in found))


class Coder:
    """Applies a codebook's rules to text; compiled once."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        neg = codebook.negation
        self._neg = re.compile("|".join(re.escape(nfkc(c)) for c in sorted(neg.cues, key=len, reverse=True))) \
            if neg.cues else None
        self._window = neg.window
        self._ignore = re.compile("|".join(re.escape(nfkc(w)) for w in sorted(neg.ignore, key=len, reverse=True))) \
            if neg.ignore else None
        self._post = re.compile("|".join(re.escape(nfkc(c)) for c in sorted(neg.post_cues, key=len, reverse=True))) \
            if neg.post_cues else None
        self._rules: list[tuple[str, list[tuple[str, re.Pattern]], list[re.Pattern], bool]] = []
        self._masks: dict[str, re.Pattern] = {}
        for _, code in codebook.codes.values():
            # all of a code's keywords in one alternation, longest first (the rule name is
            # recovered from the matched text): one scan instead of one per keyword
            words = sorted({nfkc(k) for k in code.keywords}, key=lambda w: (-len(w), w))
            rules = [("keyword:", re.compile("|".join(map(re.escape, words))))] if words else []
            rules += [(f"regex:{p}", re.compile(nfkc(p))) for p in code.regex]
            rules += [("cooccur:", _CoMatcher(r, self._neg, self._ignore)) for r in code.cooccur]
            excl = [re.compile(nfkc(p)) for p in code.exclude_patterns]
            self._rules.append((code.id, rules, excl, code.negation))
            if code.ignore_patterns:
                self._masks[code.id] = re.compile("|".join(f"(?:{nfkc(p)})" for p in code.ignore_patterns))

    def _masked(self, code_id: str, text: str) -> str:
        """``text`` with the code's ignored spans blanked (same length: offsets hold)."""
        pat = self._masks.get(code_id)
        return text if pat is None else pat.sub(lambda m: "\x01" * len(m.group(0)), text)

    def _negated(self, text: str, start: int, end: int) -> bool:
        if self._window == 0:
            return False
        lo = max(0, start - self._window)
        # a clause break between the cue and the match ends the negation
        before = re.split(CLAUSE, text[lo:start])[-1]
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
        after = re.split(CLAUSE, text[end:end + self._window + 2])[0]
        return bool(self._post is not None and self._post.search(after))

    def _code_one(self, entry, text: str) -> dict | None:
        """One code's coding of one (masked) text, or None."""
        code_id, rules, excl, use_neg = entry
        if any(p.search(text) for p in excl):
            return None
        hits = []
        for name, pat in rules:
            for m in pat.finditer(text):
                if m.end() == m.start():
                    continue
                if use_neg and self._negated(text, m.start(), m.end()):
                    continue
                hits.append((m.start(), m.end(), name + m.group(0) if name in NAMED else name, m.group(0)))
        if not hits:
            return None
        hits.sort(key=lambda h: (h[0], h[0] - h[1]))  # earliest, then longest
        return {"code": code_id, "match_start": hits[0][0], "match_end": hits[0][1], "rule": hits[0][2],
                "evidence": "; ".join(sorted({h[3] for h in hits})), "n_matches": len(hits)}

    def code_text(self, text: str) -> list[dict]:
        """Codings of one text: code, start, end (of the first match), rule, evidence."""
        found = (self._code_one(entry, self._masked(entry[0], text)) for entry in self._rules)
        return [f for f in found if f is not None]

    def _near_miss_one(self, entry, text: str) -> dict | None:
        code_id, rules, excl, use_neg = entry
        found = [(name, m) for name, pat in rules for m in pat.finditer(text) if m.end() > m.start()]
        if not found:
            return None
        veto = next((p for p in excl if p.search(text)), None)
        if veto is not None:
            return {"code": code_id, "match": found[0][1].group(0), "why": f"excluded by the pattern {veto.pattern[:40]}"}
        if not use_neg:
            return None
        negated = [m for _, m in found if self._negated(text, m.start(), m.end())]
        if negated and len(negated) == len(found):
            m = negated[0]
            ctx = text[max(0, m.start() - self._window):m.start()]
            return {"code": code_id, "match": m.group(0), "why": f"negated (…{ctx})"}
        return None

    def near_misses(self, text: str) -> list[dict]:
        """The codes a rule matched in ``text`` but a negation or an exclusion pattern cancelled
        (and nothing else coded): code, match, why — the review loop's uncertain codings."""
        found = (self._near_miss_one(entry, self._masked(entry[0], text)) for entry in self._rules)
        return [f for f in found if f is not None]

    _SEP = "\n\x00\n"
    _ANCHORED = re.compile(r"\^|\$|\\[bBAZ]|\(\?<[=!]|\(\?[a-z]*m")
    _CLASS = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]")   # a character class ([^不没] is not an anchor)

    @classmethod
    def _text_by_text(cls, pattern: str) -> bool:
        """Anchors, word boundaries and lookbehind see the neighbouring text in a joined scan."""
        return bool(cls._ANCHORED.search(cls._CLASS.sub("x", pattern.replace("\\\\", ""))))

    def _scan(self, pat, texts: list[str], big: str, starts: list[int], redo: set[int]):
        """(text index, start, end, matched) of every match of ``pat`` inside one of ``texts``
        (``big``: them joined by the separator, ``starts``: where each begins in it). A match
        across the separator marks both texts for the text-by-text scan (``redo``)."""
        import bisect

        def owner(pos: int) -> int:
            return bisect.bisect_right(starts, pos) - 1

        if isinstance(pat, _CoMatcher):   # clause by clause, in the texts holding a first and a last term
            first = {owner(m.start()) for m in pat.groups[0].finditer(big)}
            both = first & {owner(m.start()) for m in pat.groups[-1].finditer(big)}
            for i in sorted(both):
                for m in pat.finditer(texts[i]):
                    yield i, m.start(), m.end(), m.group(0)
            return
        if self._text_by_text(pat.pattern):
            for i, t in enumerate(texts):
                for m in pat.finditer(t):
                    yield i, m.start(), m.end(), m.group(0)
            return
        for m in pat.finditer(big):
            i = owner(m.start())
            if "\x00" in m.group(0) or m.start() > starts[i] + len(texts[i]):
                redo.update((i, i + 1))
                continue
            yield i, m.start() - starts[i], m.end() - starts[i], m.group(0)

    def _for_code(self, code_id: str, texts: list[str], big: str) -> tuple[list[str], str]:
        """The texts (and their join) as a code's rules see them: its ignored spans blanked
        (same lengths, so offsets and ``starts`` hold)."""
        if code_id not in self._masks:
            return texts, big
        these = [self._masked(code_id, t) for t in texts]
        return these, self._SEP.join(these)

    def _joined(self, texts: list[str]) -> tuple[str, list[int]]:
        starts, pos = [], 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + len(self._SEP)
        return self._SEP.join(texts), starts

    def near_misses_many(self, texts: list[str]) -> list[list[dict]]:
        """:meth:`near_misses` of many texts (only texts where a code's rule matched at all are
        looked at closely)."""
        texts = list(texts)
        out: list[list[dict]] = [[] for _ in texts]
        big, starts = self._joined(texts)
        for entry in self._rules:
            code_id, rules, excl, use_neg = entry
            these, joined = self._for_code(code_id, texts, big)
            redo: set[int] = set()
            raw = {i for _, pat in rules for i, *_ in self._scan(pat, these, joined, starts, redo)} | redo
            for i in sorted(raw):
                if i < len(texts):
                    got = self._near_miss_one(entry, these[i])
                    if got is not None:
                        out[i].append(got)
        return out

    def code_texts(self, texts: list[str]) -> list[list[dict]]:
        """:meth:`code_text` of many texts, the same result: each pattern scans all texts at once
        (joined by a separator no rule matches inside a text); a match across the separator,
        and every pattern with anchors or lookbehind, falls back to the text-by-text scan."""
        texts = list(texts)
        if len(texts) < 2:
            return [self.code_text(t) for t in texts]
        big, starts = self._joined(texts)
        redo: set[int] = set()

        def scan(pat, these: list[str], joined: str):
            return self._scan(pat, these, joined, starts, redo)

        out: list[list[dict]] = [[] for _ in texts]
        for code_id, rules, excl, use_neg in self._rules:
            these, joined = self._for_code(code_id, texts, big)
            excluded = {i for p in excl for i, *_ in scan(p, these, joined)}
            hits: dict[int, list] = {}
            for name, pat in rules:
                for i, a, b, g in scan(pat, these, joined):
                    if a == b or i in excluded:
                        continue
                    if use_neg and self._negated(these[i], a, b):
                        continue
                    hits.setdefault(i, []).append((a, b, name + g if name in NAMED else name, g))
            for i in sorted(hits):
                h = sorted(hits[i], key=lambda x: (x[0], x[0] - x[1]))
                out[i].append({"code": code_id, "match_start": h[0][0], "match_end": h[0][1], "rule": h[0][2],
                               "evidence": "; ".join(sorted({x[3] for x in h})), "n_matches": len(h)})
        for i in redo:
            if i < len(texts):
                out[i] = self.code_text(texts[i])
        return out

    def code_segments(self, segments: pd.DataFrame) -> pd.DataFrame:
        """One row per (segment, code), interviewer segments left out. Offsets are the segment's
        (``start``, ``end``) in the document; ``match_start``/``match_end`` locate the evidence."""
        rows = []
        todo = [s for s in segments.itertuples(index=False) if not s.is_interviewer]
        for s, found in zip(todo, self.code_texts([s.text for s in todo])):
            for c in found:
                rows.append({"segment_id": s.segment_id, "document": s.document, "informant": s.informant,
                             "role": s.role, "code": c["code"], "start": s.start, "end": s.end,
                             "match_start": s.start + c["match_start"], "match_end": s.start + c["match_end"],
                             "rule": c["rule"], "evidence": c["evidence"], "n_matches": c["n_matches"]})
        cols = ["segment_id", "document", "informant", "role", "code", "start", "end", "match_start", "match_end",
                "rule", "evidence", "n_matches"]
        return pd.DataFrame(rows, columns=cols)


# ---- the coding stage ------------------------------------------------------------------------

def quote_rank(df: pd.DataFrame) -> pd.DataFrame:
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
    ranked = quote_rank(codings)
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


def _training_set(segments: pd.DataFrame, gold: pd.DataFrame, decisions: pd.DataFrame,
                  codes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sentences a trained coder learns from and their labels: the informant sentences of the
    first gold coder's documents (every code judged), then the sentences a reviewer judged (the
    codes judged are True/False, the others NA: a review decision judges one code)."""
    from pipeline.interviews.agreement import spans_to_units

    units = pd.DataFrame(columns=["segment_id", "document"])
    lab = pd.DataFrame(columns=codes, dtype="boolean")
    if len(gold):
        first = gold[gold["coder"] == gold["coder"].iloc[0]]
        pairs, _ = spans_to_units(first, segments)
        units = segments.loc[segments["document"].isin(set(first["document"])) & ~segments["is_interviewer"],
                             ["segment_id", "document"]].reset_index(drop=True)
        lab = pd.DataFrame({c: units["segment_id"].isin(set(pairs.loc[pairs["code"] == c, "segment_id"]))
                            for c in codes}, columns=codes).astype("boolean")
    if len(decisions):
        extra = decisions[~decisions["segment_id"].isin(set(units["segment_id"]))]
        if len(extra):
            ids = sorted(set(extra["segment_id"]))
            more = pd.DataFrame(pd.NA, index=range(len(ids)), columns=codes, dtype="boolean")
            row = {sid: i for i, sid in enumerate(ids)}
            for sid, code, dec in extra[["segment_id", "code", "decision"]].itertuples(index=False):
                more.loc[row[sid], code] = dec == "accept"
            doc = segments.set_index("segment_id")["document"]
            units = pd.concat([units, pd.DataFrame({"segment_id": ids, "document": doc.loc[ids].to_numpy()})],
                              ignore_index=True)
            lab = pd.concat([lab, more], ignore_index=True)
    return units, lab


def run(study) -> dict:
    """The coding stage: codebook rules, the study's coders and the reviewers' decisions over
    interviews/segments.parquet → coding/ (precedence: pipeline/interviews/coders.py)."""
    from pipeline.core.errors import InputError
    from pipeline.core.stage import read_csv, write_tables
    from pipeline.interviews.coders import above, model_codings, run_coder, study_coders

    if not study.config.coding_scheme:
        raise InputError("the study names no coding_scheme", file=study.path, key="coding_scheme")
    book_path = study.definition("coding_scheme")
    book = load_codebook(book_path)
    codes = list(book.codes)
    src = study.stage_dir("interviews") / "segments.parquet"
    segments = pd.read_parquet(src)
    rules = Coder(book).code_segments(segments).assign(coder="rules")
    gold_files = [study.resolve(g) for g in study.config.interviews.gold_files] if study.config.interviews else []
    iv_dir = study.stage_dir("interviews")
    inputs = [src, iv_dir / "documents.parquet", iv_dir / "cases.csv"]
    docs = pd.read_parquet(iv_dir / "documents.parquet", columns=["document", "informant", "text"])
    cases = read_csv(iv_dir / "cases.csv", dtype=str, keep_default_na=False)
    names = study.personal_names
    gold = pd.DataFrame(columns=["document", "start", "end", "code", "coder"])
    if gold_files:
        from pipeline.interviews.agreement import read_spans
        from pipeline.interviews.redaction import document_name

        reds = read_csv(iv_dir / "redactions.csv")
        texts = dict(zip(docs["document"], docs["text"]))
        gold = pd.concat([read_spans(g, texts, reds, book, rename=lambda d: document_name(d, names))
                          for g in gold_files], ignore_index=True)
        # a coder is named by the gold file or its coder column: a person's name there is redacted too
        gold["coder"] = gold["coder"].map(lambda c: document_name(str(c), names))
        inputs += gold_files
    from pipeline.interviews.decisions import read_decisions

    decisions = pd.DataFrame(columns=["segment_id", "code", "decision", "source", "reviewer"])
    log_review = None
    if study.review_path.exists():
        decisions, log_review = read_decisions(study.review_path, segments, book)
        inputs.append(study.review_path)
    # the study's coders, in order: `code` ones add codings nobody before them made, `suggest`
    # ones propose them for review
    units, labels = _training_set(segments, gold, decisions, codes)
    train = units.assign(text=units["segment_id"].map(segments.set_index("segment_id")["text"]))
    parts, suggestions, per_coder, log_coders, cv = [rules], [], {"rules": rules}, {}, None
    model_scores: list[tuple[str, pd.DataFrame]] = []
    plugged = study_coders(study, book)
    for p in plugged:
        trains = p.trains(book, study.config.seed)
        if trains:
            if train.empty:
                log_coders[p.name] = {"use": p.use, "skipped": "it trains on human coding and the study has none"}
                continue
            from pipeline.interviews.suggest import fit_and_score

            scores, oof, coder, table = fit_and_score(p, book, study.config.seed, segments, train, labels, codes,
                                                      p.threshold)
            if p.name == "suggester":
                cv = table
            per_coder[p.name] = ("oof", oof)
        else:
            scores, _, coder = run_coder(p, book, study.config.seed, segments, None, None)
            per_coder[p.name] = ("scores", scores)
        if not scores.empty:
            model_scores.append((p.name, scores))
        made = pd.concat(parts, ignore_index=True)
        if p.use == "code" and not scores.empty:
            hits = above(scores, p.threshold)
            done = set(zip(made["segment_id"], made["code"]))
            hits = hits[np.array([(a, c) not in done for a, c in zip(hits["segment_id"], hits["code"])], dtype=bool)]
            parts.append(model_codings(hits, segments, coder, p.name))
            log_coders[p.name] = {"use": "code", "codings": int(len(hits)), "trained": trains}
        elif p.use == "suggest":
            from pipeline.interviews.suggest import suggestion_table

            sug = suggestion_table(scores, segments, train["segment_id"] if trains else [], made,
                                   [c for c in codes if c in scores.columns], p.threshold, source=p.name)
            suggestions.append(sug)
            log_coders[p.name] = {"use": "suggest", "suggestions": int(len(sug)), "trained": trains}
    codings = pd.concat(parts, ignore_index=True)
    doubts = doubted(rules, model_scores)
    if len(decisions):   # the reviewers' word is final: accepted codings added, rejected removed
        from pipeline.interviews.decisions import apply_decisions

        codings, log_review["applied"] = apply_decisions(codings, decisions, segments)
    tables = summarise(codings, segments, book)
    log = {"segments": int((~segments["is_interviewer"]).sum()), "codings": int(len(codings)),
           "coded_segments": int(codings["segment_id"].nunique()), "codes_used": int(codings["code"].nunique()),
           "codes_in_codebook": len(book.codes),
           "codings_by_coder": {k: int(v) for k, v in codings["coder"].value_counts().sort_index().items()},
           "coders": log_coders}
    if log_review:
        log["review"] = log_review
    if len(gold):
        from pipeline.interviews.agreement import evaluate

        per_code, overall = evaluate(segments, codings, gold, codes)
        tables["agreement"] = overall
        tables["agreement_by_code"] = per_code
        tables["agreement_by_coder"] = by_coder(segments, per_coder, gold, codes,
                                                {p.name: p.threshold for p in plugged})
        log["agreement"] = {r["comparison"]: {k: r[k] for k in ("documents", "units", "macro_f1", "micro_f1",
                                                                 "mean_kappa", "alpha_masi_coded_units")}
                            for r in overall.to_dict("records")}
    if cv is not None:
        tables["suggester_cv"] = cv
        log["suggester"] = {"trained_on": str(gold["coder"].iloc[0]) if len(gold) else "review decisions",
                            "codes_scored": int(cv["f1"].notna().sum()),
                            "macro_f1_cv": float(cv["f1"].mean()) if cv["f1"].notna().any() else None}
    tables["doubts"] = doubts
    if suggestions or any(p.use == "suggest" for p in plugged):
        cols = ["segment_id", "informant", "role", "code", "probability", "text", "source"]
        tables["suggestions"] = (pd.concat(suggestions, ignore_index=True) if suggestions
                                 else pd.DataFrame(columns=cols))
    from pipeline.interviews.redaction import document_name

    label = (lambda rel: document_name(study.redact_label(rel), names)) if gold_files else study.redact_label
    with study.output("coding", "coding", inputs, [book_path], label=label) as tmp:
        codings.to_parquet(tmp / "codings.parquet", index=False)
        # the coded interviews for NVivo, ATLAS.ti, MAXQDA, QualCoder: the pipeline's codings and
        # every gold coder's, each as a REFI-QDA user
        from pipeline.interviews.qdpx import export_qdpx

        both = pd.concat([codings[["document", "start", "end", "code"]].assign(coder="pipeline"), gold],
                         ignore_index=True)
        q = export_qdpx(tmp / "project.qdpx", docs, cases, book, both, project_name=study.redact_label(study.name))
        log["qdpx"] = {k: q[k] for k in ("sources", "codes", "cases", "selections", "codings") if k in q}
        write_tables({"codebook": book.table(), **tables}, log, tmp, "coding_log.json")
    return log


DOUBT_BELOW = 0.1   # a rule coding a model scores below this is put to a reviewer


def doubted(rules: pd.DataFrame, model_scores: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Rule codings a model finds improbable (score < ``DOUBT_BELOW``): segment_id, code,
    probability, source (the first coder, in the study's order, that scored the pair), rule,
    evidence — the review sheet's ``doubt`` rows, with which a reviewer audits the rules'
    precision."""
    cols = ["segment_id", "code", "probability", "source", "rule", "evidence"]
    rows, seen = [], set()
    for name, scores in model_scores:
        for r in rules[["segment_id", "code", "rule", "evidence"]].itertuples(index=False):
            if (r.segment_id, r.code) in seen or r.code not in scores.columns or r.segment_id not in scores.index:
                continue
            seen.add((r.segment_id, r.code))
            p = float(scores.at[r.segment_id, r.code])
            if p < DOUBT_BELOW:
                rows.append({"segment_id": r.segment_id, "code": r.code, "probability": round(p, 6), "source": name,
                             "rule": r.rule, "evidence": r.evidence})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["probability", "segment_id", "code"], kind="stable").reset_index(drop=True)


def by_coder(segments: pd.DataFrame, per_coder: dict, gold: pd.DataFrame, codes: list[str],
             thresholds: dict[str, float]) -> pd.DataFrame:
    """Each coder alone against each gold coder, by the same agreement code as the pipeline's
    codings: the rules, a trained coder out of fold (its threshold applied), a coder that does
    not train on its scores."""
    from pipeline.interviews.agreement import evaluate
    from pipeline.interviews.coders import above

    pairs, how = {}, {}
    for name, got in per_coder.items():
        if name == "rules":
            pairs[name], how[name] = got[["segment_id", "code"]], "rules"
            continue
        kind, scores = got
        if scores is None or scores.empty:
            continue
        pairs[name] = above(scores, thresholds[name])[["segment_id", "code"]]
        how[name] = "out of fold (5 folds grouped by document)" if kind == "oof" else "scores"
    _, overall = evaluate(segments, None, gold, codes, candidates=pairs, between_coders=False)
    out = overall.assign(coder=overall["candidate"], how=overall["candidate"].map(how)).drop(columns="candidate")
    return out[["coder", "how"] + [c for c in out.columns if c not in ("coder", "how")]].reset_index(drop=True)


def summary(log: dict) -> str:
    """One line for the terminal."""
    return (f"code: {log['codings']} codings on {log['coded_segments']} of {log['segments']} segments; "
            f"{log['codes_used']} of {log['codes_in_codebook']} codes used")
