"""Load the kit's tables as typed pandas DataFrames, validated against data/datapackage.json.

Validation is strict: bad data raises a DataValidationError that names the file, the row
(with its line in the CSV) and the column, and says what is wrong. Nothing is dropped or
coerced silently. The schema lives in datapackage.json (Frictionless Table Schema, with a few
`triangles:` extensions); the rules that span columns or tables are in `_check_*` below.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .article import load_article
from .model import DYADS, Triangle
from .paths import DATA_DIR

TABLES = ("sources", "timeline", "indicators", "claims", "relations")
FIRST_YEAR, LAST_YEAR = 1949, 2026
KEPT_NOTE = "Kept:"  # a weak source's note that starts so says why no primary or major source replaces it
EFFECT_COLUMNS = {"US-CN": "effect_us_cn", "US-RU": "effect_us_ru", "CN-RU": "effect_cn_ru"}


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1-based data row; the CSV line is row + 1
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row} (line {self.row + 1})"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class DataValidationError(ValueError):
    """One or more problems in the data; each names its file, row and column."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n  ".join(str(p) for p in problems[:25])
        more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
        super().__init__(f"{len(problems)} problem(s) in the data:\n  {shown}{more}")


@dataclass(frozen=True)
class Dataset:
    sources: pd.DataFrame
    timeline: pd.DataFrame
    indicators: pd.DataFrame
    claims: pd.DataFrame
    relations: pd.DataFrame

    def source_for(self, source_id: str) -> pd.Series:
        return self.sources.loc[self.sources["source_id"] == source_id].iloc[0]


# ---------------------------------------------------------------- reading


def _read_rows(path: Path, fields: list[dict], problems: list[Problem]) -> list[dict[str, str]]:
    name = path.name
    if not path.exists():
        problems.append(Problem(name, None, None, f"file not found at {path}"))
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        try:
            lines = list(csv.reader(handle, strict=True))
        except (csv.Error, UnicodeDecodeError) as err:
            problems.append(Problem(name, None, None, f"not a readable UTF-8 CSV file: {err}"))
            return []
    if not lines:
        problems.append(Problem(name, None, None, "the file is empty (no header)"))
        return []
    header, expected = lines[0], [f["name"] for f in fields]
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        detail = []
        if missing:
            detail.append(f"missing {missing}")
        if extra:
            detail.append(f"unexpected {extra}")
        if not detail:
            detail.append(f"columns out of order: expected {expected}")
        problems.append(Problem(name, None, None, "header does not match datapackage.json: " + "; ".join(detail)))
        return []
    rows = []
    for number, values in enumerate(lines[1:], start=1):
        if len(values) != len(header):
            problems.append(Problem(name, number, None,
                                    f"has {len(values)} fields, the header has {len(header)} (a stray or missing comma?)"))
            continue
        rows.append(dict(zip(header, values)))
    return rows


# ---------------------------------------------------------------- cell types


def parse_partial_date(text: str) -> tuple[dt.date, str]:
    """'2019', '2019-06' or '2019-06-05' -> (first day of that period, precision)."""
    parts = text.split("-")
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        raise ValueError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1
    try:
        first_day = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date that exists") from None
    return first_day, ("year", "month", "day")[len(parts) - 1]


def _convert(value: str, field: dict):
    """Turn one CSV cell into its typed value, or raise ValueError saying why not."""
    kind = field["type"]
    if kind == "string":
        return value
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            raise ValueError(f"{value!r} is not a whole number")
        return int(value)
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    if kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"{value!r} is not a date in YYYY-MM-DD form")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date that exists") from None
    if kind == "list":
        items = value.split(field.get("delimiter", ";"))
        if any(not item.strip() or item != item.strip() for item in items):
            raise ValueError(f"{value!r} has an empty item or stray spaces; separate items with '{field.get('delimiter', ';')}' only")
        if len(set(items)) != len(items):
            raise ValueError(f"{value!r} repeats an item")
        return tuple(items)
    raise ValueError(f"the schema uses an unsupported type {kind!r}")


