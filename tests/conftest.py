"""Fixtures shared by the whole suite.

The expensive ones (a graded course) are session-scoped and built in scratch
folders, never in the repository.
"""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grading.course import ASSIGNMENT, generate_release, make_course, nbgrader, submit  # noqa: E402
from grading.scores import cell_scores  # noqa: E402
from grading.submissions import sample_submissions  # noqa: E402


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory):
    """A scratch course after the demo's full round: release generated, the four
    sample students submitted, autograded, feedback generated, grades exported."""
    course = make_course(tmp_path_factory.mktemp("demo") / "course")
    generate_release(course)
    for student, notebook in sample_submissions(course).items():
        submit(course, student, notebook)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    course_scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}")
    return course, course_scores
