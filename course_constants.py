"""The facts about this course that several parts of the kit need, each stated once.

The kit's own code (grading, i18n, scaffold, deploy, scripts, tests) imports
these names instead of repeating them.  The helpers students receive
(``course_language.py``, ``public_tests.py``, ...) cannot import this module,
which is not released: ``course_language.MESSAGES`` names the same file as
``MESSAGES_FILE``, and a test checks that the two agree.
"""

from pathlib import Path

#: The course directory: ``nbgrader_config.py``, ``source/``, ``release/`` live here.
ROOT = Path(__file__).resolve().parent
#: nbgrader's course id: the gradebook's, the exchange's and the hub's name for the course.
COURSE_ID = "gradient-checking"
#: The English assignment; each translation is ``<ASSIGNMENT>_<language>``.
ASSIGNMENT = "gradient_checking"
#: The assignment's notebook, as nbgrader names it (no extension), and its file.
NOTEBOOK = "Gradient_Checking"
NOTEBOOK_FILE = f"{NOTEBOOK}.ipynb"
#: The compiled messages a translated assignment ships beside the helpers.
MESSAGES_FILE = "messages.mo"
