"""The kit's own grader: grades a folder of nbgrader-style submissions against the course masters.

Run it as ``python -m triangles.grading --help``. The pipeline, one module per step:

    master.py    read a master notebook: its exercises, points, hints, checksum
    notebooks.py small helpers for nbgrader cell metadata and solution/hidden-test regions
    rebuild.py   rebuild a submission from the master, taking only the student's answer cells
    scan.py      static scan of the student's code for things that look like tampering
    export.py    the export cell injected into the kernel, and reading its output back
    execute.py   run a rebuilt notebook in a fresh kernel with a per-cell timeout
    judge.py     canonicalise and compare answers in the grader's own process
    lateness.py  timestamp.txt versus the due date
    expected.py  run a master the same way to get the expected answers (cached per checksum)
    store.py     atomic, resumable result files
    pipeline.py  grade one (student, assignment)
    batch.py     discover submissions, run them in parallel with a progress bar
    report.py    grades.csv
    feedback.py  per-student HTML feedback
    manual.py    manual-grading sheets and merge-manual

Deliberately no import of ipywidgets or triangles.widgets: grading must work headless.
"""

# Bump when a change would alter scores or flags, so cached results are recomputed.
GRADER_VERSION = "1"
