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
from pipeline.interviews.roles import INTERVIEWER_LABELS, RESPONDENT_LABELS
from pipeline.interviews.transcripts import (
    TIMESTAMP,
    TOOL_SPEAKER,
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




def speaker_roles(labels: list[str], texts: list[str], tr: Transcript, asking: set[str],
                  codes: set[str]) -> dict[str, dict]:
    """Who each speaker label of a transcript is: ``interviewer`` (bool), ``informant`` (the
    informant code the turn is attributed to) and ``by`` (how it was decided: ``label``, ``front
    matter``, ``guess``). A transcript's front matter may say it (``speakers: {说话人1: interviewer,
    说话人2: R03}``); labels the pipeline knows decide themselves (访谈者, 受访者, an informant
    code); speakers numbered by a tool and not mapped are guessed — the one whose turns hold the
    largest share of questions is the interviewer — and the guess is reported."""
    mapping = tr.meta.get("speakers") if isinstance(tr.meta.get("speakers"), dict) else {}
    mapping = {str(k).strip(): str(v).strip() for k, v in mapping.items()}
    out: dict[str, dict] = {}
    unknown: list[str] = []
    for label in dict.fromkeys(labels):
        if label is None:
            out[label] = {"interviewer": False, "informant": tr.informant, "by": "no label"}
        elif label in mapping:
            v = mapping[label]
            if v.lower() == "interviewer" or v in INTERVIEWER_LABELS or v in asking:
                out[label] = {"interviewer": True, "informant": tr.informant, "by": "front matter"}
            elif v in codes:
                out[label] = {"interviewer": False, "informant": v, "by": "front matter"}
            else:
                out[label] = {"interviewer": False, "informant": tr.informant, "by": "front matter"}
        elif label in asking:
            out[label] = {"interviewer": True, "informant": tr.informant, "by": "label"}
        elif label in codes:
            out[label] = {"interviewer": False, "informant": label, "by": "label"}
        elif label in RESPONDENT_LABELS or label.startswith("[姓名:"):
            out[label] = {"interviewer": False, "informant": tr.informant, "by": "label"}
        else:
            unknown.append(label)
    if unknown:
        def question_share(label: str) -> float:
            said = [t for lab, t in zip(labels, texts) if lab == label]
            return sum(("？" in t or "?" in t) for t in said) / max(len(said), 1)

        known_asker = any(v["interviewer"] for v in out.values())
        asker = None if known_asker or len(unknown) + len(out) < 2 else max(unknown, key=question_share)
        for label in unknown:
            out[label] = {"interviewer": label == asker, "informant": tr.informant, "by": "guess"}
    return out


def segment(tr: Transcript, roster: pd.DataFrame, seg, label_re=None,
            asking: set[str] | None = None, session: int | None = None,
            cases: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per sentence of every turn, with the roster's case attributes (``label_re`` and
    ``asking`` may be computed once for many transcripts). Segment ids are
    ``<informant>-<turn>-<sentence>``, or ``<informant>.<session>-…`` when an informant has
    several transcripts (numbered in file-name order). Who speaks each turn:
    :func:`speaker_roles`; a speaker named in a header line that the roster does not know is shown
    as ``说话人N`` (its name is never copied into the speaker column). The table of speakers of
    the transcript is in ``.attrs["speakers"]``."""
    mapping = tr.meta.get("speakers") if isinstance(tr.meta.get("speakers"), dict) else {}
    if mapping:
        label_re = label_pattern(roster, frozenset(str(k).strip() for k in mapping))
    label_re = label_re or label_pattern(roster)
    asking = asking if asking is not None else interviewer_labels(roster)
    codes = set(cases) if cases is not None else set(roster["informant"].astype(str))

    def case_of(code: str) -> dict:
        return cases[code] if cases is not None else roster.loc[roster["informant"] == code].iloc[0].to_dict()

    stem = tr.informant if session is None else f"{tr.informant}.{session}"
    tt = turns(tr.text, label_re)
    labels = [t["speaker"] for t in tt]
    roles = speaker_roles(labels, [tr.text[t["start"]:t["end"]] for t in tt], tr, asking, codes)
    shown: dict = {}
    for lab in roles:
        if lab is None:
            shown[lab] = tr.informant
        elif roles[lab]["by"] == "guess" and not re.fullmatch(TOOL_SPEAKER, lab):
            shown[lab] = f"说话人{len([v for v in shown.values() if str(v).startswith('说话人')]) + 1}"
        else:
            shown[lab] = lab
    rows = []
    for t_i, t in enumerate(tt):
        who = roles[t["speaker"]]
        case = case_of(who["informant"])
        for s_i, (a, b) in enumerate(sentences(tr.text, t["start"], t["end"])):
            text = tr.text[a:b]
            rows.append({"segment_id": f"{stem}-{t_i + 1:03d}-{s_i + 1:02d}", "document": tr.document,
                         "informant": who["informant"], "role": case.get("role"), "community": case.get("community"),
                         "speaker": shown[t["speaker"]], "is_interviewer": who["interviewer"], "turn": t_i + 1,
                         "start": a, "end": b, "text": text, "tokens": seg.tokens(text) if seg else []})
    out = pd.DataFrame(rows)
    out.attrs["speakers"] = [
        {"document": tr.document, "speaker": shown[lab], "interviewer": roles[lab]["interviewer"],
         "informant": roles[lab]["informant"], "assigned_by": roles[lab]["by"],
         "turns": sum(1 for x in labels if x == lab),
         "characters": sum(t["end"] - t["start"] for t in tt if t["speaker"] == lab)} for lab in roles]
    return out
