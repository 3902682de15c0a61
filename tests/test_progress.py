"""triangles.progress: progress read from saved notebooks, never by running them."""

import json
import os
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from triangles.course import manifest, notebook_text, read_notebook, student_version
from triangles.course import source_text
from triangles.exercises import KEYS_ENV, record_entry, source_fingerprint
from triangles.progress import (COLUMNS, STATUS_MEANINGS, course_notebooks, course_progress, progress_report,
                                show_progress)

FIXTURE = Path(__file__).parent / "fixtures" / "course" / "source" / "99-fixture" / "99-fixture.ipynb"


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The fixture's student version and keys (made in-process: test_course_release covers the
    release), and a student's copy answered (one right, one wrong, the free response left blank,
    the prediction written), run top to bottom in a kernel and saved."""
    out = tmp_path_factory.mktemp("progress")
    master = read_notebook(FIXTURE)
    big = pd.DataFrame({"n": [4, 5, 9, 6]}).assign(half=lambda t: t["n"] / 2)
    keys = {"exercises": {"ex99-1": record_entry("ex99-1", 4), "ex99-2": record_entry("ex99-2", big)},
            "notebooks": {"99-fixture": manifest(master)}}
    (out / "answer_keys.json").write_text(json.dumps(keys))
    (out / "released").mkdir()
    (out / "released" / "99-fixture.ipynb").write_text(notebook_text(student_version(master)))

    nb = student_version(master)
    cell(nb, "ex99-1-answer").source += "\ncount_big = 4"
    cell(nb, "ex99-2-answer").source += '\nbig = pd.DataFrame({"n": [4, 5]})'
    cell(nb, "pred99-1").source = "Below 4: most numbers are small."
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(out)}}).execute(
        env={**os.environ, KEYS_ENV: str(out / "answer_keys.json")})
    (out / "student").mkdir()
    nbformat.write(nb, out / "student" / "99-fixture.ipynb")
    return {"released": out / "released", "student": out / "student", "keys": keys, "root": out}


def statuses(table):
    return dict(zip(table["exercise"], table["status"]))


def test_saved_feedback_carries_the_status(course):
    nb = nbformat.read(course["student"] / "99-fixture.ipynb", as_version=4)
    right, wrong = cell(nb, "ex99-1").outputs[0], cell(nb, "ex99-2").outputs[0]
    feedback = right.metadata["triangles"]
    assert (feedback["exercise"], feedback["status"]) == ("ex99-1", "correct")
    # what was judged: the answer cell's source as it ran, and that the run succeeded
    assert feedback["answer"]["source_sha"] == source_fingerprint(source_text(cell(nb, "ex99-1-answer")))
    assert feedback["answer"]["ran"] == "ok"
    assert right.data["text/plain"] == "✅ Right." and "<strong>Right.</strong>" in right.data["text/html"]
    assert wrong.metadata["triangles"]["status"] == "incorrect"
    assert wrong.data["text/plain"].startswith("Not yet. Hint: Keep the numbers above 3")


def test_progress_of_an_answered_saved_notebook(course):
    table = course_progress(course["student"], answer_keys=course["keys"])
    assert list(table.columns) == COLUMNS
    assert table.to_dict("records") == [
        {"notebook": "99-fixture", "exercise": "ex99-1", "kind": "auto", "status": "right", "detail": ""},
        {"notebook": "99-fixture", "exercise": "ex99-2", "kind": "auto", "status": "not yet", "detail": ""},
        {"notebook": "99-fixture", "exercise": "pred99-1", "kind": "prediction", "status": "written", "detail": ""},
        {"notebook": "99-fixture", "exercise": "ex99-3", "kind": "free", "status": "not answered", "detail": ""},
    ]


def test_progress_of_a_fresh_notebook_and_of_unchecked_answers(course, tmp_path):
    shutil.copy(course["released"] / "99-fixture.ipynb", tmp_path)
    assert set(statuses(course_progress(tmp_path, answer_keys=course["keys"])).values()) == {"not answered"}

    nb = nbformat.read(tmp_path / "99-fixture.ipynb", as_version=4)
    cell(nb, "ex99-1-answer").source += "\ncount_big = 4"  # answered, but its check never run
    cell(nb, "ex99-3").source = "The mean is pulled down by the many small numbers."
    nbformat.write(nb, tmp_path / "99-fixture.ipynb")
    table = course_progress(tmp_path, answer_keys=course["keys"]).set_index("exercise")
    assert table.loc["ex99-1", "status"] == "not checked"
    assert table.loc["ex99-1", "detail"] == "answer written, but its check cell has not been run"
    assert table.loc["ex99-2", "status"] == "not answered"
    assert table.loc["ex99-3", "status"] == "written"


@pytest.mark.parametrize("content, reason", [
    (b'{"cells": [', "not valid JSON (line 1): the file is damaged"),
    (b'{"metadata": {}}', "JSON, but not a notebook (no list of cells)"),
    (b"\xff\xfe\x00", "not text (not UTF-8)"),
])
def test_a_corrupt_notebook_is_reported_with_its_reason(course, tmp_path, content, reason):
    (tmp_path / "99-fixture.ipynb").write_bytes(content)
    table = course_progress(tmp_path, answer_keys=course["keys"])
    assert len(table) == 4  # every expected exercise is still listed
    assert set(table["status"]) == {"unreadable"} and set(table["detail"]) == {reason}
    assert f"99-fixture  unreadable: {reason}" in progress_report(table)


def test_a_missing_notebook_is_listed(course, tmp_path):
    keys = json.loads(json.dumps(course["keys"]))
    keys["notebooks"]["98-gone"] = [{"id": "ex98-1", "kind": "auto", "points": 1}]
    shutil.copy(course["student"] / "99-fixture.ipynb", tmp_path)
    table = course_progress(tmp_path, answer_keys=keys)
    gone = table[table["notebook"] == "98-gone"].iloc[0]
    assert (gone["exercise"], gone["status"], gone["detail"]) == ("ex98-1", "missing", f"98-gone.ipynb not found in {tmp_path.name}/")


def test_a_save_as_copy_is_not_counted_and_the_report_says_so(course, tmp_path):
    shutil.copy(course["student"] / "99-fixture.ipynb", tmp_path)
    shutil.copy(course["student"] / "99-fixture.ipynb", tmp_path / "99-fixture-Copy1.ipynb")
    shutil.copy(course["student"] / "99-fixture.ipynb", tmp_path / "scratch.ipynb")
    table = course_progress(tmp_path, answer_keys=course["keys"])
    assert set(table["notebook"]) == {"99-fixture"} and len(table) == 4  # nothing counted twice
    assert table.attrs["ignored"] == ["99-fixture-Copy1.ipynb", "scratch.ipynb"]
    assert progress_report(table).splitlines()[-2:] == [
        "Note: not counted (not one of the course's notebooks): 99-fixture-Copy1.ipynb, scratch.ipynb.",
        "  99-fixture-Copy1.ipynb looks like a copy made with Save As: only 99-fixture.ipynb counts. "
        "If your work is in the copy, move it into that file.",
    ]


def test_without_answer_keys_the_course_notebooks_come_from_the_masters(tmp_path):
    found = {"99-fixture", "99-fixture-Copy1", "98-other"}
    assert course_notebooks({}, found, FIXTURE.parent.parent) == ["99-fixture"]
    assert course_notebooks({}, found, tmp_path / "no-masters") == ["98-other", "99-fixture"]  # NN-slug names
    assert course_notebooks({"97-x": []}, found, FIXTURE.parent.parent) == ["97-x"]  # the keys' list first


def test_report_summarises_each_notebook(course):
    report = progress_report(course_progress(course["student"], answer_keys=course["keys"]))
    assert report.splitlines()[1:3] == [
        "  99-fixture  2 of 3 attempted · 1 right · 1 not yet · 1 not answered · predictions: 1 of 1 written",
        "Overall: 2 of 3 exercises attempted · 1 right · 0 written.",
    ]


def test_report_explains_each_status_it_shows(course, tmp_path):
    report = progress_report(course_progress(course["student"], answer_keys=course["keys"])).splitlines()
    legend = report[report.index("What the words mean:") + 1:]
    assert legend == [f"  {s}: {STATUS_MEANINGS[s]}" for s in ("right", "not yet", "not answered", "written")]
    shutil.copy(course["released"] / "99-fixture.ipynb", tmp_path)
    nb = nbformat.read(tmp_path / "99-fixture.ipynb", as_version=4)
    cell(nb, "ex99-1-answer").source += "\ncount_big = 4"  # written, never checked
    nbformat.write(nb, tmp_path / "99-fixture.ipynb")
    report = progress_report(course_progress(tmp_path, answer_keys=course["keys"]))
    assert "  not checked: you wrote an answer but its check has not run since" in report


def run_saved(nb, course, folder):
    """Run a student notebook top to bottom (errors allowed, as a student's run goes on) and save it."""
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute(
        env={**os.environ, KEYS_ENV: str(course["root"] / "answer_keys.json")})
    nbformat.write(nb, folder / "99-fixture.ipynb")


def test_a_check_that_ran_before_the_answer_changed_does_not_count(course, tmp_path):
    shutil.copy(course["student"] / "99-fixture.ipynb", tmp_path)  # ex99-1 checked: Right
    nb = nbformat.read(tmp_path / "99-fixture.ipynb", as_version=4)
    cell(nb, "ex99-1-answer").source += "\ncount_big = count_big + undefined_name"  # edited, not run
    nbformat.write(nb, tmp_path / "99-fixture.ipynb")
    row = course_progress(tmp_path, answer_keys=course["keys"]).set_index("exercise").loc["ex99-1"]
    assert (row["status"], row["detail"]) == (
        "not checked", "the answer changed after its check ran: run the answer cell, then its check")
    # whitespace at the ends of lines is not a change (JupyterLab may save it differently)
    nb = nbformat.read(course["student"] / "99-fixture.ipynb", as_version=4)
    cell(nb, "ex99-1-answer").source = source_text(cell(nb, "ex99-1-answer")).replace("\n", "  \n") + "\n"
    nbformat.write(nb, tmp_path / "99-fixture.ipynb")
    assert statuses(course_progress(tmp_path, answer_keys=course["keys"]))["ex99-1"] == "right"


def test_an_answer_whose_cell_failed_is_not_right_even_if_its_value_is(course, tmp_path):
    nb = read_notebook(course["released"] / "99-fixture.ipynb")
    # the right value is assigned, then the cell fails: the check must not say Right
    cell(nb, "ex99-1-answer").source += "\ncount_big = 4\ncount_big = count_big + undefined_name"
    run_saved(nb, course, tmp_path)
    out = cell(nb, "ex99-1").outputs[0]
    assert out.data["text/plain"].startswith(
        "Not yet. Your answer cell's last run failed with NameError: name 'undefined_name' is not defined.")
    assert out.metadata["triangles"]["status"] == "incorrect"
    row = course_progress(tmp_path, answer_keys=course["keys"]).set_index("exercise").loc["ex99-1"]
    assert (row["status"], row["detail"]) == ("not yet", "its answer cell's last run failed (NameError)")


def test_report_counts_written_free_responses_apart_from_right_answers(course, tmp_path):
    shutil.copy(course["student"] / "99-fixture.ipynb", tmp_path)
    nb = nbformat.read(tmp_path / "99-fixture.ipynb", as_version=4)
    cell(nb, "ex99-3").source = "The mean is pulled down by the many small numbers."
    nbformat.write(nb, tmp_path / "99-fixture.ipynb")
    lines = progress_report(course_progress(tmp_path, answer_keys=course["keys"])).splitlines()
    assert lines[1] == "  99-fixture  3 of 3 attempted · 1 right · 1 written · 1 not yet · predictions: 1 of 1 written"
    assert lines[2] == "Overall: 3 of 3 exercises attempted · 1 right · 1 written."
    assert "done" not in "\n".join(lines)


def test_show_progress_prints_without_ipython(course, monkeypatch, capsys):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    monkeypatch.setenv(KEYS_ENV, str(course["root"] / "answer_keys.json"))
    show_progress(course["student"])
    assert "99-fixture  2 of 3 attempted" in capsys.readouterr().out
