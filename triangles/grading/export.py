"""Getting answers out of the student's kernel as plain data, and back into Python in the grader.

The grader never asks the student's objects anything (no ==, no __repr__ that matters): an export
cell, injected where the master's check cell was, serialises the answer variable to a small tagged
JSON encoding built only from exact built-in types, and the comparison happens later in the
grader's own process (judge.py). Whatever a student patches in their kernel, the most they can do
is make the export fail or print a value; they cannot make a wrong value compare equal.

Encoding (JSON): None/bool/int/str and finite floats as themselves; every container as a
two-element list [tag, body]: ["list", [...]], ["tuple", [...]], ["set", [...]],
["dict", [[k, v], ...]], ["float", "nan"|"inf"|"-inf"], ["date"|"datetime"|"timestamp", iso],
["frame", {columns, column_names, index, index_names, data}], ["series", {name, index, index_names, data}].
A RangeIndex 0..n-1 is sent as index null. numpy scalars/arrays, ranges and pandas Index objects
become plain numbers and lists, exactly as canonical() would read them anyway.
"""

from __future__ import annotations

import datetime
import json

MIME = "application/vnd.triangles.export+json"
MAX_PAYLOAD = 2_000_000  # characters; a bigger answer is not "plain data" for grading purposes

# Runs inside the student's kernel. Self-contained (defined and deleted in the same cell) so a
# student cannot pre-patch a helper; exact type checks so int/str/list subclasses with a lying
# __eq__ are reported as "not plain data" instead of being trusted.
_TEMPLATE = r'''
def _tri_export_NONCE():
    import datetime, json, math, sys
    # only what the notebook already imported: an answer can't be a DataFrame without pandas
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")

    class NotPlain(Exception):
        pass

    def name_of(t):
        return getattr(t, "__module__", "?") + "." + getattr(t, "__qualname__", "?")

    def enc(v, depth=0):
        if depth > 40:
            raise NotPlain("nested too deeply")
        t = type(v)
        if v is None or t is bool or t is int or t is str:
            return v
        if t is float:
            return v if math.isfinite(v) else ["float", repr(v)]
        if v is Ellipsis:  # a blank left inside a list: "unanswered", not "not plain data"
            return ["ellipsis", None]
        if t is list or t is tuple:
            return ["list" if t is list else "tuple", [enc(x, depth + 1) for x in v]]
        if t is range:
            return ["list", list(v)]
        if t is set or t is frozenset:
            items = [enc(x, depth + 1) for x in v]
            return ["set", sorted(items, key=lambda x: json.dumps(x, sort_keys=True))]
        if t is dict:
            return ["dict", [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in v.items()]]
        if t is datetime.datetime or t is datetime.date:
            return [t.__name__, v.isoformat()]
        if np is not None and t.__module__ == "numpy" and isinstance(v, np.generic):
            return enc(v.item(), depth + 1)
        if np is not None and t is np.ndarray:
            return ["list", [enc(x, depth + 1) for x in v.tolist()]]
        if pd is not None:
            if t is pd.DataFrame:
                return ["frame", {
                    "columns": [enc(c, depth + 1) for c in v.columns.tolist()],
                    "column_names": [enc(n, depth + 1) for n in v.columns.names],
                    "index": index(v.index, depth),
                    "index_names": [enc(n, depth + 1) for n in v.index.names],
                    "data": [[enc(x, depth + 1) for x in row]
                             for row in v.astype(object).itertuples(index=False, name=None)]}]
            if t is pd.Series:
                return ["series", {"name": enc(v.name, depth + 1),
                                   "index": index(v.index, depth),
                                   "index_names": [enc(n, depth + 1) for n in v.index.names],
                                   "data": [enc(x, depth + 1) for x in v.astype(object).tolist()]}]
            if t is pd.Timestamp:
                return ["timestamp", v.isoformat()]
            if v is pd.NaT or v is pd.NA:
                return None
            if t.__module__.split(".")[0] == "pandas" and isinstance(v, pd.Index):
                return ["list", [enc(x, depth + 1) for x in v.tolist()]]
        raise NotPlain(name_of(t))

    def index(ix, depth):
        # a default 0..n-1 index carries no information; None keeps it default on the way back
        if type(ix) is pd.RangeIndex and ix.start == 0 and ix.step == 1:
            return None
        return [enc(i, depth + 1) for i in ix.tolist()]

    record = {"nonce": "NONCE", "exercise": EXERCISE, "variable": VARIABLE}
    scope = globals()
    if VARIABLE not in scope:
        record["status"] = "missing"
    else:
        value = scope[VARIABLE]
        record["type"] = name_of(type(value))
        if value is Ellipsis:
            record["status"] = "unanswered"
        else:
            try:
                record["value"] = enc(value)
                record["status"] = "value"
            except (NotPlain, RecursionError, TypeError, ValueError) as exc:
                record["status"] = "not-plain"
                record["why"] = str(exc)[:200]
    text = json.dumps(record, allow_nan=False)
    if len(text) > MAX_PAYLOAD:
        text = json.dumps({"nonce": "NONCE", "exercise": EXERCISE, "variable": VARIABLE,
                           "status": "not-plain", "type": record.get("type"), "why": "too large"})
    from IPython.display import display
    display({"MIME": {"nonce": "NONCE", "payload": text}}, raw=True)


try:
    _tri_export_NONCE()
finally:
    del _tri_export_NONCE
'''


