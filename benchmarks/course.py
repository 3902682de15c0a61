"""Which notebooks the kit has, and the import lines that make each one's floor."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .common import REPO

SOURCE = REPO / "course" / "source"
STUDENT = REPO / "notebooks"


@dataclass(frozen=True)
class Notebook:
    stem: str      # e.g. 02-the-timeline (the nbgrader assignment id)
    version: str   # "master" or "student"
    path: Path

    @property
    def label(self) -> str:
        return f"{self.stem} ({self.version})"


def notebooks(stems: list[str] | None = None) -> list[Notebook]:
    """Masters (course/source/<stem>/<stem>.ipynb) and student versions (notebooks/<stem>.ipynb), in
    course order, master before student. ``stems`` limits the list (``--quick``)."""
    found = []
    masters = {p.parent.name: p for p in sorted(SOURCE.glob("*/*.ipynb")) if p.stem == p.parent.name}
    students = {p.stem: p for p in sorted(STUDENT.glob("*.ipynb"))}
    for stem in sorted(set(masters) | set(students)):
        if stems is not None and stem not in stems:
            continue
        if stem in masters:
            found.append(Notebook(stem, "master", masters[stem]))
        if stem in students:
            found.append(Notebook(stem, "student", students[stem]))
    return found


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4)


def _python(source: str) -> str:
    """Cell source as plain Python (%magics and !shell lines become calls), as IPython runs it."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except ImportError:
        return source


def import_lines(nb) -> list[str]:
    """The import statements found in the notebook's code cells, in order, without repeats.

    Only statements at a cell's top level: an import inside a function or an ``if`` runs only when
    the notebook's own code decides so, which is the notebook's cost, not the floor's.
    """
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                line = ast.unparse(node)
                if line not in lines:
                    lines.append(line)
    return lines


def floor_notebook(lines: list[str]) -> nbformat.NotebookNode:
    """A notebook of one code cell: the import lines. A kernel that runs it is the floor."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("\n".join(lines) or "pass")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def floor_key(lines: list[str]) -> str:
    """Notebooks with the same import lines share one floor (master and student always do)."""
    return json.dumps(lines)
