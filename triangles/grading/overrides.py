"""Score overrides and the gradebook log: ``<out>/gradebook-log.jsonl``, append-only.

Every change a person makes to a score is one JSON line: an override (``override``), its removal
(``clear``), a manual score or comment entered in a sheet or the grading desk (``manual``), and a
hand edit found in ``grades.csv`` (``hand-edit``, turned into an override so it is never silently
overwritten). A line records when, who (the login name), which student and exercise, the old and
new score, and why. Nothing is ever rewritten or deleted: the current overrides are the log
replayed, so they survive every regrade and merge.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
import os
from pathlib import Path

LOG_FILE = "gradebook-log.jsonl"
KINDS = ("override", "clear", "manual", "hand-edit")


class OverrideError(ValueError):
    pass


def log_path(out: Path) -> Path:
    return Path(out) / LOG_FILE


def append(out: Path, kind: str, student: str, exercise: str, *, old=None, new=None, comment: str | None = None,
           reason: str = "", when: str | None = None) -> dict:
    """Append one line (fsync'd: a crash never loses an entry that was reported as written)."""
    if kind not in KINDS:
        raise ValueError(f"unknown log entry kind {kind!r}")
    entry = {"time": when or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "by": _user(), "kind": kind, "student": student, "exercise": exercise,
             "old": old, "new": new, "reason": reason}
    if comment is not None:
        entry["comment"] = comment
    path = log_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return entry


def read_log(out: Path) -> list[dict]:
    """Every entry, oldest first. A torn last line (a crash mid-write) is skipped, not fatal."""
    try:
        lines = log_path(out).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("kind") in KINDS:
            entries.append(entry)
    return entries


def current_overrides(out: Path) -> dict[tuple[str, str], dict]:
    """{(student, exercise): {"score", "reason", "time"}} after replaying the log."""
    active: dict[tuple[str, str], dict] = {}
    for entry in read_log(out):
        key = (entry["student"], entry["exercise"])
        if entry["kind"] in ("override", "hand-edit"):
            active[key] = {"score": entry["new"], "reason": entry["reason"], "time": entry["time"],
                           "kind": entry["kind"]}
        elif entry["kind"] == "clear":
            active.pop(key, None)
    return active


def set_override(out: Path, run: dict, student: str, exercise: str, score: float, reason: str,
                 old=None, kind: str = "override") -> dict:
    """Validate and log an override of one exercise score (0..points), with a reason."""
    points = _points(run, exercise)
    if student not in run["students"]:
        raise OverrideError(f"unknown student {student!r} (not in the last grade run)")
    if not reason or not reason.strip():
        raise OverrideError("an override needs a reason (--reason)")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score) \
            or not 0 <= score <= points:
        raise OverrideError(f"score {score!r} must be a number from 0 to {points:g} (the points of {exercise})")
    return append(out, kind, student, exercise, old=old, new=float(score), reason=reason.strip())


def clear_override(out: Path, run: dict, student: str, exercise: str, reason: str) -> dict:
    _points(run, exercise)
    if (student, exercise) not in current_overrides(out):
        raise OverrideError(f"{student} has no override on {exercise}")
    return append(out, "clear", student, exercise, reason=reason.strip() or "override removed")


def _points(run: dict, exercise: str) -> float:
    for assignment in run["assignments"]:
        for ex in assignment["exercises"]:
            if ex["id"] == exercise:
                return float(ex["points"])
    raise OverrideError(f"unknown exercise {exercise!r} (not in the last grade run)")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"
