"""Run one notebook in a fresh kernel with nbclient and measure it.

Kernel time is from the first cell sent to the last cell done: kernel start-up is the same for a
notebook and its floor, so leaving it out keeps the ratio about what the notebook itself costs.
Total time adds the start-up (what a student waits for after Restart & Run All). The kernel's CPU
time over the same cells is read too: on a busy machine it moves far less than wall time. Resident memory
(RSS, psutil) of the kernel process is read after every cell and once more at the end, with the
kernel still alive: the per-cell readings say which cell a missed memory goal comes from.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from nbclient import NotebookClient

KERNEL = "python3"
CELL_TIMEOUT = 300  # a notebook cell that needs longer is broken, not slow


@dataclass
class KernelRun:
    kernel_seconds: float                 # first cell sent -> last cell done
    total_seconds: float                  # kernel start -> last cell done
    startup_seconds: float
    cpu_seconds: float                    # the kernel's CPU time (user + system) over the cells
    rss: int                              # bytes, after the last cell
    cells: list[dict] = field(default_factory=list)  # {"index", "seconds", "rss", "first_line"}


def kernel_env() -> dict:
    # The same settings for every run: no debugpy frozen-module warnings on the kernel's stderr.
    return dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")


def run(nb, cwd: Path, timeout: int = CELL_TIMEOUT) -> KernelRun:
    """Execute every code cell of ``nb`` (a NotebookNode, changed in place) with cwd ``cwd``.

    Raises nbclient's CellExecutionError if a cell fails: a failing notebook has no honest timing.
    """
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, allow_errors=False,
                            record_timing=False, resources={"metadata": {"path": str(cwd)}})
    started = time.perf_counter()
    with client.setup_kernel(env=kernel_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        # setup_kernel waits for the kernel to answer kernel_info: it is ready from here on.
        ready = time.perf_counter()
        kernel = psutil.Process(client.km.provisioner.pid)
        cpu_ready = _cpu(kernel)
        cells = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index, execution_count=len(cells) + 1)
            cells.append({"index": index, "seconds": time.perf_counter() - t0,
                          "rss": _rss(kernel), "first_line": _first_line(cell.source)})
        done = time.perf_counter()
        cpu = _cpu(kernel) - cpu_ready
        rss = _rss(kernel)
    return KernelRun(kernel_seconds=done - ready, total_seconds=done - started,
                     startup_seconds=ready - started, cpu_seconds=cpu, rss=rss, cells=cells)


def _cpu(process: psutil.Process) -> float:
    # CPU time hardly moves with the machine's load, wall time does: shown beside it so a reader
    # can tell a busy machine from a slow notebook.
    times = process.cpu_times()
    return times.user + times.system


def _rss(process: psutil.Process) -> int:
    # The kernel is one process (ipykernel starts no children); its children are counted anyway
    # in case a notebook starts one (e.g. a multiprocessing pool would be the notebook's cost).
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:70]
    return source.strip().splitlines()[0][:70] if source.strip() else ""
