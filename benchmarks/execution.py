"""1. Notebook execution: each notebook in a fresh kernel against a kernel that only runs its imports.

The floor is what no notebook can go below: a fresh kernel importing what the notebook imports
(pandas, matplotlib, triangles...). The ratio says what the notebook's own work costs on top of
that. Runs are interleaved (floor, master, student, next notebook, ..., then the next repeat) so
that a burst of load on the shared machine hits floors and notebooks alike; each figure is the
median of the repeats. The same runs give the memory section its readings (memory.py).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import GOALS, course, kernels
from .common import Goal, Section, log, median, ratio, secs, x, yes_no

SLOWEST_CELLS = 4  # shown as evidence when a notebook misses its goal


@dataclass
class CourseRuns:
    """Every kernel run of this benchmark run: notebooks and their imports-only floors."""

    notebooks: list[course.Notebook]
    floor_of: dict[str, str] = field(default_factory=dict)        # notebook label -> floor key
    floor_lines: dict[str, list[str]] = field(default_factory=dict)
    runs: dict[str, list[kernels.KernelRun]] = field(default_factory=dict)  # label or floor key
    errors: dict[str, str] = field(default_factory=dict)

    def error_for(self, nb: course.Notebook) -> str | None:
        """Why a notebook cannot be compared with its floor: its own run or its floor's failed."""
        return self.errors.get(nb.label) or self.errors.get(self.floor_of[nb.label])


def measure(notebooks: list[course.Notebook], repeats: int) -> CourseRuns:
    result = CourseRuns(notebooks)
    for nb in notebooks:
        lines = course.import_lines(course.read(nb.path))
        key = course.floor_key(lines)
        result.floor_of[nb.label] = key
        result.floor_lines[key] = lines
    for repeat in range(repeats):
        floors_done: set[str] = set()
        for nb in notebooks:
            key = result.floor_of[nb.label]
            if key not in floors_done:  # one floor run per distinct import set and repeat
                floors_done.add(key)
                _run(result, key, course.floor_notebook(result.floor_lines[key]), nb.path.parent,
                     f"floor for {nb.stem}", repeat, repeats)
            _run(result, nb.label, course.read(nb.path), nb.path.parent, nb.label, repeat, repeats)
    return result


def _run(result: CourseRuns, key: str, nb, folder: Path, label: str, repeat: int, repeats: int) -> None:
    if key in result.errors:
        return  # it failed once; its timings would mean nothing
    log(f"execution {repeat + 1}/{repeats}: {label}")
    with scratch(folder) as cwd:
        try:
            run = kernels.run(nb, cwd)
        except Exception as exc:  # a failing notebook is reported, the benchmark goes on
            result.errors[key] = f"{type(exc).__name__}: {_short(exc)}"
            log(f"  failed: {result.errors[key]}")
            return
    result.runs.setdefault(key, []).append(run)


