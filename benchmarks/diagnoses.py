"""What profiling found where a goal was missed: file, function, cause, suggested fix.

Written by whoever investigated, kept here so that RESULTS.md (which the command rewrites on every
run) carries it next to the figure it explains. A diagnosis is shown only while its goal is missed
in the run; one marked ``fixed`` goes to "Fixed after an earlier run" with its before/after figures.
Keys match ``Goal.key`` by prefix: "widgets:TimelineExplorer" covers every TimelineExplorer control.
"""

from __future__ import annotations

DIAGNOSES: dict[str, dict] = {
}


def find(key: str) -> dict | None:
    """The most specific open diagnosis whose key is a prefix of ``key``."""
    best = None
    for prefix, d in DIAGNOSES.items():
        if key.startswith(prefix) and not d.get("fixed") and (best is None or len(prefix) > len(best[0])):
            best = (prefix, d)
    return best[1] if best else None


def fixed() -> list[dict]:
    return [d for d in DIAGNOSES.values() if d.get("fixed")]
