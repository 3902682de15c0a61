"""Instant feedback on exercises: ``check`` for students, ``grade`` for graders.

An answer is never compared with ``==`` (a student's object could lie). Both the student's value and
the master's are reduced to a *canonical form*, plain JSON data, and the answer key stores only a
hash of the master's form. ``python -m triangles.course release`` writes the keys: it runs each
master with ``TRIANGLES_RECORD_KEYS`` set, and in that mode ``check`` and ``grade`` record the
master's answers instead of judging them.

The format of exercises is in docs/exercise-format.md.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import functools
import hashlib
import html
import json
import numbers
import os
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ANSWER_KEYS_PATH = Path(__file__).with_name("answer_keys.json")
# Environment overrides, read at call time (kernels inherit them): another keys file (tests, a
# grader's own keys) and the record mode that `release` switches on in the kernels running masters.
KEYS_ENV = "TRIANGLES_ANSWER_KEYS"
RECORD_ENV = "TRIANGLES_RECORD_KEYS"

KINDS = ("value", "choice", "set", "sequence", "table")
DEFAULT_DIGITS = 6  # floats are compared after rounding, so 0.1 + 0.2 is right for 0.3
MAX_ITEMS = 100_000  # a longer (or endless) iterable is refused instead of hanging the kernel
MAX_DEPTH = 20

# Machine-readable statuses carried in the feedback's output metadata (read by triangles.progress).
CORRECT, INCORRECT, UNANSWERED, UNAVAILABLE = "correct", "incorrect", "unanswered", "unavailable"
_MISSING = object()  # the variable does not exist in the notebook


# --------------------------------------------------------------------------------------------
# Canonical forms
# --------------------------------------------------------------------------------------------


class Unanswered(Exception):
    """The value is, or contains, ``...``: the student has not replaced the blank yet."""


class AnswerTypeError(TypeError):
    """The value cannot stand for this kind of answer; ``message`` is written for a student."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def infer_kind(value) -> str:
    """The kind a master's answer implies when the check cell names none."""
    pd = _pandas()
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series)):
        return "table"
    if isinstance(value, (set, frozenset)):
        return "set"
    if _is_sequence(value):
        return "sequence"
    return "value"


def canonical(value, kind: str | None = None, digits: int | None = None):
    """Plain, deterministic JSON data standing for ``value`` as an answer of this ``kind``.

    value    numbers (int/float/numpy; floats rounded to ``digits`` places, integral floats become
             ints), text (whitespace collapsed, stripped, casefolded), bools, None/NaN (-> None),
             dates (-> ISO text), and lists, tuples, sets, dicts and pandas objects of those.
    choice   like value, but text also loses surrounding brackets, quotes and dots: "(B)." -> "b".
    sequence an ordered collection -> list.      set   any collection -> sorted list without repeats.
    table    a DataFrame or Series -> list of row records; the index becomes columns when it is
             meaningful (named, or not integers) and is dropped when it is only row numbers.
    Raises ``Unanswered`` if ``...`` is inside, ``AnswerTypeError`` if it cannot be such an answer.
    """
    _refuse_ellipsis(value)
    kind = kind or infer_kind(value)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    digits = DEFAULT_DIGITS if digits is None else int(digits)
    pd = _pandas()
    if kind == "table":
        if pd is None or not isinstance(value, (pd.DataFrame, pd.Series)):
            raise AnswerTypeError("this exercise wants a table (a pandas DataFrame)")
        return _records(value, digits)
    if kind == "sequence":
        if isinstance(value, (set, frozenset)):
            raise AnswerTypeError("the order matters here, so give a list, not a set")
        if not _is_sequence(value):
            raise AnswerTypeError("this exercise wants a list, like [a, b, c]")
        return [_plain(item, digits, 1) for item in _items(value)]
    if kind == "set":
        if pd is not None and isinstance(value, pd.DataFrame):
            items = _records(value, digits)
        elif isinstance(value, (set, frozenset)) or _is_sequence(value):
            items = [_plain(item, digits, 1) for item in _items(value)]
        else:
            raise AnswerTypeError("this exercise wants a collection, like {a, b, c} or [a, b, c]")
        unique = {canonical_json(item): item for item in items}
        return [unique[key] for key in sorted(unique)]
    if kind == "choice" and isinstance(value, str):
        return _text(value).strip("()[]{}.:;'\"` ")
    return _plain(value, digits, 0)


def canonical_json(form) -> str:
    """The one JSON spelling of a canonical form (sorted keys, no spaces), used for hashing."""
    return json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def answer_hash(exercise_id: str, form) -> str:
    """sha256 of the exercise id and the canonical JSON: the same answer to two exercises differs."""
    return hashlib.sha256(f"{exercise_id}\n{canonical_json(form)}".encode("utf-8")).hexdigest()


