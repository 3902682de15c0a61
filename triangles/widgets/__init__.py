"""Interactive explorers for the course (ipywidgets 8).

Each explorer is a thin layer: the logic lives in ``triangles.model``,
``triangles.dynamics`` and ``triangles.data``; its picture is a scene built by
``triangles.widgets.pictures`` and drawn by the browser as SVG (``triangles.svg``).
Every explorer coalesces a quick drag into one redraw, catches callback errors in
its own error Output, can be driven from code (``state`` / ``set_state``) and
carries a static fallback (the same SVG and a text summary) for print, GitHub,
nbviewer and HTML; ``figure_png`` draws the scene with matplotlib on demand.
"""

from .evidence import EvidenceExplorer
from .scenario import ScenarioExplorer
from .timeline import TimelineExplorer
from .triangle import TriangleExplorer

__all__ = ["TriangleExplorer", "TimelineExplorer", "ScenarioExplorer", "EvidenceExplorer"]
