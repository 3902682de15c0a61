"""A class on a real local JupyterHub, and the pieces that hand the course to it.

The hub (``hub/local/jupyterhub_config.py``) runs on 127.0.0.1 with the dummy authenticator and
SimpleLocalProcessSpawner; the course is served from a bare git repository on disk (``file://``),
built by ``python -m triangles.course student-repo`` from this working copy. Three simulated
students log in through the REST API, start servers, pull the course with nbgitpuller, run
notebook 00 and an exercise notebook in kernels of their own, answer an exercise and save. The
instructor then pushes a fix; each student pulls again, and the fix arrives while every answer
stays. One student is driven in Chromium through the hub's login page and sees the widgets render.

Without configurable-http-proxy or Chromium these tests are skipped with the reason, except in CI
(``CI=true``), where a missing piece is a failure. The harness is ``benchmarks/hub.py``, which
also runs the 30-student load test; the hub and everything it started is stopped at the end.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import nbformat
import pytest

from benchmarks.hub import (EXERCISE_NOTEBOOK, FOLDER, START_NOTEBOOK, HubError, LocalHub, Student,
                            missing_pieces, serve_course)
from benchmarks.hub import _request as hub_request
from triangles import instructor_tools, student_repo

REPO = Path(__file__).resolve().parent.parent
STUDENTS = 3
FIX = "Correction from your instructor: the fix arrived."

pytestmark = pytest.mark.hub


def require(pieces: list[str]) -> None:
    if not pieces:
        return
    reason = "missing for the hub test: " + "; ".join(pieces)
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def run(coroutine):
    return asyncio.run(coroutine)


# ---------------------------------------------------------------------------------------------
# without a hub: the student repository, the link, the switch


@pytest.fixture(scope="module")
def student_work(tmp_path_factory):
    """The student repository built from this working copy (and its bare clone)."""
    require([] if shutil.which("git") else ["git"])
    return serve_course(tmp_path_factory.mktemp("course"))


def test_student_repository_holds_no_instructor_material(student_work):
    work, _ = student_work
    assert student_repo.leaks(work) == []
    for needed in ("notebooks/00-start-here.ipynb", "triangles/answer_keys.json", "data/datapackage.json",
                   "seeds", "requirements.txt", "pyproject.toml", "lab-settings/overrides.d/triangles.json",
                   "binder/postBuild", "binder/runtime.txt", "course/rubrics.md", "course/decision-point/rules.md",
                   "docs/model-references.md"):
        assert (work / needed).exists(), needed
    for absent in ("course/source", "course/answer-keys.md", "course/decision-point/debrief.md", "tests"):
        assert not (work / absent).exists(), absent
    tracked = subprocess.run(["git", "-C", str(work), "ls-files"], capture_output=True, text=True).stdout
    assert "answer-keys.md" not in tracked and "course/source" not in tracked


def test_leaks_are_found(tmp_path):
    (tmp_path / "course" / "source").mkdir(parents=True)
    (tmp_path / "n.ipynb").write_text('{"cells": [{"source": "### BEGIN SOLUTION"}]}', encoding="utf-8")
    found = student_repo.leaks(tmp_path)
    assert any("course/source" in f for f in found) and any("BEGIN SOLUTION" in f for f in found)


def test_link_opens_the_chosen_notebook_in_the_pulled_folder():
    link = student_repo.pull_link("https://hub.example.edu/", "https://github.com/you/gpt-student.git",
                                  notebook="03")
    parts = urlparse(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["repo"] == "https://github.com/you/gpt-student.git"
    assert query["branch"] == "main" and query["targetpath"] == FOLDER
    assert query["urlpath"] == f"lab/tree/{FOLDER}/notebooks/03-the-strategic-triangle.ipynb"
    with pytest.raises(student_repo.StudentRepoError, match="99"):
        student_repo.pull_link("https://hub.example.edu", "r", notebook="99")


def test_instructor_tools_switch_on_and_off(tmp_path):
    """The one switch, run as an instructor would, in a config folder that wins and that also holds
    the students' default (as the environment's own folder does in a virtual environment)."""
    shutil.copytree(REPO / "lab-settings" / "students", tmp_path, dirs_exist_ok=True)
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(tmp_path))

    def switch(state):
        result = subprocess.run([sys.executable, "-m", "triangles.course", "instructor-tools", state],
                                env=env, capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return dict(line.rsplit(": ", 1) for line in result.stdout.splitlines() if line.endswith((": on", ": off")))

    assert set(switch("status").values()) == {"off"}  # the installed default: a student's JupyterLab
    assert set(switch("on").values()) == {"on"}
    assert set(switch("off").values()) == {"off"}
    assert not list(tmp_path.rglob(instructor_tools.FILE_NAME))


def test_the_hub_section_of_results_is_replaced_alone(tmp_path):
    from benchmarks.hub import SECTION_BEGIN, SECTION_END, preserved_section, write_section

    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nother sections\n", encoding="utf-8")
    write_section(f"{SECTION_BEGIN}\nfirst\n{SECTION_END}\n", results)
    write_section(f"{SECTION_BEGIN}\nsecond\n{SECTION_END}\n", results)
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Results\n\nother sections\n") and "first" not in text
    assert text.count(SECTION_BEGIN) == 1 and preserved_section(results).strip().endswith(SECTION_END)
    assert "second" in preserved_section(results)


# ---------------------------------------------------------------------------------------------
# the hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    require(missing_pieces())
    with LocalHub(tmp_path_factory.mktemp("hub")) as running:
        yield running


@pytest.fixture(scope="module")
def classroom(hub, student_work):
    """Three students who pulled, ran 00 and 01, and answered exercise 01.1; with their answers."""
    _, bare = student_work
    students = [Student(hub, f"student{i}") for i in range(1, STUDENTS + 1)]

    async def one(student):
        await student.start_server()
        await student.pull(f"file://{bare}")
        await student.run_notebook(START_NOTEBOOK)
        await student.run_notebook(EXERCISE_NOTEBOOK)
        answer = f"answer = 'written by {student.name}'"
        cell_id = await student.answer_first_exercise(EXERCISE_NOTEBOOK, answer)
        await student.close_sessions()
        return answer, cell_id

    async def everyone():
        return await asyncio.gather(*(one(s) for s in students))

    try:
        answers = run(everyone())
    except HubError as exc:
        pytest.fail(f"{exc}\n--- hub log ---\n{hub.log_tail()}", pytrace=False)
    return students, dict(zip((s.name for s in students), answers))


def pulled(hub, name: str, path: str = "") -> Path:
    return hub.homes / name / FOLDER / path


def answer_cell(notebook, grade_id: str):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_students_work_in_their_own_copy(hub, classroom):
    students, answers = classroom
    for student in students:
        assert pulled(hub, student.name, START_NOTEBOOK).exists()
        assert student_repo.leaks(pulled(hub, student.name)) == []
        code_cells = [c for c in student.cells if c.notebook == Path(EXERCISE_NOTEBOOK).stem]
        assert code_cells and not any(c.error for c in student.cells)
        saved = nbformat.read(pulled(hub, student.name, EXERCISE_NOTEBOOK), 4)
        answer, cell_id = answers[student.name]
        assert answer in answer_cell(saved, cell_id).source


def test_kernels_import_the_pulled_package(hub, classroom):
    """The hub puts the pulled folder on PYTHONPATH, so data and progress are the student's own."""
    student = classroom[0][0]

    async def where():
        kernel_id = await student.open_kernel(START_NOTEBOOK)
        runs = await student.run_code(kernel_id, ["import triangles.paths as p; print(p.NOTEBOOKS_DIR)"], "where")
        await student.close_sessions()
        return runs[0].stdout.strip()

    assert Path(run(where())) == pulled(hub, student.name, "notebooks").resolve()


