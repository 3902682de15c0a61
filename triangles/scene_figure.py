"""A Scene drawn with matplotlib: a PNG made on demand (``Explorer.figure_png``) where a raster is
needed, e.g. a LaTeX/PDF export; the fallback saved with a notebook is the SVG (``triangles.svg``).  It reads the same elements as ``triangles.svg``; every artist gets the gid
"role:key" of the element it draws, so a test can match the two renderers element by element.

matplotlib is imported only when a static picture is asked for.
"""

from __future__ import annotations

import io

from .scene import Line, Marker, Rect, Scene, Text

__all__ = ["scene_figure", "scene_png", "DPI"]

#: One scene pixel is one point at 72 dpi; the PNG is written at twice that, for print.
DPI = 72
PNG_SCALE = 2


def _gid(e) -> str:
    return f"{e.role}:{e.key}"


def scene_figure(scene: Scene):
    """A matplotlib Figure (with its own Agg canvas, unknown to pyplot) showing the scene."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(scene.width / DPI, scene.height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.set_axis_off()
    for z, e in enumerate(scene.elements):
        if isinstance(e, Line):
            xs, ys = zip(*e.points) if e.points else ((), ())
            (artist,) = ax.plot(xs, ys, color=e.color, linestyle=e.style, lw=e.width, zorder=z,
                                solid_capstyle="butt", dash_capstyle="butt")
        elif isinstance(e, Marker):
            (artist,) = ax.plot([e.x], [e.y], marker=e.shape, ms=e.size, color=e.color,
                                markerfacecolor=e.fill, markeredgewidth=1.5, linestyle="", zorder=z)
        elif isinstance(e, Text):
            artist = ax.text(e.x, e.y, e.text, fontsize=e.size, color=e.color,
                             ha={"start": "left", "middle": "center", "end": "right"}[e.anchor],
                             va="center_baseline", rotation=e.rotate, rotation_mode="anchor",
                             fontweight="bold" if e.bold else "normal",
                             style="italic" if e.italic else "normal", zorder=z)
        elif isinstance(e, Rect):
            artist = ax.add_patch(Rectangle((e.x, e.y), e.width, e.height, facecolor=e.fill,
                                            edgecolor=e.stroke if e.stroke != "none" else "none",
                                            zorder=z))
        else:  # pragma: no cover - the Scene type lists every kind
            raise TypeError(f"unknown scene element {type(e).__name__}")
        artist.set_gid(_gid(e))
    return fig


def scene_png(scene: Scene) -> bytes:
    """The scene as PNG bytes (``PNG_SCALE`` times the scene's pixel size)."""
    fig = scene_figure(scene)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI * PNG_SCALE, facecolor="white",
                metadata={"Software": None}, pil_kwargs={"compress_level": 6})
    return buffer.getvalue()
