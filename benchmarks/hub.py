"""A class on a real local JupyterHub: the harness the hub test uses, and the load test.

    python -m benchmarks hub                  30 students arrive at once (about 3-5 minutes on 2 cores)
    python -m benchmarks hub --students 5     a small class, for development on a shared machine
    python -m benchmarks hub --prewarm        start every server first (as an instructor would before
                                              class, through the API), then let the class work
    python -m benchmarks hub --arrival 120    students arrive evenly over two minutes, not all at once
    python -m benchmarks hub --all            the three runs above (all at once, --prewarm, --arrival 120),
                                              one table each (about 10 minutes for 30 students)

Everything runs on 127.0.0.1: the hub (``hub/local/jupyterhub_config.py``, dummy authenticator,
SimpleLocalProcessSpawner, this virtual environment), configurable-http-proxy from npm, and the
course served from a bare git repository on disk (``file://``), built with
``python -m triangles.course student-repo``. Each simulated student logs in through the REST API,
starts a server, pulls the course with nbgitpuller, runs notebook 00 and an exercise notebook in
kernels of their own, answers an exercise and saves, and moves the triangle explorer 20 times through
its public API (``set_state``). The report goes to stdout and into the hub section of
benchmarks/RESULTS.md (``--no-write`` leaves RESULTS.md alone); raw figures to benchmarks/runs/hub.json.

Every loop is bounded: a spawn, a pull, a cell each have a timeout, and a failure is counted, not retried.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from triangles.course import source_text
from triangles.student_repo import STUDENT_FOLDER

REPO = Path(__file__).resolve().parent.parent
HUB_CONFIG = REPO / "hub" / "local" / "jupyterhub_config.py"
VENV_BIN = Path(sys.executable).parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"
RAW = REPO / "benchmarks" / "runs" / "hub.json"
SECTION_BEGIN, SECTION_END = "<!-- hub-section -->", "<!-- /hub-section -->"

FOLDER = STUDENT_FOLDER  # where nbgitpuller puts the course in a student's home
START_NOTEBOOK = "notebooks/00-start-here.ipynb"
EXERCISE_NOTEBOOK = "notebooks/01-reading-the-article.ipynb"
SPAWN_TIMEOUT = 300.0
PULL_TIMEOUT = 180.0
CELL_TIMEOUT = 180.0
SLIDER_MOVES = 20
GOALS = {"failures": 0, "all_ready_s": 60.0, "cell_p95_s": 2.0}
ALL_ARRIVAL_S = 120.0  # --all's third run: a class trickling in over two minutes

# The slider cell: the explorers' public API only (state, set_state); prints one JSON line.
SLIDER_CELL = f"""
import json as _json, time as _time
from triangles.data import load_all
from triangles.widgets import TriangleExplorer
_explorer = TriangleExplorer(load_all().relations)  # as notebook 03 makes it
display(_explorer)
_picture = lambda: getattr(getattr(_explorer, "picture", None), "value", None)  # the live picture, if any
_times = []
for _i in range({SLIDER_MOVES}):
    _before = _picture()
    _value = round(-0.95 + 0.1 * _i, 2)
    _start = _time.perf_counter()
    _explorer.set_state(us_cn=_value)
    _changed = _explorer.state["us_cn"] == _value and (_before is None or _picture() != _before)
    _times.append(_time.perf_counter() - _start if _changed else None)