def export_source(nonce: str, exercise: str, variable: str) -> str:
    if not (nonce.isalnum() and variable.isidentifier()):
        raise ValueError("nonce must be alphanumeric and variable an identifier")
    return (_TEMPLATE.strip() + "\n").replace("NONCE", nonce).replace("MIME", MIME) \
        .replace("MAX_PAYLOAD", str(MAX_PAYLOAD)) \
        .replace("EXERCISE", json.dumps(exercise)).replace("VARIABLE", json.dumps(variable))


def read_export(outputs: list, nonce: str, exercise: str) -> tuple[dict | None, str | None, bool]:
    """Read one export cell's outputs: (record or None, problem or None, noise?).

    problem is ("export-missing" | "export-garbled", detail) when the record can't be trusted.
    """
    payloads, noise, errors = [], False, []
    for out in outputs or []:
        data = out.get("data") if isinstance(out, dict) else None
        if isinstance(data, dict) and MIME in data:
            payloads.append(data[MIME])
            if len(data) > 1:
                noise = True
            continue
        noise = True
        if isinstance(out, dict) and out.get("output_type") == "error":
            errors.append(f"{_short(out.get('ename'))}: {_short(out.get('evalue'), 120)}")
    if not payloads:
        detail = "no answer record" + (f" ({errors[0]})" if errors else "")
        return None, ("export-missing", detail), noise
    if len(payloads) > 1:
        return None, ("export-garbled", f"{len(payloads)} answer records in one export cell"), noise
    outer = payloads[0]
    try:
        if not isinstance(outer, dict) or outer.get("nonce") != nonce:
            raise ValueError("wrong nonce")
        if not isinstance(outer.get("payload"), str) or len(outer["payload"]) > MAX_PAYLOAD + 4096:
            raise ValueError("payload missing or too large")
        record = json.loads(outer["payload"])
        if not isinstance(record, dict) or record.get("nonce") != nonce:
            raise ValueError("wrong nonce inside the record")
        if record.get("exercise") != exercise:
            raise ValueError(f"record is for {record.get('exercise')!r}")
        if record.get("status") not in ("value", "missing", "unanswered", "not-plain"):
            raise ValueError("unknown status")
        if record["status"] == "value":
            decode(record.get("value"))  # validate the encoding now, not in the judge
    except RecursionError:
        return None, ("export-garbled", "the record is nested too deeply"), noise
    except (ValueError, KeyError, TypeError) as exc:
        return None, ("export-garbled", str(exc)[:200]), noise
    # Written by the student's kernel, headed for reports and feedback: short plain text only.
    for key in ("type", "why"):
        if key in record:
            record[key] = _short(record[key])
    return record, None, noise


def _short(text, limit: int = 80) -> str:
    text = "".join(c if c.isprintable() else "?" for c in str(text)[:limit + 1])
    return text if len(text) <= limit else text[:limit - 1] + "…"


def decode(node):
    """Tagged JSON -> Python objects (built in the grader's process, so they are honest objects)."""
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, float):
        return node
    if not (isinstance(node, list) and len(node) == 2 and isinstance(node[0], str)):
        raise ValueError("malformed value encoding")
    tag, body = node
    if tag == "ellipsis":
        return Ellipsis
    if tag == "float" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag in ("datetime", "date") and isinstance(body, str):
        cls = datetime.datetime if tag == "datetime" else datetime.date
        return cls.fromisoformat(body)
    if tag == "timestamp" and isinstance(body, str):
        import pandas as pd

        return pd.Timestamp(body)
    if tag in ("list", "tuple", "set") and isinstance(body, list):
        items = [decode(x) for x in body]
        return items if tag == "list" else tuple(items) if tag == "tuple" else set(map(_hashable, items))
    if tag == "dict" and isinstance(body, list):
        return {_hashable(decode(k)): decode(v) for k, v in (_pair(p) for p in body)}
    if tag == "frame" and isinstance(body, dict):
        import pandas as pd  # only needed when a table is exported

        rows = [[decode(x) for x in row] for row in body["data"]]
        frame = pd.DataFrame(rows, columns=_index(pd, body["columns"]), index=_index(pd, body["index"], len(rows)))
        frame = frame.infer_objects()
        frame.columns.names = _names(body["column_names"], frame.columns.nlevels)
        frame.index.names = _names(body["index_names"], frame.index.nlevels)
        return frame
    if tag == "series" and isinstance(body, dict):
        import pandas as pd

        data = [decode(x) for x in body["data"]]
        series = pd.Series(data, index=_index(pd, body["index"], len(data)), dtype=object,
                           name=_hashable(decode(body["name"])))
        series = series.infer_objects()
        series.index.names = _names(body["index_names"], series.index.nlevels)
        return series
    raise ValueError(f"unknown value tag {tag!r}")


def _pair(p):
    if not (isinstance(p, list) and len(p) == 2):
        raise ValueError("malformed dict item")
    return p


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, (set, dict)):
        raise ValueError("unhashable key")
    return v


def _names(encoded, levels: int) -> list:
    names = [_hashable(decode(n)) for n in encoded]
    if len(names) != levels:
        raise ValueError("index names do not match the index")
    return names


def _index(pd, encoded, length: int | None = None):
    if encoded is None:
        return pd.RangeIndex(length or 0)
    labels = [_hashable(decode(x)) for x in encoded]
    if labels and all(isinstance(x, tuple) for x in labels):
        return pd.MultiIndex.from_tuples(labels)
    return pd.Index(labels, dtype=object).infer_objects()
