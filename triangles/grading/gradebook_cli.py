"""The gradebook's commands (wired into ``python -m triangles.grading``): none of them runs a kernel.

    override OUT STUDENT EXERCISE SCORE --reason TEXT     set a score by hand (logged; survives regrades)
    override OUT STUDENT EXERCISE --clear --reason TEXT   remove it
    export OUT [--format canvas moodle blackboard long]   files for the learning platform, in OUT/exports/
    class-report OUT                                      OUT/class-report.html
    pack-feedback OUT                                     OUT/returns/<student>.zip
    log OUT                                               every logged change, oldest first

Each takes ``--config gradebook.toml`` (default: the one the last grade run used) and rewrites
grades.csv and the feedback first, so what it reports is what stands now.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("override", "export", "class-report", "pack-feedback", "log")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="TOML",
                        help="gradebook configuration: roster, due dates, late policy, extensions, "
                             "learning-platform ids (see docs/gradebook.md; default: the one the last grade run used)")


def add_commands(commands) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    over = commands.add_parser("override", help="override one exercise score, with a reason (logged)",
                               description="Set STUDENT's score on EXERCISE to SCORE (0..points), whatever the "
                                           "grader or the manual sheet says, until cleared. Every override is "
                                           "appended to OUT/gradebook-log.jsonl with the time, your login and the "
                                           "reason; it survives every regrade and merge.", formatter_class=formatter)
    over.add_argument("out", type=Path)
    over.add_argument("student")
    over.add_argument("exercise")
    over.add_argument("score", nargs="?", type=float)
    over.add_argument("--reason", required=True, help="why (kept in the log; not shown to the student)")
    over.add_argument("--clear", action="store_true", help="remove the override instead")
    export = commands.add_parser("export", help="gradebook files for Canvas, Moodle, Blackboard, and a long CSV",
                                 description="Write OUT/exports/<format>.csv: one column per assignment, after "
                                             "overrides and the late policy, with the points possible. Formats "
                                             "and their sources: docs/gradebook-exports.md.", formatter_class=formatter)
    export.add_argument("out", type=Path)
    export.add_argument("--format", nargs="+", choices=["canvas", "moodle", "blackboard", "long"],
                        default=["canvas", "moodle", "blackboard", "long"])
    report = commands.add_parser("class-report", help="OUT/class-report.html: per question, scores, share right, "
                                                      "common wrong answers, flags, lateness")
    report.add_argument("out", type=Path)
    pack = commands.add_parser("pack-feedback", help="OUT/returns/<student>.zip: each student's feedback pages")
    pack.add_argument("out", type=Path)
    log = commands.add_parser("log", help="print the gradebook log (overrides, manual scores, hand edits)")
    log.add_argument("out", type=Path)
    for parser in (over, export, report, pack, log):
        add_config_option(parser)


def dispatch(args) -> int:
    from .config import ConfigError
    from .gradebook import config_for, publish
    from .overrides import OverrideError, clear_override, read_log, set_override
    from .report import read_run
    from .roster import RosterError

    run = read_run(args.out)
    if run is None:
        print(f"error: {args.out} has no run.json; run `python -m triangles.grading grade` first", file=sys.stderr)
        return 2
    if args.command == "log":
        for e in read_log(args.out):
            print(f"{e['time']}  {e['by']:10} {e['kind']:9} {e['student']:12} {e['exercise']:10} "
                  f"{_show(e.get('old'))} -> {_show(e.get('new'))}  {e.get('reason', '')}")
        return 0
    try:
        config = config_for(run, args.config)
    except (ConfigError, RosterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "override":
        try:
            if args.clear:
                clear_override(args.out, run, args.student, args.exercise, args.reason)
            elif args.score is None:
                print("error: give a SCORE, or --clear", file=sys.stderr)
                return 2
            else:
                set_override(args.out, run, args.student, args.exercise, args.score, args.reason)
        except OverrideError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    book, errors, _ = publish(args.out, run, config)
    for error in errors:
        print(f"warning: {error} (left out of grades.csv)", file=sys.stderr)
    if args.command == "override":
        what = "cleared" if args.clear else f"set to {args.score:g}"
        print(f"{args.student} {args.exercise}: override {what}; grades.csv and feedback rewritten", file=sys.stderr)
    elif args.command == "export":
        from .exports import write_exports

        paths, warnings = write_exports(args.out, book, args.format)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for path in paths:
            print(path)
    elif args.command == "class-report":
        from .classreport import write_class_report

        print(write_class_report(args.out, book))
    elif args.command == "pack-feedback":
        from .pack import pack_feedback

        paths = pack_feedback(args.out)
        print(f"packed the feedback of {len(paths)} student(s) into {Path(args.out) / 'returns'}", file=sys.stderr)
    return 0


def finish_grade(args, students: list[str], masters: dict, config) -> tuple[dict, object, list[str], int]:
    """After a grade run: remember it (run.json), reconcile the roster, publish everything."""
    from .gradebook import publish
    from .report import write_run
    from .roster import reconcile

    _, unknown, missing = reconcile(config.roster, students)
    for folder in unknown:
        print(f"warning: submission folder {folder!r} is not on the roster", file=sys.stderr)
    for student in missing:
        print(f"warning: {student!r} is on the roster but has no submission folder", file=sys.stderr)
    due = {None if k == "*" else k: v for k, v in config.policy.due.items()}
    run = write_run(args.out, students, masters, config=getattr(args, "config", None), due=due, absent=missing)
    book, errors, pending = publish(args.out, run, config)
    return run, book, errors, pending


def load_grade_config(args):
    """The configuration for a grade run (--config and --due), or an error message."""
    from .config import ConfigError, load_config
    from .lateness import parse_due
    from .roster import RosterError

    from .report import read_run

    try:
        due = parse_due(args.due)
    except (ValueError, OverflowError) as exc:
        return None, f"--due: {exc}"
    if getattr(args, "config", None) is None:  # a rerun without --config keeps the last run's policy and roster
        previous = (read_run(args.out) or {}).get("config")
        if previous:
            args.config = Path(previous)
            print(f"using the configuration of the last run: {previous} (give --config to change it)", file=sys.stderr)
    try:
        return load_config(getattr(args, "config", None), due), None
    except (ConfigError, RosterError) as exc:
        return None, str(exc)


def _show(value) -> str:
    return "blank" if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)
