"""Benchmark: the ordinal model of the stats stage on 60,000 respondents against R's ordinal::clm
on the same rows, in the same run; then the whole stats stage at 30,000 and 60,000 respondents.

    python bench/bench_models.py            # 60,000 rows
    python bench/bench_models.py --rows 200000

The data have the shape of the stage's overall-satisfaction model (community, gender, age band,
tenure, income band, years lived, household size → a 1–5 rating). Printed: seconds for
``ordinal_logit`` and ``nominal_test`` (the proportional-odds test), R's ``clm`` and
``nominal_test`` when ``Rscript`` with the ordinal package is installed, the ratios, and the
largest log-likelihood difference (the goal: within 2× of clm with the same log-likelihood to
1e-6). R is optional: without it only our timings are printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FORMULA = ("overall_sat ~ C(community) + C(gender) + C(age_band) + C(tenure) + C(income_band) + years_lived"
           " + household_size")
R_SCRIPT = r"""
suppressMessages(library(ordinal))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
d$overall_sat <- factor(d$overall_sat, ordered = TRUE)
for (v in c("community", "gender", "age_band", "tenure", "income_band")) d[[v]] <- factor(d[[v]])
t0 <- proc.time()[["elapsed"]]
m <- clm(overall_sat ~ community + gender + age_band + tenure + income_band + years_lived + household_size, data = d)
t1 <- proc.time()[["elapsed"]]
nt <- nominal_test(m)
t2 <- proc.time()[["elapsed"]]
cat(sprintf('{"clm_s": %.4f, "nominal_s": %.4f, "loglik": %.10f, "nominal_loglik": [%s]}\n', t1 - t0, t2 - t1,
            as.numeric(logLik(m)), paste(sprintf("%.10f", nt$logLik[-1]), collapse = ",")))
