"""Projector mode: the four explorers as one app without code, for an instructor to project.

``course/projector.ipynb`` calls ``projector()``; Voila serves it with its code hidden::

    voila course/projector.ipynb                 # on a laptop: opens http://localhost:8866
    python -m triangles.projector [--port 8866]  # the same, from the repository root

On a hub where voila is installed it also runs as a Jupyter server extension, at
``/user/NAME/voila/render/course/projector.ipynb``.  Everything is driven with the keyboard
(Tab to a control; arrows, Home and End move a slider; Space ticks a box; Alt+Down opens a menu)
or the mouse; the page is zoomed so that labels read from the back of a room.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Sequence

import ipywidgets as widgets

from .paths import REPO_ROOT

__all__ = ["projector", "PROJECTOR_NOTEBOOK", "main"]

PROJECTOR_NOTEBOOK = REPO_ROOT / "course" / "projector.ipynb"
#: How much larger than in JupyterLab everything is drawn (labels, controls, pictures).
DEFAULT_ZOOM = 1.3

_SECTIONS = (
    ("The triangle", "Set the three relations, or load a historical year."),
    ("The timeline", "Filter the events; pick the year whose coded triangle is shown."),
    ("Scenarios", "Run a what-if from a coded year or a custom start. A teaching model, not a forecast."),
    ("The article's claims and their evidence", "Pick a claim; see the data and the events cited."),
)


def projector(data=None, zoom: float = DEFAULT_ZOOM) -> widgets.VBox:
    """The four explorers, each under a large heading, in one zoomed column."""
    from .data import load_all
    from .widgets import EvidenceExplorer, ScenarioExplorer, TimelineExplorer, TriangleExplorer

    if not 0.5 <= zoom <= 3:
        raise ValueError(f"projector: zoom must be a number from 0.5 to 3; got {zoom!r}")
    d = load_all() if data is None else data
    explorers = [
        TriangleExplorer(d.relations),
        TimelineExplorer(d.timeline, d.sources, d.relations),
        ScenarioExplorer(d.relations),
        EvidenceExplorer(d.claims, d.indicators, d.timeline, d.sources),
    ]
    style = widgets.HTML(
        "<style>.triangles-projector{zoom:%s}"
        ".triangles-projector h2{font-size:1.6em;margin:1.2em 0 0.2em}"
        ".triangles-projector .triangles-explorer{border-top:2px solid #ccc;padding-top:0.4em}"
        "</style>" % zoom)
    parts: list[widgets.Widget] = [style]
    for (title, lead), explorer in zip(_SECTIONS, explorers):
        parts.append(widgets.HTML(f"<h2>{title}</h2><p>{lead}</p>"))
        parts.append(explorer)
    app = widgets.VBox(parts, layout=widgets.Layout(width="100%", max_width="1200px"))
    app.add_class("triangles-projector")
    app.explorers = explorers  # for tests and for driving it from code
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triangles.projector",
                                     description="Serve the projector app with Voila.")
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "voila", str(PROJECTOR_NOTEBOOK), f"--port={args.port}",
               "--Voila.ip=127.0.0.1"]
    if args.no_browser:
        command.append("--no-browser")
    return subprocess.call(command, cwd=REPO_ROOT)


if __name__ == "__main__":
    sys.exit(main())
