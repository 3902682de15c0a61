"""The gradebook: every score as it finally stands, from the stored results, without any kernel.

For each (student, assignment) it combines, in this order:
  1. the automatic verdicts in ``results/`` (partial credit included, judged at grade time);
  2. the manual scores and comments in ``manual/<exercise>.csv`` (or entered in the grading desk);
  3. the overrides replayed from ``gradebook-log.jsonl`` (overrides.py), which win over both;
  4. the late policy (policy.py), applied to the assignment's total.

``publish`` writes everything that derives from these - grades.csv, the manual sheets and the
feedback pages - so ``grade``, ``merge-manual``, ``override`` and the desk all agree. Before
rewriting grades.csv it looks for hand edits made since it last wrote the file: an edited exercise
score becomes a logged override; any other edit is kept in a dated copy and reported. A hand edit
is never silently overwritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import overrides as ov
from .config import GradebookConfig, load_config
from .policy import Lateness
from .report import csv_text, fmt, from_csv_text, load_results, read_run
from .store import write_text_atomic

STATE_DIR = ".gradebook"          # inside the output folder: the last grades.csv written, for hand edits
WRITTEN_COPY = "grades-written.csv"


@dataclass
class Cell:
    """One exercise of one student, as it finally stands."""
    exercise: str
    assignment: str
    mode: str
    points: float
    score: float | None            # None: not scored yet (or needs a look)
    source: str                    # "auto", "manual", "override", "none"
    status: str                    # the verdict's status, or "manual", "no-submission", "needs-look"
    verdict: dict = field(default_factory=dict)
    comment: str = ""              # the manual comment (shown to the student)
    override: dict | None = None   # {"score", "reason", "time"} when overridden
    rubric: str = ""               # e.g. "R02.5 in course/rubrics.md" (free responses)


@dataclass
class AssignmentGrade:
    student: str
    assignment: str
    cells: list[Cell]
    lateness: Lateness
    result: dict | None
    flags: list[str]

    @property
    def possible(self) -> float:
        return sum(c.points for c in self.cells)

    @property
    def raw(self) -> float:
        return sum(c.score or 0.0 for c in self.cells)

    @property
    def final(self) -> float:
        return self.lateness.apply(self.raw)

    @property
    def penalty(self) -> float:
        return round(self.raw - self.final, 6)

    @property
    def submitted(self) -> bool:
        return self.result is not None and not _missing_notebook(self.result)

    @property
    def pending(self) -> int:
        return sum(1 for c in self.cells if c.score is None)

    @property
    def needs_look(self) -> bool:
        return bool(self.result and self.result.get("grader_error"))


def _missing_notebook(result: dict) -> bool:
    return any(f.get("flag") == "missing-notebook" for f in result.get("flags", []))


@dataclass
class Gradebook:
    run: dict
    config: GradebookConfig
    grades: dict[tuple[str, str], AssignmentGrade]

    @property
    def students(self) -> list[str]:
        return self.run["students"]

    @property
    def assignments(self) -> list[dict]:
        return self.run["assignments"]

    def student_rows(self) -> list[dict]:
        """Rows of grades.csv as dicts (scores as numbers, None for 'not scored yet')."""
        rows = []
        for student in self.students:
            row: dict = {"student": student}
            if self.config.roster is not None:
                match = self.config.roster.match(student)
                row["name"] = match.name if match else ""
                row["section"] = match.section if match else ""
            flags, total, penalty, final = [], 0.0, 0.0, 0.0
            for assignment in self.assignments:
                grade = self.grades[(student, assignment["assignment"])]
                for cell in grade.cells:
                    row[cell.exercise] = cell.score
                total += grade.raw
                penalty += grade.penalty
                final += grade.final
                flags.extend(grade.flags)
            row.update(total=total, late_penalty=penalty, final=final, flags="; ".join(dict.fromkeys(flags)))
            rows.append(row)
        return rows

    def columns(self) -> list[str]:
        ids = [e["id"] for a in self.assignments for e in a["exercises"]]
        named = ["name", "section"] if self.config.roster is not None else []
        return ["student", *named, *ids, "total", "late_penalty", "final", "flags"]


def build(out: Path, run: dict, config: GradebookConfig, manual_scores: dict, results: dict | None = None) -> Gradebook:
    results = load_results(out, run) if results is None else results
    active = ov.current_overrides(out)
    grades = {}
    for assignment in run["assignments"]:
        aid = assignment["assignment"]
        for student in run["students"]:
            result = results.get((student, aid))
            grades[(student, aid)] = _assignment_grade(student, assignment, result, manual_scores, active, config)
    return Gradebook(run, config, grades)


def _assignment_grade(student, assignment, result, manual_scores, active, config) -> AssignmentGrade:
    aid = assignment["assignment"]
    verdicts = {v["exercise"]: v for v in (result or {}).get("exercises", [])}
    failed = bool(result and result.get("grader_error"))
    cells = []
    for ex in assignment["exercises"]:
        verdict = verdicts.get(ex["id"], {})
        entry = manual_scores.get((student, ex["id"]), {})
        if result is None:
            score, source, status = None, "none", "no-submission"
        elif ex["mode"] == "manual":
            score, source, status = entry.get("score"), "manual", "manual"
        elif failed:
            score, source, status = None, "none", "needs-look"
        else:
            score, source, status = verdict.get("score", 0.0), "auto", verdict.get("status", "not-judged")
        cell = Cell(ex["id"], aid, ex["mode"], float(ex["points"]), score, source, status, verdict,
                    comment=entry.get("comment", "") if ex["mode"] == "manual" else "", rubric=ex.get("rubric", ""))
        override = active.get((student, ex["id"]))
        if override is not None:
            cell.score, cell.source, cell.override = float(override["score"]), "override", override
        cells.append(cell)
    lateness = config.policy.lateness(student, aid, (result or {}).get("timestamp"))
    flags = []
    if result is None:
        flags.append(f"{aid}:no-submission")
    for f in (result or {}).get("flags", []):
        if f["flag"] == "late":
            continue  # recomputed below from the timestamp and the current policy
        flags.append(f"{aid}:{f['flag']}" + (f"({f['exercise']})" if f.get("exercise") else ""))
    if lateness.late:
        flags.append(f"{aid}:late")
    if result is not None and sandbox_state(result)[1]:
        flags.append(f"{aid}:unsandboxed")
    if any(c.source == "override" for c in cells):
        flags.append(f"{aid}:overridden")
    return AssignmentGrade(student, aid, cells, lateness, result, flags)


def sandbox_state(result: dict) -> tuple[str, bool]:
    """(how this submission's kernel was confined, ran unsandboxed?) as the grader recorded it."""
    box = result.get("sandbox")
    mode = box.get("mode") if isinstance(box, dict) else box if isinstance(box, str) else None
    unsandboxed = bool(result.get("unsandboxed")) or mode == "none" or \
        (isinstance(box, dict) and bool(box.get("unsandboxed")))
    if unsandboxed:
        return "unsandboxed: the instructor graded without a sandbox (--unsandboxed)", True
    return (f"sandboxed ({mode})" if mode else "not recorded"), False


# --------------------------------------------------------------------------------------------
# grades.csv, with hand edits detected
# --------------------------------------------------------------------------------------------


def write_grades(out: Path, book: Gradebook) -> Path:
    """Write grades.csv, and the copy that the next run compares it with (hand edits)."""
    out = Path(out)
    path = out / "grades.csv"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=book.columns(), lineterminator="\n")
    writer.writeheader()
    for row in book.student_rows():
        writer.writerow({k: csv_text(str(v)) if k in ("student", "name", "section", "flags") else fmt(v)
                         for k, v in row.items()})
    text = buffer.getvalue()
    write_text_atomic(path, text)
    write_text_atomic(out / STATE_DIR / WRITTEN_COPY, text)
    return path


