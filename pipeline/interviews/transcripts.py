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
    text, placed = redact_text(body, names or {})
    return Transcript(document_name(path.name, names or {}), informant, text, meta, enc, placed)


def interviewer_labels(roster: pd.DataFrame) -> set[str]:
    """Generic interviewer labels plus the roster's ``interviewer`` column (e.g. initials LXW) and
    the placeholder those names become in the redacted text."""
    from pipeline.core.privacy import name_columns

    extra = {str(v).strip() for c in name_columns(roster.columns)[1] for v in roster[c].dropna()} - {""}
    return INTERVIEWER_LABELS | extra | {INTERVIEWER_PLACEHOLDER}


def label_pattern(roster: pd.DataFrame) -> re.Pattern:
    return _compiled_labels(frozenset(interviewer_labels(roster) | RESPONDENT_LABELS | set(roster["informant"].astype(str))))


@functools.lru_cache(maxsize=8)
def _compiled_labels(labels: frozenset[str]) -> re.Pattern:
    alt = "|".join(re.escape(x) for x in sorted(labels, key=lambda s: (-len(s), s)))
    return re.compile(rf"^(?:{TIMESTAMP.pattern})?\s*(?P<label>{alt}|[A-Z]{{1,2}}\d{{1,3}}|\[姓名:[^\]]+\])\s*:\s*")


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
        ts = TIMESTAMP.match(line)
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


