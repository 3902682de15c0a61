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
             ints), text (accents dropped, whitespace collapsed, stripped, casefolded), bools,
             None/NaN (-> None), dates (-> ISO text), and lists, tuples, sets, dicts and pandas objects
             of those. A pandas Series stands for a dictionary (its ``to_dict()``) when given as a
             ``value`` itself. Dict keys become text, so the key 1972 and the key "1972" are the same;
             likewise an *item* of a list or set written as whole-number text ("1972") is the number.
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
        return [_item(item, digits, 1) for item in _items(value)]
    if kind == "set":
        if pd is not None and isinstance(value, pd.DataFrame):
            items = _records(value, digits)
        elif isinstance(value, (set, frozenset)) or _is_sequence(value):
            items = [_item(item, digits, 1) for item in _items(value)]
        else:
            raise AnswerTypeError("this exercise wants a collection, like {a, b, c} or [a, b, c]")
        unique = {canonical_json(item): item for item in items}
        return [unique[key] for key in sorted(unique)]
    if kind == "choice" and isinstance(value, str):
        return _text(value).strip("()[]{}.:;'\"` ")
    if kind == "value" and pd is not None and isinstance(value, pd.Series):
        return _plain(_series_mapping(value), digits, 0)  # a Series where a dict is expected
    return _plain(value, digits, 0)


def canonical_json(form) -> str:
    """The one JSON spelling of a canonical form (sorted keys, no spaces), used for hashing."""
    return json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def answer_hash(exercise_id: str, form) -> str:
    """sha256 of the exercise id and the canonical JSON: the same answer to two exercises differs."""
    return _sha256(f"{exercise_id}\n{canonical_json(form)}")


def entry_hash(exercise_id: str, key: str, form) -> str:
    """sha256 of one entry of a dictionary answer: exercise id, canonical key, canonical value.

    Keys store one per expected key (``entries``), so feedback can say which of the student's
    keys hold a different value without the key file holding any value in clear. A canonical key
    is text without line breaks, so the three parts cannot run into each other.
    """
    return _sha256(f"{exercise_id}\n{key}\n{canonical_json(form)}")


