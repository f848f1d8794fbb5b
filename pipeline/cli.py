"""Command line: ``python -m pipeline STAGE --study PATH``.

Input errors print one line (file, row, column, value) and exit with code 2, never a traceback.
Only the standard library is imported here so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

STAGES = {
    "ingest": "read the survey export(s) into outputs/<study>/ingest/",
    "clean": "apply the quality rules; write clean/responses.parquet, exclusions.csv, cleaning_log.json",
    "stats": "reliability, validity, satisfaction index, IPA, participation, priorities → stats/*.csv",
    "interviews": "read, redact and segment the transcripts → interviews/segments.parquet",
    "code": "apply the codebook to the segments → coding/codings.parquet, frequencies, quotes",
    "topics": "NMF and LDA topic models of the segments (k by NPMI coherence), keywords by role → topics/*.csv",
    "findings": "survey indicators and interview evidence joined problem by problem → findings/findings.csv",
    "report": "tables and figures → report/report.xlsx, report.docx, report.md, tables/*.tex, figures/*.png",
}
ORDER = ["ingest", "clean", "stats", "interviews", "code", "topics", "findings", "report"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Survey-and-interview pipeline for old residential community renovation studies.",
        epilog="Example: python -m pipeline run --study examples/demo/study.yaml",
    )
    sub = p.add_subparsers(dest="stage", metavar="STAGE", required=True)
    for name, help_ in {**STAGES, "run": "run every stage in order (" + " → ".join(ORDER) + ")"}.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--study", required=True, metavar="PATH", help="the study file (YAML)")
        sp.add_argument("--quiet", action="store_true", help="print nothing but errors")
    help_ = "print every input each stage reads, as a Makefile fragment (the Makefile includes it)"
    sp = sub.add_parser("deps", help=help_, description=help_)
    sp.add_argument("--study", required=True, metavar="PATH", help="the study file (YAML)")
    sp.add_argument("--output", metavar="FILE", help="write the fragment to FILE instead of printing it")
    return p


def _run_stage(name: str, study, quiet: bool) -> None:
    t0 = time.perf_counter()
    if name == "ingest":
        from pipeline.survey import ingest

        log = ingest.run(study)
        if not quiet:
            files = ", ".join(f"{f['file']} ({f['format']}, {f['mode']}, {f['rows']} rows)" for f in log["files"])
            red = log["redactions"]
            print(f"ingest: {log['rows']} submissions read from {files}"
                  + (f"; redacted in open answers: {red}" if red else ""))
    elif name == "clean":
        from pipeline.survey import clean

        log = clean.run(study)
        if not quiet:
            clean.print_summary(log)
    elif name == "interviews":
        from pipeline.interviews import stage as iv_stage

        log = iv_stage.run(study)
        if not quiet:
            print(f"interviews: {log['documents']} transcripts, {log['informants']} informants, {log['segments']} segments "
                  f"({log['interviewer_segments']} by the interviewer); redacted: {log['redactions'] or 'nothing'}")
    elif name == "code":
        from pipeline.interviews import coding

        log = coding.run(study)
        if not quiet:
            print(f"code: {log['codings']} codings on {log['coded_segments']} of {log['segments']} segments; "
                  f"{log['codes_used']} of {log['codes_in_codebook']} codes used")
    elif name == "topics":
        from pipeline.interviews import topics

        log = topics.run(study)
        if not quiet:
            chosen = "; ".join(f"{m.upper()} k={c['k']} (NPMI {c['npmi']:.3f})" for m, c in log["chosen"].items())
            print(f"topics: {log['units']} units from {log['segments']} segments, {log['vocabulary']} terms; {chosen}")
    elif name == "findings":
        from pipeline.findings import stage as findings

        log = findings.run(study)
        if not quiet:
            conv = ", ".join(f"{k} {v}" for k, v in log["convergence"].items())
            print(f"findings: {log['problems']} problems ({conv}); ranked: {', '.join(log['ranking'])}")
    elif name == "report":
        from pipeline.report import stage as report

        log = report.run(study)
        if not quiet:
            print(f"report ({log['language']}): {len(log['tables'])} tables, {len(log['figures'])} figures → "
                  + ", ".join(f for f in log["files"] if not f.startswith("tables/")) + ", tables/*.tex, figures/*.png")
    elif name == "stats":
        from pipeline.stats import stage

        log = stage.run(study)
        if not quiet:
            print(f"stats: {len(log['tables'])} tables from {log['rows']} respondents")
            for table, why in log["skipped"].items():
                print(f"  skipped {table}: {why}")
    if not quiet:
        folder = {"code": "coding"}.get(name, name)
        print(f"{name}: done in {time.perf_counter() - t0:.2f} s → {study.stage_dir(folder)}")


def _os_message(e: OSError, study) -> str:
    """The system's reason, and when an earlier stage's output is missing, which stage makes it."""
    name = e.filename or (e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else None)
    if isinstance(e, FileNotFoundError) and name and study is not None:
        try:
            rel = Path(name).resolve().relative_to(study.out.resolve())
        except ValueError:
            rel = None
        if rel is not None and rel.parts:
            made_by = {"coding": "code"}.get(rel.parts[0], rel.parts[0])
            return (f"{name} does not exist: run the '{made_by}' stage first "
                    f"(make {made_by}, or python -m pipeline run --study {study.path})")
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from pipeline.core.errors import EXIT_INPUT_ERROR, InputError

    try:
        from pipeline.core.study import Study

        if args.stage == "deps":
            from pipeline.core import makedeps

            study = Study(args.study, check_files=False)  # inputs make builds (the demo's exports) may be absent
            if args.output:
                makedeps.write(study, args.output)
            else:
                sys.stdout.write(makedeps.fragment(study))
            return 0
        study = Study(args.study)
        stages = ORDER if args.stage == "run" else [args.stage]
        if args.stage == "run" and study.config.interviews is None:
            stages = [s for s in stages if s not in ("interviews", "code", "topics")]
        elif args.stage == "run" and not study.config.coding_scheme:
            stages = [s for s in stages if s != "code"]
        from pipeline.core.stage import study_lock

        with study_lock(study.out):
            for s in stages:
                _run_stage(s, study, args.quiet)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except OSError as e:  # a file that cannot be opened, read or written: the system's reason, no traceback
        print(f"error: {_os_message(e, locals().get('study'))}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
