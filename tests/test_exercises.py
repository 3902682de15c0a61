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
                          "hash": answer_hash("ex7", 0.123), "form": 0.123,
                          "shape": {"unit": True, "decimals": 3, "rounded": {"1": answer_hash("ex7", 0.1),
                                                                              "2": answer_hash("ex7", 0.12)}}}
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
    assert say("d", fewer)[1] == "Not yet. Your 3 entries match. Your dictionary has no entry for `C18`."  # as asked
    more = {**RIGHT_DICT, "C99": "fact"}
    assert say("d", more)[1] == ("Not yet. Your 4 entries for the keys asked for match. "
                                 "Leave out `C99`: the exercise does not ask for it.")


def test_string_keys_where_int_keys_are_expected_are_the_same_keys():
    assert say("y", {"1971": "partner", "2018": "outcast"})[0] == "correct"
    assert "look again at `2018`" in say("y", {"1971": "partner", "2018": "foe"})[1]


def test_a_non_dictionary_where_a_dictionary_is_expected_is_explained():
    assert say("d", ["fact", "prediction"])[1] == \
        "Not yet. Your answer is a list, but this exercise wants a dictionary, like {key: value, ...}."


def without_members(exercise_id):
    """KEYS2 as an older release wrote it: counts, no per-item hashes."""
    key = json.loads(json.dumps(KEYS2["exercises"][exercise_id]))
    key["shape"].pop("members")
    return {"exercises": {exercise_id: key}}


@pytest.mark.parametrize("exercise_id, value, advice", [
    ("s", [1950, 1972], "You have 2 different items: that is 1 too few."),
    ("s", [1950, 1972, 1979, 1989, 2019], "You have 5 different items: that is 2 too many."),
    ("s", [1950, 1972, 1979], "You have the right number of items, but not all of them are right yet."),
    ("q", ["p1", "p3", "p2"], "You have the right items, but not in the right order."),
    ("q", ["p1", "p2"], "You have 2 items: that is 1 too few."),
])
def test_collection_feedback_from_keys_without_members_counts_items_only(exercise_id, value, advice):
    feedback = evaluate(exercise_id, value, keys=without_members(exercise_id))
    assert feedback.text == f"Not yet. {advice} Change your answer, run its cell, then run this one again."


@pytest.mark.parametrize("exercise_id, value, advice", [
    ("s", [1950, 1972], "All 2 of your items are right, but 1 item is missing."),
    # missing one AND otherwise wrong: never "1 too few", the wrong item is named instead
    ("s", [1950, 1979], "`1979` is not part of the answer. The answer has 3 items; you have 1 of them."),
    ("s", [1950, 1972, 1979, 1989, 2019], "`1979` and `1989` are not part of the answer."),
    ("s", [1950, 1972, 1979], "`1979` is not part of the answer. The answer has 3 items; you have 2 of them."),
    ("q", ["p1", "p3", "p2"], "You have the right items, but not in the right order."),
    ("q", ["p1", "p2"], "All 2 of your items are right, but 1 item is missing."),
    ("q", ["p1", "p2", "p2", "p3"], "Your items are all right, but some appear more than once."),
    ("q", ["p1", "zz", "p3"], "`zz` is not part of the answer. The answer has 3 items; you have 2 of them."),
])
def test_collection_feedback_names_wrong_items_and_counts_missing_only_when_the_rest_is_right(
        exercise_id, value, advice):
    assert say(exercise_id, value) == ("incorrect", f"Not yet. {advice}")


def test_the_text_none_where_none_is_expected():
    for slip in ("None", "none", "'None'"):
        assert say("n", slip)[1] == 'Not yet. You wrote "None" in quotes, which makes it text: write None without quotes.'
    assert say("n", "US")[1] == "Not yet."  # any other text: nothing that would give the answer away


