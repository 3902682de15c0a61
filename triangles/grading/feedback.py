"""Per-student HTML feedback: ``<out>/feedback/<student>/<assignment>.html``.

For each exercise: the student's own answer, the diagnosis their check cell gave them (the same
sentence, e.g. "Divided by 100, your answer is right", with the hint of the version they were
given), the score, and for a free response the rubric and the instructor's comment; for the
assignment: the late penalty, and how the notebook was run (sandboxed or not).

Built only from the result file, the exercise list and the gradebook, which hold no expected values,
no solutions and no hidden tests - so the page cannot reveal them; tampering flags stay with the
instructor. Everything that came from a student (answers, type names, folder names) is HTML-escaped
and cut to a fixed length. The page is self-contained (no script, no remote file), has one
``h1``, a heading per exercise, and says every status in words: no meaning is carried by colour.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from .flags import shown_to_student
from .report import fmt
from .store import write_text_atomic

MAX_ANSWER = 4000     # characters of an answer shown back
MAX_TEXT = 600        # characters of any other student-derived text (notes, comments)

_STATUS = {
    "correct": "Right",
    "incorrect": "Not yet",
    "partial": "Partly right",
    "unanswered": "Not answered",
    "not-plain": "Could not be read",
    "not-judged": "Could not be checked",
    "manual": "Scored by hand",
    "no-submission": "No submission",
    "needs-look": "Needs a look by your instructor",
    "override": "Score set by your instructor",
}
_MARK = {"correct": "✓", "partial": "◐", "incorrect": "✗", "unanswered": "–"}  # beside the words, never instead

_ADVICE = {
    "unanswered": "Replace the <code>...</code> in the answer cell with your answer.",
    "not-plain": "Give the answer as plain data: a number, text, True/False, a list, set or dict, "
                 "or a pandas table.",
}

_NOTES = {
    "missing-notebook": "We did not find your notebook in the submission.",
    "corrupt-notebook": "Your notebook file could not be opened ({detail}).",
    "answer-missing": "An answer cell was missing from your notebook ({exercise}); it counts as blank.",
    "metadata-stripped": "An answer cell had lost its grading information ({exercise}): {detail}.",
    "duplicate-answer": "An answer cell appears twice ({exercise}); the first copy was graded.",
    "cell-type-changed": "An answer cell's type was changed ({exercise}); it was graded as the original type.",
    "cells-added": ("You added code cells outside the answer cells; they were run in notebook order, as in "
                    "your notebook ({detail})."),
    "timeout": "A cell ran too long: {detail}.",
    "kernel-died": "Python stopped: {detail}. Exercises after that point could not be checked.",
    "not-plain-data": "Your answer to {exercise} is not plain data ({detail}).",
    "refused-file": "Something in your submission was not a plain file or folder and was not read ({detail}).",
    "output-limit": "A cell printed far too much output; the rest was dropped ({detail}).",
    "unsandboxed": "Your notebook was graded without the usual sandbox (your instructor's choice); "
                   "this does not change how it was scored.",
}

STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;
 max-width:52rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.25rem} h2{font-size:1.2rem;margin:1.75rem 0 .5rem}
.summary{border:2px solid #1a1a1a;border-radius:6px;padding:.75rem 1rem}
.summary dt{font-weight:600} .summary dd{margin:0 0 .4rem 0}
.exercise{border-top:1px solid #767676;padding-top:.5rem}
.status{font-weight:700} .score{font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;word-break:break-word;background:#f3f3f3;border-left:4px solid #555;padding:.5rem .75rem;
 font-size:.95rem;max-height:24rem;overflow:auto}
.notice{border:3px double #1a1a1a;padding:.5rem 1rem;margin:1rem 0}
a:focus,pre:focus{outline:3px solid #1a1a1a;outline-offset:2px}
@media (prefers-color-scheme:dark){body{background:#121212;color:#eee}pre{background:#222;border-color:#aaa}
 .summary,.notice{border-color:#eee}a:focus,pre:focus{outline-color:#eee}}
"""


def esc(text, limit: int = MAX_TEXT) -> str:
    """Escape and bound any text that may have come from a student."""
    text = "" if text is None else str(text)
    if len(text) > limit:
        text = text[:limit] + f" … [{len(text) - limit} more characters not shown]"
    return html.escape(text, quote=True)


def write_feedback(out: Path, book) -> list[Path]:
    """One page per submitted (student, assignment) of the gradebook."""
    paths = []
    for (student, _), grade in book.grades.items():
        if grade.result is None:
            continue
        page = render(grade, book.config)
        path = Path(out) / "feedback" / student / f"{grade.assignment}.html"
        write_text_atomic(path, page)
        paths.append(path)
    return paths


