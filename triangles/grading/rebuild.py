"""Rebuild a submission from its master.

Only the cells that are the student's to answer (nbgrader ``solution: true``) are taken from the
submission, matched by ``grade_id``. Every other cell - set-up, prose, check cells, hidden tests -
comes from the master, so editing or deleting test cells changes nothing. Each auto-graded check
cell is replaced by an export cell (export.py); hidden tests never reach the kernel.

Code cells the student added (matching no master cell) run too, in notebook order, as in stock
nbgrader: each is placed after the master cell that the nearest cell above it in the submission
matches, so a helper defined above an answer is there when the answer runs. They are flagged
``cells-added``. They run in the same sandbox as the answers, so they can do no more than an
answer cell can.

A student cell whose nbgrader metadata is gone is recovered only by a rule that cannot pick the
wrong cell: the nearest non-answer master cells before and after it must each appear exactly once,
unchanged, in the submission, with exactly as many cells of the right types between them as the
master has answer cells there. Otherwise the answer counts as blank (score 0) and is flagged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from . import notebooks as nbu
from .export import export_source
from .flags import flag
from .master import Master


@dataclass
class Rebuilt:
    nb: dict
    export_cells: dict[str, int]                              # exercise id -> cell index
    origins: list[int | None] = field(default_factory=list)   # rebuilt cell -> master cell (None: added)
    answers: dict[str, str] = field(default_factory=dict)     # answer grade_id -> student text used
    student_code: list[str] = field(default_factory=list)     # code that will run (for the scan)
    flags: list[dict] = field(default_factory=list)


def rebuild(master: Master, student: dict, nonce: str) -> Rebuilt:
    mcells, scells = master.nb["cells"], student["cells"]
    owner = {e.answer_grade_id: e.id for e in master.exercises}  # answer cell -> exercise id
    flags: list[dict] = []

    by_id: dict[str, int] = {}
    for j, cell in enumerate(scells):
        gid = nbu.grade_id(cell)
        if gid is None:
            continue
        if gid in by_id:
            if gid in owner:
                flags.append(flag("duplicate-answer", f"cell {gid} appears more than once", owner[gid]))
            continue
        by_id[gid] = j

    master_ids = {nbu.grade_id(c) for c in mcells} - {None}
    has_metadata = bool(master_ids & set(by_id))
    solution_cells = [i for i, c in enumerate(mcells) if nbu.is_solution(c)]
    chosen = {i: by_id[nbu.grade_id(mcells[i])] for i in solution_cells if nbu.grade_id(mcells[i]) in by_id}
    taken = {by_id[g] for g in master_ids if g in by_id}
    recovered = _recover(mcells, scells, [i for i in solution_cells if i not in chosen], taken)
    chosen.update(recovered)

    added = _added_code_cells(mcells, scells, set(chosen.values()) | taken, master_ids) if has_metadata else []
    placed = _place_added(mcells, scells, added, by_id, chosen)

    out = Rebuilt(nb=_skeleton(master.nb), export_cells={}, flags=flags)
    exports = {e.cell_index: e for e in master.exercises if e.mode == "auto"}
    for j in placed.get(-1, []):
        _append_added(out, scells[j])
    for i, mcell in enumerate(mcells):
        if nbu.is_solution(mcell):
            cell = _answer_cell(mcell, scells, chosen.get(i), out, owner)
        elif i in exports:
            ex = exports[i]
            cell = _code_cell(export_source(nonce, ex.id, ex.variable), {"triangles_grader": {"export": ex.id}})
            out.export_cells[ex.id] = len(out.nb["cells"])
        else:
            cell = _copy(mcell)
        out.nb["cells"].append(cell)
        out.origins.append(i)
        for j in placed.get(i, []):
            _append_added(out, scells[j])

    for i in sorted(recovered):
        gid = nbu.grade_id(mcells[i])
        if gid in owner:
            flags.append(flag("metadata-stripped", f"answer cell {gid} had no nbgrader metadata; "
                              "recovered from its unchanged neighbouring cells", owner[gid]))
    for i in solution_cells:
        gid = nbu.grade_id(mcells[i])
        if i in chosen or gid not in owner:
            continue
        if has_metadata:
            flags.append(flag("answer-missing", f"answer cell {gid} is not in the submission; counted as blank",
                              owner[gid]))
        else:
            flags.append(flag("metadata-stripped", f"answer cell {gid} has no nbgrader metadata and could not "
                              "be located safely; counted as blank", owner[gid]))
    if has_metadata:
        flags.extend(_test_cell_flags(mcells, scells, by_id))
        if added:
            flags.append(flag("cells-added", f"{len(added)} added code cell(s), run in notebook order"))
    return out


def _place_added(mcells: list, scells: list, added: list[int], by_id: dict[str, int],
                 chosen: dict[int, int]) -> dict[int, list[int]]:
    """master cell index (-1: before the first) -> the added student cells to run right after it."""
    master_of: dict[int, int] = {j: i for i, j in chosen.items()}
    for i, cell in enumerate(mcells):
        gid = nbu.grade_id(cell)
        if gid in by_id:
            master_of.setdefault(by_id[gid], i)
    texts: dict[str, list[int]] = {}
    for i, cell in enumerate(mcells):
        texts.setdefault(nbu.normalised(nbu.without_hidden_tests(nbu.source(cell))), []).append(i)
    placed: dict[int, list[int]] = {}
    anchor, wanted = -1, set(added)
    for j, cell in enumerate(scells):
        if j in wanted:
            placed.setdefault(anchor, []).append(j)
            continue
        if j in master_of:
            anchor = master_of[j]
            continue
        same = texts.get(nbu.normalised(nbu.source(cell)), [])
        if len(same) == 1 and nbu.normalised(nbu.source(cell)):
            anchor = same[0]
    return placed


def _append_added(out: Rebuilt, cell: dict) -> None:
    text = nbu.source(cell)
    out.nb["cells"].append(_code_cell(text, {"triangles_added": True}))
    out.origins.append(None)
    out.student_code.append(text)


def _answer_cell(mcell: dict, scells: list, j: int | None, out: Rebuilt, owner: dict) -> dict:
    gid = nbu.grade_id(mcell)
    if j is None:
        text = nbu.without_solution(nbu.source(mcell))  # what the student started from
    else:
        text = nbu.source(scells[j])
        out.answers[gid] = text
        if scells[j].get("cell_type") != mcell.get("cell_type") and gid in owner:
            out.flags.append(flag("cell-type-changed", f"{gid} is {scells[j].get('cell_type')}, "
                                  f"graded as {mcell.get('cell_type')}", owner[gid]))
    cell = _copy(mcell)
    cell["source"] = text
    if cell["cell_type"] == "code":
        out.student_code.append(text)
    return cell


def _recover(mcells: list, scells: list, missing: list[int], taken: set[int]) -> dict[int, int]:
    """Answer cells found by their unchanged neighbours (see module docstring)."""
    if not missing:
        return {}
    anchors = [i for i, c in enumerate(mcells) if not nbu.is_solution(c)]
    student_text = [nbu.normalised(nbu.source(c)) for c in scells]

    def locate(i: int) -> int | None:
        if i < 0:
            return -1
        if i >= len(mcells):
            return len(scells)
        text = nbu.normalised(nbu.without_hidden_tests(nbu.source(mcells[i])))
        hits = [j for j, t in enumerate(student_text) if t == text]
        return hits[0] if text and len(hits) == 1 else None

    found: dict[int, int] = {}
    for i in missing:
        before = max((a for a in anchors if a < i), default=-1)
        after = min((a for a in anchors if a > i), default=len(mcells))
        lo, hi = locate(before), locate(after)
        if lo is None or hi is None or lo >= hi:
            continue
        group = list(range(before + 1, after))          # all answer cells between the anchors
        between = list(range(lo + 1, hi))
        if len(group) != len(between):
            continue
        if any(j in taken or scells[j].get("cell_type") != mcells[g].get("cell_type")
               for g, j in zip(group, between)):
            continue
        found[i] = between[group.index(i)]
    return found


def _test_cell_flags(mcells: list, scells: list, by_id: dict[str, int]) -> list[dict]:
    flags = []
    for cell in mcells:
        gid = nbu.grade_id(cell)
        if gid is None or nbu.is_solution(cell) or not (nbu.is_locked(cell) or nbu.is_grade(cell)):
            continue
        if gid not in by_id:
            flags.append(flag("tests-deleted", f"cell {gid} was deleted; the master's cell is used", gid))
            continue
        mine = nbu.normalised(nbu.without_hidden_tests(nbu.source(cell)))
        theirs = nbu.normalised(nbu.without_hidden_tests(nbu.source(scells[by_id[gid]])))
        if mine != theirs:
            flags.append(flag("tests-edited", f"cell {gid} was edited; the master's cell is used", gid))
    return flags


def _added_code_cells(mcells: list, scells: list, used: set[int], master_ids: set) -> list[int]:
    """Non-empty code cells that match no master cell (copies of master cells don't count)."""
    known = {nbu.normalised(nbu.without_hidden_tests(nbu.source(c))) for c in mcells}
    return [j for j, c in enumerate(scells)
            if j not in used and c.get("cell_type") == "code" and nbu.source(c).strip()
            and nbu.grade_id(c) not in master_ids and nbu.normalised(nbu.source(c)) not in known]


def _skeleton(master_nb: dict) -> dict:
    return {"nbformat": 4, "nbformat_minor": master_nb.get("nbformat_minor", 5),
            "metadata": copy.deepcopy(master_nb.get("metadata", {})), "cells": []}


def _copy(cell: dict) -> dict:
    if cell.get("cell_type") == "code":
        return _code_cell(nbu.without_hidden_tests(nbu.source(cell)), copy.deepcopy(cell.get("metadata", {})))
    return {"cell_type": cell.get("cell_type", "markdown"), "metadata": copy.deepcopy(cell.get("metadata", {})),
            "source": nbu.source(cell)}


def _code_cell(text: str, metadata: dict) -> dict:
    return {"cell_type": "code", "metadata": metadata, "source": text, "outputs": [], "execution_count": None}