def test_a_percentage_is_named_only_when_dividing_by_100_makes_it_right():
    assert set(KEYS2["exercises"]["share"]["shape"]) == {"unit", "decimals", "rounded"}
    assert say("share", 16.34) == ("incorrect", "Not yet. That looks like a percentage: this exercise wants a "
                                                "share between 0 and 1. Divided by 100, your answer is right.")
    # 83 (a count) and 40 are no percentages of the answer: only the fact about the range is said
    for not_a_percentage in (83, 40):
        assert say("share", not_a_percentage) == (
            "incorrect", "Not yet. This exercise wants a share between 0 and 1, and yours is more than 1.")
    assert "unit" not in KEYS2["exercises"]["ratio"]["shape"]  # a ratio above 1: no such advice
    assert "unit" not in KEYS2["exercises"]["count"].get("shape", {})  # counts never have it


def test_an_inverted_ratio_is_named_and_never_called_a_percentage():
    # 04.2/04.4: the expected ratio is 0.16; 1/0.1623 = 6.16 is the ratio upside down
    keys = {"exercises": {"r": record_entry("r", 0.1623, digits=2)}}
    text = evaluate("r", 6.16, keys=keys).text
    assert text.startswith("Not yet. Your ratio is upside down: you divided the second quantity by the first.")
    assert "percentage" not in text
    assert "upside down" in say("ratio", 1 / 1.0476)[1]  # above 1 the other way round
    assert "upside down" not in say("ratio", 2.5)[1]


def test_a_sum_instead_of_a_mean_is_named():
    assert say("ratio", 1.0476 * 3)[1] == (
        "Not yet. Your answer is exactly 3 times the right one: it looks like a total (a sum) where the "
        "exercise asks for an average (a mean). Divide the total by how many values there are, or use `.mean()`.")
    assert say("count", 36)[1] == "Not yet."  # counts: a multiple is a coincidence, not a diagnosis


def test_06_4_loop_correctness_comes_before_format():
    """06.4: a Brier score, the mean of three squares, checked to 3 decimals. Summing instead of
    averaging once said "Give 3 decimals: your answer has 2", and so did the next try, 0.140."""
    squares = [0.09, 0.25, 0.08]  # mean 0.14
    keys = {"exercises": {"ex06-4": record_entry("ex06-4", sum(squares) / 3, digits=3)}}
    summed = evaluate("ex06-4", sum(squares), keys=keys, digits=3).text
    assert "a total (a sum)" in summed and "decimal" not in summed
    assert evaluate("ex06-4", 0.140, keys=keys, digits=3).status == "correct"  # 0.140 is 0.14
    assert evaluate("ex06-4", 0.14, keys=keys, digits=3).status == "correct"


def test_decimals_are_mentioned_only_when_the_answer_is_right_at_fewer():
    # 06.3's hint says 2.50 and 2.5 are the same: then 2.2 is right for 2.20
    keys = {"exercises": {"t": record_entry("t", 2.2, digits=2), "u": record_entry("u", 2.25, digits=2),
                          "m": record_entry("m", -0.2, digits=2)}}
    assert evaluate("t", 2.2, keys=keys, digits=2).status == "correct"
    assert evaluate("t", 2.20, keys=keys, digits=2).status == "correct"
    assert evaluate("u", 2.2, keys=keys, digits=2).text.startswith(
        "Not yet. Rounded to 1 decimal, your answer agrees, but the check compares 2 decimals")
    assert evaluate("u", 2.4, keys=keys, digits=2).text == (
        "Not yet. Change your answer, run its cell, then run this one again.")  # wrong: no format talk
    assert evaluate("m", -0.20, keys=keys, digits=2).status == "correct"
    # a float carries no trailing zeros: no feedback ever claims "your answer has N decimals"
    for value in (-0.2, -0.3, 1.1, 1.0, decimal.Decimal("1.1"), 5):
        for exercise_id in ("ratio", "share"):
            assert "your answer has" not in say(exercise_id, value)[1]


def test_a_row_is_not_called_a_column():
    table = pd.DataFrame({"year": [2018, 2019], "ratio": [0.2, 0.3]}, index=[2018, 2019])
    assert ex.describe_type(table["ratio"]) == "a column (pandas Series)"
    assert ex.describe_type(table.loc[2019]) == "a row of a table (pandas Series)"
    assert ex.describe_type(pd.Series([1, 2])) == "a pandas Series (one row or column of a table)"
    text = say("count", table.loc[2019])[1]
    assert "a row of a table" in text and "column" not in text.split("wants")[0]


