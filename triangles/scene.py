"""A picture as data: a list of drawing elements in pixel coordinates (y grows downwards).

An explorer builds one ``Scene`` per change (pure functions in ``triangles.widgets.pictures``);
two renderers consume it: ``triangles.svg`` (the live picture, drawn by the browser) and
``triangles.scene_figure`` (matplotlib: a PNG made on demand by ``Explorer.figure_png``, for a
raster copy such as a LaTeX/PDF export). The static fallback saved with a notebook is the SVG.
Because both read the same elements, they show the same edges, signs, labels, roles and markers,
and a test can compare them element by element.

Every element carries a ``role`` (what it shows: "edge", "role", "event", ...) and a ``key``
(which one: "US-CN", an event id, ...), so tests and renderers can find it.  Line styles use
matplotlib's codes ("-", "--", ":", "-."); markers use its letters ("o", "s", "^", ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["Line", "Marker", "Text", "Rect", "Scene", "Box", "Scale", "nice_ticks", "tick_label", "text_width",
           "wrap", "MARKERS"]

#: The markers both renderers know (matplotlib's letters).
MARKERS = ("o", "s", "^", "v", "D", "P", "X", "h")
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


@dataclass(frozen=True)
class Line:
    """A polyline: ``points`` in pixels, a colour, a line style and a width."""

    points: tuple[tuple[float, float], ...]
    color: str
    style: str = "-"
    width: float = 2.0
    role: str = ""
    key: str = ""


@dataclass(frozen=True)
class Marker:
    """A point drawn as a marker; ``fill`` "white" means hollow."""

    x: float
    y: float
    shape: str
    color: str
    fill: str
    size: float = 8.0  # the marker's width in pixels
    role: str = ""
    key: str = ""
    tip: str = ""  # a tooltip / accessible name (SVG <title>)


@dataclass(frozen=True)
class Text:
    """One line of text.  ``anchor``: start, middle or end; it is centred vertically on ``y``."""

    x: float
    y: float
    text: str
    size: float = 12.0
    color: str = "#000000"
    anchor: str = "start"
    bold: bool = False
    italic: bool = False
    role: str = ""
    key: str = ""
    rotate: float = 0.0  # degrees, counter-clockwise (an axis label turned upwards is 90)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    stroke: str = "none"
    role: str = ""
    key: str = ""


Element = Line | Marker | Text | Rect


@dataclass(frozen=True)
class Scene:
    """A whole picture: its size, its text alternative (``title`` and ``desc``) and its elements,
    drawn in order."""

    width: float
    height: float
    title: str
    desc: str
    elements: tuple[Element, ...] = field(default_factory=tuple)

    def find(self, role: str, key: str | None = None) -> list[Element]:
        """The elements with this role (and key)."""
        return [e for e in self.elements if e.role == role and (key is None or e.key == key)]

    def texts(self, role: str, key: str | None = None) -> list[str]:
        return [e.text for e in self.find(role, key) if isinstance(e, Text)]


@dataclass(frozen=True)
class Box:
    """A rectangle of the picture in pixels."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def at(self, fx: float, fy: float) -> tuple[float, float]:
        """The point at fractions (fx from the left, fy from the top) of the box."""
        return self.x + fx * self.width, self.y + fy * self.height


@dataclass(frozen=True)
class Scale:
    """A linear map from data values (``low`` .. ``high``) to pixels (``start`` .. ``end``)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def nice_ticks(low: float, high: float, count: int = 6, integer: bool = False) -> list[float]:
    """About ``count`` round tick values (1, 2, 2.5 or 5 times a power of ten) within [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, round(step))
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + 1e-9 * step:
        ticks.append(round(value, 10))
        value += step
    return ticks


def tick_label(value: float) -> str:
    """'1,950' would read oddly for a year: whole numbers plain, others with few decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"


def text_width(text: str, size: float) -> float:
    """An estimate of a sans-serif text's width in pixels (good enough to lay out labels)."""
    return 0.56 * size * len(text)


def wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` characters, at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]