class scratch:
    """A temporary working directory with copies of the files beside the notebook (data, images):
    a notebook that writes files must not write into the repository during a benchmark."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __enter__(self) -> Path:
        self.tmp = tempfile.TemporaryDirectory(prefix="triangles-bench-")
        for path in self.folder.iterdir():
            if path.suffix == ".ipynb" or path.name in (".ipynb_checkpoints", "__pycache__"):
                continue
            target = Path(self.tmp.name) / path.name
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, target)
        return Path(self.tmp.name)

    def __exit__(self, *exc) -> None:
        self.tmp.cleanup()


def _short(exc: Exception) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"[:300]
    lines = str(exc).strip().splitlines()
    return (lines[-1] if lines else "")[:300]


def section(runs: CourseRuns) -> Section:
    goal = GOALS["execution"]
    sec = Section(
        key="execution",
        title="1. Notebook execution",
        intro=("Each notebook runs top to bottom in a fresh kernel through nbclient, as Restart & Run "
               "All would. **Floor:** a fresh kernel that runs only the notebook's import lines (the "
               "top-level import statements of its code cells). **Kernel time** runs from the first "
               "cell sent to the last cell done; **total** adds kernel start-up, which notebook and "
               "floor share. The goal is on the kernel-time ratio. **CPU ratio**: the kernel process's "
               "CPU time over the same cells, notebook against floor; it hardly moves with the "
               "machine's load, so where it and the kernel-time ratio disagree, the machine was busy."),
        columns=["notebook", "kernel time", "floor (imports)", "ratio", "total", "floor total",
                 "total ratio", "CPU ratio", "goal", "met?"],
        rows=[],
    )
    if not runs.notebooks:
        sec.skipped = "no notebooks yet (course/source/ and notebooks/ are empty)"
        return sec
    for nb in runs.notebooks:
        key = runs.floor_of[nb.label]
        error = runs.error_for(nb)
        if error:
            sec.rows.append([nb.label, f"failed: {error}", "", "", "", "", "", "", f"<= {goal}x", "n/a"])
            sec.goals.append(Goal("execution", f"{nb.label}: kernel time", f"<= {goal}x",
                                  "failed", None, key=f"execution:{nb.stem}", evidence=[error]))
            continue
        mine, floor = runs.runs[nb.label], runs.runs[key]
        kt, fkt = median(r.kernel_seconds for r in mine), median(r.kernel_seconds for r in floor)
        tt, ftt = median(r.total_seconds for r in mine), median(r.total_seconds for r in floor)
        r_kernel, r_total = ratio(kt, fkt), ratio(tt, ftt)
        r_cpu = ratio(median(r.cpu_seconds for r in mine), median(r.cpu_seconds for r in floor))
        met = r_kernel <= goal
        sec.rows.append([nb.label, secs(kt), secs(fkt), x(r_kernel), secs(tt), secs(ftt), x(r_total),
                         x(r_cpu), f"<= {goal}x", yes_no(met)])
        g = Goal("execution", f"{nb.label}: kernel time", f"<= {goal}x", x(r_kernel), met,
                 key=f"execution:{nb.stem}")
        if not met:
            g.evidence = slowest_cells(mine, fkt)
        sec.goals.append(g)
        sec.raw[nb.label] = {"kernel_seconds": [r.kernel_seconds for r in mine],
                             "total_seconds": [r.total_seconds for r in mine],
                             "floor_kernel_seconds": [r.kernel_seconds for r in floor],
                             "floor_total_seconds": [r.total_seconds for r in floor],
                             "cpu_seconds": [r.cpu_seconds for r in mine],
                             "floor_cpu_seconds": [r.cpu_seconds for r in floor]}
    repeats = max((len(v) for v in runs.runs.values()), default=0)
    sec.notes.append(f"Medians of {repeats} run(s) each; {len(runs.floor_lines)} distinct import set(s) "
                     f"measured as floors.")
    return sec


def slowest_cells(mine: list[kernels.KernelRun], floor_kernel: float) -> list[str]:
    """The cells that take the most time (median over the repeats), against the floor's budget."""
    by_index: dict[int, list[float]] = {}
    first_line: dict[int, str] = {}
    for run in mine:
        for cell in run.cells:
            by_index.setdefault(cell["index"], []).append(cell["seconds"])
            first_line[cell["index"]] = cell["first_line"]
    kernel = median(r.kernel_seconds for r in mine)
    budget = floor_kernel * GOALS["execution"]
    ranked = sorted(((median(v), i) for i, v in by_index.items()), reverse=True)
    cells, rest = ranked[:SLOWEST_CELLS], ranked[SLOWEST_CELLS:]
    lines = [f"{secs(kernel)} against a budget of {secs(budget)}"]
    lines += [f"cell {i} {secs(s)} `{first_line[i][:40]}`" for s, i in cells]
    if rest:  # many small cells add up: each costs a message round trip
        lines.append(f"{len(rest)} other cells {secs(sum(s for s, _ in rest))}")
    return lines
