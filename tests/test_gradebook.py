"""The gradebook (issue 13): roster, late policy, overrides, partial credit, exports, class report,
feedback, the grading desk's logic, safe re-release.

The done test (``test_a_class_through_the_gradebook``) grades a small class with real kernels:
roster -> grade -> late policy with one extension -> an override -> a manual score from the desk
-> a regrade -> the three exports, and checks that nothing entered by hand is lost and that each
export matches its documented format. Everything else runs without a kernel, on result files
written here.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from test_grading import (ASSIGNMENT, COURSE, answer, answered, cell_index, load_master, read_csv,
                          run_grader, student_version, write_nb)

DUE = "2025-01-10T17:00:00+00:00"
ON_TIME = "2025-01-10 12:00:00.000000 UTC"

# --------------------------------------------------------------------------------------------
# A fixture course: the grader's mini master plus a dictionary exercise with partial credit
# --------------------------------------------------------------------------------------------

DICT_ANSWER = 'nuclear_by_power = dict(zip(powers["power"], powers["nuclear"].astype(bool)))'
PARTIAL_POINTS = 3
OLD_HINT = "Count them one by one."   # the hint of an older release of ex90-1's check cell


def _cell(kind, source, nbgrader=None, triangles=None):
    meta = {}
    if nbgrader:
        meta["nbgrader"] = dict({"schema_version": 3, "grade": False, "solution": False, "locked": False}, **nbgrader)
    if triangles:
        meta["triangles"] = triangles
    cell = {"cell_type": kind, "metadata": meta, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def make_course(root: Path) -> Path:
    """tests/fixtures/grading/course + exercise ex90-6 (a dict, partial credit per entry) and a
    release history in which ex90-1's check cell once had another hint."""
    course = root / "course"
    shutil.copytree(COURSE, course)
    path = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(path.read_text())
    at = cell_index(nb, "ex90-5") - 1  # before the free response's question
    nb["cells"][at:at] = [
        _cell("markdown", "**Exercise 90.6** (auto-graded, 3 points; partial credit). For each power, "
                          "does it have nuclear weapons? A dictionary {power: True/False}."),
        _cell("code", "nuclear_by_power = ...\n### BEGIN SOLUTION\n" + DICT_ANSWER + "\n### END SOLUTION",
              {"solution": True, "grade_id": "ex90-6-answer"}),
        _cell("code", 'check("ex90-6", "nuclear_by_power", hint="One entry per row of `powers`.")\n'
                      '### BEGIN HIDDEN TESTS\ngrade("ex90-6", "nuclear_by_power")\n### END HIDDEN TESTS',
              {"grade": True, "locked": True, "points": PARTIAL_POINTS, "grade_id": "ex90-6"},
              triangles={"partial": "entries"}),
    ]
    path.write_text(json.dumps(nb, indent=1))
    from triangles.grading.releases import add_release, history_path, write_history

    history = {"format": 1, "notebooks": {}}
    old = student_version(nb)
    old["cells"][cell_index(old, "ex90-1")]["source"] = f'check("ex90-1", "n_powers", hint="{OLD_HINT}")'
    add_release(history, ASSIGNMENT, old)
    add_release(history, ASSIGNMENT, student_version(nb))
    write_history(history_path(course), history)
    return course


def course_master(course: Path) -> dict:
    return json.loads((course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())


def submission(course: Path, **answers) -> dict:
    nb = answered(course_master(course), **answers)
    if "ex90_6_answer" not in answers:
        answer(nb, "ex90-6-answer", DICT_ANSWER)
    return nb


def write_submission(root: Path, student: str, nb: dict, timestamp: str | None) -> None:
    folder = root / student / ASSIGNMENT
    write_nb(folder, nb)
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp)


ROSTER = """student_id,name,email,section,sis_user_id,sis_login_id,canvas_id,username
amy,"Adams, Amy",amy@example.edu,A1,S001,amy.adams,1001,aadams
ben,"Brown, Ben",ben@example.edu,A1,S002,ben.brown,1002,bbrown
cat,"Cole, Cat",cat@example.edu,B2,S003,cat.cole,1003,ccole
dan,"Diaz, Dan",dan@example.edu,B2,S004,dan.diaz,1004,ddiaz
eve,"Evans, Eve",eve@example.edu,B2,S005,eve.evans,1005,eevans
"""

