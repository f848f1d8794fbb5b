"""The review loop that grows a study's evidence (``renewal review``; docs/review.md).

1. ``renewal review --study S`` (also run by ``make``) writes ``review/review.xlsx`` and
   ``review/review.qdpx``: the codings worth a human look, one per row, each with where it came
   from — a coder's suggestion (``suggester`` or a plug-in with ``use: suggest``), a rule
   *near-miss* (a keyword or pattern matched but a negation or an exclusion pattern cancelled
   it), a *keyword expansion* (a word of the study's own corpus that mostly occurs in sentences
   the rules coded with a code, found in a sentence they did not) or a *doubt* (a rule coding a
   model scores below 0.1: rejecting it removes the coding, so the sheet audits the rules'
   precision as well as their recall).
2. A coder marks each row 接受/拒绝 (or accept/reject, 1/0, 是/否) in the ``decision`` column
   — or, in the .qdpx, keeps or deletes the suggested codings in NVivo, ATLAS.ti, MAXQDA or
   QualCoder — and ``renewal review --study S --import FILE`` adds the decisions to the study's
   decisions file (``interviews.review``, default ``review_decisions.csv`` next to the study).
3. The next run of the code stage applies them — an accepted coding is added, a rejected one
   removed, whoever made it — and trains the suggester on them as well as on the gold; this
   stage then scores every source by its acceptance rate (``review/review_agreement.csv``) and
   proposes codebook keywords with their evidence counts (``review/keyword_proposals.csv``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError
from pipeline.interviews.decisions import (
    DECISION_COLUMNS,
    decision_value,
    read_decisions,
)

SOURCES = ("suggester", "doubt", "near_miss", "expansion")
NUMERIC_WORD = re.compile(r"^[\d一二两三四五六七八九十百千万几半第上下前后每]+(?:[年月日天周次个回遍户层楼号岁]|$)")
MIN_CHARACTERS = 5   # a shorter sentence ("难。", "两年。") is not proposed: it reads only in its context
PER_CODE = 15          # at most this many doubts, near-misses and expansions per code and source


# ---- candidates ----------------------------------------------------------------------------

def near_misses(coder, segments: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    """Rule matches a negation or an exclusion pattern cancelled, on sentences the code was not
    given: (segment_id, code, evidence)."""
    speaking = segments[~segments["is_interviewer"]]
    done = set(zip(codings["segment_id"], codings["code"]))
    rows = []
    for sid, found in zip(speaking["segment_id"], coder.near_misses_many(speaking["text"].tolist())):
        for m in found:
            if (sid, m["code"]) not in done:
                rows.append({"segment_id": sid, "code": m["code"], "score": np.nan,
                             "evidence": f"「{m['match']}」 {m['why']}"})
    out = pd.DataFrame(rows, columns=["segment_id", "code", "score", "evidence"])
    return out.drop_duplicates(["segment_id", "code"]).reset_index(drop=True)


def _word_index(segments: pd.DataFrame, *, numbers: bool = True) -> tuple[dict[str, set], dict[str, list]]:
    """The informant sentences' words of two or more characters (without numbers, counts and
    dates when ``numbers`` is False): sentence → words, and word → sentences in corpus order."""
    speaking = segments[~segments["is_interviewer"]]
    toks = {sid: set(t for t in ts if len(t) >= 2 and (numbers or not NUMERIC_WORD.match(t)))
            for sid, ts in zip(speaking["segment_id"], speaking["tokens"])}
    index: dict[str, list] = {}
    for sid, ts in toks.items():
        for t in ts:
            index.setdefault(t, []).append(sid)
    return toks, index


def keyword_expansion(segments: pd.DataFrame, codings: pd.DataFrame, book, *, min_count: int = 3,
                      min_share: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Words of the study's own corpus that keep company with a code: a word in at least
    ``min_count`` sentences coded with it, at least ``min_share`` of its sentences coded with it,
    and not already inside one of the code's keywords; numbers, counts and dates (两年, 第一次)
    are not words of a topic. Returns the words (code, word, coded, sentences, share) and the
    sentences with such a word the code was not given (candidates). Only the rules' codings count:
    a model's codings would propose their own vocabulary back."""
    toks, index = _word_index(segments, numbers=False)
    df = {t: len(sids) for t, sids in index.items()}
    if "coder" in codings.columns:
        codings = codings[codings["coder"] == "rules"]
    coded = codings.groupby("code")["segment_id"].apply(set).to_dict()
    words, cands = [], []
    for code, (_, c) in book.codes.items():
        sids = coded.get(code, set()) & toks.keys()
        keywords = [k for k in c.keywords]
        count: dict[str, int] = {}
        for sid in sids:
            for t in toks[sid]:
                count[t] = count.get(t, 0) + 1
        for t, k in count.items():
            share = k / df[t]
            if k >= min_count and share >= min_share and share < 1 and not any(t in kw for kw in keywords):
                words.append({"code": code, "word": t, "coded": k, "sentences": df[t], "share": round(share, 6)})
    words = pd.DataFrame(words, columns=["code", "word", "coded", "sentences", "share"]).sort_values(
        ["code", "share", "coded", "word"], ascending=[True, False, False, True], kind="stable").reset_index(drop=True)
    for code, g in words.groupby("code", sort=True):
        have = coded.get(code, set())
        for w in g.itertuples(index=False):
            for sid in index.get(w.word, ()):
                if sid not in have:
                    cands.append({"segment_id": sid, "code": code, "score": w.share,
                                  "evidence": f"「{w.word}」: {w.coded} of its {w.sentences} sentences are coded {code}"})
    cands = pd.DataFrame(cands, columns=["segment_id", "code", "score", "evidence"])
    return words, cands.drop_duplicates(["segment_id", "code"]).reset_index(drop=True)


