"""RESULTS.md: intro, a summary of the goals, one table per section, and where a goal is missed."""

from __future__ import annotations

import datetime as dt
import os

from . import diagnoses
from .common import Goal, Section


def _load(load) -> str:
    return ", ".join(f"{value:.2f}" for value in load) if load else "unknown"


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    def clean(cell: str) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return lines


def render(sections: list[Section], machine: dict, args: dict, seconds: float) -> str:
    v = machine["versions"]
    mode = "`--quick` (tiny repeat counts, small class: structure only, not for conclusions)" if args["quick"] \
        else "full"
    out = [
        "# Benchmarks: the kit's speed and memory, measured against their floors",
        "",
        "Written by `python -m benchmarks` (from the repository root; `--quick` for a fast structural "
        "run, `--only SECTION` for one section, `--out FILE` for another file). Do not edit by hand: "
        "rerun it.",
        "",
        "**What a ratio means.** Every figure is a ratio: the thing measured divided by its *floor*, the "
        "least that anything of its kind costs, measured in the same run on the same machine (e.g. a "
        "notebook against a kernel that only runs its import lines). Each side is a median over "
        "repeated runs. Absolute times on a shared 2-core machine move with whatever else runs; a "
        "ratio to a floor that moves with them does not, so the goals are on ratios, and the absolute "
        "values are shown beside them for scale. The widget goals are on milliseconds because a "
        "student feels milliseconds; their floor ratio says how much of that is the kit's own work.",
        "",
        f"**This run:** {mode}; {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; took "
        f"{seconds / 60:.1f} min; commit `{machine['commit']}`.",
        "",
        f"**Machine:** nproc {machine['nproc']} ({machine['cpu']}), {machine['memory']} memory, "
        f"load average (1, 5, 15 min) at start {_load(machine['load'])}, at the end "
        f"{_load(os.getloadavg() if hasattr(os, 'getloadavg') else None)} (other work on the machine "
        f"shows here; the CPU ratios in section 1 barely move with it); Python "
        f"{machine['python']} on {machine['platform']}.",
        "",
        "**Versions:** " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        "## Summary of the goals",
        "",
    ]
    goals = [g for s in sections for g in s.goals]
    rows = [[g.section, g.measure, g.value, g.target, {True: "met", False: "**missed**",
                                                        None: "not measured" if g.value in ("not measured", "failed") else "n/a"}[g.met]]
            for g in goals]
    for s in sections:
        if s.skipped:
            rows.append([s.key, s.title, "skipped", "", s.skipped])
    out += _table(["section", "measure", "value", "goal", "result"], rows)
    met = sum(g.met is True for g in goals)
    missed = [g for g in goals if g.met is False]
    out += ["", f"{met} goal(s) met, {len(missed)} missed, "
                f"{sum(g.met is None for g in goals)} not measured or without a goal.", ""]

    for s in sections:
        out += [f"## {s.title}", "", s.intro, ""]
        if s.skipped:
            out += [f"*Skipped: {s.skipped}.*", ""]
            continue
        out += _table(s.columns, s.rows) + [""]
        for title, columns, rows in s.tables:
            out += [f"**{title}**", ""] + _table(columns, rows) + [""]
        for note in s.notes:
            out += [f"- {note}"]
        if s.notes:
            out += [""]

    out += ["## Where a goal is missed", ""]
    if not missed:
        out += ["No goal was missed in this run.", ""]
    for group in _grouped(missed):
        out += _missed(group)
    earlier = diagnoses.fixed()
    if earlier:
        out += ["### Fixed after an earlier run", ""]
        for key, d in earlier:
            out += [f"- **{key}** ({d['where']}): {d['cause']} Fix: {d['fix']} "
                    f"Before: {d.get('before', '?')}; after: {d.get('after', '?')}."]
        out += [""]
    return "\n".join(out).rstrip() + "\n"


def _grouped(missed: list[Goal]) -> list[list[Goal]]:
    """Missed goals that share a diagnosis (e.g. every notebook's execution) go together, in the
    order they were first missed; undiagnosed ones stand alone."""
    groups: dict[object, list[Goal]] = {}
    for g in missed:
        d = diagnoses.find(g.key)
        groups.setdefault(id(d) if d else id(g), []).append(g)
    return list(groups.values())


def _missed(group: list[Goal]) -> list[str]:
    first = group[0]
    if len(group) == 1:
        out = [f"### {first.section}: {first.measure} — {first.value} against {first.target}", ""]
        if first.evidence:
            out += ["Measured in this run:", ""] + [f"- {line}" for line in first.evidence] + [""]
    else:
        out = [f"### {first.section}: {len(group)} measures over {first.target}", "",
               "Measured in this run:", ""]
        out += _table(["measure", "value", "where the time or memory goes"],
                      [[g.measure, g.value, "; ".join(g.evidence)] for g in group]) + [""]
    d = diagnoses.find(first.key)
    if d:
        out += [f"**Diagnosis** ({d['where']}): {d['cause']}", "", f"**Suggested fix:** {d['fix']}", ""]
        if d.get("before"):
            out += [f"Before/after: {d['before']} → {d.get('after') or 'not fixed yet'}.", ""]
    else:
        out += [f"Not diagnosed yet. {HOW_TO_LOOK[first.section]}", ""]
    return out


# Where to look next, per section, when no diagnosis is recorded in diagnoses.py yet.
HOW_TO_LOOK = {
    "execution": "The slowest cells are listed above (their median time over the repeats); `%prun` on "
                 "such a cell in the notebook says where its time goes.",
    "memory": "The cells after which the kernel grew most are listed above; `tracemalloc` around such a "
              "cell says which allocations stay.",
    "widgets": "`python -m benchmarks.widgets --child --updates 20 --profile 'Widget:control'` prints "
               "where an update's time goes.",
    "grading": "`python -m cProfile -s cumtime -m triangles.grading grade ... --jobs 1` on a few "
               "submissions says where the grader's own time goes; the per-notebook times above say "
               "how much of it is kernels.",
    "footprint": "",
}
