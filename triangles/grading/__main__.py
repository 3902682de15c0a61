"""Command line: ``python -m triangles.grading grade ...`` and ``... merge-manual ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from triangles.paths import COURSE_DIR

from . import flags
from .gradebook_cli import COMMANDS as GRADEBOOK_COMMANDS
from .gradebook_cli import add_commands as add_gradebook_commands
from .gradebook_cli import add_config_option
from .sandbox import Limits

DESCRIPTION = """\
Grade student notebooks against the course masters - no database, no server.

Typical use:
  python -m triangles.grading grade submitted/ --out grading-output/
  (fill in the score column of grading-output/manual/*.csv)
  python -m triangles.grading merge-manual grading-output/

Submissions are laid out as nbgrader's: <submissions>/<student>/<assignment>/<assignment>.ipynb,
optionally with nbgrader's timestamp.txt beside it. Masters: <course>/source/<assignment>/<assignment>.ipynb.
Only the students' answer cells (and code cells they added, run in notebook order) are taken from a
submission; everything else (set-up, checks, hidden tests) comes from the master. Each notebook runs in
a fresh kernel sealed in a bubblewrap sandbox (no view of the course, the output folder, other
submissions or your home; no network; capped memory, processes, file size, output and time); answers
are exported as plain data and compared in the grader's own process with the answers of the master,
run the same way. Without bubblewrap (or podman/docker and --container-image) grading is refused
unless you pass --unsandboxed.
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

Rerunning is cheap: a submission is only graded again if it, its timestamp, the master, the
timeout or the sandbox settings changed. Due dates and the late policy are applied afterwards, so
changing them never reruns a kernel. A run that was killed picks up where it stopped.

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
                            "Later timestamps are late; the penalty, grace and extensions come from --config (late policy)")
    grade.add_argument("--assignment", action="append", metavar="ID",
                       help="grade only this assignment (repeatable; default: every assignment found)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    box = grade.add_argument_group(
        "sandbox", "Every kernel runs in a bubblewrap sandbox: no view of the course, the output folder, other "
                   "submissions or your home; no network; its own PID namespace. Caps (0 = off) are recorded in "
                   "each result with what enforced them.")
    box.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                     help=f"memory of one kernel and its children, cgroup (default: {Limits.memory_mb})")
    box.add_argument("--max-processes", type=int, default=Limits.processes,
                     help=f"processes and threads of one kernel, cgroup (default: {Limits.processes})")
    box.add_argument("--address-space-mb", type=int, default=Limits.address_space_mb,
                     help=f"address space of each kernel process, prlimit (default: {Limits.address_space_mb})")
    box.add_argument("--max-file-mb", type=int, default=Limits.file_mb,
                     help=f"largest file a kernel may write, prlimit (default: {Limits.file_mb})")
    box.add_argument("--max-output-mb", type=float, default=Limits.output_mb,
                     help=f"output of one cell the grader keeps; the rest is dropped and flagged "
                          f"(default: {Limits.output_mb:g})")
    box.add_argument("--notebook-timeout", type=float, default=0, metavar="SECONDS",
                     help="time the whole notebook may take (default: --timeout times the master's code cells, "
                          "so cells a student adds cannot add time)")
    box.add_argument("--container-image", metavar="IMAGE",
                     help="where bubblewrap cannot run: grade in podman/docker with this image (it must hold "
                          "Python and this kit's requirements)")
    box.add_argument("--unsandboxed", action="store_true",
                     help="run students' code WITHOUT a sandbox, as you (only where no sandbox can run); "
                          "recorded in grades.csv and on every feedback page")

    merge = commands.add_parser("merge-manual", help="validate the manual sheets and merge them into grades.csv",
                                description="Check every score in OUT/manual/*.csv (a number from 0 to the "
                                            "exercise's points, or blank for 'not yet'), then rewrite "
                                            "OUT/grades.csv and the feedback. Nothing is written if any "
                                            "entry is invalid; each error names file, row and column.")
    merge.add_argument("out", type=Path, help="the output folder of a previous grade run")
    add_config_option(grade)
    add_config_option(merge)
    add_gradebook_commands(commands)  # override, export, class-report, pack-feedback, log (gradebook_cli.py)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "merge-manual":
        from .manual import merge

        return merge(args.out, args.config)
    if args.command in GRADEBOOK_COMMANDS:
        from .gradebook_cli import dispatch

        return dispatch(args)
    return _grade(args)


def _grade(args) -> int:
    from .batch import default_jobs, discover, plan, run
    from .gradebook_cli import finish_grade, load_grade_config
    from .master import MasterError
    from .sandbox import SandboxUnavailable, choose

    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    if args.timeout <= 0 or (args.jobs is not None and args.jobs < 1):
        print("error: --timeout and --jobs must be positive", file=sys.stderr)
        return 2
    caps = {"memory_mb": args.memory_mb, "processes": args.max_processes, "address_space_mb": args.address_space_mb,
            "file_mb": args.max_file_mb, "output_mb": args.max_output_mb, "notebook_seconds": args.notebook_timeout}
    if any(value < 0 for value in caps.values()):
        print("error: the sandbox caps must be 0 (off) or positive", file=sys.stderr)
        return 2
    try:
        sandbox = choose(Limits(**caps), unsandboxed=args.unsandboxed, image=args.container_image)
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if sandbox.mode == "none":
        print("warning: --unsandboxed: students' code runs as you, without a sandbox; every result says so",
              file=sys.stderr)
    config, problem = load_grade_config(args)  # roster, due dates, late policy: checked before any kernel
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    due = {None if k == "*" else k: v for k, v in config.policy.due.items()}
    students, assignments, unknown = discover(args.submissions, args.course, args.assignment)
    for name in unknown:
        print(f"warning: no master for assignment {name!r} in {args.course / 'source'}; skipped", file=sys.stderr)
    if not students or not assignments:
        print("error: nothing to grade (no student folders, or no assignment with a master)", file=sys.stderr)
        return 2
    try:
        work = plan(args.submissions, args.course, args.out, assignments, students, due, args.timeout, sandbox)
        stats = run(args.submissions, args.out, work, due, args.timeout, args.jobs or default_jobs(), sandbox,
                    progress=not args.quiet)
    except MasterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    _, book, errors, pending = finish_grade(args, students, work.masters, config)
    results = {k: g.result for k, g in book.grades.items() if g.result is not None}
    for error in errors:
        print(f"warning: {error} (left out of grades.csv)", file=sys.stderr)
    grades = args.out / "grades.csv"
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
