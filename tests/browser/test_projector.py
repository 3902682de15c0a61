"""Projector mode: course/projector.ipynb served by Voila and driven in Chromium.

Voila's default template once squeezed the triangle explorer's controls to a 0 px wide box (its
picture took the whole row), so that the page showed widgets that nobody could use. Counting
widgets would not catch that: these tests measure every control's on-screen box at two projector
sizes, then move every control by keyboard and by mouse and check that the picture follows.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, SCREENSHOTS, _free_port
from explorer_controls import EXPLORERS, all_controls, drive_every_control, picture_selector, timeline_categories

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "course" / "projector.ipynb"
START_TIMEOUT = 90
PROJECTOR_SIZES = [{"width": 1280, "height": 800}, {"width": 1024, "height": 768}]


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    base = tmp_path_factory.mktemp("voila")
    root = base / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    dirs = {name: base / name for name in ("config", "runtime")}
    for path in dirs.values():
        path.mkdir()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    port = _free_port()
    log = base / "voila.log"
    command = [sys.executable, "-m", "voila", NOTEBOOK.name, "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", f"--Voila.base_url=/{secrets.token_hex(4)}/"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}{command[-1].split('=', 1)[1]}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # Voila has no /api/status: poll its page
            if process.poll() is not None:
                raise RuntimeError(f"voila exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"voila did not answer in {START_TIMEOUT} s:\n"
                                       f"{log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.25)
        yield url
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _open(browser, url: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    for root in EXPLORERS:  # a kernel starts and runs the notebook for each page
        page.wait_for_selector(picture_selector(root), timeout=120_000)
    return context, page


@pytest.mark.parametrize("viewport", PROJECTOR_SIZES, ids=lambda v: f"{v['width']}x{v['height']}")
def test_every_control_has_a_usable_box_on_screen(voila_url, browser, viewport):
    context, page = _open(browser, voila_url, viewport)
    try:
        assert page.locator("text=Error displaying widget").count() == 0
        controls = all_controls(timeline_categories(page))
        assert len(controls) >= 20
        problems = []
        for control in controls:
            element = page.locator(f".{control.root} .{control.css}").first
            element.scroll_into_view_if_needed()
            box = element.bounding_box()
            if box is None:
                problems.append(f"{control.label}: not shown")
                continue
            if box["width"] < control.min_width or box["height"] < 20:
                problems.append(f"{control.label}: {box['width']:.0f} x {box['height']:.0f} px "
                                f"(needs at least {control.min_width} x 20)")
            if box["x"] < 0 or box["x"] + box["width"] > viewport["width"] + 1:
                problems.append(f"{control.label}: off screen at x={box['x']:.0f}..{box['x'] + box['width']:.0f}")
        for root in EXPLORERS:
            svg = page.locator(picture_selector(root))
            svg.scroll_into_view_if_needed()
            width = svg.bounding_box()["width"]
            if width < 300:
                problems.append(f"{root} picture: {width:.0f} px wide")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"projector-{viewport['width']}.png"))
        assert problems == []
    finally:
        context.close()


def test_every_control_drives_its_picture_by_keyboard_and_by_mouse(voila_url, browser):
    context, page = _open(browser, voila_url, PROJECTOR_SIZES[0])
    try:
        failures = drive_every_control(page)
        assert failures == []
        assert page.locator("text=Error displaying widget").count() == 0
    finally:
        context.close()