def test_a_fix_arrives_and_every_answer_stays(hub, classroom, student_work, tmp_path):
    students, answers = classroom
    work, bare = student_work
    # The instructor fixes notebook 01 in a copy of the kit, rebuilds the student repository, pushes.
    kit = tmp_path / "kit"
    for source, _ in student_repo.STUDENT_FILES:
        (kit / source).parent.mkdir(parents=True, exist_ok=True)
        copy = shutil.copytree if (REPO / source).is_dir() else shutil.copy2
        copy(REPO / source, kit / source)
    fixed = kit / EXERCISE_NOTEBOOK
    notebook = nbformat.read(fixed, 4)
    first_markdown = next(c for c in notebook.cells if c.cell_type == "markdown")
    first_markdown.source += "\n\n" + FIX
    nbformat.write(notebook, fixed)
    assert student_repo.build_student_repo(work, "Fix notebook 01", source=kit) is not None
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True)

    async def pull_again():
        await asyncio.gather(*(s.pull(f"file://{bare}") for s in students))

    run(pull_again())
    for student in students:
        saved = nbformat.read(pulled(hub, student.name, EXERCISE_NOTEBOOK), 4)
        nbformat.validate(saved)
        assert FIX in "".join(c.source for c in saved.cells if c.cell_type == "markdown"), student.name
        answer, cell_id = answers[student.name]
        assert answer in answer_cell(saved, cell_id).source, student.name


