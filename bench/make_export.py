"""Write a large WJX by-text export of genuine respondents, for the ingest/clean benchmarks.

    python bench/make_export.py --rows 50000 --out bench/out/wjx_50k.xlsx
    python bench/make_export.py --rows 1000000 --out bench/out/wjx_1m.csv

The rows come from the demo generator (``examples/demo/generate.py``, no planted bad rows),
so the export reads with the demo questionnaire. ``.xlsx`` is written like the demo exports,
``.csv`` in UTF-8 with BOM as Excel in China expects.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "demo"))
from generate import generate, write_xlsx


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write a WJX by-text export of N generated respondents.")
    ap.add_argument("--rows", type=int, required=True, help="number of respondents")
    ap.add_argument("--out", type=Path, required=True, help="output file, .xlsx or .csv")
    ap.add_argument("--seed", type=int, default=20240501)
    args = ap.parse_args(argv)
    suffix = args.out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        ap.error(f"--out must end in .xlsx or .csv; got '{args.out.name}'")

    start = time.perf_counter()
    df = generate(args.rows, seed=args.seed, bad_rows=False).by_text
    made = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        write_xlsx(df, args.out)
    else:
        df.to_csv(args.out, index=False, encoding="utf-8-sig")
    print(f"{args.out}: {len(df):,} rows x {df.shape[1]} columns "
          f"(generated in {made - start:.1f} s, written in {time.perf_counter() - made:.1f} s)")


if __name__ == "__main__":
    main()