"""


def make(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "community": rng.integers(1, 7, rows), "gender": rng.integers(1, 3, rows), "age_band": rng.integers(1, 6, rows),
        "tenure": rng.integers(1, 4, rows), "income_band": rng.integers(1, 6, rows),
        "years_lived": rng.integers(0, 60, rows), "household_size": rng.integers(1, 7, rows)})
    lat = (0.25 * d["community"] - 0.2 * d["gender"] + 0.15 * d["age_band"] - 0.3 * (d["tenure"] == 2)
           + 0.05 * d["income_band"] + 0.005 * d["years_lived"] + rng.logistic(size=rows))
    d["overall_sat"] = np.digitize(lat, [0.2, 1.0, 1.8, 2.6]) + 1
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=60_000)
    args = ap.parse_args()
    from pipeline.stats.models import nominal_test, ordinal_logit

    d = make(args.rows)
    t0 = time.perf_counter()
    fit = ordinal_logit(d, FORMULA)["fit"].iloc[0]
    t1 = time.perf_counter()
    nt = nominal_test(d, FORMULA)
    t2 = time.perf_counter()
    ours = {"clm_s": t1 - t0, "nominal_s": t2 - t1, "loglik": float(fit["loglik"])}
    print(f"{'step':<26}{'ours s':>10}{'R s':>10}{'ratio':>8}")
    r = None
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "d.csv"
            d.to_csv(csv, index=False)
            script = Path(tmp) / "b.R"
            script.write_text(R_SCRIPT, encoding="utf-8")
            out = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True, text=True)
            if out.returncode == 0:
                r = json.loads(out.stdout.strip().splitlines()[-1])
            else:
                print(f"(R not usable: {out.stderr.strip().splitlines()[-1] if out.stderr else 'failed'})")
    for key, label in (("clm_s", f"ordinal_logit ({args.rows:,} rows)"), ("nominal_s", "nominal_test")):
        if r:
            print(f"{label:<26}{ours[key]:>10.2f}{r[key]:>10.2f}{ours[key] / r[key]:>7.2f}×")
        else:
            print(f"{label:<26}{ours[key]:>10.2f}{'—':>10}{'':>8}")
    if r:
        diffs = [abs(ours["loglik"] - r["loglik"])] + [abs(a - b) for a, b in zip(nt["loglik"].iloc[1:], r["nominal_loglik"])]
        print(f"largest |loglik difference| against R: {max(diffs):.2e} (goal < 1e-6)")


def stats_stage(copies: tuple[int, ...] = (50, 100)) -> None:
    """The stats stage's tables on the demo's clean responses stacked ``copies`` times (30,000 and
    60,000 respondents): seconds and seconds per 10,000 rows (linear cost: equal per-row times)."""
    import warnings

    from pipeline.core.tables import read_frame
    from pipeline.stats.stage import build_tables

    demo = ROOT / "examples" / "demo"
    with tempfile.TemporaryDirectory() as tmp:
        study, df = _demo_clean(Path(tmp), population=True)
        pop = read_frame(demo / "raw" / "households.csv")
        pop["households"] = pd.to_numeric(pop["households"])
        print(f"\n{'stats stage tables':<26}{'rows':>10}{'s':>8}{'s / 10k rows':>14}")
        for k in copies:
            big = pd.concat([df] * k, ignore_index=True)
            big["respondent"] = np.arange(len(big)).astype(str)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build_tables(study.questionnaire, big, 1, {"computed": [], "skipped": {}}, pop, "households.csv")
            sec = time.perf_counter() - t0
            print(f"{'':<26}{len(big):>10,}{sec:>8.1f}{sec / len(big) * 1e4:>14.2f}")
        print(f"{'':<26}goal: under 15 s at 60,000 rows, cost growing linearly")


def _demo_clean(tmp: Path, population: bool):
    """The demo survey ingested and cleaned into ``tmp``: (study, cleaned responses)."""
    from pipeline.core.study import Study
    from pipeline.survey import clean, ingest

    demo = ROOT / "examples" / "demo"
    raw = demo / "raw" / "survey_by_text.xlsx"
    if not raw.exists():
        subprocess.run([sys.executable, str(demo / "generate.py"), "--out", str(demo / "raw")], check=True)
    pop = f"  population: {demo / 'raw' / 'households.csv'}\n" if population else ""
    study_file = tmp / "study.yaml"
    study_file.write_text(f"name: bench_models\nquestionnaire: renewal_satisfaction\nsurvey:\n  files: [{raw}]\n"
                          f"{pop}outputs: {tmp}/out\n", encoding="utf-8")
    study = Study(study_file)
    ingest.run(study)
    clean.run(study)
    return study, pd.read_parquet(study.stage_dir("clean") / "responses.parquet")


def validity_and_mediation() -> None:
    """The CFA of the demo's five constructs and a 5,000-draw bootstrap mediation (goal: under
    30 s together)."""
    import warnings

    from pipeline.stats import satisfaction as sat
    from pipeline.stats.paths import mediation
    from pipeline.stats.sem import sem
    from pipeline.stats.validity import measurement_validity

    with tempfile.TemporaryDirectory() as tmp:
        study, df = _demo_clean(Path(tmp), population=False)
        q = study.questionnaire
        cons = {c.id: q.construct_items(c.id) for c in q.constructs}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            measurement_validity(df, cons)
            t1 = time.perf_counter()
            scores = sat.construct_scores(df, cons).add_prefix("score_")
            d = pd.concat([df, scores], axis=1)
            mediation(d, "score_process", "score_management", "overall_sat", n_boot=5000)
            t2 = time.perf_counter()
            model = {k: cons[k] for k in ("process", "management")}
            desc = "\n".join(f"{k} =~ " + " + ".join(v) for k, v in model.items())
            desc += "\nmanagement ~ process\noverall_sat ~ management + process"
            sem(df, desc)
            t3 = time.perf_counter()
            sem(df, desc, n_boot=5000)
            t4 = time.perf_counter()
            # baseline in the same process: semopy's fit of the same model (no SEs, no bootstrap)
            import semopy

            full = "\n".join(f"{k} =~ " + " + ".join(v) for k, v in cons.items())
            t5 = time.perf_counter()
            semopy.Model(full).fit(df[[i for v in cons.values() for i in v]].astype(float).dropna())
            t6 = time.perf_counter()
    print(f"\n{'demo CFA (5 constructs)':<34}{t1 - t0:>8.2f} s   (semopy's fit alone: {t6 - t5:.2f} s, "
          f"ratio {(t1 - t0) / (t6 - t5):.2f})")
    print(f"{'mediation, 5,000 bootstrap draws':<34}{t2 - t1:>8.2f} s")
    print(f"{'together':<34}{t2 - t0:>8.2f} s   (goal: under 30 s)")
    print(f"{'SEM process→management→overall':<34}{t3 - t2:>8.2f} s   (delta-method indirect effect)")
    print(f"{'  the same, 5,000 bootstrap refits':<34}{t4 - t3:>8.2f} s   (goal: under 30 s)")


if __name__ == "__main__":
    main()
    stats_stage()
    validity_and_mediation()
