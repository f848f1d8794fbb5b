"""Agreement between codings: the pipeline against a human gold coding, and human against human.

Both sides are brought to the same units, the informant **segments** (sentences) of the
documents the reference coder coded: a coded span marks a segment with its code when it
covers at least half of the segment or at least half of the span lies in it (so a span that
spills one character into the next sentence does not code that sentence too; a span across
two sentences codes both). Interviewer segments are not units (the pipeline never codes
them); spans that fall only on interviewer turns are counted and reported.

Per code, the 2×2 table over units gives precision, recall, F1 (reference = gold) and Cohen's
kappa. Kappa corrects for chance, so the many segments neither coder coded do not inflate it
the way raw percentage agreement would; F1 ignores joint negatives altogether. Overall,
Krippendorff's alpha is computed on the *set* of codes per unit with the MASI distance
(Passonneau 2006) over the units at least one coder coded — uncoded text is left out —
and, for comparison, over all units.

References: Cohen (1960); Krippendorff (2011) *Computing Krippendorff's alpha-reliability*;
Passonneau (2006) *Measuring agreement on set-valued items (MASI)*.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError

SPAN_COLUMNS = ["document", "start", "end", "code"]


# ---- coefficients ------------------------------------------------------------------------------

def cohen_kappa(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> float:
    """Cohen's kappa of two equally long label sequences (any hashable labels).

    NaN when chance agreement is 1 (both coders used one and the same label throughout).

    >>> round(cohen_kappa([1, 1, 0, 0, 1], [1, 0, 0, 0, 1]), 4)
    0.6154
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("a and b must be 1-D and equally long")
    n = len(a)
    if n == 0:
        return math.nan
    labels = np.union1d(a, b)
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == v) * np.mean(b == v) for v in labels))
    return math.nan if pe >= 1 else (po - pe) / (1 - pe)


def masi_distance(x: frozenset, y: frozenset) -> float:
    """MASI distance between two label sets: 1 − Jaccard × monotonicity (1, 2/3, 1/3, 0)."""
    if x == y:
        return 0.0
    inter, union = len(x & y), len(x | y)
    if inter == 0:
        return 1.0
    m = 2 / 3 if (x <= y or y <= x) else 1 / 3
    return 1 - (inter / union) * m


def nominal_distance(x: Hashable, y: Hashable) -> float:
    return 0.0 if x == y else 1.0


def interval_distance(x: float, y: float) -> float:
    return (float(x) - float(y)) ** 2


DISTANCES: dict[str, Callable] = {"nominal": nominal_distance, "interval": interval_distance, "masi": masi_distance}


def krippendorff_alpha(units: Sequence[Sequence], level: str | Callable = "nominal") -> float:
    """Krippendorff's alpha for any number of coders, missing values and a distance.

    Parameters
    ----------
    units : sequence of sequences
        One entry per unit: the values the coders gave it; ``None`` (or NaN) is a missing
        value. Units with fewer than two values are not pairable and are left out.
    level : {'nominal', 'interval', 'masi'} or callable
        The metric δ(c, k); 'masi' expects frozensets.

    Returns
    -------
    float
        α = 1 − D_o / D_e with D_o = (1/n) Σ_u Σ_{i≠j∈u} δ / (m_u − 1) and
        D_e = 1/(n(n−1)) Σ_{i≠j} δ over all n pairable values; NaN when D_e = 0.

    >>> round(krippendorff_alpha([[1, 1], [2, 2], [1, 2]]), 4)
    0.4444
    """
    delta = DISTANCES[level] if isinstance(level, str) else level
    values: list = []
    d_o = 0.0
    for u in units:
        vals = [v for v in u if v is not None and not (isinstance(v, float) and math.isnan(v))]
        m = len(vals)
        if m < 2:
            continue
        d_o += sum(2 * delta(x, y) for x, y in combinations(vals, 2)) / (m - 1)
        values.extend(vals)
    n = len(values)
    if n < 2:
        return math.nan
    d_o /= n
    # expected disagreement over all pairs of pairable values, via the distinct values' counts
    distinct: dict = {}
    for v in values:
        distinct[v] = distinct.get(v, 0) + 1
    keys = list(distinct)
    d_e = sum(2 * distinct[x] * distinct[y] * delta(x, y) for x, y in combinations(keys, 2)) / (n * (n - 1))
    return math.nan if d_e == 0 else 1 - d_o / d_e


