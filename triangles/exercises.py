"""Instant feedback on exercises: ``check`` for students, ``grade`` for graders.

An answer is never compared with ``==`` (a student's object could lie). Both the student's value and
the master's are reduced to a *canonical form*, plain JSON data, and the answer key stores only a
hash of the master's form. ``python -m triangles.course release`` writes the keys: it runs each
master with ``TRIANGLES_RECORD_KEYS`` set, and in that mode ``check`` and ``grade`` record the
master's answers instead of judging them.

The format of exercises is in docs/exercise-format.md.
"""

from __future__ import annotations

import ast
import datetime as _dt
import decimal
import functools
import hashlib
import html
import inspect
import json
import numbers
import os
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
        return _describe_series(value)
    if isinstance(value, (set, frozenset)):
        return "a set"
    if isinstance(value, Mapping):
        return "a dictionary"
    if _is_method(value):
        return "a method (not its result)"
    if _is_sequence(value):
        return "a list"
    return f"a {type(value).__name__} object"


def _describe_series_kind(value) -> str | None:
    """"row", "column" or "series" for a pandas Series (None for anything else)."""
    pd = _pandas()
    if pd is None or not isinstance(value, pd.Series):
        return None
    try:
        labels_are_text = len(value.index) > 0 and all(isinstance(label, str) for label in value.index)
        if isinstance(value.name, str) and not labels_are_text:
            return "column"
        if labels_are_text and value.name is not None and not isinstance(value.name, str):
            return "row"
    except Exception:
        pass
    return "series"


def _describe_series(series) -> str:
    """A column (named by text, labelled by row) or a row (labelled by column names, named by its row
    label); when the shape cannot tell, say only what is sure."""
    return {"column": "a column (pandas Series)", "row": "a row of a table (pandas Series)"}.get(
        _describe_series_kind(series), "a pandas Series (one row or column of a table)")


def _is_method(value) -> bool:
    """A function or method itself, as ``table.mean`` (without ``()``) gives it."""
    return inspect.ismethod(value) or inspect.isfunction(value) or inspect.isbuiltin(value) \
        or inspect.ismethoddescriptor(value)


def _method_name(value) -> str:
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else "method"


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


# Every dash and minus sign reads as a hyphen ("US–RU" = "US-RU", "−3" = "-3"), an underscore as a
# space ("stable_marriage" = "stable marriage"): slips of typing, never of understanding.
_TYPING = {**dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"),
           ord("_"): " "}


def _text(value: str) -> str:
    """Text as compared: NFKD with combining marks dropped ("ménage à trois" -> "menage a trois"),
    casefolded, dashes as hyphens, underscores as spaces, whitespace collapsed and stripped."""
    # str.__str__ gives the plain characters even of a str subclass that overrides its methods.
    plain = str.__str__(value).translate(_TYPING)
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
    if _is_method(value):
        name = _method_name(value)
        raise AnswerTypeError(f"{'it is' if depth == 0 else 'it holds'} the method `{name}` itself, not its result: "
                              f"did you forget the `()` after `{name}`?")
    raise AnswerTypeError(f"the check can't read {describe_type(value)} as an answer")


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
    # What was judged, when the kernel saw the answer's cell run (see RunLog): fingerprint of its
    # source, its cell id, and whether that run succeeded. triangles.progress compares the
    # fingerprint with the saved cell, so a check older than the answer does not count.
    answer: dict | None = field(default=None, compare=False)

    @property
    def metadata(self) -> dict:
        meta = {"exercise": self.exercise, "status": self.status}
        if self.answer:
            meta["answer"] = dict(self.answer)
        return {"triangles": meta}


def evaluate(exercise_id: str, value, *, name: str = "your answer", hint: str | None = None,
             digits: int | None = None, kind: str | None = None, keys: dict | None = None,
             accept: Mapping | None = None, near: Mapping | None = None) -> Feedback:
    """Judge ``value`` against the key of ``exercise_id``. Never raises (except BaseException).

    ``accept`` and ``near`` ({variant: term}) default to those the key recorded from the master's
    check cell: an answer right once its variants are read as the terms is right (accepted
    wording) or, for ``near``, "the idea is right but the wording is off".
    """
    try:
        return _evaluate(exercise_id, value, name, hint, digits, kind, keys, accept, near)
    except Exception as exc:  # the promise is: feedback, never a traceback
        return _feedback(exercise_id, INCORRECT, f"Not yet. This answer could not be checked ({_safe_type(exc)}).")


