"""Topic models of the interviews (NMF and LDA), their coherence, and keywords by role.

Input: ``interviews/segments.parquet``; the interviewer's segments are left out. Options are the
``topics:`` keys of the study file (defaults in brackets; see docs/study.md).

**Terms.** The ``tokens`` column (jieba; stop words and punctuation already removed) is filtered
once more: tokens of one character (像, 钱, 补: ambiguous out of context) and numbers (digits with
``. , % + -``) are dropped, and so are the study's ``stop_words`` ([]) and, with
``drop_community_names`` (true), every token that is part of a community's name in the
``community`` column (铁路 and 新村 of 铁路新村, 小区 of 和平街小区): otherwise the model finds
*where* informants live (a 纺织厂·宿舍 topic) rather than what they talk about.

**Units.** A segment is one sentence of about seven content tokens: too short for a topic model
(few co-occurrences; a sentence often carries one content word). On the demo, single sentences
give topics whose top terms rarely meet (NPMI about −0.3 at the chosen k for both models,
against +0.09 for NMF on the units below; NPMI over different units is only roughly comparable,
but the topics read worse too). A whole answer (a turn) keeps to the question's subject, but
turns run from one sentence to thirty. So a unit is
a run of *consecutive segments of one turn of one informant*, merged in order until it holds at
least ``unit_tokens`` (20, about three sentences) terms; a shorter remainder at the end of the
turn joins the unit before it. A unit never crosses a turn, so it never mixes two answers, and a
long monologue is cut into several units. ``unit_tokens: 0`` models single segments. A unit is
named by its first segment's id and keeps all its ``segment_ids``; units without a vocabulary
term are left out.

**Vocabulary.** Terms in at least ``min_df`` (3) units and at most ``max_df`` (0.25) of them,
counted by scikit-learn's ``CountVectorizer`` on the term lists (no re-tokenising). The upper
limit removes words that are in every other answer (in the demo 改造, in 30 % of the units); with
0.5, 改造 is among the top terms of half the NMF topics and of every LDA topic.

**Models.** For every k from ``k_min`` to ``k_max`` (4..12; only k < min(units, terms)):

* NMF on TF-IDF (smooth idf, l2-normalised rows), ``init="nndsvda"``, Frobenius loss, coordinate
  descent (``max_iter=1000``, ``tol=1e-5``; a fit that stops at ``max_iter`` is listed in the
  log's ``not_converged``);
* LDA (scikit-learn ``LatentDirichletAllocation``) on counts, ``learning_method="batch"``,
  priors 1/k (scikit-learn's defaults), ``lda_max_iter`` (10, scikit-learn's default) EM passes.
  Its E-step is a Python loop over units, about 40 ms a pass on the demo, so LDA is most of the
  stage's time. Raise it for a final run on a large study: on the demo 40 passes choose k = 4
  (NPMI −0.071) instead of 6 (−0.089), which shows how flat LDA's coherence curve is there;

both with the study's ``seed`` as ``random_state`` and BLAS limited to one thread. Topic-term
weights are the rows of the components normalised to sum 1. A unit's topic proportions are its
row of W (NMF) or of the document-topic distribution (LDA), normalised to sum 1 (equal shares for
an all-zero row of W). Topics are numbered from 1 by decreasing overall share (mean proportion
over units) and labelled by their three top terms joined with "·".

**Coherence (NPMI).** For a topic's top ``top_n`` (10) terms, over the same units:
``p(w) = D(w)/N`` and ``p(w_i, w_j) = D(w_i, w_j)/N``, where D counts the units containing the
term(s) and N is the number of units (document co-occurrence: the unit is the window). For each
unordered pair of top terms

    NPMI(w_i, w_j) = log((p(w_i, w_j) + ε) / (p(w_i) p(w_j))) / −log(p(w_i, w_j) + ε),  ε = 1e-12

as gensim's ``c_npmi`` computes it (Röder et al. 2015, "one-one" segmentation; gensim's default
window is a boolean sliding window of 10 tokens, here it is the unit), except that a pair that
never co-occurs gets exactly −1 (gensim's ε gives −1 plus a little) and a pair in every unit
gets 1. A topic's coherence is the mean over its pairs; a model's is the mean over its topics. For
each model the k with the highest coherence (rounded to 6 decimals; the smaller k on a tie) is
chosen; only the chosen k is written to the topic tables.

**Representative units** (``topic_segments.csv``): per topic the units with the highest
proportion of it, at most one per informant; units with at least 5 vocabulary terms come first
(otherwise a one-word remark such as "白天一般在院子里" scores 1.0), then more terms first.

**Shares by role**: the mean topic proportion over the role's units (sums to 1 per role and model).

**Keywords by role** (all informant segments, filtered terms, no document-frequency limits):

* ``tfidf``: each role's terms as one document against the other roles' (scikit-learn
  ``TfidfVectorizer``: raw counts × smooth idf ``ln((1+R)/(1+df))+1`` over the R roles, l2 norm);
* ``textrank``: an undirected graph of the role's terms whose edge weight is the number of times
  two different terms occur within a window of 5 consecutive terms of one segment (edges do not
  cross segments); PageRank with damping 0.85 on weights normalised by each term's weighted degree
  (a term without edges spreads its score evenly), iterated from the uniform vector until the L1
  change is below 1e-12; scores sum to 1.

Scores, weights and shares are rounded to 6 decimals; ties are broken by term (Unicode order) or
unit id, so two runs give byte-identical tables.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from pipeline.core.errors import CannotCompute

MODELS = ("nmf", "lda")
ROUND = 6
EPS = 1e-12
QUOTE_MIN_TERMS = 5  # representative units: those with this many vocabulary terms first
_NUMBER = re.compile(r"^[\d.,%+\-]+$")


# ---- tokens and units -----------------------------------------------------------------------

def keep_token(token: str, stop: frozenset[str] = frozenset()) -> bool:
    """A token worth counting: two characters or more, not a number, not a stop word."""
    t = unicodedata.normalize("NFKC", token).strip()
    return len(t) >= 2 and not _NUMBER.match(t) and t not in stop


def filter_tokens(tokens, stop: frozenset[str] = frozenset()) -> list[str]:
    return [t for t in tokens if keep_token(t, stop)]


def place_words(segments: pd.DataFrame) -> frozenset[str]:
    """Tokens that are part of a community's name (铁路 and 新村 of 铁路新村, 小区 of 和平街小区)."""
    names = [unicodedata.normalize("NFKC", str(c)) for c in segments["community"].dropna().unique()]
    tokens = {unicodedata.normalize("NFKC", t).strip() for ts in segments["tokens"] for t in ts}
    return frozenset(t for t in tokens if len(t) >= 2 and any(t in n for n in names))


