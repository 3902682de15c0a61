"""Matplotlib figure builders for the course: pure drawing, no widgets, no pyplot.

Each builder draws onto an Axes it is given and keeps handles to its artists,
so that a widget can *update* them (``.update(...)``) instead of drawing a new
figure each time: one figure per widget, redrawn in place, never stacked.

Style rules (docs: STYLE.md): the Okabe-Ito colour-blind-safe palette, and
colour never carries meaning alone: every edge sign also has its own line
style and a text label, every series its own line style, marker and label.
Axis labels are lower case.  Figures are made with ``matplotlib.figure.Figure``
(never ``pyplot``), so nothing is registered globally and nothing stacks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .model import ACTOR_NAMES, ACTORS, DYADS, NEUTRAL_BAND, Analysis, Configuration, Role, Triangle

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
    "PathPlot",
    "draw_path",
    "draw_indicators",
    "INDICATOR_LABELS",
]

#: Okabe & Ito (2008), "Color Universal Design".  Yellow is left out of the
#: styles below: it is too pale on white.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}


@dataclass(frozen=True)
class SeriesStyle:
    """How one relation sign or one data series looks: never colour alone."""

    label: str
    color: str
    linestyle: str
    marker: str = "o"


#: Edge styles by sign: amity solid, enmity dashed, neutral dotted.
SIGN_STYLES: dict[int, SeriesStyle] = {
    1: SeriesStyle("amity", OKABE_ITO["blue"], "-"),
    0: SeriesStyle("neutral", OKABE_ITO["black"], ":"),
    -1: SeriesStyle("enmity", OKABE_ITO["vermillion"], "--"),
}

DYAD_LABELS: dict[str, str] = {"US-CN": "US–China", "US-RU": "US–Russia", "CN-RU": "China–Russia"}

#: One style per dyad for line charts over time (different from the sign
#: colours, so that a path plot next to a triangle diagram does not mislead).
DYAD_STYLES: dict[str, SeriesStyle] = {
    "US-CN": SeriesStyle(DYAD_LABELS["US-CN"], OKABE_ITO["reddish purple"], "-", "o"),
    "US-RU": SeriesStyle(DYAD_LABELS["US-RU"], OKABE_ITO["bluish green"], "--", "s"),
    "CN-RU": SeriesStyle(DYAD_LABELS["CN-RU"], OKABE_ITO["orange"], "-.", "^"),
}

ACTOR_STYLES: dict[str, SeriesStyle] = {
    "US": SeriesStyle(ACTOR_NAMES["US"], OKABE_ITO["blue"], "-", "o"),
    "CN": SeriesStyle(ACTOR_NAMES["CN"], OKABE_ITO["vermillion"], "--", "s"),
    "RU": SeriesStyle(ACTOR_NAMES["RU"], OKABE_ITO["bluish green"], "-.", "^"),
}

INDICATOR_LABELS: dict[str, str] = {
    "trade_goods_total": "trade in goods",
    "nuclear_warheads_inventory": "nuclear warheads",
    "military_expenditure": "military expenditure",
    "joint_exercises": "joint military exercises",
}

LINE_WIDTH = 2.0
FONT_SIZE = 10


# --------------------------------------------------------------------------
# figures


def new_figure(width: float, height: float, dpi: float = 80) -> Figure:
    """A Figure with its own Agg canvas: not known to pyplot, so it never stacks."""
    fig = Figure(figsize=(width, height), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes.  Fast settings: no tight bbox, light compression."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, facecolor="white",
                metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _freeze_layout(fig: Figure) -> None:
    """Lay the figure out once with the constrained engine, then keep that layout.

    Recomputing the layout on every redraw costs more than the redraw itself.
    """
    fig.set_layout_engine("constrained")
    fig.canvas.draw()
    fig.set_layout_engine("none")


# --------------------------------------------------------------------------
# the triangle diagram

#: Vertex positions in axes coordinates: the US on top, China left, Russia right.
VERTICES: dict[str, tuple[float, float]] = {"US": (0.5, 0.86), "CN": (0.12, 0.2), "RU": (0.88, 0.2)}


def _role_text(role: Role) -> str:
    return "no role" if role is Role.NONE else role.value


class TriangleDiagram:
    """US, China and Russia at the vertices; each edge shows its dyad's sign.

    ``edges[dyad]`` is the edge's Line2D (colour AND line style encode the
    sign), ``edge_labels[dyad]`` its text ("+0.45 amity"), ``role_labels[actor]``
    the role under each vertex.  Call ``update(analysis)`` to redraw in place.
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
            (line,) = ax.plot([x0, x1], [y0, y1], lw=3.0 if not compact else 2.4,
                              solid_capstyle="butt", dash_capstyle="butt", zorder=1)
            self.edges[dyad] = line
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            # Push the label off the edge, away from the triangle's centre.
            cx, cy = 0.5, 0.42
            dx, dy = mx - cx, my - cy
            norm = (dx * dx + dy * dy) ** 0.5 or 1.0
            offset = 0.09 if not compact else 0.1
            self.edge_labels[dyad] = ax.text(
                mx + dx / norm * offset, my + dy / norm * offset, "", ha="center", va="center",
                fontsize=font, zorder=3)
        self.vertex_labels = {}
        self.role_labels = {}
        for actor, (x, y) in VERTICES.items():
            ax.plot([x], [y], marker="o", ms=9 if not compact else 7, color="black", zorder=2)
            name = actor if compact else ACTOR_NAMES[actor]
            above = actor == "US"
            self.vertex_labels[actor] = ax.text(
                x, y + (0.055 if above else -0.06), name, ha="center",
                va="bottom" if above else "top", fontsize=font + 1, fontweight="bold", zorder=3)
            self.role_labels[actor] = ax.text(
                x, y + (0.055 if above else -0.06) + (0.075 if above else -0.075), "",
                ha="center", va="bottom" if above else "top", fontsize=font, style="italic",
                zorder=3)
        self.title = ax.set_title("", fontsize=font + 1, loc="center")
        self.legend = None
        if legend:
            handles = [
                Line2D([], [], color=SIGN_STYLES[s].color, linestyle=SIGN_STYLES[s].linestyle,
                       lw=2.5, label=self._legend_label(s))
                for s in (1, 0, -1)
            ]
            self.legend = ax.legend(handles=handles, loc="upper center",
                                    bbox_to_anchor=(0.5, 0.0), ncol=1 if compact else 3,
                                    frameon=False, fontsize=font - 1, handlelength=2.6,
                                    columnspacing=1.2)

    def _legend_label(self, sign: int) -> str:
        b = self.band
        return {1: f"amity (≥ +{b:.2f})", 0: f"neutral (|score| < {b:.2f})",
                -1: f"enmity (≤ −{b:.2f})"}[sign]

    def update(self, analysis: Analysis, title: str | None = None) -> None:
        signs = analysis.signs.as_dict()
        scores = analysis.triangle.as_dict() if analysis.triangle is not None else None
        for dyad in DYADS:
            style = SIGN_STYLES[signs[dyad]]
            line = self.edges[dyad]
            line.set_color(style.color)
            line.set_linestyle(style.linestyle)
            value = f"{scores[dyad]:+.2f} " if scores is not None else ""
            self.edge_labels[dyad].set_text(f"{value}{style.label}")
            self.edge_labels[dyad].set_color(style.color if signs[dyad] else "black")
        for actor in ACTORS:
            self.role_labels[actor].set_text(_role_text(analysis.roles[actor]))
        if title is None:
            title = _configuration_title(analysis)
        self.title.set_text(title)


