"""Segmentation: speaker turns into sentences (the segments every later stage codes) and Chinese
word segmentation with an explicit :class:`Segmenter` with a domain user dictionary and
stop words (no module-global tokenizer, no cache written outside the project).

Backends: ``rjieba`` (jieba-rs, Rust; the fast default) and ``jieba`` (the pure-Python reference).
Both take the same user dictionary (``word freq pos`` per line; rjieba through ``add_word``).

>>> seg = Segmenter(user_dict=DEFAULT_USER_DICT)
>>> seg.cut("老旧小区加装电梯")  # doctest: +SKIP
['老旧小区', '加装电梯']
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import pandas as pd

from pipeline.core import resources
from pipeline.interviews.transcripts import (
    TIMESTAMP,
    Transcript,
    interviewer_labels,
    label_pattern,
    turns,
)

DEFAULT_USER_DICT = resources.USER_DICT
DEFAULT_STOPWORDS = resources.STOPWORDS
BACKENDS = ("rjieba", "jieba")


def read_user_dict(path: str | Path) -> list[tuple[str, int | None, str | None]]:
    """(word, freq, pos) per non-empty line of a jieba user dictionary; '#' starts a comment."""
    out = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        pos = parts[2] if len(parts) > 2 else None
        out.append((unicodedata.normalize("NFKC", parts[0]), freq, pos))
    return out


def read_stopwords(path: str | Path) -> frozenset[str]:
    return frozenset(w.strip() for w in Path(path).read_text(encoding="utf-8-sig").splitlines()
                     if w.strip() and not w.startswith("#"))


class Segmenter:
    """Word segmentation with a user dictionary and stop words.

    Parameters
    ----------
    backend : {'rjieba', 'jieba'}
    user_dict : path, optional
        jieba-format user dictionary (``word freq pos``).
    stopwords : path or set of str, optional
        Words :meth:`tokens` leaves out (punctuation and white space are always left out).
    cache_dir : path, optional
        Where jieba may write its dictionary cache (default ``.cache/jieba`` in the project);
        rjieba writes nothing.
    """

    def __init__(self, backend: str = "rjieba", user_dict: str | Path | None = None,
                 stopwords: str | Path | frozenset[str] | set[str] | None = None,
                 cache_dir: str | Path | None = None) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"The 'backend' parameter must be one of {set(BACKENDS)}. Got '{backend}' instead.")
        self.backend = backend
        self.user_dict = Path(user_dict) if user_dict else None
        self.stopwords = (stopwords if isinstance(stopwords, (set, frozenset))
                          else read_stopwords(stopwords) if stopwords else frozenset())
        self.cache_dir = Path(cache_dir) if cache_dir else resources.cache_dir() / "jieba"
        words = read_user_dict(self.user_dict) if self.user_dict else []
        if backend == "rjieba":
            try:
                import rjieba
            except ImportError:  # pragma: no cover
                raise ImportError("the rjieba backend needs the rjieba package: pip install rjieba") from None
            self._tok = rjieba.Jieba()
            for w, f, p in words:
                self._tok.add_word(w, f, p)
        else:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            self._tok = jieba.Tokenizer()
            self._tok.tmp_dir = str(self.cache_dir)
            for w, f, p in words:
                self._tok.add_word(w, f, p)

    def cut(self, text: str) -> list[str]:
        """All tokens, white space included, in order (HMM on for unknown words)."""
        if not unicodedata.is_normalized("NFKC", text):  # the stages pass normalised text
            text = unicodedata.normalize("NFKC", text)
        if self.backend == "rjieba":
            return list(self._tok.cut(text, True))
        return self._tok.lcut(text, HMM=True)

    def tokens(self, text: str) -> list[str]:
        """Content tokens: no white space, punctuation, stop words or redaction placeholders
        (``[姓名:R03]``, ``[电话]``…, which would otherwise leak informant codes into topics)."""
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if "[" in text:
            text = _PLACEHOLDER.sub(" ", text)
        stop = self.stopwords
        return [t for t in self.cut(text) if not _skip(t) and t not in stop]


def _placeholder_pattern() -> re.Pattern:
    """The redaction placeholders of :mod:`pipeline.core.privacy` (``[电话]``…) and ``[姓名]``/``[姓名:R03]``."""
    from pipeline.core.privacy import PLACEHOLDERS

    kinds = sorted({ph.strip("[]") for ph in PLACEHOLDERS})
    return re.compile(r"\[(?:" + "|".join(map(re.escape, kinds)) + r")(?::[^\]]*)?\]")


_PLACEHOLDER = _placeholder_pattern()


@functools.lru_cache(maxsize=1 << 16)
def _skip(token: str) -> bool:
    """White space or punctuation only (cached: tokens repeat a lot)."""
    return not token.strip() or _is_punct(token)


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


_SENTENCE_END = "。！？；!?;…"


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within [start, end): split after 。！？；… and at line breaks; timestamps
    at line starts and surrounding white space are left out."""
    spans = []
    s = start
    i = start
    while i < end:
        ch = text[i]
        if ch in _SENTENCE_END or ch == "\n":
            j = i + 1
            while j < end and text[j] in _SENTENCE_END + "\"'”’)）":
                j += 1
            spans.append((s, j if ch != "\n" else i))
            s = j
            i = j
            continue
        i += 1
    spans.append((s, end))
    out = []
    for a, b in spans:
        seg = text[a:b]
        ts = TIMESTAMP.match(seg.lstrip())
        lead = len(seg) - len(seg.lstrip())
        if ts:
            lead += ts.end()
        trail = len(seg) - len(seg.rstrip())
        a2, b2 = a + lead, b - trail
        if b2 > a2 and text[a2:b2].strip(_SENTENCE_END + " "):
            out.append((a2, b2))
    return out


def segment(tr: Transcript, roster: pd.DataFrame, seg, label_re: re.Pattern | None = None,
            asking: set[str] | None = None, session: int | None = None,
            cases: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per sentence of every turn, with the roster's case attributes (``label_re`` and
    ``asking`` may be computed once for many transcripts). Segment ids are
    ``<informant>-<turn>-<sentence>``, or ``<informant>.<session>-…`` when an informant has
    several transcripts (numbered in file-name order)."""
    label_re = label_re or label_pattern(roster)
    asking = asking if asking is not None else interviewer_labels(roster)
    rows = []
    case = cases[tr.informant] if cases is not None else roster.loc[roster["informant"] == tr.informant].iloc[0].to_dict()
    stem = tr.informant if session is None else f"{tr.informant}.{session}"
    for t_i, t in enumerate(turns(tr.text, label_re)):
        speaker = t["speaker"] or tr.informant
        interviewer = speaker in asking
        for s_i, (a, b) in enumerate(sentences(tr.text, t["start"], t["end"])):
            text = tr.text[a:b]
            rows.append({"segment_id": f"{stem}-{t_i + 1:03d}-{s_i + 1:02d}", "document": tr.document,
                         "informant": tr.informant, "role": case.get("role"), "community": case.get("community"),
                         "speaker": speaker, "is_interviewer": interviewer, "turn": t_i + 1, "start": a, "end": b,
                         "text": text, "tokens": seg.tokens(text) if seg else []})
    return pd.DataFrame(rows)
