"""The explorers' pictures as scenes (``triangles.scene``): pure functions from the model's
and the data's values to drawing elements.  No widgets, no matplotlib.

One builder per picture: ``triangle_scene`` (the triangle explorer), ``timeline_scene``,
``path_scene`` (scenarios) and ``evidence_scene``.  The styles are the kit's (Okabe-Ito colours,
and never colour alone: every edge sign also has its line style and a word, every series its
line style, marker and label).  Axis labels are lower case.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..model import ACTOR_NAMES, ACTORS, DYADS, Analysis, Triangle
from ..style import (DYAD_STYLES, INDICATOR_LABELS, OKABE_ITO, SIGN_STYLES, _configuration_title,
                        _role_text, _row_offsets, _subject_label, _subject_style, decimal_years, gaps_as_breaks,
                        signed)
from ..scene import (Box, Element, Line, Marker, Rect, Scale, Scene, Text, nice_ticks, text_width, tick_label,
                     wrap)

__all__ = ["triangle_elements", "triangle_scene", "timeline_scene", "path_scene", "evidence_scene",
           "CATEGORY_MARKERS", "category_color"]

FONT = 12.0
SMALL = 11.0
GRID = "#dddddd"
AXIS = "#444444"
#: Vertex positions in fractions of the triangle's square (x from the left, y from the top).
VERTICES = {"US": (0.5, 0.18), "CN": (0.14, 0.80), "RU": (0.86, 0.80)}
CATEGORY_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
_CATEGORY_COLORS = ("blue", "vermillion", "bluish green", "reddish purple", "black", "orange",
                    "sky blue", "blue")


def category_color(index: int) -> str:
    return OKABE_ITO[_CATEGORY_COLORS[index % len(_CATEGORY_COLORS)]]


# --------------------------------------------------------------------------------------------
# the triangle


def legend_texts(band: float) -> dict[int, str]:
    return {1: f"amity (score ≥ +{band:.2f})", 0: f"neutral (score between ±{band:.2f})",
            -1: f"enmity (score ≤ \u2212{band:.2f})"}


def _title_lines(lines: Sequence[str], box: Box, size: float) -> list[Element]:
    return [Text(box.x + box.width / 2, box.y + size * (0.7 + 1.25 * i), line, size=size, anchor="middle",
                 role="title", key=str(i)) for i, line in enumerate(lines)]


def triangle_elements(analysis: Analysis, box: Box, *, title: Sequence[str], compact: bool = False,
                      legend: bool = True) -> list[Element]:
    """The triangle diagram inside ``box``: the title lines on top, the legend (if any) at the
    bottom, the three actors at the vertices with their roles, each edge styled by its sign and
    labelled with its score and the sign's word."""
    font = FONT - (1 if compact else 0)
    title_h = (font + 1) * (0.4 + 1.25 * len(title))
    legend_h = 3 * 17 + 4 if legend else 0
    side = min(box.width, box.height - title_h - legend_h)
    square = Box(box.x + (box.width - side) / 2, box.y + title_h, side, side)
    points = {a: square.at(*VERTICES[a]) for a in ACTORS}
    signs = analysis.signs.as_dict()
    scores = analysis.triangle.as_dict() if analysis.triangle is not None else None
    out: list[Element] = _title_lines(title, box, font + 1)
    labels: list[Element] = []
    for dyad in DYADS:
        a, b = dyad.split("-")
        (x0, y0), (x1, y1) = points[a], points[b]
        style = SIGN_STYLES[signs[dyad]]
        out.append(Line(((x0, y0), (x1, y1)), style.color, style.linestyle, 2.4 if compact else 3.0,
                        role="edge", key=dyad))
        value = signed(scores[dyad]) if scores is not None else ""
        words = [value, style.label] if compact else [f"{value} {style.label}".strip()]
        words = [w for w in words if w]
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        if dyad == "CN-RU":
            anchor, x, y = "middle", mx, my - 0.05 * side - (len(words) - 1) * font * 1.15
        else:
            anchor = "end" if dyad == "US-CN" else "start"
            x = mx + (-0.04 if dyad == "US-CN" else 0.04) * side
            y = my - 0.03 * side - (len(words) - 1) * font * 1.15
        for i, word in enumerate(words):
            labels.append(Text(x, y + i * font * 1.15, word, size=font, color=style.color, anchor=anchor,
                               role="edge-label", key=dyad))
    for actor in ACTORS:
        x, y = points[actor]
        out.append(Marker(x, y, "o", "#000000", "#000000", size=8 if compact else 10, role="vertex",
                          key=actor, tip=ACTOR_NAMES[actor]))
        name = actor if compact else ACTOR_NAMES[actor]
        role = _role_text(analysis.roles[actor])
        if actor == "US":  # name above its role, both above the vertex
            name_y, role_y = y - 0.13 * side, y - 0.06 * side
        else:  # the name below the vertex, the role below the name
            name_y, role_y = y + 0.07 * side, y + 0.14 * side
        labels.append(Text(x, name_y, name, size=font + 1, bold=True, anchor="middle", role="actor",
                           key=actor))
        labels.append(Text(x, role_y, role, size=font, italic=True, anchor="middle", role="role",
                           key=actor))
    out.extend(labels)
    if legend:
        texts = legend_texts(analysis.band)
        width = 34 + max(text_width(t, font - 1) for t in texts.values())
        left = box.x + (box.width - width) / 2
        for i, sign in enumerate((1, 0, -1)):
            style = SIGN_STYLES[sign]
            y = box.bottom - legend_h + 10 + 17 * i
            out.append(Line(((left, y), (left + 28, y)), style.color, style.linestyle, 2.5,
                            role="legend", key=style.label))
            out.append(Text(left + 34, y, texts[sign], size=font - 1, role="legend", key=style.label))
    return out