def _evaluate(exercise_id, value, name, hint, digits, kind, keys, accept=None, near=None) -> Feedback:
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
                         f"{exercise_id} can't be checked yet: it has no answer key. "
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
        end = "" if exc.message.endswith("?") else "."
        return _feedback(exercise_id, INCORRECT, f"Not yet. Your answer is {got}, but {exc.message}{end}{tip}")
    if answer_hash(exercise_id, form) == key["hash"]:
        return _feedback(exercise_id, CORRECT, "✅ Right.")
    accepted = variant_table(accept if accept is not None else key.get("accept"))
    nearby = variant_table(near if near is not None else key.get("near"))
    read = _read_variants(form, accepted, kind)
    if read != form and answer_hash(exercise_id, read) == key["hash"]:
        return _feedback(exercise_id, CORRECT, "✅ Right. (The kit words it a little differently; your "
                                               "wording is accepted.)")
    near_read = _read_variants(read, nearby, kind)
    if near_read != read and answer_hash(exercise_id, near_read) == key["hash"]:
        words = sorted(_variants_used(read, nearby))
        return _feedback(exercise_id, INCORRECT,
                         f"Not yet, but the idea is right: the wording is off. {_list_names(words, {})} "
                         f"{'is' if len(words) == 1 else 'are'} close to the kit's term but not the same: "
                         f"copy the exact name from the notebook.{tip}")
    advice = _advice(exercise_id, value, read, key, kind, digits, requested)
    advice = " ".join(filter(None, [advice, _near_entries(exercise_id, value, read, near_read, key)]))
    advice = " ".join(filter(None, [advice, partial_sentence(exercise_id, read, key)]))  # partial credit
    return _feedback(exercise_id, INCORRECT, f"Not yet.{' ' + advice if advice else ''}{tip}")


def _near_entries(exercise_id, value, read, near_read, key) -> str:
    """Dictionary answers: the keys whose entry is right once a near synonym is read as its term."""
    entries = key.get("entries")
    if not (isinstance(entries, dict) and isinstance(read, dict) and isinstance(near_read, dict)) or read == near_read:
        return ""
    close = [k for k in read if k in near_read and k in entries
             and entry_hash(exercise_id, k, near_read[k]) == entries[k] != entry_hash(exercise_id, k, read[k])]
    if not close:
        return ""
    return (f"For {_list_names(close, _key_names(value))} the idea is right, but the wording is off: "
            "copy the exact name from the notebook.")


def variant_table(variants) -> dict:
    """{canonical variant text: canonical term text} from a master's ``accept=``/``near=`` mapping
    (or the key's recorded one); anything that is not a mapping of text to text is ignored."""
    if not isinstance(variants, Mapping):
        return {}
    return {_text(k): _text(v) for k, v in variants.items() if isinstance(k, str) and isinstance(v, str)}


def _read_variants(form, table: dict, kind: str | None):
    """The canonical form with every text that is a variant (a value, an item or a dict key) read
    as its term; a set is re-sorted and de-duplicated as canonical() would."""
    if not table:
        return form

    def swap(item):
        if isinstance(item, str):
            return table.get(item, item)
        if isinstance(item, list):
            return [swap(x) for x in item]
        if isinstance(item, dict):
            return {table.get(k, k): swap(v) for k, v in item.items()}
        return item

    read = swap(form)
    if kind == "set" and isinstance(read, list):
        unique = {canonical_json(item): item for item in read}
        read = [unique[k] for k in sorted(unique)]
    return read


def _variants_used(form, table: dict) -> set:
    if isinstance(form, str):
        return {form} if form in table else set()
    if isinstance(form, list):
        return set().union(*(_variants_used(x, table) for x in form)) if form else set()
    if isinstance(form, dict):
        return {k for k in form if k in table} | _variants_used(list(form.values()), table)
    return set()


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
            return _dict_advice(exercise_id, value, form, entries, key, digits, requested)
        if expects == "a dictionary" and not isinstance(form, dict):
            return (f"Your answer is {describe_type(value)}, but this exercise wants a dictionary, "
                    "like {key: value, ...}.")
        if kind in ("set", "sequence") and isinstance(form, list) and isinstance(shape.get("items"), int):
            return _collection_advice(exercise_id, form, shape, kind)
        if kind == "table" and _describe_series_kind(value) == "row":
            return ("Your answer is one row of a table (a pandas Series); this exercise wants a table: "
                    "select rows with a condition or a list, e.g. `table[mask]` or `table.loc[[...]]`.")
        if expects == "nothing (None)" and isinstance(value, str) and _text(value).strip("'\"` ") == "none":
            return 'You wrote "None" in quotes, which makes it text: write None without quotes.'
        if expects == "a number" and _is_real_number(value):
            return _number_advice(exercise_id, value, key, shape, kind, digits, requested)
    except Exception:  # advice is a courtesy: never let it cost the feedback
        return ""
    return ""


