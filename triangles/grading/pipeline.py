"""Grade one (student, assignment): read, rebuild, scan, run, export, judge, store.

Runs in a worker process. Whatever happens to the submission, a result file is written; only a
failure of the grader itself (e.g. no kernel could start) is marked ``grader_error`` so the next
run retries it instead of trusting it.
"""

from __future__ import annotations

import secrets
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from . import GRADER_VERSION
from . import notebooks as nbu
from .execute import run, scratch_copy
from .export import read_export
from .flags import flag
from .judge import judge, manual, not_judged
from .lateness import check as check_lateness
from .master import Master
from .rebuild import rebuild
from .scan import scan
from .store import result_path, write_json_atomic


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

    @property
    def notebook(self) -> Path:
        return self.submission_dir / f"{self.assignment}.ipynb"


def grade_one(job: Job) -> dict:
    started = time.monotonic()
    result = {"student": job.student, "assignment": job.assignment, "input_key": job.input_key,
              "master_checksum": job.master.checksum, "grader_version": GRADER_VERSION,
              "flags": [], "errors": [], "exercises": []}
    info, late_flags = check_lateness(job.submission_dir, job.due)
    result.update(info)
    result["flags"].extend(late_flags)
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


def _grade(job: Job, result: dict) -> None:
    exercises = job.master.exercises
    try:
        data = job.notebook.read_bytes()
        student = nbu.loads(data)
    except FileNotFoundError:
        return _unjudgeable(result, exercises, flag("missing-notebook", f"no {job.notebook.name}"))
    except IsADirectoryError:
        return _unjudgeable(result, exercises, flag("corrupt-notebook", "a folder, not a file"))
    except nbu.NotANotebook as exc:
        return _unjudgeable(result, exercises, flag("corrupt-notebook", exc.reason))

    nonce = secrets.token_hex(16)
    rebuilt = rebuild(job.master, student, nonce)
    result["flags"].extend(rebuilt.flags)
    hits = scan(rebuilt.student_code)
    if hits:
        result["flags"].append(flag("suspicious-code", ", ".join(hits)))

    with scratch_copy(job.master.path.parent) as cwd:
        execution = run(rebuilt.nb, cwd, job.timeout)
    result["kernel_seconds"] = round(execution.seconds, 3)
    names = _cell_names(job.master)
    result["errors"] = [dict(e, cell_id=names.get(e["cell"])) for e in execution.errors]
    for event in execution.events:
        where = names.get(event["cell"]) or f"cell {event['cell']}"
        detail = {"timeout": f"{where} ran over {job.timeout:g}s and was interrupted",
                  "kernel-died": f"the kernel died while running {where}"}[event["kind"]]
        result["flags"].append(flag(event["kind"], detail, _owner(job.master, event["cell"])))

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
        verdict = judge(ex, record, job.expected[ex.id])
        if verdict["status"] == "not-plain":
            result["flags"].append(flag("not-plain-data", verdict.get("note", ""), ex.id))
        result["exercises"].append(verdict)


def _unjudgeable(result: dict, exercises, problem: dict) -> None:
    result["flags"].append(problem)
    result["exercises"] = [not_judged(e, problem["detail"]) if e.mode == "auto" else manual(e, "")
                           for e in exercises]


def _cell_names(master: Master) -> dict[int, str]:
    """Cell index -> a readable name (grade_id, or the exercise whose check it replaces)."""
    names = {}
    for i, cell in enumerate(master.nb["cells"]):
        gid = nbu.grade_id(cell)
        if gid:
            names[i] = f"answer cell {gid}" if nbu.is_solution(cell) else f"check of {gid}"
    return names


def _owner(master: Master, cell_index: int) -> str | None:
    gid = nbu.grade_id(master.nb["cells"][cell_index])
    for ex in master.exercises:
        if gid in (ex.answer_grade_id, ex.id):
            return ex.id
    return None
