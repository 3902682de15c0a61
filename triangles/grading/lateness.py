"""Late submissions, nbgrader style: ``timestamp.txt`` beside the notebook, written at submission
(nbgrader writes e.g. ``2024-03-01 17:05:00.123456 UTC``). Late means timestamp > due date.
Lateness is recorded as a ``late`` flag plus the seconds late; no penalty by default."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .flags import flag

TIMESTAMP_FILE = "timestamp.txt"


def parse_time(text: str) -> dt.datetime:
    """An aware datetime; a time without zone is UTC (nbgrader's default timezone)."""
    text = text.strip()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        from dateutil import parser  # installed with pandas; reads "2024-03-01 17:05:00 UTC"

        value = parser.parse(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def parse_due(values: list[str] | None) -> dict[str | None, str]:
    """--due values: "DATE" (every assignment) or "ASSIGNMENT=DATE" -> {assignment|None: iso}."""
    due: dict[str | None, str] = {}
    for value in values or []:
        name, sep, date = value.rpartition("=")
        due[name if sep else None] = parse_time(date).isoformat()
    return due


def due_for(due: dict[str | None, str], assignment: str) -> str | None:
    return due.get(assignment, due.get(None))


def check(submission_dir: Path, due_iso: str | None) -> tuple[dict, list[dict]]:
    """({"timestamp": iso|None, "seconds_late": float}, flags)."""
    path = Path(submission_dir) / TIMESTAMP_FILE
    info = {"timestamp": None, "seconds_late": 0.0}
    if not path.is_file():
        return info, []
    try:
        stamp = parse_time(path.read_text(encoding="utf-8", errors="replace"))
    except (ValueError, OverflowError) as exc:
        return info, [flag("bad-timestamp", f"{TIMESTAMP_FILE}: {str(exc)[:100]}")]
    info["timestamp"] = stamp.isoformat()
    if due_iso is None:
        return info, []
    late = (stamp - dt.datetime.fromisoformat(due_iso)).total_seconds()
    if late <= 0:
        return info, []
    info["seconds_late"] = late
    return info, [flag("late", f"submitted {_duration(late)} after the due date")]


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes or not (days or hours) else ""]
    return " ".join(p for p in parts if p)
