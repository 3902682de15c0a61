"""Find the submissions, grade what is new in parallel (a process pool, one kernel per worker),
show a progress bar, and keep going whatever happens to a single submission.

A worker that dies (killed from outside, out of memory) breaks the whole pool, and every job in
flight with it. Those jobs are graded again in a fresh pool; a job caught in a broken pool twice is
then graded alone, so a classmate is never blamed for another submission: only a job that breaks a
pool of its own gets a grader-error result. Any other exception on one job becomes a grader-error
result for that job alone.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .expected import expected_answers
from .lateness import due_for
from .master import Master, MasterError, load_master, master_path
from .pipeline import Job, grade_one
from .sandbox import Sandbox, sweep
from .store import input_key, is_current, read_json, remove_stale_temps, result_path

SHARED_ATTEMPTS = 2  # pools a job may share before it is graded alone


@dataclass
class Plan:
    students: list[str]
    masters: dict[str, Master]
    pending: list[tuple[str, str]] = field(default_factory=list)   # (student, assignment) to grade
    reused: int = 0


def discover(submissions: Path, course: Path, only: list[str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """(students, assignments with a master, assignment folders without one)."""
    # A student folder that is a link is listed (and refused, flagged, by the pipeline), never entered.
    students = sorted(p.name for p in Path(submissions).iterdir()
                      if not p.name.startswith(".") and (p.is_symlink() or p.is_dir()))
    seen = {a.name for s in students if not (Path(submissions) / s).is_symlink()
            for a in (Path(submissions) / s).iterdir()
            if not a.name.startswith(".") and (a.is_symlink() or a.is_dir())}
    wanted = set(only) if only else seen
    known = sorted(a for a in wanted if master_path(course, a).is_file())
    unknown = sorted(wanted - set(known))
    return students, known, unknown


def plan(submissions: Path, course: Path, out: Path, assignments: list[str], students: list[str],
         due: dict, timeout: float, sandbox: Sandbox) -> Plan:
    masters = {a: load_master(course, a) for a in assignments}
    result = Plan(students, masters)
    for assignment, master in masters.items():
        for student in students:
            folder = Path(submissions) / student / assignment
            key = _key(master, folder, due_for(due, assignment), timeout, sandbox)
            if is_current(read_json(result_path(out, student, assignment)), key):
                result.reused += 1
            else:
                result.pending.append((student, assignment))
    return result


def _key(master: Master, folder: Path, due: str | None, timeout: float, sandbox: Sandbox) -> str:
    due = None  # lateness is judged at report time (policy.py): a new due date must not re-run kernels
    if Path(folder).is_symlink() or Path(folder).parent.is_symlink():  # refused, never read through
        return input_key(master.checksum, Path("/nonexistent"), Path("/nonexistent"), due, timeout,
                         sandbox.key() + f"|link:{folder}")
    return input_key(master.checksum, folder / f"{master.assignment}.ipynb", folder / "timestamp.txt", due,
                     timeout, sandbox.key())


def run(submissions: Path, out: Path, work: Plan, due: dict, timeout: float, jobs: int,
        sandbox: Sandbox, progress: bool = True) -> dict:
    """Grade every pending submission; returns counts for the summary line."""
    remove_stale_temps(out)
    stats = {"graded": 0, "reused": work.reused, "grader_errors": 0, "seconds": 0.0}
    if not work.pending:
        return stats
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")  # no inherited threads or sockets in workers
    workers = max(1, min(jobs, len(work.pending)))
    bar = tqdm(total=len(work.pending) + work.reused, initial=work.reused, desc="grading", unit="nb",
               file=sys.stderr, disable=not progress, dynamic_ncols=True)
    attempts: dict[tuple[str, str], int] = {}
    try:
        for attempt in range(SHARED_ATTEMPTS + 1):
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                try:  # first: the masters' expected answers, in parallel
                    expected = _expected_all(pool, work, out, timeout, sandbox)
                except BrokenProcessPool:
                    if attempt == SHARED_ATTEMPTS:
                        raise
                    continue
                todo = [_job(submissions, out, work.masters[a], expected[a], s, due, timeout, sandbox)
                        for s, a in work.pending]
                todo = _pool_pass(pool, todo, bar, stats, attempts, alone=False)
                break
        while todo:
            shared = [j for j in todo if attempts[_name(j)] < SHARED_ATTEMPTS]
            alone = [j for j in todo if attempts[_name(j)] >= SHARED_ATTEMPTS]
            todo = []
            if shared:
                with ProcessPoolExecutor(max_workers=min(workers, len(shared)), mp_context=context) as pool:
                    todo += _pool_pass(pool, shared, bar, stats, attempts, alone=False)
            for job in alone:
                with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                    todo += _pool_pass(pool, [job], bar, stats, attempts, alone=True)
    finally:
        bar.close()
        sweep(sandbox.host)  # what a killed worker left: its kernel's cgroup and scratch folder
    stats["seconds"] = time.monotonic() - started
    return stats


def _expected_all(pool, work: Plan, out: Path, timeout: float, sandbox: Sandbox) -> dict:
    """A broken master raises MasterError here and stops the run with a clear message."""
    needed = sorted({a for _, a in work.pending})
    futures = {a: pool.submit(expected_answers, work.masters[a], out, timeout, sandbox) for a in needed}
    return {a: f.result() for a, f in futures.items()}


def _job(submissions, out, master, expected, student, due, timeout, sandbox) -> Job:
    folder = Path(submissions) / student / master.assignment
    when = due_for(due, master.assignment)
    return Job(student, master.assignment, folder, master, expected, Path(out), timeout, when,
               _key(master, folder, when, timeout, sandbox), sandbox)


def _name(job: Job) -> tuple[str, str]:
    return job.student, job.assignment


def _pool_pass(pool, todo: list[Job], bar, stats: dict, attempts: dict, alone: bool) -> list[Job]:
    """Run the jobs; returns those to grade again because the pool broke under them."""
    retry: list[Job] = []
    futures = {pool.submit(grade_one, job): job for job in todo}
    for future in as_completed(futures):
        job = futures[future]
        try:
            summary = future.result()
        except BrokenProcessPool:
            attempts[_name(job)] = attempts.get(_name(job), 0) + 1
            if not alone:
                retry.append(job)
                continue
            summary = _record_crash(job, "the grading worker process died on this submission, graded alone")
        except Exception as exc:  # noqa: BLE001 - one submission's failure is that submission's result
            summary = _record_crash(job, f"{type(exc).__name__}: {str(exc)[:200]}")
        stats["graded"] += 1
        stats["grader_errors"] += bool(summary.get("grader_error"))
        bar.update(1)
    return retry


def _record_crash(job: Job, why: str) -> dict:
    """The worker could not return a result for this job: write a grader-error result for it alone."""
    from .flags import flag
    from .judge import manual, not_judged
    from .store import write_json_atomic

    result = {"student": job.student, "assignment": job.assignment, "input_key": job.input_key,
              "master_checksum": job.master.checksum, "grader_error": why, "sandbox": job.sandbox.record(),
              "flags": [flag("grader-error", why)], "errors": [],
              "exercises": [not_judged(e, "the grader failed") if e.mode == "auto" else manual(e, "")
                            for e in job.master.exercises], "score": 0.0}
    write_json_atomic(result_path(job.out, job.student, job.assignment), result)
    return {"grader_error": True}


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


__all__ = ["MasterError", "Plan", "default_jobs", "discover", "plan", "run"]
