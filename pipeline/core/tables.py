"""Reading raw export files into a :class:`RawTable`: header row(s) plus columns of cell values.

Nothing here interprets questions; that is :mod:`pipeline.survey.io.headers` and
:mod:`pipeline.survey.io.decode`. Raw files are only ever opened for reading. Both wings read
tables (survey exports; rosters and gold codings), so this lives in the core.

* ``.xlsx``/``.xls``: python-calamine (about 10x faster than openpyxl), first sheet.
* ``.csv``/``.txt``: pyarrow's multi-threaded CSV reader with every column as text; the
  encoding is detected (UTF-8, UTF-8 with BOM, else GB18030, which contains GBK and GB2312).
* ``.sav``: pyreadstat (variable names and labels, value labels).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.core.errors import InputError
from pipeline.core.textnorm import norm

if TYPE_CHECKING:
    import pandas as pd

_SNIFF_BYTES = 1 << 20


@dataclass
class RawTable:
    path: Path
    headers: list[str]                 # normalised header (the first header row)
    texts: list[str]                   # question text row (Qualtrics 2nd row) or the header
    columns: list[np.ndarray]          # object arrays of raw cell values (str, int, float or None)
    first_data_row: int                # 1-based row number of the first data row in the file
    n_rows: int
    kind: str                          # excel | csv | spss
    encoding: str | None = None
    user_missing: dict = field(default_factory=dict)   # SPSS: column -> ((lo, hi), ...) user-missing ranges
    value_labels: dict = field(default_factory=dict)   # SPSS: column -> {value: label}
    _factorized: dict = field(default_factory=dict, repr=False)

    def prefactorize(self, indices: list[int]) -> None:
        """Factorise many columns on two threads (Arrow's dictionary encoding releases the GIL)."""
        from concurrent.futures import ThreadPoolExecutor

        todo = [i for i in dict.fromkeys(indices) if i not in self._factorized]
        if len(todo) < 8 or self.n_rows < 100_000:
            return
        with ThreadPoolExecutor(max_workers=2) as pool:
            for i, res in zip(todo, pool.map(lambda j: factorize(self.columns[j]), todo)):
                self._factorized[i] = res

    def factorize(self, i: int):
        """(row -> distinct-value index, distinct values as normalised text) of column i, memoised."""
        if i not in self._factorized:
            self._factorized[i] = factorize(self.columns[i])
        return self._factorized[i]


def _hanzi_score(text: str) -> float:
    """How much a decoded text looks like Chinese: the share of its CJK characters that are in
    GB2312 once traditional forms are folded (real text, simplified or traditional, scores near
    1; Big5 bytes read as GBK give rare characters and score low)."""
    from pipeline.core.textnorm import fold_traditional

    cjk = [ch for ch in fold_traditional(text) if "\u4e00" <= ch <= "\u9fff"]
    if not cjk:
        return 0.0
    common = 0
    for ch in cjk:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(cjk)


def detect_encoding(path: Path, head: bytes) -> str:
    """'utf-8-sig' for a BOM, 'utf-8' when the first MiB decodes, else 'gb18030' — or 'big5'
    (a Traditional-Chinese Windows file) when the bytes decode as Big5 and read as far more
    plausible Chinese that way."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    final = len(head) < _SNIFF_BYTES
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        dec.decode(head, final=final)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    texts = {}
    for enc in ("gb18030", "big5"):
        try:
            texts[enc] = codecs.getincrementaldecoder(enc)("strict").decode(head, final=final)
        except UnicodeDecodeError as e:
            if enc == "gb18030":
                err = e
    if "big5" in texts and _hanzi_score(texts["big5"]) > _hanzi_score(texts.get("gb18030", "")) + 0.2:
        return "big5"
    if "gb18030" in texts:
        return "gb18030"
    raise InputError(
        f"cannot tell the text encoding (not UTF-8, not GBK/GB18030; byte {err.start} is not valid)",
        file=path, hint="save the file as UTF-8 or GBK CSV") from None


# Limits on zip containers (.xlsx, .ods, .docx, .qdpx) before anything is decompressed: real
# exports inflate 5–35 times (the demo's sheets 10–13×, a Word transcript 23×); a zip bomb
# inflates ~1000 times. Checked on the sizes the archive declares.
MAX_UNZIPPED_BYTES = 3 << 30    # all members together
MAX_MEMBER_RATIO = 200          # for a member that inflates to more than …
RATIO_FLOOR_BYTES = 16 << 20    # … this (small members may compress very well)
MAX_MEMBERS = 20_000


def check_zip(path: str | Path, what: str = "file") -> None:
    """Refuse an archive that would inflate far beyond its size (a 'zip bomb'), with an
    :class:`InputError` naming the file and the member; a file that is not a zip is left to
    its reader."""
    import zipfile

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"the {what} holds {len(infos):,} files (limit {MAX_MEMBERS:,}); it is not a normal {what}",
                         file=path)
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_MEMBER_RATIO:
            raise InputError(f"member '{info.filename}' would inflate {ratio:,.0f} times to {info.file_size >> 20:,} MB "
                             f"(limit {MAX_MEMBER_RATIO}×); refusing what looks like a zip bomb", file=path)
        if total > MAX_UNZIPPED_BYTES:
            raise InputError(f"the {what} would inflate to more than {MAX_UNZIPPED_BYTES >> 30} GB; refusing it",
                             file=path, hint="split the export into several files")


def read_table(path: str | Path) -> RawTable:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if not path.is_file():
        raise InputError("is not a regular file (a folder, pipe or device)", file=path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes)", file=path)
    ext = path.suffix.lower()
    if ext in (".xlsx", ".xlsm", ".xls", ".ods"):
        check_zip(path, "workbook")
        table = _read_excel(path)
    elif ext in (".csv", ".txt", ".tsv"):
        table = _read_csv(path, sep="\t" if ext == ".tsv" else ",")
    elif ext == ".sav":
        table = _read_sav(path)
    else:
        raise InputError(f"unsupported file type '{ext}'", file=path,
                         hint="use .xlsx, .xls, .csv or .sav")
    if not table.headers or all(h == "" for h in table.headers):
        raise InputError("no header row found", file=path)
    if table.n_rows == 0:
        raise InputError("the file has a header but no data rows", file=path, row=table.first_data_row - 1)
    return table


def read_frame(path: str | Path) -> pd.DataFrame:
    """A small table (roster, gold coding…) as a DataFrame of text cells ('' for empty), read
    with the same encoding detection and normalisation as the survey exports."""
    import pandas as pd

    t = read_table(path)
    return pd.DataFrame({h: [cell_text(v) for v in (c.to_pylist() if hasattr(c, "to_pylist") else c)]
                         for h, c in zip(t.headers, t.columns)})


def _header_rows(rows: list[list]) -> int:
    """How many header rows: 3 for a Qualtrics export whose third row holds ``{"ImportId": …}``
    (or the 2016 layout's single-quoted ``{'ImportId': …}``), 2 for a Qualtrics export with
    names and question texts only (the legacy ``V1…Vn`` layout, or the third row left out), else 1."""
    import re

    if len(rows) >= 3 and any(re.match(r"""^\{\s*['"]ImportId['"]""", str(v)) for v in rows[2] if v):
        return 3
    if len(rows) >= 2:
        first = {str(v).strip() for v in rows[0] if v}
        second = {str(v).strip() for v in rows[1] if v}
        qualtrics = ({"ResponseId", "ResponseID"} & first) or ({"V1", "V2"} <= first and "ResponseID" in second)
        if qualtrics and ({"ResponseID", "ResponseId", "Response ID", "Start Date", "StartDate"} & second):
            return 2
    return 1


def _cell(v):
    return "" if v is None else v


def _read_excel(path: Path) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as e:  # calamine raises its own error types for damaged archives
        raise InputError(f"cannot read as an Excel workbook ({type(e).__name__}: {e})", file=path,
                         hint="the file may be truncated or not really Excel; export it again") from None
    while rows and all(v in ("", None) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the file is empty (no cells)", file=path)
    nh = _header_rows(rows)
    width = max(len(r) for r in rows[: nh + 1])
    head = [[norm(_cell(v)) for v in r] + [""] * (width - len(r)) for r in rows[:nh]]
    data = rows[nh:]
    if data:
        cols = [np.asarray(c, dtype=object) for c in zip(*(r + [""] * (width - len(r)) if len(r) < width else r[:width] for r in data))]
    else:
        cols = [np.empty(0, dtype=object) for _ in range(width)]
    texts = head[1] if nh >= 2 else head[0]
    return RawTable(path, head[0], texts, cols, nh + 1, len(data), "excel")


def _read_csv(path: Path, sep: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, "rb") as f:
        head_bytes = f.read(_SNIFF_BYTES)
    enc = detect_encoding(path, head_bytes)
    text_head = head_bytes.decode(enc, errors="ignore")
    # universal newlines (a CSV saved with CR-only line ends, as old Mac Excel does) and no limit
    # on a cell's length below what the file itself holds (csv's default is 131,072 characters)
    csv.field_size_limit(max(csv.field_size_limit(), _SNIFF_BYTES + 1))
    first = list(csv.reader(io.StringIO(text_head, newline=None), delimiter=sep))[:4]
    if not first or not any(first[0]):
        raise InputError("no header row found", file=path)
    nh = _header_rows(first)
    width = len(first[0])
    names = [f"c{i}" for i in range(width)]
    def parse(newlines_in_values: bool):
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=nh, encoding="utf8" if enc.startswith("utf-8") else enc,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=newlines_in_values),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        try:
            # parallel parsing; a quoted cell with a line break makes a row short and lands below
            tbl = parse(False)
        except pa.ArrowInvalid:
            tbl = parse(True)
    except pa.ArrowInvalid as e:
        msg = str(e)
        row = None
        if "Expected" in msg and "columns" in msg:
            row_hint = "a row has a different number of cells than the header"
        elif "UTF8" in msg or "utf8" in msg or "UTF-8" in msg:
            row_hint = "the file is not valid UTF-8 after its first MiB; save it as UTF-8 or GBK throughout"
        else:
            row_hint = "export the file again"
        raise InputError(f"cannot parse the CSV ({msg.splitlines()[0][:160]})", file=path, row=row, hint=row_hint) from None
    head = [[norm(v) for v in r] + [""] * (width - len(r)) for r in first[:nh]]
    if enc == "utf-8-sig" or (head[0] and head[0][0].startswith("\ufeff")):
        head[0][0] = head[0][0].lstrip("\ufeff")
    cols = []
    for name in names:
        col = tbl.column(name)
        cols.append(col)  # pyarrow ChunkedArray; decode handles it without a Python copy
    texts = head[1] if nh >= 2 else head[0]
    return RawTable(path, head[0], texts, cols, nh + 1, tbl.num_rows, "csv", encoding=enc)


def _read_sav(path: Path) -> RawTable:
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except Exception as e:
        raise InputError(f"cannot read as an SPSS .sav file ({e})", file=path) from None
    headers = [norm(c) for c in df.columns]
    labels = [norm(meta.column_names_to_labels.get(c) or c) for c in df.columns]
    cols = [df[c].to_numpy(dtype=object) for c in df.columns]
    user_missing: dict[int, tuple] = {}
    value_labels: dict[int, dict] = {}
    ranges = getattr(meta, "missing_ranges", None) or {}
    for i, c in enumerate(df.columns):
        spans = tuple((float(r["lo"]), float(r["hi"])) for r in ranges.get(c, [])
                      if isinstance(r.get("lo"), (int, float)) and isinstance(r.get("hi"), (int, float)))
        if spans:
            user_missing[i] = spans
        vl = (meta.variable_value_labels or {}).get(c)
        if vl:
            value_labels[i] = {float(k): norm(v) for k, v in vl.items() if isinstance(k, (int, float))}
    return RawTable(path, headers, labels, cols, 2, len(df), "spss", user_missing=user_missing, value_labels=value_labels)


def cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (datetime, date)):
        return v.strftime("%Y/%m/%d %H:%M:%S") if isinstance(v, datetime) else v.strftime("%Y/%m/%d")
    return norm(v)



def factorize(col) -> tuple[np.ndarray, list[str]]:
    """Row index into distinct values, and the distinct values as normalised text."""
    import pandas as pd
    if hasattr(col, "combine_chunks") or hasattr(col, "dictionary_encode"):  # pyarrow
        import pyarrow.compute as pc

        arr = col.combine_chunks() if hasattr(col, "combine_chunks") else col
        d = pc.dictionary_encode(arr, null_encoding="encode")
        idx = d.indices.to_numpy(zero_copy_only=False)
        uniq = [cell_text(v) for v in d.dictionary.to_pylist()]
        return idx.astype(np.int64, copy=False), uniq
    codes, uniques = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
    uniq = [cell_text(v) for v in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(uniq), codes)
        uniq.append("")
    return codes, uniq
