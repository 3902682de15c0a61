"""The README's course command opens JupyterLab at the repository's root with the start notebook open.

The command is read from the README (the line after ``<!-- course-command -->``), its ``jupyter lab``
part is run with this environment's Python, and the address it would open in a browser is caught
(``ServerApp.browser`` set to a recorder: the local redirect page a student's browser gets) and
opened in Chromium: the notebook tab must be
00-start-here, and the file browser's root must be the repository's (course/, data/, notebooks/).
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import REPO, new_page, require_chromium

pytestmark = pytest.mark.browser


def course_jupyter_args() -> list[str]:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    command = lines[lines.index("<!-- course-command -->") + 2]
    lab = shlex.split(command.split("&&")[-1])
    assert lab[0] == ".venv/bin/jupyter" and lab[1] == "lab", command
    return lab[2:]


def test_course_command_opens_the_start_notebook_at_the_root(browser, tmp_path):
    require_chromium()
    recorder, opened = tmp_path / "record.py", tmp_path / "opened.txt"
    recorder.write_text(f"import sys\nopen({str(opened)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    dirs = {name: tmp_path / name for name in ("config", "runtime", "settings", "workspaces")}
    for path in dirs.values():
        path.mkdir()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
               JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]), JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]))
    command = [sys.executable, "-m", "jupyter", "lab", *course_jupyter_args(), "--ip=127.0.0.1", "--port=0",
               f"--IdentityProvider.token={secrets.token_hex(16)}",
               f"--ServerApp.browser={sys.executable} {recorder} %s"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not (opened.exists() and opened.read_text().strip()) and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            time.sleep(0.5)
        # As for a student: the browser gets a local redirect page that leads to the notebook.
        url = opened.read_text().split()[0]
        redirect = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path)).read_text(encoding="utf-8")
        assert "/lab/tree/notebooks/00-start-here.ipynb" in redirect, redirect
        context, page = new_page(browser)
        try:
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
            assert tab.inner_text().strip() == "00-start-here.ipynb"
            # The file browser follows the notebook into notebooks/; its root is the repository.
            listing = "els => els.map(e => e.textContent.trim())"
            page.locator(".jp-DirListing-item").first.wait_for()
            assert "00-start-here.ipynb" in page.eval_on_selector_all(".jp-DirListing-itemText", listing)
            page.locator(".jp-BreadCrumbs-home").click()
            page.wait_for_function("() => [...document.querySelectorAll('.jp-DirListing-itemText')]"
                                   ".some(e => e.textContent.trim() === 'course')", timeout=30_000)
            names = set(page.eval_on_selector_all(".jp-DirListing-itemText", listing))
            assert {"course", "data", "docs", "notebooks", "README.md"} <= names, names
        finally:
            context.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