def _configuration_title(analysis: Analysis) -> str:
    c = analysis.configuration
    if c is Configuration.UNDETERMINED:
        return "configuration undetermined (a neutral dyad)"
    balance = "balanced" if analysis.balanced else "unbalanced"
    return f"{c.value} ({balance})"


def draw_triangle(ax: Axes, analysis: Analysis, **kwargs) -> TriangleDiagram:
    """Draw one triangle diagram on ``ax`` (convenience for notebooks)."""
    diagram = TriangleDiagram(ax, band=analysis.band, **kwargs)
    diagram.update(analysis)
    return diagram


# --------------------------------------------------------------------------
# the timeline

_CATEGORY_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
_CATEGORY_COLORS = ("blue", "vermillion", "bluish green", "reddish purple", "black", "orange",
                    "sky blue", "blue")


def decimal_year(start: pd.Timestamp, precision: str) -> float:
    """Position of an event on a year axis.

    A partial date is placed in the middle of the period it could fall in
    (mid-year for a bare year, mid-month for a month), which is the honest spot.
    """
    year = start.year
    days = 366 if pd.Timestamp(year=year, month=12, day=31).dayofyear == 366 else 365
    if precision == "year":
        return year + 0.5
    if precision == "month":
        return year + (start.dayofyear - 1 + start.days_in_month / 2) / days
    return year + (start.dayofyear - 0.5) / days