def informant_segments(segments: pd.DataFrame, stop: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The informants' segments in document order with a ``terms`` column (filtered tokens)."""
    seg = segments[~segments["is_interviewer"].astype(bool)]
    seg = seg.sort_values(["document", "start", "segment_id"], kind="stable").reset_index(drop=True)
    return seg.assign(terms=[filter_tokens(t, stop) for t in seg["tokens"]])


def make_units(seg: pd.DataFrame, unit_tokens: int = 20) -> pd.DataFrame:
    """Merge consecutive segments of one turn (same document, informant and turn) until a unit has
    ``unit_tokens`` terms; a short remainder joins the unit before it. ``seg`` comes from
    :func:`informant_segments`. Columns: unit (its first segment's id), segment_ids, document,
    informant, role, turn, text, terms."""
    rows = []
    for (doc, informant, turn), g in seg.groupby(["document", "informant", "turn"], sort=True):
        units: list[list] = []
        current: list = []
        n = 0
        for s in g.itertuples(index=False):
            current.append(s)
            n += len(s.terms)
            if n >= unit_tokens:
                units.append(current)
                current, n = [], 0
        if current:
            if units and n < unit_tokens:
                units[-1].extend(current)
            else:
                units.append(current)
        for u in units:
            rows.append({"unit": u[0].segment_id, "segment_ids": " ".join(s.segment_id for s in u),
                         "document": doc, "informant": informant, "role": u[0].role, "turn": int(turn),
                         "text": "".join(s.text for s in u), "terms": [t for s in u for t in s.terms]})
    cols = ["unit", "segment_ids", "document", "informant", "role", "turn", "text", "terms"]
    return pd.DataFrame(rows, columns=cols)


def _identity(tokens):
    return tokens


def vectorise(units: pd.DataFrame, min_df: int | float = 3, max_df: int | float = 0.5):
    """(counts (units × terms, CSR), terms) for the units' term lists; terms in sorted order."""
    from sklearn.feature_extraction.text import CountVectorizer

    cv = CountVectorizer(analyzer=_identity, min_df=min_df, max_df=max_df)
    x = cv.fit_transform(units["terms"].tolist())
    return x.tocsr(), cv.get_feature_names_out()


# ---- coherence ------------------------------------------------------------------------------

def npmi_matrix(binary, terms_idx) -> np.ndarray:
    """NPMI between the given columns of a units × terms 0/1 matrix (see the module docstring);
    the diagonal is set to 1."""
    b = sparse.csc_matrix(binary, dtype=np.float64)[:, np.asarray(terms_idx)]
    b.data[:] = 1.0
    n = b.shape[0]
    co = (b.T @ b).toarray()
    p = np.diag(co) / n
    pj = co / n
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.log((pj + EPS) / np.outer(p, p)) / -np.log(pj + EPS)
    npmi[co == 0] = -1.0
    npmi[co == n] = 1.0
    np.fill_diagonal(npmi, 1.0)
    return npmi


def topic_npmi(binary, top_idx) -> np.ndarray:
    """Mean pairwise NPMI of each topic's top terms (one row of ``top_idx`` per topic)."""
    out = []
    for idx in np.atleast_2d(top_idx):
        m = npmi_matrix(binary, idx)
        iu = np.triu_indices(len(idx), k=1)
        out.append(float(m[iu].mean()) if len(iu[0]) else 0.0)
    return np.array(out)


# ---- models ---------------------------------------------------------------------------------

@dataclass
class Fit:
    model: str
    k: int
    term_weights: np.ndarray  # k × V, rows sum to 1
    theta: np.ndarray         # units × k, rows sum to 1
    npmi: np.ndarray          # per topic
    converged: bool = True    # False when scikit-learn warned that the solver did not converge

    @property
    def coherence(self) -> float:
        return float(self.npmi.mean())


def _rows_to_shares(m: np.ndarray) -> np.ndarray:
    m = np.clip(np.asarray(m, dtype=np.float64), 0, None)
    s = m.sum(axis=1, keepdims=True)
    out = np.divide(m, s, out=np.full_like(m, 1.0 / m.shape[1]), where=s > 0)
    return out


def fit_model(model: str, counts, k: int, seed: int, top_n: int = 10, binary=None, lda_max_iter: int = 10) -> Fit:
    """Fit NMF (on TF-IDF) or LDA (on counts) with k topics; topics in decreasing overall share."""
    import warnings

    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfTransformer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if model == "nmf":
            x = TfidfTransformer().fit_transform(counts)
            m = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=1000, tol=1e-5)
            w = m.fit_transform(x)
            comp = m.components_
        elif model == "lda":
            m = LatentDirichletAllocation(n_components=k, learning_method="batch", random_state=seed,
                                          max_iter=lda_max_iter, evaluate_every=-1, n_jobs=1)
            w = m.fit_transform(counts)
            comp = m.components_
        else:
            raise ValueError(f"unknown model {model!r}")
    theta = _rows_to_shares(w)
    tw = _rows_to_shares(comp)
    order = np.lexsort((np.arange(k), -np.round(theta.mean(axis=0), ROUND)))
    theta, tw = theta[:, order], tw[order]
    binary = counts if binary is None else binary
    converged = not any(issubclass(c.category, ConvergenceWarning) for c in caught)
    for c in caught:  # non-convergence is logged; anything else is passed on
        if not issubclass(c.category, ConvergenceWarning):
            warnings.warn_explicit(c.message, c.category, c.filename, c.lineno)
    return Fit(model, k, tw, theta, topic_npmi(binary, top_terms(tw, top_n)), converged)


