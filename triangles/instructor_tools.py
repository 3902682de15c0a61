"""The one switch between a student's JupyterLab and an instructor's.

    python -m triangles.course instructor-tools on|off|status

Installed with the kit (``lab-settings/students/``, copied into ``<env>/etc/jupyter/``), every
JupyterLab in the environment starts as a student's: nbgrader's server extensions (formgrader,
validate_assignment, assignment_list, course_list) and its JupyterLab extension are off, the lab
extension is also locked so that the plugin manager cannot turn it back on, and the language server
and terminals are off. nbgrader's Validate button reported "Success" on a wrong answer, and its
instructor tools have no place in a student's menus.

``on`` writes two files into the Jupyter config folder that wins for this user (the first of
``jupyter --paths``' config list: in a virtual environment the user owns, the environment's own
``etc/jupyter``; on a hub, where the kit's hub configs set ``JUPYTER_PREFER_ENV_PATH=0``, the
user's ``~/.jupyter``); ``off`` removes them. Restart JupyterLab (on a hub: File > Hub Control
Panel > Stop My Server, then start it) after switching.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

NBGRADER_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
STUDENT_OFF = NBGRADER_SERVER_EXTENSIONS + ("jupyter_lsp", "jupyter_server_terminals")
NBGRADER_LAB_EXTENSION = "@jupyter/nbgrader"
# In a virtual environment this file lands in the same folders as the students' default
# (triangles-students.json), and Jupyter reads a folder's files in name order: it must sort after it.
FILE_NAME = "triangles-zz-instructor.json"
assert FILE_NAME > "triangles-students.json"


class SwitchError(Exception):
    """The instructor tools cannot be switched here; the message says what to do."""


def _config_dir(config_dir: Path | None) -> Path:
    """The folder whose files override the environment's student defaults for this user."""
    if config_dir is not None:
        return Path(config_dir)
    from jupyter_core.paths import jupyter_config_path

    winner = Path(jupyter_config_path()[0])
    probe = winner if winner.exists() else next((p for p in winner.parents if p.exists()), winner)
    if not os.access(probe, os.W_OK):
        raise SwitchError(f"{winner} (the config folder that wins) is not writable by you: set "
                          "JUPYTER_PREFER_ENV_PATH=0 so that your own ~/.jupyter wins, and run this again")
    return winner


def switch_files(config_dir: Path | None = None) -> dict[Path, dict]:
    """The files ``on`` writes, with their content."""
    base = _config_dir(config_dir)
    server = {"ServerApp": {"jpserver_extensions": {name: True for name in STUDENT_OFF}}}
    page = {"disabledExtensions": {NBGRADER_LAB_EXTENSION: False},
            "lockedExtensions": {NBGRADER_LAB_EXTENSION: False}}
    return {base / "jupyter_server_config.d" / FILE_NAME: server,
            base / "labconfig" / "page_config.d" / FILE_NAME: page}


def set_instructor_tools(on: bool, config_dir: Path | None = None) -> list[Path]:
    """Turn the instructor tools on (write the files) or off (remove them); return the files touched."""
    touched = []
    for path, content in switch_files(config_dir).items():
        if on:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
            touched.append(path)
        elif path.exists():
            path.unlink()
            touched.append(path)
    return touched


def effective_state() -> dict[str, bool]:
    """What a JupyterLab started now from this environment would load (True = on)."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager
    from jupyterlab_server.config import get_static_page_config

    manager = ExtensionConfigManager(read_config_path=[str(Path(p)) for p in jupyter_config_path()])
    server = manager.get_jpserver_extensions()
    page = get_static_page_config()
    state = {name: bool(server.get(name, False)) for name in STUDENT_OFF}
    state[NBGRADER_LAB_EXTENSION] = not page.get("disabledExtensions", {}).get(NBGRADER_LAB_EXTENSION, False)
    return state