CONFIG = f"""
roster = "roster.csv"

[late]
grace = "15m"
penalty = 10
per = "day"
cap = 50

[assignments."{ASSIGNMENT}"]
due = "{DUE}"
title = "Mini triangle"
canvas_id = "555001"
blackboard_column_id = "777001"

[[extensions]]
student = "cat"
assignment = "{ASSIGNMENT}"
extra = "3d"
reason = "medical certificate"
"""


# --------------------------------------------------------------------------------------------
# Format checks, one per platform, from each platform's documented import format
# (docs/gradebook-exports.md cites the pages)
# --------------------------------------------------------------------------------------------


def check_canvas(text: str, points: dict[str, float]) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0] == "Points Possible" and rows[1][1:5] == ["", "", "", ""]
    for column, possible in zip(header[5:], rows[1][5:]):
        assert re.fullmatch(r".+ \(\d+\)", column), column  # "<name> (<assignment id>)"
        assert float(possible) == points[column]
    for row in rows[2:]:
        assert len(row) == len(header) and row[0]
        for cell in row[5:]:
            assert cell == "" or float(cell) >= 0
    return [dict(zip(header, r)) for r in rows[2:]]


def check_moodle(text: str) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["First name", "Last name", "ID number", "Email address"]
    for row in rows[1:]:
        assert len(row) == len(rows[0]) and "@" in row[3]  # mapped by "Email address"
        for cell in row[4:]:
            assert cell == "" or float(cell) >= 0
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def check_blackboard(text: str) -> list[dict]:
    lines = text.split("\r\n")
    assert lines[-1] == ""
    for line in lines[:-1]:  # every value within quotation marks
        assert re.fullmatch(r'"[^"]*"(,"[^"]*")*', line), line
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Last Name", "First Name", "Username"]
    for column in rows[0][3:]:
        assert re.fullmatch(r".+ \[Total Pts: \d+(\.\d+)? Score\] \|\d+", column), column
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# --------------------------------------------------------------------------------------------
# The done test
# --------------------------------------------------------------------------------------------


def _checksum(out: Path) -> str:
    return json.loads((out / "results" / "cat" / f"{ASSIGNMENT}.json").read_text())["master_checksum"]


def _ran(done, graded: int, reused: int, before: str, out: Path) -> bool:
    """The run graded and reused as many notebooks as expected. If the kit's own code changed
    meanwhile (other work in this tree; its fingerprint is in the master checksum that keys every
    result), everything is rightly regraded instead."""
    if _checksum(out) != before:
        return f"graded {graded + reused} notebook(s), reused 0" in done.stderr
    return f"graded {graded} notebook(s), reused {reused}" in done.stderr