def top_terms(term_weights: np.ndarray, top_n: int) -> np.ndarray:
    """Indices of each topic's top terms: by weight (rounded), then by term index."""
    r = np.round(term_weights, ROUND + 2)
    idx = np.arange(term_weights.shape[1])
    return np.array([np.lexsort((idx, -row))[:top_n] for row in r])


def choose(fits: list[Fit]) -> Fit:
    """The fit with the highest coherence (rounded); the smaller k on a tie."""
    return sorted(fits, key=lambda f: (-round(f.coherence, ROUND), f.k))[0]


# ---- keywords by role -----------------------------------------------------------------------

def textrank(token_lists, window: int = 5, damping: float = 0.85, tol: float = 1e-12,
             max_iter: int = 10_000) -> pd.Series:
    """TextRank scores (sum 1) of the terms of ``token_lists`` (each list one segment), sorted by
    decreasing score then term. Two different terms within ``window`` consecutive tokens of a list
    are linked; the edge weight counts such co-occurrences."""
    vocab = sorted({t for ts in token_lists for t in ts})
    if not vocab:
        return pd.Series(dtype=float)
    pos = {t: i for i, t in enumerate(vocab)}
    rows, cols = [], []
    for ts in token_lists:
        ids = [pos[t] for t in ts]
        for i, a in enumerate(ids):
            for b in ids[i + 1:i + window]:
                if a != b:
                    rows += [a, b]
                    cols += [b, a]
    n = len(vocab)
    w = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    w.sum_duplicates()
    deg = np.asarray(w.sum(axis=1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros(n), where=deg > 0)
    pt = (sparse.diags(inv) @ w).T.tocsr()  # pt[i, j] = w[j, i] / deg[j]
    dangling = deg == 0
    s = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        new = (1 - damping) / n + damping * (pt @ s + s[dangling].sum() / n)
        done = np.abs(new - s).sum() < tol
        s = new
        if done:
            break
    s = s / s.sum()
    return _ranked(pd.Series(s, index=vocab))


def _ranked(scores: pd.Series) -> pd.Series:
    df = pd.DataFrame({"term": scores.index, "score": np.round(scores.to_numpy(dtype=float), ROUND)})
    df = df.sort_values(["score", "term"], ascending=[False, True], kind="stable")
    return pd.Series(df["score"].to_numpy(), index=df["term"].to_numpy())


def keywords_by_role(seg: pd.DataFrame, top: int = 20, window: int = 5, damping: float = 0.85) -> pd.DataFrame:
    """Top terms per role by TF-IDF (roles as documents) and by TextRank."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    roles = sorted(seg["role"].unique())
    docs = [[t for ts in seg.loc[seg["role"] == r, "terms"] for t in ts] for r in roles]
    tv = TfidfVectorizer(analyzer=_identity)
    x = tv.fit_transform(docs).toarray()
    vocab = tv.get_feature_names_out()
    rows = []
    for i, r in enumerate(roles):
        nz = x[i] > 0
        tf = _ranked(pd.Series(x[i][nz], index=vocab[nz])).head(top)
        rows += [{"role": r, "method": "tfidf", "rank": j + 1, "term": t, "score": s}
                 for j, (t, s) in enumerate(tf.items())]
        tr = textrank(seg.loc[seg["role"] == r, "terms"].tolist(), window=window, damping=damping).head(top)
        rows += [{"role": r, "method": "textrank", "rank": j + 1, "term": t, "score": s}
                 for j, (t, s) in enumerate(tr.items())]
    return pd.DataFrame(rows, columns=["role", "method", "rank", "term", "score"])


# ---- tables ---------------------------------------------------------------------------------

def label(terms: list[str]) -> str:
    return "·".join(terms[:3])


def analyse(segments: pd.DataFrame, *, seed: int, k_min: int = 4, k_max: int = 12, top_n: int = 10,
            min_df: int | float = 3, max_df: int | float = 0.25, unit_tokens: int = 20, stop_words=(),
            drop_community_names: bool = True, lda_max_iter: int = 10, quotes: int = 5,
            codings: pd.DataFrame | None = None) -> tuple[dict, dict]:
    """The whole analysis on a segments frame: (tables by name, log). Keyword arguments are the
    ``topics:`` keys of the study file (see docs/study.md); with the coding stage's ``codings``
    the topics are also related to the codebook's codes (``topic_codes``)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # tiny matrices: BLAS threads only cost synchronisation
        return _analyse(segments, seed=seed, k_range=range(k_min, k_max + 1), top_n=top_n, min_df=min_df,
                        max_df=max_df, unit_tokens=unit_tokens, stop_words=stop_words,
                        drop_community_names=drop_community_names, lda_max_iter=lda_max_iter, quotes=quotes,
                        codings=codings)


def topic_codes(units: pd.DataFrame, fits: dict, codings: pd.DataFrame) -> pd.DataFrame:
    """Inductive topics against deductive codes: for each model, topic and code, the units that
    contain a sentence coded with the code, their mean weight on the topic and the lift (that
    mean over the topic's share of all units; > 1: the code is over-represented in the topic)."""
    seg_unit = {sid: i for i, ids in enumerate(units["segment_ids"]) for sid in ids.split()}
    pairs = {(seg_unit[s], c) for s, c in zip(codings["segment_id"], codings["code"]) if s in seg_unit}
    by_code: dict[str, list[int]] = {}
    for u, c in sorted(pairs):
        by_code.setdefault(c, []).append(u)
    rows = []
    for m, f in fits.items():
        overall = f.theta.mean(axis=0)
        for c in sorted(by_code):
            idx = np.array(by_code[c])
            mean = f.theta[idx].mean(axis=0)
            rows += [{"model": m, "topic": t + 1, "code": c, "units": len(idx), "mean_weight": round(float(mean[t]), ROUND),
                      "lift": round(float(mean[t] / overall[t]), ROUND) if overall[t] > 0 else np.nan}
                     for t in range(f.k)]
    return pd.DataFrame(rows, columns=["model", "topic", "code", "units", "mean_weight", "lift"])


def _analyse(segments, *, seed, k_range, top_n, min_df, max_df, unit_tokens, stop_words, drop_community_names,
             lda_max_iter, quotes, codings=None):

    stop = frozenset(unicodedata.normalize("NFKC", w).strip() for w in stop_words)
    places = place_words(segments) if drop_community_names else frozenset()
    seg = informant_segments(segments, stop | places)
    units = make_units(seg, unit_tokens)
    try:
        counts, vocab = vectorise(units, min_df, max_df)
    except ValueError as e:  # no units, or no term left after min_df/max_df
        raise CannotCompute(f"too little text for a topic model ({len(units)} units): {e}") from None
    keep = np.asarray(counts.sum(axis=1)).ravel() > 0
    units, counts = units[keep].reset_index(drop=True), counts[keep]
    binary = (counts > 0).astype(np.float64)
    tried = [k for k in k_range if 2 <= k < min(counts.shape)]
    if not tried:
        raise CannotCompute(f"too little text for a topic model: {counts.shape[0]} units, {counts.shape[1]} terms, "
                            f"k from {min(k_range)} to {max(k_range)}")
    from pipeline.core.stage import progress

    fits = {m: [] for m in MODELS}
    for m, k in progress([(m, k) for m in MODELS for k in tried], "topic models"):
        fits[m].append(fit_model(m, counts, k, seed, top_n, binary, lda_max_iter))
    chosen = {m: choose(f) for m, f in fits.items()}

    coherence = pd.DataFrame([{"model": m, "k": f.k, "npmi": round(f.coherence, ROUND),
                               "chosen": f is chosen[m]} for m in MODELS for f in fits[m]])
    term_rows, topic_rows, quote_rows, share_rows = [], [], [], []
    roles = sorted(units["role"].unique())
    n_terms = np.asarray(counts.sum(axis=1)).ravel()
    for m in MODELS:
        f = chosen[m]
        top = top_terms(f.term_weights, top_n)
        share = f.theta.mean(axis=0)
        for t in range(f.k):
            words = [str(vocab[i]) for i in top[t]]
            topic_rows.append({"model": m, "topic": t + 1, "label": label(words), "share_overall": round(share[t], ROUND),
                               "npmi": round(float(f.npmi[t]), ROUND), "terms": " ".join(words)})
            term_rows += [{"model": m, "topic": t + 1, "rank": r + 1, "term": str(vocab[i]),
                           "weight": round(float(f.term_weights[t, i]), ROUND)} for r, i in enumerate(top[t])]
            q = units.assign(weight=np.round(f.theta[:, t], ROUND), _n=n_terms, _ok=n_terms >= QUOTE_MIN_TERMS)
            q = q.sort_values(["_ok", "weight", "_n", "unit"], ascending=[False, False, False, True], kind="stable")
            q = q.drop_duplicates("informant").head(quotes)
            quote_rows += [{"model": m, "topic": t + 1, "rank": r + 1, "segment_id": u.unit,
                            "segment_ids": u.segment_ids, "informant": u.informant, "role": u.role,
                            "weight": u.weight, "text": u.text} for r, u in enumerate(q.itertuples(index=False))]
        for r in roles:
            mask = (units["role"] == r).to_numpy()
            mean = f.theta[mask].mean(axis=0)
            share_rows += [{"model": m, "topic": t + 1, "role": r, "units": int(mask.sum()),
                            "share": round(float(mean[t]), ROUND)} for t in range(f.k)]
    tables = {
        "topics": pd.DataFrame(topic_rows),
        "coherence": coherence,
        "topic_terms": pd.DataFrame(term_rows),
        "topic_segments": pd.DataFrame(quote_rows),
        "topic_share_by_role": pd.DataFrame(share_rows),
        "keywords_by_role": keywords_by_role(seg),
    }
    if codings is not None and len(codings):
        tables["topic_codes"] = topic_codes(units, {m: chosen[m] for m in MODELS}, codings)
    log = {"segments": int(len(seg)), "units": int(len(units)), "unit_tokens": unit_tokens,
           "vocabulary": int(len(vocab)), "min_df": min_df, "max_df": max_df, "top_n": top_n,
           "k_tried": tried, "lda_max_iter": lda_max_iter, "seed": seed,
           "stop_words": sorted(stop), "community_words_dropped": sorted(places),
           "not_converged": [f"{m} k={f.k}" for m in MODELS for f in fits[m] if not f.converged],
           "chosen": {m: {"k": chosen[m].k, "npmi": round(chosen[m].coherence, ROUND)} for m in MODELS}}
    return tables, log


def run(study) -> dict:
    """The topics stage: interviews/segments.parquet → topics/."""
    from pipeline.core.errors import InputError
    from pipeline.core.stage import write_tables

    src = study.stage_dir("interviews") / "segments.parquet"
    if not src.exists():
        raise InputError(f"{study.display(src)} not found; run the interviews stage first", file=study.path)
    segments = pd.read_parquet(src)
    inputs = [src]
    cod_path = study.stage_dir("coding") / "codings.parquet"
    codings = pd.read_parquet(cod_path, columns=["segment_id", "code"]) if cod_path.exists() else None
    if codings is not None:
        inputs.append(cod_path)
    cfg = study.config.topics
    try:
        tables, log = analyse(segments, seed=study.config.seed, codings=codings, **cfg.model_dump())
    except InputError as e:
        e.file = str(study.path)
        raise
    except CannotCompute as e:  # a small study: the stage records why and the pipeline goes on
        tables = {"topics": pd.DataFrame(columns=["model", "topic", "label", "share", "top_terms"])}
        log = {"skipped": str(e), "units": 0, "segments": int((~segments["is_interviewer"]).sum()),
               "vocabulary": 0, "chosen": {}}
    with study.output("topics", "topics", inputs) as tmp:
        write_tables(tables, log, tmp, "topics_log.json")
    return log


def summary(log: dict) -> str:
    """One line for the terminal."""
    if log.get("skipped"):
        return f"topics: skipped — {log['skipped']}"
    chosen = "; ".join(f"{m.upper()} k={c['k']} (NPMI {c['npmi']:.3f})" for m, c in log["chosen"].items())
    return f"topics: {log['units']} units from {log['segments']} segments, {log['vocabulary']} terms; {chosen}"
