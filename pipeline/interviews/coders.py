"""Coders behind one interface: the codebook's rules, the supervised suggester and any model a
study brings (local embeddings, an LLM it hosts), combined with a documented precedence and
scored by the same agreement code (:mod:`pipeline.interviews.agreement`).

The plug-in contract (docs/coders.md) is small. A coder is made by a factory — a class or a
function — called as ``factory(codebook=..., seed=..., **options)``; the object it returns has

``name``
    a string (the study file's ``name`` is used when it has none);
``predict(texts) -> DataFrame``
    one row per text, in order; one column per code it scores (codebook ids), with scores in
    [0, 1] — probabilities, similarities or 0/1 votes;
``fit(texts, labels)`` (optional)
    ``labels`` is a boolean DataFrame (one row per text, one column per codebook code) of a
    human coding. A coder with ``fit`` is trained on the study's gold coding: its agreement is
    measured out of fold (5 folds grouped by document, as the suggester's), and the documents
    outside the gold are coded by a model fitted on all of it;
``evidence(text, code) -> str`` (optional)
    why it coded ``text`` with ``code``, kept with the coding (default: its name and score).

Precedence, from the strongest: a human decision imported by ``renewal review --import``
(accept adds the coding, reject removes it, whatever coded it) → the codebook's rules (every
coding carries the rule and the characters it matched) → the coders with ``use: code``, in the
order the study lists them, adding a (segment, code) nobody before them coded when their score
reaches ``threshold`` → the coders with ``use: suggest``, whose scores above ``threshold``
become suggestions for review (``coding/suggestions.csv``), never codings.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError

BUILT_IN = {"suggester": "pipeline.interviews.suggest:Suggester",          # name → factory
            "examples": "pipeline.interviews.suggest:ExamplesCoder"}


@dataclass
class Plugged:
    """One coder of the study, as the stage uses it."""
    name: str
    use: str                 # "code" or "suggest"
    threshold: float
    factory: object          # called as factory(codebook=..., seed=..., **options)
    options: dict
    key: str                 # where the study file names it (for messages)

    def make(self, codebook, seed: int):
        try:
            coder = self.factory(codebook=codebook, seed=seed, **self.options)
        except TypeError as e:
            raise InputError(f"the coder could not be made ({e})", key=self.key) from None
        if not callable(getattr(coder, "predict", None)):
            raise InputError("a coder needs a predict(texts) method returning one score column per code",
                             key=self.key, value=type(coder).__name__)
        return coder

    def trains(self, codebook, seed: int) -> bool:
        """Whether the coder learns from the study's human coding (has ``fit``)."""
        if isinstance(self.factory, type):
            return callable(getattr(self.factory, "fit", None))
        return callable(getattr(self.make(codebook, seed), "fit", None))


def load_factory(spec: str, base: Path, key: str):
    """``module:attr`` (an importable module) or ``path/to/file.py:attr`` (relative to the study)."""
    where, sep, attr = spec.rpartition(":")
    if not sep or not where or not attr:
        raise InputError("a plug-in is written 'file.py:Name' or 'package.module:Name'", key=key, value=spec)
    if where.endswith(".py"):
        path = (base / where).resolve()
        if not path.is_file():
            raise InputError("the plug-in file does not exist", file=path, key=key)
        name = f"_renewal_plugin_{abs(hash(str(path)))}"
        mod_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[name] = module
        try:
            mod_spec.loader.exec_module(module)
        except Exception as e:  # the user's code: say where it failed, in one line
            raise InputError(f"the plug-in failed to load ({type(e).__name__}: {e})", file=path, key=key) from None
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as e:
            raise InputError(f"the plug-in module cannot be imported ({e})", key=key, value=where) from None
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise InputError(f"'{attr}' is not defined (or not callable) in the plug-in", key=key, value=spec)
    return factory


def study_coders(study, codebook=None) -> list[Plugged]:
    """The coders the study lists under ``interviews.coders`` (default: ``examples`` when the
    codebook has example passages, then the suggester, for review)."""
    cfg = study.config.interviews
    explicit = "coders" in cfg.model_fields_set
    out = []
    for i, c in enumerate(cfg.coders):
        key = f"interviews.coders[{i}]"
        if c.name == "examples" and not c.plugin and not explicit and codebook is not None and not codebook.examples:
            continue   # the default list, and this codebook has no examples
        if c.plugin:
            factory = load_factory(c.plugin, study.path.parent, key + ".plugin")
        elif c.name in BUILT_IN:
            factory = load_factory(BUILT_IN[c.name], study.path.parent, key + ".name")
        else:
            raise InputError(f"'{c.name}' is not a built-in coder ({', '.join(BUILT_IN)}); a coder of your own "
                             "needs plugin: file.py:Name", key=key + ".name", value=c.name)
        out.append(Plugged(c.name, c.use, c.threshold, factory, dict(c.options), key))
    return out


