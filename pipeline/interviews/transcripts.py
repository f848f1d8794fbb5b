"""Transcripts as files: reading, front matter, normalisation, speaker labels and turns.

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
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.textnorm import normalise_text as normalise
from pipeline.interviews.redaction import document_name, redact_text
from pipeline.interviews.roles import (
    INTERVIEWER_LABELS,
    INTERVIEWER_PLACEHOLDER,
    RESPONDENT_LABELS,
)

TEXT_SUFFIXES = (".txt", ".md", ".docx")
TIMESTAMP = re.compile(r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*")


@dataclass
class Transcript:
    document: str
    informant: str
    text: str                       # normalised, redacted
    meta: dict = field(default_factory=dict)
    encoding: str | None = None
    # kind, start, end in text; source_start, source_end in the normalised text before redaction
    redactions: list[tuple[str, int, int, int, int]] = field(default_factory=list)


def _docx_lines(document) -> list[str]:
    """The lines of a Word transcript in reading order: paragraphs, and the rows of tables (a
    transcript laid out as a table of speaker | text, or time | speaker | text, becomes
    ``speaker: text`` lines, so that its turns are found like any other)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                seen, cells = set(), []
                for cell in row.cells:  # a merged cell appears once per column it spans
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        cells.append(" ".join(cell.text.split()))
                cells = [c for c in cells if c]
                if len(cells) >= 3 and TIMESTAMP.fullmatch(cells[0] + " "):
                    lines.append(f"{cells[0]} {cells[1]}：{' '.join(cells[2:])}")
                elif len(cells) >= 2:
                    lines.append(f"{cells[0]}：{' '.join(cells[1:])}")
                elif cells:
                    lines.append(cells[0])
    return lines


# documents the pipeline cannot read: saved as .docx or .txt they are read
UNREADABLE_SUFFIXES = (".doc", ".wps", ".rtf", ".pdf", ".odt", ".pages")


def _decode(path: Path) -> tuple[str, str | None]:
    if path.suffix.lower() == ".docx":
        try:
            import docx
        except ImportError:  # pragma: no cover
            raise ImportError("reading .docx needs python-docx: pip install python-docx") from None
        from pipeline.core.tables import check_zip

        check_zip(path, "Word document")
        try:
            d = docx.Document(str(path))
        except Exception as e:
            raise InputError(f"cannot read as a Word document ({e})", file=path) from None
        return "\n".join(_docx_lines(d)), None
    data = path.read_bytes()
    if not data.strip():
        raise InputError("the transcript is empty", file=path)
    from pipeline.core.tables import detect_encoding

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
    from pipeline.core.schema import read_yaml_text

    meta = read_yaml_text(text[4:end], path) or {}
    if not isinstance(meta, dict):
        raise InputError("front matter must be a mapping of keys", file=path)
    rest = text[end + 4:]
    return meta, rest[1:] if rest.startswith("\n") else rest


# front-matter keys whose value is a person's name
FRONT_MATTER_NAMES = {"name", "姓名", "真名", "interviewee", "受访者", "被访者", "受访人", "respondent", "participant"}


def read_transcript(path: str | Path, roster: pd.DataFrame, names=None, codes: set[str] | None = None) -> Transcript:
    """Read, normalise and redact one transcript; the informant must be in the roster (``codes``:
    the roster's informant codes, computed once for many transcripts)."""
    path = Path(path)
    raw, enc = _decode(path)
    meta, body = _front_matter(normalise(raw), path)
    informant = str(meta.get("informant") or path.stem).strip()
    known = codes if codes is not None else set(roster["informant"].astype(str))
    if informant not in known:
        raise InputError(f"informant '{informant}' is not in the roster", file=path,
                         hint="name the file by the informant code or give 'informant:' in front matter")
    if not body.strip():
        raise InputError("the transcript has no text", file=path)
    own = [str(v) for k, v in meta.items() if isinstance(v, str) and str(k).strip().lower() in FRONT_MATTER_NAMES]
    if own:  # the informant's name given in the front matter is redacted in this transcript too
        from pipeline.core.privacy import Names

        base = names.codes if isinstance(names, Names) else dict(names or {})
        names = Names({**base, **{n: informant for n in own}})
    text, placed = redact_text(body, names or {})
    return Transcript(document_name(path.name, names or {}), informant, text, meta, enc, placed)


def interviewer_labels(roster: pd.DataFrame) -> set[str]:
    """Generic interviewer labels plus the roster's ``interviewer`` column (e.g. initials LXW) and
    the placeholder those names become in the redacted text."""
    from pipeline.core.privacy import name_columns

    extra = {str(v).strip() for c in name_columns(roster.columns)[1] for v in roster[c].dropna()} - {""}
    return INTERVIEWER_LABELS | extra | {INTERVIEWER_PLACEHOLDER}


