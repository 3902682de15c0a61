"""grades.csv: one row per student, one column per exercise across assignments, total, flags.

Auto-graded columns come from the result files; free-response columns from the manual sheets
(blank until a score is entered). ``run.json`` remembers which students and assignments the last
``grade`` run covered, so ``merge-manual`` can rebuild the table without the submissions.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .master import Master
from .store import read_json, result_path, write_json_atomic, write_text_atomic

RUN_FILE = "run.json"


def write_run(out: Path, students: list[str], masters: dict[str, Master]) -> dict:
    run = {"students": students, "assignments": [masters[a].to_json() for a in sorted(masters)]}
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


def score_table(run: dict, results: dict, manual_scores: dict) -> list[dict]:
    """Rows of grades.csv as dicts (scores as numbers, None for 'not scored yet')."""
    rows = []
    for student in run["students"]:
        row: dict = {"student": student}
        flags = []
        for assignment in run["assignments"]:
            aid = assignment["assignment"]
            result = results.get((student, aid))
            verdicts = {v["exercise"]: v for v in (result or {}).get("exercises", [])}
            for ex in assignment["exercises"]:
                if ex["mode"] == "manual":
                    row[ex["id"]] = manual_scores.get((student, ex["id"]), {}).get("score")
                else:
                    row[ex["id"]] = verdicts.get(ex["id"], {}).get("score", 0.0) if result else None
            if result is None:
                flags.append(f"{aid}:not-graded")
            for f in (result or {}).get("flags", []):
                flags.append(f"{aid}:{f['flag']}" + (f"({f['exercise']})" if f.get("exercise") else ""))
        row["total"] = sum(v for k, v in row.items() if k != "student" and isinstance(v, (int, float)))
        row["flags"] = "; ".join(dict.fromkeys(flags))
        rows.append(row)
    return rows


def write_grades(out: Path, run: dict, results: dict, manual_scores: dict) -> Path:
    columns = ["student"] + [e["id"] for e in exercises(run)] + ["total", "flags"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in score_table(run, results, manual_scores):
        writer.writerow({k: fmt(v) if k not in ("student", "flags") else csv_text(v) for k, v in row.items()})
    path = Path(out) / "grades.csv"
    write_text_atomic(path, buffer.getvalue())
    return path


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