print("SLIDER " + _json.dumps(_times))
"""


class HubError(Exception):
    """A piece of the hub is missing or failed; the message says which and why."""


def missing_pieces() -> list[str]:
    """What this machine lacks to run a local hub (empty when everything is there)."""
    missing = []
    if not shutil.which("configurable-http-proxy"):
        missing.append("configurable-http-proxy (npm install -g configurable-http-proxy)")
    for program in ("jupyterhub", "jupyterhub-singleuser"):
        if not (VENV_BIN / program).exists():
            missing.append(f"{program} in {VENV_BIN} (pip install -r requirements.txt)")
    if not shutil.which("git"):
        missing.append("git")
    return missing


# ---------------------------------------------------------------------------------------------
# the hub process


def _free_port_block(width: int = 3, attempts: int = 50) -> int:
    """A port p such that p .. p+width-1 are all free on 127.0.0.1."""
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + width > 65535:
            continue
        try:
            sockets = []
            for offset in range(width):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise HubError("no block of free ports on 127.0.0.1")


class LocalHub:
    """A JupyterHub on 127.0.0.1 in its own process group, with a service token for the classroom.

    Use as a context manager; ``stop`` ends the hub, the proxy, every user server and kernel."""

    def __init__(self, state: Path, spawn_limit: int = 100, user_nice: int = 5):
        self.state = Path(state)
        self.state.mkdir(parents=True, exist_ok=True)
        self.port = _free_port_block()
        self.token = secrets.token_hex(16)
        self.spawn_limit = spawn_limit
        self.user_nice = user_nice
        self.process: subprocess.Popen | None = None
        self.log_path = self.state / "hub.log"
        self.homes = self.state / "homes"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalHub:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 90.0) -> None:
        missing = missing_pieces()
        if missing:
            raise HubError("cannot start a local hub; missing: " + "; ".join(missing))
        env = dict(os.environ, TRIANGLES_HUB_DIR=str(self.state), TRIANGLES_HUB_PORT=str(self.port),
                   TRIANGLES_HUB_SERVICE_TOKEN=self.token, TRIANGLES_HUB_SPAWN_LIMIT=str(self.spawn_limit),
                   TRIANGLES_HUB_USER_NICE=str(self.user_nice),
                   PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        env.pop("JUPYTER_CONFIG_DIR", None)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "jupyterhub"), "-f", str(HUB_CONFIG)], cwd=self.state, env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"the hub exited with {self.process.returncode}; log:\n{self.log_tail()}")
            try:
                self.api("GET", "/hub/api/")
                return
            except (OSError, HubError):
                time.sleep(0.5)
        self.stop()
        raise HubError(f"the hub did not answer within {timeout:.0f} s; log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def user_processes(self) -> dict[str, list]:
        """Every process that belongs to a user's server (server and kernels), by user name."""
        import psutil

        found: dict[str, list] = {}
        for proc in psutil.process_iter(["pid"]):
            try:
                env = proc.environ()
            except (psutil.Error, OSError):
                continue
            if env.get("JUPYTERHUB_API_URL", "").startswith(f"http://127.0.0.1:{self.port + 1}/") and env.get(
                    "JUPYTERHUB_USER"):
                found.setdefault(env["JUPYTERHUB_USER"], []).append(proc)
        return found

    def stop(self) -> None:
        """SIGTERM the hub alone (it stops its services and the user servers itself; signalling the
        whole group at once leaves it waiting on an already-dead culler), then kill what is left."""
        import psutil

        if self.process is None:
            return
        leftovers = [p for procs in self.user_processes().values() for p in procs]
        try:
            leftovers += psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            pass
        try:
            self.process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        _, alive = psutil.wait_procs(leftovers, timeout=10)
        for proc in alive:
            for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
                try:
                    kill()
                    break
                except (ProcessLookupError, PermissionError, psutil.Error):
                    continue
        self.process = None
        # the students' short runtime folders (kernel sockets), named as hub/local/jupyterhub_config.py does
        digest = hashlib.sha1(str(self.state.resolve()).encode()).hexdigest()[:10]
        shutil.rmtree(Path(tempfile.gettempdir()) / f"gpt-rt-{digest}", ignore_errors=True)

    # ---- REST, synchronous (tests) and asynchronous (the load test)

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30.0) -> dict | None:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code == 409 and method == "POST":
                return None  # the user exists, or the server is already running
            raise HubError(f"{method} {path}: HTTP {exc.code} {exc.read().decode(errors='replace')[:300]}")
        return json.loads(text) if text.strip() else None


async def _request(hub: LocalHub, method: str, path: str, body=None, timeout: float = 60.0,
                   streaming_callback=None):
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError

    client = AsyncHTTPClient(max_clients=200)
    try:
        response = await client.fetch(
            hub.base + path, method=method, headers={"Authorization": f"token {hub.token}"},
            body=None if body is None else json.dumps(body), allow_nonstandard_methods=True,
            request_timeout=timeout, streaming_callback=streaming_callback)
    except HTTPClientError as exc:
        if exc.code == 409 and method == "POST":
            return None
        detail = exc.response.body.decode(errors="replace")[:300] if exc.response is not None else ""
        raise HubError(f"{method} {path}: HTTP {exc.code} {detail}") from None
    text = response.body.decode() if response.body else ""
    return json.loads(text) if text.strip() else None


