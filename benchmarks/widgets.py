"""2. Widget response: a control change -> a new summary and figure, on the Python side.

Each change is delivered the way the browser delivers it: an ``update`` comm message handed to the
control's ``_handle_msg`` (ipywidgets then echoes the value, sets the trait, runs the observers), and
the widget's redraw sends the new figure and summary back. Those messages go through a comm that
JSON-encodes them as the kernel's session would, so serialising the picture is counted; only the
socket write and the browser's work are not (the browser tests measure those: the file
artifacts/browser-latency.json, read below when present).

**Floor:** the same message to a bare control of the same type wired to a no-op observer: what
ipywidgets itself costs. The goal is on the p95 in milliseconds (a student feels the slow ones), the
ratio says how much of it is the kit's own work.

The measurement runs in a fresh child process (``python -m benchmarks.widgets --child``) so that
nothing the rest of the benchmark imported or allocated is in its heap.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

from . import GOALS
from .common import REPO, Goal, Section, log, median, ms, percentile, ratio, x, yes_no

WARMUP = 3  # the first redraws fill font and glyph caches; a student's first drag pays them once
BROWSER_FILE = REPO / "artifacts" / "browser-latency.json"


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

    return [
        ("TriangleExplorer", "US-China slider", triangle, "value",
         lambda w, c: sweep(round(-1 + 0.05 * i, 2) for i in range(41))),
        ("TriangleExplorer", "preset buttons", preset, "click", lambda w, c: list(range(len(c)))),
        ("TimelineExplorer", "coded-year slider", lambda d: timeline(d, "year_slider"), "index",
         lambda w, c: sweep(range(len(c.options)))),
        ("TimelineExplorer", "years range slider", lambda d: timeline(d, "years_slider"), "value",
         lambda w, c: sweep([c.min + i, c.max] for i in range(0, c.max - c.min, max(1, (c.max - c.min) // 20)))),
        ("TimelineExplorer", "category box", timeline_category, "value", lambda w, c: [True, False]),
        ("ScenarioExplorer", "scenario menu", lambda d: scenario(d, "scenario_dropdown"), "index",
         lambda w, c: sweep(range(len(c.options)))),
        ("ScenarioExplorer", "steps slider", lambda d: scenario(d, "steps_slider"), "value",
         lambda w, c: sweep(range(c.min, c.max + 1, 3))),
        ("ScenarioExplorer", "start US-China slider", lambda d: scenario(d, None), "value",
         lambda w, c: sweep(round(-1 + 0.05 * i, 2) for i in range(41))),
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
# in the benchmark process


def measure(updates: int, profile: list[str] | None = None) -> dict:
    log(f"widgets: {updates} updates per control in a child process")
    command = [sys.executable, "-m", "benchmarks.widgets", "--child", "--updates", str(updates)]
    for item in profile or []:
        command += ["--profile", item]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return {"failed": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def section(measured: dict, updates: int) -> Section:
    goal = GOALS["widget_p95_ms"]
    sec = Section(
        key="widgets",
        title="2. Widget response",
        intro=("A control change delivered as the browser's comm message, through the widget's "
               "redraw (model, figure, PNG, summary) to the JSON-encoded messages that carry the new "
               f"picture back; {updates} changes per control after {WARMUP} warm-up changes. "
               "**Floor:** the same message to a bare control of the same type wired to a no-op. "
               f"The goal is on the p95: <= {goal:g} ms. **CPU p95**: the same changes in CPU time of "
               "the measuring thread; where the p95 misses and the CPU p95 does not, other work on the "
               "machine took the cores."),
        columns=["widget", "control", "median", "p95", "CPU p95", "floor median", "floor p95",
                 "ratio (p95)", "sent per update", "goal", "met?"],
        rows=[],
    )
    if "failed" in measured:
        sec.skipped = f"the widget benchmark failed: {measured['failed']}"
        return sec
    for entry in measured["results"]:
        name, control = entry["widget"], entry["control"]
        key = f"widgets:{name}:{control}"
        if "failed" in entry:
            sec.rows.append([name, control, f"failed: {entry['failed']}", "", "", "", "", "", "",
                             f"<= {goal:g} ms", "n/a"])
            sec.goals.append(Goal("widgets", f"{name}, {control}: p95", f"<= {goal:g} ms", "failed",
                                  None, key=key, evidence=[entry["failed"]]))
            continue
        times, floor = entry["ms"], entry["floor_ms"]
        p95, fp95 = percentile(times, 95), percentile(floor, 95)
        met = p95 <= goal and not entry["problems"] and not entry["errors"]
        sec.rows.append([name, control, ms(median(times)), ms(p95), ms(percentile(entry["cpu_ms"], 95)),
                         ms(median(floor)), ms(fp95),
                         x(ratio(p95, fp95)), f"{entry['message_kib']:.0f} KiB", f"<= {goal:g} ms",
                         yes_no(met)])
        g = Goal("widgets", f"{name}, {control}: p95", f"<= {goal:g} ms", ms(p95), met, key=key)
        g.evidence = entry["problems"] + entry["errors"] + entry.get("profile", [])
        sec.goals.append(g)
        sec.raw[f"{name}:{control}"] = {"ms": times, "floor_ms": floor, "build_ms": entry["build_ms"]}
    builds = {e["widget"]: e["build_ms"] for e in measured["results"] if "build_ms" in e}
    if builds:
        sec.notes.append("Building each widget (first figure included): "
                         + ", ".join(f"{w} {ms(b)}" for w, b in builds.items()) + ".")
    browser_table(sec)
    return sec


# ---------------------------------------------------------------------------------------------
# the browser tests' measurement


def read_browser(path: Path = BROWSER_FILE) -> dict | None:
    """artifacts/browser-latency.json as written by the browser tests, reduced to
    {label: [milliseconds, ...]} (or {label: {"median": ms}} when only a median was written).

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
            s = samples(value)
            if s:
                found[str(label)] = s
    meta = data if isinstance(data, dict) else {}
    return {"file": str(path.relative_to(REPO)), "measures": found,
            "written": meta.get("written") or meta.get("date"), "what": meta.get("what")}


