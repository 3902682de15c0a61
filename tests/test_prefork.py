"""Kernels forked from the zygote (triangles.prefork) behave like stock kernels, start warm, and
never make a kernel start fail."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from jupyter_client import AsyncKernelManager
from jupyter_client.provisioning import KernelProvisionerFactory

from triangles import prefork

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and /proc: Linux")


@pytest.fixture(scope="module", autouse=True)
def short_runtime_dir():
    """A short runtime folder (IPC socket paths must stay under ~107 bytes), and a fresh zygote."""
    runtime = tempfile.mkdtemp(prefix="pft-")
    old_env = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    factory = KernelProvisionerFactory.instance()
    old_default = factory.default_provisioner_name
    prefork.Zygote._current = None
    yield runtime
    if prefork.Zygote._current is not None:
        prefork.Zygote._current.stop()
    prefork.Zygote._current = None
    factory.default_provisioner_name = old_default
    if old_env is None:
        os.environ.pop("JUPYTER_RUNTIME_DIR", None)
    else:
        os.environ["JUPYTER_RUNTIME_DIR"] = old_env
    shutil.rmtree(runtime, ignore_errors=True)


async def execute(client, code: str, timeout: float = 30) -> str:
    """Run code; return its printed text, plus 'ERROR:<name>' if it raised."""
    msg_id = client.execute(code)
    out = []
    while True:
        msg = await client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            out.append(f"ERROR:{content['ename']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


async def start(provisioner: str, transport: str = "tcp", **kwargs):
    KernelProvisionerFactory.instance().default_provisioner_name = provisioner
    manager = AsyncKernelManager(kernel_name="python3", transport=transport)
    await manager.start_kernel(**kwargs)
    client = manager.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    return manager, client


async def stop(manager, client) -> int:
    pid = manager.provisioner.pid
    client.stop_channels()
    await manager.shutdown_kernel()
    return pid


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if prefork._exit_code_from_proc(pid) is not None:
            return True
        time.sleep(0.05)
    return False


PROBE = ("import sys, os; print(sorted(m for m in ('pandas', 'numpy', 'ipywidgets', 'triangles') "
         "if m in sys.modules), os.environ.get('PREFORK_PROBE'), os.getcwd(), sys.path)")


def test_forked_kernel_starts_warm_and_sees_its_own_env_cwd_and_path(tmp_path):
    extra = tmp_path / "pulled"
    (extra / "pulledmod").mkdir(parents=True)
    (extra / "pulledmod" / "__init__.py").write_text("WHERE = 'pulled copy'\n")
    env = {**os.environ, "PREFORK_PROBE": "yes", "PYTHONPATH": str(extra)}

    async def scenario():
        results = {}
        for name in ("local-provisioner", "triangles-prefork"):
            manager, client = await start(name, env=env, cwd=str(tmp_path))
            results[name] = (type(manager.provisioner).__name__, getattr(manager.provisioner, "forked", False),
                             await execute(client, PROBE),
                             await execute(client, "import pulledmod; print(pulledmod.WHERE)"))
            await stop(manager, client)
        return results

    results = asyncio.run(scenario())
    kind, forked, probe, pulled = results["triangles-prefork"]
    assert (kind, forked) == ("PreforkProvisioner", True)
    assert probe.startswith("['ipywidgets', 'numpy', 'pandas'] yes " + str(tmp_path))
    assert pulled == "pulled copy\n"
    stock_probe = results["local-provisioner"][2]
    assert stock_probe.startswith("[] yes ")
    # The same sys.path as a stock kernel, the student's PYTHONPATH first.
    assert probe.split(" ", 4)[-1] == stock_probe.split(" ", 2)[-1]


def test_interrupt_restart_and_shutdown_over_ipc():
    async def scenario():
        manager, client = await start("triangles-prefork", transport="ipc")
        assert manager.provisioner.forked
        first_pid = manager.provisioner.pid
        await execute(client, "kept = 1")
        loop = asyncio.ensure_future(execute(client, "while True: pass"))
        await asyncio.sleep(1.0)
        await manager.interrupt_kernel()
        interrupted = await asyncio.wait_for(loop, 20)
        after = await execute(client, "print(kept)")
        await manager.restart_kernel(now=True)
        await client.wait_for_ready(timeout=60)
        second_pid = manager.provisioner.pid
        after_restart = await execute(client, "print('kept' in dir())")
        last_pid = await stop(manager, client)
        return first_pid, interrupted, after, second_pid, after_restart, last_pid, manager.has_kernel

    first_pid, interrupted, after, second_pid, after_restart, last_pid, has_kernel = asyncio.run(scenario())
    assert "ERROR:KeyboardInterrupt" in interrupted
    assert after == "1\n"
    assert second_pid != first_pid and gone(first_pid)
    assert after_restart == "False\n"
    assert last_pid == second_pid and gone(second_pid)
    assert not has_kernel


def test_two_forked_kernels_are_independent():
    async def scenario():
        one, one_client = await start("triangles-prefork")
        two, two_client = await start("triangles-prefork")
        await execute(one_client, "secret = 42")
        seen = await execute(two_client, "print('secret' in dir())")
        draws = [await execute(c, "import numpy; print(numpy.random.random())") for c in (one_client, two_client)]
        pids = (one.provisioner.pid, two.provisioner.pid)
        await stop(one, one_client)
        await stop(two, two_client)
        return seen, draws, pids, (one.provisioner, two.provisioner)

    seen, draws, pids, provisioners = asyncio.run(scenario())
    assert seen == "False\n"
    assert draws[0] != draws[1]  # numpy's global generator is reseeded in every kernel
    assert pids[0] != pids[1] and all(gone(pid) for pid in pids)


def test_falls_back_to_a_stock_launch_when_the_zygote_is_unavailable(monkeypatch):
    broken = prefork.Zygote("/nonexistent-folder/zygote.sock")  # the zygote cannot bind: it exits
    monkeypatch.setattr(prefork.Zygote, "_current", broken)

    async def scenario():
        manager, client = await start("triangles-prefork")
        forked = manager.provisioner.forked
        printed = await execute(client, "import sys; print('pandas' in sys.modules, 1 + 1)")
        pid = await stop(manager, client)
        return forked, printed, pid

    forked, printed, pid = asyncio.run(scenario())
    assert broken.process is not None and broken.process.wait(30) != 0
    assert not forked
    assert printed == "False 2\n"
    assert gone(pid)


def test_only_this_interpreters_stock_launcher_is_forked():
    assert prefork.is_stock_ipykernel([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"])
    assert not prefork.is_stock_ipykernel(["/usr/bin/python3-other", "-m", "ipykernel_launcher", "-f", "c.json"])
    assert not prefork.is_stock_ipykernel([sys.executable, "-m", "ipykernel", "-f", "c.json"])
    assert not prefork.is_stock_ipykernel(["julia", "-i", "kernel.jl"])


def test_zygote_preloads_start_no_thread_and_no_zmq_context():
    # (that the zygote leaves `triangles` unimported is checked in a real forked kernel above)
    code = ("import importlib, threading, zmq\n"
            f"for name in {prefork.PRELOADED_MODULES!r}: importlib.import_module(name)\n"
            "print(threading.active_count(), zmq.Context._instance)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir(), env={**os.environ, "PYTHONPATH": ""})
    assert out.stdout.split() == ["1", "None"]


def test_zygote_exits_with_its_server(tmp_path):
    server = ("import sys, time; sys.path.insert(0, sys.argv[1]); from triangles import prefork;"
              "z = prefork.Zygote(sys.argv[2]); z.start(); print(z.process.pid, flush=True); time.sleep(60)")
    repo = str(Path(prefork.__file__).resolve().parents[1])
    sock = tempfile.mktemp(prefix="pfz-", suffix=".sock")
    proc = subprocess.Popen([sys.executable, "-c", server, repo, sock], stdout=subprocess.PIPE, text=True)
    try:
        zygote_pid = int(proc.stdout.readline())
        deadline = time.monotonic() + 30
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.exists(sock), "the zygote never listened"
        assert prefork._exit_code_from_proc(zygote_pid) is None
    finally:
        proc.kill()
        proc.wait()
    assert gone(zygote_pid, within=10)
    assert not os.path.exists(sock)
