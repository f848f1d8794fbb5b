"""Chinese word segmentation: an explicit :class:`Segmenter` with a domain user dictionary and
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

ROOT = Path(__file__).resolve().parents[2]
CODING_SCHEMES = ROOT / "coding_schemes"
DEFAULT_USER_DICT = CODING_SCHEMES / "user_dict.txt"
DEFAULT_STOPWORDS = CODING_SCHEMES / "stopwords_zh.txt"
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
        self.cache_dir = Path(cache_dir) if cache_dir else ROOT / ".cache" / "jieba"
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
