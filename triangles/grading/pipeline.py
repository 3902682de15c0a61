"""Grade one (student, assignment): read, rebuild, scan, run, export, judge, store.

Runs in a worker process. Whatever happens to the submission, a result file is written; only a
failure of the grader itself (e.g. no kernel could start) is marked ``grader_error`` so the next
run retries it instead of trusting it. Files of the submission are read only if they are regular
files reached without a symbolic link (store.read_submission_file); the student's code runs in the
sandbox (sandbox.py), and every result records which sandbox and caps were in force.
"""

from __future__ import annotations

import os
import secrets
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from . import GRADER_VERSION
from . import notebooks as nbu
from .execute import run
from .export import read_export
from .flags import flag
from .judge import judge, manual, not_judged
from .lateness import TIMESTAMP_FILE, check as check_lateness
from .master import Master
from .rebuild import rebuild
from .releases import drop_known_versions, exercise_context
from .sandbox import Sandbox
from .scan import scan
from .store import (MAX_NOTEBOOK_BYTES, MAX_TIMESTAMP_BYTES, RefusedFile, file_kind, read_submission_file,
                    result_path, write_json_atomic)


@dataclass
class Job:
    student: str
    assignment: str
    submission_dir: Path
    master: Master
    expected: dict
    out: Path
    timeout: float
    due: str | None
    input_key: str
    sandbox: Sandbox

    @property
    def notebook(self) -> Path:
        return self.submission_dir / f"{self.assignment}.ipynb"