def _dict_advice(exercise_id: str, value, form: dict, entries: dict, key: dict | None = None,
                 digits: int | None = None, requested: int | None = None) -> str:
    if not form:
        return ("Your dictionary is empty: nothing was put into it. If you fill it in a loop, check that the "
                "line `answer[key] = ...` is indented inside the loop, and that the loop runs.")
    spelled = (key or {}).get("key_names")
    names = {**(spelled if isinstance(spelled, dict) else {}), **_key_names(value)}  # the student's own first
    common = [k for k in form if k in entries]
    matching = [k for k in common if entry_hash(exercise_id, k, form[k]) == entries[k]]
    differing = [k for k in common if k not in matching]
    missing = [k for k in entries if k not in form]
    extra = [k for k in form if k not in entries]
    sentences = []
    if differing:
        sentences.append(f"{len(matching)} of {len(entries)} entries match; "
                         f"look again at {_list_names(differing, names)}.")
        originals, slips = _entry_values(value), {}
        for k in differing:
            slip = _entry_slip(exercise_id, k, originals.get(k, (k, None))[1], form[k], entries[k], key or {},
                               digits, requested)
            if slip:
                slips.setdefault(slip, []).append(k)
        for slip, keys in slips.items():
            one = len(keys) == 1
            sentences.append(f"For {_list_names(keys, names)}, " + slip.format(
                it="it" if one else "they", its="its" if one else "their", s="s" if one else "",
                es="is" if one else "are", a_percentage="a percentage" if one else "percentages"))
    elif matching:
        sentences.append(f"Your {_count(len(matching), 'entry', 'entries')}"
                         f"{' for the keys asked for' if extra else ''} {'match' if len(matching) > 1 else 'matches'}.")
    if missing:
        sentences.append(f"Your dictionary has no entry for {_list_names(missing, names)}.")
    if extra:
        sentences.append(f"Leave out {_list_names(extra, names)}: the exercise does not ask for "
                         f"{'it' if len(extra) == 1 else 'them'}.")
    return " ".join(sentences)


def _entry_slip(exercise_id, name, value, item, digest, key, digits, requested) -> str:
    """What a scalar check would say of one wrong entry of a dictionary, when undoing the slip makes
    that entry right: "None" in quotes, a percentage, or a number right at fewer decimals. A template
    for ``str.format`` ({it}, {s}, {es}, {a_percentage}), so that entries with the same slip share
    one sentence."""
    def right(candidate) -> bool:
        return entry_hash(exercise_id, name, canonical(candidate, "value", digits)) == digest

    if isinstance(item, str) and item.strip("'\"` ") == "none" and right(None):
        return 'you wrote "None" in quotes, which makes {it} text: write None without quotes.'
    if not _is_real_number(value):
        return ""
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return ""
    shape = key.get("shape") if isinstance(key.get("shape"), dict) else {}
    rounded = shape.get("entries_rounded") if isinstance(shape.get("entries_rounded"), dict) else {}
    measured = any(isinstance(hashes, dict) and name in hashes for hashes in rounded.values())
    if measured and 1 < abs(number) <= 100 and right(number / 100):
        return "{it} look{s} like {a_percentage}: divided by 100, {it} {es} right."
    for places in sorted((int(p) for p in rounded if str(p).isdigit()), reverse=True):
        hashes = rounded[str(places)]
        if isinstance(hashes, dict) and name in hashes and \
                entry_hash(exercise_id, name, canonical(number, "value", places)) == hashes[name]:
            wanted = requested if requested is not None else shape.get("decimals")
            return (f"rounded to {_count(places, 'decimal', 'decimals')} {{it}} agree{{s}}, but the check compares "
                    f"{_count(wanted, 'decimal', 'decimals')}: keep more decimals, and round only at the end "
                    "(or not at all).")
    return ""


def _entry_values(value) -> dict:
    """{canonical key: (the key as written, its value)} of a dictionary answer (or a Series)."""
    pd = _pandas()
    if pd is not None and isinstance(value, pd.Series):
        value = value.to_dict()
    entries = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            try:
                entries[_key(key, DEFAULT_DIGITS, 0)] = (key, item)
            except Exception:
                continue
    return entries


def _key_names(value) -> dict:
    """{canonical key: the key as the student wrote it}, for naming keys in their own spelling."""
    names = {}
    for canon, (key, _) in _entry_values(value).items():
        try:
            names[canon] = str.__str__(key) if isinstance(key, str) else canonical_json(_plain(key, DEFAULT_DIGITS, 1))
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


def item_hash(exercise_id: str, item) -> str:
    """sha256 of one item of a set or sequence answer (the key's ``members``): feedback can say which
    of the student's own items are not in the answer, never which items are."""
    return _sha256(f"{exercise_id}\nitem\n{canonical_json(item)}")


EMPTY_COLLECTION = ("Your answer is empty: it has no items. If it comes from a filter, the filter kept no rows: "
                    "check each condition on its own (`mask.sum()` counts the rows it keeps), and the spelling "
                    "and capitals of the values you compare with, as the table writes them.")


