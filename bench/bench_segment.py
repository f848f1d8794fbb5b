"""Benchmark: Chinese word segmentation (rjieba vs jieba) and the interviews + code stages.

    python bench/bench_segment.py              # 20 MB corpus, 500-transcript study, best of 3
    python bench/bench_segment.py --quick      # 2 MB smoke run (100 transcripts, one repetition)

Everything is written to ``bench/out/segment/`` (git-ignored); the summary goes to stdout and to
``bench/out/bench_segment.json``.

Text. The 24 fictional demo transcripts (``examples/demo/transcripts``, .txt/.md/.docx) are cut
into interviewer questions and informant sentences; seeded draws from these two pools make synthetic transcripts
of about ``--chars`` characters with the demo's speaker labels (``访谈者：``/``受访者：``, ``问：``/``答：``,
``Q:``/``A:``; ``[00:12:31]`` timestamps in a third of them; now and then a continuation paragraph
without a label). The corpus is such transcripts up to ``--mb`` MB of UTF-8
(``corpus_<mb>mb.txt``, transcripts separated by form feeds). Same seed and same demo
transcripts, same bytes.

What is measured, all in this one process and on the same text, so ratios are comparable on a
shared machine:

1. Speed in MB/s (UTF-8 bytes of the input / seconds) of ``pipeline.interviews.segmentation.Segmenter``: ``cut()``
   and ``tokens()`` (stop words from the project list), called once per transcript, for the
   rjieba backend and the jieba backend (one pass over the whole corpus, or over its first
   ``--jieba-mb`` MB if given). The rjieba variants (this item and the next) run in ``--repeat``
   rounds, each round running every variant once in turn so that the changing load of a shared
   machine hits them alike; the fastest pass of each is kept; every pass gets new ``str`` objects
   (pyo3 caches a str's UTF-8 copy, which a later pass would otherwise reuse). Construction of a
   Segmenter is timed apart, in fresh child processes (module import; first construction, for
   jieba with an empty dictionary cache; later constructions). Goal of the issue: rjieba
   ``cut()`` ≥ 10 MB/s.
2. Where the rjieba time goes: NFKC alone, the bare ``rjieba.Jieba.cut`` with and without HMM,
   per transcript, in one call over the whole corpus and on two threads (rjieba releases the GIL
   while it segments), an upper bound of the cost of making the Python ``str`` tokens, the
   stop-word / punctuation filter of ``tokens()`` (uncached as before commit b85444d, as now with
   a cached punctuation test, and with the whole keep/drop decision memoised), ``tokens()`` per
   sentence (as the interviews stage calls it), and a prototype of a faster ``tokens()`` (checked
   to give identical tokens).
3. Agreement of rjieba with jieba as the reference, both with the project's user dictionary,
   HMM on: over the whole corpus, precision / recall / F1 of the word-boundary positions inside
   runs of Chinese characters (the only non-trivial boundaries) and of the tokens themselves
   (exact spans, white space left out); over the corpus's sentences, the share segmented
   identically by ``cut()`` and by ``tokens()`` (per distinct sentence and weighted by occurrences).
4. End to end: the ``interviews`` and ``code`` stages on the demo study (24 transcripts) and on a
   scaled study of ``--transcripts`` synthetic transcripts (roster ``informants.csv`` and
   ``study.yaml`` written next to them; questionnaire, survey file and codebook are the demo's,
   by absolute path), each stage in a fresh child process, best of ``--repeat``: seconds inside the
   child (from before ``import pipeline``), seconds of the whole process and its peak resident
   memory (``VmHWM``; see :func:`peak_mb`). One more instrumented run of each stage of the scaled
   study splits its time over its main steps.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
WORK = OUT / "segment"
DEMO = ROOT / "examples" / "demo"
TRANSCRIPTS = DEMO / "transcripts"
ROSTER = TRANSCRIPTS / "informants.csv"
QUESTIONNAIRE = ROOT / "pipeline" / "data" / "questionnaires" / "renewal_satisfaction.yaml"
CODEBOOK = ROOT / "pipeline" / "data" / "coding_schemes" / "renewal_governance.yaml"
DEMO_SURVEY = DEMO / "raw" / "survey_by_text.xlsx"
GOAL_MB_S = 10.0

sys.path.insert(0, str(ROOT))

# ---- synthetic transcripts ---------------------------------------------------------------------

_TIMESTAMP = re.compile(r"^\s*[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*")
_LABEL = re.compile(r"^\s*([^\s:：]{1,4})\s*[:：]\s*")
_SENTENCE = re.compile(r"[^。！？；!?;…]+(?:[。！？；!?;…]+[”’\"')）]*)?")
INTERVIEWER = {"访谈者", "访谈员", "采访者", "调研者", "调研员", "主持人", "访问员", "问", "Q", "I", "记者"}
RESPONDENT = {"受访者", "被访者", "答", "A", "回答"}
STYLES = [("访谈者", "受访者", "："), ("访谈者", "受访者", "："), ("访谈员", "受访者", ": "), ("问", "答", "："),
          ("Q", "A", ": ")]


def read_text(path: Path) -> str:
    if path.suffix.lower() == ".docx":
        import docx

        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_roster(path: Path = ROSTER) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def demo_pools() -> tuple[list[str], list[str]]:
    """Interviewer sentences and informant sentences of the demo transcripts (in file order)."""
    roster = read_roster()
    asking = INTERVIEWER | {r["interviewer"] for r in roster}
    answering = RESPONDENT | {r["informant"] for r in roster} | {r["name"] for r in roster}
    questions, answers = [], []
    for path in sorted(TRANSCRIPTS.iterdir()):
        if path.suffix.lower() not in (".txt", ".md", ".docx") or path.name.lower() == "readme.md":
            continue
        text = read_text(path).replace("\r\n", "\n")
        if text.startswith("---\n"):  # YAML front matter
            text = text[text.find("\n---", 4) + 4:]
        pool = answers
        for line in text.split("\n"):
            line = _TIMESTAMP.sub("", line)
            m = _LABEL.match(line)
            if m and m.group(1) in asking | answering:
                pool = questions if m.group(1) in asking else answers
                line = line[m.end():]
            pool.extend(split_sentences(line))
    return questions, answers


def synth_names(n: int, seed: int) -> list[str]:
    """n distinct fictional names: surnames and given names of the demo roster recombined."""
    names = [r["name"] for r in read_roster()]
    combos = sorted({s[0] + g[1:] for s in names for g in names} - set(names))
    random.Random(seed).shuffle(combos)
    if n > len(combos):
        combos += [f"{c}{i}" for i, c in enumerate(combos * (n // len(combos)))]
    return combos[:n]


def synth_transcripts(pools: tuple[list[str], list[str]], seed: int, chars: int, names: list[str] | None = None):
    """Endless seeded synthetic transcripts of about ``chars`` characters each."""
    questions, answers = pools
    rng = random.Random(seed)
    i = 0
    while True:
        ask, tell, colon = rng.choice(STYLES)
        stamp = rng.random() < 1 / 3
        target = int(chars * rng.uniform(0.8, 1.2))
        who = names[i % len(names)] if names else None
        lines, n, clock = [], 0, rng.randint(3, 20)

        def put(label: str | None, body: str, stamp=stamp, colon=colon, lines=lines) -> None:
            nonlocal n, clock
            prefix = f"[{clock // 3600:02d}:{clock // 60 % 60:02d}:{clock % 60:02d}] " if stamp and label else ""
            line = prefix + (f"{label}{colon}" if label else "    ") + body
            lines.append(line)
            n += len(line) + 1
            clock += len(body) // 4 + rng.randint(2, 10)

        put(ask, (f"{who}您好，" if who else "") + rng.choice(questions))
        while n < target:
            k = rng.randint(1, 5)
            put(tell, "".join(rng.choice(answers) for _ in range(k)))
            if rng.random() < 0.15:
                put(None, "".join(rng.choice(answers) for _ in range(rng.randint(1, 3))))
            if n < target:
                put(ask, "".join(rng.choice(questions) for _ in range(rng.choice((1, 1, 1, 2)))))
        yield "\n".join(lines) + "\n"
        i += 1


def build_corpus(pools, mb: float, seed: int, chars: int) -> list[str]:
    docs, size = [], 0
    gen = synth_transcripts(pools, seed, chars, synth_names(1000, seed))
    while size < mb * 1e6:
        docs.append(next(gen))
        size += len(docs[-1].encode("utf-8"))
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / f"corpus_{mb:g}mb.txt").write_text("\f\n".join(docs), encoding="utf-8")
    return docs


def doc_sentences(doc: str) -> list[str]:
    """Sentences of one transcript as the interviews stage sees them (NFKC, labels and timestamps
    left out, split after 。！？；… and at line breaks)."""
    out = []
    for line in unicodedata.normalize("NFKC", doc).split("\n"):
        line = _TIMESTAMP.sub("", line)
        m = _LABEL.match(line)
        if m and m.group(1) in INTERVIEWER | RESPONDENT:
            line = line[m.end():]
        out += split_sentences(line)
    return out


def nbytes(texts) -> int:
    return sum(len(t.encode("utf-8")) for t in texts)


# ---- timing helpers ----------------------------------------------------------------------------

def best_of(fn, n: int) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


# ---- agreement ---------------------------------------------------------------------------------

def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class Agreement:
    """Boundary and token agreement of a candidate segmentation with a reference one."""

    def __init__(self) -> None:
        self.b = [0, 0, 0]  # true positives, candidate, reference
        self.w = [0, 0, 0]

    @staticmethod
    def _parts(text: str, toks: list[str]) -> tuple[set[int], set[tuple[int, int]]]:
        ends = list(accumulate(map(len, toks)))
        if not ends or ends[-1] != len(text):
            raise AssertionError("the tokens do not add up to the text")
        bounds = {p for p in ends[:-1] if _is_han(text[p - 1]) and _is_han(text[p])}
        words = {(e - len(t), e) for t, e in zip(toks, ends) if t.strip()}
        return bounds, words

    def add(self, text: str, cand: list[str], ref: list[str]) -> None:
        cb, cw = self._parts(text, cand)
        rb, rw = self._parts(text, ref)
        for acc, c, r in ((self.b, cb, rb), (self.w, cw, rw)):
            acc[0] += len(c & r)
            acc[1] += len(c)
            acc[2] += len(r)

    @staticmethod
    def _prf(tp: int, c: int, r: int) -> dict:
        p, rec = tp / c if c else 1.0, tp / r if r else 1.0
        return {"precision": p, "recall": rec, "f1": 2 * p * rec / (p + rec) if p + rec else 0.0,
                "candidate": c, "reference": r}

    def result(self) -> dict:
        return {"boundaries_in_han_runs": self._prf(*self.b), "tokens": self._prf(*self.w)}


# ---- prototype of a faster Segmenter.tokens (a suggestion, not the project's code) --------------

def fast_tokens_factory(seg):
    """tokens() with NFKC once, the bare rjieba cut and a memoised keep/drop decision per token."""
    from pipeline.interviews import segmentation as ptext

    tok, stop = seg._tok, seg.stopwords
    placeholder = getattr(ptext, "_PLACEHOLDER", None)
    keep_cache: dict[str, bool] = {}

    def keep(t: str) -> bool:
        k = keep_cache.get(t)
        if k is None:
            k = keep_cache[t] = bool(t.strip()) and not ptext._is_punct(t) and t not in stop
        return k

    def tokens(text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text)
        if placeholder is not None and "[" in text:
            text = placeholder.sub(" ", text)
        return list(filter(keep, tok.cut(text, True)))

    return tokens


# ---- the segmentation benchmark (this process) -------------------------------------------------

def bench_segmentation(docs: list[str], repeat: int, jieba_mb: float | None) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.interviews import segmentation as ptext
    from pipeline.interviews.segmentation import DEFAULT_STOPWORDS, DEFAULT_USER_DICT, Segmenter

    mb = nbytes(docs) / 1e6
    norm = [unicodedata.normalize("NFKC", d) for d in docs]
    sents = [s for d in docs for s in doc_sentences(d)]
    sent_mb = nbytes(sents) / 1e6
    rseg = Segmenter("rjieba", user_dict=DEFAULT_USER_DICT, stopwords=DEFAULT_STOPWORDS)
    jseg = Segmenter("jieba", user_dict=DEFAULT_USER_DICT, stopwords=DEFAULT_STOPWORDS,
                     cache_dir=WORK / "jieba_cache")
    tok = rseg._tok
    rseg.cut(docs[0]), jseg.cut(docs[0])  # warm up

    rows: list[dict] = []

    def row(key: str, what: str, seconds: float, size_mb: float, passes: int, runs: list[float] | None = None) -> dict:
        r = {"key": key, "what": what, "seconds": seconds, "mb": size_mb, "mb_s": size_mb / seconds, "passes": passes}
        if runs:
            r["runs"] = [round(x, 3) for x in runs]
        rows.append(r)
        print(f"  {what:<68}{seconds:>7.2f} s{r['mb_s']:>8.2f} MB/s", flush=True)
        return r

    cuts = [tok.cut(d, True) for d in norm]
    n_tokens = sum(map(len, cuts))
    utf8 = [[t.encode("utf-8") for t in c] for c in cuts]
    stop = rseg.stopwords

    def filter_uncached(cs):  # the filter of tokens() before commit b85444d
        return [[t for t in c if t.strip() and not ptext._is_punct(t) and t not in stop] for c in cs]

    skip = getattr(ptext, "_skip", None)  # since b85444d: lru_cache'd white space / punctuation test

    def filter_current(cs):
        return [[t for t in c if not skip(t) and t not in stop] for c in cs]

    def filter_memo(cs):
        cache: dict[str, bool] = {}

        def keep(t):
            k = cache.get(t)
            if k is None:
                k = cache[t] = bool(t.strip()) and not ptext._is_punct(t) and t not in stop
            return k
        return [list(filter(keep, c)) for c in cs]

    fast = fast_tokens_factory(rseg)
    same = all(fast(d) == rseg.tokens(d) for d in docs[:200]) and all(fast(s) == rseg.tokens(s) for s in sents[:5000])
    ex = ThreadPoolExecutor(2)
    # key, label, input, function of a fresh copy of the input
    variants = [
        ("rjieba_cut", "Segmenter.cut per transcript (text as written, NFKC incl.)", "docs",
         lambda xs: [rseg.cut(d) for d in xs]),
        ("rjieba_cut_normalised", "Segmenter.cut per transcript, text already NFKC", "norm",
         lambda xs: [rseg.cut(d) for d in xs]),
        ("rjieba_tokens", "Segmenter.tokens per transcript", "docs", lambda xs: [rseg.tokens(d) for d in xs]),
        ("rjieba_tokens_per_sentence", f"Segmenter.tokens per sentence ({len(sents):,}; as the stage)", "sents",
         lambda xs: [rseg.tokens(d) for d in xs]),
        ("nfkc", "unicodedata.normalize('NFKC') alone, text as written", "docs",
         lambda xs: [unicodedata.normalize("NFKC", d) for d in xs]),
        ("bare_cut_hmm", "bare rjieba.Jieba.cut(hmm=True) per transcript, NFKC text", "norm",
         lambda xs: [tok.cut(d, True) for d in xs]),
        ("bare_cut_nohmm", "bare rjieba.Jieba.cut(hmm=False) per transcript, NFKC text", "norm",
         lambda xs: [tok.cut(d, False) for d in xs]),
        ("bare_cut_whole", "bare rjieba.Jieba.cut(hmm=True), one call on the whole corpus", "whole",
         lambda xs: tok.cut(xs[0], True)),
        ("bare_cut_2threads", "bare rjieba.Jieba.cut(hmm=True) per transcript on 2 threads", "norm",
         lambda xs: list(ex.map(tok.cut, xs, chunksize=16))),
        ("str_objects", f"make the {n_tokens:,} token str objects from UTF-8 (upper bound)", "utf8",
         lambda xs: [[b.decode("utf-8") for b in c] for c in xs]),
        ("filter_uncached", "token filter, uncached strip, _is_punct, stop words (before b85444d)", "cuts",
         filter_uncached),
        *([("filter_current", "token filter as in tokens() now (lru_cache'd _skip, stop words)", "cuts",
            filter_current)] if skip else []),
        ("filter_memo", "token filter, one dict lookup per token (keep/drop memoised)", "cuts", filter_memo),
        ("prototype_tokens", f"prototype tokens() per transcript (identical output: {same})", "docs",
         lambda xs: [fast(d) for d in xs]),
        ("prototype_tokens_per_sentence", "prototype tokens() per sentence", "sents",
         lambda xs: [fast(d) for d in xs]),
    ]
    inputs = {"docs": docs, "norm": norm, "sents": sents, "cuts": cuts, "utf8": utf8}

    def fresh(kind: str) -> list:
        """New str objects each pass: pyo3 caches a str's UTF-8 copy, which a later pass would reuse."""
        if kind == "whole":
            return ["".join(norm)]
        if kind in ("cuts", "utf8"):
            return inputs[kind]
        return [(t + "\n")[:-1] for t in inputs[kind]]

    print(f"\nrjieba over {mb:.1f} MB, {len(docs):,} transcripts ({repeat} rounds, each variant once per round, "
          f"best kept):", flush=True)
    times: dict[str, list[float]] = {v[0]: [] for v in variants}
    for i in range(repeat):
        t_round = time.perf_counter()
        for key, _, kind, fn in variants:
            xs = fresh(kind)
            t0 = time.perf_counter()
            fn(xs)
            times[key].append(time.perf_counter() - t0)
            del xs
        print(f"  round {i + 1}/{repeat}: {time.perf_counter() - t_round:.1f} s, load {loadavg()}", flush=True)
    ex.shutdown()
    del cuts, utf8, inputs
    found = {}
    for key, what, kind, _ in variants:
        if key == "nfkc":
            print("  where the time goes:")
        found[key] = row(key, what, min(times[key]), sent_mb if kind == "sents" else mb, repeat, times[key])
    r_cut, r_tok = found["rjieba_cut"], found["rjieba_tokens"]

    # jieba: one pass; agreement with rjieba is taken on the same pass (outside the timed calls)
    jdocs = docs
    if jieba_mb:
        jdocs, size = [], 0
        for d in docs:
            if size >= jieba_mb * 1e6:
                break
            jdocs.append(d)
            size += len(d.encode("utf-8"))
    jmb = nbytes(jdocs) / 1e6
    print(f"\njieba (one pass) over {jmb:.1f} MB, {len(jdocs):,} transcripts:", flush=True)
    t0 = time.perf_counter()
    refs = [jseg.cut(d) for d in jdocs]
    j_cut = row("jieba_cut", "Segmenter('jieba').cut per transcript", time.perf_counter() - t0, jmb, 1)
    agree = Agreement()
    for d, ref in zip(jdocs, refs):
        agree.add(unicodedata.normalize("NFKC", d), rseg.cut(d), ref)
    del refs
    j_tok = row("jieba_tokens", "Segmenter('jieba').tokens per transcript",
                best_of(lambda: [jseg.tokens(d) for d in jdocs], 1), jmb, 1)

    # sentences: per distinct sentence, weighted by its occurrences
    counts = Counter(sents)
    same_cut = same_tok = w_cut = w_tok = 0
    diffs = []
    for s, k in counts.items():
        rc, jc = rseg.cut(s), jseg.cut(s)
        if rc == jc:
            same_cut += 1
            w_cut += k
        else:
            diffs.append((k, s, rc, jc))
        if rseg.tokens(s) == jseg.tokens(s):
            same_tok += 1
            w_tok += k
    diffs.sort(key=lambda x: (-x[0], x[1]))
    sentence_agreement = {
        "distinct_sentences": len(counts), "sentences": len(sents),
        "identical_cut_distinct": same_cut / len(counts), "identical_cut_weighted": w_cut / len(sents),
        "identical_tokens_distinct": same_tok / len(counts), "identical_tokens_weighted": w_tok / len(sents),
        "examples": [{"occurrences": k, "rjieba": "/".join(rc), "jieba": "/".join(jc)} for k, s, rc, jc in diffs[:8]],
    }
    return {
        "corpus_mb": mb, "transcripts": len(docs), "sentences": len(sents), "sentence_mb": sent_mb,
        "tokens_rjieba": n_tokens, "jieba_mb": jmb, "rows": rows,
        "rjieba_cut_mb_s": r_cut["mb_s"], "rjieba_tokens_mb_s": r_tok["mb_s"],
        "jieba_cut_mb_s": j_cut["mb_s"], "jieba_tokens_mb_s": j_tok["mb_s"],
        "ratio_cut": r_cut["mb_s"] / j_cut["mb_s"], "ratio_tokens": r_tok["mb_s"] / j_tok["mb_s"],
        "goal_mb_s": GOAL_MB_S, "goal_met": r_cut["mb_s"] >= GOAL_MB_S,
        "agreement_corpus": agree.result(), "agreement_sentences": sentence_agreement,
    }


