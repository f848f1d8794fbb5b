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

import numpy as np
import pandas as pd

MIN_POSITIVES = 4
N_FOLDS = 5


def _vectoriser():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, dtype=np.float64)


def _classifier(seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(class_weight="balanced", C=4.0, max_iter=2000, random_state=seed)


def _folds(docs: np.ndarray) -> list[np.ndarray]:
    """Test masks of the grouped folds: the sorted documents dealt round-robin into at most
    N_FOLDS folds (deterministic; the cost is N_FOLDS fits, whatever the number of documents)."""
    uniq = sorted(set(docs))
    k = min(N_FOLDS, len(uniq))
    fold_of = {d: i % k for i, d in enumerate(uniq)}
    f = np.array([fold_of[d] for d in docs])
    return [f == i for i in range(k)]


def train_and_suggest(segments: pd.DataFrame, units: pd.DataFrame, labels: pd.DataFrame, codings: pd.DataFrame,
                      codes: list[str], seed: int = 0, threshold: float = 0.3,
                      max_suggestions: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validated scores per code and suggestions for the sentences outside the training set.

    Parameters
    ----------
    segments : DataFrame
        All segments (segment_id, document, informant, role, is_interviewer, text).
    units : DataFrame
        The training sentences (segment_id, document) — informant sentences of gold documents.
    labels : DataFrame
        (segment_id, code) pairs of the human coding on those sentences.
    codings : DataFrame
        The rule-based codings; a suggestion is only made where the rules did not code it.
    """
    text = segments.set_index("segment_id")["text"]
    train = units.assign(text=units["segment_id"].map(text)).reset_index(drop=True)
    docs = train["document"].to_numpy()
    others = segments[~segments["is_interviewer"] & ~segments["document"].isin(set(docs))]
    ruled = set(map(tuple, codings[["segment_id", "code"]].to_numpy()))
    cv_rows, sug_rows = [], []
    ys = {code: train["segment_id"].isin(set(labels.loc[labels["code"] == code, "segment_id"])).to_numpy()
          for code in codes}
    n_docs = len(set(docs))
    fitted = [c for c in codes if ys[c].sum() >= MIN_POSITIVES and n_docs >= 2]
    preds = {c: np.zeros(len(train), dtype=bool) for c in fitted}
    if fitted:
        # one vocabulary per fold, shared by every code (the TF-IDF is fitted on the training part only)
        for test in _folds(docs):
            vec = _vectoriser()
            xtr = vec.fit_transform(train.loc[~test, "text"])
            xte = vec.transform(train.loc[test, "text"])
            for c in fitted:
                y = ys[c]
                if y[~test].sum() == 0:
                    continue
                preds[c][test] = _classifier(seed).fit(xtr, y[~test]).predict_proba(xte)[:, 1] >= threshold
        if len(others):
            vec = _vectoriser()
            xall = vec.fit_transform(train["text"])
            xoth = vec.transform(others["text"])
    for code in codes:
        y = ys[code]
        pos = int(y.sum())
        row = {"code": code, "training_sentences": len(y), "positives": pos, "documents": n_docs}
        if code not in preds:
            cv_rows.append({**row, "precision": np.nan, "recall": np.nan, "f1": np.nan,
                            "note": f"fewer than {MIN_POSITIVES} positives or one document"})
            continue
        pred = preds[code]
        tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
        cv_rows.append({**row, "precision": tp / (tp + fp) if tp + fp else np.nan,
                        "recall": tp / (tp + fn) if tp + fn else np.nan,
                        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan,
                        "note": f"{min(N_FOLDS, n_docs)}-fold cross-validation grouped by document"})
        if len(others):
            p = _classifier(seed).fit(xall, y).predict_proba(xoth)[:, 1]
            for r, prob in zip(others.itertuples(index=False), p):
                if prob >= threshold and (r.segment_id, code) not in ruled:
                    sug_rows.append({"segment_id": r.segment_id, "informant": r.informant, "role": r.role,
                                     "code": code, "probability": round(float(prob), 6), "text": r.text})
    cv = pd.DataFrame(cv_rows)
    cols = ["segment_id", "informant", "role", "code", "probability", "text"]
    sug = pd.DataFrame(sug_rows, columns=cols).sort_values(["probability", "segment_id", "code"],
                                                          ascending=[False, True, True], kind="stable")
    return cv, sug.head(max_suggestions).reset_index(drop=True)