# ---- from spans to segment units ---------------------------------------------------------------

def read_spans(path: str | Path, texts: dict[str, str] | None = None,
               redactions: pd.DataFrame | None = None, codebook=None, rename=None) -> pd.DataFrame:
    """A coding as spans: a CSV with document, start, end, code (and optionally coder), or the
    codings of a REFI-QDA ``.qdpx``. Checks every row; returns document, start, end, code, coder
    with offsets into the pipeline's (redacted) texts. ``rename`` maps a document name as the
    coder wrote it to the pipeline's (:func:`pipeline.interviews.redaction.document_name`).

    A CSV's offsets count code points in the transcript as a coder reads it — decoded,
    NFKC-normalised, front matter removed, *not* redacted — and are mapped through
    ``redactions`` (``interviews/redactions.csv``). A .qdpx's selections are mapped the same
    way unless its source text is already the pipeline's text (a project this pipeline exported).
    """
    from pipeline.interviews.redaction import source_length, source_to_text

    path = Path(path)
    by_doc = ({d: g for d, g in redactions.groupby("document")} if redactions is not None and len(redactions)
              else {})
    source_offsets: set[str] | None = None      # documents whose offsets need mapping; None = all
    if path.suffix.lower() == ".qdpx":
        from pipeline.interviews.qdpx import read_qdpx

        got = read_qdpx(path, codebook=codebook)
        spans = got["codings"].copy()
        if "coder" not in spans:
            spans["coder"] = path.stem
        qtexts = dict(zip(got["documents"]["document"], got["documents"]["text"]))
        source_offsets = {d for d, t in qtexts.items() if texts is None or texts.get(d) != t}
    else:
        from pipeline.core.tables import read_frame

        spans = read_frame(path)
        missing = [c for c in SPAN_COLUMNS if c not in spans.columns]
        if missing:
            raise InputError(f"a coding needs the columns {SPAN_COLUMNS}; missing {missing}", file=path)
        if "coder" not in spans:
            spans["coder"] = path.stem
        for col in ("start", "end"):
            num = pd.to_numeric(spans[col], errors="coerce")
            bad = num.isna() | (num < 0) | (num > 2**53) | (num != num.round())
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError("offsets must be whole numbers ≥ 0", file=path, row=i + 2, column=col,
                                 value=spans[col].iloc[i])
            spans[col] = num.astype("int64")
    spans = spans[SPAN_COLUMNS + ["coder"]].astype({"document": "str", "code": "str", "coder": "str"})
    if rename is not None:
        spans["document"] = spans["document"].map(rename)
        if source_offsets is not None:
            source_offsets = {rename(d) for d in source_offsets}
    bad = spans["end"] <= spans["start"]
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("a span must end after it starts", file=path, row=i + 2, column="end",
                         value=spans["end"].iloc[i])
    if codebook is not None:
        unknown = ~spans["code"].isin(list(codebook.codes))
        if unknown.any():
            i = int(np.flatnonzero(unknown.to_numpy())[0])
            raise InputError("code is not in the codebook", file=path, row=i + 2, column="code",
                             value=spans["code"].iloc[i])
    if texts is not None:
        for i, (doc, end) in enumerate(zip(spans["document"], spans["end"])):
            if doc not in texts:
                raise InputError("document is not among the transcripts", file=path, row=i + 2,
                                 column="document", value=doc)
            mapped = source_offsets is None or doc in source_offsets
            n = source_length(len(texts[doc]), by_doc.get(doc)) if mapped else len(texts[doc])
            if end > n:
                raise InputError(f"span ends after the end of the text ({n} characters)",
                                 file=path, row=i + 2, column="end", value=end)
    spans = spans.copy()
    for doc, g in spans.groupby("document"):
        if doc in by_doc and (source_offsets is None or doc in source_offsets):
            spans.loc[g.index, "start"] = source_to_text(g["start"], by_doc[doc], "start")
            spans.loc[g.index, "end"] = source_to_text(g["end"], by_doc[doc], "end")
    return spans.reset_index(drop=True)


