"""Writing a stage's folder atomically, with its manifest, and never touching what is not ours.

A stage writes into ``<stage>.tmp/`` and, only when everything is written, replaces
``<stage>/`` with it; a failed run leaves the previous results untouched. ``manifest.json``
records input and config hashes, package versions, the seed and the time.

Safety: a folder is replaced or deleted only when it carries the pipeline's own mark (the
``manifest.json`` of that stage, or the ``.renewal-tmp`` mark of a temporary folder); anything
else at that place is an :class:`~pipeline.core.errors.InputError`, so a study whose ``outputs:``
points at the user's data can never delete it. :func:`study_lock` keeps two runs on one study
apart. Every text cell of every CSV is neutralised against spreadsheet formula injection
(:func:`neutralise`), and :func:`read_csv` undoes it when a later stage reads the table back.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import sys
import time
import zipfile
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InputError

PACKAGES = ("pandas", "numpy", "pyarrow", "python-calamine", "pyreadstat", "pydantic", "PyYAML",
            "scipy", "statsmodels", "scikit-learn", "pingouin", "jieba", "rjieba")


_HASHES: dict[tuple, str] = {}


def file_hash(path: Path, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file (memoised by path, size and modification time within a run)."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = _sha256(path, chunk)
    return _HASHES[key]


def _sha256(path: Path, chunk: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
    return h.hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


# OWASP CSV injection: a cell that starts with one of these is read as a formula (or, for tab
# and carriage return, can shift cells) by Excel, WPS and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _numeric_text(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def neutralise(value: object) -> object:
    """A text cell made safe for spreadsheets: a leading ``'`` before ``= + - @``, tab or CR
    (OWASP's advice), and before a leading ``'`` itself so that :func:`unneutralise` is exact.
    Numbers, and text that is a number (``-3``, ``+86``), are left as they are."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] == "'" or (value.startswith(_FORMULA_START) and not _numeric_text(value)):
        return "'" + value
    return value


def unneutralise(value: object) -> object:
    """The inverse of :func:`neutralise` (for a stage reading a table back)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def neutralise_frame(df: pd.DataFrame, fn=neutralise) -> pd.DataFrame:
    """``fn`` applied to every text cell of the object and string columns (others unchanged)."""
    cols = [c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype)]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = out[c].map(fn, na_action="ignore")
    if any(isinstance(c, str) and c != fn(c) for c in df.columns):
        out.columns = [fn(c) if isinstance(c, str) else c for c in df.columns]
    return out


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (Excel in China opens it), '\\n' line ends; text cells neutralised
    (:func:`neutralise`)."""
    neutralise_frame(df).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def read_csv(path: Path, **kwargs) -> pd.DataFrame:
    """A table this pipeline wrote with :func:`write_csv`, with the text cells as they were."""
    return neutralise_frame(pd.read_csv(path, encoding="utf-8-sig", **kwargs), unneutralise)


def write_json(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def write_tables(tables: dict[str, pd.DataFrame], log: dict, folder: Path, log_name: str) -> None:
    """Each table as ``<name>.csv`` and the stage log as ``<log_name>`` in ``folder``."""
    for name, t in tables.items():
        write_csv(t, folder / f"{name}.csv")
    write_json(log, folder / log_name)


ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # every entry's date in the zip containers the stages write


FIXED_TIME = datetime(2024, 1, 1, 0, 0, 0)    # created/modified of every xlsx/docx (UTC)


def fixed_zip(entries) -> bytes:
    """A zip of (name, bytes) entries, in the order given, with a fixed date, permissions and
    compression, so that the same entries always give the same bytes (.qdpx, .docx, .xlsx)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the platform, so that the permissions below hold
            info.external_attr = 0o100644 << 16
            z.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def write_bytes(path: Path, data: bytes) -> Path:
    """Write atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def w3cdtf(t: datetime) -> str:
    """ISO 8601 in UTC (a naive datetime is taken as UTC)."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fix_core(blob: bytes, created: datetime) -> bytes:
    """docProps/core.xml with dcterms:created and dcterms:modified set to ``created``."""
    from lxml import etree

    dcterms = "http://purl.org/dc/terms/"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.fromstring(blob)
    for tag in ("created", "modified"):
        el = root.find(f"{{{dcterms}}}{tag}")
        if el is None:
            el = etree.SubElement(root, f"{{{dcterms}}}{tag}")
            el.set(f"{{{xsi}}}type", "dcterms:W3CDTF")
        el.text = w3cdtf(created)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def normalise_zip(data: bytes, created: datetime) -> bytes:
    """An OOXML package rewritten byte-reproducibly: the same entries in the order the library
    wrote them, with a fixed date, permissions and compression, and fixed core-property times."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        entries = [(i.filename, fix_core(zin.read(i), created) if i.filename == "docProps/core.xml" else zin.read(i))
                   for i in zin.infolist()]
    return fixed_zip(entries)


def _rel(p: Path, base: Path | None) -> str:
    if base is None:
        return str(p)
    return os.path.relpath(Path(p).resolve(), Path(base).resolve())


TMP_MARK = ".renewal-tmp"  # written first into every temporary stage folder


def _manifest(folder: Path) -> dict:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return m if isinstance(m, dict) else {}


def _manifest_stage(folder: Path) -> str | None:
    return _manifest(folder).get("stage")


def _files(folder: Path) -> list[str]:
    """Every file and link under ``folder``, as sorted POSIX paths relative to it."""
    out = []
    for root, dirs, names in os.walk(folder):
        rel = Path(root).relative_to(folder)
        for n in names + [d for d in dirs if (Path(root) / d).is_symlink()]:
            out.append((rel / n).as_posix())
    return sorted(out)


def _foreign(folder: Path) -> list[str]:
    """Files in a stage folder that its manifest does not list (a user's own notes put there):
    the pipeline will not delete them."""
    m = _manifest(folder)
    listed = m.get("files")
    if isinstance(listed, list):
        known = set(listed) | {"manifest.json"}
        return [f for f in _files(folder) if f not in known and f != TMP_MARK]
    top = set(m.get("outputs") or []) | {"manifest.json"}  # a manifest from before "files"
    return sorted(p.name for p in folder.iterdir() if p.name not in top and p.name != TMP_MARK)


def _ours(folder: Path, stage: str, *, temporary: bool = False) -> bool:
    """Absent, or a real folder that is the pipeline's own: the ``stage`` folder with its
    manifest, or — for ``temporary`` places (``<stage>.tmp``, ``<stage>.old``) — a folder with the
    mark the pipeline writes into it (a user's copy of a stage folder has no mark)."""
    if not folder.exists() and not folder.is_symlink():
        return True
    if not folder.is_dir() or folder.is_symlink():
        return False
    if temporary:
        return (folder / TMP_MARK).is_file()
    return _manifest_stage(folder) == stage


def _remove_ours(folder: Path, stage: str) -> None:
    """Delete a temporary ``folder`` if it is the pipeline's own; refuse, naming it, otherwise."""
    if not _ours(folder, stage, temporary=True):
        _refuse(folder, stage)
    if folder.exists():
        shutil.rmtree(folder)


def _changed(folder: Path) -> list[str]:
    """Outputs edited since the stage wrote them (their SHA-256 differs from the manifest's)."""
    m = _manifest(folder)
    hashes = m.get("hashes")
    if not isinstance(hashes, dict):  # a manifest from before the hashes: a file newer than it was edited
        try:
            written = (folder / "manifest.json").stat().st_mtime
        except OSError:
            return []
        return [rel for rel in m.get("files") or m.get("outputs") or []
                if rel != "manifest.json" and (folder / rel).is_file() and (folder / rel).stat().st_mtime > written + 2]
    return [rel for rel, h in sorted(hashes.items())
            if (folder / rel).is_file() and not (folder / rel).is_symlink() and _sha256(folder / rel, 1 << 22) != h]


def _check_foreign(out_dir: Path, stage: str) -> None:
    if not out_dir.is_dir():
        return
    if extra := _foreign(out_dir):
        raise InputError(f"'{out_dir / extra[0]}' is not one of the {stage} stage's outputs"
                         + (f" ({len(extra) - 1} more such file(s))" if len(extra) > 1 else "")
                         + "; the stage replaces its whole folder and never deletes what it did not write: "
                         "move your files out of it", file=out_dir)
    if edited := _changed(out_dir):
        raise InputError(f"'{out_dir / edited[0]}' was changed after the {stage} stage wrote it"
                         + (f" ({len(edited) - 1} more such file(s))" if len(edited) > 1 else "")
                         + "; a rerun would replace your edits: save the edited copy elsewhere (or delete it) "
                         "and run again", file=out_dir)


def _refuse(folder: Path, stage: str):
    raise InputError(f"'{folder}' exists and was not written by the pipeline's {stage} stage (no manifest.json "
                     "of that stage); the pipeline never deletes what it did not make: move it away or set "
                     "another 'outputs:' in the study file", file=folder)


@contextmanager
def stage_output(out_dir: Path, *, inputs: list[Path], configs: list[Path], seed: int | None, stage: str,
                 base: Path | None = None, label=None, owner: str | None = None):
    """Yield a temporary folder; on success it becomes ``out_dir`` with a manifest.

    ``label`` maps an input's or config's relative path, and the command line, to what the
    manifest shows (a transcript or a study folder named after a person is listed with the name
    redacted).

    ``out_dir`` is replaced only if it is absent or holds this stage's ``manifest.json``;
    anything else there is an :class:`~pipeline.core.errors.InputError` and nothing is touched."""
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    old = out_dir.with_name(out_dir.name + ".old")
    for folder, temporary in ((out_dir, False), (tmp, True), (old, True)):  # all checked before any deletion
        if not _ours(folder, stage, temporary=temporary):
            _refuse(folder, stage)
    _check_foreign(out_dir, stage)
    theirs = _manifest(out_dir).get("study") if out_dir.is_dir() else None
    if owner and theirs and theirs != owner:
        raise InputError(f"'{out_dir}' holds the {stage} results of another study; two studies sharing an output "
                         "folder would replace each other's results: give this study its own 'outputs:' (or 'name:')",
                         file=out_dir)
    _remove_ours(tmp, stage)
    tmp.mkdir(parents=True)
    (tmp / TMP_MARK).write_bytes(b"")
    started = time.time()
    try:
        yield tmp
        manifest = {
            "stage": stage,
            "study": owner,
            "inputs": {(label or str)(_rel(p, base)): file_hash(p) for p in inputs},
            "configs": {(label or str)(_rel(p, base)): file_hash(p) for p in configs},
            "seed": seed,
            "versions": versions(),
            "command": (label or str)(" ".join([Path(sys.argv[0]).name] + sys.argv[1:])),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": round(time.time() - started, 3),
            "outputs": sorted(p.name for p in tmp.iterdir() if p.name != TMP_MARK),
            "files": sorted([f for f in _files(tmp) if f != TMP_MARK] + ["manifest.json"]),
            # what each output was when written: an edit made afterwards stops the next run
            "hashes": {f: _sha256(tmp / f, 1 << 22) for f in _files(tmp)
                       if f != TMP_MARK and (tmp / f).is_file() and not (tmp / f).is_symlink()},
        }
        write_json(manifest, tmp / "manifest.json")
        _remove_ours(old, stage)
        _check_foreign(out_dir, stage)  # again: a file may have been saved there while the stage ran
        if out_dir.exists():
            (out_dir / TMP_MARK).write_bytes(b"")
            os.replace(out_dir, old)
        (tmp / TMP_MARK).unlink()
        os.replace(tmp, out_dir)
        if old.exists() and _foreign(old):  # saved in the instant between the check and the swap
            (old / TMP_MARK).unlink()
            print(f"warning: {old} holds files the {stage} stage did not write; it was kept: move them "
                  "and delete the folder", file=sys.stderr)
        else:
            _remove_ours(old, stage)
    except BaseException:
        if tmp.exists() and (tmp / TMP_MARK).is_file():
            shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def study_lock(out_root: Path, *, wait: float | None = None):
    """Hold the study's lock (``<outputs>/.lock``) while stages run: a second run of the same
    study waits up to ``wait`` seconds (environment ``RENEWAL_LOCK_WAIT``, default 0) and then
    stops with an :class:`~pipeline.core.errors.InputError` naming the run that holds it."""
    import fcntl

    if wait is None:
        try:
            wait = float(os.environ.get("RENEWAL_LOCK_WAIT", "0"))
        except ValueError:
            wait = 0.0
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    path = out_root / ".lock"
    try:  # never follow a symlink planted there, and never empty a file the pipeline did not write
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError:
        raise InputError("the lock file is a link or cannot be opened; the pipeline will not write through it",
                         file=path) from None
    if os.pread(fd, 4, 0) not in (b"", b"pid "):
        os.close(fd)
        raise InputError("a file the pipeline did not write is in the way of its lock file; move it away",
                         file=path)
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and wait > 0:
                    print(f"waiting for another run of this study ({path})", file=sys.stderr)
                    told = True
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another process"
                    raise InputError(f"another run of this study is in progress ({holder}); wait for it to "
                                     "finish (or set RENEWAL_LOCK_WAIT=seconds to wait)", file=path) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {' '.join(sys.argv[1:3])}, since {time.strftime('%H:%M:%S')}".encode(), 0)
        yield path
        os.ftruncate(fd, 0)  # an idle study's lock file is empty (outputs stay byte-identical)
    finally:
        os.close(fd)  # releases the lock


def progress(items, label: str):
    """Yield ``items`` and, when stderr is a terminal, show ``label i/n`` on one line (nothing
    in logs, CI or tests). Long stages wrap their main loop in it and print a summary at the end."""
    items = list(items)
    tty = sys.stderr.isatty() and not os.environ.get("PIPELINE_QUIET")
    n = len(items)
    for i, it in enumerate(items, 1):
        if tty:
            sys.stderr.write(f"\r  {label} {i}/{n}")
            sys.stderr.flush()
        yield it
    if tty and n:
        sys.stderr.write("\r" + " " * (len(label) + 2 * len(str(n)) + 4) + "\r")
        sys.stderr.flush()


def remove_outputs(root: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Delete the stage folders under ``root`` (``outputs/<study>/<stage>/``) that are wholly the
    pipeline's: a manifest of a stage, nothing it does not list, nothing edited since. Anything
    else — a user's folder, a memo, an edited report — is kept and reported. Returns (removed,
    kept with the reason). ``make clean`` uses it; it never deletes what it did not make."""
    root = Path(root)
    removed: list[Path] = []
    kept: list[tuple[Path, str]] = []
    if not root.is_dir():
        return removed, kept
    for study in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        for folder in sorted(study.iterdir()):
            if not folder.is_dir() or folder.is_symlink():
                if folder.name != ".lock":
                    kept.append((folder, "not a stage folder"))
                continue
            stage = _manifest_stage(folder)
            if folder.name.endswith((".tmp", ".old")) and (folder / TMP_MARK).is_file():
                shutil.rmtree(folder)
                removed.append(folder)
            elif stage is None:
                kept.append((folder, "no manifest of the pipeline"))
            elif extra := _foreign(folder):
                kept.append((folder, f"holds {extra[0]}, which the stage did not write"))
            elif edited := _changed(folder):
                kept.append((folder, f"{edited[0]} was edited after the stage wrote it"))
            else:
                shutil.rmtree(folder)
                removed.append(folder)
        lock = study / ".lock"
        if lock.is_file() and not lock.is_symlink() and lock.stat().st_size == 0:
            lock.unlink()
        if not any(study.iterdir()):
            study.rmdir()
    return removed, kept