def test_accepted_variants_are_right_and_near_synonyms_are_named():
    terms = {"stable marriage": "stable marriage", "undetermined": "undetermined (a neutral dyad)"}
    keys = {"exercises": {"c": record_entry("c", {1972: "stable marriage", 2019: "undetermined (a neutral dyad)"},
                                            accept=terms, near={"neutral": "undetermined (a neutral dyad)"})}}
    assert keys["exercises"]["c"]["accept"] == {"stable marriage": "stable marriage",
                                                "undetermined": "undetermined (a neutral dyad)"}
    right = evaluate("c", {1972: "Stable_Marriage", 2019: "undetermined"}, keys=keys)
    assert right.status == "correct" and right.text.startswith("✅ Right. (The kit words it")
    near = evaluate("c", {1972: "stable marriage", 2019: "Neutral"}, keys=keys)
    assert near.status == "incorrect"
    assert near.text.startswith("Not yet, but the idea is right: the wording is off. `neutral` is close")
    assert "undetermined" not in near.text  # the term is not given away
    partly = evaluate("c", {1972: "romantic triangle", 2019: "neutral"}, keys=keys)
    assert partly.text.startswith("Not yet. 0 of 2 entries match; look again at `1972` and `2019`. For `2019` "
                                  "the idea is right, but the wording is off")


def test_dyad_keys_accept_en_dashes_and_any_case_and_names_accept_underscores():
    keys = {"exercises": {"dy": record_entry("dy", {"US-CN": -1, "US-RU": 1, "CN-RU": 1}),
                          "set": record_entry("set", {"US-CN", "CN-RU"}, kind="set"),
                          "cfg": record_entry("cfg", "ménage à trois")}}
    assert evaluate("dy", {"US–CN": -1, "us-ru": 1, "Cn—Ru": 1}, keys=keys).status == "correct"
    assert evaluate("set", ["cn–ru", "US−CN"], keys=keys).status == "correct"
    assert evaluate("cfg", "menage_a_trois", keys=keys).status == "correct"
    assert canonical(["−3"], "set") == [-3]  # a true minus sign is a minus


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
        assert set(shape) <= {"unit", "decimals", "rounded", "items", "members", "unordered", "entries_rounded"}, \
            exercise_id
        assert shape.get("unit", True) is True and isinstance(shape.get("decimals", 0), int)
        assert isinstance(shape.get("items", 0), int) and sha.fullmatch(shape.get("unordered", "0" * 64))
        assert all(sha.fullmatch(h) for h in [*shape.get("rounded", {}).values(), *shape.get("members", [])])
        for hashes in shape.get("entries_rounded", {}).values():  # {places: {key: entry hash}}
            assert set(hashes) <= set(key["entries"]) and all(sha.fullmatch(h) for h in hashes.values())
        # the question's own spelling of each key, and only of keys the key file names already
        assert set(key.get("key_names", {})) <= set(key.get("entries", {})), exercise_id
        assert all(ex._text(name) == canon for canon, name in key.get("key_names", {}).items()), exercise_id
        for table in (key.get("accept", {}), key.get("near", {})):  # term spellings, text to text
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()), exercise_id
        assert ("entries" in key) == (key["expects"] == "a dictionary"), exercise_id


# --- feedback never shows an expected value, for every exercise of the course ------------------

# Phrases that may hold numbers which are not answers: counts of the student's own items and
# entries, the decimals asked for, and key names in backticks (the question's own items).
ALLOWED = re.compile(r"`[^`]*`|\d+ of \d+ entries match|your \d+ entr(?:y|ies)|you have \d+ (?:different )?items?"
                     r"|that is \d+ too (?:many|few)|between 0 and 1|by 100|\d+ more|all \d+ of your items"
                     r"|\d+ items? (?:is|are) missing|the answer has \d+ items?; you have \d+ of them"
                     r"|exactly \d+ times|rounded to \d+ decimals?|compares \d+ decimals?")


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


# --- checks that never lie: the answer cell's last run -----------------------------------------


