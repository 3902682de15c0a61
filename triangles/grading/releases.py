"""Every released version, so a re-release is safe: ``course/release-history.json``.

``python -m triangles.course release`` adds the fingerprint of each locked cell (checks, set-up,
read-only cells) of each student notebook it releases, and never removes one. The grader then:

* does not flag ``tests-edited`` for a cell that matches *some* released version of it (a student
  who started from last week's version edited nothing);
* shows in the feedback the hint of the version the student was given, read from their own check
  cell when that cell is a released version (the hint they actually saw), else the master's;
* gives ``judge`` the rest of each exercise's context: the student's answer text, and from the
  master the partial-credit rule (cell metadata ``{"triangles": {"partial": "entries"}}``) and the
  accepted variant wordings of its check call.

A fingerprint is the sha256 of the cell's source without hidden tests and with whitespace
normalised, exactly as rebuild.py compares cells.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

from . import notebooks as nbu
from .master import Master, _check_call

HISTORY_FILE = "release-history.json"


def fingerprint(source: str) -> str:
    return hashlib.sha256(nbu.normalised(nbu.without_hidden_tests(source)).encode("utf-8")).hexdigest()


def history_path(course: Path) -> Path:
    return Path(course) / HISTORY_FILE


def read_history(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"format": 1, "notebooks": {}}
    if not isinstance(data, dict) or not isinstance(data.get("notebooks"), dict):
        return {"format": 1, "notebooks": {}}
    return data


def locked_cells(nb: dict) -> dict[str, str]:
    """{grade_id: fingerprint} of the cells a student must not change (not their answers)."""
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    found = {}
    for cell in cells:
        gid = nbu.grade_id(cell)
        if gid and not nbu.is_solution(cell) and (nbu.is_locked(cell) or nbu.is_grade(cell)):
            found[gid] = fingerprint(nbu.source(cell))
    return found


def add_release(history: dict, stem: str, student_nb) -> bool:
    """Add one released student notebook's fingerprints; True if anything was new."""
    known = history["notebooks"].setdefault(stem, {})
    changed = False
    for gid, digest in locked_cells(student_nb).items():
        versions = known.setdefault(gid, [])
        if digest not in versions:
            versions.append(digest)
            changed = True
    return changed


def write_history(path: Path, history: dict) -> None:
    Path(path).write_text(json.dumps(history, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _course_of(master: Master) -> Path:
    return Path(master.path).resolve().parents[2]  # <course>/source/<a>/<a>.ipynb


def _student_cells(student_nb: dict) -> dict[str, dict]:
    cells = {}
    for cell in student_nb.get("cells", []):
        gid = nbu.grade_id(cell)
        if gid and gid not in cells:
            cells[gid] = cell
    return cells


def released_versions(master: Master) -> dict[str, set[str]]:
    """{grade_id: fingerprints of every released version} of this master's notebook."""
    history = read_history(history_path(_course_of(master)))
    entries = history["notebooks"].get(master.assignment, {})
    return {gid: set(v) for gid, v in entries.items() if isinstance(v, list)}


def drop_known_versions(flags: list[dict], master: Master, student_nb: dict) -> list[dict]:
    """``tests-edited`` flags, minus those for cells that match an older released version."""
    versions = released_versions(master)
    if not versions:
        return flags
    cells = _student_cells(student_nb)
    kept = []
    for f in flags:
        gid = f.get("exercise")
        if f.get("flag") == "tests-edited" and gid in cells \
                and fingerprint(nbu.source(cells[gid])) in versions.get(gid, set()):
            continue
        kept.append(f)
    return kept


def exercise_context(master: Master, student_nb: dict, answers: dict[str, str]) -> dict[str, dict]:
    """{exercise id: {answer, hint, partial, accept, near}} for judge.judge."""
    versions = released_versions(master)
    cells = _student_cells(student_nb)
    context = {}
    for ex in master.exercises:
        if ex.mode != "auto":
            continue
        entry = {"answer": answers.get(ex.answer_grade_id, ""), "hint": ex.hint}
        mine = cells.get(ex.id)
        if mine is not None and fingerprint(nbu.source(mine)) in versions.get(ex.id, set()):
            call = _check_call(nbu.source(mine))
            if call is not None and call[0] == ex.id:
                entry["hint"] = call[2].get("hint") or ""
        master_cell = master.nb["cells"][ex.cell_index]
        meta = master_cell.get("metadata", {}).get("triangles", {})
        if isinstance(meta, dict) and meta.get("partial"):
            entry["partial"] = str(meta["partial"])
        entry.update(_variants(nbu.source(master_cell)))
        context[ex.id] = entry
    return context


def _variants(text: str) -> dict:
    """accept= / near= of the master's check(...) call, as literals."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check":
            found = {}
            for keyword in node.keywords:
                if keyword.arg in ("accept", "near"):
                    try:
                        found[keyword.arg] = ast.literal_eval(keyword.value)
                    except ValueError:
                        continue
            return found
    return {}