def test_students_have_no_instructor_tools_and_the_switch_gives_them_back(hub, classroom, student_work):
    student = classroom[0][0]
    _, bare = student_work

    async def status(name, path):
        from tornado.httpclient import AsyncHTTPClient

        response = await AsyncHTTPClient().fetch(f"{hub.base}/user/{name}/{path}", raise_error=False,
                                                 headers={"Authorization": f"token {hub.token}"})
        return response.code

    page = run(_page_config(hub, student.name))
    assert "@jupyter/nbgrader" in page["disabledExtensions"]
    assert "@jupyter/nbgrader" in page["lockedExtensions"]
    assert run(status(student.name, "api/terminals")) == 404
    assert run(status(student.name, "formgrader")) == 404
    assert run(status(student.name, "api/nbgrader_version")) == 404  # validate_assignment's handlers
    assert run(status(student.name, "voila/tree")) == 200  # projector mode is on the hub for everyone

    # An instructor flips the one switch from a notebook (terminals are off), then restarts the server.
    teacher = Student(hub, "instructor")

    async def switch_on():
        await teacher.start_server()
        await teacher.pull(f"file://{bare}")
        kernel_id = await teacher.open_kernel(START_NOTEBOOK)
        runs = await teacher.run_code(
            kernel_id, [f"!{sys.executable} -m triangles.course instructor-tools on"], "switch")
        await teacher.close_sessions()
        await hub_request(hub, "DELETE", "/hub/api/users/instructor/server")
        for _ in range(120):
            model = await hub_request(hub, "GET", "/hub/api/users/instructor")
            if not model["servers"]:
                break
            await asyncio.sleep(0.5)
        await teacher.start_server()
        return runs[0].stdout

    output = run(switch_on())
    assert "on" in output and (hub.homes / "instructor" / ".jupyter" / "jupyter_server_config.d"
                               / instructor_tools.FILE_NAME).exists(), output
    assert run(status("instructor", "api/terminals")) == 200
    assert "@jupyter/nbgrader" not in run(_page_config(hub, "instructor"))["disabledExtensions"]
    assert run(status(student.name, "api/terminals")) == 404  # the student is unchanged


def test_projector_mode_runs_on_the_hub(hub, classroom):
    """Voila is a server extension on every student's server: the projector app renders there."""
    from tornado.httpclient import AsyncHTTPClient

    name = classroom[0][0].name

    async def render():
        return await AsyncHTTPClient().fetch(
            f"{hub.base}/user/{name}/voila/render/{FOLDER}/course/projector.ipynb", request_timeout=180,
            headers={"Authorization": f"token {hub.token}"})

    page = run(render()).body.decode()
    assert "application/vnd.jupyter.widget-view+json" in page
    assert "error when executing cell" not in page and "Traceback" not in page


async def _page_config(hub, name: str) -> dict:
    from tornado.httpclient import AsyncHTTPClient

    response = await AsyncHTTPClient().fetch(f"{hub.base}/user/{name}/lab",
                                             headers={"Authorization": f"token {hub.token}"})
    html = response.body.decode()
    start = html.index('id="jupyter-config-data"')
    text = html[html.index(">", start) + 1:html.index("</script>", start)]
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# one student in Chromium, through the hub's login page


def _browser_helpers():
    """The browser tests' launch settings and JupyterLab driver (tests/browser/conftest.py)."""
    spec = importlib.util.spec_from_file_location("browser_conftest", REPO / "tests" / "browser" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("browser_conftest", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class _HubUserServer:
    """What the browser tests' Lab driver needs of a server: URLs, here through the hub."""

    def __init__(self, hub: LocalHub, name: str):
        self.base = f"{hub.base}/user/{name}/"

    def url(self, path: str) -> str:
        return self.base + path


def test_a_student_in_chromium_sees_the_widgets(hub, classroom):
    browser_helpers = _browser_helpers()
    browser_helpers.require_chromium()
    from playwright.sync_api import sync_playwright

    name = classroom[0][0].name
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(browser_helpers.CHROMIUM),
                                             args=browser_helpers.CHROMIUM_ARGS, headless=True)
        try:
            context, page = browser_helpers.new_page(browser)
            page.goto(f"{hub.base}/hub/login", wait_until="domcontentloaded")
            page.fill("#username_input", name)
            page.fill("#password_input", "any")
            page.click("#login_submit")
            page.wait_for_url(f"**/user/{name}/**", timeout=60_000)
            lab = browser_helpers.Lab(_HubUserServer(hub, name), page)
            try:
                lab.open_notebook(f"{FOLDER}/notebooks/03-the-strategic-triangle.ipynb")
                lab.run_all()
                page.wait_for_selector(".jp-OutputArea-output .jupyter-widgets .noUi-handle", timeout=60_000)
                widget_area = page.locator(".jp-OutputArea-output .jupyter-widgets").first
                before = widget_area.inner_html()
                handle = page.locator(".jp-OutputArea-output .noUi-handle").first
                handle.focus()
                handle.press("ArrowRight")
                page.wait_for_function(
                    "before => document.querySelector('.jp-OutputArea-output .jupyter-widgets').innerHTML"
                    " !== before", arg=before, timeout=30_000)
                assert lab.widget_errors() == []
                assert page.locator(".jp-OutputArea-output .jupyter-widgets :is(svg, img)").count() > 0
            except Exception:
                lab.screenshot("failed-hub-student")
                raise
            finally:
                context.close()
        finally:
            browser.close()