def describe_type(value) -> str:
    """A short name for the type of an answer, in a student's words (stored in the keys)."""
    np, pd = _numpy(), _pandas()
    if value is None:
        return "nothing (None)"
    if isinstance(value, bool) or (np is not None and isinstance(value, np.bool_)):
        return "True or False"
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if pd is not None and isinstance(value, pd.DataFrame):
        return "a table"
    if pd is not None and isinstance(value, pd.Series):
        return "a column (pandas Series)"
    if isinstance(value, (set, frozenset)):
        return "a set"
    if isinstance(value, Mapping):
        return "a dictionary"
    if _is_sequence(value):
        return "a list"
    return f"a {type(value).__name__} object"


def _pandas():
    # pandas is a dependency of the kit, but only imported if the notebook already did: keeps
    # `check` on a plain number fast and lets canonical() work in a bare interpreter.
    return sys.modules.get("pandas")


def _numpy():
    return sys.modules.get("numpy")


def _is_sequence(value) -> bool:
    """Ordered collections: lists, tuples, ranges, numpy arrays, pandas Index/Series."""
    if isinstance(value, (list, tuple, range)):
        return True
    np, pd = _numpy(), _pandas()
    if np is not None and isinstance(value, np.ndarray):
        return True
    return pd is not None and isinstance(value, (pd.Index, pd.Series))


def _items(value) -> list:
    """The elements of a collection, refusing endless or huge ones."""
    np = _numpy()
    if np is not None and isinstance(value, np.ndarray):
        value = value.tolist() if value.ndim else [value.item()]
    items = []
    for item in value:
        items.append(item)
        if len(items) > MAX_ITEMS:
            raise AnswerTypeError(f"this collection is too long to check (over {MAX_ITEMS} items)")
    return items


def _refuse_ellipsis(value):
    if value is Ellipsis:
        raise Unanswered()


def _text(value: str) -> str:
    # str.__str__ gives the plain characters even of a str subclass that overrides its methods.
    plain = str.__str__(value)
    return " ".join(unicodedata.normalize("NFC", plain).split()).casefold()


def _number(value: float, digits: int):
    if value != value:  # NaN: a missing number, like None
        return None
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    rounded = round(value, digits)
    if rounded == int(rounded) and abs(rounded) < 2**53:
        return int(rounded)  # 12.0 and 12 are the same answer
    return rounded


def _plain(value, digits: int, depth: int):
    """Canonical form of one value of any supported type (recursive)."""
    if depth > MAX_DEPTH:
        raise AnswerTypeError("this answer is nested too deeply to check")
    _refuse_ellipsis(value)
    np, pd = _numpy(), _pandas()
    if value is None:
        return None
    if isinstance(value, bool) or (np is not None and isinstance(value, np.bool_)):
        return bool(value)
    # int.__index__ / float.__float__ read the stored number even if a subclass overrides __int__.
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        return _number(float.__float__(value), digits)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return _number(float(value), digits)
    if isinstance(value, str):
        return _text(value)
    if pd is not None:
        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, (pd.DataFrame, pd.Series)):
            return _records(value, digits)
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    if np is not None and isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value)
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        items = [_plain(item, digits, depth + 1) for item in _items(value)]
        unique = {canonical_json(item): item for item in items}
        return [unique[key] for key in sorted(unique)]
    if isinstance(value, Mapping):
        return {_key(k, digits, depth): _plain(v, digits, depth + 1) for k, v in value.items()}
    if _is_sequence(value):
        return [_plain(item, digits, depth + 1) for item in _items(value)]
    if np is not None and isinstance(value, np.generic):
        return _plain(value.item(), digits, depth + 1)
    raise AnswerTypeError(f"I can't read {describe_type(value)} as an answer")


def _key(key, digits: int, depth: int) -> str:
    form = _plain(key, digits, depth + 1)
    return form if isinstance(form, str) else canonical_json(form)