def adopt_hand_edits(out: Path, run: dict) -> list[str]:
    """Compare grades.csv with the copy written last time. Each changed exercise score becomes an
    override logged as a hand edit; any other change is saved in a dated copy of the file."""
    out = Path(out)
    current, written = out / "grades.csv", out / STATE_DIR / WRITTEN_COPY
    if not current.is_file() or not written.is_file():
        return []
    try:
        now_text, then_text = current.read_text(encoding="utf-8-sig"), written.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return _keep_copy(out, current, "grades.csv could not be read as UTF-8")
    if now_text == then_text:
        return []
    now, then = _by_student(now_text), _by_student(then_text)
    exercise_points = {e["id"]: float(e["points"]) for a in run["assignments"] for e in a["exercises"]}
    warnings, other = [], []
    for student, row in now.items():
        before = then.get(student)
        if before is None:
            other.append(f"a row for {student!r} was added")
            continue
        for column, value in row.items():
            if (before.get(column) or "") == (value or ""):
                continue
            if column not in exercise_points or student not in run["students"]:
                other.append(f"{student}, column {column!r}: {before.get(column)!r} -> {value!r}")
                continue
            score = _number(value)
            if score is None or not 0 <= score <= exercise_points[column]:
                other.append(f"{student}, column {column!r}: {value!r} is not a score from 0 to "
                             f"{exercise_points[column]:g}")
                continue
            ov.append(out, "hand-edit", student, column, old=_number(before.get(column)), new=score,
                      reason="edited by hand in grades.csv")
            warnings.append(f"grades.csv: {student} {column} was edited by hand ({before.get(column) or 'blank'} -> "
                            f"{value}); kept as an override (see gradebook-log.jsonl)")
    if other:
        warnings.extend(_keep_copy(out, current, "; ".join(other[:5]) + (" ..." if len(other) > 5 else "")))
    return warnings


