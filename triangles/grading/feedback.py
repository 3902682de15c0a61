"""Per-student HTML feedback: ``<out>/feedback/<student>/<assignment>.html``.

Shows what was right and wrong and the hint the student already saw in the check cell. Built only
from the result file and the exercise list, which hold no expected values, no solutions and no
hidden tests - so the page cannot reveal them. Tampering flags stay with the instructor.
"""

from __future__ import annotations

import html
from pathlib import Path

from .flags import shown_to_student
from .report import fmt
from .store import write_text_atomic

_STATUS = {
    "correct": "Right",
    "incorrect": "Not yet",
    "unanswered": "Not answered",
    "not-plain": "Could not be read",
    "not-judged": "Could not be checked",
    "manual": "Graded by hand",
}

_ADVICE = {
    "unanswered": "Replace the <code>...</code> in the answer cell with your answer.",
    "not-plain": "Give the answer as plain data: a number, text, True/False, a list, set or dict, "
                 "or a pandas table.",
}

_NOTES = {
    "missing-notebook": "We did not find your notebook in the submission.",
    "corrupt-notebook": "Your notebook file could not be opened ({detail}).",
    "late": "Your work was {detail}.",
    "answer-missing": "An answer cell was missing from your notebook ({exercise}); it counts as blank.",
    "metadata-stripped": "An answer cell had lost its grading information ({exercise}): {detail}.",
    "duplicate-answer": "An answer cell appears twice ({exercise}); the first copy was graded.",
    "cell-type-changed": "An answer cell's type was changed ({exercise}); it was graded as the original type.",
    "cells-added": "Code you added outside the answer cells is not run when grading ({detail}).",
    "timeout": "A cell ran too long: {detail}.",
    "kernel-died": "Python stopped: {detail}. Exercises after that point could not be checked.",
    "not-plain-data": "Your answer to {exercise} is not plain data ({detail}).",
}


def write_feedback(out: Path, run: dict, results: dict, manual_scores: dict) -> list[Path]:
    paths = []
    for assignment in run["assignments"]:
        for student in run["students"]:
            result = results.get((student, assignment["assignment"]))
            if result is None:
                continue
            page = render(student, assignment, result, manual_scores)
            path = Path(out) / "feedback" / student / f"{assignment['assignment']}.html"
            write_text_atomic(path, page)
            paths.append(path)
    return paths


def render(student: str, assignment: dict, result: dict, manual_scores: dict) -> str:
    esc = html.escape
    verdicts = {v["exercise"]: v for v in result.get("exercises", [])}
    rows, earned, possible = [], 0.0, 0.0
    for ex in assignment["exercises"]:
        verdict = verdicts.get(ex["id"], {"status": "not-judged"})
        possible += ex["points"]
        if ex["mode"] == "manual":
            entry = manual_scores.get((student, ex["id"]), {})
            score = entry.get("score")
            advice = esc(entry.get("comment", "")) or ("" if score is not None else "Not scored yet.")
        else:
            score = verdict.get("score") or 0.0
            advice = _advice(ex, verdict)
        earned += score or 0.0
        shown = "" if score is None else fmt(score)
        rows.append(f"<tr><td>{esc(ex['id'])}</td><td>{esc(_STATUS.get(verdict['status'], verdict['status']))}"
                    f"</td><td>{shown} / {fmt(ex['points'])}</td><td>{advice}</td></tr>")
    notes = [_note(f) for f in result.get("flags", []) if shown_to_student(f["flag"])]
    notes_html = "".join(f"<li>{esc(n)}</li>" for n in notes if n)
    title = f"Feedback: {assignment['assignment']}"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>Student: {esc(student)}. Score: {fmt(earned)} / {fmt(possible)}"
        " (free-response answers are scored by hand and may still be missing).</p>",
        f"<ul>{notes_html}</ul>" if notes_html else "",
        "<table><thead><tr><th>Exercise</th><th>Result</th><th>Points</th><th>What to do</th></tr></thead>",
        "<tbody>", *rows, "</tbody></table>", "</body></html>", ""])


def _advice(ex: dict, verdict: dict) -> str:
    status = verdict["status"]
    if status == "incorrect":
        parts = [html.escape(verdict["note"]) + "." if verdict.get("note") else ""]
        if ex.get("hint"):
            parts.append(f"Hint: {html.escape(ex['hint'])}")
        return " ".join(p for p in parts if p)
    if status == "not-judged":
        return html.escape(verdict.get("note", ""))
    return _ADVICE.get(status, "")


def _note(f: dict) -> str:
    template = _NOTES.get(f["flag"])
    if template is None:
        return ""
    return template.format(detail=f.get("detail") or "", exercise=f.get("exercise") or "")