def _context(segments: pd.DataFrame) -> tuple[dict, dict]:
    """The sentence before and after each segment in its document (any speaker)."""
    before, after = {}, {}
    for _, g in segments.sort_values(["document", "start"], kind="stable").groupby("document", sort=False):
        ids, texts = g["segment_id"].tolist(), g["text"].tolist()
        for i, sid in enumerate(ids):
            before[sid] = texts[i - 1] if i else ""
            after[sid] = texts[i + 1] if i + 1 < len(ids) else ""
    return before, after


def candidates(segments: pd.DataFrame, codings: pd.DataFrame, suggestions: pd.DataFrame | None, book,
               decided: set | None = None, doubts: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The review sheet's rows (one per sentence and code, the strongest source first) and the
    keyword-expansion words behind them."""
    from pipeline.interviews.coding import Coder

    parts = []
    if suggestions is not None and len(suggestions):
        sug = suggestions.rename(columns={"probability": "score"})
        sug = sug[sug["text"].astype(str).map(lambda t: len(re.sub(r"\W", "", t)) >= MIN_CHARACTERS)]
        src = sug["source"] if "source" in sug else "suggester"
        parts.append(sug.assign(source=src, evidence=lambda d: d["source"] + " " + d["score"].map("{:.2f}".format))
                     [["segment_id", "code", "score", "evidence", "source"]])
    if doubts is not None and len(doubts):   # rule codings a model finds improbable, least probable first
        dd = doubts.rename(columns={"probability": "score"})
        dd = dd.assign(evidence=[f"{r.rule[:40]} 「{r.evidence[:30]}」; {r.source} {r.score:.2f}"
                                 for r in dd.itertuples(index=False)], source="doubt")
        parts.append(dd.groupby("code", sort=True).head(PER_CODE)[["segment_id", "code", "score", "evidence", "source"]])
    nm = near_misses(Coder(book), segments, codings).assign(source="near_miss")
    parts.append(nm.groupby("code", sort=True).head(PER_CODE))
    words, exp = keyword_expansion(segments, codings, book)
    exp = exp.sort_values(["code", "score", "segment_id"], ascending=[True, False, True], kind="stable")
    parts.append(exp.assign(source="expansion").groupby("code", sort=True).head(PER_CODE))
    cand = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=["segment_id", "code", "score", "evidence", "source"])
    cand = cand.drop_duplicates(["segment_id", "code"], keep="first")   # suggestions, then near-misses, then words
    if decided:
        cand = cand[np.array([(s, c) not in decided for s, c in zip(cand["segment_id"], cand["code"])], dtype=bool)]
    seg = segments.set_index("segment_id")
    before, after = _context(segments)
    labels = {cid: c.label.zh for cid, (_, c) in book.codes.items()}
    order = {c: i for i, c in enumerate(book.codes)}
    cand = cand.assign(_o=cand["code"].map(order)).sort_values(["_o", "source", "segment_id"], kind="stable")
    rows = pd.DataFrame({
        "source": cand["source"].to_numpy(), "code": cand["code"].to_numpy(),
        "label_zh": cand["code"].map(labels).to_numpy(), "score": cand["score"].astype(float).round(6).to_numpy(),
        "document": seg.loc[cand["segment_id"], "document"].to_numpy(),
        "informant": seg.loc[cand["segment_id"], "informant"].to_numpy(),
        "role": seg.loc[cand["segment_id"], "role"].to_numpy(), "segment_id": cand["segment_id"].to_numpy(),
        "start": seg.loc[cand["segment_id"], "start"].astype(int).to_numpy(),
        "end": seg.loc[cand["segment_id"], "end"].astype(int).to_numpy(),
        "before": cand["segment_id"].map(before).to_numpy(), "text": seg.loc[cand["segment_id"], "text"].to_numpy(),
        "after": cand["segment_id"].map(after).to_numpy(), "evidence": cand["evidence"].to_numpy()})
    rows.insert(0, "item", [f"C{i:04d}" for i in range(1, len(rows) + 1)])
    return rows.assign(decision="", reviewer="", note=""), words


def review_agreement(decisions: pd.DataFrame, book) -> pd.DataFrame:
    """How often a reviewer accepted each source's proposals, by code and overall."""
    cols = ["source", "code", "judged", "accepted", "rejected", "acceptance"]
    if decisions.empty:
        return pd.DataFrame(columns=cols)
    d = decisions.assign(source=decisions["source"].replace("", "reviewer"),
                         acc=decisions["decision"] == "accept")
    order = {c: i for i, c in enumerate(book.codes)}
    by = (d.groupby(["source", "code"]).agg(judged=("acc", "size"), accepted=("acc", "sum")).reset_index())
    tot = d.groupby("source").agg(judged=("acc", "size"), accepted=("acc", "sum")).reset_index().assign(code="(all)")
    out = pd.concat([by.assign(_o=by["code"].map(order)), tot.assign(_o=-1)], ignore_index=True)
    out = out.sort_values(["source", "_o"], kind="stable").drop(columns="_o")
    out["rejected"] = out["judged"] - out["accepted"]
    out["acceptance"] = out["accepted"] / out["judged"]
    return out[cols].reset_index(drop=True)


def keyword_proposals(decisions: pd.DataFrame, segments: pd.DataFrame, codings: pd.DataFrame, book,
                      min_accepted: int = 2) -> pd.DataFrame:
    """Words the codebook could add to a code, with their evidence: sentences a reviewer accepted
    with the code that the rules had missed and that hold the word (``accepted``), those rejected
    (``rejected``), sentences of the corpus with the word (``sentences``) and how many of those
    now carry the code (``coded``; ``share`` = coded / sentences, what the keyword's precision
    would be on this corpus). Words already inside one of the code's keywords are left out."""
    cols = ["code", "word", "accepted", "rejected", "sentences", "coded", "share", "example"]
    if decisions.empty:
        return pd.DataFrame(columns=cols)
    toks, index = _word_index(segments)
    speaking = segments[~segments["is_interviewer"]]
    text = dict(zip(speaking["segment_id"], speaking["text"]))
    df = {t: len(sids) for t, sids in index.items()}
    coded = codings.groupby("code")["segment_id"].apply(set).to_dict()
    rules = set(zip(codings.loc[codings["coder"] == "rules", "segment_id"], codings.loc[codings["coder"] == "rules", "code"])) \
        if "coder" in codings else set()
    rows = []
    for code, g in decisions.groupby("code", sort=False):
        kws = book.codes[code][1].keywords
        acc = [s for s, dec in zip(g["segment_id"], g["decision"]) if dec == "accept" and (s, code) not in rules]
        rej = [s for s, dec in zip(g["segment_id"], g["decision"]) if dec == "reject"]
        count: dict[str, list] = {}
        for sid in acc:
            for t in toks.get(sid, ()):
                count.setdefault(t, []).append(sid)
        for t, sids in count.items():
            if len(sids) < min_accepted or any(t in k for k in kws):
                continue
            k = len(set(index[t]) & coded.get(code, set()))
            rows.append({"code": code, "word": t, "accepted": len(sids), "rejected": sum(t in toks.get(s, ()) for s in rej),
                         "sentences": df[t], "coded": k, "share": round(k / df[t], 6),
                         "example": text[sorted(sids)[0]]})
    out = pd.DataFrame(rows, columns=cols)
    order = {c: i for i, c in enumerate(book.codes)}
    return (out.assign(_o=out["code"].map(order))
            .sort_values(["_o", "share", "accepted", "word"], ascending=[True, False, False, True], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


SHEET = "待审"
README_ROWS = [
    ("这是什么", "程序编码中值得人工复核的条目：每行一个语句 × 一个代码。来源（source）：suggester = 有监督建议器"
                 "（在人工编码上训练，概率见 score）；near_miss = 规则命中但被否定词或排除模式取消；expansion = 本研究语料中"
                 "与该代码高度共现的词出现在未编码语句中；其他名称 = 研究文件中 use: suggest 的编码器。"),
    ("怎么做", "在 decision 列填“接受”或“拒绝”（也可填 accept/reject、1/0、是/否），不确定的留空。可在 note 列写理由。"
               "不要改动 document、start、end、code、text 列：导入时按它们找回语句。"),
    ("导入", "renewal review --study study.yaml --import review.xlsx --reviewer 编码员代号；之后 make（或 renewal run）"
             "重新编码：接受的编码加入、拒绝的编码删除（人工决定优先于任何程序编码），建议器同时用这些决定训练。"),
    ("用 QDA 软件复核", "也可在 NVivo、ATLAS.ti、MAXQDA 或 QualCoder 中打开 review.qdpx：用户“review”的编码即待审条目，"
                        "删除错误的、保留正确的，导出 .qdpx 后同样用 --import 导入（保留 = 接受，删除 = 拒绝，新增 = 接受）。"),
    ("隐私", "文本已按访谈阶段的规则去标识化（姓名、电话、证件号已替换）。reviewer 列只记在研究文件夹的决定文件中，不进入 outputs/。"),
]


def write_workbook(path: Path, rows: pd.DataFrame, book) -> None:
    """review.xlsx: 说明 (how to), 待审 (the rows, a decision list on each), 编码手册 (codes and
    definitions); cells neutralised, byte-reproducible."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from pipeline.core.stage import FIXED_TIME, neutralise, normalise_zip, write_bytes

    def cell(v):
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return None if math.isnan(v) else float(v)
        return neutralise(str(v)) if v is not None else None

    wb = Workbook()
    ws = wb.active
    ws.title = "说明"
    for r, (k, v) in enumerate(README_ROWS, start=1):
        ws.cell(row=r, column=1, value=k).font = Font(bold=True)
        ws.cell(row=r, column=2, value=v).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100
    ws = wb.create_sheet(SHEET)
    cols = list(rows.columns)
    for j, c in enumerate(cols, start=1):
        ws.cell(row=1, column=j, value=c).font = Font(bold=True)
    for i, r in enumerate(rows.itertuples(index=False), start=2):
        for j, v in enumerate(r, start=1):
            ws.cell(row=i, column=j, value=cell(v))
    widths = {"text": 60, "before": 30, "after": 30, "evidence": 36, "label_zh": 14, "decision": 10, "note": 20}
    from openpyxl.utils import get_column_letter

    for j, c in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(c, 11)
        if c in ("text", "before", "after", "evidence"):
            for i in range(2, len(rows) + 2):
                ws.cell(row=i, column=j).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    if len(rows):
        dv = DataValidation(type="list", formula1='"接受,拒绝"', allow_blank=True)
        col = get_column_letter(cols.index("decision") + 1)
        dv.add(f"{col}2:{col}{len(rows) + 1}")
        ws.add_data_validation(dv)
    ws = wb.create_sheet("编码手册")
    heads = ["code", "label_zh", "label_en", "definition", "include", "exclude"]
    for j, c in enumerate(heads, start=1):
        ws.cell(row=1, column=j, value=c).font = Font(bold=True)
    for i, (_, c) in enumerate(book.codes.values(), start=2):
        for j, v in enumerate([c.id, c.label.zh, c.label.en, c.definition, c.include, c.exclude], start=1):
            ws.cell(row=i, column=j, value=cell(v)).alignment = Alignment(wrap_text=True, vertical="top")
    for j, w in enumerate([24, 14, 24, 60, 50, 50], start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    wb.properties.creator = "renewal-pipeline"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    write_bytes(Path(path), normalise_zip(buf.getvalue(), FIXED_TIME))


def run(study) -> dict:
    """The review stage: coding/ → review/ (see the module doc)."""
    from pipeline.core.stage import read_csv, write_tables
    from pipeline.interviews.codebook import load_codebook
    from pipeline.interviews.qdpx import export_qdpx
    from pipeline.interviews.redaction import document_name

    book_path = study.definition("coding_scheme")
    book = load_codebook(book_path)
    iv, co = study.stage_dir("interviews"), study.stage_dir("coding")
    segments = pd.read_parquet(iv / "segments.parquet")
    codings = pd.read_parquet(co / "codings.parquet")
    sug_path = co / "suggestions.csv"
    suggestions = read_csv(sug_path, dtype={"segment_id": str}) if sug_path.exists() else None
    doubt_path = co / "doubts.csv"
    doubts = read_csv(doubt_path, dtype={"segment_id": str}, keep_default_na=False) if doubt_path.exists() else None
    decisions = pd.DataFrame(columns=["segment_id", "code", "decision", "source", "reviewer"])
    inputs = [iv / "segments.parquet", co / "codings.parquet"] + [p for p in (sug_path, doubt_path) if p.exists()]
    log: dict = {}
    if study.review_path.exists():
        decisions, log["decisions"] = read_decisions(study.review_path, segments, book)
        inputs.append(study.review_path)
    decided = set(zip(decisions["segment_id"], decisions["code"]))
    rows, words = candidates(segments, codings, suggestions, book, decided, doubts)
    docs = pd.read_parquet(iv / "documents.parquet", columns=["document", "informant", "text"])
    cases = read_csv(iv / "cases.csv", dtype=str, keep_default_na=False)
    tables = {"candidates": rows.drop(columns=["decision", "reviewer", "note"]),
              "expansion_words": words,
              "review_agreement": review_agreement(decisions, book),
              "keyword_proposals": keyword_proposals(decisions, segments, codings, book)}
    log.update({"candidates": int(len(rows)),
                "by_source": {k: int(v) for k, v in rows["source"].value_counts().sort_index().items()},
                "already_decided": int(len(decided)), "keyword_proposals": int(len(tables["keyword_proposals"]))})
    names = study.personal_names
    label = lambda rel: document_name(study.redact_label(rel), names)
    with study.output("review", "review", inputs, [book_path], label=label) as tmp:
        write_workbook(tmp / "review.xlsx", rows, book)
        both = pd.concat([codings[["document", "start", "end", "code"]].assign(coder="pipeline"),
                          rows[["document", "start", "end", "code"]].assign(coder="review")], ignore_index=True)
        export_qdpx(tmp / "review.qdpx", docs, cases, book, both, project_name=study.redact_label(study.name) + " review")
        write_tables(tables, log, tmp, "review_log.json")
    return log


def summary(log: dict) -> str:
    src = ", ".join(f"{k} {v}" for k, v in log["by_source"].items()) or "none"
    line = f"review: {log['candidates']} codings to review ({src}) → review/review.xlsx, review.qdpx"
    if "decisions" in log:
        d = log["decisions"]
        line += (f"\n  decisions so far: {d['accepted']} accepted, {d['rejected']} rejected"
                 + (f", {d['stale']} stale (their sentence changed)" if d["stale"] else "")
                 + f"; {log['keyword_proposals']} keyword proposals")
    return line


# ---- import --------------------------------------------------------------------------------

def _read_sheet(path: Path) -> pd.DataFrame:
    from pipeline.core.stage import unneutralise

    try:
        xl = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as e:  # not a workbook we can read
        raise InputError(f"cannot read the workbook ({type(e).__name__}: {e})", file=path) from None
    sheet = SHEET if SHEET in xl else next((k for k, v in xl.items() if {"decision", "code"} <= set(v.columns)), None)
    if sheet is None:
        raise InputError(f"no sheet '{SHEET}' (or any sheet with code and decision columns)", file=path)
    df = xl[sheet]
    missing = [c for c in ["document", "start", "end", "code", "decision"] if c not in df.columns]
    if missing:
        raise InputError(f"the sheet needs the columns document, start, end, code, decision; missing {missing}",
                         file=path, key=sheet)
    return df.map(lambda v: unneutralise(v) if isinstance(v, str) else v)


def _from_qdpx(path: Path, study, book) -> pd.DataFrame:
    """Decisions from a review.qdpx a coder edited: a candidate still there is accepted, one
    deleted rejected, a new coding (not the pipeline's) accepted."""
    from pipeline.core.stage import read_csv
    from pipeline.interviews.qdpx import read_qdpx

    cand_path = study.stage_dir("review") / "candidates.csv"
    if not cand_path.exists():
        raise InputError("importing a .qdpx needs the review stage's candidates.csv: run the review stage first",
                         file=cand_path)
    cand = read_csv(cand_path, dtype={"segment_id": str, "document": str})
    got = read_qdpx(path, codebook=book)["codings"]
    kept = set(zip(got["document"], got["start"], got["end"], got["code"]))
    rows = []
    for r in cand.itertuples(index=False):
        rows.append({"document": r.document, "start": r.start, "end": r.end, "code": r.code,
                     "decision": "accept" if (r.document, r.start, r.end, r.code) in kept else "reject",
                     "source": r.source, "text": r.text})
    cands = set(zip(cand["document"], cand["start"], cand["end"], cand["code"]))
    codings = pd.read_parquet(study.stage_dir("coding") / "codings.parquet")
    ours = set(zip(codings["document"], codings["start"], codings["end"], codings["code"]))
    for g in got.itertuples(index=False):
        key = (g.document, g.start, g.end, g.code)
        if key in cands or key in ours or g.code not in book.codes:
            continue
        rows.append({"document": g.document, "start": g.start, "end": g.end, "code": g.code, "decision": "accept",
                     "source": "added in review", "text": ""})
    return pd.DataFrame(rows)


def import_review(study, file: str | Path, reviewer: str | None = None) -> dict:
    """Add a reviewed workbook's (or .qdpx's) decisions to the study's decisions file; undecided
    rows are skipped, a bad decision stops with the file, row, column and value."""
    from pipeline.core.stage import write_csv
    from pipeline.interviews.codebook import load_codebook

    path = Path(file)
    if not path.is_file():
        raise InputError("the reviewed file does not exist", file=path)
    book = load_codebook(study.definition("coding_scheme"))
    if path.suffix.lower() == ".qdpx":
        df = _from_qdpx(path, study, book)
    else:
        df = _read_sheet(path)
    for c in ("source", "reviewer", "text", "note"):
        if c not in df.columns:
            df[c] = ""
    rows, undecided = [], 0
    for i, r in enumerate(df.to_dict("records")):
        dec = decision_value(r["decision"])
        if dec is None:
            undecided += 1
            continue
        where = {"file": path, "row": i + 2}
        if dec == "?":
            raise InputError("decision must be 接受/拒绝 (accept/reject, 1/0, 是/否) or empty", column="decision",
                             value=r["decision"], **where)
        code = str(r["code"]).strip()
        if code not in book.codes:
            raise InputError("code is not in the codebook", column="code", value=r["code"], **where)
        for c in ("start", "end"):
            v = pd.to_numeric(pd.Series([r[c]]), errors="coerce").iloc[0]
            if pd.isna(v) or v < 0 or v != int(v):
                raise InputError("offsets must be whole numbers ≥ 0", column=c, value=r[c], **where)
        who = reviewer or ("" if pd.isna(r["reviewer"]) else str(r["reviewer"]))
        rows.append({"document": str(r["document"]), "start": int(float(r["start"])), "end": int(float(r["end"])),
                     "code": code, "decision": dec, "source": "" if pd.isna(r["source"]) else str(r["source"]),
                     "reviewer": who, "text": "" if pd.isna(r["text"]) else str(r["text"])})
    new = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    target = study.review_path
    out = target.resolve()
    if out == study.out.resolve() or study.out.resolve() in out.parents:
        raise InputError("the decisions file must not lie in the outputs folder (it is the study's input)",
                         file=study.path, key="interviews.review", value=str(target))
    old = pd.DataFrame(columns=DECISION_COLUMNS)
    if target.exists():
        from pipeline.core.tables import read_frame

        old = read_frame(target).reindex(columns=DECISION_COLUMNS).fillna("")
    both = pd.concat([old.astype(str), new.astype(str)], ignore_index=True)
    both = both.drop_duplicates(["document", "start", "end", "code"], keep="last").reset_index(drop=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_csv(both, target)
    return {"file": str(path), "decisions_file": str(target), "accepted": int((new["decision"] == "accept").sum()),
            "rejected": int((new["decision"] == "reject").sum()), "undecided": undecided,
            "total_decisions": int(len(both)), "study": str(study.path)}


def import_summary(res: dict) -> str:
    return (f"imported {res['accepted']} accepted and {res['rejected']} rejected codings from {res['file']} "
            f"({res['undecided']} rows left undecided) → {res['decisions_file']} ({res['total_decisions']} decisions "
            f"in all)\nnext: make (or renewal run --study {res['study']}) recodes with them")
