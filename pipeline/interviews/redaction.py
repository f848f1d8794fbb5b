"""Redaction of transcripts: names from the roster (with their short forms, given names, dotted
and traditional variants) and every kind of personal data of :mod:`pipeline.core.privacy`,
before anything is written; offsets of a coder's original text mapped onto the redacted text."""

from __future__ import annotations

import pandas as pd

from pipeline.core.privacy import Names, redact_spans
from pipeline.core.textnorm import normalise_text as normalise


def redact_text(text: str, names: dict[str, str] | Names) -> tuple[str, list[tuple[str, int, int, int, int]]]:
    """Personal data, names and their short forms (杜主任, 老张) replaced
    (:func:`pipeline.core.privacy.redact_spans`); a short form carries the informant code when exactly
    one person on the roster/names list has that surname. Pass a prepared
    :class:`~pipeline.core.privacy.Names` when redacting many texts."""
    if not isinstance(names, Names):
        names = Names(names)
    return redact_spans(text, names, names.short, names.surname_codes)


def document_name(name: str, names: dict[str, str]) -> str:
    """A transcript's file name as the outputs show it: names and numbers in it redacted like the
    text (张三访谈.txt → [姓名:R02]访谈.txt), so that a file named after a person leaks nothing."""
    return redact_text(normalise(name), names)[0]


def source_to_text(positions, redactions: pd.DataFrame, side: str = "start"):
    """Map offsets in the normalised text *before* redaction (what a coder sees in the original
    transcript) to offsets in the redacted text the pipeline works on.

    ``redactions`` are one document's rows of ``redactions.csv`` (start, end, source_start,
    source_end). A position inside a replaced name or number moves to the placeholder's start
    (``side='start'``) or end (``side='end'``).
    """
    import numpy as np

    pos = np.asarray(positions, dtype=np.int64)
    if redactions is None or len(redactions) == 0:
        return pos
    r = redactions.sort_values("source_start")
    s0, s1 = r["source_start"].to_numpy(np.int64), r["source_end"].to_numpy(np.int64)
    t0, t1 = r["start"].to_numpy(np.int64), r["end"].to_numpy(np.int64)
    growth = np.concatenate([[0], np.cumsum((t1 - t0) - (s1 - s0))])
    k = np.searchsorted(s1, pos, side="right")        # replacements that end at or before pos
    out = pos + growth[k]
    j = np.searchsorted(s0, pos, side="right") - 1     # the replacement that may contain pos
    inside = (j >= 0) & (j < len(s0)) & (pos > s0[np.clip(j, 0, None)]) & (pos < s1[np.clip(j, 0, None)])
    jj = np.clip(j, 0, None)
    out = np.where(inside, t0[jj] if side == "start" else t1[jj], out)
    return out


def source_length(text_length: int, redactions: pd.DataFrame) -> int:
    """Length of the text before redaction, from the redacted length and the redactions."""
    if redactions is None or len(redactions) == 0:
        return text_length
    grew = ((redactions["end"] - redactions["start"]) - (redactions["source_end"] - redactions["source_start"])).sum()
    return int(text_length - grew)
