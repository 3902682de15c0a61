"""Shared test set-up.

Notebooks under tests/ are fixtures driven by the tests themselves, so nbval must not collect them.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests never open a window

collect_ignore_glob = ["fixtures/*", "fixtures/**/*", "browser/*.ipynb", "**/*.ipynb"]

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def pytest_collection_modifyitems(session, config, items):
    """Run the browser tests last. Playwright's sync API, held open by their session-scoped
    `browser` fixture, leaves its event loop marked as running in the main thread; tests that run
    after it and call asyncio.run() (the hub, pre-forked kernels, the widgets' drag coalescing) would
    then fail for a reason that has nothing to do with what they test."""
    browser_dir = Path(__file__).resolve().parent / "browser"
    items.sort(key=lambda item: Path(str(item.fspath)).resolve().is_relative_to(browser_dir))
