"""The kit's speed and memory, measured against their floors.

Run from the repository root::

    python -m benchmarks                 # everything, about 15 minutes on 2 cores; writes benchmarks/RESULTS.md
    python -m benchmarks --quick         # tiny repeat counts and a small class (the test suite runs this)
    python -m benchmarks --only widgets  # one or more sections (execution, memory, widgets, grading, footprint)

Every figure is a *ratio* against a floor measured in the same run, on the same machine, with medians
over repeated runs: absolute times on a shared 2-core machine are noise, a ratio to something that
shares the same noise is not. Absolute values are printed too, but the goals are on the ratios.

One module per measurement:

    common.py     statistics, the Section/Goal records every measurement returns, machine facts
    course.py     which notebooks exist (masters and student versions) and their import lines
    kernels.py    run a notebook in a fresh kernel: kernel time, total time, resident memory per cell
    execution.py  1. notebook execution against an imports-only kernel
    widgets.py    2. widget response: per change (now and the old renderer), a drag in a kernel, the browser
    memory.py     3. kernel memory after each notebook against the imports-only kernel
    classroom.py  a deterministic class of submissions made from the student notebooks and the masters
    grading.py    4. the kit's grader against stock ``nbgrader autograde`` on that class
    footprint.py  5. install footprint: the full requirements against the client's five packages
    diagnoses.py  what we found where a goal was missed (file, function, cause, fix)
    report.py     RESULTS.md
"""

GOALS = {
    "execution": 1.3,      # notebook kernel time / imports-only kernel time
    "widget_p95_ms": 10.0,  # Python-side update, CPU time, 95th percentile (per control)
    "widget_kib": 20.0,    # bytes sent per control change, KiB
    "drag_settle_ms": 150.0,  # a quick drag: last change -> the picture of the final value
    "browser_median_ms": 100.0,  # keypress -> new picture in JupyterLab (browser tests)
    "memory": 1.25,        # kernel RSS after the notebook / imports-only kernel RSS
    "grading": 0.5,        # kit grader wall time / nbgrader autograde wall time
}
