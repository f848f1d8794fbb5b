"""Command line: ``renewal STAGE --study PATH`` (the same as ``python -m pipeline STAGE …``).

The sub-commands are the stages of :mod:`pipeline.core.registry`, ``run`` (every stage that
applies, in order), ``deps`` (the Makefile fragment) and ``stages`` (the table of stages).

Input errors print one line (file, row, column, value) and exit with code 2, never a traceback.
Only the standard library is imported here so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.core.registry import BY_FOLDER, BY_NAME, ORDER, STAGES

PROG = "renewal"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Survey-and-interview pipeline for old residential community renovation studies "
                    "(`renewal` and `python -m pipeline` are the same command).",
        epilog="Example: renewal run --study examples/demo/study.yaml",
    )
    sub = p.add_subparsers(dest="stage", metavar="STAGE", required=True)
    commands = {s.name: s.help for s in STAGES}
    commands["run"] = "run every stage that applies to the study, in order (" + " → ".join(ORDER) + ")"
    for name, help_ in commands.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--study", required=True, metavar="PATH", help="the study file (YAML)")
        sp.add_argument("--quiet", action="store_true", help="print nothing but errors")
        if name == "review":
            sp.add_argument("--import", dest="import_file", metavar="FILE",
                            help="a reviewed review.xlsx (or .qdpx): add its decisions to the study's decisions "
                                 "file (interviews.review), then rerun the code stage")
            sp.add_argument("--reviewer", metavar="NAME", help="who reviewed (default: the file's reviewer column)")
    help_ = "print every input each stage reads, as a Makefile fragment (the Makefile includes it)"
    sp = sub.add_parser("deps", help=help_, description=help_)
    sp.add_argument("--study", required=True, metavar="PATH", help="the study file (YAML)")
    sp.add_argument("--output", metavar="FILE", help="write the fragment to FILE instead of printing it")
    help_ = ("draft questionnaire.yaml and study.yaml from one or more exports of the same survey "
             "(e.g. 问卷星 按文本 and 按序号 together); see docs/init.md")
    sp = sub.add_parser("init", help=help_, description=help_)
    sp.add_argument("exports", nargs="+", metavar="EXPORT", help="export file(s): .xlsx/.xls/.csv/.sav")
    sp.add_argument("--out", required=True, metavar="DIR", help="folder for questionnaire.yaml and study.yaml")
    sp.add_argument("--format", default="auto", help="how to read the exports (as survey.format; default auto)")
    sp.add_argument("--name", help="the study's name (default: the --out folder's name)")
    sp.add_argument("--force", action="store_true", help="replace questionnaire.yaml/study.yaml already in DIR")
    help_ = "print the table of stages (docs/stages.md)"
    sub.add_parser("stages", help=help_, description=help_)
    help_ = ("delete the stage folders under an outputs folder that are wholly the pipeline's (make clean); "
             "folders with your files or edits are kept and listed")
    sp = sub.add_parser("clean-outputs", help=help_, description=help_)
    sp.add_argument("folder", nargs="?", default="outputs", help="the outputs folder (default: outputs)")
    return p


def _run_stage(name: str, study, quiet: bool) -> None:
    stage = BY_NAME[name]
    t0 = time.perf_counter()
    log = stage.runner()(study)
    if not quiet:
        print(stage.summariser()(log))
        print(f"{name}: done in {time.perf_counter() - t0:.2f} s → {study.stage_dir(stage.folder)}")


def _os_message(e: OSError, study) -> str:
    """The system's reason, and when an earlier stage's output is missing, which stage makes it."""
    name = e.filename or (e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else None)
    if isinstance(e, FileNotFoundError) and name and study is not None:
        try:
            rel = Path(name).resolve().relative_to(study.out.resolve())
        except ValueError:
            rel = None
        if rel is not None and rel.parts:
            made_by = BY_FOLDER[rel.parts[0]].name if rel.parts[0] in BY_FOLDER else rel.parts[0]
            return (f"{name} does not exist: run the '{made_by}' stage first "
                    f"(make {made_by}, or python -m pipeline run --study {study.path})")
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from pipeline.core.errors import EXIT_INPUT_ERROR, CannotCompute, InputError

    try:
        from pipeline.core.study import Study

        if args.stage == "clean-outputs":
            from pipeline.core.stage import remove_outputs

            removed, kept = remove_outputs(Path(args.folder))
            print(f"removed {len(removed)} stage folder(s) under {args.folder}")
            for folder, why in kept:
                print(f"kept {folder}: {why}")
            return 0
        if args.stage == "init":
            from pipeline.survey.draft import run_init

            res = run_init(args.exports, args.out, args.format, args.name, args.force)
            print(f"wrote {res['questionnaire']} ({res['items']} items; {res['checks']} with a CHECK note) and {res['study']}")
            for f in res["files"]:
                print(f"  read {f}")
            if res["twins"]:
                print(f"  {', '.join(res['twins'])}: the same respondents again; used for the codes, not listed in survey.files")
            print(f"next: read the CHECK comments, then: renewal run --study {res['study']}")
            return 0
        if args.stage == "stages":
            from pipeline.core.registry import markdown

            sys.stdout.write(markdown())
            return 0
        if args.stage == "deps":
            from pipeline.core import makedeps

            study = Study(args.study, check_files=False)  # inputs make builds (the demo's exports) may be absent
            if args.output:
                makedeps.write(study, args.output)
            else:
                sys.stdout.write(makedeps.fragment(study))
            return 0
        study = Study(args.study)
        if args.stage == "review" and args.import_file:
            from pipeline.interviews.review import import_review, import_summary

            with study_lock_for(study):
                print(import_summary(import_review(study, args.import_file, args.reviewer)))
            return 0
        from pipeline.core.registry import stages_for
        from pipeline.core.stage import study_lock

        stages = [s.name for s in stages_for(study)] if args.stage == "run" else [args.stage]
        if args.stage != "run" and not BY_NAME[args.stage].applies(study):
            needs = {"survey": "'survey' section", "interviews": "'interviews' section",
                     "coding": "'interviews' and a 'coding_scheme'"}[BY_NAME[args.stage].needs]
            raise InputError(f"the {args.stage} stage has nothing to do: the study has no {needs}", file=study.path)

        with study_lock(study.out):
            for s in stages:
                _run_stage(s, study, args.quiet)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except CannotCompute as e:  # what these data cannot give, in a stage that cannot go on without it
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except OSError as e:  # a file that cannot be opened, read or written: the system's reason, no traceback
        print(f"error: {_os_message(e, locals().get('study'))}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def study_lock_for(study):
    from pipeline.core.stage import study_lock

    return study_lock(study.out)


def entry() -> None:
    """The ``renewal`` console command."""
    raise SystemExit(main())