# speakers numbered by a transcription tool (讯飞听见, 飞书妙记, 通义听悟, 腾讯会议: 说话人 1, 发言人2, Speaker 3)
TOOL_SPEAKER = r"(?:说话人|发言人|讲话人|[Ss]peaker|SPEAKER)\s?\d{1,2}"
# a timestamp, matched whole (an atomic group: 00:00:01 is never read as 00:00 and a colon)
_TS = r"(?>[\[(（]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])）]?)"


@dataclass(frozen=True)
class SpeakerPatterns:
    """How a line starts a speaker's turn, in the layouts transcripts come in:

    * ``label: text`` — 访谈者：…, 问：…, R03: …, with a timestamp before or after the label
      (``[00:12:31] 访谈者：``, ``00:00:05 访谈者:``, ``访谈者 (00:01:02):``);
    * a line with only the label and a timestamp, the text on the lines below — ``说话人 1
      00:00:02`` (讯飞听见, 飞书妙记, 通义听悟), ``李明 00:01:02`` or ``李明 (00:01:02)`` (腾讯会议,
      Zoom); a line with only a known label (``访谈者``) works the same way.
    """
    inline: re.Pattern
    header: re.Pattern
    named_header: re.Pattern

    def match(self, line: str) -> tuple[str, bool, int] | None:
        """(label, whether the text starts on the next line, end of the label part) or None."""
        m = self.inline.match(line)
        if m:
            return m.group("label"), False, m.end()
        m = self.header.match(line) or self.named_header.match(line)
        if m and not re.fullmatch(r"[\d\W_]+", m.group("label")):
            return m.group("label"), True, len(line)
        return None


def label_pattern(roster: pd.DataFrame, extra: frozenset[str] = frozenset()) -> SpeakerPatterns:
    """The speaker patterns of a roster (its informant codes and interviewers) and ``extra`` labels
    (a transcript's ``speakers:`` front matter)."""
    return _compiled_labels(frozenset(interviewer_labels(roster) | RESPONDENT_LABELS
                                      | set(roster["informant"].astype(str)) | extra))


@functools.lru_cache(maxsize=64)
def _compiled_labels(labels: frozenset[str]) -> SpeakerPatterns:
    alt = "|".join(re.escape(x) for x in sorted(labels, key=lambda s: (-len(s), s)))
    label = rf"(?P<label>{alt}|{TOOL_SPEAKER}|[A-Z]{{1,2}}\d{{1,3}}|\[姓名:[^\]]+\])"
    return SpeakerPatterns(
        inline=re.compile(rf"^(?:{_TS}\s*)?{label}\s*(?:{_TS})?\s*:\s*"),
        header=re.compile(rf"^(?:{_TS}\s*)?{label}\s*(?:{_TS})?\s*$"),
        # any name before a full time (with seconds, or in brackets): 李明 00:01:02, Li Ming (01:02)
        named_header=re.compile(r"^(?P<label>[^\s:：\[\]()（）]{1,16}|\[姓名:[^\]]+\])\s*"
                                r"(?:\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?|[\[(（]\d{1,2}:\d{2}(?::\d{2})?[\])）])\s*$"))


def turns(text: str, label_re: SpeakerPatterns) -> list[dict]:
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
            label, below, end = m
            if below:  # the text follows on the next lines
                out.append({"speaker": label, "start": pos, "end": pos, "open": True})
            else:
                out.append({"speaker": label, "start": start + end, "end": start + len(line)})
            continue
        ts = TIMESTAMP.match(line)
        body_start = start + (ts.end() if ts and ts.start() == 0 else 0)
        if not line[body_start - start:].strip():
            continue
        if out:
            if out[-1].pop("open", False):
                out[-1]["start"] = body_start
            out[-1]["end"] = start + len(line)
        else:
            out.append({"speaker": None, "start": body_start, "end": start + len(line)})
    out = [t for t in out if not t.pop("open", False) and t["end"] > t["start"] or t["speaker"] is None]
    if not any_label:
        return [{"speaker": None, "start": t["start"], "end": t["end"]} for t in out[:1]] if out else []
    return out


def transcript_files(folder: Path, exclude: list[Path] | None = None) -> list[Path]:
    """The transcripts in ``folder`` (``.txt``, ``.md``, ``.docx``), sorted; a README and the
    study's other inputs kept there (``exclude``: roster, names list, gold codings) are not
    transcripts, and anything that is not a regular file (a pipe, a device) is an error."""
    skip = {Path(p).resolve() for p in exclude or []}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in TEXT_SUFFIXES and p.name.lower() != "readme.md"
                   and p.resolve() not in skip and not p.name.startswith(("~$", "._")))
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in UNREADABLE_SUFFIXES and not p.name.startswith(("~$", "._")):
            raise InputError(f"a {p.suffix} document cannot be read; save it as .docx or .txt (UTF-8), or move it "
                             "out of the transcripts folder", file=p)
    for p in files:
        if not p.is_file():
            raise InputError("is not a regular file (a folder, pipe or device); the pipeline reads only files",
                             file=p)
    if not files:
        raise InputError("no transcripts (.txt, .md, .docx) in the folder", file=folder)
    return files