def configuration_title(analysis: Analysis, compact: bool) -> list[str]:
    title = _configuration_title(analysis)
    return title.replace(" (", "\n(").split("\n") if compact else [title]


def triangle_scene(analysis: Analysis, heading: str, summary: str, year: int | None = None) -> Scene:
    """The triangle explorer's picture: 368 x 352 pixels."""
    title = configuration_title(analysis, compact=False)[0]
    if year is not None:
        title = f"{year}: {title}"
    box = Box(4, 4, 360, 344)
    return Scene(368, 352, heading, summary,
                 tuple(triangle_elements(analysis, box, title=[title])))


# --------------------------------------------------------------------------------------------
# axes


def _x_axis(plot: Box, scale: Scale, ticks: Iterable[float], label: str, grid: bool) -> list[Element]:
    out: list[Element] = [Line(((plot.x, plot.bottom), (plot.right, plot.bottom)), AXIS, "-", 1.0,
                               role="axis", key="x")]
    for t in ticks:
        x = scale(t)
        if grid:
            out.append(Line(((x, plot.y), (x, plot.bottom)), GRID, "-", 0.8, role="grid", key="x"))
        out.append(Line(((x, plot.bottom), (x, plot.bottom + 4)), AXIS, "-", 1.0, role="tick", key="x"))
        out.append(Text(x, plot.bottom + 12, tick_label(t), size=SMALL - 1, anchor="middle",
                        role="tick-label", key="x"))
    if label:
        out.append(Text(plot.x + plot.width / 2, plot.bottom + 28, label, size=SMALL, anchor="middle",
                        role="axis-label", key="x"))
    return out


def _y_axis(plot: Box, scale: Scale, ticks: Iterable[float], label: str, label_x: float,
            grid: bool = True) -> list[Element]:
    out: list[Element] = [Line(((plot.x, plot.y), (plot.x, plot.bottom)), AXIS, "-", 1.0,
                               role="axis", key="y")]
    for t in ticks:
        y = scale(t)
        if grid:
            out.append(Line(((plot.x, y), (plot.right, y)), GRID, "-", 0.8, role="grid", key="y"))
        out.append(Line(((plot.x - 4, y), (plot.x, y)), AXIS, "-", 1.0, role="tick", key="y"))
        out.append(Text(plot.x - 6, y, tick_label(t), size=SMALL - 1, anchor="end", role="tick-label",
                        key="y"))
    if label:
        out.append(Text(label_x, plot.y + plot.height / 2, label, size=SMALL, anchor="middle", rotate=90,
                        role="axis-label", key="y"))
    return out


