"""Coding at scale (issue 14): the rule coder's throughput and the supervised suggester's
cross-validation on 500 transcripts with 100 gold-coded ones, against a baseline run in the same
process — the former leave-one-document-out scheme (one TF-IDF + logistic regression per
document × code).

    .venv/bin/python bench/bench_coding.py [--gold 100] [--docs 500] [--stage]

``--stage`` also times the whole code stage (rules, suggester, agreement, exemplars, .qdpx) and
the review stage on a study of ``--docs`` synthetic transcripts (bench_segment's scaled study)
with ``--gold`` of them gold-coded (goal: the code stage under 60 s).

The corpus is the demo transcripts' informant sentences dealt into documents of 30 sentences;
"gold" labels are the rule coder's own codings (the timing does not depend on where labels come
from). Prints seconds, segments per second and the ratio new / baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_segment import demo_pools  # noqa: E402

from pipeline.core.resources import CODING_SCHEMES  # noqa: E402
from pipeline.interviews import suggest  # noqa: E402
from pipeline.interviews.codebook import load_codebook  # noqa: E402
from pipeline.interviews.coding import Coder  # noqa: E402


def corpus(n_docs: int, per_doc: int = 30, seed: int = 3) -> pd.DataFrame:
    _, answers = demo_pools()
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_docs):
        for i, k in enumerate(rng.integers(0, len(answers), size=per_doc)):
            rows.append({"segment_id": f"T{d:04d}-{i:03d}", "document": f"T{d:04d}.txt", "informant": f"R{d}",
                         "role": "resident", "is_interviewer": False, "text": answers[int(k)], "start": 0,
                         "end": len(answers[int(k)])})
    return pd.DataFrame(rows)


def lodo_baseline(train: pd.DataFrame, labels: pd.DataFrame, codes: list[str], seed: int = 0) -> None:
    """The former scheme: leave one document out, a TF-IDF and a classifier per document × code."""
    from sklearn.pipeline import make_pipeline

    docs = train["document"].to_numpy()
    for code in codes:
        y = train["segment_id"].isin(set(labels.loc[labels["code"] == code, "segment_id"])).to_numpy()
        if y.sum() < suggest.MIN_POSITIVES:
            continue
        for d in sorted(set(docs)):
            test = docs == d
            if y[~test].sum() == 0:
                continue
            m = make_pipeline(suggest._vectoriser(), suggest._classifier(seed)).fit(train.loc[~test, "text"], y[~test])
            m.predict_proba(train.loc[test, "text"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--gold", type=int, default=100)
    ap.add_argument("--baseline-gold", type=int, default=20,
                    help="gold documents for the leave-one-out baseline (it grows quadratically; 100 takes minutes)")
    ap.add_argument("--stage", action="store_true", help="also time the code and review stages on a whole study")
    a = ap.parse_args()
    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    coder = Coder(book)
    seg = corpus(a.docs)
    t0 = time.perf_counter()
    codings = coder.code_segments(seg)
    t1 = time.perf_counter()
    rate = len(seg) / (t1 - t0)
    tb = time.perf_counter()
    for t in seg["text"]:       # baseline: the text-by-text scan (Coder.code_text)
        coder.code_text(t)
    base = len(seg) / (time.perf_counter() - tb)
    print(f"rule coder: {len(seg):,} segments in {t1 - t0:.2f} s = {rate:,.0f} segments/s  (goal ≥ 5,000/s); "
          f"text by text {base:,.0f}/s, ratio {rate / base:.2f}")
    codes = list(book.codes)
    for n_gold in sorted({a.baseline_gold, a.gold}):
        gold_docs = sorted(seg["document"].unique())[:n_gold]
        units = seg[seg["document"].isin(gold_docs)][["segment_id", "document"]]
        labels = codings[codings["segment_id"].isin(set(units["segment_id"]))][["segment_id", "code"]]
        t2 = time.perf_counter()
        suggest.train_and_suggest(seg, units, labels, codings.iloc[:0], codes)
        t3 = time.perf_counter()
        line = (f"suggester, {n_gold} gold documents ({len(units):,} sentences), suggestions over "
                f"{len(seg) - len(units):,}: {t3 - t2:.2f} s (grouped {suggest.N_FOLDS}-fold)")
        if n_gold == a.baseline_gold:
            train = units.assign(text=units["segment_id"].map(seg.set_index("segment_id")["text"]))
            t4 = time.perf_counter()
            lodo_baseline(train, labels, codes)
            t5 = time.perf_counter()
            line += f"; leave-one-document-out CV alone {t5 - t4:.2f} s, ratio {(t3 - t2) / (t5 - t4):.2f}"
        print(line)
    if a.stage:
        bench_stage(a.docs, a.gold)


def bench_stage(n_docs: int, n_gold: int, chars: int = 6000, seed: int = 11) -> None:
    """The code and review stages on n_docs synthetic transcripts, n_gold of them gold-coded (the
    gold is a .qdpx of the rule coder's codings on the pipeline's own texts)."""
    import yaml
    from bench_segment import scaled_study

    from pipeline.core.study import Study
    from pipeline.interviews import coding, review
    from pipeline.interviews import stage as iv_stage
    from pipeline.interviews.qdpx import export_qdpx

    path, size = scaled_study(demo_pools(), n_docs, chars, seed)
    t0 = time.perf_counter()
    st = Study(path)
    iv_stage.run(st)
    t1 = time.perf_counter()
    seg = pd.read_parquet(st.stage_dir("interviews") / "segments.parquet")
    docs = pd.read_parquet(st.stage_dir("interviews") / "documents.parquet")
    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    gold_docs = sorted(docs["document"])[:n_gold]
    spans = Coder(book).code_segments(seg[seg["document"].isin(gold_docs)])[["document", "start", "end", "code"]]
    gold = path.parent / "gold.qdpx"
    export_qdpx(gold, docs[docs["document"].isin(gold_docs)], None, book, spans.assign(coder="gold"),
                project_name="bench gold")
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["interviews"]["gold"] = str(gold)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    st = Study(path)
    t2 = time.perf_counter()
    log = coding.run(st)
    t3 = time.perf_counter()
    review.run(st)
    t4 = time.perf_counter()
    print(f"code stage, {n_docs} transcripts ({size / 1e6:.1f} MB, {log['segments']:,} informant sentences), "
          f"{n_gold} gold-coded: {t3 - t2:.1f} s (goal < 60 s); review stage {t4 - t3:.1f} s; "
          f"(interviews stage {t1 - t0:.1f} s)")


if __name__ == "__main__":
    main()
