"""The repository keeps its promises: layout, licences, the README's commands, clean student notebooks."""

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_NOTEBOOKS = [
    "00-start-here", "01-reading-the-article", "02-the-timeline", "03-the-strategic-triangle",
    "04-testing-the-claims", "05-the-wedge", "06-hindsight", "07-decision-point",
]


def _readme_command(marker: str) -> str:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"<!-- {marker} -->")
    assert lines[start + 1] == "```", f"the {marker} must be in a code block right after its marker"
    return lines[start + 2]


def test_top_level_layout():
    for name in ("README.md", "requirements.txt", "pyproject.toml", "notebooks", "course", "data",
                 "tests", "seeds", "triangles", ".ci/run", "LICENSE", "LICENSE-CONTENT.md"):
        assert (ROOT / name).exists(), name


def test_readme_commands_set_up_from_scratch():
    course = _readme_command("course-command")
    tests = _readme_command("test-command")
    for command in (course, tests):
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt && ")
    assert course.endswith("jupyter lab notebooks/00-start-here.ipynb --ServerApp.root_dir=.")
    assert tests.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    extract = re.search(r"test_command=\$\((awk .+ README\.md)\)", script).group(1)
    result = subprocess.run(["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == _readme_command("test-command")


def test_requirements_pin_every_package_and_install_the_kit():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    packages = [l for l in lines if not l.startswith(("-e", "./"))]
    assert all("==" in l for l in packages), [l for l in packages if "==" not in l]
    names = {l.split("==")[0].lower().replace("_", "-") for l in packages}
    assert {"jupyterlab", "pandas", "matplotlib", "ipywidgets", "nbval", "jupyterlab-widgets"} <= names
    assert "-e ." in lines and "./lab-settings" in lines


def test_licences_name_mit_cc_by_and_the_article():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    content = (ROOT / "LICENSE-CONTENT.md").read_text()
    assert "CC BY 4.0" in content and "China-US Focus" in content
    seeds = (ROOT / "seeds" / "README.md").read_text()
    assert "chinausfocus.com" in seeds and "teaching" in seeds


@pytest.mark.parametrize("stem", EXPECTED_NOTEBOOKS)
def test_student_notebook_is_committed_clean(stem):
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    assert path.exists(), f"{path} is missing: run `python -m triangles.course release`"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert not cell["outputs"], f"{stem}: cell {index} has outputs"
            assert cell["execution_count"] is None, f"{stem}: cell {index} has an execution count"
        assert "### BEGIN SOLUTION" not in "".join(cell["source"]), f"{stem}: cell {index} leaks a solution"
        assert "### BEGIN HIDDEN TESTS" not in "".join(cell["source"]), f"{stem}: cell {index} leaks hidden tests"


@pytest.mark.parametrize("stem", EXPECTED_NOTEBOOKS)
def test_master_exists_for_every_student_notebook(stem):
    assert (ROOT / "course" / "source" / stem / f"{stem}.ipynb").exists()
