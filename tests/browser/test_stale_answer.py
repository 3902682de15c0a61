"""Checks that never lie, in a real JupyterLab: a right answer, then an edit that fails, then the
check. The check must not say Right, and the progress view (read from the saved notebook) must
agree. Also: every course notebook opens without the unsaved-changes dot.

Driven on the student version of notebook 00 (exercise 00.2, `paragraph_count`), copied into the
server's own folder so that nothing in the repository is touched.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from triangles.exercises import load_answer_keys
from triangles.paths import NOTEBOOKS_DIR
from triangles.progress import course_progress

pytestmark = pytest.mark.browser

NOTEBOOK = "00-start-here.ipynb"
ANSWER_STUB = "paragraph_count = ..."
RIGHT = "paragraph_count = len(article.paragraph_ids)"
FAILING = "paragraph_count = len(article.paragraph_idz)"  # a typo: AttributeError


@pytest.fixture(scope="module")
def lab(lab_server, open_notebook):
    shutil.copy(NOTEBOOKS_DIR / NOTEBOOK, lab_server.root / NOTEBOOK)
    lab, close = open_notebook(NOTEBOOK, run=False)
    yield lab
    close()


def dirty_tabs(page) -> list[str]:
    return page.eval_on_selector_all(".lm-TabBar-tab.jp-mod-dirty", "els => els.map(e => e.textContent)")


def answer_cell(page):
    return page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has_text=ANSWER_STUB)


def check_cell(page):
    return page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has_text="check('ex00-2'")


def wait_for_run(lab, cell, before: str) -> None:
    """Until the cell's prompt shows a new execution number (not "[*]")."""
    prompt = cell.locator(".jp-InputPrompt")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = prompt.text_content() or ""
        if now != before and re.search(r"\[\d+\]", now):
            return
        time.sleep(0.1)
    lab.screenshot("stale-answer-not-run")
    raise AssertionError(f"the cell did not run (prompt {before!r} -> {prompt.text_content()!r})")


def run_answer_then_check(lab, source: str) -> str:
    """Replace the answer cell's code, run it (Shift-Enter), then, once it has finished, run the
    check below it, as a student does; return the check's output text. (JupyterLab drops cells
    queued behind one that fails, so the check is run only after the answer cell is done.)"""
    page = lab.page
    answer, check = answer_cell(page), check_cell(page)
    answer_before = answer.locator(".jp-InputPrompt").text_content()
    check_before = check.locator(".jp-InputPrompt").text_content()
    answer.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(f"{ANSWER_STUB}\n{source}")
    page.keyboard.press("Shift+Enter")  # runs the answer; the check cell below gets the focus
    wait_for_run(lab, answer, answer_before)
    page.keyboard.press("Shift+Enter")  # runs the check
    wait_for_run(lab, check, check_before)
    return check.locator(".jp-OutputArea-output").last.text_content().strip()


def save(lab) -> None:
    page = lab.page
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')", timeout=15_000)


def progress_row(lab_server, exercise: str) -> dict:
    table = course_progress(lab_server.root, answer_keys=load_answer_keys())
    rows = table[table["exercise"] == exercise].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def test_a_course_notebook_opens_without_the_unsaved_dot(lab):
    lab.page.wait_for_timeout(2_000)  # the kernel's language_info arrives after "Idle"
    assert dirty_tabs(lab.page) == []


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb") if p.name != NOTEBOOK))
def test_every_other_course_notebook_opens_without_the_unsaved_dot(lab_server, open_notebook, name):
    shutil.copy(NOTEBOOKS_DIR / name, lab_server.root / name)
    other, close = open_notebook(name, run=False)
    try:
        other.page.wait_for_timeout(2_000)
        assert dirty_tabs(other.page) == [], name
    finally:
        close()


def test_right_then_a_failing_edit_is_not_right_and_the_progress_view_agrees(lab, lab_server):
    lab.run_all()
    assert lab.widget_errors() == []
    assert run_answer_then_check(lab, RIGHT) == "✅ Right."
    save(lab)
    assert progress_row(lab_server, "ex00-2")["status"] == "right"

    text = run_answer_then_check(lab, FAILING)  # paragraph_count still holds the right 7
    assert "Right" not in text
    assert text.startswith("Not yet. Your answer cell's last run failed with AttributeError")
    save(lab)
    saved = json.loads((lab_server.root / NOTEBOOK).read_text(encoding="utf-8"))
    check = next(c for c in saved["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "ex00-2")
    assert check["outputs"][-1]["metadata"]["triangles"]["answer"]["ran"] == "failed"
    row = progress_row(lab_server, "ex00-2")
    assert (row["status"], row["detail"]) == ("not yet", "its answer cell's last run failed (AttributeError)")
    lab.screenshot("stale-answer-failed-run", check_cell(lab.page))


def test_an_answer_edited_after_its_check_is_not_counted(lab, lab_server):
    assert run_answer_then_check(lab, RIGHT) == "✅ Right."
    editor = answer_cell(lab.page).locator(".cm-content")
    editor.click()
    lab.page.keyboard.press("Control+a")
    lab.page.keyboard.insert_text(f"{ANSWER_STUB}\nparagraph_count = 6")  # changed, never run
    save(lab)
    row = progress_row(lab_server, "ex00-2")
    assert (row["status"], row["detail"]) == (
        "not checked", "the answer changed after its check ran: run the answer cell, then its check")
