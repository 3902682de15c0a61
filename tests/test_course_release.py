"""triangles.course: student versions as stock nbgrader makes them, answer keys, --check, validation.

Runs on the fixture master tests/fixtures/course/source/99-fixture (2 auto-graded exercises, 1 free
response, 1 prediction), never on the real masters.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbclient import NotebookClient

from triangles import course
from triangles.course import CODE_STUB, TEXT_STUB, Problem, ReleaseError, release, validate_master
from triangles.exercises import KEYS_ENV, answer_hash, canonical
from triangles.paths import COURSE_DIR, REPO_ROOT

FIXTURE_SOURCE = Path(__file__).parent / "fixtures" / "course" / "source"
FIXTURE = FIXTURE_SOURCE / "99-fixture" / "99-fixture.ipynb"
VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The fixture released once: (student notebooks folder, answer keys file)."""
    out = tmp_path_factory.mktemp("release")
    release(FIXTURE_SOURCE, out / "notebooks", out / "answer_keys.json")
    return out / "notebooks", out / "answer_keys.json"


def student(released) -> nbformat.NotebookNode:
    return nbformat.read(released[0] / "99-fixture.ipynb", as_version=4)


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "triangles.course", *args], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=300)


# --- the student version ------------------------------------------------------------------------


def test_student_version_hides_solutions_and_hidden_tests(released):
    nb = student(released)
    assert cell(nb, "ex99-1-answer").source == "count_big = ...\n" + CODE_STUB
    assert cell(nb, "ex99-1").source == 'check("ex99-1", "count_big", hint="Count the numbers above 3, one by one.")'
    assert cell(nb, "ex99-3").source == TEXT_STUB
    text = (released[0] / "99-fixture.ipynb").read_text()
    for secret in ("BEGIN", "grade(", "sum(1 for n", "3.875 < 9", "3.875"):
        assert secret not in text
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert cell(nb, "ex99-1").metadata["editable"] is False and cell(nb, "ex99-1").metadata["deletable"] is False
    assert cell(nb, "ex99-1-answer").metadata["deletable"] is False
    assert "editable" not in cell(nb, "ex99-1-answer").metadata
    assert cell(nb, "ex99-1").metadata["nbgrader"]["points"] == 1  # nbgrader metadata kept for autograde


def nbgrader_student_version(master):
    """What stock nbgrader 0.9 makes of a master, configured by course/nbgrader_config.py.

    The preprocessors of `nbgrader generate_assignment`, in its order, minus the database steps.
    """
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, ComputeChecksums, LockCells
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_DIR)).load_config()
    nb, resources = copy.deepcopy(master), {}
    for step in (LockCells, ClearSolutions, ClearOutput, ComputeChecksums, ClearHiddenTests, ComputeChecksums):
        nb, resources = step(config=config).preprocess(nb, resources)
    return nb


def test_student_version_equals_stock_nbgrader(released):
    master = nbformat.read(FIXTURE, as_version=4)
    assert student(released).cells == nbgrader_student_version(master).cells


def test_nbgrader_config_matches_the_release():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_DIR)).load_config()
    assert config.ClearSolutions.code_stub == {"python": CODE_STUB}
    assert config.ClearSolutions.text_stub == TEXT_STUB
    assert config.CourseDirectory.course_id == "great-power-triangles"
    assert config.CourseDirectory.source_directory == "source"


LINES = ["x = 1", "### BEGIN SOLUTION", "    ### BEGIN SOLUTION", "### END SOLUTION", "  # END SOLUTION",
         "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", "", "    y = 2", "text"]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.sampled_from(LINES), max_size=8), cell_type=st.sampled_from(["code", "markdown"]),
       flags=st.fixed_dictionaries({"solution": st.booleans(), "grade": st.booleans(), "locked": st.booleans()}))