def _keep_copy(out: Path, current: Path, what: str) -> list[str]:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    copy = out / f"grades.hand-edited-{stamp}.csv"
    shutil.copy2(current, copy)
    return [f"grades.csv had edits that cannot be kept as exercise overrides ({what}); your edited file "
            f"is saved as {copy.name}. Use `python -m triangles.grading override` to change a score."]


def _by_student(text: str) -> dict[str, dict]:
    rows = {}
    for row in csv.DictReader(io.StringIO(text)):
        student = from_csv_text((row.get("student") or "").strip())
        if student:
            rows[student] = row
    return rows


def _number(text) -> float | None:
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


def config_for(run: dict, config_path: Path | None = None) -> GradebookConfig:
    """The configuration given now, else the one the last grade run used (remembered in run.json)."""
    path = config_path or (Path(run["config"]) if run.get("config") else None)
    due = {None if k == "*" else k: v for k, v in (run.get("due") or {}).items()}
    return load_config(path, due)


def publish(out: Path, run: dict | None = None, config: GradebookConfig | None = None,
            results: dict | None = None, quiet: bool = False) -> tuple[Gradebook, list[str], int]:
    """Write the manual sheets, grades.csv and the feedback from what is stored now.

    Returns (gradebook, problems in the manual sheets (left out), scores still to enter)."""
    from .feedback import write_feedback
    from .manual import log_changes, read_sheets, write_sheets

    out = Path(out)
    run = run or read_run(out)
    config = config or config_for(run)
    results = load_results(out, run) if results is None else results
    warnings = adopt_hand_edits(out, run)  # first: an edit must become an override before the rewrite
    for warning in warnings:
        if not quiet:
            print(f"warning: {warning}", file=sys.stderr)
    write_sheets(out, run, results)
    scores, errors, pending = read_sheets(out, run)
    log_changes(out, scores)
    book = build(out, run, config, scores, results)
    write_grades(out, book)
    write_feedback(out, book)
    return book, errors, pending