def _check_constraints(value, raw: str, field: dict) -> str | None:
    cons = field.get("constraints", {})
    items = value if isinstance(value, tuple) else (value,)
    if "enum" in cons and value not in cons["enum"]:
        return f"{raw!r} is not one of {cons['enum']}"
    allowed_items = field.get("triangles:itemEnum")
    if allowed_items:
        bad = [i for i in items if i not in allowed_items]
        if bad:
            return f"{bad} not among {allowed_items}"
    if "pattern" in cons and not re.fullmatch(cons["pattern"], raw):
        return f"{raw!r} does not match the pattern {cons['pattern']}"
    if "minimum" in cons and value < cons["minimum"]:
        return f"{raw} is below the minimum {cons['minimum']}"
    if "maximum" in cons and value > cons["maximum"]:
        return f"{raw} is above the maximum {cons['maximum']}"
    if "maxLength" in cons and len(raw) > cons["maxLength"]:
        return f"is {len(raw)} characters long, the limit is {cons['maxLength']}"
    forbidden = field.get("triangles:mustNotContain")
    if forbidden:
        found = [text for text in forbidden["texts"] if text.lower() in raw.lower()]
        if found:
            return f"{raw!r} holds {found[0]!r}: {forbidden['why']}"
    if field.get("triangles:partialDate"):
        try:
            parse_partial_date(raw)
        except ValueError as err:
            return str(err)
    return None


def _typed_table(name: str, rows: list[dict[str, str]], fields: list[dict], problems: list[Problem]) -> list[dict]:
    typed_rows = []
    for number, row in enumerate(rows, start=1):
        typed = {"_row": number}
        for field in fields:
            column, raw = field["name"], row[field["name"]]
            if raw != raw.strip():
                problems.append(Problem(name, number, column, f"{raw!r} has leading or trailing spaces"))
                raw = raw.strip()
            if raw == "":
                if field.get("constraints", {}).get("required"):
                    problems.append(Problem(name, number, column, "is required but empty"))
                typed[column] = None
                continue
            try:
                value = _convert(raw, field)
            except ValueError as err:
                problems.append(Problem(name, number, column, str(err)))
                typed[column] = None
                continue
            message = _check_constraints(value, raw, field)
            if message:
                problems.append(Problem(name, number, column, message))
            typed[column] = value
        typed_rows.append(typed)
    return typed_rows


def _check_keys(name: str, rows: list[dict], schema: dict, problems: list[Problem]) -> None:
    for field in schema["fields"]:
        if field.get("constraints", {}).get("unique"):
            _check_unique(name, rows, [field["name"]], problems)
    _check_unique(name, rows, schema["primaryKey"], problems)


def _check_unique(name: str, rows: list[dict], columns: list[str], problems: list[Problem]) -> None:
    seen: dict[tuple, int] = {}
    for row in rows:
        key = tuple(row[c] for c in columns)
        if None in key:
            continue
        if key in seen:
            shown = ", ".join(f"{c}={row[c]!r}" for c in columns)
            problems.append(Problem(name, row["_row"], columns[0],
                                    f"duplicate key ({shown}); first seen in row {seen[key]}"))
        else:
            seen[key] = row["_row"]


def _check_foreign_keys(name: str, rows: list[dict], schema: dict, tables: dict[str, list[dict]],
                        problems: list[Problem]) -> None:
    for fk in schema.get("foreignKeys", []):
        column, target = fk["fields"], fk["reference"]
        known = {r[target["fields"]] for r in tables.get(target["resource"], [])}
        for row in rows:
            value = row[column]
            values = value if isinstance(value, tuple) else (() if value is None else (value,))
            for item in values:
                if item not in known:
                    problems.append(Problem(name, row["_row"], column,
                                            f"{item!r} is not a {target['fields']} in {target['resource']}.csv"))


# ---------------------------------------------------------------- cross-column rules


def _check_timeline(rows: list[dict], problems: list[Problem]) -> None:
    name = "timeline.csv"
    for row in rows:
        number = row["_row"]
        start = row["start_date"]
        if start:
            try:
                first_day, precision = parse_partial_date(start)
            except ValueError:
                first_day, precision = None, None
            if precision and row["date_precision"] and precision != row["date_precision"]:
                problems.append(Problem(name, number, "date_precision",
                                        f"says {row['date_precision']!r} but start_date {start!r} has {precision} precision"))
            event_id = row["event_id"] or ""
            if first_day and event_id[:4].isdigit() and int(event_id[:4]) != first_day.year:
                problems.append(Problem(name, number, "event_id",
                                        f"{event_id!r} starts with a year other than the start date's ({first_day.year})"))
            if first_day and not FIRST_YEAR <= first_day.year <= LAST_YEAR:
                problems.append(Problem(name, number, "start_date", f"{start!r} lies outside {FIRST_YEAR}-{LAST_YEAR}"))
            if row["end_date"] is not None and first_day is not None:
                if precision != "day":
                    problems.append(Problem(name, number, "end_date", "an end date needs a start date precise to the day"))
                elif row["end_date"] <= first_day:
                    problems.append(Problem(name, number, "end_date",
                                            f"{row['end_date']} is not after the start date {start}"))
        effects = {dyad: row[column] for dyad, column in EFFECT_COLUMNS.items()}
        if not any(effects.values()):
            problems.append(Problem(name, number, "effect_us_cn",
                                    "no dyad effect coded: set at least one of effect_us_cn, effect_us_ru, effect_cn_ru"))
        actors = set(row["actors"] or ())
        for dyad, effect in effects.items():
            if effect and actors and not actors & set(dyad.split("-")):
                problems.append(Problem(name, number, EFFECT_COLUMNS[dyad],
                                        f"codes an effect on {dyad} but neither of its actors is among the actors {sorted(actors)}"))


