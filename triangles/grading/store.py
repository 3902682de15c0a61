"""Result files: one JSON per (student, assignment), written atomically, reused when unchanged.

A result is reused only if its ``input_key`` - a hash of everything that can change the outcome
(grader version, master checksum, submission bytes, timestamp, due date, timeout) - matches, so a
rerun after a kill only grades what is missing, and a changed submission is regraded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from . import GRADER_VERSION


def result_path(out: Path, student: str, assignment: str) -> Path:
    return Path(out) / "results" / student / f"{assignment}.json"


def input_key(master_checksum: str, notebook: Path, timestamp: Path, due: str | None, timeout: float) -> str:
    digest = hashlib.sha256()
    for part in (GRADER_VERSION, master_checksum, _bytes(notebook), _bytes(timestamp), due or "", repr(timeout)):
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _bytes(path: Path) -> bytes:
    try:
        return b"file:" + Path(path).read_bytes()
    except OSError:  # missing or unreadable: its own state, distinct from any content
        return b"absent"


def write_json_atomic(path: Path, data) -> None:
    """Write to a temp file in the same folder, fsync, then os.replace: readers (and a rerun after
    a kill) see either the old file or the complete new one, never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True, allow_nan=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path):
    """The parsed file, or None if it is missing or unreadable (then it is simply redone)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(result, key: str) -> bool:
    return isinstance(result, dict) and result.get("input_key") == key and not result.get("grader_error")


def remove_stale_temps(out: Path, older_than: float = 300.0) -> None:
    """Temp files left by a run that was killed between write and rename (they are never read;
    only old ones are removed, so a run sharing this folder is not disturbed)."""
    now = time.time()
    for tmp in Path(out).glob("**/.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
        except OSError:
            pass
