"""``python -m triangles.course update``: bring a new release into a student's copy without losing
an answer.

    python -m triangles.course update --from ../old-copy/notebooks          # into this copy's notebooks/
    python -m triangles.course update --from OLD --into NEW [--dry-run]

``--into`` holds the new release (the default: this copy's ``notebooks/``, e.g. a freshly unzipped
student bundle); ``--from`` is the student's previous copy, which is only read. For every notebook:

* in the release and in the student's copy: the release's notebook, with each **answer cell**
  (nbgrader solution cells, free responses, and predictions ``pred...``) replaced by the student's
  cell of the same ``grade_id``; cells the student added themselves (no ``grade_id``) are kept
  after the same cell they followed; an answer cell whose ``grade_id`` the new release no longer
  has is kept at the end, under a heading that says so. Everything else (instructions, checks,
  set-up) comes from the release.
* only in the student's copy (a notebook the release dropped or renamed): copied unchanged.
* only in the release: left as it is (a new notebook).

Before a notebook in ``--into`` is replaced, its previous content is saved in
``--into/.before-update/``; nothing in ``--from`` is ever written. An answer the student never
touched (still the stub) is not carried over, so the new stub and any new instructions in it win.
"""

from __future__ import annotations

import copy
import hashlib
import datetime as dt
import json
import sys
from pathlib import Path

import nbformat

from .course import notebook_text
from .grading import notebooks as nbu
from .paths import NOTEBOOKS_DIR

_gid, _source = nbu.grade_id, nbu.source  # the grader's own readers of cell metadata and source

COMMANDS = ("update",)
KEPT_HEADING = "## Answers kept from your previous copy\n\nThe new release no longer has these cells; " \
               "your answers are kept here so that nothing is lost."


def is_answer(cell: dict) -> bool:
    """A cell the student writes in: a solution cell, or a prediction (pred...)."""
    return nbu.is_solution(cell) or (_gid(cell) or "").startswith("pred")


def _added_by_student(cell: dict, release_ids: set, release_texts: set) -> bool:
    """A cell the kit never shipped: released cells carry stable ids (kept when a master is edited);
    JupyterLab gives a student's new cell a random one. Without ids, any text the release lacks."""
    text = _source(cell).strip()
    if not text or text in release_texts:
        return False
    cell_id = cell.get("id")
    return cell_id is None or cell_id not in release_ids


def merge(release: dict, student: dict) -> tuple[dict, list[str]]:
    """(merged notebook, what was done, in words). Neither input is changed."""
    merged = copy.deepcopy(release)
    notes: list[str] = []
    release_stubs = {_gid(c): _source(c) for c in release["cells"] if _gid(c) and is_answer(c)}
    theirs = {}
    for cell in student["cells"]:
        gid = _gid(cell)
        if gid and is_answer(cell) and gid not in theirs:
            theirs[gid] = cell
    added_after: dict[str | None, list[dict]] = {}
    anchor = None
    release_ids = {_gid(c) for c in release["cells"]} - {None}
    release_texts = {_source(c).strip() for c in release["cells"]}
    release_cell_ids = {c.get("id") for c in release["cells"]} - {None}
    for cell in student["cells"]:
        gid = _gid(cell)
        if gid in release_ids:
            anchor = gid
        elif gid is None and _added_by_student(cell, release_cell_ids, release_texts):
            added_after.setdefault(anchor, []).append(copy.deepcopy(cell))
    cells = []
    for cell in added_after.pop(None, []):
        cells.append(cell)
    for cell in merged["cells"]:
        gid = _gid(cell)
        if gid in theirs and is_answer(cell):
            mine = theirs.pop(gid)
            if _source(mine).strip() != (release_stubs.get(gid) or "").strip():
                cell = copy.deepcopy(cell)
                cell["source"] = _source(mine)
                _clear_outputs(cell)
                notes.append(f"kept your answer in {gid}")
        cells.append(cell)
        cells.extend(added_after.pop(gid, []) if gid else [])
    leftovers = [c for c in theirs.values() if _source(c).strip()]
    orphans = [c for group in added_after.values() for c in group]
    if leftovers or orphans:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": KEPT_HEADING})
        for cell in leftovers + orphans:
            kept = copy.deepcopy(cell)
            _clear_outputs(kept)
            cells.append(kept)
            notes.append(f"kept {_gid(cell) or 'a cell you added'} at the end (not in the new release)")
    for cell in cells:
        if merged.get("nbformat_minor", 0) >= 5 and isinstance(cell, dict):
            cell.setdefault("id", "kept-" + hashlib.sha1(_source(cell).encode()).hexdigest()[:8])
    merged["cells"] = cells
    return merged, notes


def _clear_outputs(cell: dict) -> None:
    if cell.get("cell_type") == "code":
        cell["outputs"], cell["execution_count"] = [], None


def update(old: Path, into: Path, dry_run: bool = False) -> list[str]:
    """Merge every notebook of ``old`` (the student's copy) into ``into`` (the new release)."""
    old, into = Path(old), Path(into)
    if old.resolve() == into.resolve():
        raise ValueError("--from and --into are the same folder")
    report = []
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for path in sorted(old.glob("*.ipynb")):
        student = json.loads(path.read_text(encoding="utf-8"))
        target = into / path.name
        if not target.exists():
            report.append(f"{path.name}: not in the new release; copied as it is")
            if not dry_run:
                target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            continue
        release = json.loads(target.read_text(encoding="utf-8"))
        merged, notes = merge(release, student)
        report.append(f"{path.name}: " + ("; ".join(notes) if notes else "no answers to carry over"))
        if dry_run or merged == release:
            continue
        backup = into / ".before-update" / stamp / path.name
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
        # nbformat's own layout, as every released notebook: a later pull then merges line by line
        target.write_text(notebook_text(nbformat.from_dict(merged)), encoding="utf-8")
    for path in sorted(into.glob("*.ipynb")):
        if not (old / path.name).exists():
            report.append(f"{path.name}: new in this release")
    return report


def add_commands(sub) -> None:
    up = sub.add_parser("update", help="merge a new release into a student's copy, keeping every answer",
                        description=__doc__.split("\n\n")[1] if __doc__ else None)
    up.add_argument("--from", dest="old", type=Path, required=True,
                    help="the student's previous notebooks folder (only read)")
    up.add_argument("--into", type=Path, default=NOTEBOOKS_DIR,
                    help="the new release's notebooks folder, which receives the merge (default: notebooks/)")
    up.add_argument("--dry-run", action="store_true", help="say what would be done; write nothing")


def run(args) -> int:
    if not Path(args.old).is_dir() or not Path(args.into).is_dir():
        print(f"error: both --from ({args.old}) and --into ({args.into}) must be folders", file=sys.stderr)
        return 2
    try:
        for line in update(args.old, args.into, args.dry_run):
            print(line)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
