"""nbgrader configuration for the Gradient Checking course.

This folder is the course directory: ``source/`` holds the instructor's
notebooks, ``release/`` the generated student version.  nbgrader creates
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` (SQLite)
beside them as grading goes on; none of those are committed.
"""

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "gradient-checking"
c.CourseDirectory.root = __import__("os").path.dirname(__import__("os").path.abspath(__file__))

# Files that belong to the instructor's machine, not to a student's folder.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".pytest_cache",
]

# A student's notebook runs in seconds; a cell that takes minutes is a loop
# that will not end.  Stop it, and stop the kernel if it ignores the interrupt.
c.Execute.interrupt_on_timeout = True
c.Execute.timeout = 60
c.Execute.startup_timeout = 60

# Outputs kept per cell in graded notebooks.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60