def _check_relations(rows: list[dict], problems: list[Problem]) -> None:
    name = "relations.csv"
    by_key = {(r["dyad"], r["year"]): r for r in rows if r["dyad"] and r["year"] is not None}
    for dyad in DYADS:
        missing = [y for y in range(FIRST_YEAR, LAST_YEAR + 1) if (dyad, y) not in by_key]
        if missing:
            shown = ", ".join(map(str, missing[:8])) + (" ..." if len(missing) > 8 else "")
            problems.append(Problem(name, None, "year", f"{dyad} has no row for {len(missing)} year(s): {shown}"))
    for row in rows:
        previous = by_key.get((row["dyad"], (row["year"] or 0) - 1))
        changed = previous is None or (row["score"] is not None and previous["score"] != row["score"])
        if changed:
            if not row["rationale"]:
                problems.append(Problem(name, row["_row"], "rationale",
                                        f"the score of {row['dyad']} changes in {row['year']} but no rationale is given"))
            if not row["event_ids"]:
                problems.append(Problem(name, row["_row"], "event_ids",
                                        f"the score of {row['dyad']} changes in {row['year']} but cites no event"))
        elif row["rationale"] or row["event_ids"]:
            problems.append(Problem(name, row["_row"], "rationale",
                                    "gives a rationale although the score does not change from the previous year"))


def _check_claims(rows: list[dict], indicator_rows: list[dict], problems: list[Problem]) -> None:
    name = "claims.csv"
    paragraphs = load_article().paragraphs
    series = {f"{r['indicator']}:{r['subject']}" for r in indicator_rows}
    for row in rows:
        number, pid = row["_row"], row["paragraph_id"]
        if pid and pid not in paragraphs:
            problems.append(Problem(name, number, "paragraph_id", f"{pid!r} is not a paragraph of the article ({', '.join(paragraphs)})"))
        elif pid and row["quote"] and _normalise_quotes(row["quote"]) not in _normalise_quotes(paragraphs[pid]):
            problems.append(Problem(name, number, "quote", f"is not word for word in paragraph {pid}"))
        for ref in row["indicators"] or ():
            if ref not in series:
                problems.append(Problem(name, number, "indicators", f"{ref!r} is not an indicator:subject in indicators.csv"))
        if row["claim_type"] == "prediction" and not row["outcome"]:
            problems.append(Problem(name, number, "outcome", "a prediction needs an outcome (how it turned out after 2019)"))
        if row["outcome"] and not row["outcome_event_ids"]:
            problems.append(Problem(name, number, "outcome_event_ids", "an outcome needs at least one event as evidence"))


def _check_source_kinds(resources: dict, tables: dict[str, list[dict]], problems: list[Problem]) -> None:
    """A dated fact may not rest only on reposts and minor outlets.

    A column marked `triangles:needsSourceKind` must cite at least one source of those kinds, unless
    one of its sources says in its note why it has to stay (a note that starts with KEPT_NOTE).
    """
    sources = {row["source_id"]: row for row in tables["sources"] if row["source_id"]}
    for name in TABLES:
        for field in resources[name]["schema"]["fields"]:
            needed = field.get("triangles:needsSourceKind")
            if not needed:
                continue
            for row in tables[name]:
                value = row[field["name"]]
                cited = [sources[i] for i in (value if isinstance(value, tuple) else (value,)) if i in sources]
                if not cited or any(s["kind"] in needed for s in cited):
                    continue
                if any((s["note"] or "").startswith(KEPT_NOTE) for s in cited):
                    continue
                shown = ", ".join(f"{s['source_id']} ({s['kind']})" for s in cited)
                problems.append(Problem(resources[name]["path"], row["_row"], field["name"],
                                        f"cites only {shown}; cite at least one source of kind {', '.join(needed)}, "
                                        f"or say in that source's note why it must stay (a note starting {KEPT_NOTE!r})"))


