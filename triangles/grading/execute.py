"""Run a rebuilt notebook in a fresh kernel, cell by cell, with a per-cell timeout.

nbclient's own interrupt-on-timeout waits again for the same cell forever if the code ignores
KeyboardInterrupt, so cells are driven one at a time here: a timed-out cell is interrupted and the
run goes on (later answers can still be judged); if the next cell times out too without anything
finishing in between, the kernel is stuck and the run stops. A dead kernel stops the run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

KERNEL_NAME = "python3"


@dataclass
class Execution:
    cells: list                                  # executed cells (with outputs)
    stopped_at: int | None = None                # first cell that did not run, None if all ran
    events: list[dict] = field(default_factory=list)   # {"kind": "timeout"|"kernel-died", "cell": i}
    errors: list[dict] = field(default_factory=list)   # exceptions raised by cells (normal for students)
    seconds: float = 0.0


class KernelStartError(RuntimeError):
    """The kernel could not even start: a grader/environment problem, not the student's."""


@contextmanager
def scratch_copy(folder: Path):
    """A throw-away working directory holding copies of the files beside the master (data etc.),
    so a submission can neither see another's files nor write into the course."""
    with tempfile.TemporaryDirectory(prefix="triangles-grade-") as tmp:
        for path in Path(folder).iterdir():
            if path.suffix == ".ipynb" or path.name in (".ipynb_checkpoints", "__pycache__"):
                continue
            target = Path(tmp) / path.name
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                shutil.copy2(path, target)
        yield tmp


def run(nb: dict, cwd: str, timeout: float, kernel_name: str = KERNEL_NAME) -> Execution:
    node = nbformat.from_dict(nb)
    client = NotebookClient(node, timeout=max(1, int(round(timeout))), kernel_name=kernel_name,
                            allow_errors=True, interrupt_on_timeout=False, record_timing=False,
                            shutdown_kernel="immediate",  # nothing to save; a stuck kernel would add 5 s
                            resources={"metadata": {"path": cwd}})
    started = time.monotonic()
    result = Execution(cells=node.cells)
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1", MPLBACKEND="Agg")
    try:
        # The kernel's own stdout/stderr (and anything a student writes to fd 2) must not land on
        # the instructor's terminal in the middle of the progress bar.
        context = client.setup_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        context.__enter__()
    except Exception as exc:
        raise KernelStartError(f"kernel {kernel_name!r} did not start: {type(exc).__name__}: {exc}") from exc
    try:
        _drive(client, node, result)
    finally:
        context.__exit__(None, None, None)
    result.seconds = time.monotonic() - started
    return result


def _drive(client: NotebookClient, node, result: Execution) -> None:
    stuck_suspect = False
    for index, cell in enumerate(node.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            result.events.append({"kind": "timeout", "cell": index})
            if stuck_suspect:  # interrupted before and still nothing finished: give up
                result.stopped_at = index
                return
            stuck_suspect = True
            run_sync(_interrupt)(client)
            continue
        except DeadKernelError:
            result.events.append({"kind": "kernel-died", "cell": index})
            result.stopped_at = index
            return
        stuck_suspect = False
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                result.errors.append({"cell": index, "ename": str(out.get("ename"))[:80],
                                      "evalue": str(out.get("evalue"))[:200]})
        if "triangles_grader" not in cell.metadata:
            cell.outputs = []  # only export cells' outputs are read; don't hold plots and prints


async def _interrupt(client: NotebookClient) -> None:
    # nbclient leaves the timed-out cell's iopub reader running; it would consume (and drop) the
    # next cells' outputs - export records included - so stop it before going on.
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task() and \
                getattr(task.get_coro(), "__qualname__", "").endswith("_async_poll_output_msg"):
            task.cancel()
    await ensure_async(client.km.interrupt_kernel())