def unordered_hash(exercise_id: str, items: list) -> str:
    """sha256 of a sequence's items in canonical order (repeats kept): "right items, wrong order"."""
    return _sha256(f"{exercise_id}\nunordered\n{canonical_json(sorted(items, key=canonical_json))}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    """Text as compared: NFKD with combining marks dropped ("ménage à trois" -> "menage a trois"),
    casefolded, whitespace collapsed and stripped."""
    # str.__str__ gives the plain characters even of a str subclass that overrides its methods.
    plain = str.__str__(value)
    # NFKD again after casefold: folding can give back a precomposed letter (and then its marks).
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", plain).casefold())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


# Whole-number text as an item of a collection ("1972", "-3"; no leading zeros or sign tricks,
# at most 15 digits) is read as the number, as it already is as a dict key.
_WHOLE_NUMBER = re.compile(r"0|-?[1-9][0-9]{0,14}")


def _item(value, digits: int, depth: int):
    """Canonical form of one item of a list, tuple, set or array."""
    form = _plain(value, digits, depth)
    if isinstance(form, str) and _WHOLE_NUMBER.fullmatch(form):
        return int(form)
    return form


def _series_mapping(series) -> dict:
    """A pandas Series read as the dictionary its ``to_dict()`` gives (labels -> values)."""
    if not series.index.is_unique:
        raise AnswerTypeError("its labels repeat, so it cannot stand for a dictionary")
    if len(series) > MAX_ITEMS:
        raise AnswerTypeError(f"this collection is too long to check (over {MAX_ITEMS} items)")
    return series.to_dict()


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
        items = [_item(item, digits, depth + 1) for item in _items(value)]
        unique = {canonical_json(item): item for item in items}
        return [unique[key] for key in sorted(unique)]
    if isinstance(value, Mapping):
        return _mapping(value, digits, depth)
    if _is_sequence(value):
        return [_item(item, digits, depth + 1) for item in _items(value)]
    if np is not None and isinstance(value, np.generic):
        return _plain(value.item(), digits, depth + 1)
    raise AnswerTypeError(f"I can't read {describe_type(value)} as an answer")


def _key(key, digits: int, depth: int) -> str:
    form = _plain(key, digits, depth + 1)
    return form if isinstance(form, str) else canonical_json(form)


def _mapping(value, digits: int, depth: int) -> dict:
    form = {}
    for key, item in value.items():
        name = _key(key, digits, depth)
        if name in form:  # e.g. 1972 and "1972", or "US" and "us": which one would count?
            raise AnswerTypeError(f"two of its keys stand for the same key, `{name}`")
        form[name] = _plain(item, digits, depth + 1)
        if len(form) > MAX_ITEMS:
            raise AnswerTypeError(f"this dictionary is too long to check (over {MAX_ITEMS} keys)")
    return form


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
    requested = digits  # decimals the check cell asks for (None: only the default rounding)
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
    advice = _advice(exercise_id, value, form, key, kind, digits, requested)
    return _feedback(exercise_id, INCORRECT, f"Not yet.{' ' + advice if advice else ''}{tip}")


def _scalar_type(description: str) -> bool:
    return description in ("a number", "text", "True or False")


# --------------------------------------------------------------------------------------------
# Advice on a wrong answer. Built only from the student's own answer and the key, which holds
# hashes and a coarse shape, never an expected value: it can name the student's own keys and
# count items, but it cannot quote the answer. Scoring never depends on it.
# --------------------------------------------------------------------------------------------

MAX_NAMED = 5  # keys named in one sentence; the rest are counted


def _advice(exercise_id, value, form, key, kind, digits, requested) -> str:
    """One or two kind sentences on what may be wrong, or "" when nothing useful can be said."""
    try:
        shape = key.get("shape") if isinstance(key.get("shape"), dict) else {}
        expects = key.get("expects")
        entries = key.get("entries")
        if isinstance(entries, dict) and entries and isinstance(form, dict):
            return _dict_advice(exercise_id, value, form, entries)
        if expects == "a dictionary" and not isinstance(form, dict):
            return (f"Your answer is {describe_type(value)}, but this exercise wants a dictionary, "
                    "like {key: value, ...}.")
        if kind in ("set", "sequence") and isinstance(form, list) and isinstance(shape.get("items"), int):
            return _collection_advice(exercise_id, form, shape, kind)
        if expects == "nothing (None)" and isinstance(value, str) and _text(value).strip("'\"` ") == "none":
            return 'You wrote "None" in quotes, which makes it text: write None without quotes.'
        if expects == "a number" and _is_real_number(value):
            return _number_advice(exercise_id, value, key, shape, kind, digits, requested)
    except Exception:  # advice is a courtesy: never let it cost the feedback
        return ""
    return ""


def _dict_advice(exercise_id: str, value, form: dict, entries: dict) -> str:
    names = _key_names(value)
    common = [k for k in form if k in entries]
    matching = [k for k in common if entry_hash(exercise_id, k, form[k]) == entries[k]]
    differing = [k for k in common if k not in matching]
    missing = [k for k in entries if k not in form]
    extra = [k for k in form if k not in entries]
    sentences = []
    if differing:
        sentences.append(f"{len(matching)} of {len(entries)} entries match; "
                         f"look again at {_list_names(differing, names)}.")
    elif matching:
        sentences.append(f"Your {_count(len(matching), 'entry', 'entries')}"
                         f"{' for the keys asked for' if extra else ''} {'match' if len(matching) > 1 else 'matches'}.")
    if missing:
        sentences.append(f"Your dictionary has no entry for {_list_names(missing, names)}.")
    if extra:
        sentences.append(f"Leave out {_list_names(extra, names)}: the exercise does not ask for "
                         f"{'it' if len(extra) == 1 else 'them'}.")
    return " ".join(sentences)


def _key_names(value) -> dict:
    """{canonical key: the key as the student wrote it}, for naming keys in their own spelling."""
    pd = _pandas()
    if pd is not None and isinstance(value, pd.Series):
        value = value.to_dict()
    names = {}
    if isinstance(value, Mapping):
        for key in value:
            try:
                names[_key(key, DEFAULT_DIGITS, 0)] = str.__str__(key) if isinstance(key, str) else \
                    canonical_json(_plain(key, DEFAULT_DIGITS, 1))
            except Exception:
                continue
    return names


def _list_names(keys: list, names: dict) -> str:
    shown = [f"`{_short(names.get(k, k))}`" for k in keys[:MAX_NAMED]]
    if len(keys) > MAX_NAMED:
        shown.append(f"{len(keys) - MAX_NAMED} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _short(name: str) -> str:
    name = " ".join(str(name).replace("`", "'").split())
    return name if len(name) <= 40 else name[:39] + "…"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _collection_advice(exercise_id: str, form: list, shape: dict, kind: str) -> str:
    expected, have = shape["items"], len(form)
    items = _count(have, "different item" if kind == "set" else "item",
                   "different items" if kind == "set" else "items")
    if have > expected:
        return f"You have {items}: that is {have - expected} too many."
    if have < expected:
        return f"You have {items}: that is {expected - have} too few."
    if kind == "sequence" and shape.get("unordered") == unordered_hash(exercise_id, form):
        return "You have the right items, but not in the right order."
    return "You have the right number of items, but not all of them are right yet."


def _is_real_number(value) -> bool:
    np = _numpy()
    if isinstance(value, bool) or (np is not None and isinstance(value, np.bool_)):
        return False
    return isinstance(value, (numbers.Real, decimal.Decimal))


def _number_advice(exercise_id, value, key, shape, kind, digits, requested) -> str:
    number = float(value)
    if shape.get("unit") and 1 < number <= 100:
        advice = "Give a share between 0 and 1, not a percentage (divide a percentage by 100)."
        if answer_hash(exercise_id, canonical(number / 100, kind, digits)) == key.get("hash"):
            advice += " Divided by 100, your answer is right."
        return advice
    wanted = requested if requested is not None else shape.get("decimals")
    have = _decimals(value)
    if isinstance(wanted, int) and have is not None and have < wanted:
        return f"Give {_count(wanted, 'decimal', 'decimals')}: your answer has {have}."
    return ""


def _decimals(value) -> int | None:
    """Decimals written in a float or Decimal (0.3 -> 1, 12.0 -> 1); None for whole-number types."""
    np = _numpy()
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
    elif isinstance(value, float) or (np is not None and isinstance(value, np.floating)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            return None
        exponent = decimal.Decimal(repr(number)).as_tuple().exponent
    else:
        return None
    return max(0, -exponent) if isinstance(exponent, int) else None


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


# The fields of an exercise's key that `release` copies into answer_keys.json (keys format 2).
KEY_FIELDS = ("kind", "digits", "expects", "hash", "shape", "entries")


def record_entry(exercise_id: str, value, kind: str | None = None, digits: int | None = None) -> dict:
    """The key of a master's answer (or an error). Never an expected value in clear:

    kind, digits, expects   how to compare, and the expected type in a student's words
    hash                    answer_hash of the canonical form: all that decides right or wrong
    shape (optional)        coarse hints for feedback: ``unit`` (a fractional number in [0, 1]),
                            ``decimals`` (digits the check cell asks for), ``items`` (how many items
                            a set or sequence has) and ``unordered`` (unordered_hash of a sequence)
    entries (optional)      dictionary answers: {canonical key: entry_hash of that key's value}
    """
    entry = {"exercise": exercise_id}
    if value is _MISSING or value is Ellipsis:
        entry["error"] = "the master leaves this answer unanswered (`...` or undefined)"
        return entry
    kind = kind or infer_kind(value)
    requested = digits
    digits = DEFAULT_DIGITS if digits is None else int(digits)
    try:
        form = canonical(value, kind, digits)
    except (Unanswered, AnswerTypeError, ValueError) as exc:
        entry["error"] = f"the master's answer cannot be canonicalised: {exc}"
        return entry
    expects = describe_type(value)
    entry.update(kind=kind, digits=digits, expects=expects, hash=answer_hash(exercise_id, form))
    shape = _shape(exercise_id, value, form, kind, expects, requested)
    if shape:
        entry["shape"] = shape
    if kind == "value" and isinstance(form, dict) and form:
        entry["entries"] = {key: entry_hash(exercise_id, key, item) for key, item in form.items()}
    return entry


def _shape(exercise_id, value, form, kind, expects, requested) -> dict:
    shape = {}
    if expects == "a number":
        fractional = _decimals(value) is not None  # a float or Decimal: a measured quantity, not a count
        if fractional and isinstance(form, (int, float)) and not isinstance(form, bool) and 0 <= form <= 1:
            shape["unit"] = True
        if requested is not None:
            shape["decimals"] = int(requested)
    if kind in ("set", "sequence") and isinstance(form, list):
        shape["items"] = len(form)
        if kind == "sequence":
            shape["unordered"] = unordered_hash(exercise_id, form)
    return shape


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
    line = dict(entry)
    if "hash" in entry:
        # The record file (a temporary file of `release`) also carries the canonical form, for the
        # tests that check feedback never shows it; `release` copies only KEY_FIELDS into the keys.
        line["form"] = canonical(value, entry["kind"], entry["digits"])
    with open(os.environ[RECORD_ENV], "a", encoding="utf-8") as out:
        out.write(json.dumps(line, sort_keys=True) + "\n")
    if "error" in entry:
        return _feedback(exercise_id, INCORRECT, f"Not yet. Answer key not recorded: {entry['error']}.")
    return _feedback(exercise_id, CORRECT, "✅ Right. (answer key recorded)")
