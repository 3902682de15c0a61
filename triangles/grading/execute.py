"""Run a rebuilt notebook in a fresh sandboxed kernel (sandbox.py), cell by cell, with a per-cell
timeout and a cap on each cell's output.

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
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import zmq
from nbclient import NotebookClient
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .sandbox import Sandbox, SandboxedKernelManager, make_scratch

KERNEL_NAME = "python3"


@dataclass
class Execution:
    cells: list                                  # executed cells (with outputs)
    stopped_at: int | None = None                # first cell that did not run, None if all ran
    events: list[dict] = field(default_factory=list)   # {"kind": "timeout"|"kernel-died", "cell": i}
    errors: list[dict] = field(default_factory=list)   # exceptions raised by cells (normal for students)
    output_dropped: dict[int, int] = field(default_factory=dict)  # cell -> bytes past the output cap
    seconds: float = 0.0


class KernelStartError(RuntimeError):
    """The kernel could not even start: a grader/environment problem, not the student's."""


def copy_beside_master(folder: Path, target: Path) -> None:
    """Copies of the files beside the master (data etc.) into the kernel's working folder. The
    master folder is the instructor's, but a link in it is still not followed out of it."""
    for path in Path(folder).iterdir():
        if path.suffix == ".ipynb" or path.name in (".ipynb_checkpoints", "__pycache__") or path.is_symlink():
            continue
        if path.is_dir():
            shutil.copytree(path, target / path.name, symlinks=True)
        elif path.is_file():
            shutil.copy2(path, target / path.name)


class CappedClient(NotebookClient):
    """nbclient with a cap on what one cell may print: past ``output_cap`` bytes, outputs are dropped
    (and counted) instead of piling up in the grader's memory."""

    def __init__(self, *args, output_cap: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_cap = output_cap
        self.output_seen: dict[int, int] = {}
        self.output_dropped: dict[int, int] = {}

    def output(self, outs, msg, display_id, cell_index):
        if self.output_cap:
            size = _size(msg.get("content", {}))
            seen = self.output_seen.get(cell_index, 0) + size
            self.output_seen[cell_index] = seen
            if seen > self.output_cap:
                self.output_dropped[cell_index] = self.output_dropped.get(cell_index, 0) + size
                return None
        return super().output(outs, msg, display_id, cell_index)


def _size(content: dict) -> int:
    total = len(content.get("text") or "") if isinstance(content.get("text"), str) else 0
    data = content.get("data")
    if isinstance(data, dict):
        total += sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())
    total += sum(len(line) for line in content.get("traceback") or [] if isinstance(line, str))
    return total + 100


def run(nb: dict, folder: Path, timeout: float, sandbox: Sandbox, budget: float | None = None,
        kernel_name: str = KERNEL_NAME) -> Execution:
    """Run ``nb`` in a fresh kernel inside ``sandbox``, working in a private scratch folder that
    holds copies of the files beside the master in ``folder``; the scratch folder is removed after.
    ``timeout`` caps each cell, ``budget`` (if given) the whole notebook."""
    scratch = make_scratch()
    km = None
    try:
        copy_beside_master(folder, scratch / "work")
        km = SandboxedKernelManager(sandbox=sandbox, scratch=scratch, kernel_name=kernel_name)
        cap = int(sandbox.limits.output_mb * 2**20)
        if cap:  # one oversized message must not reach the grader's memory either
            km.context.setsockopt(zmq.MAXMSGSIZE, max(cap, 16 * 2**20) * 2)
        return _run(nb, km, scratch, timeout, budget, cap, kernel_name)
    finally:
        if km is not None:
            km.release()
        shutil.rmtree(scratch, ignore_errors=True)


def _run(nb: dict, km: SandboxedKernelManager, scratch: Path, timeout: float, budget: float | None, cap: int,
         kernel_name: str) -> Execution:
    node = nbformat.from_dict(nb)
    client = CappedClient(node, km=km, timeout=max(1, int(round(timeout))), kernel_name=kernel_name,
                          allow_errors=True, interrupt_on_timeout=False, record_timing=False,
                          shutdown_kernel="immediate",  # nothing to save; a stuck kernel would add 5 s
                          resources={"metadata": {"path": str(scratch / "work")}}, output_cap=cap)
    started = time.monotonic()
    result = Execution(cells=node.cells)
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1", MPLBACKEND="Agg")  # unsandboxed only
    try:
        # The kernel's own stdout/stderr (and anything a student writes to fd 2) must not land on
        # the instructor's terminal in the middle of the progress bar.
        context = client.setup_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        context.__enter__()
    except Exception as exc:
        raise KernelStartError(f"kernel {kernel_name!r} did not start: {type(exc).__name__}: {exc}") from exc
    try:
        _drive(client, node, result, budget)
    finally:
        context.__exit__(None, None, None)
    for event in result.events:
        if event["kind"] == "kernel-died" and km.out_of_memory():
            event["why"] = f"out of memory (the cap is {km.sandbox_config.limits.memory_mb} MB)"
    result.output_dropped = dict(client.output_dropped)
    result.seconds = time.monotonic() - started
    return result


def _drive(client: NotebookClient, node, result: Execution, budget: float | None = None) -> None:
    """Run the cells; ``budget`` (seconds) caps the whole notebook, so that cells a student added
    cannot each take nearly the per-cell timeout."""
    stuck_suspect = False
    per_cell, deadline = client.timeout, time.monotonic() + budget if budget else None
    for index, cell in enumerate(node.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if deadline is not None:
            left = deadline - time.monotonic()
            if left < 1:
                result.events.append({"kind": "timeout", "cell": index,
                                      "why": f"the notebook used up its {budget:g}s in all"})
                result.stopped_at = index
                return
            client.timeout = max(1, int(min(per_cell, left)))
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            if client.timeout < per_cell:  # cut short by the notebook's budget, not its own timeout
                result.events.append({"kind": "timeout", "cell": index,
                                      "why": f"the notebook used up its {budget:g}s in all"})
                result.stopped_at = index
                return
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