def _collection_advice(exercise_id: str, form: list, shape: dict, kind: str) -> str:
    expected, have = shape["items"], len(form)
    if not form:
        return EMPTY_COLLECTION
    members = shape.get("members")
    if isinstance(members, list):
        return _member_advice(exercise_id, form, shape, kind, set(members))
    items = _count(have, "different item" if kind == "set" else "item",
                   "different items" if kind == "set" else "items")
    if have > expected:
        return f"You have {items}: that is {have - expected} too many."
    if have < expected:
        return f"You have {items}: that is {expected - have} too few."
    if kind == "sequence" and shape.get("unordered") == unordered_hash(exercise_id, form):
        return "You have the right items, but not in the right order."
    return "You have the right number of items, but not all of them are right yet."


def _member_advice(exercise_id: str, form: list, shape: dict, kind: str, members: set) -> str:
    """Name the student's items that are not in the answer; count the missing ones only when every
    item given is right (so "1 too few" is never said of an answer that is also wrong)."""
    wrong, right = [], set()
    for item in form:
        digest = item_hash(exercise_id, item)
        if digest in members:
            right.add(digest)
        elif item not in wrong:
            wrong.append(item)
    missing = len(members) - len(right)
    if wrong:
        named = _list_names([_item_name(item) for item in wrong], {})
        sentence = f"{named} {'is' if len(wrong) == 1 else 'are'} not part of the answer."
        if missing:
            sentence += f" The answer has {_count(len(members), 'item', 'items')}; you have {len(right)} of them."
        return sentence
    if missing:
        return (f"{'Your item is' if len(right) == 1 else f'All {len(right)} of your items are'} right, "
                f"but {_count(missing, 'item is', 'items are')} missing.")
    if kind == "sequence" and len(form) != shape["items"]:
        return "Your items are all right, but some appear more than once."
    if kind == "sequence" and shape.get("unordered") == unordered_hash(exercise_id, form):
        return "You have the right items, but not in the right order."
    return ""


def _item_name(item) -> str:
    return item if isinstance(item, str) else canonical_json(item)


def _is_real_number(value) -> bool:
    np = _numpy()
    if isinstance(value, bool) or (np is not None and isinstance(value, np.bool_)):
        return False
    return isinstance(value, (numbers.Real, decimal.Decimal))


MAX_FACTOR = 100  # a total of up to this many values is recognised as "a sum instead of a mean"


def _number_advice(exercise_id, value, key, shape, kind, digits, requested) -> str:
    """Correctness before format: a slip is named only when undoing it makes the answer right (a
    percentage, an upside-down ratio, a total instead of a mean), and decimals are mentioned only
    when the answer is right at fewer of them. Counts get none of this. A float has no trailing
    zeros, so nothing here ever says how many decimals the student wrote."""
    number = float(value)
    measured = bool(shape.get("unit")) or isinstance(shape.get("decimals"), int)
    if not measured or number != number or number in (float("inf"), float("-inf")):
        return ""

    def right(candidate: float) -> bool:
        return answer_hash(exercise_id, canonical(candidate, kind, digits)) == key.get("hash")

    if shape.get("unit") and 1 < abs(number) <= 100 and right(number / 100):
        return ("That looks like a percentage: this exercise wants a share between 0 and 1. "
                "Divided by 100, your answer is right.")
    if number and right(1 / number):
        return ("Your ratio is upside down: you divided the second quantity by the first. "
                "Swap the top and the bottom of the division.")
    if number:
        for factor in range(2, MAX_FACTOR + 1):
            if right(number / factor):
                return (f"Your answer is exactly {factor} times the right one: it looks like a total "
                        "(a sum) where the exercise asks for an average (a mean). Divide the total by "
                        "how many values there are, or use `.mean()`.")
    rounded = shape.get("rounded") if isinstance(shape.get("rounded"), dict) else {}
    for places in sorted((int(d) for d in rounded), reverse=True):
        if answer_hash(exercise_id, canonical(number, kind, places)) == rounded[str(places)]:
            wanted = requested if requested is not None else shape.get("decimals")
            return (f"Rounded to {_count(places, 'decimal', 'decimals')}, your answer agrees, but the check "
                    f"compares {_count(wanted, 'decimal', 'decimals')}: look at the next decimal, and round "
                    "only at the end.")
    if shape.get("unit") and abs(number) > 1:
        return "This exercise wants a share between 0 and 1, and yours is more than 1."
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
    elif _is_method(value):
        name = _method_name(value)
        advice += f" Did you forget the `()` after `{name}`? A method runs only with brackets: `{name}()`."
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
# Partial credit (helper-gradebook, issue 13). Opt-in per exercise: the master's check cell has
# cell metadata {"triangles": {"partial": "entries"}} and `release` copies it into the key. Then a
# dictionary answer earns an equal share of the points for each expected key whose value is
# right. The kit's grader (triangles/grading/judge.py) calls this same function, so the share a
# student is told in the notebook is the share they are given.
# --------------------------------------------------------------------------------------------

PARTIAL_MODES = ("entries",)


