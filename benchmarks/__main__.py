"""``python -m benchmarks [--quick] [--out benchmarks/RESULTS.md] [--only SECTION ...]``: measure, then
write the report (``python -m benchmarks hub`` runs the hub load test instead; see benchmarks/hub.py). Progress goes to stderr; the raw samples to benchmarks/runs/latest.json."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import common, course, execution, footprint, grading, memory, report, widgets

SECTIONS = ("execution", "widgets", "memory", "grading", "footprint")

# Full run: about 15 minutes on 2 cores. Quick: about a minute, for the test suite (structure only).
FULL = {"repeats": 3, "updates": 50, "students": 40, "assignments": 1, "stems": None}
QUICK = {"repeats": 1, "updates": 5, "students": 4, "assignments": 1, "stems": 1}


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure notebook time, widget response, kernel memory, grading throughput and install "
                    "size against floors measured in the same run, then write benchmarks/RESULTS.md.",
        epilog="python -m benchmarks hub [--help]: the class-on-a-hub load test instead (benchmarks/hub.py).")
    parser.add_argument("--quick", action="store_true",
                        help="tiny repeat counts, one notebook, a class of 4, no install footprint")
    parser.add_argument("--out", type=Path, default=common.REPO / "benchmarks" / "RESULTS.md")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="measure only this section (repeatable); memory comes with execution")
    parser.add_argument("--repeats", type=int, help="kernel runs per notebook and floor")
    parser.add_argument("--updates", type=int, help="control changes per widget control")
    parser.add_argument("--students", type=int, help="size of the class to grade")
    parser.add_argument("--assignment", action="append", help="assignment(s) to grade")
    parser.add_argument("--notebook", action="append", help="notebook stem(s) to execute")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["hub"]:  # the class on a local hub: its own command and its own section
        from . import hub
        return hub.main(argv[1:])
    args = parse(argv)
    settings = dict(QUICK if args.quick else FULL)
    for name in ("repeats", "updates", "students"):
        if getattr(args, name):
            settings[name] = getattr(args, name)
    wanted = set(args.only or SECTIONS)
    if "memory" in wanted:
        wanted.add("execution")  # memory is read from the execution runs
    started = time.perf_counter()
    machine = common.machine()
    sections: list[common.Section] = []

    if "execution" in wanted:
        stems = args.notebook
        if stems is None and settings["stems"]:
            stems = _smallest_stems(settings["stems"])
        runs = execution.measure(course.notebooks(stems), settings["repeats"])
        sections.append(execution.section(runs))
    if "widgets" in wanted:
        measured = widgets.measure(settings["updates"], full=not args.quick)
        profile = _missed_widgets(measured)
        if profile and not args.quick:  # profile only what missed its goal, in a second child
            common.log(f"widgets: profiling {len(profile)} control(s) that missed the goal")
            profiled = widgets.measure(max(10, settings["updates"] // 2), profile)
            found = {(e["widget"], e["control"]): e.get("profile") for e in profiled.get("results", [])}
            for entry in measured.get("results", []):
                if found.get((entry["widget"], entry["control"])):
                    entry["profile"] = found[(entry["widget"], entry["control"])]
        sections.append(widgets.section(measured, settings["updates"]))
    if "execution" in wanted and "memory" in wanted:
        sections.append(memory.section(runs))
    if "grading" in wanted:
        assignments = args.assignment or grading.default_assignments(settings["assignments"])
        sections.append(grading.section(grading.measure(settings["students"], assignments)))
    if "footprint" in wanted:
        if args.quick:
            sections.append(footprint.section(None, "--quick (making two venvs takes minutes)"))
        else:
            try:
                sections.append(footprint.section(footprint.measure()))
            except Exception as exc:  # no network, a pip failure: reported, not fatal
                sections.append(footprint.section({"failed": f"{type(exc).__name__}: {exc}"}))

    order = {key: i for i, key in enumerate(SECTIONS)}
    sections.sort(key=lambda s: order[s.key])
    seconds = time.perf_counter() - started
    text = report.render(sections, machine, {"quick": args.quick}, seconds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from .hub import preserved_section  # the hub section is measured by `python -m benchmarks hub`
    hub_section = preserved_section(args.out)
    args.out.write_text(text + ("\n" + hub_section if hub_section else ""), encoding="utf-8")
    raw = common.RUNS / ("quick.json" if args.quick else "latest.json")
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({"machine": machine, "settings": settings, "seconds": seconds,
                               "sections": {s.key: s.raw for s in sections}}, indent=1, default=str))
    common.log(f"wrote {args.out} in {seconds / 60:.1f} min")
    return 0


def _smallest_stems(count: int) -> list[str]:
    """For --quick: the stems whose master is smallest on disk (fewest cells to run)."""
    masters = sorted(course.SOURCE.glob("*/*.ipynb"), key=lambda p: p.stat().st_size)
    return [p.stem for p in masters if p.stem == p.parent.name][:count]


def _missed_widgets(measured: dict) -> list[str]:
    from . import GOALS
    out = []
    for entry in measured.get("results", []):
        if entry.get("cpu_ms") and common.percentile(entry["cpu_ms"], 95) > GOALS["widget_p95_ms"]:
            out.append(f"{entry['widget']}:{entry['control']}")
    return out


if __name__ == "__main__":
    sys.exit(main())
