"""Two widgets moved quickly, many times over: no figure may vanish or land in the wrong Output.

JupyterLab 4.6 with ipykernel 7 runs widget messages on kernel subshells by default
(``commsOverSubshells = perCommTarget``); overlapping callbacks can then put one widget's
plot in another's Output, or lose it (jupyterlab/jupyterlab#19719, ipykernel#1564).  The kit
ships ``commsOverSubshells = disabled`` as a JupyterLab override; these tests use the
environment exactly as a student's (they never set it) and check:

* the running server reports the setting as ``disabled``;
* two of the kit's explorers keep exactly one, current picture each (their inline <svg> carries
  the widget's name and state): a picture that lands in the other widget, vanishes, doubles, or
  shows a value the slider has left fails;
* two plots written the way students write them (``with out: clear_output(wait=True); ...;
  plt.show()``) keep exactly one figure each, of their own size, next to their own text.

Each pair gets ``BURSTS`` bursts of interleaved key presses, each sent while the notebook's
last cell (two pyplot figures and short sleeps) runs on the main shell, as when a student
re-runs a plotting cell while a widget is still busy: that overlap is what subshells allow.
After each burst the page must settle within ``SETTLE_TIMEOUT`` seconds to: the cell showing
its own two figures, and each widget's Output exactly one figure of its own, the current one.
Results go to artifacts/browser-race.json.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

NOTEBOOK = "widget-race.ipynb"
BURSTS = 40
PRESSES_PER_WIDGET = 3  # per burst, interleaved: A, B, A, B, A, B
SETTLE_TIMEOUT = 15.0
RESULTS_FILE = "browser-race.json"

# What each Output holds, read in one go in the page.
_READ_BUSY_CELL = """
  const cell = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')]
    .find(c => (c.querySelector('.jp-InputArea-editor')?.textContent || '').includes('busy_plots()'));
  const busyImgs = [...cell.querySelectorAll('.jp-OutputArea-output img')];
  const busy = {prompt: cell.querySelector('.jp-InputPrompt').textContent.trim(), count: busyImgs.length,
                widths: busyImgs.map(i => i.complete ? i.naturalWidth : 0)};
"""

_OBSERVE_KIT = """
() => {""" + _READ_BUSY_CELL + """
  const read = (root, prefix) => {
    const out = document.querySelector(`.${root} .${prefix}-figure`);
    const pictures = out ? [...out.querySelectorAll('svg')] : [];
    return {count: pictures.length, widgets: pictures.map(p => p.dataset.widget),
            states: pictures.map(p => p.dataset.state)};
  };
  const readout = sel => document.querySelector(`${sel} .widget-readout`).textContent.trim();
  return {triangle: read('triangle-explorer', 'triangle'), scenario: read('scenario-explorer', 'scenario'),
          us_cn: readout('.triangle-us-cn-slider'), steps: readout('.scenario-steps-slider'), busy};
}
"""

_OBSERVE_STUDENT = """
() => {""" + _READ_BUSY_CELL + """
  const read = name => {
    const out = document.querySelector(`.student-${name}-output`);
    const imgs = [...out.querySelectorAll('img')];
    return {count: imgs.length, widths: imgs.map(i => i.complete ? i.naturalWidth : 0),
            text: out.textContent.trim(),
            value: document.querySelector(`.student-${name}-slider .widget-readout`).textContent.trim()};
  };
  return {a: read('a'), b: read('b'), busy};
}
"""


def _busy_problems(seen: dict) -> list[str]:
    busy = seen["busy"]
    if not busy["prompt"].strip("[]: ").isdigit():
        return [f"the busy cell has not finished (prompt {busy['prompt']})"]
    if busy["count"] != 2 or busy["widths"] != [200, 200]:
        return [f"the busy cell shows {busy['count']} figures {busy['widths']}, its own are two 200 px wide"]
    return []


_BUSY_RUNNING = """
() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')]
  .find(c => (c.querySelector('.jp-InputArea-editor')?.textContent || '').includes('busy_plots()'))
  .querySelector('.jp-InputPrompt').textContent.includes('*')