def _records(table, digits: int) -> list:
    """Rows of a DataFrame/Series as a list of {column: value} records."""
    pd = _pandas()
    frame = table.to_frame(name=table.name if table.name is not None else "value") \
        if isinstance(table, pd.Series) else table
    index = frame.index
    # An unnamed integer index is only row numbers (it changes with filtering or sorting):
    # drop it. A named or non-integer index (groupby, value_counts, set_index) is data: keep it.
    meaningful = any(name is not None for name in index.names) or not pd.api.types.is_integer_dtype(index.dtype)
    if meaningful:
        frame = frame.reset_index(allow_duplicates=True)
    if len(frame) > MAX_ITEMS:
        raise AnswerTypeError(f"this table is too long to check (over {MAX_ITEMS} rows)")
    columns = [_key(name, digits, 1) for name in frame.columns]
    return [
        {column: _plain(cell, digits, 2) for column, cell in zip(columns, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


# --------------------------------------------------------------------------------------------
# Answer keys
# --------------------------------------------------------------------------------------------


def answer_keys_path() -> Path:
    return Path(os.environ.get(KEYS_ENV) or ANSWER_KEYS_PATH)


def load_answer_keys(path: Path | str | None = None) -> dict:
    """The answer keys: {"exercises": {id: key}, "notebooks": {stem: [exercise, ...]}}.

    Cached, but re-read when the file changes, so a kernel picks up a new release. A missing or
    unreadable file gives empty keys: `check` then says it cannot check yet, and never raises.
    """
    path = Path(path) if path is not None else answer_keys_path()
    try:
        stat = path.stat()
    except OSError:
        return {"exercises": {}, "notebooks": {}}
    return _read_keys(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _read_keys(path: str, mtime_ns: int, size: int) -> dict:
    try:
        keys = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"exercises": {}, "notebooks": {}}
    if not isinstance(keys, dict):
        return {"exercises": {}, "notebooks": {}}
    keys.setdefault("exercises", {})
    keys.setdefault("notebooks", {})
    return keys


# --------------------------------------------------------------------------------------------
# Judging and feedback
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    exercise: str
    status: str  # CORRECT, INCORRECT, UNANSWERED or UNAVAILABLE
    text: str  # plain text, shown where HTML is not
    html: str

    @property
    def metadata(self) -> dict:
        return {"triangles": {"exercise": self.exercise, "status": self.status}}


def evaluate(exercise_id: str, value, *, name: str = "your answer", hint: str | None = None,
             digits: int | None = None, kind: str | None = None, keys: dict | None = None) -> Feedback:
    """Judge ``value`` against the key of ``exercise_id``. Never raises (except BaseException)."""
    try:
        return _evaluate(exercise_id, value, name, hint, digits, kind, keys)
    except Exception as exc:  # the promise is: feedback, never a traceback
        return _feedback(exercise_id, INCORRECT, f"Not yet. I couldn't check this answer ({_safe_type(exc)}).")


def _evaluate(exercise_id, value, name, hint, digits, kind, keys) -> Feedback:
    if value is _MISSING:
        return _feedback(exercise_id, UNANSWERED,
                         f"Not answered yet: `{name}` does not exist. Run the cell above, with your answer "
                         f"in place of the `...`, then this one.")
    if value is Ellipsis:
        return _feedback(exercise_id, UNANSWERED,
                         "Not answered yet: replace the `...` in the cell above with your answer, "
                         "run it, then run this cell.")
    key = (keys if keys is not None else load_answer_keys()).get("exercises", {}).get(exercise_id)
    if not isinstance(key, dict) or "hash" not in key:
        return _feedback(exercise_id, UNAVAILABLE,
                         f"I can't check {exercise_id} yet: it has no answer key. "
                         "(Course maintainers: run `python -m triangles.course release`.)")
    kind = kind or key.get("kind")
    digits = digits if digits is not None else key.get("digits")
    tip = f" Hint: {hint}" if hint else " Change your answer, run its cell, then run this one again."
    expects = key.get("expects")
    got = describe_type(value)
    if kind in ("value", "choice") and expects and got != expects and _scalar_type(expects):
        return _feedback(exercise_id, INCORRECT, f"Not yet. {_type_advice(value, got, expects)}{tip}")
    try:
        form = canonical(value, kind, digits)
    except Unanswered:
        return _feedback(exercise_id, UNANSWERED,
                         "Not answered yet: your answer still contains `...`; replace each one.")
    except AnswerTypeError as exc:
        return _feedback(exercise_id, INCORRECT, f"Not yet. Your answer is {got}, but {exc.message}.{tip}")
    if answer_hash(exercise_id, form) == key["hash"]:
        return _feedback(exercise_id, CORRECT, "✅ Right.")
    return _feedback(exercise_id, INCORRECT, f"Not yet.{tip}")


def _scalar_type(description: str) -> bool:
    return description in ("a number", "text", "True or False")


def _type_advice(value, got: str, expects: str) -> str:
    """A kind sentence about a wrong type, with the usual fix when there is one."""
    advice = f"Your answer is {got}, but this exercise wants {expects}."
    if got == "text" and expects == "a number" and _looks_numeric(value):
        advice += " Try it without the quotes."
    elif got == "a number" and expects == "text":
        advice += " Put it in quotes."
    elif got == "text" and expects == "True or False":
        advice += " Write True or False without quotes."
    return advice


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def _safe_type(exc: BaseException) -> str:
    try:
        return type(exc).__name__
    except Exception:
        return "an error"


def _feedback(exercise_id: str, status: str, text: str) -> Feedback:
    return Feedback(str(exercise_id), status, text, _to_html(text, status))


def _to_html(text: str, status: str) -> str:
    # Plain markup only (course hygiene: no custom styling); `code` spans become <code>.
    escaped = html.escape(text, quote=False)
    marked = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    if status == CORRECT:
        marked = marked.replace("Right.", "<strong>Right.</strong>", 1)
    else:
        marked = re.sub(r"^(Not yet\.|Not yet|Not answered yet:)", r"<strong>\1</strong>", marked)
    return f"<p>{marked}</p>"


def show(feedback: Feedback) -> None:
    """Display feedback as HTML plus text, carrying the machine-readable status in its metadata."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # a plain interpreter: text only
        print(feedback.text)
        return
    if get_ipython() is None:
        print(feedback.text)
        return
    display({"text/html": feedback.html, "text/plain": feedback.text}, raw=True, metadata=feedback.metadata)


# --------------------------------------------------------------------------------------------
# The two calls used in notebooks
# --------------------------------------------------------------------------------------------


def check(exercise_id: str, variable_name: str, *, hint: str | None = None, digits: int | None = None,
          kind: str | None = None) -> None:
    """Show whether the notebook's variable ``variable_name`` answers ``exercise_id``. Never raises."""
    try:
        value = _lookup(variable_name, sys._getframe(1))
        if _recording():
            feedback = _record(exercise_id, value, kind, digits)
        else:
            feedback = evaluate(exercise_id, value, name=variable_name, hint=hint, digits=digits, kind=kind)
        show(feedback)
    except Exception as exc:
        show(_feedback(str(exercise_id), INCORRECT, f"Not yet. I couldn't check this answer ({_safe_type(exc)})."))


def grade(exercise_id: str, variable_name: str, *, digits: int | None = None, kind: str | None = None) -> None:
    """Raise AssertionError unless the answer is right (for autograding and the masters' runs)."""
    value = _lookup(variable_name, sys._getframe(1))
    if _recording():
        _record(exercise_id, value, kind, digits, confirm=True)
        return
    feedback = evaluate(exercise_id, value, name=variable_name, digits=digits, kind=kind)
    if feedback.status != CORRECT:
        raise AssertionError(f"{exercise_id}: {feedback.text}")


def _lookup(name, frame):
    """The variable as the notebook sees it: IPython's user namespace, else the caller's globals."""
    if not isinstance(name, str):
        return _MISSING
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and name in shell.user_ns:
        return shell.user_ns[name]
    return frame.f_globals.get(name, _MISSING) if frame is not None else _MISSING


# --------------------------------------------------------------------------------------------
# Record mode (only while `release` runs a master)
# --------------------------------------------------------------------------------------------

_recorded: dict[str, dict] = {}


def _recording() -> bool:
    return bool(os.environ.get(RECORD_ENV))


def record_entry(exercise_id: str, value, kind: str | None = None, digits: int | None = None) -> dict:
    """The key of a master's answer: its kind, digits, expected type and hash (or an error)."""
    entry = {"exercise": exercise_id}
    if value is _MISSING or value is Ellipsis:
        entry["error"] = "the master leaves this answer unanswered (`...` or undefined)"
        return entry
    kind = kind or infer_kind(value)
    digits = DEFAULT_DIGITS if digits is None else int(digits)
    try:
        form = canonical(value, kind, digits)
    except (Unanswered, AnswerTypeError, ValueError) as exc:
        entry["error"] = f"the master's answer cannot be canonicalised: {exc}"
        return entry
    entry.update(kind=kind, digits=digits, expects=describe_type(value), hash=answer_hash(exercise_id, form))
    return entry


def _record(exercise_id, value, kind, digits, confirm=False) -> Feedback:
    previous = _recorded.get(exercise_id)
    if confirm and previous and "hash" in previous:
        # grade() after check(): judge with check's kind and digits, as a student's run would.
        entry = record_entry(exercise_id, value, previous["kind"], previous["digits"])
        if entry.get("hash") != previous["hash"]:
            entry = {"exercise": exercise_id, "error": "grade() saw a different answer from check()"}
        else:
            return _feedback(exercise_id, CORRECT, "✅ Right.")
    else:
        entry = record_entry(exercise_id, value, kind, digits)
    _recorded[exercise_id] = entry
    with open(os.environ[RECORD_ENV], "a", encoding="utf-8") as out:
        out.write(json.dumps(entry, sort_keys=True) + "\n")
    if "error" in entry:
        return _feedback(exercise_id, INCORRECT, f"Not yet. Answer key not recorded: {entry['error']}.")
    return _feedback(exercise_id, CORRECT, "✅ Right. (answer key recorded)")
