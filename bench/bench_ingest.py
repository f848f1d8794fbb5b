"""Benchmark: ingest + clean against the bare readers of pandas, on large WJX by-text exports.

    python bench/bench_ingest.py                 # 50,000 rows .xlsx and 1,000,000 rows .csv
    python bench/bench_ingest.py --csv-rows 0    # only the .xlsx case

For each case the export is made once with ``bench/make_export.py`` (kept in ``bench/out/``),
then measured in fresh child processes, one after the other in this same run:

* baseline: ``pandas.read_excel(engine="calamine")`` (.xlsx) or
  ``pandas.read_csv(engine="pyarrow")`` (.csv) of the same file;
* ours: the ``ingest`` and ``clean`` stages on a study pointing at the file (reading,
  decoding every item, the missing-value table, all quality rules, writing Parquet/CSV);
* for the .xlsx case also ``renewal init`` (drafting the questionnaire from the export; goal ≤ 2×).

Each child reports its wall time and its peak resident memory (``ru_maxrss``). Printed: seconds,
the ratio ours / baseline (goals: ≤ 1.5× for .xlsx, ≤ 4× for .csv) and peak memory (goal for
1M rows: under 4 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
QUESTIONNAIRE = ROOT / "pipeline" / "data" / "questionnaires" / "renewal_satisfaction.yaml"


def child(kind: str, path: Path) -> None:
    t0 = time.perf_counter()
    if kind == "baseline":
        import pandas as pd

        if path.suffix == ".xlsx":
            df = pd.read_excel(path, engine="calamine")
        else:
            df = pd.read_csv(path, engine="pyarrow")
        rows = len(df)
    elif kind == "init":  # renewal init: draft questionnaire.yaml + study.yaml from the export
        sys.path.insert(0, str(ROOT))
        from pipeline.survey.draft import run_init

        res = run_init([path], str(OUT / f"init_{path.stem}"), force=True)
        rows = res["items"]
    else:
        sys.path.insert(0, str(ROOT))
        from pipeline.core.study import Study
        from pipeline.survey import clean, ingest

        study_file = OUT / f"study_{path.stem}.yaml"
        study_file.write_text(
            f"name: bench_{path.stem}\nquestionnaire: {QUESTIONNAIRE}\nsurvey:\n  files: [{path.name}]\n"
            f"outputs: run_{path.stem}\n", encoding="utf-8")
        study = Study(study_file)
        ingest.run(study)
        rows = clean.run(study)["read"]
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": rows}))


def measure(kind: str, path: Path) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{kind} failed on {path}:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def ensure_export(rows: int, suffix: str) -> Path:
    path = OUT / f"wjx_{rows}.{suffix}"
    if not path.exists():
        print(f"making {path.name} ({rows:,} rows) …", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_export.py"), "--rows", str(rows), "--out", str(path)],
                       check=True)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xlsx-rows", type=int, default=50_000)
    ap.add_argument("--csv-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement (the fastest is kept)")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    if args.xlsx_rows:
        cases.append(("xlsx", ensure_export(args.xlsx_rows, "xlsx"), 'pandas.read_excel(engine="calamine")', 1.5))
    if args.csv_rows:
        cases.append(("csv", ensure_export(args.csv_rows, "csv"), 'pandas.read_csv(engine="pyarrow")', 4.0))
    print(f"\n{'case':<22}{'rows':>10}{'baseline s':>12}{'ours s':>10}{'ratio':>8}{'goal':>7}"
          f"{'base MB':>10}{'ours MB':>10}")
    for name, path, base_name, goal in cases:
        base = min((measure("baseline", path) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        ours = min((measure("ours", path) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        ratio = ours["seconds"] / base["seconds"]
        print(f"{name + ' ingest+clean':<22}{ours['rows']:>10,}{base['seconds']:>12.2f}{ours['seconds']:>10.2f}"
              f"{ratio:>7.2f}×{goal:>6.1f}×{base['peak_mb']:>10.0f}{ours['peak_mb']:>10.0f}")
        print(f"{'':<22}baseline = {base_name}; file {path.stat().st_size / 1e6:.0f} MB")
        if name == "xlsx":  # renewal init on the same export (goal: within 2x of the bare read)
            draft = min((measure("init", path) for _ in range(args.repeat)), key=lambda r: r["seconds"])
            r2 = draft["seconds"] / base["seconds"]
            print(f"{'xlsx init':<22}{ours['rows']:>10,}{base['seconds']:>12.2f}{draft['seconds']:>10.2f}"
                  f"{r2:>7.2f}×{2.0:>6.1f}×{base['peak_mb']:>10.0f}{draft['peak_mb']:>10.0f}")
            print(f"{'':<22}{draft['rows']} items drafted")


if __name__ == "__main__":
    main()