def test_cell_transforms_equal_nbgrader_on_any_cell(lines, cell_type, flags):
    """Solution/hidden-test regions, stubs, indentation, locks, checksums: the same as nbgrader's,
    or the same refusal (nested or unclosed regions)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, ComputeChecksums, LockCells

    meta = {"nbgrader": {**flags, "grade_id": "c1", "schema_version": 3, **({"points": 1} if flags["grade"] else {})}}
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    ours = make("\n".join(lines), metadata=meta)
    theirs = copy.deepcopy(ours)
    stub = {"python": CODE_STUB}
    steps = [(course.lock, LockCells()), (course.clear_solutions, ClearSolutions(code_stub=stub, enforce_metadata=False)),
             (course.clear_hidden_tests, ClearHiddenTests(enforce_metadata=False))]
    for mine, stock in steps:
        try:
            theirs, _ = stock.preprocess_cell(theirs, {"language": "python"}, 0)
        except RuntimeError:
            with pytest.raises(ValueError):
                mine(ours)
            return
        mine(ours)
        assert ours == theirs
    if any(flags.values()):  # nbgrader checksums only the cells it tracks
        theirs, _ = ComputeChecksums().preprocess_cell(theirs, {}, 0)
        assert course.nbgrader_checksum(ours) == theirs.metadata["nbgrader"]["checksum"]


def test_untouched_student_notebook_runs_to_the_end(released):
    """Restart & Run All: no error, and every check says "not answered yet"."""
    nb = student(released)
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(released[0])}}).execute(
        env={**os.environ, KEYS_ENV: str(released[1])})
    statuses = [o.metadata["triangles"]["status"] for o in cell(nb, "ex99-1").outputs + cell(nb, "ex99-2").outputs]
    assert statuses == ["unanswered", "unanswered"]
    assert cell(nb, "ex99-1").outputs[0].data["text/plain"].startswith("Not answered yet")


# --- answer keys --------------------------------------------------------------------------------


def test_answer_keys_hold_hashes_of_the_masters_answers(released):
    keys = json.loads(released[1].read_text())
    import pandas as pd

    big = pd.DataFrame({"n": [4, 5, 9, 6]}).assign(half=lambda t: t["n"] / 2)
    assert keys["exercises"]["ex99-1"] == {"kind": "value", "digits": 6, "expects": "a number",
                                           "hash": answer_hash("ex99-1", 4), "notebook": "99-fixture"}
    assert keys["exercises"]["ex99-2"]["hash"] == answer_hash("ex99-2", canonical(big, "table"))
    assert keys["notebooks"]["99-fixture"] == [
        {"id": "ex99-1", "kind": "auto", "points": 1}, {"id": "ex99-2", "kind": "auto", "points": 2},
        {"id": "pred99-1", "kind": "prediction"}, {"id": "ex99-3", "kind": "free", "points": 2}]
    assert released[1].read_text().endswith("}\n")


def test_a_failing_master_is_reported_with_its_cell(tmp_path):
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.cells[2].source = "numbers = 1 / 0"
    with pytest.raises(ReleaseError) as error:
        course.record_keys(tmp_path / "99-fixture.ipynb", nb, timeout=30)
    assert str(error.value.problems[0]) == "99-fixture.ipynb, cell 2: the master failed to run: ZeroDivisionError: division by zero"


# --- release --check ----------------------------------------------------------------------------


def test_release_is_deterministic_and_rewrites_nothing_unchanged(released):
    """A second run gives the same bytes (so a fresh release passes --check) and touches no file."""
    before = {p: p.stat().st_mtime_ns for p in (released[0] / "99-fixture.ipynb", released[1])}
    notebooks, keys = course.build(FIXTURE_SOURCE)
    assert notebooks == {"99-fixture.ipynb": (released[0] / "99-fixture.ipynb").read_text()}
    assert keys == released[1].read_text()
    assert course.write_release(notebooks, keys, *released) == []
    assert before == {p: p.stat().st_mtime_ns for p in before}


def test_check_lists_every_edited_file_and_writes_nothing(released, tmp_path, capsys):
    notebooks, keys = tmp_path / "notebooks", tmp_path / "answer_keys.json"
    shutil.copytree(released[0], notebooks)
    shutil.copy(released[1], keys)
    nb = nbformat.read(notebooks / "99-fixture.ipynb", as_version=4)
    cell(nb, "ex99-1").source = cell(nb, "ex99-1").source.replace("one by one", "quickly")  # a hand edit
    nbformat.write(nb, notebooks / "99-fixture.ipynb")
    keys.write_text(keys.read_text().replace('"digits": 6', '"digits": 2', 1))
    edited = {p: p.read_bytes() for p in (notebooks / "99-fixture.ipynb", keys)}

    args = ["release", "--check", "--source", str(FIXTURE_SOURCE), "--notebooks", str(notebooks), "--keys", str(keys)]
    assert course.main(args) == 1
    out = capsys.readouterr().out
    assert f"{notebooks / '99-fixture.ipynb'}: differs from what the masters generate (first at cell 5)" in out
    assert f"{keys}: differs from what the masters generate" in out
    assert edited == {p: p.read_bytes() for p in edited}


def test_the_module_runs_as_a_command():
    result = run_cli("validate", "--source", str(FIXTURE_SOURCE))
    assert (result.returncode, result.stdout) == (0, "1 masters, 0 problems\n")


# --- validation ---------------------------------------------------------------------------------


def broken(tmp_path, change, stem="99-fixture"):
    """A copy of the fixture master, changed by ``change(nb)``, at <tmp>/source/<stem>/<stem>.ipynb."""
    nb = nbformat.read(FIXTURE, as_version=4)
    change(nb)
    path = tmp_path / "source" / stem / f"{stem}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def meta(nb, index):
    return nb.cells[index].metadata["nbgrader"]


def test_the_fixture_master_is_valid():
    assert validate_master(FIXTURE) == []


@pytest.mark.parametrize("change, expected", [
    (lambda nb: setattr(nb.cells[4], "source", nb.cells[4].source.replace("### END SOLUTION", "")),
     "99-fixture.ipynb, cell 4: unbalanced markers: 'BEGIN SOLUTION' without 'END SOLUTION'"),
    (lambda nb: setattr(nb.cells[5], "source", nb.cells[5].source.replace("### BEGIN HIDDEN TESTS\n", "")),
     "99-fixture.ipynb, cell 5: unbalanced markers: 'END HIDDEN TESTS' without 'BEGIN HIDDEN TESTS'"),
    (lambda nb: meta(nb, 4).update(grade_id="ex99-7-answer"),
     "99-fixture.ipynb, cell 5: check cell ex99-1 needs an answer cell ex99-1-answer above it"),
    (lambda nb: meta(nb, 5).update(grade_id="q1"),
     "99-fixture.ipynb, cell 5: a check cell's grade_id must be ex99-<k>, not q1"),
    (lambda nb: meta(nb, 8).update(grade_id="ex99-1"),
     "99-fixture.ipynb, cell 8: grade_id ex99-1 is used twice (also cell 5)"),
    (lambda nb: meta(nb, 10).update(solution=True),  # the form nbgrader 0.9 rejects
     "99-fixture.ipynb, cell 10: nbgrader 0.9 rejects an ungraded markdown solution cell"),
    (lambda nb: nb.cells[14].metadata.pop("nbgrader"),
     "99-fixture.ipynb: has 2 exercises; every notebook needs at least 3"),
    (lambda nb: setattr(nb.cells[5], "source", nb.cells[5].source.replace('grade("ex99-1", "count_big")', "pass")),
     '99-fixture.ipynb, cell 5: the hidden tests must call grade("ex99-1", "count_big")'),
    (lambda nb: setattr(nb.cells[5], "source", nb.cells[5].source.replace('check("ex99-1"', 'check("ex99-2"')),
     '99-fixture.ipynb, cell 5: must call check("ex99-1", "<variable>", hint=...) once'),
    (lambda nb: setattr(nb.cells[4], "source", nb.cells[4].source.replace("count_big = ...\n", "")),
     "99-fixture.ipynb, cell 4: the answer cell must keep the line `count_big = ...`"),
    (lambda nb: setattr(nb.cells[4], "source", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
                                                "count_big = ...\n### BEGIN SOLUTION\ncount_big = 4\n### END SOLUTION"),
     "99-fixture.ipynb, cell 4: the student version is not valid Python"),
    (lambda nb: setattr(nb.cells[3], "source", "### BEGIN SOLUTION\nsecret\n### END SOLUTION"),
     "99-fixture.ipynb, cell 3: 'BEGIN SOLUTION' can only be used in a solution cell"),
    (lambda nb: meta(nb, 5).pop("schema_version"),
     '99-fixture.ipynb, cell 5: nbgrader metadata needs "schema_version": 3'),
    (lambda nb: meta(nb, 5).update(points=0), "99-fixture.ipynb, cell 5: a graded cell needs points > 0"),
    (lambda nb: setattr(nb.cells[1], "source", "import pandas as pd"),
     "99-fixture.ipynb, cell 1: the first code cell must be the set-up cell"),
])
def test_validation_names_notebook_cell_and_reason(tmp_path, change, expected):
    problems = [str(p) for p in validate_master(broken(tmp_path, change))]
    assert any(p.startswith(expected) for p in problems), problems


def test_grade_ids_are_unique_across_the_course(tmp_path):
    path = broken(tmp_path, lambda nb: None)
    broken(tmp_path, lambda nb: None, stem="98-copy")
    problems = validate_master(path)
    assert Problem("99-fixture.ipynb", 5, "grade_id ex99-1 is also used in 98-copy.ipynb") in problems


def test_release_refuses_invalid_masters_and_writes_nothing(tmp_path, capsys):
    source = broken(tmp_path, lambda nb: meta(nb, 5).update(grade_id="q1")).parent.parent
    code = course.main(["release", "--source", str(source), "--notebooks", str(tmp_path / "nb"),
                        "--keys", str(tmp_path / "keys.json")])
    assert code == 2
    assert "99-fixture.ipynb, cell 5: a check cell's grade_id must be ex99-<k>, not q1" in capsys.readouterr().err
    assert not (tmp_path / "nb").exists() and not (tmp_path / "keys.json").exists()


# --- stock nbgrader, end to end ---------------------------------------------------------------------


NBGRADER_SCRIPT = """
import json, shutil, sys
from pathlib import Path
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from traitlets.config.loader import PyFileConfigLoader