def render(grade, config=None) -> str:
    from .gradebook import sandbox_state

    result = grade.result or {}
    name = ""
    if config is not None and config.roster is not None:
        match = config.roster.match(grade.student)
        name = match.name if match else ""
    title = f"Feedback: {grade.assignment}"
    lateness = grade.lateness
    facts = [("Student", esc(name + (f" ({grade.student})" if name else grade.student), 200)),
             ("Score", f'<span class="score">Score: {fmt(grade.raw)} / {fmt(grade.possible)}</span>')]
    if lateness.late:
        facts.append(("Late", esc(lateness.sentence()[0].upper() + lateness.sentence()[1:]) + "."))
    if grade.penalty or lateness.cut_off:
        facts.append(("Late penalty", f"−{fmt(grade.penalty)} points"))
        facts.append(("Final score", f'<span class="score">{fmt(grade.final)} / {fmt(grade.possible)}</span>'))
    if grade.pending:
        facts.append(("Still to come", f"{grade.pending} answer(s) not scored yet; this page will be updated."))
    facts.append(("How it was run", esc(sandbox_state(result)[0])))
    summary = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)

    notices = []
    if grade.needs_look:
        notices.append("<p><strong>This submission needs a look by your instructor.</strong> The grader itself "
                       "failed on it (not your work). Nothing on this page counts against you because of that; it "
                       "will be replaced once your work has been graded again.</p>")
    notes = [n for n in (_note(f) for f in result.get("flags", []) if shown_to_student(f["flag"])) if n]
    notes_html = "".join(f"<li>{esc(n)}</li>" for n in notes)
    sections = [_exercise_section(cell, show_answer=not grade.needs_look) for cell in grade.cells]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
        "<main>", f"<h1>{esc(title)}</h1>",
        f'<dl class="summary" aria-label="Summary">{summary}</dl>',
        *[f'<div class="notice" role="note">{n}</div>' for n in notices],
        (f'<h2 id="notes">Notes on your notebook</h2><ul>{notes_html}</ul>' if notes_html else ""),
        *sections, "</main>", "</body></html>", ""])


def _exercise_section(cell, show_answer: bool = True) -> str:
    verdict = cell.verdict or {}
    status = cell.status
    if cell.mode == "auto" and status == "incorrect" and (cell.score or 0) > 0:
        status = "partial"
    if cell.source == "override":
        status = "override"
    shown = "not scored yet" if cell.score is None else fmt(cell.score)
    label = _STATUS.get(status, status)
    mark = _MARK.get(status)
    anchor = f"ex-{esc(cell.exercise)}"
    parts = [f'<section class="exercise" aria-labelledby="{anchor}">',
             f'<h2 id="{anchor}">{esc(cell.exercise)}</h2>',
             f'<p><span class="status">{(mark + " ") if mark else ""}{esc(label)}</span> · '
             f'<span class="score">{shown} / {fmt(cell.points)} point{"s" if cell.points != 1 else ""}</span></p>']
    answer = verdict.get("answer")
    if show_answer and answer is not None and status not in ("no-submission",):
        body = esc(answer, MAX_ANSWER) if str(answer).strip() else "(empty)"
        parts.append(f'<h3>Your answer</h3><pre tabindex="0">{body}</pre>')
    if cell.mode == "manual":
        if cell.rubric:
            parts.append(f"<p>Rubric: {esc(cell.rubric)}</p>")
        if cell.comment:
            parts.append(f"<h3>Comment</h3><p>{esc(cell.comment)}</p>")
    else:
        advice = _advice(verdict, status)
        if advice:
            parts.append(f"<h3>What the check said</h3><p>{advice}</p>")
    if cell.override is not None:
        parts.append("<p>This score was adjusted by your instructor.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _advice(verdict: dict, status: str) -> str:
    if status == "needs-look":
        return "Not checked yet: this submission needs a look by your instructor."
    if status == "no-submission":
        return ""
    diagnosis = verdict.get("diagnosis")
    if diagnosis:  # marked up as the check cell marks it up: `name` -> <code>name</code>
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(diagnosis))
    if status in ("incorrect", "partial"):
        parts = [esc(verdict["note"]) + "." if verdict.get("note") else ""]
        hint = verdict.get("hint_seen") or verdict.get("hint")
        if hint:
            parts.append(f"Hint: {esc(hint)}")
        return " ".join(p for p in parts if p)
    if status == "not-judged":
        return esc(verdict.get("note", ""))
    return _ADVICE.get(status, "")


def _note(f: dict) -> str:
    template = _NOTES.get(f["flag"])
    if template is None:
        return ""
    return template.format(detail=str(f.get("detail") or "")[:MAX_TEXT], exercise=f.get("exercise") or "")