@pytest.fixture
def shell(monkeypatch, tmp_path):
    """A real IPython shell (cells run through run_cell, so post_run_cell fires as in a kernel), the
    keys of KEYS, and the feedback display() calls recorded."""
    from IPython.core.interactiveshell import InteractiveShell

    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"exercises": {**KEYS["exercises"], **KEYS2["exercises"]}}))
    monkeypatch.setenv(ex.KEYS_ENV, str(keys))
    monkeypatch.delenv(ex.RECORD_ENV, raising=False)
    InteractiveShell.clear_instance()
    ipython = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.append((objs, kw)))
    ipython.run_cell("from triangles.exercises import check, grade")
    ex.run_log(ipython)  # what the first import does in a fresh kernel (tests/test_progress.py runs one)
    yield ipython, shown
    InteractiveShell.clear_instance()


def feedback_of(shown):
    (data,), options = shown[-1]
    return data["text/plain"], options["metadata"]["triangles"]


def test_right_then_a_failing_edit_is_never_right(shell):
    ipython, shown = shell
    ipython.run_cell("n_big = 4", cell_id="answer-1")
    ipython.run_cell('check("ex1", "n_big")', cell_id="check-1")
    text, meta = feedback_of(shown)
    assert text == "✅ Right."
    assert meta["answer"] == {"source_sha": ex.source_fingerprint("n_big = 4"), "ran": "ok", "cell_id": "answer-1"}
    # the student edits the answer into code that fails: n_big still holds 4 from the last good run
    ipython.run_cell("n_big = 4\nn_big = n_bigg + 1", cell_id="answer-1")
    ipython.run_cell('check("ex1", "n_big")', cell_id="check-1")
    text, meta = feedback_of(shown)
    assert text.startswith("Not yet. Your answer cell's last run failed with NameError: name 'n_bigg' is not "
                           "defined. The value it left behind is not your answer")
    assert meta["status"] == "incorrect" and meta["answer"]["ran"] == "failed"
    assert meta["answer"]["error"] == "NameError"
    with pytest.raises(AssertionError, match="last run failed"):
        ipython.run_cell('grade("ex1", "n_big")', cell_id="check-1").raise_error()
    ipython.run_cell("n_big = 2 + 2", cell_id="answer-1")  # fixed and run again
    ipython.run_cell('check("ex1", "n_big")', cell_id="check-1")
    assert feedback_of(shown)[0] == "✅ Right."


def test_from_a_fresh_start_a_failing_answer_cell_is_not_called_blank(shell):
    ipython, shown = shell
    ipython.run_cell("n_big = ...\n# YOUR CODE HERE\nn_big = len(undefined_table)")
    ipython.run_cell('check("ex1", "n_big")')
    text = feedback_of(shown)[0]
    assert "last run failed with NameError" in text and "replace the `...`" not in text


def test_a_syntax_error_and_pandas_and_are_explained(shell):
    ipython, shown = shell
    ipython.run_cell("n_big = (4")
    ipython.run_cell('check("ex1", "n_big")')
    assert "last run failed with SyntaxError" in feedback_of(shown)[0]
    ipython.run_cell("import pandas as pd\nt = pd.DataFrame({'a': [1, 2]})\n"
                     "n_big = len(t[(t['a'] > 0) and (t['a'] < 3)])")
    ipython.run_cell('check("ex1", "n_big")')
    text = feedback_of(shown)[0]
    assert "failed with ValueError: The truth value of a Series is ambiguous" in text
    assert text.endswith(f" Tip: {ex.TIP_AND_OR}")  # combine True/False columns with `&`


def test_the_run_log_is_registered_once_and_reads_assignments(shell):
    ipython, _ = shell
    import importlib

    importlib.reload(ex)  # a re-import (or %autoreload) must not register a second hook
    callbacks = [c for c in ipython.events.callbacks["post_run_cell"] if "RunLog" in repr(c)]
    assert len(callbacks) == 1
    assert ex.assigned_names("a = 1\nb, c = 2, 3\nd += 1\ne: int = 5\nif a == 1:\n    f = 2\ng == 3\nh[0] = 1") == \
        {"a", "b", "c", "d", "e", "f", "h"}
    assert ex.assigned_names("x = (1,\n") == {"x"}  # a syntax error still names its variable
    assert ex.assigned_names("for k in ks:\n    x[k] = (1,\n") == {"k", "x"}  # also inside a block


