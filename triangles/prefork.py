"""Pre-forked IPython kernels for a hub: a kernel starts as a fork of a process that has already
imported the heavy third-party modules, so a class that opens its notebooks at once does not pay
for importing IPython, pandas, numpy and ipywidgets thirty times over on a few cores.

Two halves:

* **The zygote**, one per Jupyter server: a small Python process that imports
  ``ipykernel.kernelapp``, numpy, pandas, ipywidgets and comm (creating no zmq context, Python
  thread or event loop), then listens on a Unix socket in the server's runtime folder. Per request it forks;
  the child becomes a kernel exactly as ``python -m ipykernel_launcher ARGS`` would, with the
  environment, working folder and arguments of the request. It does not import ``triangles``: on a
  hub, kernels must import the copy of the package the student pulled (``PYTHONPATH``).
* **PreforkProvisioner**, a kernel provisioner (entry point ``triangles-prefork``) that asks the
  zygote for the kernel when the kernelspec is this interpreter's stock ipykernel launcher, and
  otherwise, or on any error, launches the kernel the usual way: the zygote can make a kernel start
  faster, never make it fail.

Enable it with ``--KernelProvisionerFactory.default_provisioner_name=triangles-prefork``: the first
kernel then starts the zygote (and waits for it) and later kernels are forked at once. The server
extension ``triangles.prefork`` (``--ServerApp.jpserver_extensions triangles.prefork=True``) starts
the zygote with the server instead; on a machine busy starting a whole class, that slows the
servers' own start-up more than it speeds the first kernel (course/README.md, section 4.4). The
zygote exits when its server does.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import importlib
import importlib.util
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Float

PRELOADED_MODULES = ("ipykernel.kernelapp", "numpy", "pandas", "ipywidgets", "comm")
LAUNCHER_MODULE = "ipykernel_launcher"
MAX_SOCKET_PATH = 100  # bytes; sun_path holds 108 on Linux, fewer elsewhere
MAX_REQUEST = 4 * 2**20
PARENT_CHECK_SECONDS = 1.0

# The zygote is this file run under another module name, so that `triangles` is never imported in it.
_BOOT = ("import importlib.util as u,sys;"
         "s=u.spec_from_file_location('_triangles_prefork_zygote',sys.argv[1]);"
         "m=u.module_from_spec(s);s.loader.exec_module(m);m.zygote_main(sys.argv[2],int(sys.argv[3]))")


# ----------------------------------------------------------------------------------------------
# The zygote process


def zygote_main(socket_path: str, server_pid: int) -> None:
    """Import the heavy modules, serve fork requests until the server goes, then (in a forked
    child only) become the kernel."""
    # Python >= 3.12 warns about fork() in a process with threads; the only other thread here is
    # OpenBLAS's worker pool, which OpenBLAS itself re-creates in a forked child.
    warnings.filterwarnings("ignore", r"This process .* is multi-threaded", DeprecationWarning)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; IPython puts the kernel's cwd back
    for name in PRELOADED_MODULES:
        importlib.import_module(name)
    # What is imported lives as long as any kernel: moved out of the collector's sight, a kernel's
    # collections neither walk it nor write to its pages (which would copy them out of the zygote).
    gc.collect()
    gc.freeze()
    request = _serve(socket_path, server_pid, os.environ.get("PYTHONPATH", ""))
    if request is not None:  # only in a forked child
        _run_kernel(request)


def _serve(socket_path: str, server_pid: int, zygote_pythonpath: str) -> dict | None:
    """Answer requests on the socket. Returns in a forked child (its request), never in the zygote."""
    exit_codes: dict[int, int] = {}
    zygote_pid = os.getpid()

    def reap(*_: Any) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            exit_codes[pid] = os.waitstatus_to_exitcode(status)

    def stop(*_: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o077)  # only this user may ask for a kernel
    try:
        listener.bind(socket_path)
    finally:
        os.umask(old_umask)
    listener.listen(64)
    listener.settimeout(PARENT_CHECK_SECONDS)
    try:
        while os.getppid() == server_pid:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                try:
                    request = _receive(conn)
                    if _peer_uid(conn) != os.getuid():
                        raise PermissionError("request from another user")
                    if request.get("op") == "spawn":
                        sys.stdout.flush()
                        sys.stderr.flush()
                        pid = os.fork()
                        if pid == 0:
                            listener.close()
                            request["zygote_pythonpath"] = zygote_pythonpath
                            return request
                        exit_codes.pop(pid, None)
                        reply: dict = {"pid": pid}
                    elif request.get("op") == "status":
                        pid = int(request["pid"])
                        reply = {"exited": pid in exit_codes, "code": exit_codes.get(pid)}
                    else:
                        reply = {"pid": zygote_pid}
                except Exception as error:  # a bad request must not take the zygote down
                    reply = {"error": f"{type(error).__name__}: {error}"}
                try:
                    conn.sendall(json.dumps(reply).encode() + b"\n")
                except OSError:
                    pass
    finally:
        if os.getpid() == zygote_pid:
            listener.close()
            try:
                os.unlink(socket_path)
            except OSError:
                pass
    return None


def _receive(conn: socket.socket) -> dict:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise ValueError("request too large")
    return json.loads(data)


def _peer_uid(conn: socket.socket) -> int:
    if not hasattr(socket, "SO_PEERCRED"):
        return os.getuid()  # the socket's 0600 mode in a private folder still guards it
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _run_kernel(request: dict) -> None:
    """In the forked child: become `python -m ipykernel_launcher ARGV` with the request's env and cwd."""
    os.setsid()  # its own process group, like a stock kernel, so that interrupts reach it alone
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    env = request["env"]
    os.environ.clear()
    os.environ.update(env)
    _apply_environment_side_effects()
    os.chdir(request["cwd"])
    _replace_pythonpath(request["zygote_pythonpath"], env.get("PYTHONPATH", ""))
    importlib.invalidate_caches()
    import numpy.random

    numpy.random.seed()  # else every kernel would draw numpy's global random numbers the zygote drew

    argv = list(request["argv"])
    if env.get("JPY_PARENT_PID"):
        # The kernel exits when its launcher goes away. Its launcher is now the zygote (which exits
        # with the server); the inherited default was read from the zygote's own environment.
        argv.append(f"--IPKernelApp.parent_handle={os.getppid()}")
    launcher = importlib.util.find_spec(LAUNCHER_MODULE)
    sys.argv = [launcher.origin if launcher else LAUNCHER_MODULE, *argv]

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(argv)
    # ipywidgets registers its comm targets when imported inside a kernel; it was imported before
    # there was one.
    import ipywidgets

    ipywidgets.register_comm_target()
    app.start()


