"""Find the submissions, grade what is new in parallel (a process pool, one kernel per worker),
show a progress bar, and keep going whatever happens to a single submission."""

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
from .store import input_key, is_current, read_json, remove_stale_temps, result_path

MAX_ATTEMPTS = 2  # a job that breaks the worker pool twice is recorded as a grader error


@dataclass
class Plan:
    students: list[str]
    masters: dict[str, Master]
    pending: list[tuple[str, str]] = field(default_factory=list)   # (student, assignment) to grade
    reused: int = 0


def discover(submissions: Path, course: Path, only: list[str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """(students, assignments with a master, assignment folders without one)."""
    students = sorted(p.name for p in Path(submissions).iterdir() if p.is_dir() and not p.name.startswith("."))
    seen = {a.name for s in students for a in (Path(submissions) / s).iterdir()
            if a.is_dir() and not a.name.startswith(".")}
    wanted = set(only) if only else seen
    known = sorted(a for a in wanted if master_path(course, a).is_file())
    unknown = sorted(wanted - set(known))
    return students, known, unknown


def plan(submissions: Path, course: Path, out: Path, assignments: list[str], students: list[str],
         due: dict, timeout: float) -> Plan:
    masters = {a: load_master(course, a) for a in assignments}
    result = Plan(students, masters)
    for assignment, master in masters.items():
        for student in students:
            folder = Path(submissions) / student / assignment
            key = _key(master, folder, due_for(due, assignment), timeout)
            if is_current(read_json(result_path(out, student, assignment)), key):
                result.reused += 1
            else:
                result.pending.append((student, assignment))
    return result


def _key(master: Master, folder: Path, due: str | None, timeout: float) -> str:
    return input_key(master.checksum, folder / f"{master.assignment}.ipynb", folder / "timestamp.txt", due, timeout)


def run(submissions: Path, out: Path, work: Plan, due: dict, timeout: float, jobs: int,
        progress: bool = True) -> dict:
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
    todo: list[Job] | None = None
    attempts: dict[tuple[str, str], int] = {}
    try:
        while todo is None or todo:
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                if todo is None:  # first pass: the masters' expected answers, in parallel
                    expected = _expected_all(pool, work, out, timeout)
                    todo = [_job(submissions, out, work.masters[a], expected[a], s, due, timeout)
                            for s, a in work.pending]
                todo = _pool_pass(pool, todo, bar, stats, attempts)
    finally:
        bar.close()
    stats["seconds"] = time.monotonic() - started
    return stats


def _expected_all(pool, work: Plan, out: Path, timeout: float) -> dict:
    """A broken master raises MasterError here and stops the run with a clear message."""
    needed = sorted({a for _, a in work.pending})
    futures = {a: pool.submit(expected_answers, work.masters[a], out, timeout) for a in needed}
    return {a: f.result() for a, f in futures.items()}


def _job(submissions, out, master, expected, student, due, timeout) -> Job:
    folder = Path(submissions) / student / master.assignment
    when = due_for(due, master.assignment)
    return Job(student, master.assignment, folder, master, expected, Path(out), timeout, when,
               _key(master, folder, when, timeout))


def _pool_pass(pool, todo: list[Job], bar, stats: dict, attempts: dict) -> list[Job]:
    """Run the jobs; returns those to retry in a fresh pool if this one broke (a worker was killed)."""
    retry: list[Job] = []
    futures = {pool.submit(grade_one, job): job for job in todo}
    for future in as_completed(futures):
        job = futures[future]
        try:
            summary = future.result()
        except BrokenProcessPool:
            name = (job.student, job.assignment)
            attempts[name] = attempts.get(name, 0) + 1
            if attempts[name] < MAX_ATTEMPTS:
                retry.append(job)
                continue
            summary = _record_crash(job)
        stats["graded"] += 1
        stats["grader_errors"] += bool(summary.get("grader_error"))
        bar.update(1)
    return retry


def _record_crash(job: Job) -> dict:
    """The worker process itself died on this job twice: write a grader-error result."""
    from .flags import flag
    from .judge import manual, not_judged
    from .store import write_json_atomic

    result = {"student": job.student, "assignment": job.assignment, "input_key": job.input_key,
              "master_checksum": job.master.checksum, "grader_error": "worker process died",
              "flags": [flag("grader-error", "the grading worker process died")], "errors": [],
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
