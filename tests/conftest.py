"""Shared test set-up.

Notebooks under tests/ are fixtures driven by the tests themselves, so nbval must not collect them.
"""

import os

import matplotlib

matplotlib.use("Agg")  # tests never open a window

collect_ignore_glob = ["fixtures/*", "fixtures/**/*", "browser/*.ipynb", "**/*.ipynb"]

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
