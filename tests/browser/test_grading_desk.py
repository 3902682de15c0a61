"""The grading desk in a real JupyterLab: keyboard only, anonymous, and it writes the manual sheet.

The fixture notebook grading-desk.ipynb builds a three-student grade run in a temporary folder
(no kernels) and shows ``GradingDesk(out, "ex02-5", anonymous=True)``. The test scores one answer
with the keyboard alone (type, Tab, Enter) and then reads the sheet the desk wrote."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "grading-desk.ipynb"
NAMES = ("amy", "ben", "cat")


@pytest.fixture(scope="module")
def desk(open_notebook):
    lab, close = open_notebook(NOTEBOOK)
    lab.page.wait_for_selector(".grading-desk .desk-header h3", timeout=60_000)
    yield lab
    close()


def _out_folder(page) -> Path:
    text = page.locator(".jp-OutputArea-output", has_text="DESK_OUT=").first.text_content()
    return Path(re.search(r"DESK_OUT=(\S+)", text).group(1))


def test_anonymous_desk_hides_names_and_escapes_answers(desk):
    page = desk.page
    widget = page.locator(".grading-desk")
    text = widget.text_content()
    assert "Student 1 (1 of 3)" in text and "anonymous: names hidden" in text
    for name in NAMES:
        assert not re.search(rf"\b{name}\b", text), name
    assert "R02.5" in page.locator(".desk-rubric").text_content()
    # markup in an answer is shown as text, never rendered
    answers = []
    for i in range(3):
        page.wait_for_function("n => document.querySelector('.desk-header').textContent.includes(`(${n} of 3)`)",
                               arg=i + 1)
        answers.append(page.locator(".desk-answer pre").text_content())
        page.locator("button.desk-next").click()
    assert any("<b>not bold</b>" in a for a in answers)
    assert page.locator(".desk-answer b").count() == 0


def test_scoring_with_the_keyboard_writes_the_sheet(desk):
    page = desk.page
    page.locator("button.desk-previous").click()
    page.locator("button.desk-previous").click()  # back to Student 1
    page.wait_for_function("() => document.querySelector('.desk-header').textContent.includes('(1 of 3)')")
    blank = page.locator(".desk-blank input")
    blank.focus()
    page.keyboard.press("Space")                      # "not scored yet" off: the score field opens
    score = page.locator(".desk-score input")
    page.wait_for_function("() => !document.querySelector('.desk-score input').disabled")
    score.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("2.5")
    page.keyboard.press("Tab")                        # -> comment
    page.keyboard.type("Clear on order versus cause.")
    page.keyboard.press("Tab")                        # -> Save and next
    focused = page.evaluate("() => document.activeElement.textContent")
    assert "Save and next" in focused
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.desk-status').textContent.includes('Saved Student 1')",
                           timeout=30_000)
    assert "1 of 3 scored" in page.locator(".desk-header").text_content()
    desk.screenshot("grading-desk", page.locator(".grading-desk"))
    rows = list(csv.DictReader((_out_folder(page) / "manual" / "ex02-5.csv").open(encoding="utf-8")))
    scored = [r for r in rows if r["score"]]
    assert len(scored) == 1 and scored[0]["score"] == "2.5"
    assert scored[0]["comment"] == "Clear on order versus cause."


def test_class_report_works_from_the_keyboard(browser, tmp_path):
    """The class report: Tab reaches the skip link first, then the contents links; every chart
    has a text alternative with its numbers."""
    from conftest import new_page
    from triangles.grading.classreport import write_class_report
    from triangles.grading.config import load_config
    from triangles.grading.gradebook import build

    run = {"students": ["amy", "ben", "cat"], "assignments": [{"assignment": "02-the-timeline", "exercises": [
        {"id": "ex02-1", "mode": "auto", "points": 1}, {"id": "ex02-5", "mode": "manual", "points": 3}]}]}
    results = {(s, "02-the-timeline"): {"flags": [], "timestamp": None, "exercises": [
        {"exercise": "ex02-1", "score": score, "status": "correct" if score else "incorrect",
         "form": None if score else '"<script>1997</script>"'}]} for s, score in (("amy", 1.0), ("ben", 0.0),
                                                                                 ("cat", 0.0))}
    book = build(tmp_path, run, load_config(None), {("amy", "ex02-5"): {"score": 2.0, "comment": ""}}, results)
    path = write_class_report(tmp_path, book)
    context, page = new_page(browser)
    try:
        page.goto(path.as_uri())
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent") == "Skip to the report"
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#a-02-the-timeline"
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")                       # the first question's link
        assert page.evaluate("() => location.hash") == "#q-ex02-1"
        alts = page.eval_on_selector_all("img", "els => els.map(e => e.alt)")
        assert alts and all(re.search(r"\d+ scored \d", a) for a in alts if "no scores" not in a)
        assert page.locator("script").count() == 0 and "<script>1997</script>" in page.content().replace(
            "&lt;", "<").replace("&gt;", ">")
    finally:
        context.close()
