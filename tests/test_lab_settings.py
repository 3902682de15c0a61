"""The kit's JupyterLab settings are installed where every JupyterLab in the environment reads them.

The browser tests prove the effect in a running JupyterLab; this checks the installation itself,
so that a broken `requirements.txt` fails fast, with a clear message.
"""

import json
import sys
from pathlib import Path

from jupyterlab_server.settings_utils import _get_overrides

REPO_FILE = Path(__file__).resolve().parent.parent / "lab-settings" / "overrides.d" / "triangles.json"
APP_SETTINGS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"


def test_repository_file_turns_comms_over_subshells_off():
    settings = json.loads(REPO_FILE.read_text(encoding="utf-8"))
    assert settings["@jupyterlab/apputils-extension:kernels-settings"]["commsOverSubshells"] == "disabled"


def test_installed_copy_matches_the_repository():
    installed = APP_SETTINGS / "overrides.d" / "triangles.json"
    assert installed.exists(), f"{installed} is missing: run `pip install -r requirements.txt` (it installs ./lab-settings)"
    assert json.loads(installed.read_text(encoding="utf-8")) == json.loads(REPO_FILE.read_text(encoding="utf-8"))


def test_jupyterlab_reads_the_override():
    overrides, error = _get_overrides(str(APP_SETTINGS))
    assert not error
    assert overrides["@jupyterlab/apputils-extension:kernels-settings"]["commsOverSubshells"] == "disabled"
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
