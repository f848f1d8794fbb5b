"""A supervised code suggester trained on human coding: TF-IDF over character 1–3-grams and one
logistic regression per code, scored by leave-one-document-out cross-validation.

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


def _model(seed: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
                         LogisticRegression(class_weight="balanced", C=4.0, max_iter=2000, random_state=seed))


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
    for code in codes:
        y = train["segment_id"].isin(set(labels.loc[labels["code"] == code, "segment_id"])).to_numpy()
        pos = int(y.sum())
        row = {"code": code, "training_sentences": len(y), "positives": pos, "documents": int(len(set(docs)))}
        if pos < MIN_POSITIVES or len(set(docs)) < 2:
            cv_rows.append({**row, "precision": np.nan, "recall": np.nan, "f1": np.nan,
                            "note": f"fewer than {MIN_POSITIVES} positives or one document"})
            continue
        pred = np.zeros(len(y), dtype=bool)
        for d in sorted(set(docs)):  # leave one document out
            test = docs == d
            if y[~test].sum() == 0:
                continue
            m = _model(seed).fit(train.loc[~test, "text"], y[~test])
            pred[test] = m.predict_proba(train.loc[test, "text"])[:, 1] >= threshold
        tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
        cv_rows.append({**row, "precision": tp / (tp + fp) if tp + fp else np.nan,
                        "recall": tp / (tp + fn) if tp + fn else np.nan,
                        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan, "note": ""})
        if len(others):
            m = _model(seed).fit(train["text"], y)
            p = m.predict_proba(others["text"])[:, 1]
            for r, prob in zip(others.itertuples(index=False), p):
                if prob >= threshold and (r.segment_id, code) not in ruled:
                    sug_rows.append({"segment_id": r.segment_id, "informant": r.informant, "role": r.role,
                                     "code": code, "probability": round(float(prob), 6), "text": r.text})
    cv = pd.DataFrame(cv_rows)
    cols = ["segment_id", "informant", "role", "code", "probability", "text"]
    sug = pd.DataFrame(sug_rows, columns=cols).sort_values(["probability", "segment_id", "code"],
                                                          ascending=[False, True, True], kind="stable")
    return cv, sug.head(max_suggestions).reset_index(drop=True)
