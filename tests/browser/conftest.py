"""Browser tests: a real JupyterLab server driven by Debian's Chromium through Playwright.

What is isolated and what is not, on purpose:
* isolated: the user's Jupyter config, runtime, JupyterLab user settings and workspaces
  (temporary folders), so nothing on the machine changes what the tests see;
* NOT isolated: the JupyterLab application directory of this environment, so the kit's
  ``overrides.d/triangles.json`` (installed by ``pip install ./lab-settings``) applies exactly
  as it does for a student.  The tests never set ``commsOverSubshells`` themselves.

Without /usr/bin/chromium the browser tests are skipped, except when CI=true: a CI run
without a browser is a failure, not a pass.  See docs: /work/shared/BROWSER-TESTING.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARTIFACTS = REPO / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# Debian's Chromium; TRIANGLES_CHROMIUM may name another build of it.
CHROMIUM = Path(os.environ.get("TRIANGLES_CHROMIUM", "/usr/bin/chromium"))
# Quiet and offline: no first-run UI, no background fetches, no QUIC, no GPU.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 1000}
TALL_VIEWPORT = {"width": 1440, "height": 1800}
SERVER_START_TIMEOUT = 90  # seconds; a cold start on a busy 2-core machine
KERNEL_IDLE_TIMEOUT = 90


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives JupyterLab in Debian's Chromium (skipped without it, except in CI)")


# ---------------------------------------------------------------------------------------------
# the browser binary


def require_chromium() -> None:
    """Skip without Chromium, but fail in CI, where a missing browser is a broken setup."""
    if CHROMIUM.exists():
        return
    reason = (f"{CHROMIUM} is missing; install it with `apt-get install -y chromium` "
              "(the browser tests drive Debian's Chromium, not Playwright's download)")
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------------
# the JupyterLab server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    process: subprocess.Popen
    port: int
    token: str
    root: Path
    settings_dir: Path
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def get_json(self, path: str) -> dict:
        with urllib.request.urlopen(self.url(path), timeout=10) as response:
            return json.loads(response.read().decode("utf-8"))

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"


def _wait_for_status(server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            server.get_json("api/status")
            return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer /api/status in {SERVER_START_TIMEOUT} s:\n"
                       f"{server.log_tail()}")


def _stop(server: LabServer) -> None:
    """Stop the server's process group, then any kernel it started (kernels get their own
    session), each by its id."""
    import psutil

    try:
        kernels = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.Error:
        kernels = []
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    for child in kernels:
        try:
            child.terminate()
            child.wait(timeout=5)
        except psutil.TimeoutExpired:
            child.kill()
        except psutil.Error:
            pass


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory) -> LabServer:
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    for notebook in HERE.glob("*.ipynb"):  # a copy: autosave must never touch the repository
        shutil.copy(notebook, root / notebook.name)
    dirs = {name: base / name for name in ("config", "runtime", "settings", "workspaces")}
    for path in dirs.values():
        path.mkdir()
    # Only the news fetch is switched off here; everything else comes from the kit's install.
    notification = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false"}), encoding="utf-8")
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
               JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("JUPYTERLAB_DIR", None)  # the environment's own app dir, with the kit's overrides.d
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI runs as root; without it the server exits
    log = base / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # its own process group
    server = LabServer(process, port, token, root, dirs["settings"], log)
    previous = signal.getsignal(signal.SIGTERM)

    def stop_then_terminate(signum, frame):  # a killed test run must not leave a server behind
        _stop(server)
        signal.signal(signal.SIGTERM, previous if callable(previous) else signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_then_terminate)
    try:
        _wait_for_status(server)
        yield server
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(server)


# ---------------------------------------------------------------------------------------------
# the browser


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


def new_page(browser):
    """A fresh context (fresh profile) and page, wide enough for the widgets."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    return context, context.new_page()


# ---------------------------------------------------------------------------------------------
# driving JupyterLab


class Lab:
    """The few JupyterLab moves the tests need, done the ways that are known to work."""

    def __init__(self, server: LabServer, page) -> None:
        self.server = server
        self.page = page

    def open_notebook(self, name: str) -> None:
        self.page.goto(self.server.url(f"lab/tree/{name}?reset"), wait_until="domcontentloaded")
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        self.wait_kernel_idle()

    def wait_kernel_idle(self, timeout: float = KERNEL_IDLE_TIMEOUT) -> None:
        # The status bar, not the toolbar: the toolbar says "idle" before the kernel exists.
        self.page.wait_for_function(
            "() => /\\|\\s*Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')",
            timeout=timeout * 1000)

    def code_prompts(self) -> list[str]:
        return self.page.eval_on_selector_all(
            ".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent.trim())")

    def run_all(self, attempts: int = 3) -> None:
        page = self.page
        for _ in range(attempts):
            page.locator(".jp-NotebookPanel .jp-Cell").first.click()
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            item = page.locator('.lm-Menu-item[data-command="runmenu:run-all"]')
            item.wait_for(state="visible")
            if item.get_attribute("aria-disabled") == "true":
                page.keyboard.press("Escape")
                time.sleep(0.5)
                continue
            item.click()
            try:  # it started if any prompt shows [*] or a number
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]"
                    ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))", timeout=5_000)
                break
            except Exception:
                continue
        else:
            raise AssertionError("Run All never started a cell")
        page.wait_for_function(
            "() => { const p = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];"
            " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
            timeout=KERNEL_IDLE_TIMEOUT * 1000)
        self.wait_kernel_idle()

    def widget_errors(self) -> list[str]:
        """Texts of any 'Error displaying widget' and of any error output in the notebook."""
        return self.page.eval_on_selector_all(
            ".jp-OutputArea-output",
            "els => els.map(e => e.textContent).filter(t => /Error displaying widget|Traceback|Error:/.test(t))")

    def screenshot(self, name: str, element=None) -> Path:
        """Save a screenshot of the page or of one element.  For an element the window is
        made taller for the moment, so that a tall widget is shown whole."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if element is None:
            self.page.screenshot(path=str(path))
            return path
        self.page.set_viewport_size(TALL_VIEWPORT)
        try:
            element.screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(VIEWPORT)
        return path


@pytest.fixture(scope="session")
def open_notebook(lab_server, browser):
    """open_notebook(name, run=True) -> (Lab, close): a fresh page on the notebook, all cells
    run and the kernel idle.  Test modules share one page through a module-scoped fixture."""
    def open_(name: str, run: bool = True):
        context, page = new_page(browser)
        lab = Lab(lab_server, page)
        try:
            lab.open_notebook(name)
            if run:
                lab.run_all()
        except Exception:
            lab.screenshot(f"failed-open-{Path(name).stem}")
            context.close()
            raise
        return lab, context.close
    return open_


@pytest.fixture(scope="session")
def write_artifact():
    """write_artifact(name, data): JSON into artifacts/ (git-ignored), for the benchmark."""
    def write(name: str, data: dict) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path
    return write