"""


def _kit_problems(seen: dict) -> list[str]:
    problems = _busy_problems(seen)
    expected = {"triangle": ("TriangleExplorer", "us_cn", float(seen["us_cn"].replace("\u2212", "-"))),
                "scenario": ("ScenarioExplorer", "steps", int(seen["steps"]))}
    for part, (widget, key, value) in expected.items():
        shown = seen[part]
        if shown["count"] != 1:
            problems.append(f"{part} Output holds {shown['count']} pictures")
            continue
        if shown["widgets"] != [widget]:
            problems.append(f"{part} Output holds a picture of {shown['widgets']}")
            continue
        state = json.loads(shown["states"][0])
        if abs(state[key] - value) > 1e-9:
            problems.append(f"{part} picture shows {key}={state[key]}, the slider says {value}")
    return problems


def _student_problems(seen: dict) -> list[str]:
    problems = _busy_problems(seen)
    for name, other, width in (("a", "b", 300), ("b", "a", 400)):
        shown = seen[name]
        if shown["count"] != 1:
            problems.append(f"Output {name.upper()} holds {shown['count']} pictures")
        elif shown["widths"] != [width]:
            problems.append(f"Output {name.upper()} holds a picture {shown['widths']} px wide, "
                            f"its own is {width}")
        if shown["text"] != f"{name.upper()} = {shown['value']}":
            problems.append(f"Output {name.upper()} says {shown['text']!r} with the slider at {shown['value']}")
        if f"{other.upper()} =" in shown["text"]:
            problems.append(f"Output {name.upper()} holds {other.upper()}'s text")
    return problems


@pytest.fixture(scope="module")
def race_lab(open_notebook):
    lab, close = open_notebook(NOTEBOOK)
    page = lab.page
    for selector in (".triangle-figure svg", ".scenario-figure svg", ".student-a-output img",
                     ".student-b-output img"):
        page.wait_for_selector(selector, timeout=60_000)
    assert not _busy_problems(page.evaluate(_OBSERVE_STUDENT))
    yield lab
    close()


def _run_bursts(lab, handles: tuple[str, str], observe: str, check) -> dict:
    page = lab.page
    first, second = (page.locator(h) for h in handles)
    busy_cell = page.locator(".jp-NotebookPanel .jp-CodeCell", has_text="busy_plots()")
    failures = []
    overlapped = 0
    started = time.monotonic()
    for burst in range(BURSTS):
        # Four bursts one way, four back: the values stay inside the sliders' ranges.
        key = "ArrowRight" if (burst // 4) % 2 == 0 else "ArrowLeft"
        # Re-run the plotting cell (select it, Ctrl+Enter), then move the widgets while it runs.
        busy_cell.locator(".jp-InputPrompt").click()
        page.keyboard.press("Control+Enter")
        try:
            page.wait_for_function(_BUSY_RUNNING, timeout=5_000)
            overlapped += 1
        except Exception:
            pass  # it finished before we looked; the burst still counts
        for _ in range(PRESSES_PER_WIDGET):
            first.press(key)
            second.press(key)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            seen = page.evaluate(observe)
            problems = check(seen)
            if not problems:
                try:  # settled only if the kernel has nothing left to do
                    lab.wait_kernel_idle(timeout=SETTLE_TIMEOUT)
                except Exception:
                    pass
                seen = page.evaluate(observe)
                problems = check(seen)
                if not problems:
                    break
            if time.monotonic() > deadline:
                failures.append({"burst": burst, "problems": problems, "seen": seen})
                lab.screenshot(f"race-failure-{handles[0].split()[0].strip('.')}-{burst}")
                break
            time.sleep(0.1)
    return {"bursts": BURSTS, "presses_per_burst": 2 * PRESSES_PER_WIDGET,
            "bursts_started_while_the_cell_ran": overlapped, "failures": len(failures),
            "failure_details": failures[:10], "seconds": round(time.monotonic() - started, 1)}


def _save(write_artifact, key: str, result: dict) -> None:
    path = Path(__file__).resolve().parents[2] / "artifacts" / RESULTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data[key] = dict(result, written=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    write_artifact(RESULTS_FILE, data)


def test_the_kits_lab_reports_comms_over_subshells_disabled(lab_server):
    settings = lab_server.get_json("lab/api/settings/@jupyterlab/apputils-extension:kernels-settings")
    # The server applies overrides.d to the schema's defaults; user values sit in "settings".
    default = settings["schema"]["properties"]["commsOverSubshells"]["default"]
    effective = settings["settings"].get("commsOverSubshells", default)
    assert effective == "disabled", settings
    # It comes from the environment (the kit's overrides.d), not from the user's settings ...
    assert "commsOverSubshells" not in settings["settings"]
    user_file = (lab_server.settings_dir / "@jupyterlab" / "apputils-extension"
                 / "kernels-settings.jupyterlab-settings")
    assert not user_file.exists()
    # ... and not from JupyterLab itself, whose own default is to use subshells.
    schema = (Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas" / "@jupyterlab"
              / "apputils-extension" / "kernels-settings.json")
    if schema.exists():
        pristine = json.loads(schema.read_text(encoding="utf-8"))
        assert pristine["properties"]["commsOverSubshells"]["default"] != "disabled"


def test_kit_explorers_never_lose_or_swap_a_figure(race_lab, write_artifact):
    result = _run_bursts(race_lab, (".triangle-us-cn-slider .noUi-handle", ".scenario-steps-slider .noUi-handle"),
                         _OBSERVE_KIT, _kit_problems)
    _save(write_artifact, "kit explorers (TriangleExplorer + ScenarioExplorer)", result)
    race_lab.screenshot("race-kit-after")
    assert result["failures"] == 0, json.dumps(result["failure_details"], indent=2)


def test_student_style_plots_never_lose_or_swap_a_figure(race_lab, write_artifact):
    result = _run_bursts(race_lab, (".student-a-slider .noUi-handle", ".student-b-slider .noUi-handle"),
                         _OBSERVE_STUDENT, _student_problems)
    _save(write_artifact, "student-style plots (with out: clear_output; plt.show())", result)
    race_lab.screenshot("race-student-after", race_lab.page.locator(".student-a-output").locator(".."))
    assert result["failures"] == 0, json.dumps(result["failure_details"], indent=2)