def _apply_environment_side_effects() -> None:
    """What a fresh interpreter derives from its environment at start-up."""
    import locale
    import time

    if hasattr(time, "tzset"):
        time.tzset()
    try:
        locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        pass


def _replace_pythonpath(old: str, new: str) -> None:
    old_entries = {os.path.abspath(p) for p in old.split(os.pathsep) if p}
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) not in old_entries]
    sys.path[0:0] = [p for p in new.split(os.pathsep) if p]


# ----------------------------------------------------------------------------------------------
# The server side


class Zygote:
    """The zygote of this server process: started once, restarted if it died."""

    _current: Zygote | None = None

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.owner_pid = os.getpid()
        self.process: subprocess.Popen | None = None

    @classmethod
    def for_this_server(cls) -> Zygote:
        if cls._current is None or cls._current.owner_pid != os.getpid():
            cls._current = cls(_socket_path())
            atexit.register(cls._current.stop)
        return cls._current

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the zygote unless it runs. Returns at once; it is ready when it answers."""
        if self.running:
            return
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, __file__, self.socket_path, str(os.getpid())],
            stdin=subprocess.DEVNULL, start_new_session=True, close_fds=True)

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    async def request(self, message: dict, timeout: float) -> dict:
        async def ask() -> dict:
            reader, writer = await asyncio.open_unix_connection(self.socket_path, limit=MAX_REQUEST)
            try:
                writer.write(json.dumps(message).encode() + b"\n")
                await writer.drain()
                reply = json.loads(await reader.readline())
            finally:
                writer.close()
            if "error" in reply:
                raise RuntimeError(f"zygote: {reply['error']}")
            return reply

        return await asyncio.wait_for(ask(), timeout)

    async def ready(self, timeout: float) -> None:
        """Start the zygote if needed and wait until it answers."""
        self.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                await self.request({"op": "ping"}, timeout=max(0.1, deadline - loop.time()))
                return
            except (OSError, asyncio.TimeoutError, ValueError):
                if not self.running:
                    raise RuntimeError(f"the zygote exited with code {self.process.poll()}") from None
                if loop.time() >= deadline:
                    raise TimeoutError(f"the zygote did not answer within {timeout:g} s") from None
                await asyncio.sleep(0.1)

    async def spawn(self, argv: list[str], env: dict[str, str], cwd: str, timeout: float) -> int:
        await self.ready(timeout)
        reply = await self.request({"op": "spawn", "argv": argv, "env": env, "cwd": cwd}, timeout=10)
        return int(reply["pid"])

    async def exit_code(self, pid: int) -> int | None:
        """The kernel's exit code, or None while it runs (asks the zygote, else /proc)."""
        try:
            reply = await self.request({"op": "status", "pid": pid}, timeout=2)
            if reply["exited"]:
                return reply["code"]
        except (OSError, asyncio.TimeoutError, ValueError, RuntimeError):
            pass
        return _exit_code_from_proc(pid)


