"""Reviewers' decisions on codings (``interviews.review``, written by ``renewal review --import``):
reading them onto the current segments and applying them to the codings — a human decision
comes before any coder (pipeline/interviews/coders.py)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError

DECISION_COLUMNS = ["document", "start", "end", "code", "decision", "source", "reviewer", "text"]
ACCEPT = {"接受", "是", "对", "采纳", "同意", "y", "yes", "accept", "accepted", "1", "true", "√", "✓", "✔"}
REJECT = {"拒绝", "否", "错", "不采纳", "不同意", "n", "no", "reject", "rejected", "0", "false", "×", "✗", "✘", "x"}

def decision_value(v: object) -> str | None:
    """'accept', 'reject' or None (undecided) from what a coder typed."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = re.sub(r"\s+", "", str(v)).lower()
    if s.endswith(".0"):
        s = s[:-2]
    if not s:
        return None
    if s in ACCEPT:
        return "accept"
    if s in REJECT:
        return "reject"
    return "?"


# ---- decisions -----------------------------------------------------------------------------

def read_decisions(path: Path, segments: pd.DataFrame, book) -> tuple[pd.DataFrame, dict]:
    """The study's decisions file, mapped onto the current segments: (segment_id, code,
    decision, source, reviewer), the latest decision on a (segment, code) winning. A decision
    whose sentence no longer exists or reads differently (the transcript was edited) is left
    out and counted as stale."""
    from pipeline.core.tables import read_frame

    df = read_frame(path)
    missing = [c for c in ["document", "start", "end", "code", "decision"] if c not in df.columns]
    if missing:
        raise InputError(f"a decisions file needs the columns document, start, end, code, decision; missing {missing}",
                         file=path)
    for c in ("source", "reviewer", "text"):
        if c not in df.columns:
            df[c] = ""
    by_doc = {d: g for d, g in segments[~segments["is_interviewer"]].groupby("document", sort=False)}
    rows, stale = [], 0
    for i, r in enumerate(df.itertuples(index=False)):
        where = {"file": path, "row": i + 2}
        code = str(r.code).strip()
        if code not in book.codes:
            raise InputError("code is not in the codebook", column="code", value=r.code, **where)
        dec = decision_value(r.decision)
        if dec not in ("accept", "reject"):
            raise InputError("decision must be accept or reject", column="decision", value=r.decision, **where)
        try:
            a, b = int(float(r.start)), int(float(r.end))
        except (TypeError, ValueError):
            raise InputError("offsets must be whole numbers", column="start", value=r.start, **where) from None
        g = by_doc.get(str(r.document))
        sid = None
        if g is not None:
            s, e = g["start"].to_numpy(), g["end"].to_numpy()
            overlap = np.minimum(e, b) - np.maximum(s, a)
            if (overlap > 0).any():
                j = int(np.argmax(overlap))
                text = str(r.text or "").strip()
                if not text or text == str(g["text"].iloc[j]).strip():
                    sid = g["segment_id"].iloc[j]
        if sid is None:
            stale += 1
            continue
        rows.append({"segment_id": sid, "code": code, "decision": dec, "source": str(r.source or ""),
                     "reviewer": str(r.reviewer or "")})
    out = pd.DataFrame(rows, columns=["segment_id", "code", "decision", "source", "reviewer"])
    out = out.drop_duplicates(["segment_id", "code"], keep="last").reset_index(drop=True)
    log = {"decisions": int(len(df)), "applied_to_sentences": int(len(out)), "stale": stale,
           "accepted": int((out["decision"] == "accept").sum()), "rejected": int((out["decision"] == "reject").sum())}
    return out, log


def apply_decisions(codings: pd.DataFrame, decisions: pd.DataFrame, segments: pd.DataFrame
                    ) -> tuple[pd.DataFrame, dict]:
    """Codings with the reviewers' word applied: rejected (segment, code) pairs removed, accepted
    ones added (coder ``review``) where nobody had coded them."""
    rej = set(map(tuple, decisions.loc[decisions["decision"] == "reject", ["segment_id", "code"]].to_numpy()))
    acc = decisions[decisions["decision"] == "accept"]
    pair = list(zip(codings["segment_id"], codings["code"]))
    drop = np.array([p in rej for p in pair], dtype=bool)
    kept = codings[~drop]
    have = set(pair)
    seg = segments.set_index("segment_id")
    add = []
    for sid, code, source in acc[["segment_id", "code", "source"]].itertuples(index=False):
        if (sid, code) in have:
            continue
        s = seg.loc[sid]
        add.append({"segment_id": sid, "document": s["document"], "informant": s["informant"], "role": s["role"],
                    "code": code, "start": int(s["start"]), "end": int(s["end"]), "match_start": int(s["start"]),
                    "match_end": int(s["end"]), "rule": "review:accepted",
                    "evidence": f"accepted in review ({source or 'reviewer'})", "n_matches": 0, "coder": "review"})
    out = pd.concat([kept, pd.DataFrame(add, columns=codings.columns)], ignore_index=True) if add else kept
    return out.reset_index(drop=True), {"removed": int(drop.sum()), "added": len(add)}
