"""A Scene as a compact SVG string: the explorers' live picture, drawn by the browser.

Pure functions, no widgets.  The <svg> carries ``role="img"``, an ``aria-label`` and a <title>
(its name) and a <desc> (the summary: the picture's text alternative).  Every element has a role and
a key (``data-role``, ``data-key``, on it or on its ``<g>``), so that a test can read back what was
drawn.  Kept small, since it travels on every change: coordinates rounded to 0.1 px, and
consecutive elements of one role and look share a ``<g>`` that carries their attributes.
"""

from __future__ import annotations

from html import escape
from typing import Mapping

from .scene import FONT, Line, Marker, Rect, Scene, Text

__all__ = ["scene_svg", "DASHES", "marker_path"]

#: SVG dash patterns per matplotlib line style, in multiples of the line width (as matplotlib).
DASHES = {"-": None, "--": (3.7, 1.6), ":": (1.0, 1.65), "-.": (6.4, 1.6, 1.0, 1.6)}


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def marker_path(shape: str, x: float, y: float, size: float) -> str:
    """The SVG path data of a marker ``size`` pixels wide centred on (x, y): an absolute start,
    then relative steps (shorter)."""
    r = size / 2
    if shape == "s":
        return f"M{_n(x - r)} {_n(y - r)}h{_n(size)}v{_n(size)}h{_n(-size)}z"
    if shape in ("^", "v"):
        d = -1 if shape == "^" else 1
        corners = [(0, d * r), (r, -d * r), (-r, -d * r)]
    elif shape == "D":
        corners = [(0, -r), (r, 0), (0, r), (-r, 0)]
    elif shape in ("P", "X"):
        t = r / 3  # a plus of arm width 2t; X is the same plus turned 45 degrees
        corners = [(-t, -r), (t, -r), (t, -t), (r, -t), (r, t), (t, t), (t, r), (-t, r), (-t, t), (-r, t),
                   (-r, -t), (-t, -t)]
        if shape == "X":
            corners = [((a - b) * 0.7071, (a + b) * 0.7071) for a, b in corners]
    elif shape == "h":
        corners = [(0, -r), (0.866 * r, -r / 2), (0.866 * r, r / 2), (0, r), (-0.866 * r, r / 2),
                   (-0.866 * r, -r / 2)]
    else:
        raise ValueError(f"unknown marker {shape!r}")
    (a0, b0), steps = corners[0], []
    for (a1, b1), (a2, b2) in zip(corners, corners[1:]):
        steps.append(f"{_n(a2 - a1)} {_n(b2 - b1)}")
    return f"M{_n(x + a0)} {_n(y + b0)}l" + " ".join(steps) + "z"


Attrs = list[tuple[str, str]]


def _line(e: Line) -> tuple[str, Attrs, Attrs, str]:
    dash = DASHES[e.style]
    shared = [("stroke", e.color), ("stroke-width", _n(e.width))]
    if dash:
        shared.append(("stroke-dasharray", " ".join(_n(d * e.width) for d in dash)))
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in e.points)
    return "polyline", [("points", points)], shared, ""


def _marker(e: Marker) -> tuple[str, Attrs, Attrs, str]:
    tip = f"<title>{escape(e.tip)}</title>" if e.tip else ""
    shared = [("fill", e.fill), ("stroke", e.color)]
    if e.shape == "o":  # a whole pixel is close enough for a marker's centre
        return "circle", [("cx", f"{e.x:.0f}"), ("cy", f"{e.y:.0f}"), ("r", _n(e.size / 2))], shared, tip
    return "path", [("d", marker_path(e.shape, e.x, e.y, e.size))], shared, tip


def _text(e: Text) -> tuple[str, Attrs, Attrs, str]:
    shared = [("font-size", _n(e.size))]
    if e.bold:
        shared.append(("font-weight", "bold"))
    if e.italic:
        shared.append(("font-style", "italic"))
    if e.anchor != "start":
        shared.append(("text-anchor", e.anchor))
    if e.color != "#000000":
        shared.append(("fill", e.color))
    own = [("x", _n(e.x)), ("y", _n(e.y))]
    if e.rotate:
        own.append(("transform", f"rotate({_n(-e.rotate)} {_n(e.x)} {_n(e.y)})"))
    return "text", own, shared, escape(e.text)


def _rect(e: Rect) -> tuple[str, Attrs, Attrs, str]:
    own = [("x", _n(e.x)), ("y", _n(e.y)), ("width", _n(e.width)), ("height", _n(e.height))]
    return "rect", own, [("fill", e.fill), ("stroke", e.stroke)], ""


_DRAW = {Line: _line, Marker: _marker, Text: _text, Rect: _rect}


def _attrs(pairs: Attrs) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in pairs)


def scene_svg(scene: Scene, data: Mapping[str, str] | None = None, css_class: str = "triangles-svg") -> str:
    """The scene as one <svg> element.  ``data`` adds ``data-*`` attributes (e.g. the widget's
    name and state, which the browser tests read)."""
    extra = "".join(f' data-{k}="{escape(v)}"' for k, v in (data or {}).items())
    parts, group, group_key = [], None, None
    for e in scene.elements:
        tag, own, shared, content = _DRAW[type(e)](e)
        # Consecutive elements of one role with the same look share a <g>, which carries the
        # role, the look (colours, widths, font) and the first element's key.
        if (e.role, shared) != group:
            if group is not None:
                parts.append("</g>")
            group, group_key = (e.role, shared), e.key
            key_attr = [("data-key", e.key)] if e.key else []
            parts.append(f"<g{_attrs([('data-role', e.role), *key_attr, *shared])}>")
        key = [("data-key", e.key)] if e.key and e.key != group_key else []
        parts.append(f"<{tag}{_attrs(own + key)}>{content}</{tag}>" if content
                     else f"<{tag}{_attrs(own + key)}/>")
    if group is not None:
        parts.append("</g>")
    c = f"svg.{css_class}"
    style = (f"<style>{c} text{{dominant-baseline:central}}{c} polyline{{fill:none}}"
             f"{c} circle,{c} path{{stroke-width:1.5px}}</style>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
            f'aria-label="{escape(scene.title)}" '
            f'viewBox="0 0 {_n(scene.width)} {_n(scene.height)}" '
            f'width="{_n(scene.width)}" height="{_n(scene.height)}" '
            f'style="max-width:100%;height:auto;background:#fff" font-family="{FONT}"{extra}>'
            f"<title>{escape(scene.title)}</title><desc>{escape(scene.desc)}</desc>{style}"
            f"{''.join(parts)}</svg>")
