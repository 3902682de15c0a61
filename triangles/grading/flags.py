"""The flags a result can carry: one vocabulary, used by the pipeline, the reports and --help.

A flag never changes a score by itself. Scores change only because something could not be
judged (missing notebook, dead kernel, ...) or because the answer itself is wrong.
"""

from __future__ import annotations

# name -> (what triggers it, effect on the score, shown to the student?)
FLAGS: dict[str, tuple[str, str, bool]] = {
    "missing-notebook": ("no <assignment>.ipynb in the submission folder", "all exercises 0", True),
    "corrupt-notebook": ("the file is not JSON, or not a notebook", "all exercises 0", True),
    "late": ("timestamp.txt is after the due date (--due or --config, with any extension)",
             "the late policy's penalty on the assignment total (--config; none by default)", True),
    "bad-timestamp": ("timestamp.txt exists but cannot be read as a date", "none", False),
    "answer-missing": ("an answer cell is not in the submission (deleted)", "that exercise counts as blank", True),
    "metadata-stripped": (
        "an answer cell lost its nbgrader metadata; recovered only if its neighbouring master cells "
        "are found unchanged around it, otherwise counted as blank",
        "none if recovered, else that exercise 0",
        True,
    ),
    "duplicate-answer": ("two cells carry the same answer grade_id; the first one is used", "none", True),
    "cell-type-changed": ("an answer cell's type (code/markdown) was changed; the master's type is used", "none", True),
    "tests-edited": ("a test or other locked cell differs from the release; the master's cell is used", "none", False),
    "tests-deleted": ("a test cell is missing from the submission; the master's cell is used", "none", False),
    "cells-added": ("code cells outside the answer cells were added; they run in notebook order, "
                    "sandboxed like the rest", "none", True),
    "timeout": ("a cell ran longer than --timeout and was interrupted, or the notebook used up --notebook-timeout",
                "exercises that could not run: 0", True),
    "kernel-died": ("the kernel died (e.g. os.kill, os._exit, out of memory)", "exercises after it: 0", True),
    "output-limit": ("a cell printed more than --max-output-mb; the rest of its output was dropped",
                     "none by itself", True),
    "refused-file": ("a symbolic link, FIFO, device or other special file stood where a submission folder, "
                     "notebook or timestamp.txt should be; it was not followed or read",
                     "all exercises 0 if it is the notebook or a folder, else none", True),
    "unsandboxed": ("graded with --unsandboxed: the student's code ran without the sandbox",
                    "none, but the score is only as trustworthy as the code that ran", True),
    "not-plain-data": ("an answer is not plain data (None/bool/int/float/str/list/tuple/set/dict, "
                       "numpy scalar/array or pandas table)", "that exercise 0", True),
    "export-missing": ("an export cell produced no answer record although the kernel was alive",
                       "that exercise 0", False),
    "export-garbled": ("an answer record was unreadable, duplicated, or carried the wrong nonce/exercise",
                       "that exercise 0", False),
    "export-noise": ("something else printed during an export cell (e.g. a patched hook)", "none", False),
    "suspicious-code": ("the student's code mentions __eq__, builtins, sys hooks, IPython events, "
                        "input transformers, os.kill, ... (static scan)", "none", False),
    "grader-error": ("the grader itself failed on this submission (retried on the next run)",
                     "auto-graded exercises not scored (blank) until rerun; manual scores kept", False),
}


def flag(name: str, detail: str = "", exercise: str | None = None) -> dict:
    """One flag record as stored in a result file."""
    if name not in FLAGS:
        raise ValueError(f"unknown flag {name!r}")
    return {"flag": name, "detail": detail, "exercise": exercise}


def shown_to_student(name: str) -> bool:
    return FLAGS[name][2]


def help_text() -> str:
    lines = ["flags (column 'flags' of grades.csv, details in results/<student>/<assignment>.json):"]
    for name, (trigger, effect, _) in FLAGS.items():
        lines.append(f"  {name:18} {trigger}; score: {effect}")
    return "\n".join(lines)