def browser_table(sec: Section) -> None:
    goal = GOALS["browser_median_ms"]
    browser = read_browser()
    columns = ["interaction", "median", "p95", "samples", "goal", "met?"]
    if browser is None or not browser["measures"]:
        why = ("absent" if not BROWSER_FILE.exists() else "present but holds no latency samples")
        sec.tables.append(("In the browser (JupyterLab, keypress -> new picture)", columns,
                           [["keypress -> new picture", "not measured", "", "", f"<= {goal:g} ms", "n/a"]]))
        sec.notes.append(f"**Browser latency not measured in this run:** "
                         f"`artifacts/browser-latency.json` is {why} (the browser tests write it; run "
                         f"`python -m pytest -m browser` first, which needs Chromium).")
        sec.goals.append(Goal("widgets", "browser keypress -> new picture: median", f"<= {goal:g} ms",
                              "not measured", None, key="widgets:browser"))
        return
    rows = []
    for label, s in browser["measures"].items():
        if "samples" in s:
            med, p95, n = median(s["samples"]), percentile(s["samples"], 95), str(len(s["samples"]))
        else:
            med, p95, n = s["median"], float(s["p95"]) if s.get("p95") else float("nan"), "?"
        met = med <= goal
        rows.append([label, ms(med), ms(p95), n, f"<= {goal:g} ms", yes_no(met)])
        sec.goals.append(Goal("widgets", f"browser {label}: median", f"<= {goal:g} ms", ms(med), met,
                              key=f"widgets:browser:{label}"))
    sec.tables.append(("In the browser (JupyterLab, keypress -> new picture)", columns, rows))
    sec.notes.append(f"Browser figures read from `{browser['file']}`"
                     + (f", written {browser['written']}" if browser.get("written") else "")
                     + " by the browser tests (`python -m pytest tests/browser`), not by this command"
                     + (f": {browser['what']}." if browser.get("what") else "."))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.widgets")
    parser.add_argument("--child", action="store_true", help="measure and print JSON (internal)")
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--profile", action="append", default=[], help="WIDGET:control label to profile")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.updates, args.profile)))
        return 0
    print(json.dumps(measure(args.updates, args.profile), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
