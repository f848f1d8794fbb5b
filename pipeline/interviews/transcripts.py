"""Stage 4, interviews: transcripts → redacted, segmented, tokenised text.

* Reads ``.txt``/``.md`` (UTF-8, UTF-8 with BOM, GBK/GB18030) and ``.docx``; optional YAML front
  matter (``informant:``, ``date:``…); text is NFKC-normalised (full-width → half-width,
  ``：`` → ``:``) and line ends unified.
* The informant is the front matter's ``informant`` or the file name's stem, and must be in the
  roster (``informant`` column), whose columns join as case attributes.
* Personal data are redacted before anything is written: phone, ID (checksum), e-mail and IP
  (:mod:`pipeline.core.privacy`) and the names of the roster's ``name`` column and an optional names
  list → ``[姓名:R03]`` / ``[姓名]``. Offsets refer to the redacted normalised text, which is
  the text every later stage (coding, REFI-QDA export) uses.
* Speaker turns by labels at the start of a line (访谈者/受访者, 问/答, Q/A, informant codes such
  as G1 or R03, roster names); ``[00:12:31]`` timestamps are stripped; a line without a label
  continues the turn; a text with no labels at all is one turn of the informant. Interviewer
  turns are kept and flagged. Turns are split into sentences (。！？；… and line breaks).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.privacy import COMMON_SURNAMES, redact_spans, short_name_pattern, surname
from pipeline.core.textnorm import strip_controls

# stakeholder roles of the roster's `role` column, in the order tables and figures show them
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "street_office": ("街道办", "Street office"), "residents_committee": ("居委会", "Residents' committee"),
    "property_company": ("物业公司", "Property company"), "owners_committee": ("业委会", "Owners' committee"),
    "resident": ("居民", "Residents"), "social_organisation": ("社会组织", "Social organisations"),
    "operator": ("运营方", "Operators"),
}


def role_label(role: str, lang: str = "zh") -> str:
    """A role's label in ``lang`` ('zh' or 'en'); an unknown role is its own label."""
    zh, en = ROLE_LABELS.get(role, (role, role))
    return zh if lang == "zh" else en


