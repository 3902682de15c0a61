"""The grading desk's logic (no widgets): one free-response question across all students.

``DeskModel(out, exercise)`` reads the manual sheet of ``exercise`` from a grade run's output
folder, walks its rows one student at a time, and ``save(score, comment)`` writes the same sheet
that a spreadsheet would (manual.enter_score), then rewrites grades.csv and the feedback
(gradebook.publish), which also logs the change. The widget (triangles.widgets.desk) is a thin
view of this class, so everything it does can be tested without a browser.

Anonymous mode hides names: students are shown as "Student 1", "Student 2", ... in an order that
is fixed for the exercise but unrelated to their names (sorted by a hash), so neither the label nor
the position gives them away.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..paths import COURSE_DIR
from .manual import _rows, _score, enter_score, manual_exercises, sheet_path
from .report import from_csv_text, read_run


@dataclass
class DeskItem:
    student: str          # the real id (never shown in anonymous mode)
    label: str            # what the desk shows
    answer: str
    score: float | None
    comment: str


class DeskModel:
    def __init__(self, out: Path, exercise: str, anonymous: bool = False, course: Path = COURSE_DIR):
        self.out = Path(out)
        self.run = read_run(self.out)
        if self.run is None:
            raise FileNotFoundError(f"{self.out} has no run.json: grade first (python -m triangles.grading grade)")
        exercises = {e["id"]: e for e in manual_exercises(self.run)}
        if exercise not in exercises:
            raise ValueError(f"{exercise!r} is not a free-response exercise of this run "
                             f"(free responses: {', '.join(sorted(exercises)) or 'none'})")
        self.exercise = exercises[exercise]
        self.anonymous = anonymous
        self.rubric_name = self.exercise.get("rubric", "")
        self.rubric_text = rubric_text(self.rubric_name, Path(course) / "rubrics.md")
        self.position = 0
        self.items = self._load()

    @property
    def points(self) -> float:
        return float(self.exercise["points"])

    def _load(self) -> list[DeskItem]:
        rows = {from_csv_text(r.get("student") or ""): r for r in _rows(sheet_path(self.out, self.exercise["id"]))}
        students = [s for s in self.run["students"] if s in rows]
        if self.anonymous:
            students.sort(key=lambda s: hashlib.sha256(f"{self.exercise['id']}\n{s}".encode()).hexdigest())
        items = []
        for number, student in enumerate(students, start=1):
            row = rows[student]
            score, _ = _score(row.get("score"), self.points)
            items.append(DeskItem(student, f"Student {number}" if self.anonymous else student,
                                  from_csv_text(row.get("answer") or ""), score,
                                  from_csv_text(row.get("comment") or "")))
        return items

    @property
    def current(self) -> DeskItem:
        return self.items[self.position]

    def go(self, position: int) -> DeskItem:
        if not self.items:
            raise IndexError("nobody to grade")
        self.position = max(0, min(len(self.items) - 1, int(position)))
        return self.current

    def next(self) -> DeskItem:
        return self.go(self.position + 1)

    def previous(self) -> DeskItem:
        return self.go(self.position - 1)

    def next_unscored(self) -> DeskItem:
        """The next student without a score (wrapping around), or the current one if all are scored."""
        n = len(self.items)
        for step in range(1, n + 1):
            item = self.items[(self.position + step) % n]
            if item.score is None:
                return self.go((self.position + step) % n)
        return self.current

    @property
    def scored(self) -> int:
        return sum(1 for item in self.items if item.score is not None)

    def save(self, score: float | None, comment: str, publish: bool = True) -> DeskItem:
        """Validate and write this student's score and comment (ValueError names the problem)."""
        from .gradebook import publish as publish_all

        item = self.current
        enter_score(self.out, self.run, self.exercise["id"], item.student, score, comment)
        item.score, item.comment = (None if score is None else float(score)), comment.strip()
        if publish:
            publish_all(self.out, self.run, quiet=True)
        return item


def rubric_text(name: str, rubrics: Path) -> str:
    """The section of rubrics.md for a rubric named like "R02.5 in course/rubrics.md", or ""."""
    match = re.match(r"(R[\w.-]+)", name or "")
    if not match:
        return ""
    try:
        lines = Path(rubrics).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    start = next((i for i, line in enumerate(lines)
                  if line.startswith("#") and re.search(rf"\b{re.escape(match.group(1))}\b", line)), None)
    if start is None:
        return ""
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start:end]).strip()