def partial_credit(exercise_id: str, form, key: dict) -> float | None:
    """Share of the points (0..1) a wrong answer earns, or None if the exercise does not opt in.

    "entries": right entries / expected entries of a dictionary answer (extra keys earn nothing
    and cost nothing; a right answer is the whole share and never reaches this function)."""
    if not isinstance(key, dict) or key.get("partial") not in PARTIAL_MODES:
        return None
    entries = key.get("entries")
    if not isinstance(form, dict) or not isinstance(entries, dict) or not entries:
        return None
    right = sum(1 for name, digest in entries.items()
                if name in form and entry_hash(exercise_id, name, form[name]) == digest)
    return right / len(entries)


def partial_sentence(exercise_id: str, form, key: dict) -> str:
    share = partial_credit(exercise_id, form, key)
    if not share:  # no partial credit for this exercise, or none earned: "0 of 6 ... 0%" says nothing new
        return ""
    right, total = round(share * len(key["entries"])), len(key["entries"])
    return (f"Partial credit: {right} of {total} entries are right, so this answer earns "
            f"{round(share * 100):g}% of the points.")


# --------------------------------------------------------------------------------------------
# The two calls used in notebooks
# --------------------------------------------------------------------------------------------


def check(exercise_id: str, variable_name: str, *, hint: str | None = None, digits: int | None = None,
          kind: str | None = None, accept: Mapping | None = None, near: Mapping | None = None) -> None:
    """Show whether the notebook's variable ``variable_name`` answers ``exercise_id``. Never raises.

    If the last run of a cell assigning ``variable_name`` failed, the value is stale (or a blank
    left by the failure): the feedback says so instead of judging it. ``accept``/``near`` map
    variant spellings of the question's terms to the terms (docs/exercise-format.md).
    """
    try:
        value = _lookup(variable_name, sys._getframe(1))
        if _recording():
            feedback = _record(exercise_id, value, kind, digits, accept=accept, near=near)
        else:
            run = last_run(variable_name)
            if run is not None and not run.succeeded:
                feedback = _failed_run_feedback(exercise_id, run)
            elif run is not None and value is Ellipsis and re.search(
                    rf"^#\s*{re.escape(variable_name)}\s*=(?!=)", run.source, re.M):
                feedback = _feedback(exercise_id, UNANSWERED, (
                    f"Not answered yet: `{variable_name}` is still `...`. The template's lines still start "
                    "with `#`, so Python skips them: delete the `# ` at the start of each line you filled "
                    "in, run the cell, then run this one."))
            else:
                feedback = evaluate(exercise_id, value, name=variable_name, hint=hint, digits=digits, kind=kind,
                                    accept=accept, near=near)
            if run is not None:
                feedback = replace(feedback, answer=run.summary())
        show(feedback)
    except Exception as exc:
        show(_feedback(str(exercise_id), INCORRECT, f"Not yet. This answer could not be checked ({_safe_type(exc)})."))


def grade(exercise_id: str, variable_name: str, *, digits: int | None = None, kind: str | None = None,
          accept: Mapping | None = None, near: Mapping | None = None) -> None:
    """Raise AssertionError unless the answer is right (for autograding and the masters' runs)."""
    value = _lookup(variable_name, sys._getframe(1))
    if _recording():
        _record(exercise_id, value, kind, digits, confirm=True)
        return
    run = last_run(variable_name)
    if run is not None and not run.succeeded:
        raise AssertionError(f"{exercise_id}: {_failed_run_feedback(exercise_id, run).text}")
    feedback = evaluate(exercise_id, value, name=variable_name, digits=digits, kind=kind, accept=accept, near=near)
    if feedback.status != CORRECT:
        raise AssertionError(f"{exercise_id}: {feedback.text}")


def _failed_run_feedback(exercise_id: str, run: CellRun) -> Feedback:
    error = run.error[:-3] + "`...`" if run.error.endswith("...") else run.error.rstrip(".")
    text = (f"Not yet. Your answer cell's last run failed with {error}. The value it left behind "
            "is not your answer: fix the cell, run it again, then run this check.")
    tip = error_tip(run.error, run.source)
    if tip:
        text += f" Tip: {tip}"
    return _feedback(exercise_id, INCORRECT, text)


# --------------------------------------------------------------------------------------------
# Tips on a beginner's usual errors: shown under the traceback in the cell that failed (an IPython
# custom exception handler, installed with the run log) and in a check's "last run failed" message.
# --------------------------------------------------------------------------------------------

TIP_BLANK = ("the cell still has a `...` from the template. Replace each `...` (and each `\"...\"`) with "
             "your own code or text, then run the cell again.")
TIP_BRACKETS = ("put each comparison in brackets before you combine them with `&` or `|`, e.g. "
                "`(table[\"a\"] == \"x\") & (table[\"b\"] > 2)`. Without brackets Python does the `&` first.")
