"""Writing a stage's folder atomically, with its manifest.

A stage writes into ``<stage>.tmp/`` and, only when everything is written, replaces
``<stage>/`` with it; a failed run leaves the previous results untouched. ``manifest.json``
records input and config hashes, package versions, the seed and the time.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd

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


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (Excel in China opens it), '\\n' line ends, fixed float format."""
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def write_json(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def write_tables(tables: dict[str, pd.DataFrame], log: dict, folder: Path, log_name: str) -> None:
    """Each table as ``<name>.csv`` and the stage log as ``<log_name>`` in ``folder``."""
    for name, t in tables.items():
        write_csv(t, folder / f"{name}.csv")
    write_json(log, folder / log_name)


ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # every entry's date in the zip containers the stages write


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


def _rel(p: Path, base: Path | None) -> str:
    if base is None:
        return str(p)
    return os.path.relpath(Path(p).resolve(), Path(base).resolve())


@contextmanager
def stage_output(out_dir: Path, *, inputs: list[Path], configs: list[Path], seed: int | None, stage: str,
                 base: Path | None = None):
    """Yield a temporary folder; on success it becomes ``out_dir`` with a manifest."""
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    started = time.time()
    try:
        yield tmp
        manifest = {
            "stage": stage,
            "inputs": {_rel(p, base): file_hash(p) for p in inputs},
            "configs": {_rel(p, base): file_hash(p) for p in configs},
            "seed": seed,
            "versions": versions(),
            "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": round(time.time() - started, 3),
            "outputs": sorted(p.name for p in tmp.iterdir()),
        }
        write_json(manifest, tmp / "manifest.json")
        old = out_dir.with_name(out_dir.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
