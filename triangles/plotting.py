"""Matplotlib figure builders for the course: pure drawing, no widgets, no pyplot.

Each builder draws onto an Axes it is given and keeps handles to its artists,
so that a notebook can *update* them (``.update(...)``) instead of drawing a new
figure each time.  (The explorer widgets draw in the browser instead: see
``triangles.scene`` and ``triangles.widgets.pictures``, which share the styles below.)

Style rules: the Okabe-Ito colour-blind-safe palette, and
colour never carries meaning alone: every edge sign also has its own line
style and a text label, every series its own line style, marker and label.
Axis labels are lower case.  Figures are made with ``matplotlib.figure.Figure``
(never ``pyplot``), so nothing is registered globally and nothing stacks.
"""

from __future__ import annotations

import io
import textwrap
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from .model import ACTOR_NAMES, ACTORS, DYADS, NEUTRAL_BAND, Analysis, Triangle
from .style import (  # noqa: F401  (re-exported: the styles are part of this module's API)
    OKABE_ITO,
    SeriesStyle,
    SIGN_STYLES,
    DYAD_LABELS,
    DYAD_STYLES,
    ACTOR_STYLES,
    INDICATOR_LABELS,
    LINE_WIDTH,
    FONT_SIZE,
    _role_text,
    signed,
    _configuration_title,
    _CATEGORY_MARKERS,
    _CATEGORY_COLORS,
    decimal_year,
    decimal_years,
    _row_offsets,
    _subject_style,
    gaps_as_breaks,
    _subject_label,
    _wrap_unit)

__all__ = [
    "OKABE_ITO",
    "SIGN_STYLES",
    "DYAD_STYLES",
    "ACTOR_STYLES",
    "DYAD_LABELS",
    "SeriesStyle",
    "new_figure",
    "figure_png",
    "TriangleDiagram",
    "draw_triangle",
    "TimelinePlot",
    "decimal_year",
    "decimal_years",
    "PathPlot",
    "draw_path",
    "draw_indicators",
    "draw_event_strip",
    "INDICATOR_LABELS",
    "draw_outcome_map",
]












# --------------------------------------------------------------------------
# figures