@pytest.mark.parametrize("source, names", [
    ("for option, row in targets.iterrows():\n    answer[option] = 1", {"option", "row", "answer"}),
    ("if True:\n    answer = 2", {"answer"}),
    ("with open('f') as answer:\n    pass", {"answer"}),
    ("while n:\n    try:\n        answer += 1\n    except KeyError as problem:\n        pass",
     {"answer", "problem"}),
    ("(answer, (b, *rest)) = 1, (2, 3)", {"answer", "b", "rest"}),
    ("print(answer := 3)", {"answer"}),
    ("answer.value = 3\nanswer['k'].x = 1", {"answer"}),
    ("del answer['k']", {"answer"}),
    ("answer.append(1)", {"answer"}),
    ("answer.head()\nprint(answer)\nlen(answer) == 3", set()),  # reading is not making
    ("def f():\n    answer = 1\nsquares = [answer for answer in range(3)]", {"f", "squares"}),
    ("[(answer := x) for x in range(3)]", {"answer"}),  # a walrus binds in the cell, even in a comprehension
    ("%time answer = 1\nother = 2", {"other"}),  # IPython syntax is read after IPython's transformation
])
def test_assigned_names_finds_every_binding_anywhere_in_the_cell(source, names):
    assert ex.assigned_names(source) == names


def test_without_a_run_record_check_judges_as_before(notebook):
    user_ns, shown = notebook  # a fake shell with no events: no run log, no "answer" record
    user_ns["n_big"] = 4
    check("ex1", "n_big")
    assert shown[-1][1]["metadata"] == {"triangles": {"exercise": "ex1", "status": "correct"}}


def test_a_filled_template_left_commented_out_is_explained(shell):
    ipython, shown = shell
    ipython.run_cell('n_big = ...\n# A template: delete the "# "\n# n_big = 2 + 2')
    ipython.run_cell('check("ex1", "n_big")')
    text, meta = feedback_of(shown)
    assert meta["status"] == "unanswered"
    assert text.startswith("Not answered yet: `n_big` is still `...`. The template's lines still start with `#`")


# --- a fix made anywhere in the cell clears the failed run (walkthrough of 02 and 07) ----------


@pytest.mark.parametrize("fix", [
    "for _ in [1]:\n    n_big = 4",
    "if True:\n    n_big = 0\n    n_big += 4",
    "import contextlib\nwith contextlib.nullcontext(4) as n_big:\n    pass",
    "for n_big in [3, 4]:\n    pass",
    "(n_big, spare) = (4, 0)",
    "print(n_big := 4)",
])
def test_a_fix_that_sets_the_answer_inside_a_block_clears_the_failed_run(shell, fix):
    ipython, shown = shell
    ipython.run_cell("n_big = ...\nfor _ in [1]:\n    n_big = len(undefined_table)")
    ipython.run_cell('check("ex1", "n_big")')
    assert "last run failed with NameError" in feedback_of(shown)[0]
    assert ipython.run_cell(fix).success
    ipython.run_cell('check("ex1", "n_big")')
    text, meta = feedback_of(shown)
    assert text == "✅ Right." and meta["answer"]["ran"] == "ok"
    ipython.run_cell('grade("ex1", "n_big")').raise_error()


def test_a_dictionary_filled_by_key_in_a_loop_clears_the_failed_run(shell):
    ipython, shown = shell
    ipython.user_ns["claims"] = dict(RIGHT_DICT)
    ipython.run_cell("kinds = {}\nfor claim, kind in claims.items():\n    kinds[claim] = kind.upper(1)")
    ipython.run_cell('check("d", "kinds")')
    assert "last run failed with TypeError" in feedback_of(shown)[0]
    # the student's next cell only fills the dictionary by key: no `kinds = ...` line at all
    assert ipython.run_cell("for claim, kind in claims.items():\n    kinds[claim] = kind").success
    ipython.run_cell('check("d", "kinds")')
    assert feedback_of(shown)[0] == "✅ Right."