def _legend_row(x: float, y: float, items: Sequence[tuple[str, str, str, str | None, str]],
                size: float = SMALL - 1) -> list[Element]:
    """A legend in one row: (label, colour, line style or "", marker or None, fill) per item."""
    out: list[Element] = []
    for label, color, style, marker, fill in items:
        if style:
            out.append(Line(((x, y), (x + 26, y)), color, style, 2.0, role="legend", key=label))
        if marker:
            out.append(Marker(x + 13, y, marker, color, fill, size=7, role="legend", key=label))
        out.append(Text(x + 31, y, label, size=size, role="legend", key=label))
        x += 31 + text_width(label, size) + 14
    return out


# --------------------------------------------------------------------------------------------
# the timeline


def timeline_scene(events: pd.DataFrame, categories: Sequence[str], years: tuple[int, int],
                   selected_year: int, analysis: Analysis, heading: str, summary: str) -> Scene:
    """Events as points (x: date, one row per category; hollow when only the month or year is
    known), a dotted line at the selected year, and that year's coded triangle on the right.
    An event's key is "e" and its row label in ``events`` (short: the picture travels on every
    change; the explorer's event list, sent once, carries the ids)."""
    width, height = 768, 330
    plot = Box(128, 34, 430, height - 34 - 44)
    first, last = years
    xs = Scale(first - 0.3, last + 1.3, plot.x, plot.right)
    row_h = plot.height / max(1, len(categories))
    rows = {c: plot.y + row_h * (i + 0.5) for i, c in enumerate(categories)}
    out: list[Element] = []
    out += _x_axis(plot, xs, nice_ticks(first - 0.3, last + 1.3, 9, integer=True), "year", grid=True)
    out.append(Line(((plot.x, plot.y), (plot.x, plot.bottom)), AXIS, "-", 1.0, role="axis", key="y"))
    for category, y in rows.items():
        out.append(Text(plot.x - 6, y, category, size=SMALL - 1, anchor="end", role="tick-label", key="y"))
    out.append(Text(14, plot.y + plot.height / 2, "category", size=SMALL, anchor="middle", rotate=90,
                    role="axis-label", key="y"))
    if first <= selected_year <= last:
        x = xs(selected_year + 0.5)
        out.append(Line(((x, plot.y), (x, plot.bottom)), "#000000", ":", 1.5, role="year-line",
                        key=str(selected_year)))
        out.append(Text(x + 3, plot.y + 8, str(selected_year), size=SMALL - 1, role="year-line",
                        key=str(selected_year)))
    if len(events):
        dates = decimal_years(events)
        cats = events["category"].astype(object).to_numpy()
        offsets = _row_offsets(list(zip(cats, np.floor(dates))))
        row_of = {c: i for i, c in enumerate(rows)}
        exact = (events["date_precision"].astype(object) == "day").to_numpy()
        order = sorted(range(len(events)), key=lambda i: (row_of.get(cats[i], 0), not exact[i], i))
        # Drawn row by row, filled before hollow: markers that look alike are sent together.
        drawn = list(zip(events.itertuples(index=False), events.index, dates, offsets))
        for event, label, x, offset in (drawn[i] for i in order):
            index = list(categories).index(event.category) if event.category in rows else 0
            color = category_color(index)
            exact = event.date_precision == "day"
            out.append(Marker(xs(float(x)), rows.get(event.category, plot.y) + offset * row_h,
                              CATEGORY_MARKERS[index % len(CATEGORY_MARKERS)], color,
                              color if exact else "#ffffff", size=8, role="event", key=f"e{label}"))
    out += _legend_row(plot.x, 14, [("dated to the day", "#000000", "", "o", "#000000"),
                                    ("month or year only", "#000000", "", "o", "#ffffff")])
    diagram = Box(plot.right + 16, 4, width - plot.right - 20, height - 8)
    title = [str(selected_year), *configuration_title(analysis, compact=True)]
    out += triangle_elements(analysis, diagram, title=title, compact=True)
    return Scene(width, height, heading, summary, tuple(out))


# --------------------------------------------------------------------------------------------
# the scenario path


