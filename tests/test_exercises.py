"""triangles.exercises: canonical forms, feedback, check (never raises) and grade (raises unless right)."""

import decimal
import hashlib
import json

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
    assert entries[0] == {"exercise": "ex7", "kind": "value", "digits": 3, "expects": "a number",
                          "hash": answer_hash("ex7", 0.123)}
    assert len(entries) == 2 and "unanswered" in entries[1]["error"]
    user_ns["share"] = 0.5
    grade("ex7", "share")  # a different answer at grade time is recorded as an error
    assert "different answer" in json.loads(record.read_text().splitlines()[-1])["error"]
