"""How far a student has got, read from their *saved* notebooks without running anything.

Auto-graded exercises: the last feedback that ``check`` left in the check cell's output (its
metadata carries the status), but only while it still stands: a check that judged a different
version of the answer cell than the one saved (the answer changed after its check ran) is "not
checked", and a check that found the answer cell's last run failed is "not yet". Free responses and predictions: whether the text still is the stub.
The list of notebooks and exercises to expect comes from the answer keys' manifest, so a deleted or
damaged notebook shows up as such instead of silently vanishing. Only the course's own notebooks
count: another notebook in the folder (a JupyterLab "Save As" copy such as
``01-reading-the-article-Copy1.ipynb``, a scratch notebook) is left out, and the report says so.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from triangles.course import STEM, TEXT_STUB, cell_role, find_masters, nbgrader_checksum, nbgrader_meta, source_text
from triangles.exercises import load_answer_keys, source_fingerprint
from triangles.paths import NOTEBOOKS_DIR, SOURCE_DIR

COLUMNS = ["notebook", "exercise", "kind", "status", "detail"]
RIGHT, NOT_YET, NOT_ANSWERED, NOT_CHECKED = "right", "not yet", "not answered", "not checked"
WRITTEN = "written"  # a free response or prediction that has been written
DONE = WRITTEN  # the former name
MISSING, UNREADABLE = "missing", "unreadable"  # the whole notebook

# check()'s machine-readable status -> what the table says
_FROM_CHECK = {"correct": RIGHT, "incorrect": NOT_YET, "unanswered": NOT_ANSWERED, "unavailable": NOT_CHECKED}
# What each status means, for the report's legend (a student reads it in notebook 00).
STATUS_MEANINGS = {
    RIGHT: "its check cell said Right, and the answer has not changed since",
    NOT_YET: "its check cell said Not yet (or found that the answer cell's last run failed)",
    NOT_CHECKED: "you wrote an answer but its check has not run since: run the answer cell, then "
                 "its check cell, then save",
    NOT_ANSWERED: "the answer still holds the blank `...` or YOUR ANSWER HERE",
    WRITTEN: "a free response or prediction with your text in it (marked later, not checked here)",
}
_KINDS = {"check": "auto", "free": "free", "prediction": "prediction"}


def course_progress(notebooks_dir: Path | str = NOTEBOOKS_DIR, *, answer_keys: dict | None = None) -> pd.DataFrame:
    """One row per exercise across the course: notebook, exercise, kind, status, detail.

    Only the course's notebooks are read (see ``course_notebooks``); the names of the other
    notebooks found in the folder are in ``table.attrs["ignored"]``, for the report to mention.
    """
    notebooks_dir = Path(notebooks_dir)
    keys = answer_keys if answer_keys is not None else load_answer_keys()
    expected = keys.get("notebooks", {}) if isinstance(keys, dict) else {}
    expected = expected if isinstance(expected, dict) else {}
    found = {p.stem for p in notebooks_dir.glob("*.ipynb")}
    stems = course_notebooks(expected, found)
    rows = []
    for stem in stems:
        manifest = expected.get(stem)
        rows += notebook_progress(notebooks_dir / f"{stem}.ipynb", manifest if isinstance(manifest, list) else [])
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.attrs["ignored"] = sorted(f"{stem}.ipynb" for stem in found - set(stems))
    return table


def course_notebooks(expected: dict, found: set[str], source_dir: Path = SOURCE_DIR) -> list[str]:
    """The stems of the course's notebooks: those the answer keys list; without keys (no release
    yet), the masters'; without masters either, the saved notebooks named like the course's
    (``NN-slug``: lower case, so JupyterLab's ``...-Copy1`` never is)."""
    if expected:
        return sorted(expected)
    masters = [path.stem for path in find_masters(source_dir)]
    if masters:
        return sorted(masters)
    return sorted(stem for stem in found if STEM.match(stem))


def notebook_progress(path: Path, manifest: list[dict]) -> list[dict]:
    """Rows for one notebook; ``manifest`` lists the exercises it should have (may be empty)."""
    stem = path.stem
    try:
        cells = _read_cells(path)
    except FileNotFoundError:
        return _whole_notebook(stem, manifest, MISSING, f"{path.name} not found in {path.parent.name}/")
    except _Unreadable as exc:
        return _whole_notebook(stem, manifest, UNREADABLE, str(exc))
    by_id = {nbgrader_meta(c).get("grade_id"): c for c in cells if nbgrader_meta(c)}
    by_id.update({("cell", c["id"]): c for c in cells if isinstance(c.get("id"), str)})
    found = {}
    for cell in cells:
        role = cell_role(cell)
        if role in _KINDS:
            exercise_id = nbgrader_meta(cell).get("grade_id")
            status, detail = _check_status(cell, by_id) if role == "check" else _text_status(cell)
            found.setdefault(exercise_id, _row(stem, exercise_id, _KINDS[role], status, detail))
    rows = []
    for entry in manifest:
        exercise_id = entry.get("id")
        rows.append(found.pop(exercise_id, None) or _row(
            stem, exercise_id, entry.get("kind"), NOT_ANSWERED, "its cell is missing from the notebook"))
    return rows + list(found.values())  # exercises the manifest does not know (keys out of date)


class _Unreadable(Exception):
    pass


def _read_cells(path: Path) -> list[dict]:
    """The cells as plain dicts. Deliberately lenient: odd metadata must not hide the rest."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _Unreadable(f"cannot be opened ({exc.strerror or exc})") from None
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _Unreadable("not text (not UTF-8)") from None
    except ValueError as exc:
        raise _Unreadable(f"not valid JSON (line {getattr(exc, 'lineno', '?')}): the file is damaged") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise _Unreadable("JSON, but not a notebook (no list of cells)")
    return [c for c in nb["cells"] if isinstance(c, dict)]


def _row(notebook, exercise, kind, status, detail="") -> dict:
    return {"notebook": notebook, "exercise": exercise, "kind": kind, "status": status, "detail": detail}


def _whole_notebook(stem: str, manifest: list[dict], status: str, reason: str) -> list[dict]:
    if not manifest:
        return [_row(stem, None, None, status, reason)]
    return [_row(stem, e.get("id"), e.get("kind"), status, reason) for e in manifest]


def _check_status(cell: dict, by_id: dict) -> tuple[str, str]:
    outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
    for output in reversed(outputs):
        meta = output.get("metadata") if isinstance(output, dict) else None
        feedback = meta.get("triangles") if isinstance(meta, dict) else None
        if isinstance(feedback, dict) and feedback.get("status") in _FROM_CHECK:
            stale = _stale(feedback.get("answer"), cell, by_id)
            if stale:
                return NOT_CHECKED, stale
            answer = feedback.get("answer") if isinstance(feedback.get("answer"), dict) else {}
            if answer.get("ran") == "failed":
                return NOT_YET, f"its answer cell's last run failed ({answer.get('error') or 'an error'})"
            status = _FROM_CHECK[feedback["status"]]
            return status, "no answer key to check against" if feedback["status"] == "unavailable" else ""
    errors = [o for o in outputs if isinstance(o, dict) and o.get("output_type") == "error"]
    if errors:
        return NOT_CHECKED, f"its check cell stopped with an error ({errors[-1].get('ename', 'error')})"
    answer = by_id.get(f"{nbgrader_meta(cell).get('grade_id')}-answer")
    if answer is None or _unchanged(answer):
        return NOT_ANSWERED, "" if answer is not None else "its answer cell is missing"
    return NOT_CHECKED, "answer written, but its check cell has not been run"


def _stale(answer, check_cell: dict, by_id: dict) -> str:
    """Why the check's verdict no longer stands ("" if it does): the cell it judged has changed
    since (or is gone). Feedback without the record (no IPython, an older kit) is taken as it is."""
    if not isinstance(answer, dict) or not isinstance(answer.get("source_sha"), str):
        return ""
    judged = by_id.get(("cell", answer.get("cell_id"))) if answer.get("cell_id") else None
    if judged is None:
        judged = by_id.get(f"{nbgrader_meta(check_cell).get('grade_id')}-answer")
    if judged is None:
        return "the cell its check judged is no longer in the notebook"
    if source_fingerprint(source_text(judged)) != answer["source_sha"]:
        return "the answer changed after its check ran: run the answer cell, then its check"
    return ""


def _text_status(cell: dict) -> tuple[str, str]:
    return (NOT_ANSWERED, "") if _unchanged(cell) else (WRITTEN, "")


def _unchanged(cell: dict) -> bool:
    """Still as released: the text is the stub (or empty), or nbgrader's checksum still matches."""
    text = source_text(cell).strip()
    if text in ("", TEXT_STUB):
        return True
    checksum = nbgrader_meta(cell).get("checksum")
    try:
        return checksum is not None and checksum == nbgrader_checksum(cell)
    except (KeyError, TypeError, ValueError):
        return False


def progress_report(table: pd.DataFrame | None = None, notebooks_dir: Path | str = NOTEBOOKS_DIR) -> str:
    """A short text summary, one line per notebook, e.g.
    ``01-reading-the-article  3 of 5 attempted · 2 right · 1 written · 2 not answered``.

    *Attempted* counts every exercise with an answer in it (right, not yet right, written, or not
    checked yet); predictions are counted apart, as they are not graded.
    """
    table = course_progress(notebooks_dir) if table is None else table
    ignored = list(table.attrs.get("ignored", []))
    if table.empty:
        return "\n".join(["No course notebooks found.", *_ignored_notes(ignored)])
    lines = ["Your progress (read from your saved notebooks: save first to include recent work)"]
    width = max(len(str(n)) for n in table["notebook"])
    total = attempted_total = right_total = written_total = 0
    for notebook, rows in table.groupby("notebook", sort=False):
        whole = rows["status"].isin([MISSING, UNREADABLE])
        if whole.all():
            lines.append(f"  {notebook:<{width}}  {rows['status'].iloc[0]}: {rows['detail'].iloc[0]}")
            total += int((rows["kind"] != "prediction").sum())
            continue
        graded = rows[rows["kind"] != "prediction"]
        counts = graded["status"].value_counts()
        attempted = int((~graded["status"].isin([NOT_ANSWERED, MISSING, UNREADABLE])).sum())
        total, attempted_total = total + len(graded), attempted_total + attempted
        right_total += int(counts.get(RIGHT, 0))
        written_total += int(counts.get(WRITTEN, 0))
        parts = [f"{attempted} of {len(graded)} attempted"]
        parts += [f"{counts[s]} {s}" for s in (RIGHT, WRITTEN, NOT_YET, NOT_CHECKED, NOT_ANSWERED) if s in counts]
        predictions = rows[rows["kind"] == "prediction"]
        if len(predictions):
            written = int((predictions["status"] == WRITTEN).sum())
            parts.append(f"predictions: {written} of {len(predictions)} written")
        lines.append(f"  {notebook:<{width}}  " + " · ".join(parts))
    lines.append(f"Overall: {attempted_total} of {total} exercises attempted · {right_total} right · "
                 f"{written_total} written.")
    shown = set(table["status"])
    legend = [f"  {status}: {meaning}" for status, meaning in STATUS_MEANINGS.items() if status in shown]
    if legend:
        lines += ["What the words mean:", *legend]
    return "\n".join(lines + _ignored_notes(ignored))


def _ignored_notes(ignored: list[str]) -> list[str]:
    """A note on the notebooks left out, so that work in a copy is never silently missing."""
    if not ignored:
        return []
    notes = [f"Note: not counted (not one of the course's notebooks): {', '.join(ignored)}."]
    for name in ignored:
        original = re.sub(r"-Copy[0-9]*[.]ipynb$", ".ipynb", name)
        if original != name:
            notes.append(f"  {name} looks like a copy made with Save As: only {original} counts. "
                         "If your work is in the copy, move it into that file.")
    return notes


def show_progress(notebooks_dir: Path | str = NOTEBOOKS_DIR) -> None:
    """Display the report in a notebook (plain text, and HTML for JupyterLab)."""
    report = progress_report(notebooks_dir=notebooks_dir)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(report)
        return
    if get_ipython() is None:
        print(report)
        return
    display({"text/plain": report, "text/html": f"<pre>{html.escape(report)}</pre>"}, raw=True)