def test_a_successful_rerun_of_the_same_cell_clears_its_failure_even_without_the_name(shell):
    ipython, shown = shell
    ipython.run_cell("n_big = len(undefined_table)", cell_id="answer-1")
    ipython.run_cell('check("ex1", "n_big")', cell_id="check-1")
    assert "last run failed" in feedback_of(shown)[0]
    ipython.run_cell('globals()["n_big"] = 4', cell_id="answer-1")  # binds n_big without naming it
    ipython.run_cell('check("ex1", "n_big")', cell_id="check-1")
    assert feedback_of(shown)[0] == "✅ Right."
    # a cell that only reads the answer does not clear anything
    ipython.run_cell("n_big = len(undefined_table)", cell_id="answer-1")
    ipython.run_cell("print(n_big)", cell_id="look")
    ipython.run_cell('check("ex1", "n_big")', cell_id="check-1")
    assert "last run failed" in feedback_of(shown)[0]


# --- tips on a beginner's usual errors -----------------------------------------------------------


def error_of(code: str, **names) -> str:
    """The "Type: message" a run log records for ``code`` run with pandas and a small table."""
    table = pd.DataFrame({"category": ["military", "diplomacy"], "start": pd.to_datetime(["2018-01-01", "2019-01-01"]),
                          "effect": ["warming", None]})
    try:
        exec(code, {"pd": pd, "table": table, **names})
    except Exception as exc:
        return ex._describe_error(exc)
    raise AssertionError(f"{code!r} ran without an error")


@pytest.mark.parametrize("code, tip", [
    ('table[table["category"] == "military" & table["effect"] == "warming"]', ex.TIP_BRACKETS),
    ('table[table["start"] > pd.Timestamp("2018-06-01") & table["category"] == "x"]', ex.TIP_BRACKETS),
    ('table[(table["category"] == "military") and (table["effect"] == "warming")]', ex.TIP_AND_OR),
    ('after = table["start"] > pd.Timestamp("...")', ex.TIP_BLANK),  # DateParseError "string: ..."
    ('steps = table[... & ...]', ex.TIP_BLANK),  # TypeError 'ellipsis'
    ('steps = table.sort_values("...")', ex.TIP_BLANK),  # KeyError '...'
    ('answer = ...\nsteps = table.sort_values(...)', ex.TIP_BLANK),
    ('need = None\nanswer = round(need, 3)', ex.TIP_ROUND_NONE),
    ('ids = table[table["category"] == "military"].tolist()', ex.TIP_TABLE_TOLIST),
    ('role = str(US)', ex.TIP_COUNTRY_TEXT),
    ('from triangles import model\nconfiguration = model.classify(table.iloc[0])', ex.TIP_SIGNS),
    ('answer = ...\nanswer = len(undefined_table)', ""),  # the placeholder line is not a blank left in
    ('answer = table["nothing"]', ""),
])
def test_usual_errors_get_a_tip_and_others_none(code, tip):
    assert ex.error_tip(error_of(code), code) == tip


def test_a_commented_out_template_line_is_not_a_blank():
    assert not ex.has_template_blank('answer = 1\n# after = pd.Timestamp("...")  # a template line')
    assert ex.has_template_blank('answer = table[... & is_military]')
    assert not ex.has_template_blank("answer = (1,")  # a syntax error: nothing to say


def test_an_error_in_a_cell_shows_its_traceback_then_the_tip(shell, capsys):
    ipython, shown = shell
    ipython.run_cell("import pandas as pd\ntable = pd.DataFrame({'a': ['x', 'y'], 'b': [1, 2]})")
    result = ipython.run_cell('rows = table[table["a"] == "x" & table["b"] == 2]')
    assert isinstance(result.error_in_exec, TypeError)  # still an error, as IPython reports it
    assert "TypeError" in capsys.readouterr().out  # the usual traceback ("Cannot perform 'rand_' ...")
    (data,), _ = shown[-1]
    assert data["text/plain"] == "Tip: Put each comparison in brackets" + ex.TIP_BRACKETS.removeprefix(
        "put each comparison in brackets")
    assert "<code>&amp;</code>" in data["text/html"]
    ipython.run_cell('check("ex1", "rows")')  # and the check on it says the same
    assert feedback_of(shown)[0].endswith(f" Tip: {ex.TIP_BRACKETS}")
    count = len(shown)
    ipython.run_cell("rows = table['missing']")  # no tip applies: only the traceback
    assert "KeyError" in capsys.readouterr().out and len(shown) == count


