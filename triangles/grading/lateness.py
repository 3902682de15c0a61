"""Late submissions, nbgrader style: ``timestamp.txt`` beside the notebook, written at submission
(nbgrader writes e.g. ``2024-03-01 17:05:00.123456 UTC``). Late means timestamp > due date.
Lateness is recorded as a ``late`` flag plus the seconds late. Penalties are not applied here but
at report time (policy.py), from the stored timestamp, so changing a due date or a late policy never
re-runs a kernel. A timestamp that cannot be read becomes a ``bad-timestamp`` flag for that one
submission; it never stops the batch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .flags import flag

TIMESTAMP_FILE = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 200  # nbgrader writes ~30; anything much longer is not a timestamp


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
    try:
        stamp = read_timestamp(path)
    except BadTimestamp as exc:
        return info, [flag("bad-timestamp", f"{TIMESTAMP_FILE}: {exc}")]
    if stamp is None:
        return info, []
    info["timestamp"] = stamp.isoformat()
    if due_iso is None:
        return info, []
    late = seconds_late(stamp.isoformat(), due_iso)
    if late <= 0:
        return info, []
    info["seconds_late"] = late
    return info, [flag("late", f"submitted {duration(late)} after the due date")]


class BadTimestamp(ValueError):
    """timestamp.txt exists but is not a readable time (the message says why, briefly)."""


def read_timestamp(path: Path) -> dt.datetime | None:
    """The submission time in ``path``, None if there is no such file; BadTimestamp otherwise.

    Never follows a symlink and never opens a FIFO or device (it could block or read anything)."""
    import stat

    try:
        mode = Path(path).lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadTimestamp(f"cannot be read ({type(exc).__name__})") from None
    if not stat.S_ISREG(mode):
        raise BadTimestamp("is not a regular file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TIMESTAMP_BYTES + 1)
    except OSError as exc:
        raise BadTimestamp(f"cannot be read ({type(exc).__name__})") from None
    if len(data) > MAX_TIMESTAMP_BYTES:
        raise BadTimestamp(f"is longer than {MAX_TIMESTAMP_BYTES} bytes")
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        raise BadTimestamp("is empty")
    try:
        return parse_time(text)
    except Exception as exc:  # dateutil raises ValueError, OverflowError, TypeError, ...
        raise BadTimestamp(f"{type(exc).__name__}: {str(exc)[:100]}") from None


def seconds_late(timestamp_iso: str, due_iso: str) -> float:
    return (dt.datetime.fromisoformat(timestamp_iso) - dt.datetime.fromisoformat(due_iso)).total_seconds()


def duration(seconds: float) -> str:
    """'10 seconds', '5m', '2h 5m', '1d 3h': never '0m' for a submission a few seconds late."""
    if seconds < 60:
        whole = max(1, int(round(seconds)))
        return f"{whole} second{'s' if whole != 1 else ''}"
    return _duration(seconds)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes or not (days or hours) else ""]
    return " ".join(p for p in parts if p)
