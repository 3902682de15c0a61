"""4. Grading throughput: the kit's grader against stock ``nbgrader autograde``, same class, same run.

Both grade the same deterministic class (classroom.py) in one temporary copy of course/ (with its
nbgrader_config.py). nbgrader first gets its gradebook and release from ``generate_assignment``
(set-up, not timed, as ``python -m triangles.course release`` is not); then each is timed from
command start to exit:

* the kit:   ``python -m triangles.grading grade submitted --out OUT --course COPY --quiet``, every
             kernel sealed in its bubblewrap sandbox (the default), OUT fresh for the first half
             (running the masters for the expected answers is included), kept for the second (the
             kit skips what it graded, as an instructor's rerun would)
* nbgrader:  ``nbgrader autograde ASSIGNMENT`` once per assignment, in the copy

The kit runs one kernel per core; nbgrader runs one notebook at a time: that difference is what the
goal (kit <= 0.5x nbgrader on 2 cores) is about. Scores must be identical: per student, the kit's
auto-graded points against nbgrader's ``code_score`` from its gradebook. The class is handed in in two
halves, graded in ABBA order (see ``measure``), so that load on the shared machine is spread evenly.

The sandbox's cost: afterwards the kit grades the whole class once more with ``--unsandboxed`` (not
part of the ratio); the cost per submission is the difference of the two runs' median seconds per
notebook in a worker, and of their wall times divided by the number of notebooks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import GOALS, classroom
from .common import REPO, Goal, Section, log, median, ratio, secs, x, yes_no
from .course import SOURCE

COURSE = REPO / "course"
COURSE_ID = "great-power-triangles"


def default_assignments(count: int) -> list[str]:
    """The ``count`` assignments with the most auto-graded exercises (ties: course order)."""
    masters = sorted(p.parent.name for p in SOURCE.glob("*/*.ipynb") if p.stem == p.parent.name)
    ranked = sorted(masters, key=lambda a: -len(classroom.exercises(classroom.read(SOURCE / a / f"{a}.ipynb"))))
    return sorted(a for a in ranked[:count] if classroom.exercises(classroom.read(SOURCE / a / f"{a}.ipynb")))


def _course_copy(tmp: Path, assignments: list[str]) -> Path:
    """course/ with only the assignments graded (nbgrader would otherwise see every master)."""
    copy = tmp / "course"
    copy.mkdir()
    shutil.copy2(COURSE / "nbgrader_config.py", copy / "nbgrader_config.py")
    for assignment in assignments:
        shutil.copytree(SOURCE / assignment, copy / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return copy


def _env() -> dict:
    # nbgrader runs `alembic` from PATH to open its gradebook: this venv's bin/ must come first,
    # as it does for an instructor whose venv is activated.
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _timed(command: list[str], cwd: Path, label: str) -> tuple[float, subprocess.CompletedProcess]:
    log(f"grading: {label}: {' '.join(command[2:])}")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=_env())
    return time.perf_counter() - started, done


def _tail(done: subprocess.CompletedProcess, lines: int = 3) -> str:
    text = (done.stderr or done.stdout or "").strip().splitlines()
    return " | ".join(text[-lines:])[:400]


def measure(size: int, assignments: list[str] | None = None, jobs: int | None = None) -> dict:
    """Grade the class with both graders in ABBA order: the kit and nbgrader each grade the first
    half of the class, then (nbgrader first this time) the second half. Both skip what they graded
    already (nbgrader keeps autograded/, the kit its results/), so each grades every notebook once,
    and a machine whose load drifts during the section weighs on both alike."""
    assignments = assignments or default_assignments(1)
    if not assignments:
        return {"failed": "no master with an auto-graded exercise yet"}
    tmp = Path(tempfile.mkdtemp(prefix="triangles-bench-grading-"))
    try:
        copy = _course_copy(tmp, assignments)
        students = classroom.make_class(tmp / "class", assignments, size)
        sources = {a: classroom.student_notebook(a)[1] for a in assignments}
        points = {k: v for a in assignments for k, v in classroom.auto_points(a).items()}
        out: dict = {"assignments": assignments, "size": size, "student_source": sources,
                     "design": classroom.expected_totals(students, points),
                     "kinds": {s.name: s.kind for s in students},
                     "kit_seconds": 0.0, "nbgrader_seconds": 0.0, "runs": []}

        # nbgrader's set-up (not timed): gradebook, release/
        for assignment in assignments:
            _, done = _timed([sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                              "--force"], copy, "nbgrader set-up")
            if done.returncode != 0:
                out["nbgrader_failed"] = f"generate_assignment {assignment}: {_tail(done)}"

        kit_out = tmp / "kit-output"
        half = (len(students) + 1) // 2
        for phase, group, order in ((1, students[:half], ("kit", "nbgrader")),
                                    (2, students[half:], ("nbgrader", "kit"))):
            for student in group:  # hand in this half's submissions
                shutil.move(str(tmp / "class" / student.name), str(copy / "submitted" / student.name))
            for grader in order:
                if grader == "kit":
                    _run_kit(copy, kit_out, jobs, out, phase)
                elif "nbgrader_failed" not in out:
                    _run_nbgrader(copy, assignments, out, phase)
        out["kit_scores"], out["kit_per_notebook"] = _kit_scores(kit_out, assignments)
        out["kit_sandbox"] = _sandbox_modes(kit_out)
        # the sandbox's cost: the same class once more without it (not part of the ratio)
        plain_out, plain = tmp / "kit-unsandboxed", {"kit_seconds": 0.0, "runs": []}
        _run_kit(copy, plain_out, jobs, plain, 0, "--unsandboxed")
        out["unsandboxed_seconds"] = plain["kit_seconds"]
        out["unsandboxed_failed"] = plain.get("kit_failed")
        out["unsandboxed_scores"], out["unsandboxed_per_notebook"] = _kit_scores(plain_out, assignments)
        if "nbgrader_failed" not in out:
            out["nbgrader_scores"] = _nbgrader_scores(copy, assignments, [s.name for s in students])
        else:
            out["nbgrader_seconds"] = float("nan")
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run_kit(copy: Path, kit_out: Path, jobs: int | None, out: dict, phase: int, *extra: str) -> None:
    command = [sys.executable, "-m", "triangles.grading", "grade", str(copy / "submitted"),
               "--out", str(kit_out), "--course", str(copy), "--quiet", *extra]
    if jobs:
        command += ["--jobs", str(jobs)]
    label = f"half {phase}" if phase else "whole class"
    took, done = _timed(command, REPO, f"the kit's grader {' '.join(extra)}, {label}".replace("  ", " "))
    out["kit_seconds"] += took
    out["runs"].append(["kit", phase, took])
    if done.returncode != 0:
        out["kit_failed"] = f"exit {done.returncode}: {_tail(done)}"


def _run_nbgrader(copy: Path, assignments: list[str], out: dict, phase: int) -> None:
    for assignment in assignments:
        took, done = _timed([sys.executable, "-m", "nbgrader", "autograde", assignment], copy,
                            f"nbgrader autograde, half {phase}")
        out["nbgrader_seconds"] += took
        out["runs"].append(["nbgrader", phase, took])
        if done.returncode != 0:
            out["nbgrader_failed"] = f"autograde {assignment}: exit {done.returncode}: {_tail(done)}"


def _kit_scores(out: Path, assignments: list[str]) -> tuple[dict[str, float], list[float]]:
    """Per student, the auto-graded points over the assignments (result files), and the seconds each
    notebook took in its worker."""
    scores: dict[str, float] = {}
    seconds = []
    for path in sorted((out / "results").glob("*/*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        if result.get("assignment") not in assignments:
            continue
        auto = sum(e.get("score") or 0 for e in result.get("exercises", []) if e.get("mode") == "auto")
        scores[result["student"]] = scores.get(result["student"], 0.0) + auto
        if "seconds" in result:
            seconds.append(result["seconds"])
    return scores, seconds


def _sandbox_modes(out: Path) -> dict[str, int]:
    """How many result files were graded in each sandbox mode (bwrap, podman, docker, none)."""
    modes: dict[str, int] = {}
    for path in (out / "results").glob("*/*.json"):
        mode = (json.loads(path.read_text(encoding="utf-8")).get("sandbox") or {}).get("mode", "unknown")
        modes[mode] = modes.get(mode, 0) + 1
    return modes


def _nbgrader_scores(copy: Path, assignments: list[str], students: list[str]) -> dict[str, float]:
    from nbgrader.api import Gradebook, MissingEntry

    scores: dict[str, float] = {}
    with Gradebook(f"sqlite:///{copy / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        for student in students:
            total = 0.0
            for assignment in assignments:
                try:
                    total += gb.find_submission(assignment, student).code_score or 0.0
                except MissingEntry:
                    pass
            scores[student] = total
    return scores


def section(measured: dict) -> Section:
    goal = GOALS["grading"]
    sec = Section(
        key="grading",
        title="4. Grading throughput",
        intro=("A deterministic class (every 4th student complete, every 4th blank, the rest a seeded "
               "mix of right, wrong and blank answers) graded by the kit's grader "
               "(`python -m triangles.grading grade`, one kernel per core, each in its bubblewrap sandbox, "
               "masters' expected answers included) and by stock `nbgrader autograde` (one notebook at a time; "
               "`generate_assignment` beforehand, not timed), in one temporary copy of `course/`, "
               "each grading every notebook once. "
               "**Floor:** nbgrader's wall time. Scores compared per student on the auto-graded "
               "points (nbgrader's `code_score`)."),
        columns=["measure", "the kit", "floor: nbgrader autograde", "ratio", "goal", "met?"],
        rows=[],
    )
    if "failed" in measured:
        sec.skipped = measured["failed"]
        return sec
    assignments = ", ".join(measured["assignments"])
    n = measured["size"]
    notebooks = n * len(measured["assignments"])
    kit, nbg = measured.get("kit_seconds", float("nan")), measured.get("nbgrader_seconds", float("nan"))
    r = ratio(kit, nbg)
    failed = measured.get("kit_failed") or measured.get("nbgrader_failed")
    mismatches = _mismatches(measured)
    for what in ("kit_failed", "nbgrader_failed"):
        if measured.get(what):
            sec.notes.append(f"**{'The kit' if what == 'kit_failed' else 'nbgrader'} failed:** {measured[what]}")
    fast = None if failed or nbg != nbg else r <= goal
    same = None if failed else not mismatches
    sec.rows.append([f"wall time: {n} students x {assignments}", secs(kit), secs(nbg), x(r), f"<= {goal}x",
                     yes_no(fast)])
    sec.rows.append(["per notebook (wall time / notebooks)", secs(kit / notebooks), secs(nbg / notebooks),
                     x(r), "", ""])
    sec.rows.append(["students whose totals agree", f"{n - len(mismatches)} of {n}", "", "",
                     "all (identical scores)", yes_no(same)])
    met = None if fast is None or same is None else fast and same
    g = Goal("grading", f"kit wall time / nbgrader ({n} students x {len(measured['assignments'])}), same scores",
             f"<= {goal}x, identical scores", x(r), met, key="grading")
    if failed:
        g.evidence.append(failed)
    if measured.get("kit_per_notebook"):
        per = measured["kit_per_notebook"]
        g.evidence.append(f"the kit: {len(per)} notebooks, median {secs(median(per))} each in its worker "
                          f"(nbgrader: {secs(nbg / notebooks)} each, one at a time)")
        needed = median(per) / (goal * nbg / notebooks)
        g.evidence.append(f"the kit's workers were busy {secs(sum(per))} in {secs(kit)} of wall time, "
                          f"{sum(per) / kit:.2f} notebooks at once on {os.cpu_count()} cores; at "
                          f"{secs(median(per))} per notebook the goal needs {needed:.2f} at once")
    g.evidence += mismatches[:5]
    modes = measured.get("kit_sandbox", {})
    g.evidence.append("the kit's kernels ran in: " + (", ".join(f"{m} ({k} notebooks)" for m, k in sorted(modes.items()))
                                                       or "no result files"))
    sec.goals.append(g)
    _sandbox_cost(sec, measured, notebooks)

    kit_scores, nb_scores = measured.get("kit_scores", {}), measured.get("nbgrader_scores", {})
    design = measured.get("design", {})
    sec.tables.append(("Scores", ["check", "result"], [
        ["mismatches (kit against nbgrader, per student)", "; ".join(mismatches) if mismatches else "none"],
        ["class total: kit / nbgrader / by design", f"{sum(kit_scores.values()):g} / "
         f"{sum(nb_scores.values()):g} / {sum(design.values()):g}"],
    ]))
    off_design = [s for s in design if s in kit_scores and kit_scores[s] != design[s]]
    if off_design:
        sec.notes.append(f"{len(off_design)} student(s) scored differently from the class's design by "
                         f"the kit (e.g. {off_design[0]}: {kit_scores[off_design[0]]:g} against "
                         f"{design[off_design[0]]:g}); an answer that builds on a blank earlier answer "
                         "can fail although it is the master's: both graders should agree on it.")
    sources = set(measured.get("student_source", {}).values())
    if "generated" in sources:
        sec.notes.append("The student notebooks were not released yet: submissions were made from the "
                         "student version generated from the master (`triangles.course.student_version`).")
    runs = measured.get("runs", [])
    if runs:
        sec.notes.append("Each grader graded every notebook once, the class handed in in two halves and "
                         "graded in ABBA order so that the machine's load weighs on both alike: "
                         + ", ".join(f"{'the kit' if g == 'kit' else 'nbgrader'} (half {p}) {secs(t)}"
                                     for g, p, t in runs) + ".")
    sec.raw = measured
    return sec


def _sandbox_cost(sec: Section, measured: dict, notebooks: int) -> None:
    """The sandbox's cost per submission, from the extra --unsandboxed run of the same class."""
    plain = measured.get("unsandboxed_seconds")
    if not plain:
        return
    boxed_each, plain_each = median(measured.get("kit_per_notebook") or [float("nan")]), \
        median(measured.get("unsandboxed_per_notebook") or [float("nan")])
    kit = measured.get("kit_seconds", float("nan"))
    same = measured.get("unsandboxed_scores") == measured.get("kit_scores")
    sec.tables.append(("The sandbox's cost", ["measure", "sandboxed (bwrap)", "--unsandboxed", "cost per notebook"], [
        ["median seconds per notebook in its worker", secs(boxed_each), secs(plain_each), secs(boxed_each - plain_each)],
        [f"wall time / {notebooks} notebooks (sandboxed: two half runs)", secs(kit / notebooks), secs(plain / notebooks),
         secs((kit - plain) / notebooks)],
        ["same scores with and without the sandbox", "", "", yes_no(same)],
    ]))
    if measured.get("unsandboxed_failed"):
        sec.notes.append(f"**The --unsandboxed run failed:** {measured['unsandboxed_failed']}")
    sec.notes.append("The sandbox's cost was measured by grading the whole class once more with `--unsandboxed` "
                     f"after the timed runs ({secs(plain)} wall time); that run is not part of the ratio.")


def _mismatches(measured: dict) -> list[str]:
    kit, nbg = measured.get("kit_scores", {}), measured.get("nbgrader_scores", {})
    out = []
    for student in sorted(measured.get("design", {})):
        a, b = kit.get(student), nbg.get(student)
        if a is None or b is None or abs(a - b) > 1e-9:
            out.append(f"{student} ({measured['kinds'].get(student)}): kit {_pts(a)}, nbgrader {_pts(b)}")
    return out


def _pts(value) -> str:
    return "missing" if value is None else f"{value:g}"
