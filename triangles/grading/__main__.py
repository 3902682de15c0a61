"""Command line: ``python -m triangles.grading grade ...`` and ``... merge-manual ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from triangles.paths import COURSE_DIR

from . import flags

DESCRIPTION = """\
Grade student notebooks against the course masters - no database, no server.

Typical use:
  python -m triangles.grading grade submitted/ --out grading-output/
  (fill in the score column of grading-output/manual/*.csv)
  python -m triangles.grading merge-manual grading-output/

Submissions are laid out as nbgrader's: <submissions>/<student>/<assignment>/<assignment>.ipynb,
optionally with nbgrader's timestamp.txt beside it. Masters: <course>/source/<assignment>/<assignment>.ipynb.
Only the students' answer cells are taken from a submission; everything else (set-up, checks, hidden
tests) comes from the master. Each notebook runs in a fresh kernel; answers are exported as plain data
and compared in the grader's own process with the answers of the master, run the same way.
"""

OUTPUTS = """\
output folder:
  grades.csv                       one row per student: a column per exercise, total, flags
  feedback/<student>/<assignment>.html   what was right and wrong, with the visible hints
  manual/<exercise>.csv            free-response answers to score: student, answer, rubric,
                                   points, score (fill in, 0..points), comment
  results/<student>/<assignment>.json    the full result, one file per submission
  expected/<assignment>-<checksum>.json  the master's answers (cache)
  run.json                         which students and exercises the last run covered

Rerunning is cheap: a submission is only graded again if it, its timestamp, the master, the due
date or the timeout changed. A run that was killed picks up where it stopped.

exit status: 0 done; 1 some submissions hit a grader error (rerun to retry them) or manual sheets
have errors; 2 bad arguments or a broken master.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m triangles.grading", description=DESCRIPTION,
                                     epilog=OUTPUTS + "\n" + flags.help_text(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="grade a folder of submissions",
                                description="Grade every <student>/<assignment>/<assignment>.ipynb under SUBMISSIONS.",
                                epilog=OUTPUTS + "\n" + flags.help_text(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("submissions", type=Path, help="folder holding one folder per student")
    grade.add_argument("--out", type=Path, required=True, help="output folder (created if needed)")
    grade.add_argument("--course", type=Path, default=COURSE_DIR,
                       help=f"course folder holding source/<assignment>/ masters (default: {COURSE_DIR})")
    grade.add_argument("--jobs", type=int, default=None,
                       help="notebooks graded at the same time (default: the number of CPU cores)")
    grade.add_argument("--timeout", type=float, default=60.0,
                       help="seconds one cell may run before it is interrupted (default: 60)")
    grade.add_argument("--due", action="append", metavar="[ASSIGNMENT=]DATE",
                       help="due date, e.g. 2025-03-01T17:00+01:00 (no zone = UTC); repeat per assignment. "
                            "Later timestamps get the 'late' flag; there is no penalty")
    grade.add_argument("--assignment", action="append", metavar="ID",
                       help="grade only this assignment (repeatable; default: every assignment found)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")

    merge = commands.add_parser("merge-manual", help="validate the manual sheets and merge them into grades.csv",
                                description="Check every score in OUT/manual/*.csv (a number from 0 to the "
                                            "exercise's points, or blank for 'not yet'), then rewrite "
                                            "OUT/grades.csv and the feedback. Nothing is written if any "
                                            "entry is invalid; each error names file, row and column.")
    merge.add_argument("out", type=Path, help="the output folder of a previous grade run")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "merge-manual":
        from .manual import merge

        return merge(args.out)
    return _grade(args)


def _grade(args) -> int:
    from .batch import default_jobs, discover, plan, run
    from .feedback import write_feedback
    from .lateness import parse_due
    from .manual import read_sheets, write_sheets
    from .master import MasterError
    from .report import load_results, write_grades, write_run

    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    if args.timeout <= 0 or (args.jobs is not None and args.jobs < 1):
        print("error: --timeout and --jobs must be positive", file=sys.stderr)
        return 2
    try:
        due = parse_due(args.due)
    except (ValueError, OverflowError) as exc:
        print(f"error: --due: {exc}", file=sys.stderr)
        return 2
    students, assignments, unknown = discover(args.submissions, args.course, args.assignment)
    for name in unknown:
        print(f"warning: no master for assignment {name!r} in {args.course / 'source'}; skipped", file=sys.stderr)
    if not students or not assignments:
        print("error: nothing to grade (no student folders, or no assignment with a master)", file=sys.stderr)
        return 2
    try:
        work = plan(args.submissions, args.course, args.out, assignments, students, due, args.timeout)
        stats = run(args.submissions, args.out, work, due, args.timeout, args.jobs or default_jobs(),
                    progress=not args.quiet)
    except MasterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    run_info = write_run(args.out, students, work.masters)
    results = load_results(args.out, run_info)
    write_sheets(args.out, run_info, results)
    scores, errors, pending = read_sheets(args.out, run_info)
    for error in errors:
        print(f"warning: {error} (left out of grades.csv)", file=sys.stderr)
    grades = write_grades(args.out, run_info, results, scores)
    write_feedback(args.out, run_info, results, scores)
    flagged = sum(1 for r in results.values() if r.get("flags"))
    rate = stats["graded"] / stats["seconds"] if stats["seconds"] else 0.0
    print(f"graded {stats['graded']} notebook(s), reused {stats['reused']}"
          + (f", {stats['seconds']:.1f}s ({rate:.2f}/s)" if stats["graded"] else "")
          + f"; {flagged} flagged; {pending} manual score(s) to enter; wrote {grades}", file=sys.stderr)
    if stats["grader_errors"]:
        print(f"{stats['grader_errors']} submission(s) hit a grader error; rerun to retry them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # the guard matters: worker processes are spawned and re-import this module
    sys.exit(main())
