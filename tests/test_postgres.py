"""A PostgreSQL gradebook, written by several parallel graders at once.

A real PostgreSQL server (Debian's ``postgresql`` package, installed here when
missing) runs on 127.0.0.1 for this module.  The assignment is generated into
it with nbgrader's ``--db``; three ``python -m grading.parallel`` runs over
disjoint students then grade into it at the same time.  Every student's
per-cell scores must be there and equal to those of sequential
``nbgrader autograde`` into SQLite on an identical copy of the course.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from postgres_server import postgres_database

from course_constants import ASSIGNMENT, COURSE_ID, NOTEBOOK
from scaffold.course import generate_release, make_course, submit, tool_environment
from scaffold.scores import cell_scores
from scaffold.submissions import sample_submissions

# A PostgreSQL server (installed when missing), written by parallel graders of a whole course.
pytestmark = [pytest.mark.system, pytest.mark.slow]


@pytest.fixture(scope="module")
def postgres_url():
    """A throw-away PostgreSQL server on 127.0.0.1 and the URL of an empty database."""
    with postgres_database() as url:
        yield url


def kit_command(course, *command):
    """``python -m <command>`` in ``course`` (which carries the kit's grading package)."""
    env = tool_environment()
    return subprocess.Popen([sys.executable, "-m", *command], cwd=course, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process, timeout=600):
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{process.args} failed:\n{stderr[-4000:]}"
    return stderr


@pytest.fixture(scope="module")
def graded(postgres_url, tmp_path_factory):
    """Six students graded into PostgreSQL by three concurrent grading runs, and
    the same six graded into SQLite by sequential ``nbgrader autograde``."""
    course = make_course(tmp_path_factory.mktemp("postgres") / "course")
    generate_release(course)
    samples = sample_submissions(course)
    students = {}
    for copy in range(2):
        for kind in (["complete", "blank", "unfixed_backward", "gradient_check_n_mistake"] if copy == 0
                     else ["gradient_check_n_mistake", "unfixed_backward"]):
            students[f"{kind}_{copy}"] = kind
            submit(course, f"{kind}_{copy}", samples[kind])
    reference = Path(shutil.copytree(course, course.parent / "sqlite-reference"))
    sequential = kit_command(reference, "nbgrader", "autograde", ASSIGNMENT)
    (course / "gradebook.db").unlink()  # from generate_release; this copy uses PostgreSQL only

    finished(kit_command(course, "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                         f"--db={postgres_url}"))
    names = sorted(students)
    slices = [names[0::3], names[1::3], names[2::3]]
    runs = [kit_command(course, "grading.parallel", ASSIGNMENT, "--db-url", postgres_url, "--jobs", "1",
                        "--no-progress", "--student", ",".join(part)) for part in slices]
    try:
        spans = [grading_window(finished(process)) for process in runs]
        finished(sequential)
    finally:
        for process in [sequential, *runs]:
            if process.poll() is None:
                process.kill()
                process.communicate()
    return course, reference, students, slices, spans


def grading_window(stderr):
    """(first start, last end) of the submissions a grading.parallel run graded."""
    match = re.search(r"grading window \(Unix time\): ([\d.]+) to ([\d.]+)", stderr)
    assert match, stderr
    return float(match.group(1)), float(match.group(2))


def test_the_runs_wrote_at_the_same_time(graded):
    *_, spans = graded
    # Each run graded its students one after another; the three windows overlap
    # only if the runs really graded, and wrote the gradebook, at the same time.
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans


def test_every_student_is_in_the_postgres_gradebook_with_every_cell(graded, postgres_url):
    _, _, students, slices, _ = graded
    assert sorted(s for part in slices for s in part) == sorted(students)
    scores = cell_scores(postgres_url, COURSE_ID)
    assert set(scores) == set(students)
    from nbgrader.api import Gradebook

    with Gradebook(postgres_url, COURSE_ID) as gradebook:
        notebook = gradebook.find_notebook(NOTEBOOK, ASSIGNMENT)
        graded_cells = {cell.name for cell in notebook.grade_cells}
        assert len(gradebook.assignment_submissions(ASSIGNMENT)) == len(students)
    for student in students:
        assert set(scores[student]) == graded_cells, student
        assert all(score is not None for score, _ in scores[student].values()), student


def test_postgres_scores_equal_sequential_sqlite_scores(graded, postgres_url):
    course, reference, students, _, _ = graded
    expected = cell_scores(f"sqlite:///{reference / 'gradebook.db'}", COURSE_ID)
    assert set(expected) == set(students)
    assert cell_scores(postgres_url, COURSE_ID) == expected
    # and the samples score differently, so a mix-up of students would show
    totals = {kind: sum(score for score, _ in expected[f"{kind}_0"].values())
              for kind in ("complete", "blank", "unfixed_backward", "gradient_check_n_mistake")}
    assert len(set(totals.values())) == 4


def test_no_sqlite_gradebook_was_written(graded):
    course, *_ = graded
    assert not (course / "gradebook.db").exists()