def grade_one(job: Job) -> dict:
    started = time.monotonic()
    result = {"student": job.student, "assignment": job.assignment, "input_key": job.input_key,
              "master_checksum": job.master.checksum, "grader_version": GRADER_VERSION,
              "sandbox": job.sandbox.record(), "unsandboxed": job.sandbox.mode == "none",
              "flags": [], "errors": [], "exercises": []}
    if job.sandbox.mode == "none":
        result["flags"].append(flag("unsandboxed", "graded with --unsandboxed"))
    try:
        _grade(job, result)
    except Exception as exc:  # the grader's own failure: score 0 now, retried next run
        result["grader_error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc(limit=8)
        result["flags"].append(flag("grader-error", result["grader_error"][:300]))
        result["exercises"] = [not_judged(e, "the grader failed") if e.mode == "auto" else manual(e, "")
                               for e in job.master.exercises]
    result["score"] = sum(e["score"] or 0 for e in result["exercises"])
    result["seconds"] = round(time.monotonic() - started, 3)
    write_json_atomic(result_path(job.out, job.student, job.assignment), result)
    return {k: result[k] for k in ("student", "assignment", "score")} | {"grader_error": "grader_error" in result}


def _folder_refusal(job: Job) -> str | None:
    """Why the student's or the assignment's folder is not graded (a link or not a folder), or None."""
    for folder in (job.submission_dir.parent, job.submission_dir):
        try:
            info = os.lstat(folder)
        except OSError as exc:
            return f"{folder.name}: {exc.strerror}"
        kind = file_kind(info.st_mode)
        if kind != "folder":
            target = f" (to {os.readlink(folder)[:120]!r})" if kind == "symbolic link" else ""
            return f"the folder {folder.name} is a {kind}{target}; not followed"
    return None


def _lateness(job: Job, result: dict) -> None:
    """The timestamp is read only if it is a small regular file; whatever is wrong with it is a flag
    on this submission, never a failure of the run."""
    result.update({"timestamp": None, "seconds_late": 0.0})
    try:
        read_submission_file(job.submission_dir / TIMESTAMP_FILE, MAX_TIMESTAMP_BYTES)
        info, late_flags = check_lateness(job.submission_dir, job.due)
    except RefusedFile as exc:
        kind = "refused-file" if exc.kind in ("link", "special") else "bad-timestamp"
        result["flags"].append(flag(kind, exc.reason))
        return
    except Exception as exc:  # noqa: BLE001 - a timestamp nobody can read is the submission's problem
        result["flags"].append(flag("bad-timestamp", f"{TIMESTAMP_FILE}: {type(exc).__name__}: {str(exc)[:100]}"))
        return
    result.update(info)
    result["flags"].extend(late_flags)


def _grade(job: Job, result: dict) -> None:
    exercises = job.master.exercises
    refusal = _folder_refusal(job)
    if refusal:
        return _unjudgeable(result, exercises, flag("refused-file", refusal))
    _lateness(job, result)
    try:
        data = read_submission_file(job.notebook, MAX_NOTEBOOK_BYTES)
        if data is None:
            return _unjudgeable(result, exercises, flag("missing-notebook", f"no {job.notebook.name}"))
        student = nbu.loads(data)
    except RefusedFile as exc:
        if exc.kind == "folder":
            return _unjudgeable(result, exercises, flag("corrupt-notebook", "a folder, not a file"))
        name = "corrupt-notebook" if exc.kind == "too-large" else "refused-file"
        return _unjudgeable(result, exercises, flag(name, exc.reason))
    except nbu.NotANotebook as exc:
        return _unjudgeable(result, exercises, flag("corrupt-notebook", exc.reason))

    nonce = secrets.token_hex(16)
    rebuilt = rebuild(job.master, student, nonce)
    rebuilt.flags = drop_known_versions(rebuilt.flags, job.master, student)  # older releases are not edits
    context = exercise_context(job.master, student, rebuilt.answers)  # for judge: diagnosis, hint seen
    result["flags"].extend(rebuilt.flags)
    hits = scan(rebuilt.student_code)
    if hits:
        result["flags"].append(flag("suspicious-code", ", ".join(hits)))

    # By default the whole notebook gets what the master's own code cells could take: added cells add no time.
    code_cells = sum(1 for c in job.master.nb["cells"] if c.get("cell_type") == "code")
    budget = job.sandbox.limits.notebook_seconds or job.timeout * max(1, code_cells)
    execution = run(rebuilt.nb, job.master.path.parent, job.timeout, job.sandbox, budget=budget)
    result["kernel_seconds"] = round(execution.seconds, 3)
    names = _cell_names(job.master, rebuilt)
    result["errors"] = [dict(e, cell_id=names.get(e["cell"])) for e in execution.errors]
    for event in execution.events:
        where = names.get(event["cell"]) or f"cell {event['cell']}"
        detail = {"timeout": f"{where} ran over {job.timeout:g}s and was interrupted",
                  "kernel-died": f"the kernel died while running {where}"}[event["kind"]]
        if event.get("why"):
            detail = f"{event['why']}, at {where}" if event["kind"] == "timeout" else f"{detail}: {event['why']}"
        result["flags"].append(flag(event["kind"], detail, _owner(job.master, rebuilt, event["cell"])))
    for cell, dropped in sorted(execution.output_dropped.items()):
        where = names.get(cell) or f"cell {cell}"
        result["flags"].append(flag("output-limit", f"{where} printed {dropped / 2**20:.1f} MB past the "
                                    f"{job.sandbox.limits.output_mb:g} MB cap; dropped",
                                    _owner(job.master, rebuilt, cell)))

    stopped = execution.stopped_at
    timed_out = {e["cell"] for e in execution.events if e["kind"] == "timeout"}
    for ex in exercises:
        if ex.mode == "manual":
            result["exercises"].append(manual(ex, rebuilt.answers.get(ex.answer_grade_id, "")))
            continue
        index = rebuilt.export_cells[ex.id]
        if stopped is not None and index >= stopped:
            why = "the notebook stopped before this exercise could be checked"
            result["exercises"].append(not_judged(ex, why))
            continue
        if index in timed_out:
            result["exercises"].append(not_judged(ex, "checking this answer timed out"))
            continue
        record, problem, noise = read_export(execution.cells[index].get("outputs", []), nonce, ex.id)
        if noise:
            result["flags"].append(flag("export-noise", "extra output while exporting", ex.id))
        if problem:
            result["flags"].append(flag(problem[0], problem[1], ex.id))
            result["exercises"].append(not_judged(ex, "this answer could not be read back"))
            continue
        verdict = judge(ex, record, job.expected[ex.id], context.get(ex.id))
        if verdict["status"] == "not-plain":
            result["flags"].append(flag("not-plain-data", verdict.get("note", ""), ex.id))
        result["exercises"].append(verdict)


def _unjudgeable(result: dict, exercises, problem: dict) -> None:
    result["flags"].append(problem)
    result["exercises"] = [not_judged(e, problem["detail"]) if e.mode == "auto" else manual(e, "")
                           for e in exercises]


def _cell_names(master: Master, rebuilt) -> dict[int, str]:
    """Rebuilt cell index -> a readable name (grade_id, the exercise whose check it replaces, or
    "added cell k" for a student's own code cell)."""
    names = {}
    for i, origin in enumerate(rebuilt.origins):
        if origin is None:
            names[i] = f"added cell {i}"
            continue
        cell = master.nb["cells"][origin]
        gid = nbu.grade_id(cell)
        if gid:
            names[i] = f"answer cell {gid}" if nbu.is_solution(cell) else f"check of {gid}"
    return names


def _owner(master: Master, rebuilt, cell_index: int) -> str | None:
    origin = rebuilt.origins[cell_index] if cell_index < len(rebuilt.origins) else None
    if origin is None:
        return None
    gid = nbu.grade_id(master.nb["cells"][origin])
    for ex in master.exercises:
        if gid in (ex.answer_grade_id, ex.id):
            return ex.id
    return None
