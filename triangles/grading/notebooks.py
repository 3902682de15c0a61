"""Small helpers for notebook cells as plain dicts (no nbformat validation on purpose:
a student's notebook with odd metadata must still be readable)."""

from __future__ import annotations

import json

# nbgrader recognises its markers as substrings of a line, whatever the comment mark.
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


class NotANotebook(Exception):
    """The bytes are not a readable notebook; `reason` goes into the corrupt-notebook flag."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def source(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def nbg(cell: dict) -> dict:
    meta = cell.get("metadata")
    data = meta.get("nbgrader") if isinstance(meta, dict) else None
    return data if isinstance(data, dict) else {}


def grade_id(cell: dict) -> str | None:
    gid = nbg(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def is_solution(cell: dict) -> bool:
    return bool(nbg(cell).get("solution"))


def is_grade(cell: dict) -> bool:
    return bool(nbg(cell).get("grade"))


def is_locked(cell: dict) -> bool:
    return bool(nbg(cell).get("locked"))


def _drop_regions(text: str, begin: str, end: str) -> tuple[str, bool]:
    kept, inside, found = [], False, False
    for line in text.split("\n"):
        if begin in line:
            inside = found = True
        elif end in line and inside:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept), found


def without_solution(text: str) -> str:
    """A solution cell with its solution removed (the kit keeps the `x = ...` line above the
    region; a cell that is all solution becomes empty). Stubs don't matter to the grader."""
    kept, found = _drop_regions(text, BEGIN_SOLUTION, END_SOLUTION)
    return kept if found else ""


def without_hidden_tests(text: str) -> str:
    return _drop_regions(text, BEGIN_HIDDEN, END_HIDDEN)[0]


def normalised(text: str) -> str:
    """Whitespace-insensitive form used to recognise an unchanged cell."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def loads(data: bytes) -> dict:
    """Parse notebook bytes loosely: JSON object with a list of cells, each with a cell_type.

    Cells that are not dicts are dropped; sources may be strings or lists of strings.
    """
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotANotebook(f"not JSON ({type(exc).__name__})") from None
    except RecursionError:
        raise NotANotebook("JSON nested too deeply to be a notebook") from None
    if not isinstance(nb, dict):
        raise NotANotebook("JSON but not a notebook (top level is not an object)")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise NotANotebook("JSON but not a notebook (no 'cells' list; nbformat 4 expected)")
    nb["cells"] = [c for c in cells if isinstance(c, dict) and isinstance(c.get("cell_type"), str)]
    return nb
