"""Tests of the kit's grader (triangles.grading).

The sample submissions are generated here, from the small fixture master in
tests/fixtures/grading/course/source/90-mini/, into temporary folders: nothing binary is
committed and the tests do not depend on the real course masters.

The expensive part - running the grader on every sample - happens once per module (fixture
``graded``); each sample then has its own assertions.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "grading"
COURSE = FIXTURE / "course"
ASSIGNMENT = "90-mini"
MASTER = COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
PYTHON = sys.executable
TIMEOUT = 8  # per cell, seconds: honest cells take < 1 s, with room for a loaded machine
DUE = "2025-01-10T17:00:00+00:00"
EXERCISES = ["ex90-1", "ex90-2", "ex90-3", "ex90-4"]
POINTS = {"ex90-1": 1, "ex90-2": 1, "ex90-3": 2, "ex90-4": 1, "ex90-5": 2}

# --------------------------------------------------------------------------------------------
# Building sample submissions from the master
# --------------------------------------------------------------------------------------------

CODE_STUB, TEXT_STUB = "# YOUR CODE HERE", "YOUR ANSWER HERE"  # as in course/nbgrader_config.py


def _replace_region(text: str, begin: str, end: str, stub: str | None) -> str:
    """nbgrader's rule: a line containing `begin` .. a line containing `end` -> the stub (or nothing)."""
    lines, inside = [], False
    for line in text.split("\n"):
        if begin in line:
            inside = True
            if stub is not None:
                lines.append(stub)
        elif end in line and inside:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def load_master() -> dict:
    return json.loads(MASTER.read_text())