def test_a_class_through_the_gradebook(tmp_path):
    from triangles.grading import overrides
    from triangles.widgets.desk import DeskModel

    course = make_course(tmp_path)
    (tmp_path / "roster.csv").write_text(ROSTER)
    config = tmp_path / "gradebook.toml"
    config.write_text(CONFIG)
    sub, out = tmp_path / "submitted", tmp_path / "out"
    # amy: all right, on time. ben: 2 days late, one wrong, 4 of 6 dict entries right.
    # cat: 2 days late but with a 3-day extension. dan: submitted 10 seconds late (grace).
    # eve: on the roster, never submitted. zed: a folder that is not on the roster.
    wrong_dict = DICT_ANSWER + '\nnuclear_by_power["China"] = False\nnuclear_by_power["Japan"] = True'
    write_submission(sub, "amy", submission(course), ON_TIME)
    write_submission(sub, "ben", submission(course, ex90_2_answer="mean_share = 0",
                                            ex90_6_answer=wrong_dict, ex90_5="Two can gang up."),
                     "2025-01-12 09:00:00.000000 UTC")
    # cat started from the older release (another hint in ex90-1's check cell) and got ex90-1 wrong;
    # zed edited that check cell himself.
    cat = submission(course, ex90_1_answer="n_powers = 5")
    cat["cells"][cell_index(cat, "ex90-1")]["source"] = f'check("ex90-1", "n_powers", hint="{OLD_HINT}")'
    write_submission(sub, "cat", cat, "2025-01-12 09:00:00.000000 UTC")
    zed = submission(course)
    zed["cells"][cell_index(zed, "ex90-1")]["source"] = 'check("ex90-1", "n_powers", hint="my own hint")'
    write_submission(sub, "zed", zed, ON_TIME)
    write_submission(sub, "dan", submission(course), "2025-01-10 17:00:10.000000 UTC")
    args = ["grade", sub, "--out", out, "--course", course, "--timeout", "20", "--jobs", "2", "--quiet",
            "--config", config]
    first = run_grader(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "'zed' is not on the roster" in first.stderr
    assert "'eve' is on the roster but has no submission folder" in first.stderr

    table = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert set(table) == {"amy", "ben", "cat", "dan", "eve", "zed"}
    assert table["amy"]["name"] == "Adams, Amy" and table["eve"]["flags"] == f"{ASSIGNMENT}:no-submission"
    # ben: ex90-2 wrong (0 of 1); ex90-6 4 of 6 entries right = 2 of 3 points; free response not scored yet
    assert float(table["ben"]["ex90-6"]) == pytest.approx(2.0)
    assert float(table["ben"]["total"]) == pytest.approx(1 + 0 + 2 + 1 + 2)
    # 1 day 16 hours late: 2 started days -> 20% off the assignment
    assert float(table["ben"]["late_penalty"]) == pytest.approx(0.2 * 6)
    assert float(table["cat"]["late_penalty"]) == 0 and "late" not in table["cat"]["flags"]   # extension
    assert float(table["dan"]["late_penalty"]) == 0 and f"{ASSIGNMENT}:late" in table["dan"]["flags"]  # grace
    dan_page = (out / "feedback" / "dan" / f"{ASSIGNMENT}.html").read_text()
    assert "10 seconds after the due date" in dan_page and "0m" not in dan_page

    # an older released version is not an edit, and the feedback shows the hint that version had
    flags_of = {s: {f["flag"] for f in json.loads((out / "results" / s / f"{ASSIGNMENT}.json").read_text())["flags"]}
                for s in ("cat", "zed")}
    assert "tests-edited" not in flags_of["cat"] and "tests-edited" in flags_of["zed"]
    assert f"Hint: {OLD_HINT}" in (out / "feedback" / "cat" / f"{ASSIGNMENT}.html").read_text()
    ben_page = (out / "feedback" / "ben" / f"{ASSIGNMENT}.html").read_text()
    assert "mean_share = 0" in ben_page                                   # the student's own answer
    assert "Partial credit: 4 of 6 entries are right" in ben_page         # what their check said
    assert "20% off" in ben_page and "Final score" in ben_page
    assert f"Hint: {OLD_HINT}" not in ben_page

    # --- an override, logged with its reason
    done = run_grader("override", out, "ben", "ex90-2", "1", "--reason", "rounding accepted after appeal")
    assert done.returncode == 0, done.stderr
    # --- a manual score from the grading desk (its Python API), anonymous mode
    desk = DeskModel(out, "ex90-5", anonymous=True)
    assert all(s.label.startswith("Student ") for s in desk.items)
    position = next(i for i, item in enumerate(desk.items) if item.student == "ben")
    desk.go(position)
    desk.save(1.5, "Names the mechanism; give an example next time.")
    amy_at = next(i for i, item in enumerate(desk.items) if item.student == "amy")
    desk.go(amy_at)
    desk.save(2, "")
    # --- a hand edit in grades.csv: must not be silently overwritten
    text = (out / "grades.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        if row["student"] == "dan":
            row["ex90-3"] = "1.5"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / "grades.csv").write_text(buffer.getvalue())

    # --- a regrade: dan resubmits a changed auto-graded answer (his kernel runs again); amy's
    # notebook is replaced by a broken file, which must not lose her manual score and comment.
    write_submission(sub, "dan", submission(course, ex90_1_answer="n_powers = 5"), "2025-01-10 17:00:10.000000 UTC")
    (sub / "amy" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("not a notebook any more")
    kit = _checksum(out)
    second = run_grader(*args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert _ran(second, 2, 3, kit, out), second.stderr
    assert "dan ex90-3 was edited by hand" in second.stderr

    # a new due date and policy: applied without any kernel
    config.write_text(CONFIG.replace('penalty = 10', 'penalty = 5'))
    kit = _checksum(out)
    third = run_grader(*args)
    assert third.returncode == 0 and _ran(third, 0, 5, kit, out), third.stderr

    table = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert table["ben"]["ex90-2"] == "1"                   # the override survived two regrades
    assert table["ben"]["ex90-5"] == "1.5"                 # the desk's score survived
    assert table["amy"]["ex90-5"] == "2" and "corrupt-notebook" in table["amy"]["flags"]
    assert table["dan"]["ex90-1"] == "0"                   # the regrade happened
    assert table["dan"]["ex90-3"] == "1.5"                 # the hand edit became an override
    assert float(table["ben"]["late_penalty"]) == pytest.approx(0.10 * (1 + 1 + 2 + 1 + 2 + 1.5))
    kinds = [(e["kind"], e["student"], e["exercise"]) for e in overrides.read_log(out)]
    assert ("override", "ben", "ex90-2") in kinds and ("hand-edit", "dan", "ex90-3") in kinds
    assert ("manual", "ben", "ex90-5") in kinds
    sheet = {r["student"]: r for r in read_csv(out / "manual" / "ex90-5.csv")}
    assert sheet["ben"]["comment"] == "Names the mechanism; give an example next time."

    # --- the three exports, each against its documented format
    exported = run_grader("export", out)
    assert exported.returncode == 0, exported.stderr
    finals = {s: float(r["final"]) for s, r in table.items() if s not in ("eve",)}
    canvas = check_canvas((out / "exports" / "canvas.csv").read_text(), {"Mini triangle (555001)": 10})
    by_login = {r["SIS Login ID"]: r for r in canvas}
    assert float(by_login["ben.brown"]["Mini triangle (555001)"]) == pytest.approx(finals["ben"])
    assert by_login["eve.evans"]["Mini triangle (555001)"] == ""      # no submission: blank, not 0
    moodle = {r["Email address"]: r for r in check_moodle((out / "exports" / "moodle.csv").read_text())
              if r["Email address"]}
    assert float(moodle["amy@example.edu"]["Mini triangle"]) == pytest.approx(finals["amy"])
    blackboard = {r["Username"]: r for r in check_blackboard((out / "exports" / "blackboard.csv").read_bytes().decode("utf-8"))}
    assert float(blackboard["bbrown"]["Mini triangle [Total Pts: 10 Score] |777001"]) == pytest.approx(finals["ben"])
    long_rows = read_csv(out / "exports" / "long.csv")
    ben_override = next(r for r in long_rows if r["student"] == "ben" and r["exercise"] == "ex90-2")
    assert ben_override["source"] == "override" and ben_override["override_reason"].startswith("rounding")

    # --- class report and packed feedback
    assert run_grader("class-report", out).returncode == 0
    report = (out / "class-report.html").read_text()
    assert 'id="q-ex90-6"' in report and "most common wrong answers" in report and "<img" in report
    assert run_grader("pack-feedback", out).returncode == 0
    with zipfile.ZipFile(out / "returns" / "ben.zip") as archive:
        assert archive.namelist() == [f"ben/{ASSIGNMENT}.html"]


# --------------------------------------------------------------------------------------------
# Without kernels
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes,share", [({}, None), ({"China": False}, 5 / 6), ({"China": False, "Japan": True}, 4 / 6),
                                           ({"China": False, "Japan": True, "India": False, "Russia": False,
                                             "United States": False, "European Union": True}, 0.0)])
def test_check_and_grader_agree_on_partial_credit(changes, share):
    from triangles.exercises import evaluate, record_entry
    from triangles.grading.judge import judge
    from triangles.grading.master import Exercise

    right = {"United States": True, "China": True, "Russia": True, "European Union": False, "India": True,
             "Japan": False}
    answer_value = dict(right, **changes)
    key = dict(record_entry("ex90-6", right), partial="entries")
    said = evaluate("ex90-6", answer_value, keys={"exercises": {"ex90-6": key}}).text
    exercise = Exercise("ex90-6", ASSIGNMENT, "auto", 3.0, 0, "ex90-6-answer", variable="nuclear_by_power")

    def enc(d):
        return ["dict", [[k, v] for k, v in d.items()]]

    verdict = judge(exercise, {"status": "value", "value": enc(answer_value)}, {"status": "value", "value": enc(right)},
                    {"partial": "entries", "answer": "x"})
    if share is None:
        assert verdict["status"] == "correct" and verdict["score"] == 3.0 and "Right" in said
    else:
        assert verdict["score"] == pytest.approx(3 * share)
        expected = round(share * 6)
        assert (f"Partial credit: {expected} of 6 entries" in said) == (share > 0)
        assert verdict["diagnosis"] == said[:1000]


@pytest.mark.parametrize("stamp,percent", [("2025-01-10 17:10:00 UTC", 0), ("2025-01-10 17:20:00 UTC", 10),
                                           ("2025-01-12 17:00:01 UTC", 30), ("2025-01-30 12:00:00 UTC", 50)])
def test_late_policy_grace_per_day_and_cap(stamp, percent):
    from triangles.grading.lateness import parse_time
    from triangles.grading.policy import build_policy

    policy = build_policy({"late": {"grace": "15m", "penalty": 10, "per": "day", "cap": 50}, "due": DUE})
    late = policy.lateness("x", ASSIGNMENT, parse_time(stamp).isoformat())
    assert late.percent_off == percent and late.apply(10) == pytest.approx(10 * (1 - percent / 100))


def test_grace_is_named_only_for_a_submission_within_it():
    from triangles.grading.policy import build_policy

    # a grace period but no penalty: two days late is late, not "within the grace period"
    policy = build_policy({"late": {"grace": "15m", "cutoff": "7d"}, "due": DUE})
    within = policy.lateness("x", ASSIGNMENT, "2025-01-10T17:10:00+00:00")
    beyond = policy.lateness("x", ASSIGNMENT, "2025-01-12T17:00:00+00:00")
    assert within.late and "within the grace period" in within.sentence()
    assert beyond.late and "within the grace period" not in beyond.sentence()


def test_cutoff_and_extension():
    from triangles.grading.policy import build_policy

    policy = build_policy({"late": {"penalty": 5, "per": "hour", "cutoff": "2d"}, "due": DUE,
                           "extensions": [{"student": "cat", "assignment": "*", "extra": "1d", "reason": "ill"}]})
    stamp = "2025-01-13T00:00:00+00:00"
    assert policy.lateness("ben", ASSIGNMENT, stamp).cut_off and policy.lateness("ben", ASSIGNMENT, stamp).apply(9) == 0
    cat = policy.lateness("cat", ASSIGNMENT, "2025-01-11T12:00:00+00:00")
    assert not cat.late and cat.extension == "ill"


@pytest.mark.parametrize("content", [b"", b"yesterday-ish", b"x" * 500, b"\xff\xfe\x00", b"2025-13-45 99:99"])
def test_a_malformed_timestamp_is_a_flag_never_a_crash(tmp_path, content):
    from triangles.grading.lateness import check, duration

    (tmp_path / "timestamp.txt").write_bytes(content)
    info, flags = check(tmp_path, DUE)
    assert info["timestamp"] is None and [f["flag"] for f in flags] == ["bad-timestamp"]
    assert duration(10) == "10 seconds" and duration(61) == "1m"


def test_roster_errors_name_file_row_and_column(tmp_path):
    from triangles.grading.roster import RosterError, read_roster

    path = tmp_path / "roster.csv"
    path.write_text("student_id,email\namy,amy@x.edu\namy,a2@x.edu\n,b@x.edu\ncat,not-an-email\n")
    with pytest.raises(RosterError) as err:
        read_roster(path)
    assert "roster.csv, row 3, column 'student_id': 'amy' is also in row 2" in err.value.problems
    assert "roster.csv, row 4, column 'student_id': empty" in err.value.problems
    assert any("row 5, column 'email'" in p for p in err.value.problems)


def test_feedback_escapes_and_bounds_student_text():
    from triangles.grading.feedback import MAX_ANSWER, render
    from triangles.grading.gradebook import AssignmentGrade, Cell
    from triangles.grading.judge import _type_words
    from triangles.grading.policy import Lateness

    secret = "SECRET-ANSWER-KEY " * 50
    assert secret not in _type_words(secret) and "SECRET" not in _type_words(secret)
    evil = "<script>alert(1)</script>" + "A" * (MAX_ANSWER + 100)
    cell = Cell("ex90-1", ASSIGNMENT, "auto", 1.0, 0.0, "auto", "incorrect", {"answer": evil, "diagnosis": "Not yet."})
    free = Cell("ex90-5", ASSIGNMENT, "manual", 2.0, 2.0, "manual", "manual", {"answer": "ok"}, comment="Good.")
    page = render(AssignmentGrade("s", ASSIGNMENT, [cell, free], Lateness(), {"flags": []}, []))
    assert "<script>" not in page and "&lt;script&gt;" in page and "more characters not shown" in page
    assert "may still be missing" not in page and "not scored yet" not in page
    failed = render(AssignmentGrade("s", ASSIGNMENT, [Cell("ex90-5", ASSIGNMENT, "manual", 2.0, None, "manual",
                                                           "manual", {"answer": ""})],
                                    Lateness(), {"flags": [], "grader_error": "boom"}, []))
    assert "needs a look" in failed and "blank" not in failed.lower()


def test_update_keeps_every_answer(tmp_path):
    from triangles.course_update import merge

    master = load_master()
    master["nbformat_minor"] = 5
    for i, c in enumerate(master["cells"]):
        c["id"] = f"90-{i:03d}"  # stable ids, as course.release gives every released cell
    old_release = student_version(master)
    mine = copy.deepcopy(old_release)
    answer(mine, "ex90-1-answer", "n_powers = 6  # mine")
    answer(mine, "ex90-5", "My essay.")
    mine["cells"].insert(cell_index(mine, "ex90-1") + 1, {"cell_type": "code", "metadata": {},
                                                           "source": "print('my scratch')", "outputs": [],
                                                           "id": "f3a9c2e1"})
    new_release = student_version(master)
    new_release["cells"][0]["source"] = "# 90 - a tiny triangle, second edition"
    del new_release["cells"][cell_index(new_release, "ex90-5")]            # a question dropped
    merged, notes = merge(new_release, mine)
    texts = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in merged["cells"]]
    assert texts[0] == "# 90 - a tiny triangle, second edition"          # non-answer cells updated
    assert "n_powers = 6  # mine" in texts and "My essay." in texts and "print('my scratch')" in texts
    assert texts.index("print('my scratch')") == cell_index(merged, "ex90-1") + 1