def test_a_template_blank_is_named_in_the_failed_run_message(shell):
    ipython, shown = shell
    ipython.run_cell('import pandas as pd\nn_big = ...\nafter = pd.Timestamp("...")\nn_big = 4')
    ipython.run_cell('check("ex1", "n_big")')
    text = feedback_of(shown)[0]
    assert "Unable to parse datetime string: `...`. The value it left behind" in text
    assert text.endswith(f" Tip: {ex.TIP_BLANK}")


def test_error_tips_leave_another_custom_handler_alone():
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    try:
        ipython = InteractiveShell.instance()
        mine = []
        ipython.set_custom_exc((KeyError,), lambda shell, *exc, **kw: mine.append(exc[0]))
        assert ex.install_error_tips(ipython) is False
        assert ipython.custom_exceptions == (KeyError,)
        ipython.run_cell("{}['x']")
        assert mine == [KeyError]
    finally:
        InteractiveShell.clear_instance()


# --- dictionary answers get the scalar checks' diagnoses, entry by entry --------------------------

PUSH = {"wedge toward Moscow": 0.151, "wedge toward Beijing": 0.148, "pressure on both": None,
        "engagement with both": 0.047}
SHARES = {"wedge toward Moscow": 0.24, "wedge toward Beijing": 0.31, "pressure on both": 0.0,
          "engagement with both": 0.86}
DICT_KEYS = {"exercises": {"push": record_entry("push", PUSH, digits=3),
                           "shares": record_entry("shares", SHARES, digits=2)}}


def say_dict(exercise_id, value):
    feedback = evaluate(exercise_id, value, keys=DICT_KEYS, hint="HINT", digits=DICT_KEYS["exercises"][
        exercise_id]["digits"])
    return feedback.status, feedback.text.removesuffix(" Hint: HINT")


def test_dictionary_keys_record_their_spelling_and_rounded_entries_as_hashes_only():
    key = DICT_KEYS["exercises"]["push"]
    assert key["key_names"] == {"wedge toward moscow": "wedge toward Moscow", "wedge toward beijing": "wedge toward Beijing"}
    assert key["shape"]["decimals"] == 3 and set(key["shape"]["entries_rounded"]) == {"1", "2"}
    assert set(key["shape"]["entries_rounded"]["2"]) == {"wedge toward moscow", "wedge toward beijing",
                                                        "engagement with both"}  # None is not measured
    assert "0.15" not in json.dumps(key) and "0.151" not in json.dumps(key)


def test_a_quoted_none_inside_a_dictionary_is_named():
    status, text = say_dict("push", {**PUSH, "pressure on both": "None"})
    assert status == "incorrect"
    assert text == ('Not yet. 3 of 4 entries match; look again at `pressure on both`. For `pressure on both`, '
                    'you wrote "None" in quotes, which makes it text: write None without quotes.')


def test_too_few_decimals_inside_a_dictionary_is_named_only_when_right_at_fewer():
    text = say_dict("push", {**PUSH, "wedge toward Moscow": 0.15, "engagement with both": 0.05})[1]
    assert text == ("Not yet. 2 of 4 entries match; look again at `wedge toward Moscow` and `engagement with both`. "
                    "For `wedge toward Moscow` and `engagement with both`, rounded to 2 decimals they agree, but the "
                    "check compares 3 decimals: keep more decimals, and round only at the end (or not at all).")
    text = say_dict("push", {**PUSH, "wedge toward Moscow": 0.15})[1]
    assert "For `wedge toward Moscow`, rounded to 2 decimals it agrees, but the check compares 3 decimals" in text
    assert "decimals" not in say_dict("push", {**PUSH, "wedge toward Moscow": 0.12})[1]  # simply wrong
    assert say_dict("push", {**PUSH, "wedge toward Moscow": 0.1510})[0] == "correct"  # trailing zeros are fine


