"""Where the kit's files live. The package is installed in editable mode from the repository."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
SEEDS_DIR = REPO_ROOT / "seeds"
COURSE_DIR = REPO_ROOT / "course"
SOURCE_DIR = COURSE_DIR / "source"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
