"""Release the course: the student notebooks and the answer keys, generated from the masters.

    python -m triangles.course release            write notebooks/<stem>.ipynb and triangles/answer_keys.json
    python -m triangles.course release --check    regenerate into a temporary folder; exit 1 listing
                                                  every file that differs from the committed one
    python -m triangles.course validate           check the masters' format only (fast, no kernel)

A master is course/source/<stem>/<stem>.ipynb (nbgrader's layout; docs/exercise-format.md). Its
student version is made the way stock ``nbgrader generate_assignment`` makes it (LockCells,
ClearSolutions, ClearOutput, ClearHiddenTests, ComputeChecksums) so that stock autograde matches the
cells, but with a code stub that does not raise, so Restart & Run All reaches the end. nbgrader
itself is not imported: it is an instructor's tool, not a dependency of the kit (the tests compare
the two). The answer keys come from running each master in a kernel with record mode on
(see triangles.exercises).
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from triangles.exercises import ANSWER_KEYS_PATH, KEY_FIELDS, RECORD_ENV
from triangles.paths import NOTEBOOKS_DIR, REPO_ROOT, SOURCE_DIR

# Must equal ClearSolutions.code_stub / text_stub in course/nbgrader_config.py (a test checks).
CODE_STUB = "# YOUR CODE HERE"
TEXT_STUB = "YOUR ANSWER HERE"
# nbgrader matches its delimiters as substrings of a line, whatever the comment mark.
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
CELL_TIMEOUT = 120  # seconds per cell when running a master
KERNEL = "python3"
HISTORY_PATH = SOURCE_DIR.parent / "release-history.json"  # every released version (grading/releases.py)
KEYS_FORMAT = 2  # 2: accent-free canonical text; optional shape and entries (triangles.exercises)

STEM = re.compile(r"^(?P<nn>\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*$")
NBGRADER_KEYS = {"schema_version", "grade", "locked", "solution", "task", "grade_id", "points",
                 "checksum", "cell_type"}  # nbgrader 0.9's schema v3 allows nothing else


class ReleaseError(Exception):
    """The masters cannot be released; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    notebook: str  # the master's file name
    cell: int | None  # index in the notebook, counting from 0 (as nbformat and nbclient do)
    reason: str

    def __str__(self) -> str:
        where = self.notebook if self.cell is None else f"{self.notebook}, cell {self.cell}"
        return f"{where}: {self.reason}"


# --------------------------------------------------------------------------------------------
# Reading masters and classifying cells
# --------------------------------------------------------------------------------------------


def find_masters(source_dir: Path = SOURCE_DIR) -> list[Path]:
    """Every course/source/<stem>/<stem>.ipynb, in course order. Hidden and _private folders are skipped."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        return []
    return [folder / f"{folder.name}.ipynb" for folder in sorted(source_dir.iterdir())
            if folder.is_dir() and not folder.name.startswith((".", "_"))]


def read_notebook(path: Path):
    """Read a notebook (an nbformat NotebookNode) without letting nbformat invent random cell ids:
    the release must be deterministic."""
    import nbformat  # here, not at the top: it costs ~2 s, and triangles.progress needs none of it

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("cells"), list):
        raise ValueError("not an nbformat 4 notebook")
    if data.get("nbformat_minor", 0) >= 5:
        for index, cell in enumerate(data["cells"]):
            if isinstance(cell, dict) and not cell.get("id"):
                cell["id"] = hashlib.sha1(f"{Path(path).stem}:{index}".encode()).hexdigest()[:8]
    return nbformat.reads(json.dumps(data), as_version=4)  # joins multi-line sources


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata, or {} (also for a damaged student notebook)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def is_grade(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade", False))


def is_locked(cell) -> bool:
    """nbgrader's rule: solution cells are never locked, grade cells always are."""
    meta = nbgrader_meta(cell)
    if not meta or is_solution(cell):
        return False
    return True if is_grade(cell) else bool(meta.get("locked", False))


def cell_role(cell) -> str | None:
    """The cell's part in an exercise: answer, check, free, prediction, locked, invalid, or None."""
    meta = nbgrader_meta(cell)
    if not meta:
        return None
    code = cell.get("cell_type") == "code"
    if is_solution(cell) and not is_grade(cell):
        return "answer" if code else "invalid"
    if is_grade(cell):
        if code:
            return "check" if not is_solution(cell) else "invalid"
        return "free" if is_solution(cell) else "invalid"
    if str(meta.get("grade_id", "")).startswith("pred") and not code:
        return "prediction"
    return "locked" if meta.get("locked") else None


