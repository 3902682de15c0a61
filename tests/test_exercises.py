"""triangles.exercises: canonical forms, feedback, check (never raises) and grade (raises unless right)."""

import decimal
import hashlib
import json
import os
import re
from pathlib import Path

import IPython
import IPython.display
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from triangles import exercises as ex
from triangles.exercises import (AnswerTypeError, Unanswered, answer_hash, canonical, check, evaluate, grade,
                                 infer_kind, load_answer_keys, record_entry)

# --- canonical forms -------------------------------------------------------------------------


@pytest.mark.parametrize("value, kind, digits, expected", [
    (3, None, None, 3),
    (3.0, None, None, 3),  # an integral float is the same answer as the int
    (0.1 + 0.2, None, None, 0.3),  # float noise is rounded away (6 places by default)
    (3.14159, None, 2, 3.14),
    (np.int64(4), None, None, 4),
    (np.float32(2.5), None, None, 2.5),
    (decimal.Decimal("2.50"), None, None, 2.5),
    (True, None, None, True),  # a bool stays a bool: True is not the answer 1
    (np.bool_(False), None, None, False),
    ("  South   China SEA ", None, None, "south china sea"),
    ("(B).", "choice", None, "b"),
    (None, None, None, None),
    (float("nan"), None, None, None),
    (("a", "B"), None, None, ["a", "b"]),
    (np.array([1, 2, 3]), None, None, [1, 2, 3]),
    ({3, 1, 2}, None, None, [1, 2, 3]),
    (frozenset({"b", "a"}), None, None, ["a", "b"]),
    ([2, 1, 2], "set", None, [1, 2]),
    ({"Moscow": 1.0, "beijing": [2, 3]}, None, None, {"moscow": 1, "beijing": [2, 3]}),
    (pd.Timestamp("2019-06-05"), None, None, "2019-06-05T00:00:00"),
])
def test_canonical_forms(value, kind, digits, expected):
    assert canonical(value, kind, digits) == expected


def test_canonical_table_drops_row_numbers_but_keeps_a_meaningful_index():
    frame = pd.DataFrame({"country": ["US", "China", "Russia"], "gdp": [27.7, 17.8, 2.0]})
    filtered = frame[frame["gdp"] > 10]  # index 0, 1: only row numbers
    assert canonical(filtered) == [{"country": "us", "gdp": 27.7}, {"country": "china", "gdp": 17.8}]
    assert canonical(filtered) == canonical(filtered.reset_index(drop=True))
    by_country = frame.set_index("country")["gdp"]  # a named index is part of the answer
    assert canonical(by_country) == [{"country": "us", "gdp": 27.7}, {"country": "china", "gdp": 17.8},
                                     {"country": "russia", "gdp": 2}]
    counts = pd.Series(["a", "b", "a"], name="x").value_counts()
    assert canonical(counts) == [{"x": "a", "count": 2}, {"x": "b", "count": 1}]


def test_canonical_json_is_plain_and_deterministic():
    value = {"b": {3, 1}, "a": (1.5, "X"), "c": pd.DataFrame({"v": [1.0, np.nan]})}
    form = canonical(value)
    assert json.loads(json.dumps(form)) == form
    assert ex.canonical_json(form) == '{"a":[1.5,"x"],"b":[1,3],"c":[{"v":1},{"v":null}]}'


def test_answer_hash_is_sha256_of_id_and_canonical_json():
    expected = hashlib.sha256(b'ex02-3\n{"a":[1,2]}').hexdigest()
    assert answer_hash("ex02-3", {"a": [1, 2]}) == expected
    assert answer_hash("ex02-4", {"a": [1, 2]}) != expected  # the id is part of the hash


@pytest.mark.parametrize("value, kind", [({1, 2}, "sequence"), ("abc", "sequence"), ([1, 2], "table"),
                                         (42, "set"), (object(), "value"), (3 + 4j, "value")])
