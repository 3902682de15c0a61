"""2. Widget response: a control change -> a new summary and picture, on the Python side; a quick drag
in a real kernel; and the same in the browser.

**Per change.** Each change is delivered the way the browser delivers it: an ``update`` comm message
handed to the control's ``_handle_msg`` (ipywidgets then echoes the value, sets the trait, runs the
observers), and the widget's redraw sends the new picture and summary back. Those messages go through
a comm that JSON-encodes them as the kernel's session would, so serialising the picture is counted.
Every control of every explorer is measured twice in the same run: with the kit as it is (the picture
is an SVG scene drawn by the browser) and with the kit at ``OLD_RENDERER_COMMIT`` (a matplotlib PNG
redrawn in the kernel), extracted from git with its own data into a temporary folder.

**Floor:** the same message to a bare control of the same type wired to a no-op observer: what
ipywidgets itself costs.

**A drag** (``kernel_drag``): a real ipykernel started through jupyter_client; 20 ``update`` messages
10 ms apart on one slider, sent on the shell channel as JupyterLab sends them; the time from the last
one to the iopub message that carries the picture of the final value.

**In the browser** (full run only): this command runs the browser tests that measure it
(tests/browser/test_widgets_browser.py, keypress -> new picture and a quick drag, in JupyterLab with
Debian's Chromium) and reads what they wrote to artifacts/.

The per-change measurement runs in fresh child processes (``python -m benchmarks.widgets --child``)
so that nothing the rest of the benchmark imported or allocated is in their heap.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import html
import io
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import GOALS
from .common import REPO, Goal, Section, log, median, ms, percentile, ratio, x, yes_no

WARMUP = 3  # the first redraws fill font and glyph caches; a student's first drag pays them once
BROWSER_FILE = REPO / "artifacts" / "browser-latency.json"
DRAG_FILE = REPO / "artifacts" / "browser-drag.json"
#: The last commit whose explorers drew a matplotlib PNG in the kernel: the "old renderer".
OLD_RENDERER_COMMIT = "67233fb0ed44ccc3af8036b354311697a87419ce"
DRAG_CHANGES, DRAG_INTERVAL_S, DRAG_REPEATS = 20, 0.010, 5


# ---------------------------------------------------------------------------------------------
# in the child process


def _cases():
    """(widget name, control label, make(data) -> (widget, control), trait, values) per control.

    ``values`` are JSON values as the browser sends them (SelectionSlider and Dropdown sync an
    ``index``), chosen so that consecutive changes always differ.
    """
    from triangles.widgets import EvidenceExplorer, ScenarioExplorer, TimelineExplorer, TriangleExplorer

    def sweep(values):
        values = list(values)
        return values + values[-2:0:-1]  # there and back: every step is a change

    def triangle(data):
        w = TriangleExplorer(data.relations)
        return w, w.sliders["US-CN"]

    def preset(data):
        w = TriangleExplorer(data.relations)
        return w, list(w.preset_buttons.values())

    def timeline(data, control):
        w = TimelineExplorer(data.timeline, data.sources, data.relations)
        return w, getattr(w, control)

    def timeline_category(data):
        w = TimelineExplorer(data.timeline, data.sources, data.relations)
        return w, next(iter(w.category_boxes.values()))

    def scenario(data, control):
        w = ScenarioExplorer(data.relations)
        return w, getattr(w, control) if isinstance(control, str) else w.start_sliders["US-CN"]

    def evidence(data):
        w = EvidenceExplorer(data.claims, data.indicators, data.timeline, data.sources)
        return w, w.claim_dropdown

    def triangle_slider(dyad):
        def make(data):
            w = TriangleExplorer(data.relations)
            return w, w.sliders[dyad]
        return make

    def timeline_actor(data):
        w = TimelineExplorer(data.timeline, data.sources, data.relations)
        return w, next(iter(w.actor_boxes.values()))

    def scenario_slider(dyad):
        def make(data):
            w = ScenarioExplorer(data.relations)
            return w, w.start_sliders[dyad]
        return make

    scores = lambda w, c: sweep(round(-1 + 0.05 * i, 2) for i in range(41))
    steps_of = lambda w, c: sweep(round(c.min + c.step * i, 4)
                                  for i in range(int(round((c.max - c.min) / c.step)) + 1))
    return [
        ("TriangleExplorer", "US-China slider", triangle, "value", scores),
        ("TriangleExplorer", "US-Russia slider", triangle_slider("US-RU"), "value", scores),
        ("TriangleExplorer", "China-Russia slider", triangle_slider("CN-RU"), "value", scores),
        ("TriangleExplorer", "preset buttons", preset, "click", lambda w, c: list(range(len(c)))),
        ("TimelineExplorer", "coded-year slider", lambda d: timeline(d, "year_slider"), "index",
         lambda w, c: sweep(range(len(c.options)))),
        ("TimelineExplorer", "years range slider", lambda d: timeline(d, "years_slider"), "value",
         lambda w, c: sweep([c.min + i, c.max] for i in range(0, c.max - c.min, max(1, (c.max - c.min) // 20)))),
        ("TimelineExplorer", "actor box", timeline_actor, "value", lambda w, c: [True, False]),
        ("TimelineExplorer", "category box", timeline_category, "value", lambda w, c: [True, False]),
        ("ScenarioExplorer", "scenario menu", lambda d: scenario(d, "scenario_dropdown"), "index",
         lambda w, c: sweep(range(len(c.options)))),
        ("ScenarioExplorer", "start menu", lambda d: scenario(d, "start_dropdown"), "index",
         lambda w, c: sweep(range(len(c.options)))),
        ("ScenarioExplorer", "steps slider", lambda d: scenario(d, "steps_slider"), "value",
         lambda w, c: sweep(range(c.min, c.max + 1, 3))),
        ("ScenarioExplorer", "start US-China slider", lambda d: scenario(d, None), "value", scores),
        ("ScenarioExplorer", "start US-Russia slider", scenario_slider("US-RU"), "value", scores),
        ("ScenarioExplorer", "start China-Russia slider", scenario_slider("CN-RU"), "value", scores),
        ("ScenarioExplorer", "push slider", lambda d: scenario(d, "push_slider"), "value", steps_of),
        ("ScenarioExplorer", "cohesion slider", lambda d: scenario(d, "cohesion_slider"), "value", steps_of),
        ("EvidenceExplorer", "claim menu", evidence, "index", lambda w, c: sweep(range(len(c.options)))),
    ]


def _install_encoding_comm() -> list[int]:
    """Make every widget's comm JSON-encode what it sends, as ipykernel's session would."""
    import comm
    from comm.base_comm import BaseComm
    from jupyter_client.session import json_packer

    sent = [0]

    class EncodingComm(BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            payload = json_packer({"data": data or {}, "metadata": metadata or {},
                                   "comm_id": self.comm_id, **keys})
            sent[0] += len(payload) + sum(len(b) for b in buffers or [])

    comm.create_comm = lambda *args, **kwargs: EncodingComm(*args, **kwargs)
    return sent


def _message(trait: str, value) -> dict:
    if trait == "click":
        data = {"method": "custom", "content": {"event": "click"}}
    else:
        data = {"method": "update", "state": {trait: value}, "buffer_paths": []}
    return {"content": {"data": data}, "buffers": []}


def _deliver(control, trait: str, value) -> None:
    target = control[value] if trait == "click" else control  # preset buttons: one per value
    target._handle_msg(_message(trait, value))


def _bare(control):
    """A control of the same type and options, wired to a no-op: the floor."""
    import ipywidgets as widgets

    if isinstance(control, list):
        bare = [widgets.Button(description=b.description) for b in control]
        for b in bare:
            b.on_click(lambda _b: None)
        return bare
    keys = [k for k in ("options", "min", "max", "step", "value", "description") if control.has_trait(k)]
    state = {k: getattr(control, k) for k in keys}
    if "options" in state:
        state.pop("min", None), state.pop("max", None), state.pop("step", None)
    bare = type(control)(**state)
    bare.observe(lambda change: None, names="value")
    return bare


def _current(control, trait):
    if trait == "click":
        return None
    value = getattr(control, trait)
    return list(value) if isinstance(value, tuple) else value


def _time(control, trait, values, updates, check=None, cpu=None) -> tuple[list[float], list[str]]:
    """Wall seconds of each change (and, into ``cpu``, this thread's CPU seconds: they hardly move
    when other work on the machine takes the cores away)."""
    times, problems, position = [], [], 0
    for i in range(WARMUP + updates):
        position = (position + 1) % len(values)
        if values[position] == _current(control, trait):  # no change, no event: take the next
            position = (position + 1) % len(values)
        value = values[position]
        before = check() if check else None
        c0, t0 = time.thread_time(), time.perf_counter()
        _deliver(control, trait, value)
        elapsed, used = time.perf_counter() - t0, time.thread_time() - c0
        if check and check() == before:
            problems.append(f"update {i} ({trait}={value!r}) did not redraw")
        if i >= WARMUP:
            times.append(elapsed)
            if cpu is not None:
                cpu.append(used)
    return times, problems


def child(updates: int, profile: list[str]) -> dict:
    """Time every control; or, given ``profile`` ("Widget:control" labels), profile only those."""
    import matplotlib
    matplotlib.use("Agg")
    sent = _install_encoding_comm()
    from triangles.data import load_all

    data = load_all()
    results = []
    for widget_name, label, make, trait, values_of in _cases():
        if profile and f"{widget_name}:{label}" not in profile:
            continue
        entry = {"widget": widget_name, "control": label}
        try:
            t0 = time.perf_counter()
            widget, control = make(data)
            entry["build_ms"] = (time.perf_counter() - t0) * 1000
            values = values_of(widget, control)
            if profile:
                _time(control, trait, values, 0)  # warm up as for the timing
                entry["profile"] = _profile(control, trait, values, updates)
                results.append(entry)
                continue
            gc.collect()
            sent[0] = 0
            cpu: list[float] = []
            times, problems = _time(control, trait, values, updates, check=lambda: widget.redraw_count,
                                    cpu=cpu)
            entry["message_kib"] = sent[0] / 1024 / (WARMUP + updates)
            entry["ms"] = [t * 1000 for t in times]
            entry["cpu_ms"] = [t * 1000 for t in cpu]
            entry["problems"] = problems[:3]
            entry["errors"] = widget.errors[-1:] if widget.errors else []
            bare = _bare(control)
            floor_times, _ = _time(bare, trait, values, updates)
            entry["floor_ms"] = [t * 1000 for t in floor_times]
        except Exception as exc:  # a broken widget is reported; the others are still measured
            entry["failed"] = f"{type(exc).__name__}: {exc}"
        results.append(entry)
    return {"results": results}


def _profile(control, trait, values, updates) -> list[str]:
    """Where the time of ``updates`` changes goes: the functions with the most own time, and the
    kit's own functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(updates):
        _deliver(control, trait, values[(i + 1) % len(values)])
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
        rows.append((tt / updates * 1000, ct / updates * 1000, _where(filename, line, name)))
    own = sorted(rows, reverse=True)[:6]
    wrappers = ("(on_change)", "(_safely)", "(run)", "(hold)", "(<lambda>)", "(_set_checked)")
    kit = sorted((r for r in rows if "triangles/" in r[2] and not r[2].endswith(wrappers)),
                 key=lambda r: -r[1])[:6]
    lines = ["most own time per update: " + "; ".join(f"{w} {t:.1f} ms" for t, _, w in own),
             "the kit's functions by cumulative time per update: "
             + "; ".join(f"{w} {c:.1f} ms" for _, c, w in kit)]
    return lines


