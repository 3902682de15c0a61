"""The class roster: who is enrolled, and the ids each learning platform knows them by.

``roster.csv`` (UTF-8, one row per student, header in the first row):

    student_id      the submission folder name (nbgrader's student id); required, unique
    name            as the learning platform shows it ("Last, First" for Canvas)
    email           Moodle can match students by email
    section         Canvas's Section column
    sis_user_id     the institution's id (Canvas "SIS User ID", Moodle "ID number")
    sis_login_id    Canvas "SIS Login ID"
    canvas_id       Canvas's own numeric user id (its "ID" column)
    username        Blackboard's "Username" (its key for uploads)

Only student_id is required; other columns may be blank or absent. A submission folder is matched
to a row by student_id, else by username or email (case-insensitive). Every problem names the
file, the row (the header is row 1) and the column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ["student_id", "name", "email", "section", "sis_user_id", "sis_login_id", "canvas_id", "username"]


class RosterError(ValueError):
    """The roster cannot be used; ``problems`` lists each one with file, row and column."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Student:
    student_id: str
    name: str = ""
    email: str = ""
    section: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    canvas_id: str = ""
    username: str = ""

    def get(self, column: str) -> str:
        return getattr(self, column, "") or ""


@dataclass
class Roster:
    students: list[Student] = field(default_factory=list)
    path: Path | None = None

    def by_id(self) -> dict[str, Student]:
        return {s.student_id: s for s in self.students}

    def match(self, folder: str) -> Student | None:
        """The roster row a submission folder belongs to, or None."""
        for student in self.students:
            if student.student_id == folder:
                return student
        key = folder.casefold()
        for student in self.students:
            if key and key in (student.username.casefold(), student.email.casefold()):
                return student
        return None


def read_roster(path: Path) -> Roster:
    path = Path(path)
    name = path.name
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            rows = list(reader)
    except FileNotFoundError:
        raise RosterError([f"{path}: no such roster file"]) from None
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise RosterError([f"{name}: cannot be read as a UTF-8 CSV file ({exc})"]) from None
    if "student_id" not in header:
        raise RosterError([f"{name}, row 1: no 'student_id' column (columns: {', '.join(COLUMNS)})"])
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise RosterError([f"{name}, row 1: unknown column(s) {', '.join(repr(h) for h in unknown)} "
                           f"(known: {', '.join(COLUMNS)})"])
    problems, students, seen = [], [], {}
    for number, raw in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        sid = row.get("student_id", "")
        if not sid:
            problems.append(f"{name}, row {number}, column 'student_id': empty")
            continue
        if "/" in sid or sid.startswith(".") or "\\" in sid:
            problems.append(f"{name}, row {number}, column 'student_id': {sid!r} cannot be a folder name")
            continue
        if sid in seen:
            problems.append(f"{name}, row {number}, column 'student_id': {sid!r} is also in row {seen[sid]}")
            continue
        email = row.get("email", "")
        if email and ("@" not in email or " " in email):
            problems.append(f"{name}, row {number}, column 'email': {email!r} is not an email address")
            continue
        seen[sid] = number
        students.append(Student(**{c: row.get(c, "") for c in COLUMNS}))
    if problems:
        raise RosterError(problems)
    return Roster(students, path)


def reconcile(roster: Roster | None, folders: list[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """({folder: student_id}, unknown folders, roster ids with no submission folder)."""
    if roster is None:
        return {f: f for f in folders}, [], []
    mapping, unknown = {}, []
    for folder in folders:
        student = roster.match(folder)
        if student is None:
            unknown.append(folder)
            mapping[folder] = folder
        else:
            mapping[folder] = student.student_id
    matched = set(mapping.values())
    missing = [s.student_id for s in roster.students if s.student_id not in matched]
    return mapping, unknown, missing
