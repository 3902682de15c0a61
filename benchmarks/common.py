"""What every measurement shares: statistics, the records a section returns, facts about the machine."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "benchmarks" / "runs"  # git-ignored: cached venvs, scratch courses, raw JSON

# Versions that change what is measured; printed in the report's intro.
VERSIONED = ("jupyterlab", "ipykernel", "ipywidgets", "jupyter_client", "nbclient", "nbgrader",
             "pandas", "numpy", "matplotlib", "pyzmq", "tornado", "psutil")


# ---------------------------------------------------------------------------------------------
# statistics


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100): with 50 samples p95 is the 48th smallest, a real sample."""
    values = sorted(values)
    if not values:
        return float("nan")
    rank = max(1, min(len(values), -(-len(values) * q // 100)))  # ceil
    return values[int(rank) - 1]


def ratio(value: float, floor: float) -> float:
    return value / floor if floor else float("nan")


# ---------------------------------------------------------------------------------------------
# formatting


def secs(value: float) -> str:
    return f"{value:.2f} s" if value == value else "n/a"


def ms(value: float) -> str:
    if value != value:
        return "n/a"
    return f"{value:.1f} ms" if value >= 1 else f"{value * 1000:.0f} µs"


def mib(value: float) -> str:
    return f"{value / 2**20:.0f} MiB" if value == value else "n/a"


def x(value: float) -> str:
    if value != value:
        return "n/a"
    return f"{value:.0f}x" if value >= 100 else f"{value:.2f}x"


def yes_no(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "n/a"}[met]


# ---------------------------------------------------------------------------------------------
# what a section returns


@dataclass
class Goal:
    """One goal checked in one section: ``met`` is None when it could not be measured."""

    section: str
    measure: str          # e.g. "02-the-timeline (student): kernel time"
    target: str           # e.g. "<= 1.3x"
    value: str            # e.g. "1.42x"
    met: bool | None
    key: str = ""         # diagnoses.py looks notes up by it, e.g. "execution:02-the-timeline"
    evidence: list[str] = field(default_factory=list)  # profile lines measured in this run


@dataclass
class Section:
    key: str              # execution, widgets, memory, grading, footprint
    title: str
    intro: str            # how it is measured, in one paragraph
    columns: list[str]
    rows: list[list[str]]
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)  # extra tables
    raw: dict = field(default_factory=dict)  # absolute samples, written to runs/latest.json
    skipped: str = ""     # why the section was not measured (e.g. --quick, nothing to measure)


# ---------------------------------------------------------------------------------------------
# the machine


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def commit() -> str:
    """The checked-out commit, read from .git without running git (others work in this tree)."""
    git = REPO / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()[:12]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:12]
    except OSError:
        pass
    return "unknown"


def machine() -> dict:
    try:
        import psutil
        memory = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        memory = "unknown"
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu_model(),
        "memory": memory,
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "commit": commit(),
        "versions": {name: version(name) for name in VERSIONED},
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
        "load": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def log(message: str) -> None:
    """Progress on stderr, so a long run shows where it is; the report is the product."""
    print(f"[benchmarks] {message}", file=sys.stderr, flush=True)
