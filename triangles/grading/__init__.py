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
    report.py    run.json (what the last run covered), stored results, CSV helpers
    feedback.py  per-student HTML feedback
    manual.py    manual-grading sheets and merge-manual

The gradebook, applied after the kernels (none of it runs one):

    releases.py  every released version's fingerprints; the hint a student saw; judge's context
    config.py    gradebook.toml: roster, due dates, late policy, extensions, platform ids
    roster.py    roster.csv, and matching submission folders to it
    policy.py    late policy: grace, penalty per hour/day, cap, cut-off, extensions
    overrides.py overrides and the append-only gradebook-log.jsonl
    gradebook.py every score as it stands; grades.csv (hand edits kept); publish()
    exports.py   Canvas, Moodle, Blackboard and long CSV exports
    classreport.py  class-report.html
    pack.py      returns/<student>.zip
    desk.py      the grading desk's logic (the widget is triangles.widgets.desk)
    gradebook_cli.py  override, export, class-report, pack-feedback, log

Deliberately no import of ipywidgets or triangles.widgets: grading must work headless.
"""

# Bump when a change would alter scores or flags, so cached results are recomputed.
GRADER_VERSION = "2"