def spans_to_units(spans: pd.DataFrame, segments: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Map coded spans onto segments. Returns (segment_id, code) pairs on informant segments and
    the number of spans that fell on interviewer turns only."""
    out = []
    on_interviewer = 0
    segs = {}
    for doc, g in segments.groupby("document", sort=False):
        g = g.sort_values("start")
        segs[doc] = (g["start"].to_numpy(), g["end"].to_numpy(), g["segment_id"].to_numpy(),
                     g["is_interviewer"].to_numpy(dtype=bool))
    for doc, start, end, code in spans[["document", "start", "end", "code"]].itertuples(index=False):
        if doc not in segs:
            continue
        s, e, ids, asking = segs[doc]
        overlap = np.minimum(e, end) - np.maximum(s, start)
        hit = (overlap > 0) & ((2 * overlap >= e - s) | (2 * overlap >= end - start))
        if not hit.any():
            continue
        speaking = hit & ~asking
        if not speaking.any():
            on_interviewer += 1
        out += [(sid, code) for sid in ids[speaking]]
    pairs = pd.DataFrame(out, columns=["segment_id", "code"]).drop_duplicates()
    return pairs.sort_values(["segment_id", "code"]).reset_index(drop=True), on_interviewer


def compare(reference: pd.DataFrame, candidate: pd.DataFrame, units: Sequence[str],
            codes: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """Per-code and overall agreement of two unit codings.

    Parameters
    ----------
    reference, candidate : DataFrame
        (segment_id, code) pairs; the reference is the gold (precision/recall are the
        candidate's against it).
    units : sequence of str
        The segment ids both were asked to code.
    codes : sequence of str
        The codes to report (codebook order); codes neither side used get n/a scores and are
        left out of the macro averages.
    """
    units = list(units)
    idx = {u: i for i, u in enumerate(units)}
    n = len(units)

    def matrix(pairs: pd.DataFrame) -> dict[str, np.ndarray]:
        m = {c: np.zeros(n, dtype=bool) for c in codes}
        for sid, code in pairs[["segment_id", "code"]].itertuples(index=False):
            if sid in idx and code in m:
                m[code][idx[sid]] = True
        return m

    ref, cand = matrix(reference), matrix(candidate)
    rows = []
    for c in codes:
        r, k = ref[c], cand[c]
        tp, fp, fn = int((r & k).sum()), int((~r & k).sum()), int((r & ~k).sum())
        tn = n - tp - fp - fn
        prec = tp / (tp + fp) if tp + fp else math.nan
        rec = tp / (tp + fn) if tp + fn else math.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
        rows.append({"code": c, "reference_segments": tp + fn, "candidate_segments": tp + fp, "tp": tp, "fp": fp,
                     "fn": fn, "tn": tn, "precision": prec, "recall": rec, "f1": f1,
                     "kappa": cohen_kappa(r, k) if tp + fp + fn else math.nan})
    table = pd.DataFrame(rows)
    used = table[table["tp"] + table["fp"] + table["fn"] > 0]
    tp, fp, fn = used["tp"].sum(), used["fp"].sum(), used["fn"].sum()
    sets_r = [frozenset(c for c in codes if ref[c][i]) for i in range(n)]
    sets_c = [frozenset(c for c in codes if cand[c][i]) for i in range(n)]
    coded = [i for i in range(n) if sets_r[i] or sets_c[i]]
    summary = {
        "units": n, "units_coded_by_either": len(coded),
        "units_coded_by_reference": sum(bool(s) for s in sets_r),
        "units_coded_by_candidate": sum(bool(s) for s in sets_c),
        "codes_compared": int(len(used)),
        "macro_precision": float(used["precision"].mean()), "macro_recall": float(used["recall"].mean()),
        "macro_f1": float(used["f1"].fillna(0).mean()) if len(used) else math.nan,
        "micro_precision": float(tp / (tp + fp)) if tp + fp else math.nan,
        "micro_recall": float(tp / (tp + fn)) if tp + fn else math.nan,
        "micro_f1": float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else math.nan,
        "mean_kappa": float(used["kappa"].mean()),
        "alpha_masi_coded_units": krippendorff_alpha([[sets_r[i], sets_c[i]] for i in coded], "masi"),
        "alpha_masi_all_units": krippendorff_alpha([[sets_r[i], sets_c[i]] for i in range(n)], "masi"),
        "exact_match_coded_units": float(np.mean([sets_r[i] == sets_c[i] for i in coded])) if coded else math.nan,
    }
    return table, summary


def evaluate(segments: pd.DataFrame, codings: pd.DataFrame | None, gold: pd.DataFrame,
             codes: Sequence[str], *, candidates: dict[str, pd.DataFrame] | None = None,
             between_coders: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pipeline's codings against every gold coder, and every pair of gold coders.

    Returns a per-code table (comparison, reference, candidate, code, …) and a summary table
    (one row per comparison). Units are the informant segments of the documents the
    reference coded (for two coders: the documents both coded). ``candidates`` (name →
    (segment_id, code) pairs) replaces ``{"pipeline": codings}``: several codings compared with
    the same gold in one pass; ``between_coders=False`` leaves out the gold coders' pairs.
    """
    candidates = {"pipeline": codings} if candidates is None else candidates
    per_code, summaries = [], []
    coders = sorted(gold["coder"].unique())

    def units_of(docs: set[str]) -> list[str]:
        s = segments[segments["document"].isin(docs) & ~segments["is_interviewer"]]
        return s["segment_id"].tolist()

    unit_pairs, on_interviewer = {}, {}
    for coder in coders:
        unit_pairs[coder], on_interviewer[coder] = spans_to_units(gold[gold["coder"] == coder], segments)
    docs_of = {c: set(gold.loc[gold["coder"] == c, "document"]) for c in coders}
    comparisons = [(c, name, docs_of[c], got[["segment_id", "code"]].drop_duplicates())
                   for name, got in candidates.items() for c in coders]
    if between_coders:
        comparisons += [(a, b, docs_of[a] & docs_of[b], unit_pairs[b]) for a, b in combinations(coders, 2)]
    for ref, cand, docs, cand_pairs in comparisons:
        if not docs:
            continue
        units = units_of(docs)
        table, summary = compare(unit_pairs[ref], cand_pairs, units, codes)
        name = f"{cand} vs {ref}"
        per_code.append(table.assign(comparison=name, reference=ref, candidate=cand))
        summaries.append({"comparison": name, "reference": ref, "candidate": cand, "documents": len(docs),
                          "reference_spans": int(((gold["coder"] == ref) & gold["document"].isin(docs)).sum()),
                          "spans_on_interviewer_turns": on_interviewer[ref], **summary})
    cols = ["comparison", "reference", "candidate"]
    per_code_df = (pd.concat(per_code, ignore_index=True) if per_code else pd.DataFrame(columns=cols + ["code"]))
    per_code_df = per_code_df[cols + [c for c in per_code_df.columns if c not in cols]]
    return per_code_df, pd.DataFrame(summaries)
