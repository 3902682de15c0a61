"""How far a student has got, read from their *saved* notebooks without running anything.

Auto-graded exercises: the last feedback that ``check`` left in the check cell's output (its
metadata carries the status). Free responses and predictions: whether the text still is the stub.
The list of notebooks and exercises to expect comes from the answer keys' manifest, so a deleted or
damaged notebook shows up as such instead of silently vanishing.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from triangles.course import TEXT_STUB, cell_role, nbgrader_checksum, nbgrader_meta, source_text
from triangles.exercises import load_answer_keys
from triangles.paths import NOTEBOOKS_DIR

COLUMNS = ["notebook", "exercise", "kind", "status", "detail"]
RIGHT, NOT_YET, NOT_ANSWERED, NOT_CHECKED = "right", "not yet", "not answered", "not checked"
DONE = "done"  # a free response or prediction that has been written
MISSING, UNREADABLE = "missing", "unreadable"  # the whole notebook

# check()'s machine-readable status -> what the table says
_FROM_CHECK = {"correct": RIGHT, "incorrect": NOT_YET, "unanswered": NOT_ANSWERED, "unavailable": NOT_CHECKED}
_KINDS = {"check": "auto", "free": "free", "prediction": "prediction"}


def course_progress(notebooks_dir: Path | str = NOTEBOOKS_DIR, *, answer_keys: dict | None = None) -> pd.DataFrame:
    """One row per exercise across the course: notebook, exercise, kind, status, detail."""
    notebooks_dir = Path(notebooks_dir)
    keys = answer_keys if answer_keys is not None else load_answer_keys()
    expected = keys.get("notebooks", {}) if isinstance(keys, dict) else {}
    stems = sorted(set(expected) | {p.stem for p in notebooks_dir.glob("*.ipynb")})
    rows = []
    for stem in stems:
        rows += notebook_progress(notebooks_dir / f"{stem}.ipynb", expected.get(stem, []))
    return pd.DataFrame(rows, columns=COLUMNS)


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
            status = _FROM_CHECK[feedback["status"]]
            return status, "no answer key to check against" if feedback["status"] == "unavailable" else ""
    errors = [o for o in outputs if isinstance(o, dict) and o.get("output_type") == "error"]
    if errors:
        return NOT_CHECKED, f"its check cell stopped with an error ({errors[-1].get('ename', 'error')})"
    answer = by_id.get(f"{nbgrader_meta(cell).get('grade_id')}-answer")
    if answer is None or _unchanged(answer):
        return NOT_ANSWERED, "" if answer is not None else "its answer cell is missing"
    return NOT_CHECKED, "answer written, but its check cell has not been run"


def _text_status(cell: dict) -> tuple[str, str]:
    return (NOT_ANSWERED, "") if _unchanged(cell) else (DONE, "")


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
    """A short text summary, one line per notebook."""
    table = course_progress(notebooks_dir) if table is None else table
    if table.empty:
        return "No course notebooks found."
    lines = ["Your progress (read from your saved notebooks: save first to include recent work)"]
    width = max(len(str(n)) for n in table["notebook"])
    total = done_total = 0
    for notebook, rows in table.groupby("notebook", sort=False):
        whole = rows["status"].isin([MISSING, UNREADABLE])
        if whole.all():
            lines.append(f"  {notebook:<{width}}  {rows['status'].iloc[0]}: {rows['detail'].iloc[0]}")
            total += int((rows["kind"] != "prediction").sum())
            continue
        graded = rows[rows["kind"] != "prediction"]
        done = int(graded["status"].isin([RIGHT, DONE]).sum())
        total, done_total = total + len(graded), done_total + done
        counts = graded["status"].value_counts()
        parts = [f"{counts[s]} {s}" for s in (RIGHT, DONE, NOT_YET, NOT_CHECKED, NOT_ANSWERED) if s in counts]
        predictions = rows[rows["kind"] == "prediction"]
        if len(predictions):
            written = int((predictions["status"] == DONE).sum())
            parts.append(f"predictions {written}/{len(predictions)} written")
        lines.append(f"  {notebook:<{width}}  {done}/{len(graded)} done · " + ", ".join(parts))
    lines.append(f"Overall: {done_total} of {total} exercises done.")
    return "\n".join(lines)


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
