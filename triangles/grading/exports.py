"""Gradebook exports for learning platforms: one column per assignment, after the late policy and
the overrides, with the points possible; plus a tidy long CSV with one row per student and exercise.

The formats, as each platform documents its import (sources in docs/gradebook-exports.md):

canvas      Canvas Gradebook import: the columns Student, ID, SIS User ID, SIS Login ID, Section,
            then one column per assignment named "<title> (<Canvas assignment id>)" (without an id,
            Canvas creates a new assignment); the second row is "Points Possible".
moodle      Moodle's CSV grade import: the same layout as its export - identity columns (First name,
            Last name, ID number, Email address) and one column per grade item; on import you map
            "Email address" or "ID number" to the user and each column to a grade item. Moodle keeps
            the points possible on the grade item (its maximum grade), so they are not a row here.
blackboard  Blackboard Grade Center upload: every value in quotes; students keyed by "Username";
            one column per assignment named "<title> [Total Pts: <points> Score] |<column id>" as
            in a Grade Center download (without a column id, Blackboard adds a new column).
long        tidy: student, assignment, exercise and every number that made the score.

A student with no submission gets an empty cell (not 0): the platform's own missing/zero rule
applies. Text cells that a spreadsheet would run as a formula are quoted (report.csv_text).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .gradebook import Gradebook
from .report import csv_text, fmt
from .store import write_text_atomic

FORMATS = ("canvas", "moodle", "blackboard", "long")
CANVAS_ID_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_ID_COLUMNS = ["First name", "Last name", "ID number", "Email address"]
BLACKBOARD_ID_COLUMNS = ["Last Name", "First Name", "Username"]
LONG_COLUMNS = ["student", "name", "email", "section", "assignment", "exercise", "mode", "points", "score",
                "source", "override_reason", "raw_total", "timestamp", "due", "seconds_late", "percent_off",
                "cut_off", "assignment_final", "assignment_points", "flags"]


def split_name(name: str, fallback: str) -> tuple[str, str]:
    """(first, last) from "Last, First" or "First Last"; the student id if there is no name."""
    name = name.strip()
    if not name:
        return fallback, ""
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return first, last
    parts = name.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (name, "")


def assignment_columns(book: Gradebook) -> list[dict]:
    """[{assignment, title, points, canvas_id, blackboard_column_id}] in course order."""
    columns = []
    for assignment in book.assignments:
        aid = assignment["assignment"]
        columns.append({"assignment": aid, "title": book.config.title(aid),
                        "points": sum(float(e["points"]) for e in assignment["exercises"]),
                        "canvas_id": book.config.lms_id(aid, "canvas_id"),
                        "blackboard_column_id": book.config.lms_id(aid, "blackboard_column_id")})
    return columns


def _final(book: Gradebook, student: str, aid: str) -> str:
    grade = book.grades[(student, aid)]
    return fmt(grade.final) if grade.submitted or grade.cells and any(c.source == "override" for c in grade.cells) \
        else ""


def lms_students(book: Gradebook) -> list[str]:
    """Who goes into a platform's file: with a roster, only students on it (a platform cannot match
    anyone else; grades.csv and the long export keep them); without one, everybody."""
    if book.config.roster is None:
        return list(book.students)
    return [s for s in book.students if book.config.roster.match(s) is not None]


def _person(book: Gradebook, student: str):
    return book.config.roster.match(student) if book.config.roster is not None else None


def canvas(book: Gradebook) -> str:
    columns = assignment_columns(book)
    header = CANVAS_ID_COLUMNS + [f"{c['title']} ({c['canvas_id']})" if c["canvas_id"] else c["title"]
                                  for c in columns]
    rows = [header, ["Points Possible", "", "", "", ""] + [fmt(c["points"]) for c in columns]]
    for student in lms_students(book):
        person = _person(book, student)
        get = (lambda field: person.get(field)) if person else (lambda field: "")
        name = get("name")
        if name and "," not in name:
            first, last = split_name(name, student)
            name = f"{last}, {first}" if last else first
        rows.append([csv_text(name or student), get("canvas_id"), get("sis_user_id"), get("sis_login_id"),
                     csv_text(get("section"))] + [_final(book, student, c["assignment"]) for c in columns])
    return _csv(rows)


def moodle(book: Gradebook) -> str:
    columns = assignment_columns(book)
    rows = [MOODLE_ID_COLUMNS + [c["title"] for c in columns]]
    for student in lms_students(book):
        person = _person(book, student)
        first, last = split_name(person.name if person else "", student)
        rows.append([csv_text(first), csv_text(last), person.sis_user_id if person else student,
                     person.email if person else ""] + [_final(book, student, c["assignment"]) for c in columns])
    return _csv(rows)


def blackboard(book: Gradebook) -> str:
    columns = assignment_columns(book)
    header = BLACKBOARD_ID_COLUMNS + [
        f"{c['title']} [Total Pts: {fmt(c['points'])} Score]" + (f" |{c['blackboard_column_id']}"
                                                                   if c["blackboard_column_id"] else "")
        for c in columns]
    rows = [header]
    for student in lms_students(book):
        person = _person(book, student)
        first, last = split_name(person.name if person else "", student)
        username = (person.username or person.student_id) if person else student
        rows.append([csv_text(last), csv_text(first), username]
                    + [_final(book, student, c["assignment"]) for c in columns])
    return _csv(rows, quote_all=True)


def long(book: Gradebook) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LONG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for assignment in book.assignments:
        aid = assignment["assignment"]
        for student in book.students:
            grade = book.grades[(student, aid)]
            person = _person(book, student)
            late = grade.lateness
            for cell in grade.cells:
                writer.writerow({
                    "student": csv_text(student), "name": csv_text(person.name if person else ""),
                    "email": person.email if person else "", "section": csv_text(person.section if person else ""),
                    "assignment": aid, "exercise": cell.exercise, "mode": cell.mode, "points": fmt(cell.points),
                    "score": fmt(cell.score), "source": cell.source,
                    "override_reason": csv_text(cell.override["reason"]) if cell.override else "",
                    "raw_total": fmt(grade.raw), "timestamp": late.timestamp or "", "due": late.due or "",
                    "seconds_late": fmt(late.seconds_late) if late.late else "0",
                    "percent_off": fmt(late.percent_off), "cut_off": "yes" if late.cut_off else "no",
                    "assignment_final": fmt(grade.final) if grade.submitted else "",
                    "assignment_points": fmt(grade.possible), "flags": csv_text("; ".join(grade.flags))})
    return buffer.getvalue()


WRITERS = {"canvas": canvas, "moodle": moodle, "blackboard": blackboard, "long": long}


def _csv(rows: list[list], quote_all: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if quote_all else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue()


def write_exports(out: Path, book: Gradebook, formats=FORMATS) -> tuple[list[Path], list[str]]:
    """Write ``<out>/exports/<format>.csv``; returns (paths, warnings worth telling the instructor)."""
    paths = []
    for name in formats:
        path = Path(out) / "exports" / f"{name}.csv"
        write_text_atomic(path, WRITERS[name](book))
        paths.append(path)
    return paths, export_warnings(book, formats)


def export_warnings(book: Gradebook, formats) -> list[str]:
    warnings = []
    left_out = sorted(set(book.students) - set(lms_students(book)))
    if left_out:
        warnings.append(f"not on the roster, so left out of the platform files (kept in long.csv): "
                        f"{', '.join(left_out)}")
    if book.config.roster is None:
        warnings.append("no roster (gradebook.toml `roster = ...`): the exports carry folder names instead of the "
                        "learning platform's ids")
    for column in assignment_columns(book):
        if "canvas" in formats and not column["canvas_id"]:
            warnings.append(f"{column['assignment']}: no canvas_id in the configuration; Canvas will create a new "
                            "assignment column on import")
        if "blackboard" in formats and not column["blackboard_column_id"]:
            warnings.append(f"{column['assignment']}: no blackboard_column_id; Blackboard will add a new text column "
                            "(points possible 0) on upload")
        pending = [s for s in book.students if book.grades[(s, column["assignment"])].submitted
                   and book.grades[(s, column["assignment"])].pending]
        if pending:
            warnings.append(f"{column['assignment']}: {len(pending)} student(s) still have unscored free responses; "
                            "their exported score counts those as 0 for now")
    return warnings
