"""The expected answers: the master run exactly like a submission (same rebuild, same export, in a
sandbox of its own), so master and student values go through the same encoding. Cached per master
checksum in the output folder, which no student kernel can see (sandbox.py)."""

from __future__ import annotations

import secrets
from pathlib import Path

from . import GRADER_VERSION
from .execute import run
from .export import read_export
from .judge import expected_form
from .master import Master, MasterError
from .rebuild import rebuild
from .sandbox import Sandbox
from .store import read_json, write_json_atomic


def cache_path(out: Path, master: Master) -> Path:
    return Path(out) / "expected" / f"{master.assignment}-{master.checksum[:16]}.json"


def expected_answers(master: Master, out: Path, timeout: float, sandbox: Sandbox) -> dict[str, dict]:
    """{exercise id: export record of the master's answer}; raises MasterError if unusable."""
    path = cache_path(out, master)
    cached = read_json(path)
    if isinstance(cached, dict) and cached.get("checksum") == master.checksum \
            and cached.get("grader_version") == GRADER_VERSION and cached.get("sandbox") == sandbox.mode:
        return cached["answers"]
    nonce = secrets.token_hex(16)
    rebuilt = rebuild(master, master.nb, nonce)
    # masters may legitimately be slower than a student's single cell budget
    execution = run(rebuilt.nb, master.path.parent, max(timeout, 60), sandbox)
    if execution.events:
        raise MasterError(f"{master.path}: the master's run hit {execution.events[0]['kind']} "
                          f"at cell {execution.events[0]['cell']}")
    if execution.errors:
        first = execution.errors[0]
        raise MasterError(f"{master.path}: cell {first['cell']} of the master raised "
                          f"{first['ename']}: {first['evalue']}")
    answers = {}
    for ex in master.exercises:
        if ex.mode != "auto":
            continue
        outputs = execution.cells[rebuilt.export_cells[ex.id]].get("outputs", [])
        record, problem, _ = read_export(outputs, nonce, ex.id)
        if problem:
            raise MasterError(f"{master.path}: exporting the master's answer to {ex.id} failed: {problem[1]}")
        expected_form(ex, record)  # fail now, with a clear message, if it can't be compared
        answers[ex.id] = record
    write_json_atomic(path, {"checksum": master.checksum, "grader_version": GRADER_VERSION, "sandbox": sandbox.mode,
                             "assignment": master.assignment, "answers": answers})
    return answers