TIP_AND_OR = ("pandas combines True/False columns with `&` (and) or `|` (or), each condition in brackets, "
              "e.g. `(a > 1) & (b == 2)`; the words `and`/`or` do not work on columns.")
TIP_ROUND_NONE = ("`round()` cannot round `None`. Keep None as it is with `None if x is None else round(x, 3)`, "
                  "or do not round: a check compares only the decimals it asks for.")
TIP_TABLE_TOLIST = "a table has no `.tolist()`: pick one column first, e.g. `table[\"event_id\"].tolist()`."
TIP_COUNTRY_TEXT = "country codes are text: write them in quotes, e.g. `\"US\"`."
TIP_SIGNS = "turn the row (or dictionary) into signs first: `model.Signs.from_mapping(row)`."

# Exception types the cell handler looks at; any other error is shown exactly as IPython shows it.
TIP_ERRORS = (TypeError, ValueError, KeyError, AttributeError, AssertionError, NameError)


def error_tip(error: str, source: str = "") -> str:
    """One sentence on how to fix a usual beginner's error, or "" when none applies.

    ``error`` is "Type: message" (as a run log records it), ``source`` the cell that failed. A blank
    `...` left in the cell comes first: whatever error it caused, filling it in is the fix."""
    try:
        text = str(error)
        lowered = text.lower()
        if "ellipsis" in lowered or has_template_blank(source):
            return TIP_BLANK
        if "truth value of a" in lowered and "ambiguous" in lowered:
            return TIP_AND_OR
        if re.search(r"cannot perform '(r?and|r?or|r?xor)_?'|unsupported operand type\(s\) for [&|^]", lowered):
            return TIP_BRACKETS
        if "nonetype doesn't define __round__" in lowered:
            return TIP_ROUND_NONE
        if re.search(r"'dataframe' object has no attribute 'tolist'", lowered):
            return TIP_TABLE_TOLIST
        if re.search(r"name '(us|cn|ru)' is not defined", lowered):
            return TIP_COUNTRY_TEXT
        if "expected a signs value; got" in lowered:
            return TIP_SIGNS
    except Exception:
        return ""
    return ""


def has_template_blank(source: str) -> bool:
    """Whether the code (not its comments) still holds a template's blank: a `...` inside an
    expression, or the text "...". A whole `name = ...` line is the answer cell's placeholder,
    replaced further down the cell, and is not counted."""
    tree = _parse_cell(source or "")
    if tree is None:
        return False
    placeholders = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.Expr)) and isinstance(node.value, ast.Constant) \
                and node.value.value is Ellipsis:
            placeholders.add(id(node.value))
    return any(isinstance(node, ast.Constant) and id(node) not in placeholders
               and (node.value is Ellipsis or (isinstance(node.value, str) and node.value.strip() == "..."))
               for node in ast.walk(tree))