def _tiny_run(out: Path) -> dict:
    from triangles.grading.store import write_json_atomic

    run = {"students": ["amy", "ben"], "assignments": [{"assignment": ASSIGNMENT, "checksum": "x", "exercises": [
        {"id": "ex90-1", "assignment": ASSIGNMENT, "mode": "auto", "points": 1},
        {"id": "ex90-5", "assignment": ASSIGNMENT, "mode": "manual", "points": 2, "rubric": "R90.5"}]}],
        "config": None, "due": {}, "absent": []}
    write_json_atomic(out / "run.json", run)
    for student in run["students"]:
        write_json_atomic(out / "results" / student / f"{ASSIGNMENT}.json", {
            "student": student, "assignment": ASSIGNMENT, "flags": [], "timestamp": None,
            "exercises": [{"exercise": "ex90-1", "mode": "auto", "points": 1, "score": 1.0, "status": "correct"},
                          {"exercise": "ex90-5", "mode": "manual", "points": 2, "score": None, "status": "manual",
                           "answer": f"{student}'s essay"}]})
    return run


def test_a_grader_error_keeps_manual_scores_and_comments(tmp_path):
    from triangles.grading.gradebook import publish
    from triangles.grading.manual import enter_score
    from triangles.grading.store import write_json_atomic

    run = _tiny_run(tmp_path)
    publish(tmp_path, run, quiet=True)
    enter_score(tmp_path, run, "ex90-5", "amy", 1.5, "Good start.")
    publish(tmp_path, run, quiet=True)
    # the next run fails on amy: a grader error, with the manual answer blank in the new result
    write_json_atomic(tmp_path / "results" / "amy" / f"{ASSIGNMENT}.json", {
        "student": "amy", "assignment": ASSIGNMENT, "grader_error": "worker process died",
        "flags": [{"flag": "grader-error", "detail": "the grading worker process died", "exercise": None}],
        "exercises": [{"exercise": "ex90-1", "mode": "auto", "points": 1, "score": 0.0, "status": "not-judged"},
                      {"exercise": "ex90-5", "mode": "manual", "points": 2, "score": None, "status": "manual",
                       "answer": ""}]})
    book, _, _ = publish(tmp_path, run, quiet=True)
    sheet = {r["student"]: r for r in read_csv(tmp_path / "manual" / "ex90-5.csv")}
    assert (sheet["amy"]["score"], sheet["amy"]["comment"], sheet["amy"]["answer"]) == ("1.5", "Good start.",
                                                                                          "amy's essay")
    grade = book.grades[("amy", ASSIGNMENT)]
    assert grade.needs_look and next(c for c in grade.cells if c.exercise == "ex90-1").score is None
    page = (tmp_path / "feedback" / "amy" / f"{ASSIGNMENT}.html").read_text()
    assert "needs a look" in page and "blank" not in page.lower()