# ---- studies for the end-to-end runs -----------------------------------------------------------

def survey_file() -> Path:
    """The demo's by-text export (any existing survey file satisfies the study; the interviews and
    code stages do not read it); generated into bench/out/segment/raw if the demo has none."""
    if DEMO_SURVEY.exists():
        return DEMO_SURVEY
    made = WORK / "raw" / DEMO_SURVEY.name
    if not made.exists():
        subprocess.run([sys.executable, str(DEMO / "generate.py"), "--out", str(made.parent)], check=True)
    return made


def write_study(folder: Path, name: str, transcripts: Path, roster: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    study = folder / "study.yaml"
    study.write_text(
        f"name: {name}\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: [{survey_file()}]\n"
        f"coding_scheme: {CODEBOOK}\ninterviews:\n  dir: {transcripts}\n  roster: {roster}\noutputs: run\n",
        encoding="utf-8")
    return study


def demo_study() -> Path:
    return write_study(WORK / "study_demo", "bench_segment_demo", TRANSCRIPTS, ROSTER)


def scaled_study(pools, n: int, chars: int, seed: int) -> tuple[Path, int]:
    """n synthetic transcripts B001.txt… with a roster like the demo's (codes, roles, communities,
    interviewers and fictional names recombined); returns the study file and the text's bytes."""
    folder = WORK / f"study_{n}"
    tdir = folder / "transcripts"
    if tdir.exists():
        shutil.rmtree(tdir)
    tdir.mkdir(parents=True)
    demo = read_roster()
    rng = random.Random(seed)
    names = synth_names(n, seed)
    gen = synth_transcripts(pools, seed + 1, chars, names)
    rows, size = [], 0
    for i in range(1, n + 1):
        code = f"{chr(ord('B') + i // 1000)}{i % 1000:03d}"
        like = demo[rng.randrange(len(demo))]
        rows.append({**like, "informant": code, "name": names[i - 1],
                     "date": f"2024-{rng.randint(4, 6):02d}-{rng.randint(1, 28):02d}"})
        text = next(gen)
        size += len(text.encode("utf-8"))
        (tdir / f"{code}.txt").write_text(text, encoding="utf-8")
    roster = folder / "informants.csv"
    with roster.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(demo[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return write_study(folder, f"bench_segment_{n}", tdir, roster), size


# ---- child processes ---------------------------------------------------------------------------

def _timed(acc: dict, key: str, owner, attr: str) -> None:
    f = getattr(owner, attr, None)
    if f is None:  # the code changed: leave it out of the breakdown
        return False

    @functools.wraps(f)
    def wrapper(*a, **k):
        t0 = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            acc[key] = acc.get(key, 0.0) + time.perf_counter() - t0
    setattr(owner, attr, wrapper)
    return True


def peak_mb() -> float:
    """Peak resident memory of this process. VmHWM, not ru_maxrss: on Linux ru_maxrss survives
    execve, so a child started by a big parent (vfork + exec) would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, arg: str) -> None:
    t0 = time.perf_counter()
    out: dict = {}
    if kind == "construct":  # arg: backend
        t = time.perf_counter()
        __import__(arg)
        out["import_s"] = time.perf_counter() - t
        from pipeline.interviews.segmentation import DEFAULT_STOPWORDS, DEFAULT_USER_DICT, Segmenter

        cache = WORK / "jieba_cache_cold"
        shutil.rmtree(cache, ignore_errors=True)

        def make():
            return Segmenter(arg, user_dict=DEFAULT_USER_DICT, stopwords=DEFAULT_STOPWORDS, cache_dir=cache)
        t = time.perf_counter()
        seg = make()
        out["first_s"] = time.perf_counter() - t
        t = time.perf_counter()
        seg.cut("老旧小区加装电梯，居民出资难。")
        out["first_cut_s"] = time.perf_counter() - t
        out["later_s"] = best_of(make, 3)
    else:  # kind: interviews | code | interviews-profile | code-profile; arg: study file
        stage, profile = kind.removesuffix("-profile"), kind.endswith("-profile")
        from pipeline.core.study import Study
        from pipeline.interviews import coding, transcripts
        from pipeline.interviews import segmentation as text
        from pipeline.interviews import stage as iv_stage

        out["import_s"] = time.perf_counter() - t0
        parts: dict[str, float] = {}
        if profile and stage == "interviews":
            # each function is timed where its caller looks it up
            timed = [("read_roster", iv_stage, "read_roster"),
                     ("Segmenter()", text.Segmenter, "__init__"),
                     ("read_transcript (decode, NFKC, redact)", iv_stage, "read_transcript"),
                     ("  of which redact_text", transcripts, "redact_text"),
                     ("segment (turns, sentences, rows)", iv_stage, "segment"),
                     ("  of which label_pattern", iv_stage, "label_pattern"),
                     ("  of which interviewer_labels", iv_stage, "interviewer_labels"),
                     ("  of which turns", text, "turns"),
                     ("  of which sentences", text, "sentences"),
                     ("  of which Segmenter.tokens", text.Segmenter, "tokens")]
        elif profile:
            timed = [("load_codebook", coding, "load_codebook"),
                     ("Coder() (compile rules)", coding.Coder, "__init__"),
                     ("Coder.code_segments", coding.Coder, "code_segments"),
                     ("  of which Coder.code_text", coding.Coder, "code_text"),
                     ("summarise", coding, "summarise")]
        else:
            timed = []
        for key, owner, attr in timed:
            if _timed(parts, key, owner, attr):
                parts[key] = 0.0  # keeps the order above
        study = Study(arg)
        log = (iv_stage if stage == "interviews" else coding).run(study)
        out["log"] = {k: v for k, v in log.items() if isinstance(v, (int, float))}
        if profile:
            out["parts"] = parts
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = peak_mb()
    print(json.dumps(out, ensure_ascii=False))


def measure(kind: str, arg: str) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--child", kind, arg], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"child {kind} {arg} failed:\n{r.stderr}")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res["process_s"] = wall
    return res


def best_child(kind: str, arg: str, repeat: int) -> dict:
    runs = [measure(kind, arg) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    best["all_seconds"] = [round(r["seconds"], 3) for r in runs]
    return best


# ---- main --------------------------------------------------------------------------------------

def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for p in ("rjieba", "jieba", "pandas", "pyarrow"):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = None
    return out


def git_state() -> dict:
    """The commit measured and the files of pipeline/ and examples/demo/ changed since (read only)."""
    def git(*a):
        r = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    changed = git("status", "--porcelain", "--", "pipeline", "examples/demo")
    return {"head": git("rev-parse", "HEAD"), "changed": changed.splitlines() if changed else []}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="corpus size in MB of UTF-8 (default 20)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 MB, 100 transcripts, one repetition")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per rjieba / stage measurement (best kept)")
    ap.add_argument("--jieba-mb", type=float, default=None,
                    help="time jieba on the corpus's first MB only (default: the whole corpus)")
    ap.add_argument("--transcripts", type=int, default=500, help="transcripts in the scaled study (default 500)")
    ap.add_argument("--chars", type=int, default=2000, help="characters per synthetic transcript (default 2000)")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.quick:
        args.mb, args.transcripts, args.repeat = 2.0, 100, 1
    t_start = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    result: dict = {"args": {k: v for k, v in vars(args).items() if k != "child"}, "versions": versions(),
                    "git": git_state(), "cpus": os.cpu_count(), "loadavg_start": loadavg()}

    pools = demo_pools()
    t = time.perf_counter()
    docs = build_corpus(pools, args.mb, args.seed, args.chars)
    print(f"corpus: {len(docs):,} synthetic transcripts, {nbytes(docs) / 1e6:.1f} MB "
          f"(from {len(pools[0])} interviewer and {len(pools[1])} informant sentences of the demo), "
          f"made in {time.perf_counter() - t:.1f} s → {WORK.relative_to(ROOT)}/corpus_{args.mb:g}mb.txt", flush=True)

    print("\nconstruction (fresh child processes):", flush=True)
    construct = {b: measure("construct", b) for b in ("rjieba", "jieba")}
    for b, c in construct.items():
        first = "first (empty cache)" if b == "jieba" else "first"
        print(f"  {b:<8} import {c['import_s']:.2f} s, {first} Segmenter() {c['first_s']:.2f} s, "
              f"later Segmenter() {c['later_s']:.2f} s, first cut {c['first_cut_s'] * 1000:.1f} ms", flush=True)
    result["construction"] = construct

    seg = bench_segmentation(docs, args.repeat, args.jieba_mb)
    result["segmentation"] = seg
    del docs

    print(f"\nend to end (fresh child per stage, best of {args.repeat}):", flush=True)
    study_n, size_n = scaled_study(pools, args.transcripts, args.chars, args.seed)
    studies = {"demo (24)": (demo_study(), None), f"scaled ({args.transcripts})": (study_n, size_n)}
    e2e = {}
    for label, (study, _size) in studies.items():
        for stage in ("interviews", "code"):
            r = best_child(stage, str(study), args.repeat)
            e2e[f"{label} {stage}"] = r
            print(f"  {label:<14}{stage:<11}{r['seconds']:>7.2f} s in child ({r['process_s']:.2f} s process), "
                  f"peak {r['peak_mb']:.0f} MB; runs {r['all_seconds']}", flush=True)
    profile = {stage: measure(f"{stage}-profile", str(study_n)) for stage in ("interviews", "code")}
    for stage, p in profile.items():
        print(f"  breakdown of {stage} on the scaled study ({p['seconds']:.2f} s, imports {p['import_s']:.2f} s):")
        for k, v in p["parts"].items():
            print(f"    {k:<42}{v:>7.2f} s")
    result["end_to_end"] = e2e
    result["scaled_study"] = {"study": str(study_n.relative_to(ROOT)), "transcripts": args.transcripts,
                              "mb": size_n / 1e6}
    result["profile_scaled"] = profile
    result["loadavg_end"] = loadavg()
    result["runtime_s"] = time.perf_counter() - t_start
    (OUT / "bench_segment.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    summary(result)


def summary(r: dict) -> None:
    s = r["segmentation"]
    a, sa = s["agreement_corpus"], s["agreement_sentences"]
    print("\n" + "=" * 78)
    print(f"summary ({s['corpus_mb']:.1f} MB corpus; jieba on {s['jieba_mb']:.1f} MB; {r['cpus']} CPUs, "
          f"load {r['loadavg_start']} → {r['loadavg_end']})")
    print(f"{'measure':<46}{'rjieba':>10}{'jieba':>10}{'ratio':>10}")
    rows = {x["key"]: x for x in s["rows"]}
    print(f"{'Segmenter.cut MB/s (text as written)':<46}{s['rjieba_cut_mb_s']:>10.2f}{s['jieba_cut_mb_s']:>10.2f}"
          f"{s['ratio_cut']:>9.1f}×")
    print(f"{'Segmenter.cut MB/s (text already NFKC)':<46}{rows['rjieba_cut_normalised']['mb_s']:>10.2f}")
    print(f"{'Segmenter.tokens MB/s':<46}{s['rjieba_tokens_mb_s']:>10.2f}{s['jieba_tokens_mb_s']:>10.2f}"
          f"{s['ratio_tokens']:>9.1f}×")
    print(f"{'Segmenter.tokens MB/s, per sentence':<46}{rows['rjieba_tokens_per_sentence']['mb_s']:>10.2f}")
    print(f"{'bare rjieba cut MB/s (NFKC text)':<46}{rows['bare_cut_hmm']['mb_s']:>10.2f}")
    print(f"{'prototype tokens() MB/s (doc / sentence)':<46}{rows['prototype_tokens']['mb_s']:>10.2f}"
          f" / {rows['prototype_tokens_per_sentence']['mb_s']:.2f}")
    c = r["construction"]
    print(f"{'Segmenter() first / later, s':<46}{c['rjieba']['first_s']:>5.2f}/{c['rjieba']['later_s']:.2f}"
          f"{c['jieba']['first_s']:>5.2f}/{c['jieba']['later_s']:.2f}")
    print(f"goal rjieba cut ≥ {s['goal_mb_s']:g} MB/s: {'met' if s['goal_met'] else 'NOT met'} on text as written; "
          f"{'met' if rows['rjieba_cut_normalised']['mb_s'] >= s['goal_mb_s'] else 'NOT met'} on NFKC text")
    print(f"agreement (rjieba vs jieba reference): boundary F1 {a['boundaries_in_han_runs']['f1']:.4f} "
          f"(P {a['boundaries_in_han_runs']['precision']:.4f}, R {a['boundaries_in_han_runs']['recall']:.4f}); "
          f"token F1 {a['tokens']['f1']:.4f}")
    print(f"  sentences cut identically {sa['identical_cut_weighted']:.1%} "
          f"(distinct {sa['identical_cut_distinct']:.1%} "
          f"of {sa['distinct_sentences']:,}); tokens() identical {sa['identical_tokens_weighted']:.1%}")
    for ex in sa["examples"][:3]:
        print(f"    rjieba {ex['rjieba']}\n    jieba  {ex['jieba']}")
    print(f"{'end to end':<30}{'seconds':>10}{'process s':>11}{'peak MB':>10}")
    for k, v in r["end_to_end"].items():
        print(f"{k:<30}{v['seconds']:>10.2f}{v['process_s']:>11.2f}{v['peak_mb']:>10.0f}")
    p = r["profile_scaled"]["interviews"]["parts"]
    tok_key = next((k for k in p if k.endswith("Segmenter.tokens")), None)
    if tok_key:
        print(f"scaled interviews stage (instrumented run {r['profile_scaled']['interviews']['seconds']:.1f} s): "
              f"Segmenter.tokens {p[tok_key]:.1f} s = {p[tok_key] / r['profile_scaled']['interviews']['seconds']:.0%}")
    print(f"whole benchmark: {r['runtime_s']:.0f} s; results in {(OUT / 'bench_segment.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
