"""Export the timeline as TimelineJS JSON, so an instructor can put it on a course page.

Run `python -m triangles.timelinejs OUT.json`. The JSON follows Knight Lab's TimelineJS3 format:
partial dates stay partial (a year alone has no month or day).
"""

from __future__ import annotations

import argparse
import html
import json
from pathlib import Path

import pandas as pd

from .data import Dataset, load_all, parse_partial_date
from .model import ACTOR_NAMES


def _date_parts(text: str) -> dict[str, str]:
    first_day, precision = parse_partial_date(text)
    parts = {"year": str(first_day.year)}
    if precision in ("month", "day"):
        parts["month"] = str(first_day.month)
    if precision == "day":
        parts["day"] = str(first_day.day)
    return parts


def timeline_to_timelinejs(data: Dataset) -> dict:
    sources = data.sources.set_index("source_id")
    events = []
    for row in data.timeline.itertuples(index=False):
        links = "; ".join(
            f'<a href="{html.escape(sources.at[s, "url"])}">{html.escape(sources.at[s, "title"])}</a>'
            f' ({html.escape(sources.at[s, "publisher"])})'
            for s in row.source_ids)
        actors = ", ".join(ACTOR_NAMES[a] for a in row.actors)
        event = {
            "unique_id": row.event_id,
            "start_date": _date_parts(row.start_date),
            "text": {
                "headline": html.escape(row.headline),
                "text": f"<p>{html.escape(row.description)}</p><p>Actors: {actors}.</p><p>Sources: {links}</p>",
            },
            "group": row.category,
        }
        if not pd.isna(row.end_date):
            event["end_date"] = _date_parts(row.end_date.strftime("%Y-%m-%d"))
        events.append(event)
    return {
        "title": {"text": {
            "headline": "Great-Power Triangles: the US, China and Russia, 1949-2026",
            "text": "<p>Events from the course's sourced timeline (data/timeline.csv). CC BY 4.0.</p>"}},
        "events": events,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the TimelineJS JSON file")
    args = parser.parse_args(argv)
    document = timeline_to_timelinejs(load_all())
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(document['events'])} events to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
