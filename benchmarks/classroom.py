"""A deterministic class of submissions, made from the student notebooks and the masters.

Student k is one of four kinds, in turn: ``complete`` (every answer cell holds the master's solution),
``mixed`` (each exercise right, wrong or blank, drawn with a seeded random generator), ``blank`` (the
student notebook as released) and ``mixed`` again. So a class of 40 has 10 full marks, 10 zeros and
20 spread between: both graders see right, wrong and unanswered cells, and a late or missing answer
is not what is being timed. The layout is nbgrader's: ``<root>/<student>/<assignment>/<assignment>.ipynb``
with a ``timestamp.txt`` beside it.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import SOURCE, STUDENT, read

SEED = 20190618  # the article's date: any fixed number would do
KINDS = ("complete", "mixed", "blank", "mixed")
WRONG = '"not what the question asks"'  # a wrong answer of any kind: text, never right
TIMESTAMP = "2026-03-02 09:00:00.000000 UTC"


@dataclass
class Student:
    name: str
    kind: str
    answers: dict[str, str] = field(default_factory=dict)  # exercise id -> right / wrong / blank


def grade_ids(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    return meta.get("grade_id")


def solution_text(source: str) -> str:
    """The master's answer cell with the solution markers removed: the master's answer, as a
    student who found it would have typed it."""
    return "\n".join(line for line in source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def checked_variable(source: str) -> str | None:
    """The variable a check cell checks: check("ex02-3", "events_before_2019", ...)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
            return node.args[1].value
    return None


def student_notebook(assignment: str):
    """The released student notebook; generated from the master the kit's way if not released yet."""
    path = STUDENT / f"{assignment}.ipynb"
    if path.exists():
        return read(path), "notebooks/"
    from triangles.course import read_notebook, student_version
    return student_version(read_notebook(SOURCE / assignment / f"{assignment}.ipynb")), "generated"


def exercises(master) -> list[tuple[str, str, str]]:
    """(exercise id, answer grade_id, variable) of each auto-graded exercise, in order."""
    found = []
    ids = {grade_ids(c) for c in master.cells}
    for cell in master.cells:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            variable = checked_variable(cell.source)
            answer = f"{meta['grade_id']}-answer"
            if variable and answer in ids:
                found.append((meta["grade_id"], answer, variable))
    return found


def make_class(root: Path, assignments: list[str], size: int) -> list[Student]:
    """Write ``size`` students' submissions for each assignment under ``root``; return the roster."""
    rng = random.Random(SEED)
    students = [Student(f"student{k + 1:02d}", KINDS[k % len(KINDS)]) for k in range(size)]
    for assignment in assignments:
        master = read(SOURCE / assignment / f"{assignment}.ipynb")
        template, _ = student_notebook(assignment)
        master_cells = {grade_ids(c): c for c in master.cells if grade_ids(c)}
        auto = exercises(master)
        for student in students:
            nb = nbformat.from_dict(template)  # a copy: every student starts from the release
            nb = nbformat.reads(nbformat.writes(nb), as_version=4)
            by_id = {grade_ids(c): c for c in nb.cells if grade_ids(c)}
            for exercise_id, answer_id, variable in auto:
                choice = {"complete": "right", "blank": "blank"}.get(student.kind) or rng.choice(
                    ("right", "right", "wrong", "blank"))
                student.answers[f"{assignment}:{exercise_id}"] = choice
                cell = by_id.get(answer_id)
                if cell is None:
                    continue
                if choice == "right":
                    cell.source = solution_text(master_cells[answer_id].source)
                elif choice == "wrong":
                    cell.source = f"{variable} = {WRONG}"
            if student.kind != "blank":  # free responses: the model answer (graded by hand anyway)
                for gid, cell in by_id.items():
                    meta = cell.metadata.get("nbgrader", {})
                    if cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"):
                        cell.source = solution_text(master_cells[gid].source)
            folder = Path(root) / student.name / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
            (folder / "timestamp.txt").write_text(TIMESTAMP + "\n")
    return students


def expected_totals(students: list[Student], points: dict[str, float]) -> dict[str, float]:
    """What a correct grader must give each student: the points of the exercises answered right."""
    return {s.name: sum(points[k] for k, v in s.answers.items() if v == "right") for s in students}


def auto_points(assignment: str) -> dict[str, float]:
    master = read(SOURCE / assignment / f"{assignment}.ipynb")
    out = {}
    for cell in master.cells:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            out[f"{assignment}:{meta['grade_id']}"] = float(meta.get("points", 0))
    return out
