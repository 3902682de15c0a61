"""Read a master notebook: which exercises it has, their points, variables, hints and rubrics.

The exercise list is read statically from the master (trusted): for an auto-graded exercise the
check cell's ``check("ex02-3", "events_before_2019", hint=..., digits=..., kind=...)`` call names
the variable to export; a free-response exercise is a solution cell that also has points.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from ..paths import DATA_DIR, SEEDS_DIR
from . import notebooks as nbu

_RUBRIC = re.compile(r"rubric\s+([^\s;,)]+(?:\s+in\s+[^\s;,)]+)?)")
_IGNORED_PARTS = {".ipynb_checkpoints", "__pycache__"}


class MasterError(Exception):
    """The master itself is unusable; the instructor must fix it (grading of it stops)."""


@dataclass(frozen=True)
class Exercise:
    id: str                  # column name in grades.csv (unique across the course)
    assignment: str
    mode: str                # "auto" or "manual"
    points: float
    cell_index: int          # master cell holding the check (auto) or the answer (manual)
    answer_grade_id: str     # grade_id of the student's answer cell
    variable: str | None = None
    kind: str | None = None
    digits: int | None = None
    hint: str = ""
    rubric: str = ""


@dataclass
class Master:
    assignment: str
    path: Path
    checksum: str
    nb: dict
    exercises: list[Exercise]

    def to_json(self) -> dict:
        return {"assignment": self.assignment, "checksum": self.checksum,
                "exercises": [asdict(e) for e in self.exercises]}


def master_path(course: Path, assignment: str) -> Path:
    return Path(course) / "source" / assignment / f"{assignment}.ipynb"


def checksum_dir(folder: Path) -> str:
    """Hash of every file beside the master too: a changed data file changes the expected answers."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if _IGNORED_PARTS & set(rel.parts):
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def kit_fingerprint() -> str:
    """Hash of the data, the seed article and the package: the masters compute their answers from
    them, so a data fix or a model change between runs must regrade, not reuse stale results."""
    digest = hashlib.sha256()
    roots = [(DATA_DIR, "*"), (SEEDS_DIR, "*.txt"), (Path(__file__).resolve().parent.parent, "*.py"),
             (Path(__file__).resolve().parent.parent, "*.json")]
    for root, pattern in roots:
        for path in sorted(p for p in Path(root).rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_master(course: Path, assignment: str) -> Master:
    path = master_path(course, assignment)
    try:
        nb = nbu.loads(path.read_bytes())
    except FileNotFoundError:
        raise MasterError(f"no master notebook at {path}") from None
    except nbu.NotANotebook as exc:
        raise MasterError(f"master {path} is unreadable: {exc.reason}") from None
    exercises = _exercises(nb, assignment, path)
    checksum = hashlib.sha256((checksum_dir(path.parent) + kit_fingerprint()).encode()).hexdigest()
    return Master(assignment, path, checksum, nb, exercises)


def _exercises(nb: dict, assignment: str, path: Path) -> list[Exercise]:
    cells = nb["cells"]
    found: list[Exercise] = []
    for index, cell in enumerate(cells):
        if not nbu.is_grade(cell):
            continue
        gid = nbu.grade_id(cell)
        if gid is None:
            raise MasterError(f"{path}: graded cell {index} has no grade_id")
        points = float(nbu.nbg(cell).get("points", 0) or 0)
        if nbu.is_solution(cell):
            found.append(Exercise(gid, assignment, "manual", points, index, gid,
                                  rubric=_rubric_before(cells, index)))
        elif cell.get("cell_type") == "code":
            found.append(_auto_exercise(cells, index, gid, points, assignment, path))
        else:
            raise MasterError(f"{path}: graded markdown cell {gid} without an answer (nbgrader task) "
                              "is not supported by the kit's grader")
    ids = [e.id for e in found]
    if len(ids) != len(set(ids)):
        raise MasterError(f"{path}: duplicate exercise ids {sorted(i for i in ids if ids.count(i) > 1)}")
    return found


def _auto_exercise(cells, index, gid, points, assignment, path) -> Exercise:
    call = _check_call(nbu.source(cells[index]))
    if call is None:
        raise MasterError(f"{path}: check cell {gid} has no check(\"<id>\", \"<variable>\", ...) call "
                          "the grader can read")
    exercise_id, variable, kwargs = call
    if exercise_id != gid:
        raise MasterError(f"{path}: check cell {gid} checks exercise {exercise_id!r}; they must agree")
    answer = _answer_cell(cells, index, gid)
    return Exercise(gid, assignment, "auto", points, index, answer, variable=variable,
                    kind=kwargs.get("kind"), digits=kwargs.get("digits"), hint=kwargs.get("hint") or "")


def _check_call(text: str):
    """(exercise_id, variable, {hint, digits, kind}) from the first check(...) (else grade(...)) call."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in ("check", "grade") and len(n.args) >= 2]
    calls.sort(key=lambda n: (n.func.id != "check", n.lineno, n.col_offset))
    for node in calls:
        try:
            exercise_id, variable = (ast.literal_eval(a) for a in node.args[:2])
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords
                      if k.arg in ("hint", "digits", "kind")}
        except ValueError:
            continue
        if isinstance(exercise_id, str) and isinstance(variable, str) and variable.isidentifier():
            return exercise_id, variable, kwargs
    return None


def _answer_cell(cells, index, gid) -> str:
    """The answer cell is `<id>-answer` by convention, else the nearest solution cell above."""
    ids = {nbu.grade_id(c) for c in cells if nbu.is_solution(c)}
    if f"{gid}-answer" in ids:
        return f"{gid}-answer"
    for cell in reversed(cells[:index]):
        if nbu.is_solution(cell) and cell.get("cell_type") == "code" and nbu.grade_id(cell):
            return nbu.grade_id(cell)
    return f"{gid}-answer"


def _rubric_before(cells, index) -> str:
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown" and not nbu.is_solution(cell):
            match = _RUBRIC.search(nbu.source(cell))
            return match.group(1).rstrip(".*") if match else ""
    return ""