def _row_offsets(keys: Sequence[object]) -> np.ndarray:
    """Small vertical offsets that fan out events sharing a row and a year."""
    pattern = (0.0, 0.18, -0.18, 0.32, -0.32)
    seen: dict[object, int] = {}
    out = np.empty(len(keys))
    for i, key in enumerate(keys):
        n = seen.get(key, 0)
        seen[key] = n + 1
        out[i] = pattern[n % len(pattern)]
    return out


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
        ax.set_ylabel("category", fontsize=FONT_SIZE)
        ax.grid(axis="x", color="#dddddd", lw=0.8)
        ax.tick_params(labelsize=FONT_SIZE - 1)
        self.year_line = ax.axvline(np.nan, color="black", linestyle=":", lw=1.5, zorder=2)
        self.year_text = ax.text(0, 1.01, "", transform=ax.get_xaxis_transform(), ha="center",
                                 va="bottom", fontsize=FONT_SIZE - 1)
        handles = [
            Line2D([], [], marker="o", ls="", color="black", markerfacecolor="black",
                   label="dated to the day"),
            Line2D([], [], marker="o", ls="", color="black", markerfacecolor="white",
                   label="month or year only"),
        ]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                  frameon=False, fontsize=FONT_SIZE - 1, borderaxespad=0.2)

    @property
    def n_points(self) -> int:
        return sum(len(c.get_offsets()) for c in self.collections.values())

    def update(self, events: pd.DataFrame, years: tuple[int, int],
               selected_year: int | None = None) -> None:
        first, last = years
        xs = np.array([decimal_year(s, p) for s, p in zip(events["start"], events["date_precision"])],
                      dtype=float)
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
            self.year_text.set_position((selected_year + 0.5, 1.01))
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
        ax.set_xlabel("step", fontsize=FONT_SIZE)
        ax.set_ylabel("score (−1 enmity … +1 amity)", fontsize=FONT_SIZE)
        ax.tick_params(labelsize=FONT_SIZE - 1)
        ax.grid(axis="y", color="#dddddd", lw=0.8)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, frameon=False,
                  fontsize=FONT_SIZE - 1, borderaxespad=0.2, handlelength=2.6)

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


def _subject_style(subject: str) -> SeriesStyle:
    if subject in ACTOR_STYLES:
        return ACTOR_STYLES[subject]
    return DYAD_STYLES.get(subject, SeriesStyle(subject, OKABE_ITO["black"], ":", "x"))


def draw_indicators(fig: Figure, indicators: pd.DataFrame,
                    series: Iterable[tuple[str, str]], *, empty_message: str | None = None
                    ) -> list[Axes]:
    """Redraw ``fig`` with one panel per indicator, one line per subject.

    ``series`` lists (indicator, subject) pairs.  Each indicator has its own
    panel because units differ (dollars, warheads, exercise counts); within a
    panel each subject has its own colour, line style, marker and end label.
    Returns the panels (empty list and a message when there is nothing to plot).
    """
    fig.clear()
    wanted: dict[str, list[str]] = {}
    for indicator, subject in series:
        wanted.setdefault(indicator, [])
        if subject not in wanted[indicator]:
            wanted[indicator].append(subject)
    if not wanted:
        fig.text(0.5, 0.5, empty_message or "no indicator series bears on this selection",
                 ha="center", va="center", fontsize=FONT_SIZE + 1, wrap=True)
        return []
    axes = fig.subplots(len(wanted), 1, squeeze=False)[:, 0]
    for ax, (indicator, subjects) in zip(axes, wanted.items()):
        rows = indicators.loc[indicators["indicator"] == indicator]
        units = sorted(set(rows["unit"].astype(object)))
        for subject in subjects:
            data = rows.loc[rows["subject"] == subject].sort_values("year")
            if data.empty:
                continue
            st = _subject_style(subject)
            ax.plot(data["year"].to_numpy(), data["value"].to_numpy(dtype=float), color=st.color,
                    linestyle=st.linestyle, marker=st.marker, lw=LINE_WIDTH, ms=5,
                    label=_subject_label(subject))
        ax.set_title(INDICATOR_LABELS.get(indicator, indicator.replace("_", " ")),
                     fontsize=FONT_SIZE + 1, loc="left")
        ax.set_ylabel(_wrap_unit("; ".join(units)), fontsize=FONT_SIZE - 1)
        ax.tick_params(labelsize=FONT_SIZE - 1)
        ax.grid(color="#e4e4e4", lw=0.8)
        if ax.lines:
            ax.legend(fontsize=FONT_SIZE - 1, frameon=False, loc="best", handlelength=2.6)
        else:
            ax.text(0.5, 0.5, "no values in the data", transform=ax.transAxes, ha="center",
                    va="center", fontsize=FONT_SIZE)
    axes[-1].set_xlabel("year", fontsize=FONT_SIZE)
    fig.set_layout_engine("constrained")
    return list(axes)


def _subject_label(subject: str) -> str:
    if subject in ACTOR_NAMES:
        return ACTOR_NAMES[subject]
    return DYAD_LABELS.get(subject, subject)


def _wrap_unit(unit: str, width: int = 28) -> str:
    """Break a long unit onto two lines so the y label fits the panel."""
    if len(unit) <= width:
        return unit
    cut = unit.rfind(" ", 0, width)
    return unit if cut < 0 else unit[:cut] + "\n" + unit[cut + 1:]