config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
config.CourseDirectory.root = "."
api = NbGraderAPI(config=config)
result = api.generate_assignment("99-fixture")
assert result["success"], result.get("log") or result.get("error")
Path("submitted/alice/99-fixture").mkdir(parents=True)
shutil.copy("answered.ipynb", "submitted/alice/99-fixture/99-fixture.ipynb")
result = api.autograde("99-fixture", "alice")
assert result["success"], result.get("log") or result.get("error")
with Gradebook("sqlite:///gradebook.db") as gradebook:
    graded = gradebook.find_submission_notebook("99-fixture", "99-fixture", "alice")
    print(json.dumps({g.name: [g.score, g.max_score] for g in graded.grades}))
"""


def test_stock_nbgrader_generates_the_same_notebook_and_autogrades_it(released, tmp_path):
    """nbgrader generate_assignment + autograde on the fixture: the release is byte for byte ours, and
    our student notebook, answered (one right, one wrong, free response blank), gets the right points."""
    shutil.copytree(FIXTURE_SOURCE, tmp_path / "source")
    shutil.copy(COURSE_DIR / "nbgrader_config.py", tmp_path)
    nb = student(released)
    cell(nb, "ex99-1-answer").source += "\ncount_big = 4"
    cell(nb, "ex99-2-answer").source += '\nbig = pd.DataFrame({"n": [4, 5]})'
    nbformat.write(nb, tmp_path / "answered.ipynb")
    # nbgrader runs the `alembic` command; the kernel it starts must find the fixture's keys.
    env = {**os.environ, "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""), KEYS_ENV: str(released[1])}
    result = subprocess.run([sys.executable, "-c", NBGRADER_SCRIPT], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    ours = (released[0] / "99-fixture.ipynb").read_bytes()
    assert (tmp_path / "release" / "99-fixture" / "99-fixture.ipynb").read_bytes() == ours
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert scores == {"ex99-1": [1, 1], "ex99-2": [0, 2], "ex99-3": [0, 2]}
