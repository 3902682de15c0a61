"""What profiling found where a goal was missed: file, function, cause, suggested fix.

Written by whoever investigated, kept here so that RESULTS.md (which the command rewrites on every
run) carries it next to the figure it explains. A diagnosis is shown only while its goal is missed
in the run; one marked ``fixed`` goes to "Fixed after an earlier run" with its before/after figures.
Keys match ``Goal.key`` by prefix: "widgets:TimelineExplorer" covers every TimelineExplorer control.

The figures quoted here were measured on the 2-core benchmark machine, outside a full run, with the
commands named; they will drift as the code changes. Rerun those commands before acting on them.
"""

from __future__ import annotations

DIAGNOSES: dict[str, dict] = {
    "execution": {
        "where": "the notebooks' own content: explorer cells (triangles/widgets/base.py Explorer.__init__ "
                 "-> refresh, the first full draw), plt.show() cells (IPython's inline backend), and many "
                 "small cells",
        "cause": ("No single slow function. The floor (a kernel importing pandas, matplotlib and "
                  "triangles) is 0.3-1.0 s, so 1.3x leaves 0.1-0.3 s for everything a notebook does, and "
                  "every notebook does more: (a) an explorer cell costs 0.2-0.45 s in the kernel (the "
                  "explorer's first full matplotlib draw, 60-130 ms in-process, plus its widgets' comm "
                  "messages); (b) each plt.show() costs ~135 ms, half of it the second draw that the inline "
                  "backend's default bbox_inches='tight' makes (66 ms with bbox_inches=None: 8 identical "
                  "plots in one kernel); (c) each code cell costs 5-6 ms of messaging (30 `pass` cells: "
                  "0.18 s), and the notebooks have 20-45 code cells; (d) `load_all()` validates the CSVs "
                  "in every fresh kernel (30-100 ms). The per-cell lists above show which of these "
                  "dominates each notebook; the CPU ratio agrees with the wall-time ratio, so it is not "
                  "the machine's load."),
        "fix": ("(1) triangles/plotting.py (plotting owner): when imported in a kernel, set "
                "`InlineBackend.print_figure_kwargs = {'bbox_inches': None}` and lay the kit's figures "
                "out with the constrained engine: halves every plot cell. (2) triangles/plotting.py and "
                "the explorers (widgets owner): the legends are the dearest part of an explorer's first "
                "draw (ScenarioExplorer under cProfile: legend.draw 78 of 142 ms); show the legend as "
                "HTML beside the picture, or draw it once per class into a cached image. (3) Merge one-line cells where the "
                "teaching allows. (4) Otherwise restate the goal per content (e.g. imports + 0.3 s per "
                "explorer + 0.1 s per plot): 1.3x an imports-only kernel cannot hold one explorer and "
                "two plots."),
    },
    "widgets:TimelineExplorer:years range slider": {
        "where": "triangles/plotting.py FastRenderer.png -> _redraw_region; triangles/widgets/timeline.py "
                 "_layout_key",
        "cause": ("Moving the years range changes the timeline axes' x-limits, which are in the layout "
                  "key, so every change redraws the whole timeline region: axes, tick labels and legend "
                  "text (glyph layout and rendering, `ft2font._layout`/`_render_glyph`, lead the profile). "
                  "Timing each method over 40 changes: `_render_png` 29-32 ms of a 34-38 ms update (median), "
                  "and the region redraw is what pushes the p95 over 50 ms when the machine is busy; the "
                  "coded-year slider and the boxes, which keep the limits, stay under 40 ms."),
        "fix": "Keep the axis limits fixed at the data's full span and show the chosen range as a dynamic "
               "artist (a shaded band or greyed-out events), so the layout key does not change; or, if the "
               "axis must zoom, redraw only the x tick labels instead of the whole region.",
    },
    "widgets:ScenarioExplorer:steps slider": {
        "where": "triangles/widgets/scenario.py _layout_key; triangles/plotting.py PathPlot.update "
                 "(set_xlim) and FastRenderer._redraw_region",
        "cause": ("Each steps change changes the path plot's x-limits, so the region with its ticks and "
                  "legend is redrawn: `_render_png` is 25-42 ms of a 29-48 ms update (median over 40 "
                  "changes, two runs), so the p95 sits at the goal's edge (42-72 ms seen)."),
        "fix": ("Fix the x-axis at MAX_WIDGET_STEPS (60) and let the path line end where it ends, so "
                "no region redraw is needed."),
    },
    "widgets:ScenarioExplorer:start US-China slider": {
        "where": "triangles/widgets/scenario.py (no layout change: the start is not in the layout key)",
        "cause": ("No structural cause found: the update blits (the redraw is 17 ms of a 20 ms update, "
                  "p95 29 ms on a quiet machine). An earlier run over the goal was on a machine with a "
                  "load average of 5-10 on 2 cores; compare the run's CPU-bound sections before acting."),
        "fix": "None needed beyond rerunning on a quiet machine.",
    },
    "widgets:EvidenceExplorer:claim menu": {
        "where": "triangles/widgets/evidence.py figure / _render_png (first visit of a claim) and "
                 "evidence_events / summary_text (every visit)",
        "cause": ("Bimodal: a claim seen before is served from the per-claim picture cache in 10-20 ms, a "
                  "claim seen for the first time is drawn in full (`draw_indicators` clears and rebuilds "
                  "the axes, then a full canvas draw): 50-180 ms by claim and machine, and those first "
                  "visits are the p95 (the benchmark sweeps all 18 claims there and back). On every visit "
                  "`evidence_events` (pandas .loc, concat, sort: ~8 ms under cProfile) runs four times "
                  "and `summary_text` twice per change (68 and 34 calls for 17 changes)."),
        "fix": "Cache `evidence_events` and the summary per claim id (the tables are read-only); draw "
               "the remaining claims' pictures in the background once the widget is shown (18 claims x "
               "~0.1 s), or reuse the indicator axes and only swap the line data instead of clearing "
               "them.",
    },
    "widgets:browser:EvidenceExplorer": {
        "where": "the browser side of EvidenceExplorer (tests/browser/test_widgets_browser.py measures it)",
        "cause": "The browser test alternates C01 and C02, so after the first key every change is a "
                 "cached picture, ~12 ms on the Python side; the update sends five small comm messages "
                 "(echo, three HTML values, the figure Output: 23 KB in all). So ~200 ms of the 220 ms "
                 "median are spent in the browser or between keydown and the comm message: not the kit's "
                 "Python code.",
        "fix": "Record a Chromium performance trace around one ArrowDown on the claim <select> in the "
               "browser test (owner of tests/browser/) to see whether the time is the select's own "
               "change event, re-rendering the events list HTML, or layout of the tall output.",
    },
    "widgets:browser:ScenarioExplorer": {
        "where": "triangles/widgets/scenario.py _layout_key (steps set the path plot's x-limits); the "
                 "browser",
        "cause": ("The steps slider is the dearest Python-side update of the four the browser test "
                  "presses (30-48 ms median): each change moves the path plot's x-limits, so the plot's "
                  "region with its ticks and legend is redrawn instead of blitted. The other ~105 ms are "
                  "transport and the browser, about what the other explorers spend there too (the "
                  "triangle: 70 ms in the browser for a 15-20 ms Python update)."),
        "fix": ("Fix the path plot's x-axis at MAX_WIDGET_STEPS (60) and let the line end where it "
                "ends: no region redraw, ~20 ms less per change, enough to bring the median under "
                "150 ms. The browser's share is for the owner of tests/browser/ to trace."),
    },
    "grading": {
        "where": "triangles/grading/execute.py run (one fresh kernel per submission); the machine's load",
        "cause": ("On a quiet machine the kit meets the goal (0.44x: 1.4 s per notebook against "
                  "nbgrader's 3.2 s); runs on a busy machine measured 0.74-0.85x. The kit's own Python "
                  "is negligible (a result's `seconds` and `kernel_seconds` differ by <10 ms): each "
                  "notebook is a fresh kernel, ~0.5 s to start and ~0.7 s of imports before the "
                  "student's first line, and two kernels on two cores manage ~1.7 notebooks at once, "
                  "not 2, so the goal has little slack and the run's load decides it. Drawing explorers "
                  "no one looks at is now a small share (05-the-wedge: 1.78 s as is, 1.64 s with "
                  "`Explorer._render_png` stubbed out, MPLBACKEND=Agg as the grader sets it)."),
        "fix": ("Compare with the CPU-bound sections of the same run before acting. If it is missed on "
                "a quiet machine: (1) set OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1 in `execute.run`'s "
                "kernel env so two kernels do not oversubscribe two cores; (2) an environment switch "
                "that makes `Explorer.refresh` skip the picture in grading kernels (widgets + grading "
                "owners), ~8% per notebook; (3) start the next kernel while the current notebook runs "
                "(a pre-started kernel per worker hides the 0.5 s start-up)."),
    },
    "widgets (several controls), 29 Nov": {
        "fixed": True,
        "where": "triangles/widgets/*.py and triangles/plotting.py (the widgets owner's changes "
                 "between 10:28 and 11:08 UTC)",
        "cause": "Full redraws and a summary recomputed while building the figure's bundle.",
        "fix": ("Blitted redraws (plotting.FastRenderer: only the changed artists, or one region when "
                "axis limits change), the summary kept from `_update` (`_figure_bundle` 3-4 ms -> "
                "0.1 ms per change), a picture cache per claim in EvidenceExplorer."),
        "before": ("10:49 UTC run, load average 2.5-3.7: p95 years range slider 97 ms, steps slider "
                   "59 ms, start slider 95 ms, claim menu 275 ms"),
        "after": ("11:48 UTC run, load average 0.5-1.1: 36, 30, 22 and 69 ms (part of the difference is "
                  "the quieter machine: the CPU p95 column now tells the two apart)"),
    },
}


def find(key: str) -> dict | None:
    """The most specific open diagnosis whose key is a prefix of ``key``."""
    best = None
    for prefix, d in DIAGNOSES.items():
        if key.startswith(prefix) and not d.get("fixed") and (best is None or len(prefix) > len(best[0])):
            best = (prefix, d)
    return best[1] if best else None


def fixed() -> list[tuple[str, dict]]:
    """(key, diagnosis) of those marked fixed: each needs "before" and "after" figures."""
    return [(key, d) for key, d in DIAGNOSES.items() if d.get("fixed")]
