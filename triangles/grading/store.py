"""Result files: one JSON per (student, assignment), written atomically, reused when unchanged.

A result is reused only if its ``input_key`` - a hash of everything that can change the outcome
(grader version, master checksum, submission bytes, timestamp, due date, timeout) - matches, so a
rerun after a kill only grades what is missing, and a changed submission is regraded.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from pathlib import Path

from . import GRADER_VERSION


def result_path(out: Path, student: str, assignment: str) -> Path:
    return Path(out) / "results" / student / f"{assignment}.json"


MAX_NOTEBOOK_BYTES = 64 * 2**20   # a bigger "notebook" is not read: flagged as corrupt
MAX_TIMESTAMP_BYTES = 4096


class RefusedFile(Exception):
    """A submission file that is not read: ``kind`` is "link", "special" (FIFO, device, socket),
    "folder" or "too-large"; ``reason`` says what it was, for the flag."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def file_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode):
        return "file"
    return {stat.S_IFIFO: "FIFO (named pipe)", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
            stat.S_IFSOCK: "socket"}.get(stat.S_IFMT(mode), "special file")


def read_submission_file(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file in a submission, None if it is absent. A link is never followed
    (lstat, then O_NOFOLLOW), a FIFO or device never opened for reading, a file over ``limit`` bytes
    never read whole: each raises RefusedFile."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    kind = file_kind(info.st_mode)
    if kind != "file":
        category = {"symbolic link": "link", "folder": "folder"}.get(kind, "special")
        target = f" (to {os.readlink(path)[:120]!r})" if category == "link" else ""
        raise RefusedFile(category, f"{path.name} is a {kind}{target}; not followed or read")
    if info.st_size > limit:
        raise RefusedFile("too-large", f"{path.name} is {info.st_size / 2**20:.1f} MB, over the "
                                       f"{limit / 2**20:g} MB a submission file may have")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the lstat
            raise RefusedFile("special", f"{path.name} changed into a special file while being read")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise RefusedFile("too-large", f"{path.name} grew past {limit / 2**20:g} MB while being read")
    return data


def input_key(master_checksum: str, notebook: Path, timestamp: Path, due: str | None, timeout: float,
              sandbox: str = "") -> str:
    digest = hashlib.sha256()
    for part in (GRADER_VERSION, master_checksum, _bytes(notebook, MAX_NOTEBOOK_BYTES),
                 _bytes(timestamp, MAX_TIMESTAMP_BYTES), due or "", repr(timeout), sandbox):
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _bytes(path: Path, limit: int) -> bytes:
    try:
        data = read_submission_file(path, limit)
    except RefusedFile as exc:  # its own state: regraded when the file changes
        info = os.lstat(path)
        return f"refused:{exc.kind}:{info.st_mode}:{info.st_size}:{info.st_mtime_ns}".encode()
    except OSError:  # unreadable: its own state, distinct from any content
        return b"unreadable"
    return b"absent" if data is None else b"file:" + data


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