def test_canonical_refuses_what_cannot_be_such_an_answer(value, kind):
    with pytest.raises(AnswerTypeError):
        canonical(value, kind)


@pytest.mark.parametrize("value", [..., [1, ...], {"a": ...}])
def test_canonical_spots_a_blank_anywhere(value):
    with pytest.raises(Unanswered):
        canonical(value)


def test_infer_kind():
    assert [infer_kind(v) for v in (1, "x", [1], (1,), {1}, pd.DataFrame(), pd.Series(dtype=float))] == \
        ["value", "value", "sequence", "sequence", "set", "table", "table"]


@given(st.lists(st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False), st.text(max_size=5))))
def test_canonical_is_idempotent_and_ignores_order_for_sets(items):
    form = canonical(items, "sequence")
    assert canonical(form, "sequence") == form
    assert canonical(items, "set") == canonical(list(reversed(items)), "set")


# --- judging ---------------------------------------------------------------------------------

KEYS = {"exercises": {"ex1": record_entry("ex1", 4), "ex2": record_entry("ex2", ["china", "russia"]),
                      "ex3": record_entry("ex3", "China")}}


def judge(exercise_id, value, **kwargs):
    return evaluate(exercise_id, value, keys=KEYS, hint="Count them.", **kwargs)


def test_right_answers_in_any_spelling():
    assert judge("ex1", 4).status == "correct"
    assert judge("ex1", 4.0000001).status == "correct"
    assert judge("ex1", np.int32(4)).text == "✅ Right."
    assert judge("ex2", ("China ", "RUSSIA")).status == "correct"
    assert judge("ex3", "  china").status == "correct"


def test_wrong_answer_gives_the_hint():
    feedback = judge("ex1", 5)
    assert feedback.status == "incorrect"
    assert feedback.text == "Not yet. Hint: Count them."
    assert "<strong>Not yet.</strong>" in feedback.html
    assert judge("ex2", ["russia", "china"]).status == "incorrect"  # order matters in a sequence


def test_unanswered_and_unavailable():
    assert judge("ex1", ...).status == "unanswered"
    assert judge("ex1", ...).text.startswith("Not answered yet: replace the `...`")
    assert judge("ex2", ["china", ...]).status == "unanswered"
    missing = evaluate("ex1", ex._MISSING, name="n_events", keys=KEYS)
    assert missing.status == "unanswered" and "`n_events`" in missing.text
    assert judge("ex9", 4).status == "unavailable"


def test_wrong_type_is_explained_kindly():
    text = judge("ex1", "4").text
    assert text.startswith("Not yet. Your answer is text, but this exercise wants a number.")
    assert "without the quotes" in text and text.endswith("Hint: Count them.")
    assert "Put it in quotes" in judge("ex3", 7).text
    assert "wants a list" in judge("ex2", "china").text
    assert "not a set" in judge("ex2", {"china", "russia"}).text


def test_feedback_metadata():
    assert judge("ex1", 4).metadata == {"triangles": {"exercise": "ex1", "status": "correct"}}


# --- check never raises; grade raises unless right --------------------------------------------