def new_figure(width: float, height: float, dpi: float = 80) -> Figure:
    """A Figure with its own Agg canvas: not known to pyplot, so it never stacks."""
    fig = Figure(figsize=(width, height), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure, dpi: float | None = None) -> bytes:
    """The whole figure as PNG bytes (a full draw).  Light compression: speed first."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, facecolor="white",
                metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


# --------------------------------------------------------------------------
# the triangle diagram

#: Vertex positions in axes coordinates: the US on top, China left, Russia right.
VERTICES: dict[str, tuple[float, float]] = {"US": (0.5, 0.70), "CN": (0.16, 0.2), "RU": (0.84, 0.2)}
#: Where each edge's label sits (offset from the edge's midpoint) and how it is aligned,
#: so that the text never crosses its own line.
_EDGE_LABEL_PLACE = {"US-CN": (-0.035, 0.02, "right", "bottom"),
                     "US-RU": (0.035, 0.02, "left", "bottom"),
                     "CN-RU": (0.0, 0.03, "center", "bottom")}






class TriangleDiagram:
    """US, China and Russia at the vertices; each edge shows its dyad's sign.

    ``edges[dyad]`` is the edge's Line2D (colour AND line style encode the
    sign), ``edge_labels[dyad]`` its text ("+0.45 amity"), ``role_labels[actor]``
    the role by each vertex.  Call ``update(analysis)`` to redraw in place.
    ``compact=True`` (a small diagram beside another plot) uses actor codes and
    two-line edge labels.
    """

    def __init__(self, ax: Axes, *, band: float = NEUTRAL_BAND, legend: bool = True,
                 compact: bool = False) -> None:
        self.ax = ax
        self.band = band
        self.compact = compact
        font = FONT_SIZE - (1 if compact else 0)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal", adjustable="box")
        ax.set_axis_off()
        self.edges: dict[str, Line2D] = {}
        self.edge_labels = {}
        for dyad in DYADS:
            a, b = dyad.split("-")
            (x0, y0), (x1, y1) = VERTICES[a], VERTICES[b]
            (line,) = ax.plot([x0, x1], [y0, y1], lw=2.4 if compact else 3.0,
                              solid_capstyle="butt", dash_capstyle="butt", zorder=1)
            self.edges[dyad] = line
            dx, dy, ha, va = _EDGE_LABEL_PLACE[dyad]
            self.edge_labels[dyad] = ax.text((x0 + x1) / 2 + dx, (y0 + y1) / 2 + dy, "",
                                             ha=ha, va=va, fontsize=font, zorder=3,
                                             linespacing=1.1)
        self.vertex_labels = {}
        self.role_labels = {}
        self.vertex_markers = []
        for actor, (x, y) in VERTICES.items():
            (marker,) = ax.plot([x], [y], marker="o", ms=7 if compact else 9, color="black",
                                zorder=2)
            self.vertex_markers.append(marker)
            name = actor if compact else ACTOR_NAMES[actor]
            if actor == "US":  # name above its role, both above the vertex
                role_y, name_y, va = y + 0.04, y + 0.11, "bottom"
            else:  # name below the vertex, role below the name
                role_y, name_y, va = y - 0.11, y - 0.04, "top"
            self.vertex_labels[actor] = ax.text(x, name_y, name, ha="center", va=va,
                                                fontsize=font + 1, fontweight="bold", zorder=3)
            self.role_labels[actor] = ax.text(x, role_y, "", ha="center", va=va, fontsize=font,
                                              style="italic", zorder=3)
        self.title = ax.set_title("", fontsize=font + 1, loc="center")
        self.legend = None
        if legend:
            handles = [
                Line2D([], [], color=SIGN_STYLES[s].color, linestyle=SIGN_STYLES[s].linestyle,
                       lw=2.5, label=self._legend_label(s))
                for s in (1, 0, -1)
            ]
            self.legend = ax.legend(handles=handles, loc="upper center",
                                    bbox_to_anchor=(0.5, 0.0), ncol=1, frameon=False,
                                    fontsize=font - 1, handlelength=2.6, borderaxespad=0.0)

    @property
    def dynamic_artists(self) -> list:
        """The artists ``update`` changes (for FastRenderer), in drawing order: the
        vertex dots come after the edges so that they stay on top."""
        return [*self.edges.values(), *self.vertex_markers, *self.edge_labels.values(),
                *self.role_labels.values(), self.title]

    def _legend_label(self, sign: int) -> str:
        b = self.band
        return {1: f"amity (score ≥ +{b:.2f})", 0: f"neutral (score between ±{b:.2f})",
                -1: f"enmity (score ≤ \u2212{b:.2f})"}[sign]

    def update(self, analysis: Analysis, title: str | None = None) -> None:
        signs = analysis.signs.as_dict()
        scores = analysis.triangle.as_dict() if analysis.triangle is not None else None
        gap = "\n" if self.compact else " "
        for dyad in DYADS:
            style = SIGN_STYLES[signs[dyad]]
            line = self.edges[dyad]
            line.set_color(style.color)
            line.set_linestyle(style.linestyle)
            value = f"{signed(scores[dyad])}{gap}" if scores is not None else ""
            self.edge_labels[dyad].set_text(f"{value}{style.label}")
            self.edge_labels[dyad].set_color(style.color)
        for actor in ACTORS:
            self.role_labels[actor].set_text(_role_text(analysis.roles[actor]))
        if title is None:
            title = _configuration_title(analysis)
            if self.compact:  # a narrow panel: break before the parenthesis
                title = title.replace(" (", "\n(")
        self.title.set_text(title)




def draw_triangle(ax: Axes, analysis: Analysis, **kwargs) -> TriangleDiagram:
    """Draw one triangle diagram on ``ax`` (convenience for notebooks)."""
    diagram = TriangleDiagram(ax, band=analysis.band, **kwargs)
    diagram.update(analysis)
    return diagram


# --------------------------------------------------------------------------
# the timeline









class TimelinePlot:
    """Events as points: x = date (decimal year), one row per category.

    Filled markers: dated to the day; hollow: only the month or year is known.
    ``collections[category]`` holds each row's points; ``n_points`` counts them.
    A dotted vertical line marks ``selected_year``.
    """

    def __init__(self, ax: Axes, categories: Sequence[str]) -> None:
        self.ax = ax
        self.categories = list(categories)
        self.collections = {}
        self.colors = {}
        for i, category in enumerate(self.categories):
            color = OKABE_ITO[_CATEGORY_COLORS[i % len(_CATEGORY_COLORS)]]
            self.colors[category] = color
            self.collections[category] = ax.scatter(
                np.empty(0), np.empty(0), s=46, marker=_CATEGORY_MARKERS[i % len(_CATEGORY_MARKERS)],
                edgecolors=color, linewidths=1.5, zorder=3)
        ax.set_yticks(range(len(self.categories)), self.categories, fontsize=FONT_SIZE)
        ax.set_ylim(-0.6, len(self.categories) - 0.4)
        ax.invert_yaxis()
        ax.set_xlabel("year", fontsize=FONT_SIZE)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=9, integer=True))
        _plain_years(ax)
        ax.set_ylabel("category", fontsize=FONT_SIZE)
        ax.grid(axis="x", color="#dddddd", lw=0.8)
        ax.tick_params(labelsize=FONT_SIZE - 1)
        self.year_line = ax.axvline(np.nan, color="black", linestyle=":", lw=1.5, zorder=2)
        # The chosen year's label sits inside the plot, clear of the legend above it.
        self.year_text = ax.text(0, 0.995, "", transform=ax.get_xaxis_transform(), ha="left",
                                 va="top", fontsize=FONT_SIZE - 1, zorder=4,
                                 bbox=dict(facecolor="white", edgecolor="none", pad=1.0))
        handles = [
            Line2D([], [], marker="o", ls="", color="black", markerfacecolor="black",
                   label="dated to the day"),
            Line2D([], [], marker="o", ls="", color="black", markerfacecolor="white",
                   label="month or year only"),
        ]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                  frameon=False, fontsize=FONT_SIZE - 1, borderaxespad=0.2)

    @property
    def dynamic_artists(self) -> list:
        """What ``update`` changes, except the x limits (a new layout)."""
        return [*self.collections.values(), self.year_line, self.year_text]

    @property
    def n_points(self) -> int:
        return sum(len(c.get_offsets()) for c in self.collections.values())

    def update(self, events: pd.DataFrame, years: tuple[int, int],
               selected_year: int | None = None) -> None:
        first, last = years
        xs = decimal_years(events) if len(events) else np.empty(0)
        cats = events["category"].astype(object).to_numpy()
        exact = (events["date_precision"].astype(object) == "day").to_numpy()
        offsets = _row_offsets(list(zip(cats, np.floor(xs)))) if len(xs) else np.empty(0)
        for row, category in enumerate(self.categories):
            mask = cats == category
            points = np.column_stack([xs[mask], row + offsets[mask]]) if mask.any() else np.empty((0, 2))
            coll = self.collections[category]
            coll.set_offsets(points)
            coll.set_facecolors([self.colors[category] if e else "white" for e in exact[mask]])
        self.ax.set_xlim(first - 0.3, last + 1.3)
        if selected_year is not None and first <= selected_year <= last:
            self.year_line.set_xdata([selected_year + 0.5, selected_year + 0.5])
            self.year_text.set_position((selected_year + 0.5 + (last - first + 1.6) * 0.006, 0.995))
            self.year_text.set_text(str(selected_year))
        else:
            self.year_line.set_xdata([np.nan, np.nan])
            self.year_text.set_text("")


# --------------------------------------------------------------------------
# the scenario path


class PathPlot:
    """The three dyad scores over the steps of a scenario, on a fixed [-1, 1] axis.

    ``lines[dyad]`` is each dyad's Line2D; the grey band is the neutral zone.
    """

    def __init__(self, ax: Axes, band: float = NEUTRAL_BAND) -> None:
        self.ax = ax
        ax.axhspan(-band, band, color="#e8e8e8", zorder=0, label=f"neutral band (±{band:.2f})")
        ax.axhline(0, color="#999999", lw=0.8, zorder=1)
        self.lines: dict[str, Line2D] = {}
        for dyad in DYADS:
            st = DYAD_STYLES[dyad]
            (self.lines[dyad],) = ax.plot([], [], color=st.color, linestyle=st.linestyle,
                                          marker=st.marker, lw=LINE_WIDTH, ms=5, label=st.label,
                                          zorder=3)
        ax.set_ylim(-1.08, 1.08)
        ax.set_yticks([-1, -0.5, 0, 0.5, 1])
        # Few, whole-number step ticks: every tick label costs time on each redraw.
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.set_xlabel("step", fontsize=FONT_SIZE)
        ax.set_ylabel("score (−1 enmity … +1 amity)", fontsize=FONT_SIZE)
        ax.tick_params(labelsize=FONT_SIZE - 1)
        ax.grid(axis="y", color="#dddddd", lw=0.8)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False,
                  fontsize=FONT_SIZE - 1, borderaxespad=0.2, handlelength=2.6)

    @property
    def dynamic_artists(self) -> list:
        """The lines; a path of another length changes the x limits (a new layout)."""
        return list(self.lines.values())

    def update(self, path: Sequence[Triangle]) -> None:
        steps = np.arange(len(path))
        every = max(1, len(path) // 10)  # about ten markers per line, whatever the length
        for dyad in DYADS:
            values = np.array([t.as_dict()[dyad] for t in path], dtype=float)
            line = self.lines[dyad]
            line.set_data(steps, values)
            line.set_markevery(every)
        self.ax.set_xlim(-0.5, max(len(path) - 1, 1) + 0.5)


def draw_path(ax: Axes, path: Sequence[Triangle], band: float = NEUTRAL_BAND) -> PathPlot:
    plot = PathPlot(ax, band)
    plot.update(path)
    return plot


# --------------------------------------------------------------------------
# indicators




def draw_indicators(fig: Figure, indicators: pd.DataFrame,
                    series: Iterable[tuple[str, str]], *,
                    events: pd.DataFrame | None = None) -> list[Axes]:
    """Redraw ``fig`` with one panel per indicator, one line per subject.

    ``series`` lists (indicator, subject) pairs.  Each indicator has its own
    panel because units differ (dollars, warheads, exercise counts); within a
    panel each subject has its own colour, line style, marker and label.
    Values start from zero, so that a small change does not look large.
    With no series, the ``events`` (if given) are drawn on a year axis instead.
    Returns the panels.
    """
    fig.clear()
    wanted: dict[str, list[str]] = {}
    for indicator, subject in series:
        wanted.setdefault(indicator, [])
        if subject not in wanted[indicator]:
            wanted[indicator].append(subject)
    if not wanted:
        ax = fig.add_axes((0.46, 0.12, 0.5, 0.78))  # the left part holds the headlines
        draw_event_strip(ax, events if events is not None else pd.DataFrame())
        return [ax]
    # Fixed margins instead of a layout engine: a layout pass costs more than the drawing.
    n = len(wanted)
    axes = fig.subplots(n, 1, squeeze=False, gridspec_kw=dict(
        left=0.13, right=0.98, top=1 - 0.09 / n ** 0.5, bottom=0.1 + 0.02 * (n - 1),
        hspace=0.5))[:, 0]
    for ax, (indicator, subjects) in zip(axes, wanted.items()):
        rows = indicators.loc[indicators["indicator"] == indicator]
        units = sorted(set(rows["unit"].astype(object)))
        for subject in subjects:
            data = rows.loc[rows["subject"] == subject].sort_values("year")
            if data.empty:
                continue
            st = _subject_style(subject)
            years, values = gaps_as_breaks(data["year"].to_numpy(), data["value"].to_numpy(dtype=float))
            ax.plot(years, values, color=st.color,
                    linestyle=st.linestyle, marker=st.marker, lw=LINE_WIDTH, ms=5,
                    label=_subject_label(subject))
        ax.set_title(INDICATOR_LABELS.get(indicator, indicator.replace("_", " ")),
                     fontsize=FONT_SIZE + 1, loc="left")
        ax.set_ylabel(_wrap_unit("; ".join(units)), fontsize=FONT_SIZE - 1)
        ax.tick_params(labelsize=FONT_SIZE - 1)
        ax.grid(color="#e4e4e4", lw=0.8)
        values = rows.loc[rows["subject"].isin(subjects), "value"].dropna()
        if ax.lines:
            ax.legend(fontsize=FONT_SIZE - 1, frameon=False, loc="best", handlelength=2.6)
            if (values >= 0).all():
                ax.set_ylim(bottom=0)
        else:
            ax.text(0.5, 0.5, "no values in the data", transform=ax.transAxes, ha="center",
                    va="center", fontsize=FONT_SIZE)
        whole = bool(len(values)) and bool((values % 1 == 0).all()) and values.max() < 50
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=whole))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        _plain_years(ax)
    axes[-1].set_xlabel("year", fontsize=FONT_SIZE)
    return list(axes)




def draw_event_strip(ax: Axes, events: pd.DataFrame, max_chars: int = 44) -> None:
    """A few events on a year axis, one row each: the headline on the left, the dot at
    its date (hollow when only the month or year is known)."""
    # Left-aligned with the headlines, not with the axes (x in axes fractions).
    left_edge = -ax.get_position().x0 / ax.get_position().width + 0.04
    ax.set_title("events cited (no indicator series is tied to this claim)",
                 fontsize=FONT_SIZE + 1, loc="left", x=left_edge)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("year", fontsize=FONT_SIZE)
    ax.tick_params(labelsize=FONT_SIZE - 1)
    ax.tick_params(axis="y", length=0)
    if events.empty:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no events are cited either", transform=ax.transAxes, ha="center",
                va="center", fontsize=FONT_SIZE)
        return
    xs = decimal_years(events)
    lo, hi = float(xs.min()), float(xs.max())
    pad = max(1.5, (hi - lo) * 0.08)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(len(xs) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    _plain_years(ax)
    ax.grid(axis="x", color="#e4e4e4", lw=0.8)
    labels = []
    for row, (x, event) in enumerate(zip(xs, events.itertuples(index=False))):
        exact = event.date_precision == "day"
        ax.plot([x], [row], marker="o", ms=8, color="black",
                markerfacecolor="black" if exact else "white", zorder=3)
        ax.axhline(row, color="#eeeeee", lw=0.8, zorder=1)
        # Wrapped, never cut: a headline cut short can say something else.
        headline = "\n".join(textwrap.wrap(str(event.headline), max_chars)) or str(event.headline)
        labels.append(f"{headline}\n{event.start_date}")
    ax.set_yticks(range(len(xs)), labels, fontsize=FONT_SIZE - 1)


def _plain_years(ax: Axes) -> None:
    """Years as years: never '+2.02e3' offset notation, whatever the zoom."""
    ax.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))
    ax.xaxis.get_major_formatter().set_scientific(False)






# --------------------------------------------------------------------------
# the scenario model's outcome map (static: notebooks and notes, not widgets)

_STATE_COLOURS = ["sky blue", "orange", "bluish green", "reddish purple", "blue", "vermillion"]


def draw_outcome_map(ax: Axes, outcome_map) -> None:
    """End states of ``triangles.dynamics.outcome_map`` as a grid: push size across,
    China–Russia cohesion down.  Every cell carries its state code as text, cells
    that reach the option's target are hatched and starred, so colour never
    carries meaning alone; undetermined cells are white."""
    codes = [list(row) for row in outcome_map.codes]
    kinds = sorted({c for row in codes for c in row if c != "--"})
    colour = {c: OKABE_ITO[_STATE_COLOURS[i % len(_STATE_COLOURS)]] for i, c in enumerate(kinds)}
    colour["--"] = "#ffffff"
    pushes, cohesions = outcome_map.pushes, outcome_map.cohesions
    for i, row in enumerate(codes):
        for j, code in enumerate(row):
            hit = outcome_map.reached[i][j]
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=colour[code], alpha=0.55,
                                   edgecolor="#666666", lw=0.6, hatch="//" if hit else None))
            ax.text(j, i, code.replace(":", "\n") + ("*" if hit else ""), ha="center", va="center",
                    fontsize=FONT_SIZE - 3)
    ax.set_xlim(-0.5, len(pushes) - 0.5)
    ax.set_ylim(len(cohesions) - 0.5, -0.5)
    ax.set_xticks(range(len(pushes)), [f"{p:.2f}" for p in pushes], fontsize=FONT_SIZE - 2)
    ax.set_yticks(range(len(cohesions)), [f"{k:.3f}" for k in cohesions], fontsize=FONT_SIZE - 2)
    ax.set_xlabel("push per step", fontsize=FONT_SIZE)
    ax.set_ylabel("China–Russia cohesion", fontsize=FONT_SIZE)
    ax.set_title(f"{outcome_map.scenario.title}: end states (* = target reached)",
                 fontsize=FONT_SIZE)
    ax.annotate(OUTCOME_CODES_LEGEND, xy=(0, 0), xycoords="axes fraction", xytext=(0, -3.2 * FONT_SIZE),
                textcoords="offset points", ha="left", va="top", fontsize=FONT_SIZE - 3)


# The state codes of dynamics.state_code, spelled out under every outcome map.
OUTCOME_CODES_LEGEND = ("SM stable marriage, RT romantic triangle, MT ménage à trois, UV unit veto, -- a relation "
                        "in the neutral band.\nAfter the colon, the country in the telling role: "
                        "US-out = the US is the outcast, RU-piv = Russia is the pivot (CN = China).")
