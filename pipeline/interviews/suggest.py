"""A supervised code suggester trained on human coding: TF-IDF over character 1–3-grams and one
logistic regression per code, scored by cross-validation grouped by document (at most
``N_FOLDS`` folds: every sentence of a document is predicted by a model that never saw that
document; leave-one-document-out when there are fewer documents than folds).

It does not replace the rules: it proposes sentences a human coder may have coded but the
codebook's rules missed (``coding/suggestions.csv``), and its cross-validated scores
(``coding/suggester_cv.csv``) say how far to trust it. Character n-grams need no segmentation
and are robust to the paraphrases the keyword lists miss; with a few hundred coded sentences the
scores are noisy, which is why they are reported per code with the number of positives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MIN_POSITIVES = 4
N_FOLDS = 5


def _vectoriser():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, dtype=np.float64)


def _classifier(seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(class_weight="balanced", C=4.0, max_iter=2000, solver="liblinear", random_state=seed)


class Suggester:
    """The suggester as a coder (:mod:`pipeline.interviews.coders`): one TF-IDF vocabulary per
    fit, shared by every code, and one logistic regression per code with a positive example."""

    name = "suggester"

    def __init__(self, codebook=None, seed: int = 0) -> None:
        self.seed = seed
        self._vec = None
        self._models: dict = {}

    def fit(self, texts: list[str], labels: pd.DataFrame) -> None:
        """One vocabulary over all ``texts``; per code, a model on the texts whose label is known
        (NA: not judged for that code) when they hold both a positive and a negative."""
        self._vec = _vectoriser()
        x = self._vec.fit_transform(texts)
        self._models = {}
        for c in labels.columns:
            known = labels[c].notna().to_numpy()
            y = labels[c][known].astype(bool).to_numpy()
            if 0 < y.sum() < len(y):
                self._models[c] = _classifier(self.seed).fit(x[known] if not known.all() else x, y)

    def predict(self, texts: list[str]) -> pd.DataFrame:
        if not self._models or not len(texts):
            return pd.DataFrame(index=range(len(texts)), columns=list(self._models), dtype=float)
        x = self._vec.transform(texts)
        return pd.DataFrame({c: m.predict_proba(x)[:, 1] for c, m in self._models.items()})


class ExamplesCoder:
    """The suggester trained once on the codebook's coded example passages (``examples:`` in the
    codebook; the default codebook ships 920, written and coded from its definitions by coders
    who never saw the rules). It does not train on the study's gold, so its agreement with the
    gold is measured on its predictions. Evidence: the character n-grams that weigh most for the
    code in the sentence."""

    name = "examples"

    def __init__(self, codebook, seed: int = 0, files: list[str] | None = None) -> None:
        from pipeline.core.errors import InputError
        from pipeline.core.tables import read_frame
        from pipeline.core.textnorm import normalise_text

        paths = [Path(f) for f in files] if files else codebook.example_paths()
        if not paths:
            raise InputError("the codebook names no example passages (examples:) for the 'examples' coder",
                             key="interviews.coders")
        texts, rows = [], []
        for path in paths:
            df = read_frame(path)
            for col in ("text", "codes"):
                if col not in df.columns:
                    raise InputError(f"example passages need the columns text and codes; missing {col}", file=path)
            for i, (t, cs) in enumerate(zip(df["text"], df["codes"])):
                codes = str(cs).split() if isinstance(cs, str) else []
                bad = [c for c in codes if c not in codebook.codes]
                if bad:
                    raise InputError("code is not in the codebook", file=path, row=i + 2, column="codes", value=bad[0])
                texts.append(normalise_text(str(t)))
                rows.append(set(codes))
        labels = pd.DataFrame({c: [c in r for r in rows] for c in codebook.codes})
        keep = [c for c in labels.columns if labels[c].sum() >= MIN_POSITIVES]
        self.examples = len(texts)
        self._model = Suggester(seed=seed)
        self._model.fit(texts, labels[keep])
        self._names = None

    def predict(self, texts: list[str]) -> pd.DataFrame:
        return self._model.predict(list(texts))

    def evidence(self, text: str, code: str) -> str:
        """The (at most three) n-grams of two or more characters that raise the code's score most."""
        p = float(self._model._models[code].predict_proba(self._model._vec.transform([text]))[0, 1])
        return self.explain([text], [code], [p])[0]

    def explain(self, texts: list[str], codes: list[str], scores: list[float]) -> list[str]:
        """:meth:`evidence` of many codings at once (one transform of all their texts)."""
        if self._names is None:
            self._names = self._model._vec.get_feature_names_out()
        x = self._model._vec.transform(list(texts)).tocsr()
        out = []
        for i, (code, p) in enumerate(zip(codes, scores)):
            row = x[i].tocoo()
            weight = row.data * self._model._models[code].coef_[0][row.col]
            order = np.argsort(-weight, kind="stable")
            top = [self._names[row.col[j]] for j in order
                   if weight[j] > 0 and len(self._names[row.col[j]].strip()) >= 2][:3]
            out.append(f"examples {p:.2f}: " + "".join(f"「{t}」" for t in top))
        return out


def _folds(docs: np.ndarray) -> list[np.ndarray]:
    """Test masks of the grouped folds (see :func:`pipeline.interviews.coders.grouped_folds`)."""
    from pipeline.interviews.coders import grouped_folds

    return grouped_folds(docs, N_FOLDS)