class Liar:
    """Claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class Exploding:
    def __getattribute__(self, name):
        raise RuntimeError("boom")

    def __eq__(self, other):
        raise RuntimeError("boom")


class SneakyInt(int):
    def __eq__(self, other):
        return True

    def __int__(self):
        return 4

    __hash__ = int.__hash__


class SneakyStr(str):
    def strip(self, *args):
        return "china"

    def casefold(self):
        return "china"

    def split(self, *args):
        return ["china"]


class EndlessList(list):
    def __iter__(self):
        while True:
            yield 1


def recursive_list():
    items = [1]
    items.append(items)
    return items


# Factories, so that pytest never touches the objects themselves.
WEIRD = {"liar": Liar, "exploding": Exploding, "sneaky-int": lambda: SneakyInt(5), "sneaky-str": lambda: SneakyStr("usa"),
         "endless": EndlessList, "recursive": recursive_list, "function": lambda: (lambda: 4),
         "table-of-liars": lambda: pd.DataFrame({"a": [Liar()]})}


@pytest.mark.parametrize("make", WEIRD.values(), ids=WEIRD.keys())
def test_weird_objects_are_never_right_and_never_raise(make):
    for exercise_id in ("ex1", "ex2", "ex3"):
        assert judge(exercise_id, make()).status == "incorrect"


@pytest.fixture
def notebook(monkeypatch, tmp_path):
    """A fake IPython: a user namespace, and display() calls recorded with their metadata."""
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(KEYS))
    monkeypatch.setenv(ex.KEYS_ENV, str(keys))
    monkeypatch.delenv(ex.RECORD_ENV, raising=False)
    shell = type("Shell", (), {"user_ns": {}})()
    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.append((objs, kw)))
    return shell.user_ns, shown


def test_check_displays_html_and_text_with_status_metadata(notebook):
    user_ns, shown = notebook
    user_ns["n_big"] = 4
    check("ex1", "n_big", hint="Count them.")
    (data,), options = shown[-1]
    assert data == {"text/html": "<p>✅ <strong>Right.</strong></p>", "text/plain": "✅ Right."}
    assert options["raw"] is True
    assert options["metadata"] == {"triangles": {"exercise": "ex1", "status": "correct"}}
    user_ns["n_big"] = 5
    check("ex1", "n_big", hint="Count them.")
    assert shown[-1][0][0]["text/plain"] == "Not yet. Hint: Count them."
    del user_ns["n_big"]  # a deleted name is simply not answered
    check("ex1", "n_big")
    assert shown[-1][1]["metadata"]["triangles"]["status"] == "unanswered"
    assert shown[-1][0][0]["text/plain"].startswith("Not answered yet")


@pytest.mark.parametrize("make", WEIRD.values(), ids=WEIRD.keys())
def test_check_never_raises(notebook, make):
    user_ns, shown = notebook
    user_ns["answer"] = make()
    check("ex1", "answer")
    check(None, 42)  # even a broken call gives feedback
    assert [kw["metadata"]["triangles"]["status"] for _, kw in shown] == ["incorrect", "unanswered"]


def test_grade_raises_unless_right(notebook):
    user_ns, _ = notebook
    user_ns["n_big"] = 4
    grade("ex1", "n_big")
    for wrong in (5, "4", ..., Liar(), SneakyInt(5)):
        user_ns["n_big"] = wrong
        with pytest.raises(AssertionError, match="ex1"):
            grade("ex1", "n_big")
    del user_ns["n_big"]
    with pytest.raises(AssertionError):
        grade("ex1", "n_big")


fallback_answer = 4  # read through the caller's globals when there is no IPython


def test_check_without_ipython_uses_the_callers_globals(monkeypatch, tmp_path, capsys):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(KEYS))
    monkeypatch.setenv(ex.KEYS_ENV, str(keys))
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    check("ex1", "fallback_answer")
    check("ex1", "no_such_name")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✅ Right." and out[1].startswith("Not answered yet")


# --- answer keys and record mode --------------------------------------------------------------


def test_load_answer_keys_rereads_a_changed_file_and_tolerates_a_missing_one(tmp_path):
    path = tmp_path / "keys.json"
    assert load_answer_keys(path) == {"exercises": {}, "notebooks": {}}
    path.write_text(json.dumps({"exercises": {"ex1": {"hash": "a"}}}))
    assert load_answer_keys(path)["exercises"] == {"ex1": {"hash": "a"}}
    path.write_text(json.dumps({"exercises": {"ex1": {"hash": "bb"}}}))
    assert load_answer_keys(path)["exercises"] == {"ex1": {"hash": "bb"}}


def test_record_mode_writes_keys_instead_of_judging(notebook, monkeypatch, tmp_path):
    user_ns, shown = notebook
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv(ex.RECORD_ENV, str(record))
    monkeypatch.setattr(ex, "_recorded", {})
    user_ns.update(share=0.123456789, blank=...)
    check("ex7", "share", digits=3)
    grade("ex7", "share")  # judged with check's digits: agrees
    check("ex8", "blank")
    entries = [json.loads(line) for line in record.read_text().splitlines()]
    # The record file (temporary, inside `release`) also carries the canonical form for the tests;
    # release copies only KEY_FIELDS, which never include it.
    assert entries[0] == {"exercise": "ex7", "kind": "value", "digits": 3, "expects": "a number",
                          "hash": answer_hash("ex7", 0.123), "shape": {"unit": True, "decimals": 3},
                          "form": 0.123}
    assert "form" not in ex.KEY_FIELDS and "form" not in record_entry("ex7", 0.123456789, digits=3)
    assert len(entries) == 2 and "unanswered" in entries[1]["error"]
    user_ns["share"] = 0.5
    grade("ex7", "share")  # a different answer at grade time is recorded as an error
    assert "different answer" in json.loads(record.read_text().splitlines()[-1])["error"]


# --- canonical text and collections (keys format 2) -------------------------------------------


def test_text_ignores_accents_as_well_as_case_and_spaces():
    assert canonical("ménage à trois") == canonical(" Menage  a TROIS ") == "menage a trois"
    assert canonical({"x": "Ménage à trois"}) == canonical({"X": "menage a trois"})
    assert canonical("(É).", "choice") == "e"
    assert canonical("naïve") != canonical("naive x")  # only the marks go, not the letters


@pytest.mark.parametrize("as_text, as_numbers, kind", [
    ({"1972": "a", "1979": "b"}, {1972: "a", 1979: "b"}, None),  # dict keys (already so before)
    ({"1972", "1979"}, {1972, 1979}, "set"),  # set items: the 03.3 slip
    (["1972", "-3", "0"], [1972, -3, 0], "sequence"),  # list items
    ({"years": ["1972"]}, {"years": [1972]}, None),  # items inside a value
])
def test_whole_number_text_is_the_number_for_keys_and_items(as_text, as_numbers, kind):
    assert canonical(as_text, kind) == canonical(as_numbers, kind)


@pytest.mark.parametrize("value, kind", [
    (["007"], "sequence"), (["1.5"], "sequence"), (["+3"], "set"), (["12a"], "set")])
def test_only_plain_whole_number_text_becomes_a_number(value, kind):
    assert all(isinstance(item, str) for item in canonical(value, kind))


def test_a_scalar_number_in_quotes_stays_text():
    assert canonical("1972") == "1972"  # `check` explains it: "Try it without the quotes."


def test_two_keys_standing_for_one_are_refused():
    with pytest.raises(AnswerTypeError, match="same key"):
        canonical({1972: "a", "1972": "b"})
    with pytest.raises(AnswerTypeError, match="same key"):
        canonical({"US": 1, "us": 2})


KEYS2 = {"exercises": {
    "d": record_entry("d", {"C09": "fact", "C10": "prediction", "C12": "interpretation", "C18": "prescription"}),
    "y": record_entry("y", {1971: "partner", 2018: "outcast"}),
    "s": record_entry("s", {1950, 1972, 2019}, kind="set"),
    "q": record_entry("q", ["p1", "p2", "p3"]),
    "n": record_entry("n", None),
    "share": record_entry("share", 0.1634, digits=2),
    "ratio": record_entry("ratio", 1.0476, digits=2),
    "count": record_entry("count", 12),
}}
RIGHT_DICT = {"C09": "fact", "C10": "prediction", "C12": "interpretation", "C18": "prescription"}


def say(exercise_id, value, **kwargs):
    """The feedback text without its closing tip."""
    feedback = evaluate(exercise_id, value, keys=KEYS2, hint="HINT", **kwargs)
    assert feedback.text.endswith(" Hint: HINT") or feedback.status == "correct"
    return feedback.status, feedback.text.removesuffix(" Hint: HINT")


def test_a_series_stands_for_a_dictionary():
    assert say("d", pd.Series(RIGHT_DICT))[0] == "correct"
    assert say("y", pd.Series({"1971": "Partner", "2018": "outcast"}))[0] == "correct"
    status, text = say("d", pd.Series(["fact", "fact"], index=["C09", "C09"]))
    assert status == "incorrect" and "labels repeat" in text


def test_a_list_where_a_set_is_expected_is_accepted():
    assert say("s", [2019, 1950, "1972", 1950])[0] == "correct"


def test_keys_store_hashes_per_dict_entry_never_values():
    key = KEYS2["exercises"]["d"]
    assert key["entries"] == {k.lower(): ex.entry_hash("d", k.lower(), v) for k, v in RIGHT_DICT.items()}
    assert ex.entry_hash("d", "c09", "fact") == hashlib.sha256(b'd\nc09\n"fact"').hexdigest()
    text = json.dumps(KEYS2)
    for value in RIGHT_DICT.values():
        assert value not in text


def test_dict_feedback_counts_matching_entries_and_names_the_keys_that_differ():
    wrong = {**RIGHT_DICT, "C12": "fact"}
    assert say("d", wrong) == ("incorrect", "Not yet. 3 of 4 entries match; look again at `C12`.")
    assert say("y", {1971: "partner", 2018: "pivot"})[1] == "Not yet. 1 of 2 entries match; look again at `2018`."


def test_dict_feedback_names_missing_and_extra_keys():
    fewer = {k: v for k, v in RIGHT_DICT.items() if k != "C18"}
    assert say("d", fewer)[1] == "Not yet. Your 3 entries match. Your dictionary has no entry for `c18`."
    more = {**RIGHT_DICT, "C99": "fact"}
    assert say("d", more)[1] == ("Not yet. Your 4 entries for the keys asked for match. "
                                 "Leave out `C99`: the exercise does not ask for it.")


def test_string_keys_where_int_keys_are_expected_are_the_same_keys():
    assert say("y", {"1971": "partner", "2018": "outcast"})[0] == "correct"
    assert "look again at `2018`" in say("y", {"1971": "partner", "2018": "foe"})[1]


def test_a_non_dictionary_where_a_dictionary_is_expected_is_explained():
    assert say("d", ["fact", "prediction"])[1] == \
        "Not yet. Your answer is a list, but this exercise wants a dictionary, like {key: value, ...}."


@pytest.mark.parametrize("exercise_id, value, advice", [
    ("s", [1950, 1972], "You have 2 different items: that is 1 too few."),
    ("s", [1950, 1972, 1979, 1989, 2019], "You have 5 different items: that is 2 too many."),
    ("s", [1950, 1972, 1979], "You have the right number of items, but not all of them are right yet."),
    ("q", ["p1", "p3", "p2"], "You have the right items, but not in the right order."),
    ("q", ["p1", "p2"], "You have 2 items: that is 1 too few."),
])
def test_collection_feedback_counts_items_only(exercise_id, value, advice):
    assert say(exercise_id, value) == ("incorrect", f"Not yet. {advice}")


def test_the_text_none_where_none_is_expected():
    for slip in ("None", "none", "'None'"):
        assert say("n", slip)[1] == 'Not yet. You wrote "None" in quotes, which makes it text: write None without quotes.'
    assert say("n", "US")[1] == "Not yet."  # any other text: nothing that would give the answer away


def test_a_percentage_where_a_share_is_expected():
    assert KEYS2["exercises"]["share"]["shape"] == {"unit": True, "decimals": 2}
    advice = "Not yet. Give a share between 0 and 1, not a percentage (divide a percentage by 100)."
    assert say("share", 16.34) == ("incorrect", advice + " Divided by 100, your answer is right.")
    assert say("share", 40) == ("incorrect", advice)
    assert "unit" not in KEYS2["exercises"]["ratio"]["shape"]  # a ratio above 1: no such advice
    assert "unit" not in KEYS2["exercises"]["count"].get("shape", {})  # counts never have it


def test_too_few_decimals_when_the_check_asks_for_more():
    assert say("ratio", 1.1) == ("incorrect", "Not yet. Give 2 decimals: your answer has 1.")
    assert say("ratio", 1.0) == ("incorrect", "Not yet. Give 2 decimals: your answer has 1.")
    assert say("ratio", decimal.Decimal("1.1"))[1] == "Not yet. Give 2 decimals: your answer has 1."
    assert say("ratio", 1.04)[1] == "Not yet."  # enough decimals: just not right
    assert say("ratio", 5)[1] == "Not yet."  # whole numbers are not "imprecise floats"
    assert say("count", 11.5)[1] == "Not yet."  # default rounding is no request for decimals


def test_advice_never_changes_what_is_right(notebook):
    user_ns, _ = notebook
    ex.answer_keys_path().write_text(json.dumps(KEYS2))  # the file the fake notebook's check reads
    for name, wrong in (("d", {**RIGHT_DICT, "C12": "fact"}), ("share", 16.34), ("n", "None"),
                        ("q", ["p1", "p3", "p2"]), ("ratio", 1.1), ("s", [1950, 1972])):
        user_ns["answer"] = wrong
        with pytest.raises(AssertionError):
            grade(name, "answer")
    user_ns["answer"] = 0.16
    grade("share", "answer")


def test_advice_that_fails_still_gives_feedback(monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(ex, "_dict_advice", broken)
    assert say("d", {**RIGHT_DICT, "C12": "fact"}) == ("incorrect", "Not yet.")


def test_the_committed_answer_keys_hold_no_value_in_clear():
    """Format 2: hashes, flags and counts only (and the keys of dictionary answers)."""
    keys = json.loads(ex.ANSWER_KEYS_PATH.read_text(encoding="utf-8"))
    assert keys["format"] == 2
    sha = re.compile(r"[0-9a-f]{64}")
    for exercise_id, key in keys["exercises"].items():
        assert set(key) <= {*ex.KEY_FIELDS, "notebook"}, exercise_id
        assert sha.fullmatch(key["hash"]), exercise_id
        assert all(sha.fullmatch(h) for h in key.get("entries", {}).values()), exercise_id
        shape = key.get("shape", {})
        assert set(shape) <= {"unit", "decimals", "items", "unordered"}, exercise_id
        assert shape.get("unit", True) is True and isinstance(shape.get("decimals", 0), int)
        assert isinstance(shape.get("items", 0), int) and sha.fullmatch(shape.get("unordered", "0" * 64))
        assert ("entries" in key) == (key["expects"] == "a dictionary"), exercise_id


# --- feedback never shows an expected value, for every exercise of the course ------------------

# Phrases that may hold numbers which are not answers: counts of the student's own items and
# entries, the decimals asked for, and key names in backticks (the question's own items).
ALLOWED = re.compile(r"`[^`]*`|\d+ of \d+ entries match|your \d+ entr(?:y|ies)|you have \d+ (?:different )?items?"
                     r"|that is \d+ too (?:many|few)|give \d+ decimals?: your answer has \d+|between 0 and 1"
                     r"|by 100|\d+ more")


def master_forms(tmp: Path) -> dict[str, dict]:
    """Run every master in record mode; {exercise: recorded entry, with its canonical "form"}."""
    from concurrent.futures import ThreadPoolExecutor

    from nbclient import NotebookClient

    from triangles.course import find_masters, read_notebook

    def run(path):
        record = tmp / f"{path.stem}.jsonl"
        record.touch()
        NotebookClient(read_notebook(path), timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute(
            env={**os.environ, ex.RECORD_ENV: str(record)})
        return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line.strip()]

    with ThreadPoolExecutor(2) as pool:
        entries = [e for found in pool.map(run, find_masters()) for e in found]
    return {e["exercise"]: e for e in entries if "form" in e}


def course_fingerprint() -> str:
    from triangles.course import find_masters
    from triangles.grading.master import kit_fingerprint

    digest = hashlib.sha256(kit_fingerprint().encode())
    for path in find_masters():
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def course_answers(request, tmp_path_factory):
    """The masters' recorded keys and canonical answers. Running the eight masters takes ~20 s, so the
    result is kept in pytest's cache (git-ignored; the masters hold the same answers) until a master,
    the data or the package changes."""
    cache = getattr(request.config, "cache", None)
    fingerprint = course_fingerprint()
    cached = cache.get("triangles/master-forms", None) if cache is not None else None
    if isinstance(cached, dict) and cached.get("fingerprint") == fingerprint:
        return cached["entries"]
    entries = master_forms(tmp_path_factory.mktemp("forms"))
    if cache is not None:
        cache.set("triangles/master-forms", {"fingerprint": fingerprint, "entries": entries})
    return entries


def atoms(form, keys=()):
    """The scalar values inside a canonical form (not its dict keys)."""
    if isinstance(form, dict):
        return [a for value in form.values() for a in atoms(value)]
    if isinstance(form, list):
        return [a for item in form for a in atoms(item)]
    return [] if form is None or isinstance(form, bool) else [form]


def wrong_answers(form, kind):
    """Likely wrong answers of the right shape, and typical slips."""
    other = [None, "None", "zz wrong", 0, -1, [], {}]
    if isinstance(form, dict):
        keys = list(form)
        bump = {k: (v + 1 if isinstance(v, (int, float)) and not isinstance(v, bool) else "zz wrong")
                for k, v in form.items()}
        return other + [{**form, k: bump[k]} for k in keys] + [
            bump, {k: form[k] for k in keys[1:]}, {**form, "zz extra": "x"}, pd.Series(bump),
            list(form.values()), {k: None for k in keys}]
    if isinstance(form, list):
        return other + [form[:-1], form + ["zz extra"], list(reversed(form)), ["zz"] + form[1:],
                        [str(x) for x in form], set(map(json.dumps, form)) if kind == "set" else tuple(form)]
    if isinstance(form, (int, float)) and not isinstance(form, bool):
        numbers = [form + 1, form - 1, form * 100, form * 100 + 7, -form, round(form + 0.1, 1), float(form) + 0.5,
                   str(form), np.float64(form) * 10]
        return other + numbers + ([1 / form] if form else [])
    if isinstance(form, str):
        return other + [form + " zz", "zz" + form, form.upper() + "x", [form], 7, 7.5]
    return other + ["US", 1, ["none"]]


def test_feedback_never_shows_an_expected_value(course_answers):
    """Every exercise in the course, about 20 wrong answers each: the feedback may count and may
    name keys, but it never contains one of the expected values."""
    checked = 0
    for exercise_id, entry in sorted(course_answers.items()):
        keys = {"exercises": {exercise_id: {k: entry[k] for k in ex.KEY_FIELDS if k in entry}}}
        form = entry["form"]
        expected = atoms(form)
        for wrong in wrong_answers(form, entry["kind"]):
            for digits in (None, entry["digits"]):
                text = evaluate(exercise_id, wrong, keys=keys, digits=digits).text
                if text == "✅ Right.":
                    continue
                rest = ALLOWED.sub(" ", ex._text(text))
                for atom in expected:
                    if isinstance(atom, str):
                        pattern = rf"(?<!\w){re.escape(ex._text(atom))}(?!\w)"
                    else:
                        pattern = rf"(?<![\d.]){re.escape(str(atom))}(?![\d.]*\d)"
                    assert not re.search(pattern, rest), (exercise_id, wrong, text, atom)
                checked += 1
    assert len(course_answers) >= 25 and checked > 25 * 20
