"""The benchmark suite runs and writes a well-formed report (``python -m benchmarks --quick``).

Structure only: no test here asserts a time, a ratio or whether a goal was met. Those depend on the
machine and its load; they are for people reading benchmarks/RESULTS.md, not for CI to gate on.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ["1. Notebook execution", "2. Widget response", "3. Kernel memory", "4. Grading throughput",
            "5. Install footprint"]
NUMBER = re.compile(r"\d+(\.\d+)?\s*(s|ms|µs|MiB|KiB|x)\b")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out.read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    """'## title' -> the text up to the next '## '."""
    parts = re.split(r"^## ", text, flags=re.M)
    return {p.split("\n", 1)[0].strip(): p.split("\n", 1)[1] if "\n" in p else "" for p in parts[1:]}


def tables(text: str) -> list[list[list[str]]]:
    """Markdown tables as rows of cells (header included, separator dropped)."""
    found, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r"-+", c) for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def test_report_has_intro_with_machine_and_how_to_run(report):
    assert report.startswith("# Benchmarks")
    intro = report.split("\n## ", 1)[0]
    assert "python -m benchmarks" in intro
    assert "ratio" in intro.lower() and "floor" in intro.lower()
    assert re.search(r"nproc \d+", intro)
    assert re.search(r"Python 3\.\d+", intro)
    assert "--quick" in intro


def test_every_section_is_present_in_order(report):
    titles = list(sections(report))
    positions = [titles.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    assert "Summary of the goals" in titles and "Where a goal is missed" in titles


def test_each_section_has_a_table_of_measure_floor_ratio_goal(report):
    by_title = sections(report)
    for title in SECTIONS[:4]:
        body = by_title[title]
        assert "Skipped" not in body.split("|", 1)[0], f"{title} was skipped: {body[:300]}"
        table = tables(body)[0]
        header = " ".join(table[0]).lower()
        for word in ("floor", "ratio", "goal", "met?"):
            assert word in header, f"{title}: no '{word}' column in {table[0]}"
        assert len(table) >= 2, f"{title}: no rows"


def test_every_measured_section_has_numbers(report):
    by_title = sections(report)
    for title in SECTIONS[:4]:
        rows = tables(by_title[title])[0][1:]
        numbers = [c for row in rows for c in row if NUMBER.search(c)]
        assert numbers, f"{title}: no measured number in {rows}"
        ratios = [c for row in rows for c in row if re.fullmatch(r"\d+(\.\d+)?x", c)]
        assert ratios, f"{title}: no ratio in {rows}"
        assert not any(c.startswith("failed") for row in rows for c in row), f"{title}: {rows}"


def test_quick_skips_the_install_footprint_and_says_why(report):
    body = sections(report)["5. Install footprint"]
    assert "Skipped" in body and "--quick" in body


def test_summary_lists_goals_with_a_verdict(report):
    rows = tables(sections(report)["Summary of the goals"])[0]
    assert rows[0][:2] == ["section", "measure"]
    verdicts = {row[-1] for row in rows[1:]}
    assert verdicts and verdicts <= {"met", "**missed**", "not measured", "n/a"} | {
        row[-1] for row in rows[1:] if row[2] == "skipped"}


def test_browser_latency_is_reported_or_said_absent(report):
    body = sections(report)["2. Widget response"]
    assert "keypress -> new picture" in body
    assert "browser-latency.json" in body


def test_grading_compares_scores(report):
    body = sections(report)["4. Grading throughput"]
    assert "nbgrader" in body and "kit" in body
    assert re.search(r"students whose totals agree \| \d+ of \d+", body)
    assert "mismatches" in body
