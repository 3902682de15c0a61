"""The students' copy of the course as a git repository, and the nbgitpuller link that hands it out.

    python -m triangles.course student-repo DIR       build or update DIR (a git repository on branch
                                                     main) with only what students should have, and
                                                     commit the change; then `git -C DIR push`
    python -m triangles.course link --hub URL --repo URL [--notebook NN]
                                                     print the nbgitpuller link an instructor posts

The kit's own repository holds the masters (``course/source/``) and ``course/answer-keys.md``;
pointed at it, nbgitpuller would hand students every solution. The student repository holds the
student notebooks, the package (its answer keys are hashed), the data, the article, the syllabus,
rubrics and role-play cards, the requirements and lab settings, and the Binder configuration.

nbgitpuller merges each new commit into the student's copy and keeps the student's side where both
changed the same lines, so an instructor's fix arrives wherever the student has not typed. That
works only if notebooks are committed in nbformat's own layout, which ``release`` guarantees.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlencode

from triangles.paths import NOTEBOOKS_DIR, REPO_ROOT

# The folder nbgitpuller creates in each student's home; hub/ configs put it on PYTHONPATH so that
# kernels import the pulled package (its paths then point at the student's own notebooks).
STUDENT_FOLDER = "great-power-triangles"
BRANCH = "main"

# (source in the kit, destination in the student repository); folders are copied whole.
STUDENT_FILES = [
    ("hub/student-README.md", "README.md"),
    ("LICENSE", "LICENSE"),
    ("LICENSE-CONTENT.md", "LICENSE-CONTENT.md"),
    ("requirements.txt", "requirements.txt"),
    ("pyproject.toml", "pyproject.toml"),
    ("notebooks", "notebooks"),
    ("data", "data"),
    ("seeds", "seeds"),
    ("triangles", "triangles"),
    ("lab-settings", "lab-settings"),
    ("binder", "binder"),
    ("docs/model-references.md", "docs/model-references.md"),
    ("docs/scenario-model.md", "docs/scenario-model.md"),
    ("course/syllabus.md", "course/syllabus.md"),
    ("course/rubrics.md", "course/rubrics.md"),
    ("course/decision-point", "course/decision-point"),
    ("course/projector.ipynb", "course/projector.ipynb"),  # the explorers as an app, served by Voila
]
# Never in a student's copy: solutions, the debrief (it tells what happened after 2019), build debris.
EXCLUDED_NAMES = {"debrief.md", "__pycache__", ".ipynb_checkpoints", "build", "dist"}
EXCLUDED_SUFFIXES = (".egg-info", ".pyc")
FORBIDDEN = ("course/source", "course/answer-keys.md", "course/decision-point/debrief.md",
             "course/nbgrader_config.py", "tests", "benchmarks")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")
GITIGNORE = "__pycache__/\n*.egg-info/\nbuild/\n.ipynb_checkpoints/\n"


class StudentRepoError(Exception):
    """The student repository cannot be built or would leak instructor material."""


def _ignored(_folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in EXCLUDED_NAMES or n.endswith(EXCLUDED_SUFFIXES)}


def copy_student_tree(dest: Path, source: Path = REPO_ROOT) -> list[str]:
    """Replace everything in ``dest`` except ``.git`` by the student files; return their paths."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for child in dest.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for src_name, dest_name in STUDENT_FILES:
        src, target = Path(source) / src_name, dest / dest_name
        if not src.exists():
            raise StudentRepoError(f"{src_name} is missing from {source}: the student repository needs it")
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=_ignored)
        else:
            shutil.copy2(src, target)
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    problems = leaks(dest)
    if problems:
        raise StudentRepoError("the student tree would leak instructor material:\n" + "\n".join(problems))
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() and ".git" not in p.parts)


def leaks(tree: Path) -> list[str]:
    """Instructor material in a student tree: forbidden paths, and notebooks with solution markers."""
    tree = Path(tree)
    found = [f"{name} is present" for name in FORBIDDEN if (tree / name).exists()]
    for notebook in sorted(tree.rglob("*.ipynb")):
        text = notebook.read_text(encoding="utf-8", errors="replace")
        found += [f"{notebook.relative_to(tree)} contains '{m}'" for m in SOLUTION_MARKERS if m in text]
    return found


def _git(repo: Path, *args: str) -> str:
    # A fixed identity only if none is configured, so an instructor's own name is used when set.
    identity = []
    for key, value in (("user.name", "Great-Power Triangles kit"), ("user.email", "kit@localhost")):
        if subprocess.run(["git", "-C", str(repo), "config", key], capture_output=True).returncode:
            identity += ["-c", f"{key}={value}"]
    result = subprocess.run(["git", *identity, "-C", str(repo), *args], capture_output=True, text=True)
    if result.returncode:
        raise StudentRepoError(f"git {' '.join(args)} failed in {repo}: {result.stderr.strip()}")
    return result.stdout.strip()


def _kit_version(source: Path) -> str:
    result = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else "a working copy"


def build_student_repo(dest: Path, message: str | None = None, source: Path = REPO_ROOT) -> str | None:
    """Build or update the student repository at ``dest`` and commit; return the new commit's id,
    or None when nothing changed."""
    dest = Path(dest)
    if not (dest / ".git").exists():
        dest.mkdir(parents=True, exist_ok=True)
        _git(dest, "init", "-q", "-b", BRANCH)
    copy_student_tree(dest, source)
    _git(dest, "add", "-A")
    if not _git(dest, "status", "--porcelain"):
        return None
    _git(dest, "commit", "-q", "-m", message or f"Course update from the kit at {_kit_version(Path(source))}")
    return _git(dest, "rev-parse", "HEAD")


def notebook_name(nn: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> str:
    """``03`` -> ``03-the-strategic-triangle.ipynb``; a clear error for an unknown number."""
    matches = sorted(p.name for p in Path(notebooks_dir).glob(f"{nn}-*.ipynb"))
    if len(matches) != 1:
        known = ", ".join(sorted(p.stem[:2] for p in Path(notebooks_dir).glob("*.ipynb")))
        raise StudentRepoError(f"no single notebook numbered {nn!r} in {notebooks_dir} (known: {known})")
    return matches[0]


def pull_link(hub: str, repo: str, notebook: str = "00", branch: str = BRANCH,
              folder: str = STUDENT_FOLDER, notebooks_dir: Path = NOTEBOOKS_DIR) -> str:
    """The nbgitpuller link: log in, pull (or merge) ``repo`` into ``~/folder``, open the notebook
    in JupyterLab. Query values are URL-encoded as nbgitpuller's own link generator does."""
    if not hub.startswith(("http://", "https://")):
        raise StudentRepoError(f"--hub must be the hub's address starting with https://, not {hub!r}")
    query = urlencode({"repo": repo, "branch": branch, "targetpath": folder,
                       "urlpath": f"lab/tree/{folder}/notebooks/{notebook_name(notebook, notebooks_dir)}"},
                      quote_via=quote, safe="")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"
