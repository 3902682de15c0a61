"""What the last grade run covered, the stored results, and the CSV helpers of every table.

``run.json`` remembers which students and assignments the last ``grade`` run covered (and the
gradebook configuration and --due dates it used), so ``merge-manual``, ``override``, ``export`` and
the reports can rebuild everything without the submissions and without a kernel. The table itself
is built in gradebook.py.
"""

from __future__ import annotations

from pathlib import Path

from .master import Master
from .store import read_json, result_path, write_json_atomic

RUN_FILE = "run.json"


def write_run(out: Path, students: list[str], masters: dict[str, Master], config: Path | None = None,
              due: dict | None = None, absent: list[str] | None = None) -> dict:
    """``absent``: students on the roster with no submission folder (they get rows, flagged)."""
    run = {"students": sorted(set(students) | set(absent or [])),
           "assignments": [masters[a].to_json() for a in sorted(masters)],
           "config": str(Path(config).resolve()) if config else None,
           "due": {("*" if k is None else k): v for k, v in (due or {}).items()},
           "absent": sorted(absent or [])}
    write_json_atomic(Path(out) / RUN_FILE, run)
    return run


def read_run(out: Path) -> dict | None:
    return read_json(Path(out) / RUN_FILE)


def exercises(run: dict) -> list[dict]:
    return [e for a in run["assignments"] for e in a["exercises"]]


def load_results(out: Path, run: dict) -> dict[tuple[str, str], dict]:
    found = {}
    for assignment in run["assignments"]:
        for student in run["students"]:
            result = read_json(result_path(out, student, assignment["assignment"]))
            if isinstance(result, dict):
                found[(student, assignment["assignment"])] = result
    return found


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """Text a spreadsheet will not run as a formula: student-written answers and folder names
    go into CSV files the instructor opens in Excel/LibreOffice (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def from_csv_text(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def fmt(value) -> str:
    if value is None:
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.6g}"