def path_scene(path: Sequence[Triangle], band: float, final: Analysis, heading: str, summary: str) -> Scene:
    """The three dyad scores over the steps (the grey band is the neutral zone), and the final
    triangle on the right."""
    width, height = 688, 312
    plot = Box(62, 44, 400, height - 44 - 44)
    steps = max(len(path) - 1, 1)
    xs = Scale(-0.5, steps + 0.5, plot.x, plot.right)
    ys = Scale(-1.08, 1.08, plot.bottom, plot.y)
    out: list[Element] = [Rect(plot.x, ys(band), plot.width, ys(-band) - ys(band), "#e8e8e8",
                               role="band", key=f"{band:.2f}")]
    out += _y_axis(plot, ys, [-1, -0.5, 0, 0.5, 1], "score (−1 enmity … +1 amity)", 14)
    out += _x_axis(plot, xs, nice_ticks(0, steps, 6, integer=True), "step", grid=False)
    out.append(Line(((plot.x, ys(0)), (plot.right, ys(0))), "#999999", "-", 0.8, role="zero", key="0"))
    every = max(1, len(path) // 10)  # about ten markers per line, whatever the length
    for dyad in DYADS:
        st = DYAD_STYLES[dyad]
        values = [t.as_dict()[dyad] for t in path]
        out.append(Line(tuple((xs(i), ys(v)) for i, v in enumerate(values)), st.color, st.linestyle, 2.0,
                        role="path", key=dyad))
        out += [Marker(xs(i), ys(values[i]), st.marker, st.color, st.color, size=6, role="path-marker",
                       key=dyad) for i in range(0, len(values), every)]
    out += _legend_row(plot.x, 12, [(DYAD_STYLES[d].label, DYAD_STYLES[d].color, DYAD_STYLES[d].linestyle,
                                     DYAD_STYLES[d].marker, DYAD_STYLES[d].color) for d in DYADS])
    out.append(Rect(plot.x, 26, 26, 10, "#e8e8e8", role="legend", key="band"))
    out.append(Text(plot.x + 31, 31, f"neutral band (±{band:.2f})", size=SMALL - 1, role="legend",
                    key="band"))
    diagram = Box(plot.right + 16, 4, width - plot.right - 20, height - 8)
    title = [f"after {len(path) - 1} steps", *configuration_title(final, compact=True)]
    out += triangle_elements(final, diagram, title=title, compact=True)
    return Scene(width, height, heading, summary, tuple(out))


# --------------------------------------------------------------------------------------------
# the evidence


def evidence_scene(indicators: pd.DataFrame, series: Sequence[tuple[str, str]], events: pd.DataFrame,
                   heading: str, summary: str) -> Scene:
    """One panel per indicator (units differ), one line per subject with its own colour, line
    style, marker and label, values from zero; with no series, the cited events on a year axis."""
    wanted: dict[str, list[str]] = {}
    for indicator, subject in series:
        subjects = wanted.setdefault(indicator, [])
        if subject not in subjects:
            subjects.append(subject)
    width = 560
    if not wanted:
        return _event_strip_scene(events, width, heading, summary)
    panel_h, gap = 150, 46
    height = 30 + len(wanted) * (panel_h + gap)
    out: list[Element] = []
    for n, (indicator, subjects) in enumerate(wanted.items()):
        plot = Box(84, 30 + n * (panel_h + gap), width - 100, panel_h)
        rows = indicators.loc[indicators["indicator"] == indicator]
        shown = rows.loc[rows["subject"].isin(subjects)]
        out.append(Text(plot.x, plot.y - 14, INDICATOR_LABELS.get(indicator, indicator.replace("_", " ")),
                        size=FONT, bold=True, role="panel-title", key=indicator))
        values = shown["value"].dropna().astype(float)
        years = shown["year"].dropna().astype(float)
        if values.empty:
            out.append(Text(plot.x + plot.width / 2, plot.y + plot.height / 2, "no values in the data",
                            size=FONT, anchor="middle", role="empty", key=indicator))
            continue
        low = 0.0 if (values >= 0).all() else float(values.min())
        high = float(values.max()) or 1.0
        yt = nice_ticks(low, high * 1.05, 5, integer=bool((values % 1 == 0).all() and values.max() < 50))
        ys = Scale(low, max(yt[-1], high) if yt else high, plot.bottom, plot.y)
        x0, x1 = float(years.min()), float(years.max())
        pad = max(0.5, (x1 - x0) * 0.04)
        xs = Scale(x0 - pad, x1 + pad, plot.x, plot.right)
        units = "; ".join(sorted(set(rows["unit"].astype(object))))
        out += _y_axis(plot, ys, yt, units if len(units) <= 30 else units[:29] + "…", 14)
        out += _x_axis(plot, xs, nice_ticks(x0 - pad, x1 + pad, 8, integer=True),
                       "year" if n == len(wanted) - 1 else "", grid=True)
        legend: list[tuple[str, str, str, str | None, str]] = []
        for subject in subjects:
            data = rows.loc[rows["subject"] == subject].sort_values("year")
            data = data.loc[data["value"].notna()]
            if data.empty:
                continue
            st = _subject_style(subject)
            label = _subject_label(subject)
            key = f"{indicator}:{subject}"
            # One line per run of consecutive years: a line never crosses a year with no value.
            years_, values_ = gaps_as_breaks(data["year"].to_numpy(), data["value"].to_numpy(dtype=float))
            run: list[tuple[float, float]] = []
            for y, v in [*zip(years_, values_), (np.nan, np.nan)]:
                if np.isnan(v):
                    if len(run) > 1:
                        out.append(Line(tuple(run), st.color, st.linestyle, 2.0, role="series", key=key))
                    run = []
                else:
                    run.append((xs(float(y)), ys(float(v))))
            out += [Marker(xs(float(y)), ys(float(v)), st.marker, st.color, st.color, size=6,
                           role="series-marker", key=key) for y, v in zip(data["year"], data["value"])]
            legend.append((label, st.color, st.linestyle, st.marker, st.color))
        out += _legend_row(plot.x + 8, plot.y + 10, legend)
    return Scene(width, height, heading, summary, tuple(out))


def _event_strip_scene(events: pd.DataFrame, width: float, heading: str, summary: str,
                       line_chars: int = 44) -> Scene:
    """The cited events, one row each: the headline (wrapped, never cut) and the date on the left,
    the dot at its date (hollow when only the month or year is known)."""
    line_h = 13
    wrapped = [wrap(str(headline), line_chars) for headline in events.get("headline", [])]
    heights = [line_h * (len(lines) + 1) + 12 for lines in wrapped]
    top = 34
    height = top + max(40, sum(heights)) + 40
    plot = Box(300, top, width - 316, max(40, sum(heights)))
    out: list[Element] = [Text(12, 14, "events cited (no indicator series is tied to this claim)",
                               size=FONT, bold=True, role="panel-title", key="events")]
    if events.empty:
        out.append(Text(width / 2, plot.y + 20, "no events are cited either", size=FONT, anchor="middle",
                        role="empty", key="events"))
        return Scene(width, height, heading, summary, tuple(out))
    dates = decimal_years(events)
    lo, hi = float(dates.min()), float(dates.max())
    pad = max(1.5, (hi - lo) * 0.08)
    xs = Scale(lo - pad, hi + pad, plot.x, plot.right)
    out += _x_axis(plot, xs, nice_ticks(lo - pad, hi + pad, 6, integer=True), "year", grid=True)
    y0 = plot.y
    for x, event, lines, row_h in zip(dates, events.itertuples(index=False), wrapped, heights):
        y = y0 + row_h / 2
        out.append(Line(((plot.x, y), (plot.right, y)), "#eeeeee", "-", 0.8, role="grid", key="row"))
        first = y - line_h * len(lines) / 2
        for i, line in enumerate(lines):
            out.append(Text(12, first + i * line_h, line, size=SMALL - 1, role="event-label", key=event.event_id))
        out.append(Text(12, first + len(lines) * line_h, str(event.start_date), size=SMALL - 1, color="#555555",
                        role="event-date", key=event.event_id))
        exact = event.date_precision == "day"
        out.append(Marker(xs(float(x)), y, "o", "#000000", "#000000" if exact else "#ffffff", size=9,
                          role="event", key=event.event_id, tip=f"{event.start_date}: {event.headline}"))
        y0 += row_h
    return Scene(width, height, heading, summary, tuple(out))