def _event_stream():
    """A list that fills with the JSON events of a server-sent event stream, and the callback that
    fills it from the response's chunks (both the hub's progress and nbgitpuller's pull stream so)."""
    events: list[dict] = []
    buffer = bytearray()

    def on_chunk(chunk: bytes) -> None:
        buffer.extend(chunk)
        *complete, rest = bytes(buffer).split(b"\n\n")
        buffer[:] = rest
        for block in complete:
            for line in block.decode(errors="replace").splitlines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:].strip()))

    return events, on_chunk


# ---------------------------------------------------------------------------------------------
# a student


@dataclass
class CellRun:
    notebook: str
    index: int
    seconds: float
    error: str | None = None
    stdout: str = ""


@dataclass
class Student:
    hub: LocalHub
    name: str
    ready_s: float | None = None
    pulls: list[float] = field(default_factory=list)
    cells: list[CellRun] = field(default_factory=list)
    slider_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"/user/{self.name}"

    async def start_server(self, t0: float | None = None) -> float:
        """Create the user, start the server, wait until the hub says it is ready."""
        t0 = time.monotonic() if t0 is None else t0
        await _request(self.hub, "POST", f"/hub/api/users/{self.name}")
        deadline = time.monotonic() + SPAWN_TIMEOUT
        while True:  # 429 = concurrent_spawn_limit reached: wait and ask again, as the spawn page does
            try:
                await _request(self.hub, "POST", f"/hub/api/users/{self.name}/server")
                break
            except HubError as exc:
                if "HTTP 429" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(2.0)
        # Wait on the hub's progress stream, as the spawn-pending page does, rather than polling the
        # users API: thirty pollers at 2 Hz cost the hub more CPU than the spawns themselves.
        events, on_chunk = _event_stream()

        remaining = max(1.0, deadline - time.monotonic())
        await _request(self.hub, "GET", f"/hub/api/users/{self.name}/server/progress",
                       timeout=remaining, streaming_callback=on_chunk)
        if any(e.get("ready") for e in events):
            self.ready_s = time.monotonic() - t0
            return self.ready_s
        if any(e.get("failed") for e in events):
            raise HubError(f"{self.name}: the spawn failed: {events[-1].get('message', '')[:300]}")
        raise HubError(f"{self.name}: server not ready after {SPAWN_TIMEOUT:.0f} s")

    async def pull(self, repo: str, branch: str = "main") -> list[dict]:
        """nbgitpuller's API: stream the pull's events until it finishes; raise on an error."""
        events, on_chunk = _event_stream()

        query = urllib.parse.urlencode({"repo": repo, "branch": branch, "targetpath": FOLDER})
        started = time.monotonic()
        await _request(self.hub, "GET", f"{self.prefix}/git-pull/api?{query}", timeout=PULL_TIMEOUT,
                       streaming_callback=on_chunk)
        self.pulls.append(time.monotonic() - started)
        phases = [e.get("phase") for e in events]
        if "error" in phases or "finished" not in phases:
            text = " ".join(str(e.get("output") or e.get("message") or "") for e in events)[-500:]
            raise HubError(f"{self.name}: the pull did not finish ({phases[-3:]}): {text}")
        return events

    async def contents(self, path: str) -> dict:
        return await _request(self.hub, "GET", f"{self.prefix}/api/contents/{FOLDER}/{path}?content=1")

    async def save(self, path: str, notebook: dict) -> None:
        await _request(self.hub, "PUT", f"{self.prefix}/api/contents/{FOLDER}/{path}",
                       {"type": "notebook", "format": "json", "content": notebook})

    async def open_kernel(self, path: str) -> str:
        session = await _request(self.hub, "POST", f"{self.prefix}/api/sessions",
                                 {"path": f"{FOLDER}/{path}", "type": "notebook", "name": Path(path).name,
                                  "kernel": {"name": "python3"}})
        self.sessions.append(session["id"])
        return session["kernel"]["id"]

    async def run_code(self, kernel_id: str, codes: list[str], label: str) -> list[CellRun]:
        """Execute cells one after another over the kernel's websocket, as JupyterLab does."""
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        ws_url = self.hub.base.replace("http://", "ws://") + f"{self.prefix}/api/kernels/{kernel_id}/channels"
        request = HTTPRequest(f"{ws_url}?session_id={uuid.uuid4().hex}",
                              headers={"Authorization": f"token {self.hub.token}"},
                              connect_timeout=CELL_TIMEOUT, request_timeout=CELL_TIMEOUT)
        connection = await websocket_connect(request, max_message_size=64 * 2**20)
        session = uuid.uuid4().hex
        runs = []
        try:
            for index, code in enumerate(codes):
                msg_id = uuid.uuid4().hex
                connection.write_message(json.dumps({
                    "header": {"msg_id": msg_id, "username": self.name, "session": session,
                               "msg_type": "execute_request", "version": "5.3"},
                    "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                    "content": {"code": code, "silent": False, "store_history": True,
                                "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
                started = time.monotonic()
                run = CellRun(label, index, 0.0)
                idle = replied = False
                while not (idle and replied):
                    remaining = CELL_TIMEOUT - (time.monotonic() - started)
                    if remaining <= 0:
                        raise HubError(f"{self.name}: {label} cell {index} ran over {CELL_TIMEOUT:.0f} s")
                    message = await asyncio.wait_for(connection.read_message(), remaining)
                    if message is None:
                        raise HubError(f"{self.name}: the kernel's websocket closed in {label} cell {index}")
                    if isinstance(message, bytes):
                        continue  # a binary frame (widget buffers): not needed here
                    msg = json.loads(message)
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind, content = msg["header"]["msg_type"], msg.get("content", {})
                    if kind == "stream" and content.get("name") == "stdout":
                        run.stdout += content.get("text", "")
                    elif kind == "error":
                        run.error = f"{content.get('ename')}: {content.get('evalue')}"
                    elif kind == "status" and content.get("execution_state") == "idle":
                        idle = True
                    elif kind == "execute_reply":
                        replied = True
                        if content.get("status") == "error" and not run.error:
                            run.error = f"{content.get('ename')}: {content.get('evalue')}"
                run.seconds = time.monotonic() - started
                runs.append(run)
                if run.error:
                    break
        finally:
            connection.close()
        self.cells += runs
        return runs

    async def run_notebook(self, path: str) -> str:
        """Open the notebook in a kernel of its own and run every code cell; return the kernel's id."""
        notebook = (await self.contents(path))["content"]
        codes = [source_text(cell) for cell in notebook["cells"] if cell["cell_type"] == "code"]
        kernel_id = await self.open_kernel(path)
        runs = await self.run_code(kernel_id, codes, Path(path).stem)
        errors = [f"{r.notebook} cell {r.index}: {r.error}" for r in runs if r.error]
        if errors:
            raise HubError(f"{self.name}: " + "; ".join(errors))
        return kernel_id

    async def answer_first_exercise(self, path: str, answer_line: str) -> str:
        """Write ``answer_line`` into the notebook's first answer cell and save; return that cell's id."""
        notebook = (await self.contents(path))["content"]
        for cell in notebook["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution") and not meta.get("grade") and cell["cell_type"] == "code":
                cell["source"] = source_text(cell).replace("# YOUR CODE HERE", answer_line)
                if answer_line not in cell["source"]:
                    cell["source"] += "\n" + answer_line
                await self.save(path, notebook)
                return meta["grade_id"]
        raise HubError(f"{self.name}: {path} has no answer cell")

    async def move_slider(self, kernel_id: str) -> list[float]:
        """The triangle explorer moved 20 times from code in the given kernel; seconds per move."""
        runs = await self.run_code(kernel_id, [SLIDER_CELL], "slider")
        line = next((l for l in runs[0].stdout.splitlines() if l.startswith("SLIDER ")), None)
        if runs[0].error or line is None:
            raise HubError(f"{self.name}: the slider cell failed: {runs[0].error or runs[0].stdout[-300:]}")
        times = json.loads(line[len("SLIDER "):])
        if any(t is None for t in times):
            raise HubError(f"{self.name}: {times.count(None)} of {len(times)} moves did not change the picture")
        self.slider_s = times
        return times

    async def close_sessions(self) -> None:
        for session_id in self.sessions:
            await _request(self.hub, "DELETE", f"{self.prefix}/api/sessions/{session_id}")
        self.sessions.clear()


# ---------------------------------------------------------------------------------------------
# the course, served from a bare repository on disk


def serve_course(folder: Path, kit: Path = REPO) -> tuple[Path, Path]:
    """Build the student repository from the kit at ``kit`` and a bare clone of it (what students
    pull, via file://). Returns (the instructor's working repository, the bare repository)."""
    from triangles.student_repo import build_student_repo

    work, bare = Path(folder) / "student-work", Path(folder) / "student.git"
    build_student_repo(work, "The course, first release", source=kit)
    _git("clone", "-q", "--bare", str(work), str(bare))
    _git("-C", str(work), "remote", "add", "origin", str(bare))
    return work, bare


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True)
    if result.returncode:
        raise HubError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


# ---------------------------------------------------------------------------------------------
# the load test


async def _one_student(student: Student, repo: str, t0: float, prewarmed: bool, delay: float = 0.0) -> None:
    await asyncio.sleep(delay)
    try:
        if not prewarmed:  # each wait counts from the student's own arrival
            await student.start_server(t0 + delay)
        await student.pull(repo)
        await student.run_notebook(START_NOTEBOOK)
        kernel_id = await student.run_notebook(EXERCISE_NOTEBOOK)
        await student.answer_first_exercise(EXERCISE_NOTEBOOK, f"answer = 'from {student.name}'")
        await student.move_slider(kernel_id)
    except Exception as exc:  # any failure is one student's, counted and reported, never the run's end
        student.failures.append(f"{type(exc).__name__}: {exc}")


async def _spawn_all(students: list[Student], t0: float) -> None:
    async def spawn(student):
        try:
            await student.start_server(t0)
        except Exception as exc:  # counted as this student's failure
            student.failures.append(f"spawn: {type(exc).__name__}: {exc}")
    await asyncio.gather(*(spawn(s) for s in students))


def _cpu_seconds(proc) -> float:
    times = proc.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def usage_by_student(hub: LocalHub) -> dict[str, dict]:
    """Each student's server and kernels: resident, proportional and unique memory, and CPU seconds
    used so far (counted per process, so other work on the machine does not inflate it). Sizing uses
    the proportional set (PSS): pre-forked kernels share pages with their zygote, which RSS counts
    once per process, while a pod's memory cgroup is charged for them once."""
    import psutil

    out = {}
    for name, procs in hub.user_processes().items():
        rss = pss = uss = cpu = 0.0
        for proc in procs:
            try:
                info = proc.memory_full_info()
                rss, uss, cpu = rss + info.rss, uss + info.uss, cpu + _cpu_seconds(proc)
                pss += getattr(info, "pss", info.rss)  # Linux has PSS; elsewhere RSS (an upper bound)
            except psutil.Error:
                continue
        out[name] = {"rss": rss, "pss": pss, "uss": uss, "cpu_s": cpu, "processes": len(procs)}
    return out


def hub_usage(hub: LocalHub) -> dict:
    """The hub, the proxy and the culler: resident memory and CPU seconds."""
    import psutil

    students = {p.pid for procs in hub.user_processes().values() for p in procs}
    try:
        root = psutil.Process(hub.process.pid)
        procs = [root] + [p for p in root.children(recursive=True) if p.pid not in students]
        return {"rss": sum(p.memory_info().rss for p in procs), "cpu_s": sum(_cpu_seconds(p) for p in procs)}
    except psutil.Error:
        return {"rss": float("nan"), "cpu_s": float("nan")}


def run_class(students: int, prewarm: bool = False, spawn_limit: int = 100, keep: Path | None = None,
              kit: Path = REPO, arrival: float = 0.0, user_nice: int = 5) -> dict:
    import psutil

    base = Path(tempfile.mkdtemp(prefix="gpt-hub-load-")) if keep is None else Path(keep)
    _, bare = serve_course(base, kit)
    repo = f"file://{bare}"
    result: dict = {"students": students, "prewarm": prewarm, "spawn_limit": spawn_limit, "arrival_s": arrival, "user_nice": user_nice,
                    "load_before": os.getloadavg(), "cpus": os.cpu_count()}
    with LocalHub(base / "hub", spawn_limit=spawn_limit, user_nice=user_nice) as hub:
        class_ = [Student(hub, f"student{i:02d}") for i in range(1, students + 1)]
        cpu_before = psutil.cpu_times()
        t0 = time.monotonic()

        async def main():
            if prewarm:
                await _spawn_all(class_, t0)
            result["all_ready_s"] = max((s.ready_s for s in class_ if s.ready_s is not None), default=None)
            work_t0 = time.monotonic()
            await asyncio.gather(*(_one_student(s, repo, t0, prewarm, arrival * i / max(1, students - 1))
                                   for i, s in enumerate(class_) if not s.failures))
            result["work_s"] = time.monotonic() - work_t0
        asyncio.run(main())
        result["wall_s"] = time.monotonic() - t0
        cpu_after = psutil.cpu_times()
        result["cpu_busy_s"] = sum(getattr(cpu_after, f) - getattr(cpu_before, f)
                                   for f in ("user", "system", "nice"))
        if not prewarm:
            result["all_ready_s"] = max((s.ready_s for s in class_ if s.ready_s is not None), default=None)
        result["memory"] = usage_by_student(hub)
        result["hub"] = hub_usage(hub)
        result["host_used"] = psutil.virtual_memory().used
        result["per_student"] = [{"name": s.name, "ready_s": s.ready_s, "pull_s": s.pulls,
                                  "cells": [(c.notebook, c.index, c.seconds, c.error) for c in s.cells],
                                  "slider_s": s.slider_s, "failures": s.failures} for s in class_]
    if keep is None:
        shutil.rmtree(base, ignore_errors=True)
    return result


def summarize(result: dict) -> dict:
    from .common import median, percentile

    students = result["per_student"]
    cells = [c[2] for s in students for c in s["cells"] if c[0] != "slider"]
    slider = [t for s in students for t in s["slider_s"]]
    ready = [s["ready_s"] for s in students if s["ready_s"] is not None]
    memory = list(result["memory"].values())
    return {
        "students": result["students"],
        "failures": sum(1 for s in students if s["failures"]),
        "failure_texts": [f"{s['name']}: {f}" for s in students for f in s["failures"]][:10],
        "all_ready_s": result.get("all_ready_s"),
        "ready_median_s": median(ready),
        "cell_median_s": median(cells), "cell_p95_s": percentile(cells, 95),
        "cell_max_s": max(cells, default=float("nan")), "cells": len(cells),
        "slider_p95_ms": percentile(slider, 95) * 1000, "slider_median_ms": median(slider) * 1000,
        "slider_moves": len(slider),
        "student_rss_median": median(m["rss"] for m in memory),
        "student_rss_max": max((m["rss"] for m in memory), default=float("nan")),
        "student_uss_median": median(m["uss"] for m in memory),
        "student_pss_median": median(m.get("pss", m["rss"]) for m in memory),
        "students_total_rss": sum(m["rss"] for m in memory),
        "hub_rss": result["hub"]["rss"], "hub_cpu_s": result["hub"]["cpu_s"],
        "wall_s": result["wall_s"], "cpu_busy_s": result["cpu_busy_s"],
        "cpu_per_student_s": median(m["cpu_s"] for m in memory),
        "load_before": result["load_before"], "prewarm": result["prewarm"], "arrival_s": result["arrival_s"],
        "user_nice": result.get("user_nice", 0), "spawn_limit": result["spawn_limit"],
    }


# Sizing on paper, from what one run measured. A node is a common 4 vCPU / 16 GiB machine, of which
# Kubernetes and the system keep about 0.5 vCPU and 1.5 GiB. "A class arrives at once" means every
# student's first-minutes work (server, two kernels, the first notebooks) lands within BURST_S.
NODE_CPU, NODE_GIB, RESERVED_CPU, RESERVED_GIB = 4.0, 16.0, 0.5, 1.5
BURST_S = 60.0
MEMORY_HEADROOM = 1.2  # a third notebook, bigger outputs
CPU_HEADROOM = 1.2  # run-to-run spread of the measured CPU seconds (5.2-6.4 here)


def sizing(summary: dict, class_sizes=(40, 300)) -> dict:
    """Per-user guarantees and node counts from the measured memory and CPU per student."""
    import math

    rss_gib = summary.get("student_pss_median", summary["student_rss_median"]) / 2**30
    cpu_s = summary["cpu_per_student_s"] + summary["hub_cpu_s"] / max(1, summary["students"])
    memory_gib = math.ceil(rss_gib * MEMORY_HEADROOM * 8) / 8  # in steps of 128 MiB
    cpu_guarantee = math.ceil(cpu_s * CPU_HEADROOM / BURST_S / 0.05) * 0.05
    # round() before flooring: 3.5 // 0.1 is 34.0 in floating point, though 35 seats fit
    per_node = int(min(math.floor(round((NODE_GIB - RESERVED_GIB) / memory_gib, 9)),
                       math.floor(round((NODE_CPU - RESERVED_CPU) / cpu_guarantee, 9))))
    out = {"memory_guarantee_gib": memory_gib, "memory_limit_gib": 2 * memory_gib,
           "cpu_guarantee": round(cpu_guarantee, 2), "cpu_s_per_student": cpu_s, "users_per_node": per_node,
           "classes": {}}
    for size in class_sizes:
        out["classes"][size] = {"nodes": math.ceil(size / per_node),
                                "burst_cores": size * cpu_s / BURST_S,
                                "memory_gib": size * rss_gib}
    return out


def render_sizing(summary: dict) -> list[str]:
    plan = sizing(summary)
    lines = [
        "### Sizing a hub from these figures (the first run above)",
        "",
        f"Per student: {plan['cpu_s_per_student']:.1f} CPU-s for the start of a session (server, kernels, "
        f"pull, the notebooks, and the hub's share) and "
        f"{summary.get('student_pss_median', summary['student_rss_median']) / 2**30:.2f} GiB "
        f"(proportional set: shared pages counted once). Guarantee {plan['memory_guarantee_gib']:.3g} GiB (measured × {MEMORY_HEADROOM}, "
        f"in 128 MiB steps), limit {plan['memory_limit_gib']:.3g} GiB; CPU guarantee "
        f"{plan['cpu_guarantee']:.2f} (that work × {CPU_HEADROOM}, spread over {BURST_S:.0f} s, in steps of 0.05), limit 2. On nodes of "
        f"{NODE_CPU:.0f} vCPU / {NODE_GIB:.0f} GiB ({RESERVED_CPU} vCPU and {RESERVED_GIB} GiB kept for the "
        f"system) that is {plan['users_per_node']} students per node.",
        "",
        "| Class | Nodes (all at once) | Cores busy if everyone starts within a minute | Memory of the students |",
        "|---|---|---|---|",
    ]
    for size, need in plan["classes"].items():
        lines.append(f"| {size} | {need['nodes']} | {need['burst_cores']:.1f} | {need['memory_gib']:.0f} GiB |")
    lines += ["", "A course of 300 rarely works all at once; with the cluster autoscaler between 1 node and "
              "the figure above, and `scheduling.userPlaceholder` keeping a few seats warm, it pays only for "
              "the students who are working. One JupyterHub serves all of them; its own CPU per student is "
              f"{summary['hub_cpu_s'] / max(1, summary['students']):.1f} CPU-s at arrival.", ""]
    return lines


def _describe(s: dict) -> tuple[str, str]:
    """(the command's flags, the arrival in words) of one run."""
    arrival = ("servers started before the class (`--prewarm`), then everyone works at once" if s["prewarm"] else
               f"arriving evenly over {s['arrival_s']:.0f} s" if s["arrival_s"] else "all arriving at once")
    flags = (" --prewarm" if s["prewarm"] else "") + (f" --arrival {s['arrival_s']:g}" if s["arrival_s"] else "")
    flags += (f" --user-nice {s['user_nice']}" if s["user_nice"] != 5 else "")
    flags += (f" --spawn-limit {s['spawn_limit']}" if s["spawn_limit"] != 100 else "")
    return f"--students {s['students']}{flags}", arrival


def render_run(s: dict) -> list[str]:
    from .common import mib

    def verdict(ok):
        return "met" if ok else "**missed**"

    flags, arrival = _describe(s)
    lines = [f"### `python -m benchmarks hub {flags}`: {s['students']} students, {arrival}", "",
             f"Load average before the run: {s['load_before'][0]:.2f}.", ""]
    if s["students"] < 30:
        lines += [f"**A development run with {s['students']} students, not the goal's 30:** run "
                  "`python -m benchmarks hub --all` on a quiet machine (1-minute load below 1.5) for the real "
                  "figures.", ""]
    lines += [
        "| Measure | Value | Goal | Verdict |",
        "|---|---|---|---|",
        f"| students with a failure | {s['failures']} | 0 | {verdict(s['failures'] == 0)} |",
        f"| time until all servers are ready (the longest wait from a student's arrival) | "
        f"{s['all_ready_s']:.1f} s (median {s['ready_median_s']:.1f} s) "
        f"| ≤ {GOALS['all_ready_s']:.0f} s | {verdict((s['all_ready_s'] or 1e9) <= GOALS['all_ready_s'])} |",
        f"| cell latency p95 ({s['cells']} cells) | {s['cell_p95_s']:.2f} s (median {s['cell_median_s']:.2f} s, "
        f"max {s['cell_max_s']:.1f} s) | < {GOALS['cell_p95_s']:.0f} s | "
        f"{verdict(s['cell_p95_s'] < GOALS['cell_p95_s'])} |",
        f"| explorer change → picture p95, in the kernel ({s['slider_moves']} moves) | "
        f"{s['slider_p95_ms']:.1f} ms (median {s['slider_median_ms']:.1f} ms) | — | — |",
        f"| memory per student (server + 2 kernels) | proportional (PSS) median "
        f"{mib(s.get('student_pss_median', s['student_rss_median']))}; resident median {mib(s['student_rss_median'])}, "
        f"max {mib(s['student_rss_max'])}; unique {mib(s['student_uss_median'])} | — | — |",
        f"| memory of all students / of the hub and proxy | {mib(s['students_total_rss'])} / {mib(s['hub_rss'])} "
        "| — | — |",
        f"| CPU time per student (server, kernels, pull; median) / hub and proxy | "
        f"{s['cpu_per_student_s']:.1f} CPU-s / {s['hub_cpu_s']:.1f} CPU-s "
        f"(run {s['wall_s']:.0f} s, machine busy {s['cpu_busy_s']:.0f} CPU-s) | — | — |",
        "",
    ]
    if s["failure_texts"]:
        lines += ["Failures (first ten):", ""] + [f"- {t}" for t in s["failure_texts"]] + [""]
    return lines


def render(summaries: list[dict]) -> str:
    """The hub section: one table per run, then the sizing worked out from the first run."""
    lines = [
        SECTION_BEGIN,
        "## Hub: a class on a local JupyterHub",
        "",
        "Everything on 127.0.0.1: JupyterHub with the dummy login and local processes, configurable-http-proxy, "
        "the course in a bare git repository. Each student logs in over REST, starts a server, pulls the course "
        "with nbgitpuller, runs notebooks 00 and 01 in kernels of their own, answers an exercise and saves, and "
        f"moves the triangle explorer {SLIDER_MOVES} times with `set_state`. Students' servers and kernels run at "
        "niceness 5, so the hub and the proxy, which every request passes through, keep answering.",
        "",
    ]
    for summary in summaries:
        lines += render_run(summary)
    lines += render_sizing(summaries[0])
    lines.append(SECTION_END)
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the hub section of RESULTS.md (or append it), leaving every other section alone."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION_BEGIN in old and SECTION_END in old:
        head, rest = old.split(SECTION_BEGIN, 1)
        tail = rest.split(SECTION_END, 1)[1].lstrip("\n")
        new = head + text + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def preserved_section(path: Path = RESULTS) -> str:
    """The hub section of an existing RESULTS.md, for ``python -m benchmarks`` to keep when it rewrites the file."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION_BEGIN in old and SECTION_END in old:
        return SECTION_BEGIN + old.split(SECTION_BEGIN, 1)[1].split(SECTION_END, 1)[0] + SECTION_END + "\n"
    return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks hub", description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--prewarm", action="store_true", help="start every server before the class works")
    parser.add_argument("--all", action="store_true",
                        help=f"three runs, one table each: all at once, --prewarm, and --arrival {ALL_ARRIVAL_S:g}")
    parser.add_argument("--arrival", type=float, default=0.0,
                        help="spread the students' arrival evenly over this many seconds (default 0: all at once)")
    parser.add_argument("--spawn-limit", type=int, default=100, help="JupyterHub.concurrent_spawn_limit")
    parser.add_argument("--user-nice", type=int, default=5,
                        help="niceness of the students' servers and kernels, so the hub and proxy keep priority "
                             "(default %(default)s; 0 = same priority as the hub)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--keep", type=Path, help="keep the hub's folder here (logs, homes) for inspection")
    parser.add_argument("--kit", type=Path, default=REPO,
                        help="build the students' course from this copy of the kit (default: this one)")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 60:
        parser.error("--students must be between 1 and 60 on one machine")
    runs = ([(False, 0.0), (True, 0.0), (False, ALL_ARRIVAL_S)] if args.all else [(args.prewarm, args.arrival)])
    summaries, raws = [], []
    for index, (prewarm, arrival) in enumerate(runs):
        keep = args.keep / f"run{index + 1}" if args.keep else None
        load = os.getloadavg()[0]
        print(f"[benchmarks] hub: {args.students} students, prewarm={prewarm}, arrival={arrival:g} s; "
              f"load average now {load:.2f}", file=sys.stderr)
        result = run_class(args.students, prewarm, args.spawn_limit, keep, args.kit, arrival, args.user_nice)
        summaries.append(summarize(result))
        raws.append(result)
    RAW.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps({"summaries": summaries, "raw": raws}, indent=1, default=str), encoding="utf-8")
    text = render(summaries)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0 if all(s["failures"] == 0 for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
