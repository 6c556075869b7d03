"""The main job: one grading round of the course, end to end, in a scratch folder.

1. copy the course and generate the student release with nbgrader;
2. hand in four sample submissions: a complete one, a blank one, one whose
   backward pass is still unfixed, one with a mistake in gradient_check_n;
3. ``nbgrader autograde``, ``generate_feedback`` and ``export``, as an
   instructor would run them;
4. print the score of every student on every graded cell.

The repository is not touched.  Run with ``make demo``; pass a folder to keep
the course there (``python -m scripts.demo /tmp/my-course``).
"""

import sys
import tempfile
from pathlib import Path

from course_constants import ASSIGNMENT
from grading import sandbox
from scaffold.course import generate_release, make_course, nbgrader, submit
from scaffold.scores import cell_scores, format_table
from scaffold.submissions import sample_submissions


def grading_notices(log):
    """The lines of nbgrader's log an instructor must see: the kit's one line
    per problem (``[grading] ...``) and the warning when there is no sandbox."""
    return [line.strip() for line in log.splitlines()
            if "[grading]" in line or "UNSANDBOXED" in line]


def run(course):
    course = make_course(course)
    print(f"course directory: {course}")
    print("nbgrader generate_assignment ...")
    generate_release(course)
    for student, notebook in sample_submissions(course).items():
        submit(course, student, notebook)
    sandboxed, why = sandbox.available()
    print("nbgrader autograde ... " + ("(student code runs in the bubblewrap sandbox)" if sandboxed
                                       else f"(UNSANDBOXED: {why})"))
    graded = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    for line in grading_notices(graded.stderr):
        print(f"  {line}")
    print("nbgrader generate_feedback ...")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    print("nbgrader export ...")
    nbgrader(course, "export", "--to", str(course / "grades.csv"))

    print()
    print(format_table(cell_scores(f"sqlite:///{course / 'gradebook.db'}")))
    print()
    feedback = sorted((course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    print(f"feedback: {len(feedback)} HTML files under {course / 'feedback'}")
    print(f"grades:   {course / 'grades.csv'}")
    return course


def main(argv):
    if len(argv) > 1:
        run(Path(argv[1]).resolve())
    else:
        run(Path(tempfile.mkdtemp(prefix="gradient-checking-demo-")))


if __name__ == "__main__":
    main(sys.argv)
