"""Interactive explorers for the course (ipywidgets 8).

Each explorer is a thin layer: the logic lives in ``triangles.model``,
``triangles.dynamics``, ``triangles.data`` and ``triangles.plotting``.  Every
explorer shows one figure redrawn in place, catches callback errors in its own
error Output, can be driven from code (``state`` / ``set_state``) and carries a
static fallback (a PNG and a text summary) for GitHub, nbviewer and HTML.
"""

from .evidence import EvidenceExplorer
from .scenario import ScenarioExplorer
from .timeline import TimelineExplorer
from .triangle import TriangleExplorer

__all__ = ["TriangleExplorer", "TimelineExplorer", "ScenarioExplorer", "EvidenceExplorer"]