def source_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(str(part) for part in src) if isinstance(src, list) else str(src)


def manifest(nb) -> list[dict]:
    """The exercises of a notebook in order, for triangles.progress: id, kind (auto/free/prediction), points."""
    kinds = {"check": "auto", "free": "free", "prediction": "prediction"}
    entries = []
    for cell in nb.cells:
        role = cell_role(cell)
        if role in kinds:
            entry = {"id": nbgrader_meta(cell)["grade_id"], "kind": kinds[role]}
            if role != "prediction":
                entry["points"] = nbgrader_meta(cell).get("points", 0)
            entries.append(entry)
    return entries


# --------------------------------------------------------------------------------------------
# The student version (nbgrader's semantics, re-implemented)
# --------------------------------------------------------------------------------------------


def _regions(source: str, begin: str, end: str, replacement: list[str] | None) -> tuple[str, bool]:
    """Drop each begin..end region (marker lines included); put ``replacement`` lines in its place,
    indented like the begin marker. Raises ValueError on a nested or unclosed region."""
    lines, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ValueError(f"nested '{begin}'")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            lines.extend(indent + stub for stub in (replacement or []))
        elif end in line:
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"'{begin}' without '{end}'")
    return "\n".join(lines), found


def clear_solutions(cell) -> None:
    """Replace solution regions by the stub; a solution cell without a region becomes the stub."""
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    cell.source, replaced = _regions(source_text(cell), BEGIN_SOLUTION, END_SOLUTION, stub.split("\n"))
    if is_solution(cell) and not replaced:
        cell.source = stub


def clear_hidden_tests(cell) -> None:
    cell.source, _ = _regions(source_text(cell), BEGIN_HIDDEN, END_HIDDEN, None)


def lock(cell) -> None:
    """nbgrader's LockCells defaults: answers undeletable; checks and read-only cells also uneditable."""
    if is_solution(cell):
        cell.metadata["deletable"] = False
    elif is_grade(cell) or is_locked(cell):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False


def clear_output(cell) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
        for field in ("collapsed", "scrolled"):  # view state that belongs to the outputs
            cell.metadata.pop(field, None)


def nbgrader_checksum(cell) -> str:
    """nbgrader's checksum of a cell (md5 of source, type, flags, id, points): autograde uses it to
    recognise an untouched answer, and triangles.progress to spot an unwritten free response."""
    meta = nbgrader_meta(cell)
    parts = [source_text(cell), cell.get("cell_type", ""), str(meta.get("grade", False)),
             str(meta.get("solution", False)), str(is_locked(cell)), meta.get("grade_id", "")]
    if meta.get("grade", False):
        parts.append(str(float(meta["points"])))
    digest = hashlib.md5()
    for part in parts:
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


def student_version(master):
    """A new notebook: the master with solutions stubbed, hidden tests and outputs removed, and
    graded cells locked, carrying the nbgrader metadata (with checksums) that autograde matches."""
    nb = copy.deepcopy(master)
    for cell in nb.cells:
        lock(cell)
        clear_solutions(cell)
        clear_output(cell)
        clear_hidden_tests(cell)
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata.nbgrader["checksum"] = nbgrader_checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
    # celltoolbar: as nbgrader; widgets: saved widget state is stale once outputs are cleared.
    for key in ("celltoolbar", "widgets"):
        nb.metadata.pop(key, None)
    return nb


def notebook_text(nb) -> str:
    """Stable JSON (nbformat's: indent 1, sorted keys) with a trailing newline."""
    import nbformat

    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


# --------------------------------------------------------------------------------------------
# Validating a master
# --------------------------------------------------------------------------------------------


def validate_master(path: Path) -> list[Problem]:
    """Everything wrong with one master's format, each naming the notebook, the cell and the reason.

    Grade ids are also compared with the other masters beside it (they must be unique in the course).
    """
    path = Path(path)
    name = path.name
    try:
        nb = read_notebook(path)
    except FileNotFoundError:
        return [Problem(name, None, f"no master: expected {path.parent.name}/{path.parent.name}.ipynb")]
    except (OSError, ValueError) as exc:
        return [Problem(name, None, f"cannot be read as a notebook ({exc})")]
    problems = []
    match = STEM.match(path.stem)
    if not match:
        problems.append(Problem(name, None, "the file name must be <NN>-<slug>, e.g. 02-the-timeline"))
    if path.parent.name != path.stem:
        problems.append(Problem(name, None, f"must live in a folder of the same name, not {path.parent.name}/"))
    nn = match.group("nn") if match else r"\d\d"
    problems += _check_cells(name, nb, nn)
    problems += _check_course_ids(path, nb)
    return problems