def train_and_suggest(segments: pd.DataFrame, units: pd.DataFrame, labels: pd.DataFrame, codings: pd.DataFrame,
                      codes: list[str], seed: int = 0, threshold: float = 0.3,
                      max_suggestions: int = 300, coder=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validated scores per code and suggestions for the sentences outside the training set.

    Parameters
    ----------
    segments : DataFrame
        All segments (segment_id, document, informant, role, is_interviewer, start, end, text).
    units : DataFrame
        The training sentences (segment_id, document) — informant sentences of gold documents.
    labels : DataFrame
        (segment_id, code) pairs of the human coding on those sentences.
    codings : DataFrame
        The codings made so far; a suggestion is only made where nobody coded it.
    coder : Plugged, optional
        The coder to train (default: :class:`Suggester`); any coder with ``fit`` is scored the
        same way.
    """
    from pipeline.interviews.coders import Plugged

    coder = coder or Plugged("suggester", "suggest", threshold, Suggester, {}, "suggester")
    text = segments.set_index("segment_id")["text"]
    train = units.assign(text=units["segment_id"].map(text)).reset_index(drop=True)
    ys = pd.DataFrame({code: train["segment_id"].isin(set(labels.loc[labels["code"] == code, "segment_id"])).to_numpy()
                       for code in codes}, index=range(len(train)), columns=list(codes), dtype=bool)
    scores, _, _, cv = fit_and_score(coder, None, seed, segments, train, ys, codes, threshold)
    fitted = [c for c in codes if c in scores.columns]
    return cv, suggestion_table(scores, segments, train["segment_id"], codings, fitted, threshold, max_suggestions)


def fit_and_score(coder, codebook, seed: int, segments: pd.DataFrame, train: pd.DataFrame, labels: pd.DataFrame,
                  codes: list[str], threshold: float):
    """A coder that trains (a :class:`~pipeline.interviews.coders.Plugged`), fitted on the
    sentences ``train`` (segment_id, document, text) with ``labels`` (True/False, or NA where a
    code was not judged; a column per code). Codes with fewer than ``MIN_POSITIVES`` positives,
    or a single document, are not modelled. Returns (scores, out_of_fold, fitted coder, the
    :func:`coder_cv` table); scores are out of fold on ``train`` and from a model fitted on all of
    it elsewhere."""
    from pipeline.interviews.coders import run_coder

    known = labels.fillna(False).astype(bool)
    fitted = [c for c in codes if known[c].sum() >= MIN_POSITIVES] if train["document"].nunique() >= 2 else []
    scores, oof, model = (run_coder(coder, codebook, seed, segments, train, labels[fitted].copy(), codes=fitted)
                          if fitted else (pd.DataFrame(), None, None))
    return scores, oof, model, coder_cv(oof, labels, train, codes, threshold)


def coder_cv(oof: pd.DataFrame | None, labels: pd.DataFrame, train: pd.DataFrame, codes: list[str],
             threshold: float) -> pd.DataFrame:
    """Per code: training sentences, positives, documents and the out-of-fold precision, recall
    and F1 at ``threshold`` (on the sentences whose label is known; codes with fewer than
    ``MIN_POSITIVES`` positives or one document are not scored)."""
    n_docs = int(train["document"].nunique())
    rows = []
    for code in codes:
        known = labels[code].notna().to_numpy()
        y = labels[code].fillna(False).astype(bool).to_numpy()
        pos = int(y.sum())
        row = {"code": code, "training_sentences": int(known.sum()), "positives": pos, "documents": n_docs}
        if oof is None or code not in oof.columns:
            rows.append({**row, "precision": np.nan, "recall": np.nan, "f1": np.nan,
                         "note": f"fewer than {MIN_POSITIVES} positives or one document"})
            continue
        pred = oof[code].to_numpy() >= threshold
        pred, y = pred[known], y[known]
        tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
        rows.append({**row, "precision": tp / (tp + fp) if tp + fp else np.nan,
                     "recall": tp / (tp + fn) if tp + fn else np.nan,
                     "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan,
                     "note": f"{min(N_FOLDS, n_docs)}-fold cross-validation grouped by document"})
    return pd.DataFrame(rows)


def suggestion_table(scores: pd.DataFrame, segments: pd.DataFrame, trained_on, codings: pd.DataFrame,
                     codes: list[str], threshold: float, max_suggestions: int = 300,
                     source: str | None = None) -> pd.DataFrame:
    """Scores at or above ``threshold`` on sentences outside the training set that nobody coded
    with that code, most probable first (at most ``max_suggestions``)."""
    from pipeline.interviews.coders import above

    cols = ["segment_id", "informant", "role", "code", "probability", "text"] + (["source"] if source else [])
    if scores is None or scores.empty or not codes:
        return pd.DataFrame(columns=cols)
    rest = scores[~scores.index.isin(set(trained_on))]
    if rest.empty:
        return pd.DataFrame(columns=cols)
    hits = above(rest.reindex(columns=[c for c in codes if c in rest.columns]), threshold)
    ruled = set(map(tuple, codings[["segment_id", "code"]].to_numpy()))
    hits = hits[np.array([(s, c) not in ruled for s, c in zip(hits["segment_id"], hits["code"])], dtype=bool)]
    seg = segments.set_index("segment_id")
    sug = pd.DataFrame({"segment_id": hits["segment_id"].to_numpy(),
                        "informant": seg.loc[hits["segment_id"], "informant"].to_numpy(),
                        "role": seg.loc[hits["segment_id"], "role"].to_numpy(), "code": hits["code"].to_numpy(),
                        "probability": hits["score"].round(6).to_numpy(),
                        "text": seg.loc[hits["segment_id"], "text"].to_numpy()})
    if source:
        sug["source"] = source
    sug = sug.sort_values(["probability", "segment_id", "code"], ascending=[False, True, True], kind="stable")
    return sug.head(max_suggestions).reset_index(drop=True)[cols]