INTERVIEWER_LABELS = {"访谈者", "访谈员", "采访者", "调研者", "调研员", "主持人", "访问员", "问", "Q", "I", "记者"}
RESPONDENT_LABELS = {"受访者", "被访者", "答", "A", "回答"}
TEXT_SUFFIXES = (".txt", ".md", ".docx")
_TIMESTAMP = re.compile(r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*")
_SENTENCE_END = "。！？；!?;…"


@dataclass
class Transcript:
    document: str
    informant: str
    text: str                       # normalised, redacted
    meta: dict = field(default_factory=dict)
    encoding: str | None = None
    # kind, start, end in text; source_start, source_end in the normalised text before redaction
    redactions: list[tuple[str, int, int, int, int]] = field(default_factory=list)


def _decode(path: Path) -> tuple[str, str | None]:
    if path.suffix.lower() == ".docx":
        try:
            import docx
        except ImportError:  # pragma: no cover
            raise ImportError("reading .docx needs python-docx: pip install python-docx") from None
        from pipeline.survey.io.tables import check_zip

        check_zip(path, "Word document")
        try:
            d = docx.Document(str(path))
        except Exception as e:
            raise InputError(f"cannot read as a Word document ({e})", file=path) from None
        return "\n".join(p.text for p in d.paragraphs), None
    data = path.read_bytes()
    if not data.strip():
        raise InputError("the transcript is empty", file=path)
    from pipeline.survey.io.tables import detect_encoding

    enc = detect_encoding(path, data[: 1 << 20])
    try:
        return data.decode(enc), enc
    except UnicodeDecodeError as e:
        raise InputError(f"not valid {enc} at byte {e.start}", file=path, hint="save it as UTF-8") from None


def _front_matter(text: str, path: Path) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        raise InputError("front matter opened with '---' is never closed", file=path, row=1)
    from pipeline.survey.questionnaire import read_yaml_text

    meta = read_yaml_text(text[4:end], path) or {}
    if not isinstance(meta, dict):
        raise InputError("front matter must be a mapping of keys", file=path)
    rest = text[end + 4:]
    return meta, rest[1:] if rest.startswith("\n") else rest


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), one kind of line end, no control characters (which XML —
    .docx, .qdpx — cannot hold: replaced by a space)."""
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return strip_controls(text.replace("\u3000", " ").replace("\xa0", " "))


@functools.lru_cache(maxsize=8)
def _short_forms(names: tuple[tuple[str, str], ...]) -> tuple[re.Pattern, dict[str, str]]:
    by_surname: dict[str, set[str]] = {}
    for name, code in names:
        if len(name) >= 2:
            by_surname.setdefault(surname(name), set()).add(code)
    codes = {s: next(iter(c)) for s, c in by_surname.items() if len(c) == 1 and "" not in c}
    return short_name_pattern(list(COMMON_SURNAMES) + sorted(by_surname)), codes


def redact_text(text: str, names: dict[str, str]) -> tuple[str, list[tuple[str, int, int, int, int]]]:
    """Personal data, names and their short forms (杜主任, 老张) replaced
    (:func:`pipeline.core.privacy.redact_spans`); a short form carries the informant code when exactly
    one person on the roster/names list has that surname."""
    pattern, codes = _short_forms(tuple(sorted(names.items())))
    return redact_spans(text, names, pattern, codes)


INTERVIEWER_CODE = "访谈者"  # the interviewer's own name or initials become [姓名:访谈者]
INTERVIEWER_PLACEHOLDER = f"[姓名:{INTERVIEWER_CODE}]"


def document_name(name: str, names: dict[str, str]) -> str:
    """A transcript's file name as the outputs show it: names and numbers in it redacted like the
    text (张三访谈.txt → [姓名:R02]访谈.txt), so that a file named after a person leaks nothing."""
    return redact_text(normalise(name), names)[0]


def read_transcript(path: str | Path, roster: pd.DataFrame, names: dict[str, str] | None = None) -> Transcript:
    """Read, normalise and redact one transcript; the informant must be in the roster."""
    path = Path(path)
    raw, enc = _decode(path)
    meta, body = _front_matter(normalise(raw), path)
    informant = str(meta.get("informant") or path.stem).strip()
    if informant not in set(roster["informant"]):
        raise InputError(f"informant '{informant}' is not in the roster", file=path,
                         hint="name the file by the informant code or give 'informant:' in front matter")
    if not body.strip():
        raise InputError("the transcript has no text", file=path)
    text, placed = redact_text(body, names or {})
    return Transcript(document_name(path.name, names or {}), informant, text, meta, enc, placed)


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


def interviewer_labels(roster: pd.DataFrame) -> set[str]:
    """Generic interviewer labels plus the roster's ``interviewer`` column (e.g. initials LXW) and
    the placeholder those names become in the redacted text."""
    extra = set(roster["interviewer"].dropna().astype(str)) - {""} if "interviewer" in roster.columns else set()
    return INTERVIEWER_LABELS | extra | {INTERVIEWER_PLACEHOLDER}


def roster_names(roster: pd.DataFrame, names_file: Path | None = None) -> dict[str, str]:
    """Names to redact → informant code: the roster's ``name`` column (and each name's given name
    of two characters or more alone: 振邦 for 洪振邦; each part of a name written with a middle dot),
    the interviewers' names or initials of its ``interviewer`` column (→ ``访谈者``; two
    characters or more) and an optional names list (one per line, → no code). Traditional
    characters match their simplified forms (:func:`pipeline.core.privacy.name_key`)."""
    names: dict[str, str] = {}

    def add(name: str, code: str) -> None:
        name = normalise(name).strip()
        if not name:
            return
        names.setdefault(name, code)
        parts = [p for p in re.split(r"[·•・‧･.\s]+", name) if p]
        if len(parts) > 1:
            extra = [p for p in parts if len(p) >= 2]
        elif len(name) >= 3 and all("\u3400" <= ch <= "\u9fff" for ch in name):
            extra = [name[len(surname(name)):]]
        else:
            extra = []
        for p in extra:
            if len(p) >= 2:
                names.setdefault(p, code)

    if "name" in roster.columns:
        for n, code in zip(roster["name"], roster["informant"]):
            if isinstance(n, str):
                add(n, str(code))
    if "interviewer" in roster.columns:
        for v in roster["interviewer"].dropna().astype(str):
            v = normalise(v).strip()
            if len(v) >= 2 and v not in names and v not in INTERVIEWER_LABELS:
                add(v, INTERVIEWER_CODE)
    if names_file is not None:
        from pipeline.survey.questionnaire import read_text_file

        for line in read_text_file(names_file, "names list (one name per line)").splitlines():
            add(line, "")
    return names


def _label_pattern(roster: pd.DataFrame) -> re.Pattern:
    return _compiled_labels(frozenset(interviewer_labels(roster) | RESPONDENT_LABELS | set(roster["informant"].astype(str))))


@functools.lru_cache(maxsize=8)
def _compiled_labels(labels: frozenset[str]) -> re.Pattern:
    alt = "|".join(re.escape(x) for x in sorted(labels, key=lambda s: (-len(s), s)))
    return re.compile(rf"^(?:{_TIMESTAMP.pattern})?\s*(?P<label>{alt}|[A-Z]{{1,2}}\d{{1,3}}|\[姓名:[^\]]+\])\s*:\s*")


def turns(text: str, label_re: re.Pattern) -> list[dict]:
    """Speaker turns: label, start, end (offsets in text, label and timestamp excluded)."""
    out: list[dict] = []
    pos = 0
    any_label = False
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        m = label_re.match(line)
        if m:
            any_label = True
            out.append({"speaker": m.group("label"), "start": start + m.end(), "end": start + len(line)})
            continue
        ts = _TIMESTAMP.match(line)
        body_start = start + (ts.end() if ts and ts.start() == 0 else 0)
        if not line[body_start - start:].strip():
            continue
        if out:
            out[-1]["end"] = start + len(line)
        else:
            out.append({"speaker": None, "start": body_start, "end": start + len(line)})
    if not any_label:
        return [{"speaker": None, "start": t["start"], "end": t["end"]} for t in out[:1]] if out else []
    return out


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
        ts = _TIMESTAMP.match(seg.lstrip())
        lead = len(seg) - len(seg.lstrip())
        if ts:
            lead += ts.end()
        trail = len(seg) - len(seg.rstrip())
        a2, b2 = a + lead, b - trail
        if b2 > a2 and text[a2:b2].strip(_SENTENCE_END + " "):
            out.append((a2, b2))
    return out


def segment(tr: Transcript, roster: pd.DataFrame, seg, label_re: re.Pattern | None = None,
            asking: set[str] | None = None, session: int | None = None) -> pd.DataFrame:
    """One row per sentence of every turn, with the roster's case attributes (``label_re`` and
    ``asking`` may be computed once for many transcripts). Segment ids are
    ``<informant>-<turn>-<sentence>``, or ``<informant>.<session>-…`` when an informant has
    several transcripts (numbered in file-name order)."""
    label_re = label_re or _label_pattern(roster)
    asking = asking if asking is not None else interviewer_labels(roster)
    rows = []
    case = roster.loc[roster["informant"] == tr.informant].iloc[0].to_dict()
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


# roster column names that hold personal data (checked case-insensitively, after NFKC)
PERSONAL_COLUMN = re.compile(
    r"phone|mobile|^tel|telephone|e-?mail|wechat|weixin|^wx|^qq|address|addr|street_?no|house_?no|"
    r"id_?(card|no|number)|identity|passport|bank|card_?no|plate|birth|^name|_name$|full_?name|"
    r"interviewer|coder|recorder|"
    r"电话|手机|联系|座机|邮箱|微信|身份|证件|住址|地址|门牌|户号|房号|姓名|名字|银行|卡号|车牌|出生|生日|"
    r"访谈者|访谈员|访问员|调查员|采访者|记录员|编码员", re.I)


def case_table(roster: pd.DataFrame, variables: list[str], path: Path, names: dict[str, str]) -> pd.DataFrame:
    """The roster's ``informant`` column and the allowed case ``variables``, checked: a variable
    must be a roster column, its name must not look personal (:data:`PERSONAL_COLUMN`) and no
    value may hold personal data (a phone, ID or bank-card number, an e-mail, a roster name) —
    any of these is an :class:`InputError` (the value itself is never printed)."""
    for v in variables:
        if v == "informant":
            continue
        if v not in roster.columns:
            raise InputError(f"case variable '{v}' is not a roster column (columns: {list(roster.columns)})",
                             file=path, key="interviews.case_variables")
        if PERSONAL_COLUMN.search(unicodedata.normalize("NFKC", str(v))):
            raise InputError(f"roster column '{v}' looks like personal data and cannot be a case variable; "
                             "it stays out of every output", file=path, column=v, key="interviews.case_variables",
                             hint="rename the column if it holds no personal data")
        for i, value in enumerate(roster[v].tolist()):
            if value is None or (isinstance(value, float) and value != value):
                continue
            text = normalise(str(value))
            _, placed = redact_text(text, names)
            if placed:
                raise InputError(f"roster column '{v}' holds personal data ({placed[0][0]}); it cannot be a case "
                                 "variable", file=path, row=i + 2, column=v, key="interviews.case_variables")
    cols = ["informant"] + [v for v in dict.fromkeys(variables) if v != "informant"]
    return roster[cols]


def read_roster(path: Path) -> pd.DataFrame:
    from pipeline.survey.io.tables import read_frame

    df = read_frame(path)
    if "informant" not in df.columns:
        raise InputError("the roster needs an 'informant' column", file=path, row=1, hint=f"columns: {list(df.columns)}")
    dup = df["informant"][df["informant"].duplicated()]
    if len(dup):
        raise InputError("informant code appears twice in the roster", file=path, column="informant", value=dup.iloc[0],
                         row=int(dup.index[0]) + 2)
    return df


def check_codes(roster: pd.DataFrame, names: dict[str, str], path: Path) -> None:
    """Informant codes travel into every output, so none may be or hold personal data (a phone
    or ID number, a name on the roster)."""
    for i, code in enumerate(roster["informant"].astype(str)):
        _, placed = redact_text(normalise(code), names)
        if placed or code in names:
            raise InputError(f"an informant code holds personal data ({placed[0][0] if placed else 'name'}); "
                             "codes reach every output: use codes such as R01, J02", file=path, row=i + 2,
                             column="informant")


def transcript_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in TEXT_SUFFIXES and p.name.lower() != "readme.md")
    if not files:
        raise InputError("no transcripts (.txt, .md, .docx) in the folder", file=folder)
    return files


def run(study) -> dict:
    """Run the interviews stage for a loaded :class:`~pipeline.core.study.Study`."""
    from pipeline.core.stage import progress, stage_output, write_csv, write_json
    from pipeline.interviews.segmentation import DEFAULT_STOPWORDS, DEFAULT_USER_DICT, Segmenter

    cfg = study.config.interviews
    if cfg is None:
        raise InputError("the study has no 'interviews' section", file=study.path, key="interviews")
    folder = study.resolve(cfg.dir)
    roster_path = study.resolve(cfg.roster) if cfg.roster else None
    if roster_path is None:
        raise InputError("interviews need a roster (informant, role, …)", file=study.path, key="interviews.roster")
    roster = read_roster(roster_path)
    names = roster_names(roster, study.resolve(cfg.names) if cfg.names else None)
    check_codes(roster, names, roster_path)
    seg = Segmenter(user_dict=DEFAULT_USER_DICT if DEFAULT_USER_DICT.exists() else None,
                    stopwords=DEFAULT_STOPWORDS if DEFAULT_STOPWORDS.exists() else None)
    files = transcript_files(folder)
    parts, red_rows, docs = [], [], []
    label_re, asking = _label_pattern(roster), interviewer_labels(roster)
    read = [read_transcript(p, roster, names) for p in progress(files, "transcripts")]
    per_informant = pd.Series([tr.informant for tr in read]).value_counts()
    seen: dict[str, int] = {}
    for tr in read:
        several = per_informant[tr.informant] > 1
        seen[tr.informant] = seen.get(tr.informant, 0) + 1
        parts.append(segment(tr, roster, seg, label_re, asking, session=seen[tr.informant] if several else None))
        red_rows += [{"document": tr.document, "informant": tr.informant, "kind": k, "start": a, "end": b,
                      "source_start": sa, "source_end": sb} for k, a, b, sa, sb in tr.redactions]
        docs.append({"document": tr.document, "informant": tr.informant, "encoding": tr.encoding,
                     "characters": len(tr.text), "text": tr.text})
    segments = pd.concat(parts, ignore_index=True)
    redactions = pd.DataFrame(red_rows, columns=["document", "informant", "kind", "start", "end",
                                                 "source_start", "source_end"])
    cases = case_table(roster, [v for v in cfg.case_variables if v in roster.columns or v not in ("role", "community")],
                       roster_path, names)
    attrs = [c for c in cases.columns if c != "informant"]
    log = {"documents": len(files), "segments": int(len(segments)),
           "interviewer_segments": int(segments["is_interviewer"].sum()),
           "informants": int(segments["informant"].nunique()),
           "redactions": {k: int(v) for k, v in redactions["kind"].value_counts().sort_index().items()},
           "case_attributes": attrs,
           "roster_columns_withheld": [c for c in roster.columns if c not in cases.columns]}
    with stage_output(study.stage_dir("interviews"), inputs=files + [roster_path], configs=study.config_files(),
                      seed=study.config.seed, stage="interviews", base=study.dir,
                      label=lambda rel: document_name(rel, names)) as tmp:
        segments.to_parquet(tmp / "segments.parquet", index=False)
        pd.DataFrame(docs).to_parquet(tmp / "documents.parquet", index=False)
        write_csv(redactions, tmp / "redactions.csv")
        write_csv(cases, tmp / "cases.csv")
        write_json(log, tmp / "interviews_log.json")
    return log
