# nbgrader 0.9 configuration for the course directory course/ (run nbgrader from this folder).
#
# The kit makes its own student notebooks with `python -m triangles.course release`; these
# settings make stock `nbgrader generate_assignment` / `autograde` treat the masters the same way,
# so an instructor can use either (tests/test_course_release.py compares the two).

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "great-power-triangles"
c.CourseDirectory.source_directory = "source"  # source/<NN-slug>/<NN-slug>.ipynb: assignment = notebook stem

# Stubs: the same as triangles/course.py (CODE_STUB, TEXT_STUB). No `raise NotImplementedError()`:
# check() reports "not answered yet" instead, so Restart & Run All reaches the end.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Copy everything in an assignment folder except editor and cache debris: data files beside a
# master must reach the students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]

# Per-cell time limit when autograding, as for the masters' runs (triangles.course.CELL_TIMEOUT).
c.Execute.timeout = 120

# The exchange folder for release_assignment / fetch_assignment / submit / collect. nbgrader 0.9.6's
# default is /usr/local/share/nbgrader/exchange; it must exist and be writable by every user.
# To use another folder, uncomment and edit:
# c.Exchange.root = "/srv/nbgrader/exchange"
