"""Manual grading of free-response answers: one CSV sheet per exercise, then merge-manual.

``<out>/manual/<exercise_id>.csv`` has the columns student, answer, rubric, points, score,
comment. The instructor fills in score (0..points, blank = not scored yet) and comment, in a
spreadsheet or in the grading desk (triangles.widgets.desk, which calls ``enter_score``).
Regenerating the sheets (another ``grade`` run) keeps what was entered as long as the student's
answer is unchanged; a blank answer is pre-scored 0 (the instructor may change it). A submission
the grader failed on (grader error) or that is absent keeps its row exactly as it was: a grader
error never blanks an answer, never pre-scores it 0, and never loses a score or a comment.
Every score or comment that changes is logged in gradebook-log.jsonl (overrides.py).
"""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path

from . import notebooks as nbu
from . import overrides as ov
from .report import csv_text, exercises, from_csv_text, read_run
from .store import read_json, write_json_atomic, write_text_atomic

COLUMNS = ["student", "answer", "rubric", "points", "score", "comment"]
BLANK_COMMENT = "blank answer: scored 0 automatically"
CHANGED_COMMENT = "answer changed since it was scored; please score again"
LOGGED = ".gradebook/manual-logged.json"  # the scores and comments last written to the log
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
            result = results.get((student, ex["assignment"]))
            old = previous.get(student)
            if old is not None and _answers_unknown(result):
                writer.writerow({c: old.get(c, "") for c in COLUMNS})  # nothing known now: keep it all
                continue
            answer = _answer(result, ex["id"])
            row = {"student": csv_text(student), "answer": csv_text(answer), "rubric": ex.get("rubric", ""),
                   "points": _fmt(ex["points"]), "score": "", "comment": ""}
            if result is None or result.get("grader_error"):
                pass  # no submission yet, or the grader failed on it: never pre-scored
            elif old is not None and nbu.normalised(old.get("answer", "")) == nbu.normalised(row["answer"]):
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


UNREADABLE = {"grader-error", "missing-notebook", "corrupt-notebook", "refused-file"}


def _answers_unknown(result: dict | None) -> bool:
    """No answer could be read (no result, a grader error, no readable notebook): an entered score
    must then be kept as it is, and a new row must not be pre-scored as blank."""
    return result is None or bool(result.get("grader_error")) or \
        any(f.get("flag") in UNREADABLE and not f.get("exercise") for f in result.get("flags", []))


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
    absent = set(run.get("absent") or [])  # on the roster, never submitted: nothing to score
    for ex in manual_exercises(run):
        path = sheet_path(out, ex["id"])
        name = f"manual/{path.name}"
        if not path.is_file():
            pending += len(students - absent)
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
            pending += score is None and student not in absent
            scores[(student, ex["id"])] = {"score": score,
                                           "comment": from_csv_text((row.get("comment") or "").strip())}
        pending += len(students - seen - absent)
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


def merge(out: Path, config_path: Path | None = None) -> int:
    """Validate every sheet; only if all entries are valid, rewrite grades.csv and the feedback."""
    from .config import ConfigError
    from .gradebook import config_for, publish
    from .roster import RosterError

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
    try:
        config = config_for(run, config_path)
    except (ConfigError, RosterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if config_path is not None:
        run["config"] = str(Path(config_path).resolve())
        write_json_atomic(out / "run.json", run)
    publish(out, run, config)
    entered = sum(1 for v in scores.values() if v["score"] is not None)
    print(f"merged {entered} manual score(s) into {out / 'grades.csv'}; {pending} still blank.", file=sys.stderr)
    return 0


def log_changes(out: Path, scores: dict) -> int:
    """Append a ``manual`` log entry for each score or comment that changed since the last call
    (whoever changed it: a spreadsheet, the desk, a rerun). Returns how many were logged."""
    out = Path(out)
    seen = read_json(out / LOGGED) or {}
    logged = 0
    for (student, exercise), entry in sorted(scores.items()):
        key = f"{student}\t{exercise}"
        now = {"score": entry.get("score"), "comment": entry.get("comment", "")}
        before = seen.get(key, {"score": None, "comment": ""})
        if now != before:
            ov.append(out, "manual", student, exercise, old=before["score"], new=now["score"],
                      comment=now["comment"], reason=_why(now["comment"]))
            seen[key] = now
            logged += 1
    if logged:
        write_json_atomic(out / LOGGED, seen)
    return logged


def _why(comment: str) -> str:
    if comment == BLANK_COMMENT:
        return "blank answer: pre-scored 0 by the grader"
    if comment.startswith(CHANGED_COMMENT):
        return "the student's answer changed: score cleared by the grader"
    return "entered in a manual sheet or the grading desk"


def enter_score(out: Path, run: dict, exercise_id: str, student: str, score: float | None, comment: str) -> None:
    """Set one student's score and comment in a manual sheet (what the grading desk calls).

    Validated like a sheet entry; the sheet is rewritten atomically with every other row kept."""
    ex = next((e for e in manual_exercises(run) if e["id"] == exercise_id), None)
    if ex is None:
        raise ValueError(f"{exercise_id} is not a free-response exercise of the last grade run")
    if student not in run["students"]:
        raise ValueError(f"unknown student {student!r}")
    if score is not None:
        _, problem = _score(repr(float(score)), float(ex["points"]))
        if problem:
            raise ValueError(f"{exercise_id}, {student}: {problem}")
    path = sheet_path(out, exercise_id)
    rows = _rows(path)
    if not any(from_csv_text(r.get("student") or "") == student for r in rows):
        raise ValueError(f"{path.name} has no row for {student}; run grade first")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if from_csv_text(row.get("student") or "") == student:
            row = dict(row, score="" if score is None else _fmt(score), comment=csv_text(comment.strip()))
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    write_text_atomic(path, buffer.getvalue())


def _fmt(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"