def _exit_code_from_proc(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return -1  # gone, reaped by the zygote (or by init if the zygote is gone): code unknown
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return -1
        return None
    return -1 if stat.rpartition(")")[2].split()[0] in ("Z", "X") else None


def _socket_path() -> str:
    from jupyter_core.paths import jupyter_runtime_dir

    name = f"prefork-{os.getpid()}.sock"
    runtime = Path(jupyter_runtime_dir())
    if len(os.fsencode(str(runtime / name))) < MAX_SOCKET_PATH:
        runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        return str(runtime / name)
    return str(Path(tempfile.mkdtemp(prefix="pf-")) / name)  # a private 0700 folder


def is_stock_ipykernel(cmd: list[str]) -> bool:
    """The command a stock kernelspec of this interpreter runs: python -m ipykernel_launcher ..."""
    return (len(cmd) >= 3 and cmd[1:3] == ["-m", LAUNCHER_MODULE]
            and os.path.abspath(cmd[0]) == os.path.abspath(sys.executable))


class PreforkProvisioner(LocalProvisioner):
    """A LocalProvisioner that forks stock ipykernels from the server's zygote when it can."""

    zygote_timeout = Float(60.0, config=True,
                           help="Seconds to wait for the zygote before starting the kernel the usual way.")

    forked = False
    exit_code: int | None = None

    @property
    def has_process(self) -> bool:
        return self.forked or super().has_process

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        self.forked, self.exit_code, self.process = False, None, None
        plain = all(kwargs.get(k) is None for k in ("stdin", "stdout", "stderr")) and not kwargs.get("independent")
        if plain and is_stock_ipykernel(cmd):
            env = dict(kwargs.get("env") or os.environ)
            # What jupyter_client's launcher adds to a kernel's environment on POSIX.
            env.setdefault("JPY_PARENT_PID", str(os.getpid()))
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid = await Zygote.for_this_server().spawn(cmd[3:], env, cwd, self.zygote_timeout)
            except Exception as error:
                self.log.warning("triangles-prefork: %s; starting the kernel the usual way", error)
            else:
                self.forked, self.pid, self.pgid, self.cwd = True, pid, pid, cwd
                self.log.info("triangles-prefork: kernel %s forked from the zygote", pid)
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    async def poll(self) -> int | None:
        if not self.forked:
            return await super().poll()
        if self.exit_code is None:
            self.exit_code = await Zygote.for_this_server().exit_code(self.pid)
        return self.exit_code

    async def wait(self) -> int | None:
        if not self.forked:
            return await super().wait()
        while (code := await self.poll()) is None:
            await asyncio.sleep(0.1)
        self.forked = False
        return code

    async def send_signal(self, signum: int) -> None:
        if not self.forked:
            return await super().send_signal(signum)
        if await self.poll() is not None:
            return  # gone; its pid may already belong to someone else
        try:
            os.killpg(self.pgid, signum)
        except ProcessLookupError:
            pass
        except OSError:
            os.kill(self.pid, signum)

    async def kill(self, restart: bool = False) -> None:
        if not self.forked:
            return await super().kill(restart)
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        if not self.forked:
            return await super().terminate(restart)
        await self.send_signal(signal.SIGTERM)

    async def get_provisioner_info(self) -> dict:
        info = await super().get_provisioner_info()
        info["forked"] = self.forked
        return info

    async def load_provisioner_info(self, provisioner_info: dict) -> None:
        await super().load_provisioner_info(provisioner_info)
        self.forked = bool(provisioner_info.get("forked"))


# ----------------------------------------------------------------------------------------------
# The server extension: start the zygote with the server


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "triangles.prefork"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    try:
        zygote = Zygote.for_this_server()
        zygote.start()
    except Exception as error:  # kernels then start it, or start the usual way
        serverapp.log.warning("triangles-prefork: could not start the kernel zygote: %s", error)
    else:
        serverapp.log.info("triangles-prefork: kernel zygote starting (%s)", zygote.socket_path)