def _where(filename: str, line: int, name: str) -> str:
    path = filename.replace("\\", "/")
    for marker in ("site-packages/", "/work/main/", str(REPO) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{line}({name})" if line else name


# ---------------------------------------------------------------------------------------------
# the old renderer: the kit at OLD_RENDERER_COMMIT, with its own data


def old_tree(folder: Path, commit: str = OLD_RENDERER_COMMIT) -> Path:
    """Extract the package, the data and the seeds of ``commit`` into ``folder`` (git archive: read-only on the
    repository). Raises RuntimeError when the history is not there (e.g. a shallow clone)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit, "triangles", "data",
                              "seeds"],
                             capture_output=True, timeout=120)
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {commit[:12]} failed: "
                           f"{archive.stderr.decode(errors='replace').strip()[-200:]}")
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True, timeout=120)
    return folder


def _child_command(tree: Path | None, args: list[str]) -> tuple[list[str], Path]:
    """Run this module's child with ``tree``'s triangles package first on the path (and the
    repository's benchmarks package after it)."""
    if tree is None:
        return [sys.executable, "-m", "benchmarks.widgets", *args], REPO
    boot = (f"import sys; sys.path[:0] = [{str(tree)!r}, {str(REPO)!r}]; "
            f"from benchmarks.widgets import main; sys.exit(main({args!r}))")
    return [sys.executable, "-c", boot], tree


# ---------------------------------------------------------------------------------------------
# a drag in a real kernel


_DRAG_SETUP = """
import json
from triangles.data import load_all
from triangles.widgets import {cls}
data = load_all()
w = {make}
control = {control}
picture = getattr(w, "picture", None) or w.figure_output
print(json.dumps({{"control": control.comm.comm_id, "picture": picture.comm.comm_id}}))
"""

DRAG_CASES = [  # widget, control, constructor, control expression, values, the state key they set
    ("TriangleExplorer", "US-China slider", "TriangleExplorer(data.relations)", "w.sliders['US-CN']",
     [[round(-0.95 + 0.1 * i, 2) for i in range(DRAG_CHANGES)],
      [round(0.95 - 0.1 * i, 2) for i in range(DRAG_CHANGES)]], "us_cn"),
    ("TimelineExplorer", "years range slider", "TimelineExplorer(data.timeline, data.sources, data.relations)",
     "w.years_slider", [[[1950 + 2 * i, 2019] for i in range(DRAG_CHANGES)],
                        [[1990 - 2 * i, 2019] for i in range(DRAG_CHANGES)]], "years"),
]


def _shown_states(state: dict) -> list[dict]:
    """The widget states named by data-state attributes anywhere in a comm message's state."""
    found, stack = [], [state]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, str) and "data-state=" in item:
            for raw in re.findall(r'data-state="([^"]*)"', item):
                found.append(json.loads(html.unescape(raw)))
    return found


def kernel_drag(tree: Path | None, repeats: int = DRAG_REPEATS) -> dict:
    """For each DRAG_CASES slider: ``repeats`` drags of DRAG_CHANGES changes DRAG_INTERVAL_S apart
    in a fresh kernel; settle = last change sent -> the picture of the final value received."""
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    results = []
    for widget, control, make, expression, drags, key in DRAG_CASES:
        entry = {"widget": widget, "control": control}
        km, kc = start_new_kernel(kernel_name="python3", cwd=str(tree or REPO), env=env)
        try:
            ids = _run_setup(kc, _DRAG_SETUP.format(cls=widget, make=make, control=expression))
            received: list[tuple[float, dict, str]] = []
            stop = threading.Event()

            def listen():
                while not stop.is_set():
                    try:
                        msg = kc.get_iopub_msg(timeout=0.05)
                    except Exception:
                        continue
                    if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == ids["picture"]:
                        for shown in _shown_states(msg["content"]["data"].get("state", {})):
                            received.append((time.perf_counter(), shown, msg["parent_header"].get("msg_id")))

            reader = threading.Thread(target=listen, daemon=True)
            reader.start()
            settles, pictures = [], []
            for r in range(repeats):
                values = drags[r % len(drags)]
                first_seen = len(received)
                t0, last_sent = time.perf_counter() + 0.05, 0.0
                for i, value in enumerate(values):
                    _sleep_until(t0 + i * DRAG_INTERVAL_S)
                    kc.shell_channel.send(kc.session.msg("comm_msg", {
                        "comm_id": ids["control"],
                        "data": {"method": "update", "state": {"value": value}, "buffer_paths": []}}))
                    last_sent = time.perf_counter()
                deadline = time.perf_counter() + 5.0
                final = None
                while time.perf_counter() < deadline and final is None:
                    time.sleep(0.005)
                    final = next((t for t, shown, _ in received[first_seen:] if shown.get(key) == values[-1]), None)
                settles.append(None if final is None else (final - last_sent) * 1000)
                time.sleep(0.3)  # let the kernel go idle before the next drag
                pictures.append(len(received) - first_seen)
            stop.set()
            reader.join(timeout=2)
            entry.update(settle_ms=settles, pictures=pictures, changes=DRAG_CHANGES)
        except Exception as exc:
            entry["failed"] = f"{type(exc).__name__}: {exc}"
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        results.append(entry)
    return {"results": results}


def _run_setup(kc, code: str) -> dict:
    msg_id = kc.execute(code)
    found = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            found = json.loads(msg["content"]["text"].strip().splitlines()[-1])
        elif msg["msg_type"] == "error":
            raise RuntimeError(f"setup failed: {msg['content']['ename']}: {msg['content']['evalue']}")
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    if found is None:
        raise RuntimeError("setup printed no comm ids")
    return found


def _sleep_until(moment: float) -> None:
    """Sleep most of the wait, then spin the last half millisecond (sleep alone overshoots)."""
    while True:
        left = moment - time.perf_counter()
        if left <= 0:
            return
        time.sleep(left - 0.0005 if left > 0.001 else 0)


# ---------------------------------------------------------------------------------------------
# in the benchmark process


def _run_child(updates: int, profile: list[str], tree: Path | None) -> dict:
    args = ["--child", "--updates", str(updates)]
    for item in profile:
        args += ["--profile", item]
    command, cwd = _child_command(tree, args)
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return {"failed": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(updates: int, profile: list[str] | None = None, full: bool = True) -> dict:
    """The kit now; in a full run also the old renderer, the kernel drags and the browser."""
    log(f"widgets: {updates} updates per control in a child process")
    measured = _run_child(updates, profile or [], None)
    if profile or not full:
        return measured
    with tempfile.TemporaryDirectory(prefix="triangles-old-renderer-") as folder:
        try:
            tree = old_tree(Path(folder))
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            measured["old"] = {"failed": str(exc)}
            tree = None
        if tree is not None:
            log(f"widgets: the old renderer ({OLD_RENDERER_COMMIT[:12]}), {updates} updates per control")
            measured["old"] = _run_child(updates, [], tree)
            log("widgets: drags in a real kernel, old renderer")
            measured["old_drag"] = kernel_drag(tree)
        log("widgets: drags in a real kernel, the kit now")
        measured["drag"] = kernel_drag(None)
    measured["browser_run"] = run_browser_tests()
    return measured


def run_browser_tests() -> dict:
    """Run the browser tests that measure keypress -> picture and a quick drag (they write
    artifacts/browser-latency.json and artifacts/browser-drag.json)."""
    log("widgets: browser measurement (JupyterLab + Chromium), about a minute")
    started = time.time()
    command = [sys.executable, "-m", "pytest", "tests/browser/test_widgets_browser.py", "-q",
               "-p", "no:cacheprovider", "-k", "latency or drag"]
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {"ok": False, "why": "the browser tests took over 15 minutes", "started": started}
    tail = (done.stdout.strip().splitlines() or ["no output"])[-1]
    return {"ok": done.returncode == 0, "why": tail, "started": started}


def _per_control(measured: dict) -> dict:
    return {(e["widget"], e["control"]): e for e in measured.get("results", [])}


def _kib(entry: dict | None) -> str:
    return f"{entry['message_kib']:.1f} KiB" if entry and "message_kib" in entry else "n/a"


def _cpu(entry: dict | None) -> float | None:
    return percentile(entry["cpu_ms"], 95) if entry and entry.get("cpu_ms") else None


def section(measured: dict, updates: int) -> Section:
    cpu_goal, kib_goal = GOALS["widget_p95_ms"], GOALS["widget_kib"]
    old = measured.get("old")
    old_by_control = _per_control(old) if isinstance(old, dict) else {}
    old_label = f"old renderer (matplotlib PNG, commit {OLD_RENDERER_COMMIT[:7]})"
    sec = Section(
        key="widgets",
        title="2. Widget response",
        intro=("A control change delivered as the browser's comm message, through the widget's "
               "redraw (model, picture, summary) to the JSON-encoded messages that carry it back; "
               f"{updates} changes per control after {WARMUP} warm-up changes, for every control of "
               "every explorer. **Now:** the picture is an SVG scene drawn by the browser. **Old:** the "
               f"{old_label}, extracted from git with its own data and measured in the same run. "
               "**Floor:** the same message to a bare control of the same type wired to a no-op. "
               f"**Goals** (per control): CPU p95 <= {cpu_goal:g} ms (CPU time of the measuring thread: "
               "it hardly moves when other work takes the cores) and <= "
               f"{kib_goal:g} KiB sent per change. **Ratios:** p95 / floor p95 (how much is the kit's own work), and "
               "old CPU p95 / new CPU p95."),
        columns=["widget", "control", "median", "p95", "CPU p95", "sent per change", "floor p95",
                 "ratio to floor (p95)", "old CPU p95", "old sent per change", "old / new ratio (CPU p95)",
                 "goal", "met?"],
        rows=[],
    )
    if "failed" in measured:
        sec.skipped = f"the widget benchmark failed: {measured['failed']}"
        return sec
    goal_text = f"<= {cpu_goal:g} ms CPU p95, <= {kib_goal:g} KiB"
    for entry in measured["results"]:
        name, control = entry["widget"], entry["control"]
        key = f"widgets:svg:{name}:{control}"
        previous = old_by_control.get((name, control))
        old_cpu = _cpu(previous)
        if "failed" in entry:
            sec.rows.append([name, control, f"failed: {entry['failed']}", "", "", "", "", "",
                             ms(old_cpu) if old_cpu is not None else "n/a", _kib(previous), "", goal_text, "n/a"])
            sec.goals.append(Goal("widgets", f"{name}, {control}: CPU p95, sent", goal_text, "failed",
                                  None, key=key, evidence=[entry["failed"]]))
            continue
        times, floor, cpu = entry["ms"], entry["floor_ms"], _cpu(entry)
        met = (cpu <= cpu_goal and entry["message_kib"] <= kib_goal and not entry["problems"]
               and not entry["errors"])
        sec.rows.append([name, control, ms(median(times)), ms(percentile(times, 95)), ms(cpu), _kib(entry),
                         ms(percentile(floor, 95)), x(ratio(percentile(times, 95), percentile(floor, 95))),
                         ms(old_cpu) if old_cpu is not None else "n/a",
                         _kib(previous), x(ratio(old_cpu, cpu)) if old_cpu is not None else "n/a",
                         goal_text, yes_no(met)])
        g = Goal("widgets", f"{name}, {control}: CPU p95, sent", goal_text,
                 f"{ms(cpu)}, {entry['message_kib']:.1f} KiB", met, key=key)
        g.evidence = entry["problems"] + entry["errors"] + entry.get("profile", [])
        sec.goals.append(g)
        sec.raw[f"{name}:{control}"] = {"ms": times, "cpu_ms": entry["cpu_ms"], "floor_ms": floor,
                                        "build_ms": entry["build_ms"], "kib": entry["message_kib"],
                                        "old_cpu_ms": previous.get("cpu_ms") if previous else None,
                                        "old_kib": previous.get("message_kib") if previous else None}
    if isinstance(old, dict) and "failed" in old:
        sec.notes.append(f"**Old renderer not measured:** {old['failed']}.")
    elif old is None:
        sec.notes.append("**Old renderer, drags and browser not measured in this run** (--quick).")
    builds = {e["widget"]: e["build_ms"] for e in measured["results"] if "build_ms" in e}
    if builds:
        old_builds = {e["widget"]: e["build_ms"] for e in old_by_control.values() if "build_ms" in e}
        sec.notes.append("Building each widget (first picture included): " + ", ".join(
            f"{w} {ms(b)}" + (f" (old {ms(old_builds[w])})" if w in old_builds else "") for w, b in builds.items())
            + ".")
    drag_table(sec, measured)
    browser_table(sec, measured.get("browser_run"))
    return sec


def drag_table(sec: Section, measured: dict) -> None:
    goal = GOALS["drag_settle_ms"]
    columns = ["widget", "control", "renderer", "settle median", "settle max", "pictures sent per drag",
               "goal", "met?"]
    rows = []
    for label, found in (("now (SVG, coalesced)", measured.get("drag")), ("old (PNG)", measured.get("old_drag"))):
        for entry in (found or {}).get("results", []):
            name, control = entry["widget"], entry["control"]
            if "failed" in entry:
                rows.append([name, control, label, f"failed: {entry['failed']}", "", "", f"<= {goal:g} ms", "n/a"])
                continue
            settles = entry["settle_ms"]
            never = sum(1 for s in settles if s is None)
            done = [s for s in settles if s is not None]
            med = median(done) if done and not never else float("inf")
            worst = max(done) if done and not never else float("inf")
            met = med <= goal
            shown = lambda v: ms(v) if v != float("inf") else f"never ({never} of {len(settles)} in 5 s)"
            rows.append([name, control, label, shown(med), shown(worst),
                         f"{median(entry['pictures']):.0f} of {entry['changes']} changes", f"<= {goal:g} ms",
                         yes_no(met)])
            if found is measured.get("drag"):
                sec.goals.append(Goal("widgets", f"drag, {name} {control}: last change -> final picture (kernel)",
                                      f"<= {goal:g} ms", shown(med), met, key=f"widgets:drag:{name}:{control}"))
            sec.raw[f"drag:{label}:{name}:{control}"] = entry
    if not rows:
        rows.append(["", "", "", "not measured", "", "", f"<= {goal:g} ms", "n/a"])
    sec.tables.append((f"A drag in a real kernel: {DRAG_CHANGES} changes {DRAG_INTERVAL_S * 1000:.0f} ms apart on one "
                       "slider, sent as JupyterLab sends them; last change sent -> the picture of the final value "
                       "received", columns, rows))


# ---------------------------------------------------------------------------------------------
# the browser tests' measurement


def read_browser(path: Path = BROWSER_FILE) -> dict | None:
    """artifacts/browser-latency.json (or browser-drag.json) as written by the browser tests,
    reduced to {label: [milliseconds, ...]} (or {label: {"median": ms}} when only a median was written).

    Accepted shapes: {"samples_ms": [...]}, {"latencies_ms": [...]}, {"median_ms": ...},
    a list of numbers, or a dict of those per widget/interaction.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

    def samples(value):
        if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
            return {"samples": [float(v) for v in value]}
        if isinstance(value, dict):
            for k in ("samples_ms", "latencies_ms", "samples", "ms", "latency_ms"):
                if isinstance(value.get(k), list):
                    return samples(value[k])
            for k in ("median_ms", "median"):
                if isinstance(value.get(k), (int, float)):
                    return {"median": float(value[k]), "p95": value.get("p95_ms")}
        return None

    found = {}
    top = samples(data)
    if top:
        found["keypress -> new picture"] = top
    elif isinstance(data, dict):
        for label, value in data.items():
            if label.endswith("_ms") or label in ("pictures_per_drag",):
                continue  # context, not a measure
            s = samples(value)
            if s:
                found[str(label)] = s
    meta = data if isinstance(data, dict) else {}
    return {"file": str(path.relative_to(REPO)), "measures": found,
            "written": meta.get("written") or meta.get("date"), "what": meta.get("what"), "data": meta}


def browser_table(sec: Section, run: dict | None = None) -> None:
    goal, drag_goal = GOALS["browser_median_ms"], GOALS["drag_settle_ms"]
    columns = ["interaction", "median", "p95", "samples", "goal", "met?"]
    title = "In the browser (JupyterLab 4.6 + Chromium): keypress -> new picture, and a quick drag"
    if run is None:
        why = "--quick: the browser is not driven"
    elif not run["ok"]:
        why = f"the browser tests failed or were skipped ({run['why']})"
    else:
        why = ""
    rows = []
    for path, target, prefix in ((BROWSER_FILE, goal, "keypress"), (DRAG_FILE, drag_goal, "drag")):
        browser = read_browser(path) if not why else None
        fresh = browser and run and _written_after(browser.get("written"), run["started"])
        if not browser or not browser["measures"] or not fresh:
            rows.append([f"{prefix}: keypress -> new picture" if prefix == "keypress" else "drag: last move -> final picture",
                         "not measured", "", "", f"<= {target:g} ms", "n/a"])
            sec.goals.append(Goal("widgets", f"browser {prefix}: median", f"<= {target:g} ms", "not measured", None,
                                  key=f"widgets:browser-svg:{prefix}"))
            continue
        for label, s in browser["measures"].items():
            med, p95, n = median(s["samples"]), percentile(s["samples"], 95), str(len(s["samples"]))
            met = med <= target
            rows.append([label, ms(med), ms(p95), n, f"<= {target:g} ms", yes_no(met)])
            sec.goals.append(Goal("widgets", f"browser {label}: median", f"<= {target:g} ms", ms(med), met,
                                  key=f"widgets:browser-svg:{label}"))
        extra = browser["data"]
        detail = ""
        if prefix == "drag" and extra.get("drag_span_ms"):
            detail = (f" The drags lasted {min(extra['drag_span_ms']):.0f}-{max(extra['drag_span_ms']):.0f} ms "
                      f"(a busy page spaces the moves out); pictures shown per drag: "
                      f"{', '.join(str(n) for n in extra.get('pictures_per_drag', []))}.")
        sec.notes.append(f"Browser figures from `{browser['file']}`, written {browser['written']} by the browser "
                         f"tests this command ran: {browser['what']}.{detail}")
    sec.tables.append((title, columns, rows))
    if why:
        sec.notes.append(f"**Browser not measured in this run:** {why}. The full run drives JupyterLab in Chromium "
                         "itself (tests/browser/test_widgets_browser.py, which writes `artifacts/browser-latency.json` "
                         "and `artifacts/browser-drag.json`).")


def _written_after(written: str | None, started: float) -> bool:
    import datetime as dt
    try:
        return dt.datetime.fromisoformat(written).timestamp() >= started - 1
    except (TypeError, ValueError):
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.widgets")
    parser.add_argument("--child", action="store_true", help="measure and print JSON (internal)")
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--profile", action="append", default=[], help="WIDGET:control label to profile")
    parser.add_argument("--drag", action="store_true", help="only the drags in a real kernel, now and old")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.updates, args.profile)))
        return 0
    if args.drag:
        with tempfile.TemporaryDirectory(prefix="triangles-old-renderer-") as folder:
            print(json.dumps({"now": kernel_drag(None), "old": kernel_drag(old_tree(Path(folder)))}, indent=1))
        return 0
    print(json.dumps(measure(args.updates, args.profile), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
