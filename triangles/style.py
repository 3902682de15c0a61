"""Styles and small helpers that both renderers share: the browser's SVG pictures
(``triangles.widgets.pictures``) and the static matplotlib figures (``triangles.plotting``).

Kept free of matplotlib on purpose: a kernel that only shows the live explorers never imports it.
Colour never carries meaning alone: every style pairs a colour with a line style and a marker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .model import ACTOR_NAMES, Analysis, Configuration, Role


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


def _role_text(role: Role) -> str:
    return "no role" if role is Role.NONE else role.value


def signed(value: float) -> str:
    """'+0.45' or '−0.60' (a true minus sign, as in print)."""
    return f"{value:+.2f}".replace("-", "\u2212")


def _configuration_title(analysis: Analysis) -> str:
    c = analysis.configuration
    if c is Configuration.UNDETERMINED:
        return "configuration undetermined (a neutral dyad)"
    balance = "balanced" if analysis.balanced else "unbalanced"
    return f"{c.value} ({balance})"


_CATEGORY_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")


_CATEGORY_COLORS = ("blue", "vermillion", "bluish green", "reddish purple", "black", "orange",
                    "sky blue", "blue")


def decimal_year(start: pd.Timestamp, precision: str) -> float:
    """Position of an event on a year axis.

    A partial date is placed in the middle of the period it could fall in
    (mid-year for a bare year, mid-month for a month), which is the honest spot.
    """
    frame = pd.DataFrame({"start": [pd.Timestamp(start)], "date_precision": [precision]})
    return float(decimal_years(frame)[0])


def decimal_years(events: pd.DataFrame) -> np.ndarray:
    """``decimal_year`` for every row of ``events`` (columns start, date_precision)."""
    start = pd.to_datetime(events["start"])
    year = start.dt.year.to_numpy(dtype=float)
    days = np.where(start.dt.is_leap_year.to_numpy(dtype=bool), 366.0, 365.0)
    doy = start.dt.day_of_year.to_numpy(dtype=float)
    precision = events["date_precision"].astype(object).to_numpy()
    day = year + (doy - 0.5) / days
    month = year + (doy - 1 + start.dt.days_in_month.to_numpy(dtype=float) / 2) / days
    return np.select([precision == "year", precision == "month"], [year + 0.5, month], day)


def _row_offsets(keys: Sequence[object]) -> np.ndarray:
    """Small vertical offsets that fan out events sharing a row and a year."""
    pattern = (0.0, 0.13, -0.13, 0.26, -0.26, 0.39, -0.39)
    seen: dict[object, int] = {}
    out = np.empty(len(keys))
    for i, key in enumerate(keys):
        n = seen.get(key, 0)
        seen[key] = n + 1
        out[i] = pattern[n % len(pattern)]
    return out


def _subject_style(subject: str) -> SeriesStyle:
    if subject in ACTOR_STYLES:
        return ACTOR_STYLES[subject]
    return DYAD_STYLES.get(subject, SeriesStyle(subject, OKABE_ITO["black"], ":", "x"))


def gaps_as_breaks(years: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual values with a NaN put in each run of missing years, so that a line stops at a gap
    instead of inventing the missing years: never interpolate what the data do not have."""
    years = np.asarray(years, dtype=float)
    values = np.asarray(values, dtype=float)
    if len(years) < 2:
        return years, values
    gap_after = np.flatnonzero(np.diff(years) > 1)
    return (np.insert(years, gap_after + 1, years[gap_after] + 1),
            np.insert(values, gap_after + 1, np.nan))


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
