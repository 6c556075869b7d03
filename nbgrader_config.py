"""nbgrader configuration for the Gradient Checking course.

This folder is the course directory: ``source/`` holds the instructor's
notebooks, ``release/`` the generated student version.  nbgrader creates
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` (SQLite)
beside them as grading goes on; none of those are committed.

The course's settings are the plain lines below; ``grading.config.protect``
adds the kit's protections (sandbox, fault tolerance, offline feedback).
"""

import os
import sys

#: This course directory (a scratch copy of the course has its own).
COURSE = os.path.dirname(os.path.abspath(__file__))
# nbgrader may start anywhere (the formgrader, a hub, a cluster node): the kit's
# modules (course_constants.py, grading/) are the ones beside this file.
sys.path.insert(0, COURSE)

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.root = COURSE

# Files that belong to the instructor's machine, not to a student's folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".pytest_cache"]

# A student's notebook runs in seconds; a cell that takes minutes is a loop
# that will not end.  Stop it, and stop the kernel if it ignores the interrupt.
c.Execute.interrupt_on_timeout = True
c.Execute.timeout = 60
c.Execute.startup_timeout = 60

# Outputs kept per cell in graded notebooks.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

# What a student finds in place of a solution: the error it raises says what to do.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Replace this line with your code.")'
}

# The course id, and the kit's steps in nbgrader's pipeline (grading/config.py says which
# does what).  Without them beside this file autograding refuses to run student code.
try:
    from course_constants import COURSE_ID
    from grading.config import protect
except Exception as error:  # noqa: BLE001 -- missing or broken: nothing of it may be trusted
    print(f"[grading] *** the kit beside nbgrader_config.py cannot be loaded ({error!r}): "
          "autograding refuses to run ***", file=sys.stderr)
    c.Autograde.autograde_preprocessors = ["grading.preprocessors.GuardedExecute"]
else:
    c.CourseDirectory.course_id = COURSE_ID
    protect(c)