def student_version(master: dict) -> dict:
    """What students receive, as stock nbgrader makes it with the course's config: solution
    regions become the stub (the kit keeps the `x = ...` line above), hidden tests go."""
    nb = copy.deepcopy(master)
    for cell in nb["cells"]:
        text = _source(cell)
        if _nbg(cell).get("solution"):
            stub = CODE_STUB if cell["cell_type"] == "code" else TEXT_STUB
            text = _replace_region(text, "BEGIN SOLUTION", "END SOLUTION", stub)
        cell["source"] = _replace_region(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", None).rstrip()
    return nb


def cell_index(nb: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if _nbg(c).get("grade_id") == grade_id)


def answer(nb: dict, grade_id: str, text: str) -> None:
    nb["cells"][cell_index(nb, grade_id)]["source"] = text


SOLUTIONS = {
    "ex90-1-answer": "n_powers = len(powers)",
    "ex90-2-answer": 'mean_share = powers["gdp_share"].mean()',
    "ex90-3-answer": 'nuclear = set(powers.loc[powers["nuclear"], "power"])',
    "ex90-4-answer": 'ranked = powers.sort_values("gdp_share", ascending=False)[["power", "gdp_share"]]'
                     '.reset_index(drop=True)',
    "ex90-5": "With three players, two can always gang up on the third.",
}


def answered(master: dict, **overrides: str) -> dict:
    """The student version with every answer right, except the given grade_id=text overrides
    (use underscores for dashes in the keyword names)."""
    nb = student_version(master)
    answers = dict(SOLUTIONS, **{k.replace("_", "-"): v for k, v in overrides.items()})
    for gid, text in answers.items():
        answer(nb, gid, text)
    return nb


HOOKS = r'''
import builtins, json, re, sys
n_powers = 0  # wrong: the table has 6 rows
builtins.AssertionError = type("Never", (Exception,), {})
sys.excepthook = lambda *args: None
_seen = {}
def _pre(info):
    cell = info.raw_cell or ""
    match = re.search(r"_tri_export_([0-9a-f]+)", cell)
    _seen["nonce"] = match.group(1) if match and '"ex90-1"' in cell else None
def _post(result):
    if _seen.get("nonce"):
        forged = {"nonce": _seen["nonce"], "exercise": "ex90-1", "variable": "n_powers",
                  "status": "value", "value": 6}
        display({"application/vnd.triangles.export+json":
                 {"nonce": _seen["nonce"], "payload": json.dumps(forged)}}, raw=True)
ip = get_ipython()
ip.events.register("pre_run_cell", _pre)
ip.events.register("post_run_cell", _post)
ip.input_transformers_cleanup.append(lambda lines: [l.replace("grade(", "print(") for l in lines])
'''

LIAR = '''
class Always(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
n_powers = Always(0)
'''

SET_LIAR = '''
class AnySet(set):
    def __eq__(self, other):
        return True
    __hash__ = None
nuclear = AnySet()
'''

STUBBORN = '''
import time
mean_share = 11.42
while True:
    try:
        time.sleep(0.2)
    except KeyboardInterrupt:
        pass
'''


def write_nb(folder: Path, nb: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(nb, indent=1))


def make_samples(root: Path) -> dict[str, dict]:
    """Write every sample under root/<student>/90-mini/ and return what each should get:
    {student: {"scores": {exercise: points}, "flags": {flag, ...}}} (auto-graded exercises)."""
    master = load_master()
    expected: dict[str, dict] = {}

    def sample(student, nb, scores, flags=(), timestamp=None, raw=None):
        folder = root / student / ASSIGNMENT
        if raw is not None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{ASSIGNMENT}.ipynb").write_bytes(raw)
        elif nb is not None:
            write_nb(folder, nb)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{ASSIGNMENT} (1).ipynb").write_text("{}")  # wrong file name
        if timestamp:
            (folder / "timestamp.txt").write_text(timestamp)
        expected[student] = {"scores": dict(zip(EXERCISES, scores)), "flags": set(flags)}

    on_time = "2025-01-09 12:00:00.000000 UTC"
    sample("alice", answered(master), [1, 1, 2, 1], timestamp=on_time)
    sample("bob", answered(master, ex90_1_answer='n_powers = powers["power"].count()',  # numpy int: right
                           ex90_2_answer='mean_share = powers["gdp_share"].median()',  # wrong
                           ex90_3_answer='nuclear = list(powers.loc[powers["nuclear"], "power"])',  # list: right
                           ex90_4_answer='ranked = powers[["power", "gdp_share"]]',  # unsorted: wrong
                           ex90_5="Because."), [1, 0, 2, 0], timestamp=on_time)
    sample("carol", student_version(master), [0, 0, 0, 0])
    sample("dave", answered(master), [1, 1, 2, 1], {"late"}, timestamp="2025-01-11 09:30:00.000000 UTC")

    nb = answered(master, ex90_2_answer="mean_share = 0")
    nb["cells"][cell_index(nb, "ex90-2")]["source"] = 'print("all good")'
    nb["cells"][cell_index(nb, "setup90")]["source"] = "def check(*a, **k): pass\ndef grade(*a, **k): pass"
    sample("erin", nb, [1, 0, 2, 1], {"tests-edited"})

    nb = answered(master, ex90_1_answer="n_powers = 5")
    for gid in ("ex90-1", "ex90-3", "ex90-4-answer"):
        del nb["cells"][cell_index(nb, gid)]
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "print('my own test: ok')",
                        "outputs": [], "execution_count": None})
    sample("frank", nb, [0, 1, 2, 0], {"tests-deleted", "cells-added", "answer-missing"})

    nb = answered(master)
    for cell in nb["cells"]:
        cell["metadata"] = {}
    sample("grace", nb, [1, 1, 2, 1], {"metadata-stripped"})

    nb = answered(master)
    nb["cells"][cell_index(nb, "ex90-2-answer") - 1]["source"] += " (my notes)"  # breaks the anchor
    for cell in nb["cells"]:
        cell["metadata"] = {}
    sample("heidi", nb, [1, 0, 2, 1], {"metadata-stripped"})

    sample("ivan", answered(master, ex90_1_answer=LIAR, ex90_3_answer=SET_LIAR, ex90_4_answer="ranked = ..."),
           [0, 1, 0, 0], {"not-plain-data", "suspicious-code"})
    sample("judy", answered(master, ex90_1_answer=HOOKS), [0, 1, 2, 1], {"export-garbled", "suspicious-code"})
    sample("ken", answered(master, ex90_2_answer='mean_share = powers["gdp_share"].mean()\n'
                                                 "import os\nos.kill(os.getpid(), 9)"),
           [1, 0, 0, 0], {"kernel-died", "suspicious-code"})
    sample("leo", answered(master, ex90_3_answer="nuclear = ...\nwhile True:\n    pass"), [1, 1, 0, 1], {"timeout"})
    sample("mia", answered(master, ex90_2_answer=STUBBORN), [1, 0, 0, 0], {"timeout"})
    sample("nick", None, [0, 0, 0, 0], {"corrupt-notebook"}, raw=b"this is not a notebook\n")
    sample("olga", None, [0, 0, 0, 0], {"corrupt-notebook"}, raw=b'{"cells": "nope", "nbformat": 4}')
    sample("pat", None, [0, 0, 0, 0], {"missing-notebook"})

    nb = answered(master, ex90_1_answer="n_powers = count_rows(powers)")  # uses a helper from its own cell
    nb["cells"].insert(cell_index(nb, "ex90-1-answer"), {"cell_type": "code", "metadata": {}, "outputs": [],
                                                          "source": HELPER_CELL, "execution_count": None})
    sample("hal", nb, [1, 1, 2, 1], {"cells-added"}, timestamp=on_time)
    return expected


HELPER_CELL = "def count_rows(table):\n    return len(table)"
HONEST = ["alice", "bob", "carol", "dave", "hal"]


# --------------------------------------------------------------------------------------------
# Running the grader
# --------------------------------------------------------------------------------------------