def _tip_after_traceback(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: the usual traceback, then a one-line tip when one applies."""
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
    try:
        log = getattr(shell, "_triangles_run_log", None)
        tip = error_tip(_describe_error(value), getattr(log, "current_source", ""))
        if tip:
            show_tip(tip)
    except Exception:  # a tip is a courtesy: never let it hide the error
        pass
    return None


def show_tip(tip: str) -> None:
    text = f"Tip: {tip[0].upper()}{tip[1:]}"
    markup = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))
    try:
        from IPython.display import display
    except ImportError:
        print(text)
        return
    display({"text/plain": text, "text/html": f"<p>💡 {markup}</p>"}, raw=True)


def install_error_tips(shell) -> bool:
    """Show tips under errors in this shell, unless another custom handler is set (then leave it)."""
    try:
        if getattr(shell, "custom_exceptions", None) != ():
            return getattr(shell, "_triangles_error_tips", False)
        shell.set_custom_exc(TIP_ERRORS, _tip_after_traceback)
        shell._triangles_error_tips = True
        return True
    except Exception:
        return False


# --------------------------------------------------------------------------------------------
# Which run of a cell made the answer (IPython's post_run_cell event)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRun:
    """One finished run of a cell that binds or changes a notebook name anywhere in it (see
    ``assigned_names``), or a re-run of such a cell."""

    source: str
    cell_id: str | None
    succeeded: bool
    error: str  # "NameError: name 'x' is not defined", or "" after a successful run

    def summary(self) -> dict:
        summary = {"source_sha": source_fingerprint(self.source), "ran": "ok" if self.succeeded else "failed"}
        if self.cell_id:
            summary["cell_id"] = self.cell_id
        if not self.succeeded:
            summary["error"] = self.error.split(":", 1)[0]
        return summary


class RunLog:
    """The last run of a cell binding each name, kept by IPython's ``post_run_cell`` event.

    A check maps itself to its answer cell through the variable the answer cell binds (anywhere in
    the cell: see ``assigned_names``), so it needs neither the notebook file nor the cell ids, which
    a student's copy may not keep; the cell id is recorded when IPython has it. A later successful
    run of the same cell (same id) also replaces a failed run, even if it no longer names the variable.
    """

    def __init__(self) -> None:
        self.runs: dict[str, CellRun] = {}
        self.current_source = ""  # the cell running now (pre_run_cell), for the error tips

    def pre_run_cell(self, info) -> None:
        source = getattr(info, "raw_cell", None)
        self.current_source = source if isinstance(source, str) else ""

    def post_run_cell(self, result) -> None:
        try:
            info = getattr(result, "info", None)
            source = getattr(info, "raw_cell", None)
            if not isinstance(source, str):
                return
            names = assigned_names(source)
            error = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
            cell_id = getattr(info, "cell_id", None)
            cell_id = cell_id if isinstance(cell_id, str) and cell_id else None
            if cell_id is not None:  # the same cell again: what it made before is what it makes now
                names |= {name for name, run in self.runs.items() if run.cell_id == cell_id}
            if not names:
                return
            run = CellRun(source, cell_id, error is None, "" if error is None else _describe_error(error))
            for name in names:
                self.runs[name] = run
        except Exception:  # bookkeeping must never disturb the student's cell
            pass


def _describe_error(error: BaseException) -> str:
    try:
        message = str(error).strip().splitlines()
        text = f"{type(error).__name__}: {message[0]}" if message and message[0] else type(error).__name__
    except Exception:
        text = _safe_type(error)
    return text if len(text) <= 160 else text[:159] + "…"


# Methods that change a list, dict or set in place: `answer.append(x)` on a line of its own makes
# the cell one that (re)makes `answer`, like `answer[key] = x` does.
_MUTATORS = frozenset({"append", "extend", "insert", "update", "add", "setdefault", "pop", "popitem", "remove",
                       "discard", "clear", "sort", "reverse"})


def assigned_names(source: str) -> set[str]:
    """Names a cell binds or changes anywhere in it, at any depth of ``for``/``if``/``with``/``try``:
    ``x = ...``, ``x += ...``, ``x: int = ...``, ``a, (b, *c) = ...``, ``for x in ...``, ``with ... as x``,
    ``(x := ...)``, ``x[key] = ...``, ``x.attr = ...``, ``del x``/``del x[key]``, ``import x``, ``def x``,
    ``except ... as x`` and ``x.append(...)`` (a method that changes ``x`` in place). Names bound only
    inside a function body or a comprehension are that scope's own, not the notebook's.

    A cell with IPython syntax (``%magic``, ``!cmd``) is read after IPython's own transformation; a
    cell that still does not parse is read line by line, so a cell with a syntax error still names
    the variables it assigns."""
    tree = _parse_cell(source)
    if tree is None:
        return _assigned_names_by_line(source)
    names: set[str] = set()
    for node in _cell_scope_nodes(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                names.update(_target_names(target))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    names.update(_target_names(item.optional_vars))
        elif isinstance(node, ast.NamedExpr):
            names.update(_target_names(node.target))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
                names.update(_target_names(func.value))
    return names


def _parse_cell(source: str):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        pass
    try:
        return ast.parse(_ipython_transformer().transform_cell(source))
    except Exception:
        return None


@functools.cache
def _ipython_transformer():
    """IPython's own cell transformer (for %magics and !commands), built once per kernel."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _cell_scope_nodes(tree):
    """Every node of the cell's own scope: function and class bodies and comprehensions (their own
    scopes) are not entered, though a walrus in a comprehension binds in the cell, as Python says."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            stack.extend(child for child in ast.walk(node) if isinstance(child, ast.NamedExpr))
            continue
        stack.extend(ast.iter_child_nodes(node))


def _target_names(target) -> set[str]:
    """The notebook names an assignment target binds or changes: ``x``, each name of ``a, (b, *c)``,
    and the base name of ``x[key]``, ``x.attr`` or ``x[key].attr``."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_target_names(element) for element in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        return _target_names(target.value)
    return set()


_ASSIGNED_LINE = re.compile(r"^\s*(?:for\s+)?([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*"
                            r"(?:\[[^\]]*\]\s*)?(?::[^=]*)?(?:(?:[-+*/%@&|^]|//|\*\*|<<|>>)?=(?!=)|\s+in\s)")


def _assigned_names_by_line(source: str) -> set[str]:
    """The fallback for a cell that does not parse: assignments and ``for`` targets, line by line."""
    names = set()
    for line in source.splitlines():
        match = _ASSIGNED_LINE.match(line)
        if match:
            names.update(part.strip() for part in match.group(1).split(","))
    return names


def source_fingerprint(source: str) -> str:
    """sha256 of a cell's source, ignoring trailing spaces and blank lines at either end: what
    JupyterLab sends to the kernel and what it saves are then the same."""
    lines = [line.rstrip() for line in str(source).replace("\r\n", "\n").split("\n")]
    return _sha256("\n".join(lines).strip("\n"))[:16]


def run_log(shell=None) -> RunLog | None:
    """The shell's RunLog, registered on first use (kept on the shell, so a re-import of this module
    does not register a second one). None without IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
            shell = get_ipython()
        except ImportError:
            return None
    if shell is None:
        return None
    log = getattr(shell, "_triangles_run_log", None)
    if isinstance(log, RunLog) or (log is not None and hasattr(log, "runs")):
        return log
    events = getattr(shell, "events", None)
    if events is None:
        return None
    try:
        log = RunLog()
        events.register("pre_run_cell", log.pre_run_cell)
        events.register("post_run_cell", log.post_run_cell)
        shell._triangles_run_log = log
        install_error_tips(shell)
    except Exception:
        return None
    return log


def last_run(name) -> CellRun | None:
    log = run_log()
    return log.runs.get(name) if log is not None and isinstance(name, str) else None


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
KEY_FIELDS = ("kind", "digits", "expects", "hash", "shape", "entries", "key_names", "accept", "near", "partial")


def record_entry(exercise_id: str, value, kind: str | None = None, digits: int | None = None,
                 accept: Mapping | None = None, near: Mapping | None = None) -> dict:
    """The key of a master's answer (or an error). Never an expected value in clear:

    kind, digits, expects   how to compare, and the expected type in a student's words
    hash                    answer_hash of the canonical form: all that decides right or wrong
    shape (optional)        coarse hints for feedback: ``unit`` (a fractional number in [0, 1]),
                            ``decimals`` (digits the check cell asks for), ``rounded`` ({places:
                            answer_hash at fewer places} for a float with ``decimals``), ``items``
                            (how many items a set or sequence has), ``members`` (item_hash of each
                            distinct item), ``unordered`` (unordered_hash of a sequence) and
                            ``entries_rounded`` ({places: {key: entry_hash at fewer places}} for the
                            fractional entries of a dictionary with ``decimals``)
    entries (optional)      dictionary answers: {canonical key: entry_hash of that key's value}
    key_names (optional)    dictionary answers: {canonical key: the key as the master writes it}, where
                            the two differ, so feedback names a missing key as the question does
                            (the keys are the question's items; ``entries`` names them already)
    accept, near (optional) the check cell's variant spellings, {variant: term} as canonical text;
                            they name terms of the question (the list the student copies from),
                            so a master declares them for every term, never only for the answer
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
        spelled = {key: name for key, name in _key_names(value).items() if name != key}
        if spelled:
            entry["key_names"] = dict(sorted(spelled.items()))
    for field_name, variants in (("accept", accept), ("near", near)):
        table = variant_table(variants)
        if table:
            entry[field_name] = dict(sorted(table.items()))
    return entry


def _shape(exercise_id, value, form, kind, expects, requested) -> dict:
    shape = {}
    if expects == "a number":
        fractional = _decimals(value) is not None  # a float or Decimal: a measured quantity, not a count
        if fractional and isinstance(form, (int, float)) and not isinstance(form, bool) and 0 <= form <= 1:
            shape["unit"] = True
        if requested is not None:
            shape["decimals"] = int(requested)
            if fractional:  # "right at fewer decimals": lets feedback put correctness before format
                shape["rounded"] = {str(places): answer_hash(exercise_id, canonical(value, kind, places))
                                    for places in range(max(1, int(requested) - 2), int(requested))}
                if not shape["rounded"]:
                    del shape["rounded"]
    if expects == "a dictionary" and requested is not None and isinstance(form, dict):
        measured = {key: item for key, (_, item) in _entry_values(value).items()
                    if key in form and _decimals(item) is not None}
        rounded = {str(places): {key: entry_hash(exercise_id, key, canonical(item, "value", places))
                                 for key, item in sorted(measured.items())}
                   for places in range(max(1, int(requested) - 2), int(requested))}
        if measured and rounded:
            shape["decimals"] = int(requested)
            shape["entries_rounded"] = rounded
    if kind in ("set", "sequence") and isinstance(form, list):
        shape["items"] = len(form)
        shape["members"] = sorted({item_hash(exercise_id, item) for item in form})
        if kind == "sequence":
            shape["unordered"] = unordered_hash(exercise_id, form)
    return shape


def _record(exercise_id, value, kind, digits, confirm=False, accept=None, near=None) -> Feedback:
    previous = _recorded.get(exercise_id)
    if confirm and previous and "hash" in previous:
        # grade() after check(): judge with check's kind and digits, as a student's run would.
        entry = record_entry(exercise_id, value, previous["kind"], previous["digits"])
        if entry.get("hash") != previous["hash"]:
            entry = {"exercise": exercise_id, "error": "grade() saw a different answer from check()"}
        else:
            return _feedback(exercise_id, CORRECT, "✅ Right.")
    else:
        entry = record_entry(exercise_id, value, kind, digits, accept=accept, near=near)
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


run_log()  # imported by a notebook's set-up cell: from then on, every cell's run is seen