def test_hand_edits_become_overrides_or_are_kept_aside(tmp_path):
    from triangles.grading.gradebook import publish
    from triangles.grading.overrides import current_overrides

    run = _tiny_run(tmp_path)
    publish(tmp_path, run, quiet=True)
    text = (tmp_path / "grades.csv").read_text()
    edited = text.replace("amy,1,", "amy,0.5,", 1).replace("ben,1,,1,0,1,", "ben,1,,1,0,0.25,", 1)
    assert edited != text
    (tmp_path / "grades.csv").write_text(edited)
    publish(tmp_path, run, quiet=True)
    assert current_overrides(tmp_path)[("amy", "ex90-1")]["score"] == 0.5
    kept = list(tmp_path.glob("grades.hand-edited-*.csv"))
    assert len(kept) == 1 and kept[0].read_text() == edited   # the edited 'final' of ben, kept aside
    assert {r["student"]: r for r in read_csv(tmp_path / "grades.csv")}["amy"]["ex90-1"] == "0.5"


def test_release_keeps_the_history_and_the_partial_credit_rule(tmp_path):
    from triangles import course
    from triangles.grading.releases import read_history

    source = tmp_path / "source"
    make_course(tmp_path)
    shutil.copytree(tmp_path / "course" / "source", source)
    history = tmp_path / "release-history.json"
    assert course.record_history(source, history) is True
    first = read_history(history)["notebooks"][ASSIGNMENT]
    assert course.record_history(source, history) is False            # same release: nothing new
    path = source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(path.read_text())
    check = nb["cells"][cell_index(nb, "ex90-1")]
    text = "".join(check["source"]) if isinstance(check["source"], list) else check["source"]
    check["source"] = text.replace("Count the rows", "Count every row")
    path.write_text(json.dumps(nb))
    assert course.record_history(source, history) is True
    again = read_history(history)["notebooks"][ASSIGNMENT]
    assert len(again["ex90-1"]) == 2 and again["ex90-1"][0] == first["ex90-1"][0]   # never removed
    master = course.read_notebook(path)
    assert course._partial_credit(master) == {"ex90-6": {"partial": "entries"}}