def test_a_percentage_inside_a_dictionary_is_named_only_when_dividing_by_100_makes_it_right():
    text = say_dict("shares", {**SHARES, "wedge toward Moscow": 24, "engagement with both": 85})[1]
    assert "For `wedge toward Moscow`, it looks like a percentage: divided by 100, it is right." in text
    text = say_dict("shares", {key: share * 100 for key, share in SHARES.items()})[1]
    assert ("For `wedge toward Moscow`, `wedge toward Beijing` and `engagement with both`, they look like "
            "percentages: divided by 100, they are right.") in text
    assert "For `engagement with both`" not in text  # 0.85 is not right either: no diagnosis
    assert "percentage" not in say("d", {**RIGHT_DICT, "C09": 50})[1]  # text entries are not measured


def test_missing_keys_are_named_as_the_question_writes_them():
    text = say_dict("push", {"pressure on both": None})[1]
    assert text == ("Not yet. Your 1 entry matches. Your dictionary has no entry for `wedge toward Moscow`, "
                    "`wedge toward Beijing` and `engagement with both`.")


def test_an_empty_answer_is_called_empty_never_all_0_right():
    for exercise_id, keys in (("s", KEYS2), ("s", without_members("s")), ("q", KEYS2)):
        text = evaluate(exercise_id, [], keys=keys).text
        assert "All 0" not in text and "0 items" not in text
        assert text.startswith("Not yet. Your answer is empty: it has no items. If it comes from a filter, the "
                               "filter kept no rows")
    text = say_dict("push", {})[1]
    assert text.startswith("Not yet. Your dictionary is empty: nothing was put into it.")


def test_a_method_without_brackets_asks_for_the_brackets():
    class Map:
        def share_reached(self):
            return 0.24

    text = say_dict("shares", {**SHARES, "wedge toward Moscow": Map().share_reached})[1]
    assert text == ("Not yet. Your answer is a dictionary, but it holds the method `share_reached` itself, not its "
                    "result: did you forget the `()` after `share_reached`?")
    series = pd.Series([0.2, 0.4])
    text = evaluate("share", series.mean, keys=KEYS2).text
    assert text.startswith("Not yet. Your answer is a method (not its result), but this exercise wants a number. "
                           "Did you forget the `()` after `mean`?")
    assert "I can't" not in text and "I couldn't" not in text


# --- the walkthrough's text fixes in the student notebooks 02 and 07 ------------------------------


def student_cells(stem: str) -> list:
    import nbformat

    return nbformat.read(Path(ex.__file__).parents[1] / "notebooks" / f"{stem}.ipynb", 4).cells


def test_07_shows_a_loop_filled_dictionary_before_07_2_and_never_asks_to_round_none():
    cells = student_cells("07-decision-point")
    answer = next(i for i, c in enumerate(cells) if c.source.startswith("target_configuration = ..."))
    loops = [c.source for c in cells[:answer] if c.cell_type == "code" and re.search(r"= \{\}", c.source)
             and re.search(r"^for .*\n(?:    .*\n)*    \w+\[\w+\] = ", c.source, re.M)]
    assert loops, "07 must show a dictionary filled in a loop before Exercise 07.2"
    push = "".join(c.source for c in cells if "push_needed" in c.source or "**Exercise 07.6**" in c.source)
    assert not re.search(r"round (the|it|them)|round\(", push)  # "round ... keep None" led to round(None)
    assert "No need to round" in push and "None" in push
    legend = next(c.source for c in cells if "outcome map" in c.source and "SM = stable marriage" in c.source)
    assert "`US-out`" in legend and "`RU-piv`" in legend


def test_notebook_links_to_the_repository_resolve_from_notebooks():
    notebooks = Path(ex.__file__).parents[1] / "notebooks"
    for stem in ("02-the-timeline", "07-decision-point"):
        links = [target for c in student_cells(stem) if c.cell_type == "markdown"
                 for target in re.findall(r"\]\((\.\./[^)#\s]+)\)", c.source)]
        assert links, stem
        for target in links:
            assert (notebooks / target).exists(), (stem, target)
    assert any("../course/decision-point/README.md" in c.source for c in student_cells("07-decision-point"))


def test_02_first_mask_example_shows_true_and_false():
    source = next(c.source for c in student_cells("02-the-timeline") if "a mask: True or False" in c.source)
    assert re.search(r"print\(is_military\.head\(3\)", source)  # the category is never blank
    assert "<NA>" in source  # and the blank effects' <NA> is explained where it is printed
