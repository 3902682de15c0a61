"""Manual grading of free-response answers: one CSV sheet per exercise, then merge-manual.

``<out>/manual/<exercise_id>.csv`` has the columns student, answer, rubric, points, score,
comment. The instructor fills in score (0..points, blank = not scored yet) and comment.
Regenerating the sheets (another ``grade`` run) keeps what was entered as long as the student's
answer is unchanged; a blank answer is pre-scored 0 (the instructor may change it).
"""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path

from . import notebooks as nbu
from .feedback import write_feedback
from .report import csv_text, exercises, from_csv_text, load_results, read_run, write_grades
from .store import write_text_atomic

COLUMNS = ["student", "answer", "rubric", "points", "score", "comment"]
BLANK_COMMENT = "blank answer: scored 0 automatically"
CHANGED_COMMENT = "answer changed since it was scored; please score again"
_BLANK_TEXTS = {"", "your answer here"}


def sheet_path(out: Path, exercise_id: str) -> Path:
    return Path(out) / "manual" / f"{exercise_id}.csv"


def manual_exercises(run: dict) -> list[dict]:
    return [e for e in exercises(run) if e["mode"] == "manual"]


def write_sheets(out: Path, run: dict, results: dict) -> list[Path]:
    paths = []
    for ex in manual_exercises(run):
        path = sheet_path(out, ex["id"])
        previous = {from_csv_text(row.get("student") or ""): row for row in _rows(path)}
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for student in run["students"]:
            answer = _answer(results.get((student, ex["assignment"])), ex["id"])
            row = {"student": csv_text(student), "answer": csv_text(answer), "rubric": ex.get("rubric", ""),
                   "points": _fmt(ex["points"]), "score": "", "comment": ""}
            old = previous.get(student)
            if old is not None and nbu.normalised(old.get("answer", "")) == nbu.normalised(row["answer"]):
                row["score"], row["comment"] = old.get("score", ""), old.get("comment", "")
            elif old is not None and (old.get("score") or "").strip() and not is_blank(answer):
                row["comment"] = " ".join(filter(None, [CHANGED_COMMENT, old.get("comment", "")]))
            elif is_blank(answer):
                row["score"], row["comment"] = "0", BLANK_COMMENT
            elif old is not None:
                row["comment"] = old.get("comment", "")
            writer.writerow(row)
        write_text_atomic(path, buffer.getvalue())
        paths.append(path)
    return paths


def is_blank(answer: str) -> bool:
    return nbu.normalised(answer).casefold() in _BLANK_TEXTS


def _answer(result: dict | None, exercise_id: str) -> str:
    for verdict in (result or {}).get("exercises", []):
        if verdict["exercise"] == exercise_id:
            return verdict.get("answer") or ""
    return ""


def _rows(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, csv.Error, UnicodeDecodeError):
        return []


def read_sheets(out: Path, run: dict) -> tuple[dict, list[str], int]:
    """({(student, exercise): {"score": float|None, "comment": str}}, errors, blank count).

    Errors name the file, the row (the header is row 1, as in a spreadsheet) and the column.
    """
    scores: dict = {}
    errors: list[str] = []
    pending = 0
    students = set(run["students"])
    for ex in manual_exercises(run):
        path = sheet_path(out, ex["id"])
        name = f"manual/{path.name}"
        if not path.is_file():
            pending += len(students)
            continue
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                header = reader.fieldnames or []
                rows = list(reader)
        except (OSError, csv.Error, UnicodeDecodeError) as exc:
            errors.append(f"{name}: cannot be read as CSV ({exc})")
            continue
        missing = [c for c in ("student", "score") if c not in header]
        if missing:
            errors.append(f"{name}, row 1: missing column(s) {', '.join(repr(c) for c in missing)}")
            continue
        seen = set()
        for number, row in enumerate(rows, start=2):
            student = from_csv_text((row.get("student") or "").strip())
            where = f"{name}, row {number}"
            if student not in students:
                errors.append(f"{where}, column 'student': unknown student {student!r}")
                continue
            if student in seen:
                errors.append(f"{where}, column 'student': {student!r} appears twice")
                continue
            seen.add(student)
            score, problem = _score(row.get("score"), float(ex["points"]))
            if problem:
                errors.append(f"{where} (student {student}), column 'score': {problem}")
                continue
            pending += score is None
            scores[(student, ex["id"])] = {"score": score, "comment": (row.get("comment") or "").strip()}
        pending += len(students - seen)
    return scores, errors, pending


def _score(text: str | None, points: float) -> tuple[float | None, str | None]:
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number"
    if not math.isfinite(value):
        return None, f"{text!r} is not a finite number"
    if value < 0:
        return None, f"{text} is negative (scores go from 0 to {_fmt(points)})"
    if value > points:
        return None, f"{text} is more than the {_fmt(points)} point(s) this exercise is worth"
    return value, None


def merge(out: Path) -> int:
    """Validate every sheet; only if all entries are valid, rewrite grades.csv and the feedback."""
    out = Path(out)
    run = read_run(out)
    if run is None:
        print(f"error: {out} has no run.json; run `python -m triangles.grading grade` first", file=sys.stderr)
        return 2
    scores, errors, pending = read_sheets(out, run)
    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"{len(errors)} problem(s) in the manual sheets; nothing was merged.", file=sys.stderr)
        return 1
    results = load_results(out, run)
    path = write_grades(out, run, results, scores)
    write_feedback(out, run, results, scores)
    entered = sum(1 for v in scores.values() if v["score"] is not None)
    print(f"merged {entered} manual score(s) into {path}; {pending} still blank.", file=sys.stderr)
    return 0


def _fmt(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"
