"""3. Kernel memory: resident memory of the kernel after each notebook, against the imports-only kernel.

No extra kernels: the readings come from the execution runs (execution.py), taken with psutil from
the kernel process (nbclient's ``km.provisioner.pid``) after the last cell, the kernel still alive.
RSS is what the operating system must find for a student's kernel; a class of 30 on one JupyterHub
node pays it 30 times.
"""

from __future__ import annotations

from . import GOALS
from .common import Goal, Section, median, mib, ratio, x, yes_no
from .execution import CourseRuns

GROWING_CELLS = 4  # shown as evidence when a notebook misses its goal


def section(runs: CourseRuns) -> Section:
    goal = GOALS["memory"]
    sec = Section(
        key="memory",
        title="3. Kernel memory",
        intro=("Resident memory (RSS, psutil) of the kernel process after the notebook's last cell, "
               "read from the same runs as section 1. **Floor:** the kernel that ran only the "
               "notebook's import lines."),
        columns=["notebook", "kernel RSS", "floor (imports)", "ratio", "added by the notebook",
                 "goal", "met?"],
        rows=[],
    )
    if not runs.notebooks:
        sec.skipped = "no notebooks yet (course/source/ and notebooks/ are empty)"
        return sec
    for nb in runs.notebooks:
        key = runs.floor_of[nb.label]
        error = runs.error_for(nb)
        if error:
            sec.rows.append([nb.label, f"failed: {error}", "", "", "", f"<= {goal}x", "n/a"])
            sec.goals.append(Goal("memory", f"{nb.label}: kernel RSS", f"<= {goal}x", "failed", None,
                                  key=f"memory:{nb.stem}", evidence=[error]))
            continue
        mine, floor = runs.runs[nb.label], runs.runs[key]
        rss, frss = median(r.rss for r in mine), median(r.rss for r in floor)
        r = ratio(rss, frss)
        met = r <= goal
        sec.rows.append([nb.label, mib(rss), mib(frss), x(r), mib(rss - frss), f"<= {goal}x", yes_no(met)])
        g = Goal("memory", f"{nb.label}: kernel RSS", f"<= {goal}x", x(r), met, key=f"memory:{nb.stem}")
        if not met:
            g.evidence = growing_cells(mine, frss)
        sec.goals.append(g)
        sec.raw[nb.label] = {"rss": [r.rss for r in mine], "floor_rss": [r.rss for r in floor]}
    return sec


def growing_cells(mine, floor_rss: float) -> list[str]:
    """The cells after which RSS grew most (median over the repeats)."""
    growth: dict[int, list[int]] = {}
    first_line: dict[int, str] = {}
    for run in mine:
        previous = None
        for cell in run.cells:
            if previous is not None:
                growth.setdefault(cell["index"], []).append(cell["rss"] - previous)
            previous = cell["rss"]
            first_line[cell["index"]] = cell["first_line"]
    budget = floor_rss * GOALS["memory"]
    top = sorted(((median(v), i) for i, v in growth.items()), reverse=True)[:GROWING_CELLS]
    lines = [f"budget {mib(budget)} ({GOALS['memory']}x the imports' {mib(floor_rss)})"]
    lines += [f"cell {i} +{mib(g)} `{first_line[i][:40]}`" for g, i in top]
    return lines
