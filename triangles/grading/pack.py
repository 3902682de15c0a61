"""Pack each student's feedback for return: ``<out>/returns/<student>.zip`` holding their pages.

One archive per student, with only that student's own pages (the folder ``feedback/<student>/``),
so it can be uploaded to the learning platform's per-student feedback file, or mailed. Archives
are rebuilt from scratch each time and written atomically; file times inside are fixed, so the same
feedback always gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def pack_feedback(out: Path, students: list[str] | None = None) -> list[Path]:
    out = Path(out)
    root = out / "feedback"
    if not root.is_dir():
        return []
    written = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if students is not None and folder.name not in students:
            continue
        pages = sorted(p for p in folder.glob("*.html") if p.is_file() and not p.is_symlink())
        if not pages:
            continue
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for page in pages:
                info = zipfile.ZipInfo(f"{folder.name}/{page.name}", date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, page.read_bytes())
        target = out / "returns" / f"{folder.name}.zip"
        _write_bytes_atomic(target, buffer.getvalue())
        written.append(target)
    return written


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