def validate_course(source_dir: Path = SOURCE_DIR) -> list[Problem]:
    problems = []
    masters = find_masters(source_dir)
    if not masters:
        problems.append(Problem(str(source_dir), None, "no masters found"))
    for path in masters:
        problems += validate_master(path)
    return problems


def _check_cells(name: str, nb, nn: str) -> list[Problem]:
    problems: list[Problem] = []

    def problem(index, reason):
        problems.append(Problem(name, index, reason))

    answers: dict[str, tuple[int, object]] = {}  # exercise id -> (index, answer cell)
    ids: dict[str, int] = {}
    exercises = 0
    first_code = next((i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"), None)
    setup_ok = first_code is not None and "from triangles.exercises import" in source_text(nb.cells[first_code])
    setup_reported = False
    for index, cell in enumerate(nb.cells):
        source = source_text(cell)
        _check_markers(problem, index, cell, source)
        meta = nbgrader_meta(cell)
        if not meta or not (is_grade(cell) or is_solution(cell) or meta.get("locked") or cell_role(cell)):
            continue  # nbgrader ignores a cell with no flag set (it needs no grade_id)
        if not _check_metadata(problem, index, cell, meta):
            continue
        grade_id = meta.get("grade_id", "")
        if grade_id in ids:
            problem(index, f"grade_id {grade_id} is used twice (also cell {ids[grade_id]})")
        ids[grade_id] = index
        role = cell_role(cell)
        if role == "answer":
            if not re.fullmatch(rf"ex{nn}-\d+-answer", grade_id):
                problem(index, f"an answer cell's grade_id must be ex{nn}-<k>-answer, not {grade_id}")
            answers[grade_id.removesuffix("-answer")] = (index, cell)
        elif role == "check":
            exercises += 1
            if not re.fullmatch(rf"ex{nn}-\d+", grade_id):
                problem(index, f"a check cell's grade_id must be ex{nn}-<k>, not {grade_id}")
            _check_check_cell(problem, index, cell, grade_id, answers)
            if not setup_ok and not setup_reported:
                problem(first_code, "the first code cell must be the set-up cell: "
                                    "from triangles.exercises import check, grade")
                setup_reported = True
        elif role == "free":
            exercises += 1
            if not re.fullmatch(rf"ex{nn}-\d+", grade_id):
                problem(index, f"a free-response cell's grade_id must be ex{nn}-<k>, not {grade_id}")
        elif role == "prediction":
            if not re.fullmatch(rf"pred{nn}-\d+", grade_id):
                problem(index, f"a prediction cell's grade_id must be pred{nn}-<k>, not {grade_id}")
            if source.strip() != TEXT_STUB:
                problem(index, f"a prediction cell holds only {TEXT_STUB} (the student writes there)")
        elif role == "invalid":
            problem(index, _invalid_reason(cell))
    checked = {nbgrader_meta(c).get("grade_id") for c in nb.cells if cell_role(c) == "check"}
    for exercise_id, (index, _) in answers.items():
        if exercise_id not in checked:
            problem(index, f"answer cell {exercise_id}-answer has no check cell {exercise_id}")
    if exercises < 3:
        problems.append(Problem(name, None, f"has {exercises} exercises; every notebook needs at least 3"))
    return problems


def _check_markers(problem, index, cell, source):
    for begin, end, allowed, where in ((BEGIN_SOLUTION, END_SOLUTION, is_solution(cell), "a solution cell"),
                                       (BEGIN_HIDDEN, END_HIDDEN, is_grade(cell), "a grade (check) cell")):
        try:
            _, found = _regions(source, begin, end, None)
        except ValueError as exc:
            problem(index, f"unbalanced markers: {exc}")
            continue
        if not found and any(end in line for line in source.split("\n")):
            problem(index, f"unbalanced markers: '{end}' without '{begin}'")
        if found and not allowed:
            problem(index, f"'{begin}' can only be used in {where} (nbgrader would refuse this notebook)")


def _check_metadata(problem, index, cell, meta) -> bool:
    """nbgrader 0.9's schema v3, in plain words. Returns False if the cell cannot be checked further."""
    ok = True
    if meta.get("schema_version") != 3:
        problem(index, 'nbgrader metadata needs "schema_version": 3')
        ok = False
    extra = sorted(set(meta) - NBGRADER_KEYS)
    if extra:
        problem(index, f"nbgrader metadata has keys nbgrader 0.9 rejects: {', '.join(extra)}")
    for flag in ("grade", "solution", "locked"):
        if not isinstance(meta.get(flag), bool):
            problem(index, f'nbgrader metadata needs "{flag}": true or false')
            ok = False
    if meta.get("task"):
        problem(index, "nbgrader task cells are not part of this course's format")
        ok = False
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", grade_id):
        problem(index, "nbgrader metadata needs a grade_id of letters, digits, - and _")
        ok = False
    if meta.get("grade"):
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            problem(index, "a graded cell needs points > 0")
    return ok


def _invalid_reason(cell) -> str:
    if cell.get("cell_type") == "markdown" and is_solution(cell):
        return ('nbgrader 0.9 rejects an ungraded markdown solution cell. A prediction cell is '
                '{"solution": false, "grade": false, "locked": false, "grade_id": "pred<NN>-<k>"}; '
                'a free response is graded ({"solution": true, "grade": true, "points": ...})')
    if cell.get("cell_type") == "markdown":
        return "a graded markdown cell must also be a solution cell (free response)"
    return "a code cell cannot be both solution and grade here: use an answer cell and a check cell"


def _calls(source: str) -> list[tuple[str, list]]:
    """(function name, literal positional args) of each plain call in a cell."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)  # %magics become Python
    except ImportError:
        pass
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            calls.append((node.func.id, args))
    return calls


def _check_check_cell(problem, index, cell, exercise_id, answers):
    source = source_text(cell)
    try:
        calls = _calls(source)
    except SyntaxError as exc:
        problem(index, f"not valid Python (line {exc.lineno}: {exc.msg})")
        return
    checks = [args for name, args in calls if name == "check"]
    if len(checks) != 1 or len(checks[0]) < 2 or checks[0][0] != exercise_id or not isinstance(checks[0][1], str):
        problem(index, f'must call check("{exercise_id}", "<variable>", hint=...) once, with literal strings')
        return
    variable = checks[0][1]
    hidden = source.split(BEGIN_HIDDEN, 1)[1] if BEGIN_HIDDEN in source else ""
    if not re.search(rf"""\bgrade\(\s*["']{re.escape(exercise_id)}["']""", hidden):
        problem(index, f'the hidden tests must call grade("{exercise_id}", "{variable}"), '
                       "or autograde would give the points for any answer")
    if exercise_id not in answers:
        problem(index, f"check cell {exercise_id} needs an answer cell {exercise_id}-answer above it")
        return
    answer_index, answer = answers[exercise_id]
    student = copy.deepcopy(answer)
    try:
        clear_solutions(student)
    except ValueError:
        return  # already reported as unbalanced markers
    if not re.search(rf"^{re.escape(variable)}\s*=\s*\.\.\.\s*(#.*)?$", student.source, re.M):
        problem(answer_index, f"the answer cell must keep the line `{variable} = ...` above "
                              f"{BEGIN_SOLUTION}, so the student version defines {variable}")
    try:
        _calls(student.source)
    except SyntaxError as exc:
        problem(answer_index, f"the student version is not valid Python (line {exc.lineno}: {exc.msg}); "
                              "a solution region inside a block leaves the block empty")


def _check_course_ids(path: Path, nb) -> list[Problem]:
    """Grade ids must be unique across the course: compare with the sibling masters."""
    mine = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells) if nbgrader_meta(c)}
    problems = []
    for other in find_masters(path.parent.parent):
        if other.resolve() == path.resolve():
            continue
        try:
            theirs = {nbgrader_meta(c).get("grade_id") for c in read_notebook(other).cells}
        except (OSError, ValueError):
            continue  # reported when that master is validated
        for grade_id in sorted(set(mine) & theirs - {None}):
            problems.append(Problem(path.name, mine[grade_id], f"grade_id {grade_id} is also used in {other.name}"))
    return problems


# --------------------------------------------------------------------------------------------
# Answer keys: run a master in a kernel with record mode on
# --------------------------------------------------------------------------------------------


def record_keys(path: Path, nb, timeout: int = CELL_TIMEOUT) -> dict[str, dict]:
    """Run the master (cwd = its folder) and return the key each check cell recorded."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    run = copy.deepcopy(nb)
    expected = {nbgrader_meta(c)["grade_id"]: i for i, c in enumerate(run.cells) if cell_role(c) == "check"}
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "keys.jsonl"
        record.touch()
        client = NotebookClient(run, timeout=timeout, kernel_name=KERNEL,
                                resources={"metadata": {"path": str(path.parent)}})
        # The kernel's own stderr (start-up warnings) is kept out of the release's output, and
        # shown only if the kernel dies.
        with open(Path(tmp) / "kernel.log", "w+", encoding="utf-8") as log:
            try:
                client.execute(env={**os.environ, RECORD_ENV: str(record)}, stderr=log)
            except (CellExecutionError, CellTimeoutError) as exc:
                raise ReleaseError([Problem(path.name, _failed_cell(run), f"the master failed to run: {_first_line(exc)}")])
            except DeadKernelError:
                log.seek(0)
                lines = [line for line in log.read().splitlines() if line.strip() and "without encryption" not in line]
                tail = " | ".join(lines[-3:]) or "no message (out of memory? os._exit?)"
                raise ReleaseError([Problem(path.name, None, f"the kernel died while running the master: {tail}")])
            except (OSError, RuntimeError) as exc:  # no python3 kernel, missing folder, ...
                raise ReleaseError([Problem(path.name, None, f"could not run the master in a kernel: {exc}")])
        entries = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line.strip()]
    keys, problems = {}, []
    for entry in entries:
        exercise_id = entry.get("exercise")
        if exercise_id not in expected:
            problems.append(Problem(path.name, None, f"check/grade was called for {exercise_id}, "
                                                     "which is not a check cell of this notebook"))
        elif "error" in entry:
            problems.append(Problem(path.name, expected[exercise_id], f"{exercise_id}: {entry['error']}"))
        else:
            keys[exercise_id] = {k: entry[k] for k in KEY_FIELDS if k in entry}
    for exercise_id, index in expected.items():
        if exercise_id not in keys and not any(p.cell == index for p in problems):
            problems.append(Problem(path.name, index, f"{exercise_id} recorded no answer key (check() did not run)"))
    if problems:
        raise ReleaseError(problems)
    return keys


def _failed_cell(nb) -> int | None:
    for index, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index
    return None


def _first_line(exc: Exception) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def keys_text(keys: dict) -> str:
    return json.dumps(keys, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# Release
# --------------------------------------------------------------------------------------------


def build(source_dir: Path = SOURCE_DIR, timeout: int = CELL_TIMEOUT) -> tuple[dict[str, str], str]:
    """Validate and run every master; return ({student file name: text}, answer keys text).

    Nothing is written here, so a failing master never leaves a half-made release behind.
    """
    problems = validate_course(source_dir)
    if problems:
        raise ReleaseError(problems)
    notebooks, keys = {}, {"format": KEYS_FORMAT, "exercises": {}, "notebooks": {}}
    for path in find_masters(source_dir):
        master = read_notebook(path)
        notebooks[path.name] = notebook_text(student_version(master))
        keys["notebooks"][path.stem] = manifest(master)
        partial = _partial_credit(master)  # issue 13: opt-in per check cell, copied into its key
        for exercise_id, key in record_keys(path, master, timeout).items():
            keys["exercises"][exercise_id] = {**key, **partial.get(exercise_id, {}), "notebook": path.stem}
    return notebooks, keys_text(keys)


def _partial_credit(master) -> dict[str, dict]:
    """{exercise id: {"partial": mode}} from check cells' metadata {"triangles": {"partial": ...}}."""
    from triangles.exercises import PARTIAL_MODES

    found = {}
    for cell in master.cells:
        mode = (cell.get("metadata", {}).get("triangles") or {}).get("partial")
        if mode and cell_role(cell) == "check":
            if mode not in PARTIAL_MODES:
                raise ReleaseError([Problem("?", None, f"{nbgrader_meta(cell)['grade_id']}: partial credit "
                                                       f"{mode!r} is not one of {PARTIAL_MODES}")])
            found[nbgrader_meta(cell)["grade_id"]] = {"partial": mode}
    return found


def record_history(source_dir: Path, history_file: Path) -> bool:
    """Add this release's locked-cell fingerprints to the release history (never removes one), so
    the grader does not flag submissions made from an older release (triangles.grading.releases)."""
    from triangles.grading.releases import add_release, read_history, write_history

    history = read_history(history_file)
    changed = False
    for path in find_masters(source_dir):
        changed |= add_release(history, path.stem, json.loads(notebook_text(student_version(read_notebook(path)))))
    if changed or not Path(history_file).exists():
        write_history(history_file, history)
    return changed


def write_release(notebooks: dict[str, str], keys: str, notebooks_dir: Path, keys_path: Path) -> list[Path]:
    """Write the files whose content changed (others keep their time stamps); return those written."""
    notebooks_dir, keys_path = Path(notebooks_dir), Path(keys_path)
    notebooks_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for target, text in [*((notebooks_dir / n, t) for n, t in notebooks.items()), (keys_path, keys)]:
        if not target.exists() or target.read_bytes() != text.encode("utf-8"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
            written.append(target)
    return written


def release(source_dir: Path = SOURCE_DIR, notebooks_dir: Path = NOTEBOOKS_DIR,
            keys_path: Path = ANSWER_KEYS_PATH, *, check: bool = False,
            timeout: int = CELL_TIMEOUT, history: Path | None = None) -> list[str]:
    """Regenerate the release. With ``check``, write nothing: return one line per differing file."""
    notebooks, keys = build(source_dir, timeout)
    if not check:
        lines = [f"wrote {_show(p)}" for p in write_release(notebooks, keys, notebooks_dir, keys_path)]
        if history is not None and record_history(source_dir, history):
            lines.append(f"added this release to {_show(history)}")
        return lines
    with tempfile.TemporaryDirectory() as tmp:
        fresh_dir, fresh_keys = Path(tmp) / "notebooks", Path(tmp) / "answer_keys.json"
        write_release(notebooks, keys, fresh_dir, fresh_keys)
        pairs = [(fresh_dir / name, Path(notebooks_dir) / name) for name in sorted(notebooks)]
        pairs.append((fresh_keys, Path(keys_path)))
        return [line for fresh, committed in pairs if (line := _difference(fresh, committed))]


def orphans(source_dir: Path = SOURCE_DIR, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Student notebooks without a master (e.g. after a rename): reported, never deleted."""
    stems = {p.stem for p in find_masters(source_dir)}
    return sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if p.stem not in stems)


def _difference(fresh: Path, committed: Path) -> str | None:
    if not committed.exists():
        return f"{_show(committed)}: missing"
    if fresh.read_bytes() == committed.read_bytes():
        return None
    detail = "differs from what the masters generate"
    if committed.suffix == ".ipynb":
        try:
            new, old = (json.loads(p.read_text(encoding="utf-8"))["cells"] for p in (fresh, committed))
            first = next((i for i, (a, b) in enumerate(zip(new, old)) if a != b), min(len(new), len(old)))
            detail += f" (first at cell {first})" if first < max(len(new), len(old)) else " (notebook metadata)"
        except (ValueError, KeyError, TypeError):
            detail += " (not readable as a notebook)"
    return f"{_show(committed)}: {detail}"


def _show(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triangles.course", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="regenerate the student notebooks and the answer keys")
    rel.add_argument("--check", action="store_true", help="write nothing; exit 1 if any generated file differs")
    rel.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds per cell (default %(default)s)")
    val = sub.add_parser("validate", help="check the masters' format without running them")
    for p in (rel, val):
        p.add_argument("--source", type=Path, default=SOURCE_DIR, help="folder of masters (default course/source)")
    rel.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR, help="student notebooks folder")
    rel.add_argument("--keys", type=Path, default=ANSWER_KEYS_PATH, help="answer keys file")
    from triangles import hub_commands  # here: kernels import this module, and need none of it

    hub_commands.add_commands(sub)
    from triangles import course_update  # update: a new release into a student's copy (issue 13)

    course_update.add_commands(sub)
    args = parser.parse_args(argv)
    if args.command in hub_commands.COMMANDS:
        return hub_commands.run(args)
    if args.command in course_update.COMMANDS:
        return course_update.run(args)

    if args.command == "validate":
        problems = validate_course(args.source)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(find_masters(args.source))} masters, {len(problems)} problems")
        return 2 if problems else 0
    try:
        history = HISTORY_PATH if Path(args.source).resolve() == SOURCE_DIR.resolve() else None
        lines = release(args.source, args.notebooks, args.keys, check=args.check, timeout=args.timeout,
                        history=history)
    except ReleaseError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    for orphan in orphans(args.source, args.notebooks):
        print(f"warning: {_show(orphan)} has no master in {_show(args.source)}", file=sys.stderr)
    if args.check:
        for line in lines:
            print(line)
        if lines:
            print(f"{len(lines)} generated files differ: run `python -m triangles.course release`", file=sys.stderr)
            return 1
        print("release is up to date")
        return 0
    print("\n".join(lines) if lines else "release already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