def _check_article_refs(rows: list[dict], problems: list[Problem]) -> None:
    paragraphs = load_article().paragraphs
    for row in rows:
        pid = row["article_paragraph"]
        if pid and pid not in paragraphs:
            problems.append(Problem("timeline.csv", row["_row"], "article_paragraph",
                                    f"{pid!r} is not a paragraph of the article ({', '.join(paragraphs)})"))


def _normalise_quotes(text: str) -> str:
    return text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")


# ---------------------------------------------------------------- frames


def _frame(rows: list[dict], fields: list[dict]) -> pd.DataFrame:
    columns = [f["name"] for f in fields]
    frame = pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)
    for field in fields:
        column = field["name"]
        if field["type"] == "integer":
            frame[column] = frame[column].astype("int64")
        elif field["type"] == "number":
            frame[column] = frame[column].astype("float64")
        elif field["type"] == "date":
            frame[column] = pd.to_datetime(frame[column])
        elif field["type"] == "list":
            frame[column] = frame[column].map(lambda v: v if isinstance(v, tuple) else ())
        else:
            frame[column] = frame[column].astype("string")
    return frame


def _finish_timeline(frame: pd.DataFrame) -> pd.DataFrame:
    starts = frame["start_date"].map(lambda s: parse_partial_date(s)[0])
    frame.insert(3, "start", pd.to_datetime(starts))
    frame.insert(4, "start_year", frame["start"].dt.year.astype("int64"))
    frame["dyads"] = frame.apply(
        lambda r: tuple(d for d, c in EFFECT_COLUMNS.items() if not pd.isna(r[c])), axis=1)
    return frame.sort_values(["start", "event_id"], kind="stable").reset_index(drop=True)


def load_schema(data_dir: Path = DATA_DIR) -> dict:
    with (Path(data_dir) / "datapackage.json").open(encoding="utf-8") as handle:
        package = json.load(handle)
    return {resource["name"]: resource for resource in package["resources"]}


def validate(data_dir: Path = DATA_DIR) -> dict[str, list[dict]]:
    """Read and check every table; return the typed rows, or raise DataValidationError."""
    data_dir = Path(data_dir)
    resources = load_schema(data_dir)
    problems: list[Problem] = []
    tables: dict[str, list[dict]] = {}
    for name in TABLES:
        resource = resources[name]
        fields = resource["schema"]["fields"]
        raw_rows = _read_rows(data_dir / resource["path"], fields, problems)
        tables[name] = _typed_table(resource["path"], raw_rows, fields, problems)
        _check_keys(resource["path"], tables[name], resource["schema"], problems)
    for name in TABLES:
        _check_foreign_keys(resources[name]["path"], tables[name], resources[name]["schema"], tables, problems)
    _check_timeline(tables["timeline"], problems)
    _check_article_refs(tables["timeline"], problems)
    _check_relations(tables["relations"], problems)
    _check_claims(tables["claims"], tables["indicators"], problems)
    _check_source_kinds(resources, tables, problems)
    if problems:
        raise DataValidationError(problems)
    return tables


@lru_cache(maxsize=4)
def _load_all_cached(data_dir: str) -> Dataset:
    tables = validate(Path(data_dir))
    resources = load_schema(Path(data_dir))
    frames = {name: _frame(tables[name], resources[name]["schema"]["fields"]) for name in TABLES}
    frames["timeline"] = _finish_timeline(frames["timeline"])
    frames["relations"] = frames["relations"].sort_values(["year", "dyad"]).reset_index(drop=True)
    return Dataset(**frames)


def load_all(data_dir: Path = DATA_DIR) -> Dataset:
    """Every table, typed and validated. Cached: repeated calls in a notebook cost nothing.

    The frames are shared by every caller, so treat them as read-only (copy before changing).
    """
    return _load_all_cached(str(Path(data_dir).resolve()))


def relations_wide(relations: pd.DataFrame) -> pd.DataFrame:
    """Years as rows, the three dyads as columns."""
    return relations.pivot(index="year", columns="dyad", values="score")[list(DYADS)]


def triangle_for_year(relations: pd.DataFrame, year: int) -> Triangle:
    rows = relations.loc[relations["year"] == year]
    if rows.empty:
        years = relations["year"]
        raise ValueError(f"no coded relations for {year}; the coding covers {years.min()}-{years.max()}")
    return Triangle.from_mapping(dict(zip(rows["dyad"], rows["score"])))