def run_grader(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([PYTHON, "-m", "triangles.grading", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def grade_args(submissions: Path, out: Path) -> list[str]:
    return ["grade", str(submissions), "--out", str(out), "--course", str(COURSE), "--timeout", str(TIMEOUT),
            "--jobs", "2", "--due", f"{ASSIGNMENT}={DUE}"]


def result_of(out: Path, student: str) -> dict:
    return json.loads((out / "results" / student / f"{ASSIGNMENT}.json").read_text())


def scores_of(result: dict) -> dict[str, float]:
    return {v["exercise"]: v["score"] for v in result["exercises"] if v["mode"] == "auto"}


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every sample graded once by the CLI; returns (submissions, out, expected, seconds, stderr)."""
    root = tmp_path_factory.mktemp("grading")
    submissions, out = root / "submitted", root / "out"
    expected = make_samples(submissions)
    started = time.monotonic()
    done = run_grader(*grade_args(submissions, out))
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    return submissions, out, expected, seconds, done.stderr


# --------------------------------------------------------------------------------------------
# Fast unit tests (no kernel)
# --------------------------------------------------------------------------------------------


def test_help_is_useful_to_an_instructor():
    top = run_grader("--help")
    grade = run_grader("grade", "--help")
    merge = run_grader("merge-manual", "--help")
    assert top.returncode == grade.returncode == merge.returncode == 0
    for text in ("grade", "merge-manual", "timestamp.txt", "grades.csv", "feedback/", "manual/"):
        assert text in top.stdout, text
    for option in ("--out", "--course", "--jobs", "--timeout", "--due", "--assignment", "--unsandboxed",
                   "--memory-mb", "--max-processes", "--address-space-mb", "--max-file-mb", "--max-output-mb",
                   "--container-image"):
        assert option in grade.stdout, option
    from triangles.grading.flags import FLAGS

    for name in FLAGS:  # every flag is explained where the instructor looks
        assert name in grade.stdout, name
    assert "row" in merge.stdout and "column" in merge.stdout


def test_grading_imports_no_widgets():
    code = ("import sys, triangles.grading.__main__, triangles.grading.batch, triangles.grading.pipeline, "
            "triangles.grading.manual, triangles.grading.expected\n"
            "bad = [m for m in sys.modules if m.startswith(('ipywidgets', 'triangles.widgets'))]\n"
            "assert not bad, bad")
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    package = Path(__file__).parent.parent / "triangles" / "grading"
    for path in package.glob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+(ipywidgets|triangles\.widgets)", path.read_text(), re.M), path


def test_master_is_read_statically():
    from triangles.grading.master import load_master as load

    master = load(COURSE, ASSIGNMENT)
    got = {e.id: (e.mode, e.points, e.variable, e.kind, e.digits, e.answer_grade_id) for e in master.exercises}
    assert got == {
        "ex90-1": ("auto", 1, "n_powers", None, None, "ex90-1-answer"),
        "ex90-2": ("auto", 1, "mean_share", None, 2, "ex90-2-answer"),
        "ex90-3": ("auto", 2, "nuclear", "set", None, "ex90-3-answer"),
        "ex90-4": ("auto", 1, "ranked", None, None, "ex90-4-answer"),
        "ex90-5": ("manual", 2, None, None, None, "ex90-5"),
    }
    assert master.exercises[0].hint == "Count the rows of `powers`."
    assert master.exercises[4].rubric == "R90.5 in course/rubrics.md"


def test_rebuild_takes_only_answer_cells_from_the_student():
    from triangles.grading.master import load_master as load
    from triangles.grading.rebuild import rebuild

    master = load(COURSE, ASSIGNMENT)
    nb = answered(load_master(), ex90_2_answer="mean_share = 99  # mine")
    nb["cells"][cell_index(nb, "ex90-2")]["source"] = "print('passed')"
    nb["cells"][cell_index(nb, "setup90")]["source"] = "import builtins"
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "source": "helper = 1", "outputs": [],
                           "execution_count": None})
    rebuilt = rebuild(master, nb, "n0nce")
    text = "\n".join(c["source"] for c in rebuilt.nb["cells"])
    assert "mean_share = 99  # mine" in text           # the student's answer is used
    assert "print('passed')" not in text and "import builtins" not in text
    assert "HIDDEN" not in text and "grade(" not in text and "check(" not in text  # no tests in the kernel
    # the added cell runs where the student put it: after the master cell above it (cell 2)
    assert len(rebuilt.nb["cells"]) == len(master.nb["cells"]) + 1
    assert rebuilt.nb["cells"][3]["source"] == "helper = 1" and rebuilt.origins[3] is None
    assert rebuilt.origins[:3] == [0, 1, 2] and rebuilt.origins[4:] == list(range(3, len(master.nb["cells"])))
    assert set(rebuilt.export_cells) == {"ex90-1", "ex90-2", "ex90-3", "ex90-4"}
    assert all("n0nce" in rebuilt.nb["cells"][i]["source"] for i in rebuilt.export_cells.values())
    assert {f["flag"] for f in rebuilt.flags} == {"tests-edited", "cells-added"}


def test_stripped_cells_are_recovered_only_when_unambiguous():
    from triangles.grading.master import load_master as load
    from triangles.grading.rebuild import rebuild

    master = load(COURSE, ASSIGNMENT)
    nb = answered(load_master(), ex90_1_answer="n_powers = 41")
    for cell in nb["cells"]:
        cell["metadata"] = {}
    clean = rebuild(master, nb, "x")
    assert clean.answers["ex90-1-answer"] == "n_powers = 41"
    # an extra cell between the anchors of ex90-1: which one is the answer? Refuse to guess.
    nb["cells"].insert(cell_index(master.nb, "ex90-1-answer"),
                       {"cell_type": "code", "metadata": {}, "source": "n_powers = 6", "outputs": []})
    ambiguous = rebuild(master, nb, "x")
    assert "ex90-1-answer" not in ambiguous.answers
    assert "ex90-2-answer" in ambiguous.answers  # the others are still found
    stripped = [f for f in ambiguous.flags if f["flag"] == "metadata-stripped" and f["exercise"] == "ex90-1"]
    assert stripped and "could not be located" in stripped[0]["detail"]


def _export_in_process(monkeypatch, value, nonce="abc123"):
    """Run the real export cell in this interpreter, capturing what it would display."""
    import IPython.display

    from triangles.grading.export import MIME, export_source, read_export

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    namespace = {"answer": value}
    exec(export_source(nonce, "ex1", "answer"), namespace)
    assert "_tri_export_" + nonce not in namespace  # the helper deletes itself
    outputs = [{"output_type": "display_data", "data": {MIME: obj[MIME]}} for obj in shown]
    return read_export(outputs, nonce, "ex1")


def test_export_round_trip_keeps_every_honest_answer(monkeypatch):
    import numpy as np
    import pandas as pd

    from triangles.exercises import canonical, canonical_json, infer_kind
    from triangles.grading.export import decode

    frame = pd.DataFrame({"power": ["US", "China"], "share": [24.1, np.nan], "year": [2020, 2021]})
    values = [
        6, np.int64(6), 11.416666, np.float64(0.5), float("inf"), True, None, "China", [1, (2, 3)],
        {"US", "China"}, frozenset({1}), {"a": 1, 2: [3]}, np.array([[1, 2], [3, 4]]), range(3),
        frame, frame.set_index("power"), frame.groupby("year")["share"].sum(), frame[frame.year > 2020],
        pd.Series([1, 2], index=pd.Index(["a", "b"], name="k"), name="n"), pd.Index([3, 4]),
        pd.Timestamp("2020-01-02"), __import__("datetime").date(2020, 1, 2),
    ]
    for value in values:
        record, problem, noise = _export_in_process(monkeypatch, value)
        assert problem is None and not noise and record["status"] == "value", (value, problem)
        kind = infer_kind(value)
        back = decode(record["value"])
        assert canonical_json(canonical(back, kind)) == canonical_json(canonical(value, kind)), value


def test_export_refuses_lying_objects_and_reports_blanks(monkeypatch):
    class Liar(int):
        def __eq__(self, other):
            return True

    class Shady(list):
        pass

    for value in (Liar(3), Shady([1]), object(), [1, Liar(2)], {"k": Shady()}):
        record, problem, _ = _export_in_process(monkeypatch, value)
        assert problem is None and record["status"] == "not-plain", value
    record, _, _ = _export_in_process(monkeypatch, ...)
    assert record["status"] == "unanswered"
    record, _, _ = _export_in_process(monkeypatch, [1, ...])
    from triangles.exercises import Unanswered, canonical
    from triangles.grading.export import decode

    with pytest.raises(Unanswered):
        canonical(decode(record["value"]))


def test_read_export_rejects_forged_duplicated_or_garbled_records():
    from triangles.grading.export import MIME, read_export

    def out(payload, nonce="good"):
        return {"output_type": "display_data", "data": {MIME: {"nonce": nonce, "payload": payload}}}

    honest = json.dumps({"nonce": "good", "exercise": "ex1", "variable": "x", "status": "value", "value": 1})
    assert read_export([out(honest)], "good", "ex1")[1] is None
    assert read_export([out(honest)], "other", "ex1")[1][0] == "export-garbled"           # wrong nonce
    assert read_export([out(honest), out(honest)], "good", "ex1")[1][0] == "export-garbled"  # duplicated
    assert read_export([out(honest)], "good", "ex2")[1][0] == "export-garbled"            # other exercise
    assert read_export([out("{not json")], "good", "ex1")[1][0] == "export-garbled"
    bad_value = honest.replace('"value": 1', '"value": ["evil", 1]')
    assert read_export([out(bad_value)], "good", "ex1")[1][0] == "export-garbled"
    assert read_export([], "good", "ex1")[1][0] == "export-missing"
    noisy = read_export([{"output_type": "stream", "name": "stdout", "text": "hi"}, out(honest)], "good", "ex1")
    assert noisy[1] is None and noisy[2] is True


def test_scan_flags_tampering_patterns_but_not_ordinary_code():
    from triangles.grading.scan import scan

    hits = {
        "class A(int):\n    def __eq__(self, o): return True": "__eq__",
        "import builtins": "builtins",
        "sys.settrace(f)": "sys hook",
        "sys.modules['json'] = fake": "sys.modules",
        "get_ipython().events.register('post_run_cell', f)": "IPython events",
        "ip.input_transformers_post.append(f)": "input transformers",
        "os.kill(os.getpid(), 9)": "os.kill",
        "os._exit(0)": "os._exit",
    }
    for code, name in hits.items():
        assert name in scan([code]), code
    assert scan(['n = len(powers)\nshare = powers["gdp_share"].mean()\nprint(n == 6)']) == []


def test_lateness_reads_nbgrader_timestamps(tmp_path):
    from triangles.grading.lateness import check, parse_due, parse_time

    assert parse_time("2025-01-11 09:30:00.000000 UTC").isoformat() == "2025-01-11T09:30:00+00:00"
    due = parse_due([f"{ASSIGNMENT}=2025-01-10T17:00:00+01:00"])[ASSIGNMENT]
    (tmp_path / "timestamp.txt").write_text("2025-01-10 16:30:00 UTC")  # 17:30 in +01:00: late
    info, flags = check(tmp_path, due)
    assert [f["flag"] for f in flags] == ["late"] and info["seconds_late"] == 30 * 60
    assert check(tmp_path, parse_due(["2025-01-10T18:00:00Z"])[None])[1] == []
    (tmp_path / "timestamp.txt").write_text("yesterday-ish")
    assert [f["flag"] for f in check(tmp_path, due)[1]] == ["bad-timestamp"]


def test_result_files_are_atomic_and_keyed_on_inputs(tmp_path):
    from triangles.grading.store import input_key, is_current, write_json_atomic

    nb, stamp = tmp_path / "a.ipynb", tmp_path / "timestamp.txt"
    nb.write_text("{}")
    key = input_key("master1", nb, stamp, None, 60)
    assert key == input_key("master1", nb, stamp, None, 60)
    assert key != input_key("master2", nb, stamp, None, 60)
    assert key != input_key("master1", nb, stamp, "2025-01-01T00:00:00+00:00", 60)
    stamp.write_text("2025-01-01")
    assert key != input_key("master1", nb, stamp, None, 60)
    nb.write_text("{ }")
    assert input_key("master1", nb, stamp, None, 60) != input_key("master1", tmp_path / "gone", stamp, None, 60)
    write_json_atomic(tmp_path / "r" / "x.json", {"input_key": key})
    assert [p.name for p in (tmp_path / "r").iterdir()] == ["x.json"]  # no temp file left behind
    assert is_current(json.loads((tmp_path / "r" / "x.json").read_text()), key)
    assert not is_current({"input_key": key, "grader_error": "boom"}, key)


def test_a_grader_failure_is_recorded_and_retried(tmp_path, monkeypatch):
    from triangles.grading import pipeline
    from triangles.grading.execute import KernelStartError
    from triangles.grading.master import load_master as load
    from triangles.grading.sandbox import Sandbox
    from triangles.grading.store import is_current

    folder = tmp_path / "sub" / "zoe" / ASSIGNMENT
    write_nb(folder, answered(load_master()))

    def no_kernel(*args, **kwargs):
        raise KernelStartError("no kernel today")

    monkeypatch.setattr(pipeline, "run", no_kernel)
    job = pipeline.Job("zoe", ASSIGNMENT, folder, load(COURSE, ASSIGNMENT), {}, tmp_path / "out", 5, None, "k1",
                       Sandbox("bwrap"))
    summary = pipeline.grade_one(job)
    result = result_of(tmp_path / "out", "zoe")
    assert summary["grader_error"] and result["score"] == 0
    assert [f["flag"] for f in result["flags"]] == ["grader-error"]
    assert not is_current(result, "k1")  # the next run grades it again


def test_a_broken_master_stops_grading_with_a_clear_message(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(COURSE, course)
    path = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][cell_index(nb, "ex90-3")]["source"] = "assert True"
    path.write_text(json.dumps(nb))
    write_nb(tmp_path / "sub" / "zoe" / ASSIGNMENT, student_version(load_master()))
    done = run_grader("grade", tmp_path / "sub", "--out", tmp_path / "out", "--course", course)
    assert done.returncode == 2
    assert "check cell ex90-3 has no check(" in done.stderr and str(path) in done.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_grades_table_spans_assignments(tmp_path):
    from triangles.grading.config import load_config
    from triangles.grading.gradebook import build

    run = {"students": ["ann", "ben"], "assignments": [
        {"assignment": "01-a", "exercises": [{"id": "ex01-1", "mode": "auto", "points": 1},
                                             {"id": "ex01-2", "mode": "manual", "points": 3}]},
        {"assignment": "02-b", "exercises": [{"id": "ex02-1", "mode": "auto", "points": 2}]}]}
    results = {
        ("ann", "01-a"): {"exercises": [{"exercise": "ex01-1", "score": 1.0}], "flags": []},
        ("ann", "02-b"): {"exercises": [{"exercise": "ex02-1", "score": 2.0}], "flags": [],
                          "timestamp": "2025-01-11T00:00:00+00:00"},
        ("ben", "01-a"): {"exercises": [{"exercise": "ex01-1", "score": 0.0}],
                          "flags": [{"flag": "timeout", "exercise": "ex01-1"}]},
    }
    book = build(tmp_path, run, load_config(None, {None: "2025-01-10T00:00:00+00:00"}),
                 {("ann", "ex01-2"): {"score": 2.5}}, results)
    rows = book.student_rows()
    assert rows[0] == {"student": "ann", "ex01-1": 1.0, "ex01-2": 2.5, "ex02-1": 2.0, "total": 5.5,
                       "late_penalty": 0.0, "final": 5.5, "flags": "02-b:late"}
    assert rows[1] == {"student": "ben", "ex01-1": 0.0, "ex01-2": None, "ex02-1": None, "total": 0.0,
                       "late_penalty": 0.0, "final": 0.0, "flags": "01-a:timeout(ex01-1); 02-b:no-submission"}


def test_csv_cells_cannot_become_spreadsheet_formulas():
    from triangles.grading.report import csv_text, from_csv_text

    for text in ("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "plain", "'quoted", ""):
        safe = csv_text(text)
        assert not safe.startswith(("=", "+", "-", "@")) and from_csv_text(safe) == text


# --------------------------------------------------------------------------------------------
# The samples, graded by the CLI
# --------------------------------------------------------------------------------------------

STUDENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken",
            "leo", "mia", "nick", "olga", "pat", "hal"]


@pytest.mark.parametrize("student", STUDENTS)
def test_each_sample_gets_the_right_score_and_flags(graded, student):
    _, out, expected, _, _ = graded
    result = result_of(out, student)
    assert scores_of(result) == expected[student]["scores"]
    assert {f["flag"] for f in result["flags"]} == expected[student]["flags"]
    assert not result.get("grader_error")


def test_every_sample_is_in_the_table(graded):
    _, out, expected, _, stderr = graded
    rows = read_csv(out / "grades.csv")
    assert list(rows[0]) == ["student", "ex90-1", "ex90-2", "ex90-3", "ex90-4", "ex90-5", "total", "late_penalty",
                             "final", "flags"]
    assert [r["student"] for r in rows] == sorted(expected)
    for row in rows:
        scores = expected[row["student"]]["scores"]
        assert [float(row[e]) for e in EXERCISES] == [scores[e] for e in EXERCISES]
        blank = row["student"] in ("carol", "nick", "olga", "pat")  # blank free response: pre-scored 0
        assert row["ex90-5"] == ("0" if blank else "")
        assert float(row["total"]) == sum(scores.values())
        for flag in expected[row["student"]]["flags"]:
            assert f"{ASSIGNMENT}:{flag}" in row["flags"]
    assert "graded 17 notebook(s), reused 0" in stderr
    assert "grading:" in stderr  # the progress bar went to stderr


def test_feedback_shows_hints_but_no_solutions(graded):
    _, out, expected, _, _ = graded
    secrets = ["len(powers)", "11.41", "11.42", "United States", "BEGIN", "grade(", "gang up", "Model answer",
               "sort_values", "export", "suspicious", "nonce"]
    for student in expected:
        page = (out / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
        assert page.startswith("<!DOCTYPE html>")
        page = re.sub(r"<pre[^>]*>.*?</pre>", "", page, flags=re.S)  # the student's own answers are shown
        for secret in secrets:
            assert secret not in page, (student, secret)
    bob = (out / "feedback" / "bob" / f"{ASSIGNMENT}.html").read_text()
    assert "Hint: Take the mean of one column." in bob          # ex90-2 is wrong
    assert "Count the rows" not in bob                          # ex90-1 is right: no hint
    assert "Score: 3 / 7" in bob
    assert "after the due date" in (out / "feedback" / "dave" / f"{ASSIGNMENT}.html").read_text()
    assert "stopped" in (out / "feedback" / "ken" / f"{ASSIGNMENT}.html").read_text()


def test_manual_sheet_lists_every_free_response(graded):
    _, out, expected, _, _ = graded
    rows = read_csv(out / "manual" / "ex90-5.csv")
    assert list(rows[0]) == ["student", "answer", "rubric", "points", "score", "comment"]
    by_student = {r["student"]: r for r in rows}
    assert set(by_student) == set(expected)
    assert by_student["alice"]["answer"] == SOLUTIONS["ex90-5"] and by_student["alice"]["score"] == ""
    assert by_student["bob"]["answer"] == "Because."
    assert by_student["carol"]["score"] == "0" and "blank" in by_student["carol"]["comment"]
    assert {r["rubric"] for r in rows} == {"R90.5 in course/rubrics.md"} and {r["points"] for r in rows} == {"2"}


@pytest.fixture
def graded_copy(graded, tmp_path):
    """A private copy of the graded run (submissions + output) that a test may change."""
    submissions, out, expected, _, _ = graded
    shutil.copytree(submissions, tmp_path / "submitted")
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "submitted", tmp_path / "out", expected


def test_rerun_reuses_results_and_regrades_only_what_changed(graded_copy):
    submissions, out, expected = graded_copy
    before = {p: p.read_bytes() for p in (out / "results").rglob("*.json")}
    sheet = out / "manual" / "ex90-5.csv"
    sheet.write_text(sheet.read_text().replace(f'{SOLUTIONS["ex90-5"]}",R90.5 in course/rubrics.md,2,,',
                                               f'{SOLUTIONS["ex90-5"]}",R90.5 in course/rubrics.md,2,1.5,ok', 1))
    again = run_grader(*grade_args(submissions, out))
    assert again.returncode == 0 and "graded 0 notebook(s), reused 17" in again.stderr
    assert {p: p.read_bytes() for p in (out / "results").rglob("*.json")} == before
    assert {r["student"]: r["score"] for r in read_csv(sheet)}["alice"] == "1.5"  # entered score kept
    assert float(next(r for r in read_csv(out / "grades.csv") if r["student"] == "alice")["total"]) == 6.5

    expected_cache = next((out / "expected").iterdir())
    stamp = expected_cache.stat().st_mtime_ns
    write_nb(submissions / "bob" / ASSIGNMENT, answered(load_master()))  # bob fixes everything
    third = run_grader(*grade_args(submissions, out))
    assert third.returncode == 0 and "graded 1 notebook(s), reused 16" in third.stderr, third.stderr
    assert scores_of(result_of(out, "bob")) == {"ex90-1": 1, "ex90-2": 1, "ex90-3": 2, "ex90-4": 1}
    assert expected_cache.stat().st_mtime_ns == stamp  # the master's answers came from the cache


def test_merge_manual_validates_then_merges(graded_copy):
    _, out, _ = graded_copy
    sheet = out / "manual" / "ex90-5.csv"
    rows = read_csv(sheet)
    grades_before = (out / "grades.csv").read_bytes()

    def save(scores: dict):
        with open(sheet, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow(dict(row, score=scores.get(row["student"], row["score"])))

    save({"alice": "2", "bob": "abc", "dave": "3", "erin": "-1"})
    bad = run_grader("merge-manual", out)
    assert bad.returncode == 1
    assert "manual/ex90-5.csv, row 3 (student bob), column 'score': 'abc' is not a number" in bad.stderr
    assert "row 5 (student dave), column 'score': 3 is more than the 2 point(s)" in bad.stderr
    assert "row 6 (student erin), column 'score': -1 is negative" in bad.stderr
    assert (out / "grades.csv").read_bytes() == grades_before  # nothing merged

    save({"alice": "2", "bob": "0.5"})
    good = run_grader("merge-manual", out)
    assert good.returncode == 0, good.stderr
    table = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert (table["alice"]["ex90-5"], table["alice"]["total"]) == ("2", "7")
    assert (table["bob"]["ex90-5"], table["bob"]["total"]) == ("0.5", "3.5")
    assert table["dave"]["ex90-5"] == ""  # still to be scored
    assert "2 / 2" in (out / "feedback" / "alice" / f"{ASSIGNMENT}.html").read_text()


# --------------------------------------------------------------------------------------------
# Killed midway, then rerun
# --------------------------------------------------------------------------------------------


def _kill_tree(pid: int) -> None:
    """SIGKILL the grader and everything it started (workers, kernels), by pid: the grader first,
    so it starts no new worker; each process's children are listed before it is killed."""
    import psutil

    try:
        todo = [psutil.Process(pid)]
    except psutil.NoSuchProcess:
        return
    killed = []
    while todo:
        proc = todo.pop(0)
        try:
            children = proc.children()
            proc.kill()
            killed.append(proc)
            todo.extend(children)
        except psutil.NoSuchProcess:
            pass
    # not the grader itself: it is our child, and Popen.wait() must reap it to see its status
    psutil.wait_procs([p for p in killed if p.pid != pid], timeout=10)


def test_killed_midway_then_rerun_loses_and_duplicates_nothing(graded, tmp_path):
    source, reference, _, _, _ = graded
    chosen = ["alice", "bob", "carol", "ken", "nick"]
    submissions, out = tmp_path / "submitted", tmp_path / "out"
    for student in chosen:
        shutil.copytree(source / student, submissions / student)
    shutil.copytree(reference / "expected", out / "expected")  # the master's answers: cached by checksum
    proc = subprocess.Popen([PYTHON, "-m", "triangles.grading", *grade_args(submissions, out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "results").glob("*/*.json")):
            assert proc.poll() is None, "the grader finished before it could be killed"
            assert time.monotonic() < deadline, "no result appeared"
            time.sleep(0.05)
    finally:
        _kill_tree(proc.pid)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    partial = list((out / "results").glob("*/*.json"))
    assert 1 <= len(partial) < len(chosen) and not (out / "grades.csv").exists()

    rerun = run_grader(*grade_args(submissions, out))
    assert rerun.returncode == 0, rerun.stderr
    reused = int(re.search(r"reused (\d+)", rerun.stderr).group(1))
    assert reused >= len(partial) >= 1
    files = sorted(p.relative_to(out / "results").as_posix() for p in (out / "results").rglob("*.json"))
    assert files == sorted(f"{s}/{ASSIGNMENT}.json" for s in chosen)
    rows = read_csv(out / "grades.csv")
    assert sorted(r["student"] for r in rows) == chosen  # once each
    for student in chosen:  # the same scores and flags as the uninterrupted run
        assert scores_of(result_of(out, student)) == scores_of(result_of(reference, student))
        assert [f["flag"] for f in result_of(out, student)["flags"]] == \
            [f["flag"] for f in result_of(reference, student)["flags"]]


# --------------------------------------------------------------------------------------------
# Stock nbgrader agrees on the honest submissions
# --------------------------------------------------------------------------------------------

NBGRADER_SCORES = """
import json
from nbgrader.api import Gradebook
with Gradebook("sqlite:///gradebook.db") as gb:
    out = {}
    for student in %r:
        nb = gb.find_submission_notebook(%r, %r, student)
        out[student] = {g.name: g.score for g in nb.grades}
print(json.dumps(out))
"""


def test_stock_nbgrader_gives_the_same_scores(graded, tmp_path):
    import nbgrader  # noqa: F401  (a requirement: a missing nbgrader must fail here, not skip)
    from triangles.course import record_keys
    from triangles.exercises import KEYS_ENV

    import nbformat

    source, kit_out, _, _, _ = graded
    course = tmp_path / "course"
    shutil.copytree(COURSE / "source", course / "source")
    shutil.copy(Path(__file__).parent.parent / "course" / "nbgrader_config.py", course)
    # The check cells that stock nbgrader runs need answer keys for the fixture's exercises.
    keys = {"format": 1, "notebooks": {},
            "exercises": record_keys(MASTER, nbformat.read(MASTER, as_version=4), timeout=60)}
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    for student in HONEST:
        shutil.copytree(source / student / ASSIGNMENT, course / "submitted" / student / ASSIGNMENT)
    bin_dir = str(Path(PYTHON).parent)  # nbgrader calls `alembic` from the venv
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), **{KEYS_ENV: str(tmp_path / "keys.json")})

    def nbgrader(*args):
        done = subprocess.run([PYTHON, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]

    started = time.monotonic()
    nbgrader("generate_assignment", ASSIGNMENT, "--force")
    nbgrader("autograde", ASSIGNMENT, "--force")
    nbgrader("export", "--to", str(tmp_path / "nbgrader-grades.csv"))
    stock_seconds = time.monotonic() - started
    exported = {r["student_id"]: float(r["raw_score"]) for r in read_csv(tmp_path / "nbgrader-grades.csv")}
    per_cell = json.loads(subprocess.run([PYTHON, "-c", NBGRADER_SCORES % (HONEST, ASSIGNMENT, ASSIGNMENT)],
                                         cwd=course, env=env, capture_output=True, text=True,
                                         check=True).stdout)
    for student in HONEST:
        kit = scores_of(result_of(kit_out, student))
        assert {e: per_cell[student][e] for e in EXERCISES} == kit, student
        assert exported[student] == sum(kit.values()), student
    assert exported["alice"] == 5 and exported["carol"] == 0  # the comparison is not vacuous
    print(f"\nstock nbgrader: {len(HONEST)} submissions in {stock_seconds:.1f}s "
          f"({len(HONEST) / stock_seconds:.2f}/s, including generate_assignment and export)")


def test_a_data_change_changes_the_master_checksum(tmp_path, monkeypatch):
    """Results are reused only while their inputs are unchanged, and the data is an input."""
    from triangles.grading import master as master_module

    fake_data = tmp_path / "data"
    fake_data.mkdir()
    (fake_data / "timeline.csv").write_text("a\n")
    monkeypatch.setattr(master_module, "DATA_DIR", fake_data)
    master_module.kit_fingerprint.cache_clear()
    before = master_module.kit_fingerprint()
    (fake_data / "timeline.csv").write_text("b\n")
    master_module.kit_fingerprint.cache_clear()
    assert master_module.kit_fingerprint() != before
    master_module.kit_fingerprint.cache_clear()