def scores_frame(raw, n: int, codes: Sequence[str], key: str) -> pd.DataFrame:
    """A coder's predictions checked: n rows, known code columns, numbers in [0, 1]."""
    if not isinstance(raw, pd.DataFrame):
        raw = pd.DataFrame(raw)
    if len(raw) != n:
        raise InputError(f"predict returned {len(raw)} rows for {n} texts", key=key)
    unknown = [c for c in raw.columns if c not in codes]
    if unknown:
        raise InputError("predict returned a column that is not a code of the codebook", key=key,
                         value=unknown[0])
    vals = raw.apply(pd.to_numeric, errors="coerce").astype(float).fillna(0.0)
    bad = (vals < 0) | (vals > 1)
    if bad.to_numpy().any():
        col = vals.columns[bad.any().to_numpy()][0]
        raise InputError("scores must lie in [0, 1]", key=key, column=str(col),
                         value=float(vals[col][bad[col]].iloc[0]))
    return vals.reset_index(drop=True)[[c for c in codes if c in vals.columns]]


def grouped_folds(docs: np.ndarray, n_folds: int = 5) -> list[np.ndarray]:
    """Test masks of folds grouped by document: the sorted documents dealt round-robin into at
    most ``n_folds`` folds (deterministic)."""
    uniq = sorted(set(docs))
    k = min(n_folds, len(uniq))
    fold_of = {d: i % k for i, d in enumerate(uniq)}
    f = np.array([fold_of[d] for d in docs])
    return [f == i for i in range(k)]


def run_coder(p: Plugged, codebook, seed: int, segments: pd.DataFrame, train: pd.DataFrame | None,
              labels: pd.DataFrame | None, codes: Sequence[str] | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame | None, object]:
    """Scores of one coder on every informant segment, and (for a coder that trains) its
    out-of-fold scores on the training segments.

    ``train`` holds the training segments (segment_id, document, text) and ``labels`` their
    human coding as booleans (a column per code). Returns (scores, out_of_fold, coder): scores
    indexed by segment_id — out-of-fold on the training segments, from a model fitted on all of
    them elsewhere; ``out_of_fold`` is None for a coder that does not train. ``codes`` limits
    the codes scored (default: the codebook's).
    """
    codes = list(codes if codes is not None else codebook.codes)
    speaking = segments[~segments["is_interviewer"]]
    coder = p.make(codebook, seed)
    if not callable(getattr(coder, "fit", None)):
        s = scores_frame(coder.predict(speaking["text"].tolist()), len(speaking), codes, p.key)
        return s.set_index(speaking["segment_id"].to_numpy()), None, coder
    if train is None or train.empty:
        return pd.DataFrame(index=pd.Index([], name="segment_id")), None, None
    docs = train["document"].to_numpy()
    oof = pd.DataFrame(0.0, index=range(len(train)), columns=codes)
    if len(set(docs)) >= 2:
        for test in grouped_folds(docs):
            m = p.make(codebook, seed)
            m.fit(train.loc[~test, "text"].tolist(), labels.loc[~test].reset_index(drop=True))
            got = scores_frame(m.predict(train.loc[test, "text"].tolist()), int(test.sum()), codes, p.key)
            oof.loc[np.flatnonzero(test), got.columns] = got.to_numpy()
    oof.index = train["segment_id"].to_numpy()
    rest = speaking[~speaking["segment_id"].isin(set(train["segment_id"]))]
    if rest.empty:  # nothing outside the training set: no final model
        return oof, oof, None
    coder.fit(train["text"].tolist(), labels.reset_index(drop=True))
    s = scores_frame(coder.predict(rest["text"].tolist()), len(rest), codes, p.key)
    s.index = rest["segment_id"].to_numpy()
    return pd.concat([oof, s.reindex(columns=oof.columns, fill_value=0.0)]), oof, coder


def above(scores: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """(segment_id, code, score) of the scores at or above ``threshold``, sorted."""
    if scores.empty:
        return pd.DataFrame(columns=["segment_id", "code", "score"])
    long = scores.rename_axis("segment_id").reset_index().melt("segment_id", var_name="code", value_name="score")
    long = long[long["score"] >= threshold]
    return long.sort_values(["segment_id", "code"], kind="stable").reset_index(drop=True)


def model_codings(hits: pd.DataFrame, segments: pd.DataFrame, coder, name: str) -> pd.DataFrame:
    """Codings of a model in the shape of the rules' (the whole segment is the span; the evidence
    is the model's own explanation or its name and score)."""
    seg = segments.set_index("segment_id")
    explain = getattr(coder, "evidence", None)
    if callable(getattr(coder, "explain", None)) and len(hits):   # a batch explanation, when the coder has one
        whys = list(coder.explain(seg.loc[hits["segment_id"], "text"].tolist(), hits["code"].tolist(),
                                  hits["score"].tolist()))
    else:
        whys = [str(explain(seg.at[sid, "text"], code)) if callable(explain) else ""
                for sid, code in zip(hits["segment_id"], hits["code"])]
    rows = []
    for (sid, code, score), why in zip(hits[["segment_id", "code", "score"]].itertuples(index=False), whys):
        s = seg.loc[sid]
        rows.append({"segment_id": sid, "document": s["document"], "informant": s["informant"], "role": s["role"],
                     "code": code, "start": int(s["start"]), "end": int(s["end"]), "match_start": int(s["start"]),
                     "match_end": int(s["end"]), "rule": f"model:{name}",
                     "evidence": why or f"{name} {score:.2f}", "n_matches": 0, "coder": name})
    return pd.DataFrame(rows)
