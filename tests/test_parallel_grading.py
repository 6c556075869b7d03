"""The parallel grader gives what sequential ``nbgrader autograde`` gives.

Two identical copies of a course with the demo's four samples, one more
partial submission, a notebook that is not even JSON (the kit's configuration
grades it 0), a submission whose test cell's metadata says it is an answer
(nbgrader 0.9.6 alone stops on its inconsistent checksum; the kit's
``RestoreKnownCells`` grades it as released, full marks, and the command exits
0 for it) and one submission nbgrader cannot grade (its ``autograded/<student>``
is a file, where nbgrader must make a folder; a corrupt ``timestamp.txt`` or
tampered metadata no longer stops it): one copy is graded by ``nbgrader autograde`` +
``nbgrader generate_feedback``, the other by
``python -m grading.parallel --jobs 2 --feedback``.  Gradebooks, autograded
notebooks and feedback must match, apart from timestamps and execution times,
and the submission that fails must not stop the others.

A run killed in the middle of a student (SIGKILL, no chance to clean up) and
run again skips the students it finished and grades the cut-off one again from
the start, where plain nbgrader would take the half-written folder for a
finished grading.

Both run in scratch copies made by ``make_course``, which carry the kit's
``grading/`` beside ``nbgrader_config.py``, as the real course directory does.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from adversarial_cases import T1, tamper
from nbgrader.api import Gradebook, MissingEntry

from course_constants import ASSIGNMENT, COURSE_ID, NOTEBOOK
from grading.cells import cell_by_id
from grading.parallel import Outcome, in_progress_marker, in_shard, parse_shard, submitted_students
from scaffold.course import block_autograded, generate_release, make_course, submit, tool_environment
from scaffold.scores import cell_scores
from scaffold.submissions import fill, sample_submissions, solution_answers, source_notebook

NOT_JSON = "not_json"
TAMPERED = "zz_flipped_metadata"
FAILS = "zz_unwritable"


def kit_environment():
    return tool_environment()


def run(course, *command):
    return subprocess.run([sys.executable, "-m", *command], cwd=course, env=kit_environment(),
                          capture_output=True, text=True, timeout=600)


def run_parallel(course, *arguments):
    """``python -m grading.parallel`` as an instructor runs it, from the course directory."""
    return run(course, "grading.parallel", ASSIGNMENT, *arguments)


@pytest.fixture(scope="module")
def graded_twice(tmp_path_factory):
    """(sequential course, parallel course, the parallel command's process)."""
    base = make_course(tmp_path_factory.mktemp("parallel") / "base")
    generate_release(base)
    for student, notebook in sample_submissions(base).items():
        submit(base, student, notebook)
    answers = solution_answers(source_notebook(base))
    partial = {name: answers[name] for name in ("ex1_forward_propagation", "ex2_backward_propagation")}
    submit(base, "partial", fill(partial))
    folder = submit(base, NOT_JSON, fill({}))
    (folder / f"{NOTEBOOK}.ipynb").write_text('{"cells": [ this is not a notebook')
    submit(base, TAMPERED, tamper(T1, solution=True)(fill(answers)))
    submit(base, FAILS, fill(answers))
    block_autograded(base, FAILS)

    sequential = Path(shutil.copytree(base, base.parent / "sequential"))
    parallel = Path(shutil.copytree(base, base.parent / "parallel"))
    autograde = run(sequential, "nbgrader", "autograde", ASSIGNMENT)
    assert autograde.returncode != 0, "nbgrader should report the submission it cannot grade"
    assert FAILS in autograde.stderr
    feedback = run(sequential, "nbgrader", "generate_feedback", ASSIGNMENT)
    assert feedback.returncode == 0, feedback.stderr
    process = run_parallel(parallel, "--jobs", "2", "--feedback")
    return sequential, parallel, process


def gradebook_rows(course):
    """Every score, comment and submission row nbgrader keeps, keyed by student
    and cell name (row ids are random, so they are left out)."""
    rows = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        students = sorted(student.id for student in gradebook.students)
        for student in students:
            try:
                submission = gradebook.find_submission(ASSIGNMENT, student)
            except MissingEntry:  # nbgrader created the student, then failed
                rows[student] = None
                continue
            notebook = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            rows[student] = {
                "timestamp": submission.timestamp,
                "score": (submission.score, submission.max_score, notebook.score),
                "flagged": notebook.flagged,
                "grades": {grade.name: (grade.auto_score, grade.manual_score, grade.extra_credit,
                                        grade.max_score, grade.needs_manual_grade)
                           for grade in notebook.grades},
                "comments": {comment.name: (comment.auto_comment, comment.manual_comment)
                             for comment in notebook.comments},
            }
    return rows


def course_in_paths(course):
    """How the course's folder shows in a traceback: IPython may shorten the
    start of a path (``~/...``), so only its last two names are matched."""
    return f"/{course.parent.name}/{course.name}/"


def joined_streams(outputs):
    """Consecutive outputs of one stream joined into one.

    ``print(...)`` writes its text and its newline separately, and whether the
    kernel sends them in one message or two depends on timing, so the same
    notebook run twice by nbgrader itself may store one output or two.
    """
    joined = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (previous is not None and output.get("output_type") == "stream"
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] += output["text"]
        else:
            joined.append(dict(output))
    return joined


def without_run_details(path, course):
    """An autograded notebook as JSON, without what differs from one run to the
    next: the execution timestamps nbclient records in each cell's metadata,
    and the course's own folder, which tracebacks name."""
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = joined_streams(cell.outputs)
    return json.dumps(notebook, sort_keys=True).replace(course_in_paths(course), "/<course>/")


# The HTML between two consecutive outputs of the same stream (see joined_streams).
STREAM_BREAK = re.compile(
    r'</pre>\s*</div>\s*</div>\s*<div class="output_area">\s*<div class="prompt"></div>\s*'
    r'<div class="output_subarea output_stream output_(stdout|stderr) output_text">\s*<pre>')
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?")


def without_timestamps(path, course):
    """A feedback page without timestamps, the course's folder and stream chunking."""
    text = STREAM_BREAK.sub("", path.read_text())
    return TIMESTAMP.sub("<timestamp>", text).replace(course_in_paths(course), "/<course>/")


def files_under(course, folder):
    root = course / folder
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.mark.slow
def test_one_failing_submission_does_not_stop_the_others(graded_twice):
    _, _, process = graded_twice
    assert process.returncode == 1, process.stderr
    assert f"FAILED {FAILS}" in process.stderr
    reason = process.stderr.split(f"FAILED {FAILS}")[1].split(f"failed: {FAILS}")[0]
    assert "NotADirectoryError" in reason, f"nbgrader's reason is not in the report:\n{reason}"
    assert f"failed: {FAILS}\n" in process.stderr
    assert "graded 7 of 8 submissions" in process.stderr


@pytest.mark.slow
def test_one_tampered_submission_fails_neither_command(tmp_path):
    """Plain ``nbgrader autograde`` with the kit's configuration, and the parallel grader,
    exit 0 when one student's test cells were renamed and flagged as answers: that student is
    graded from the restored cells, full marks, and so is the honest one."""
    base = make_course(tmp_path / "base")
    generate_release(base)
    answers = solution_answers(source_notebook(base))
    submit(base, "honest", fill(answers))
    tampered = fill(answers)
    for name, points in (("test_ex4_gradient_check_n", 0.5),
                         ("test_ex4_gradient_check_n_wrong_gradients", 9)):
        cell_by_id(tampered, name).metadata.nbgrader.update(grade_id=f"mine_{points}", solution=True,
                                                            points=points)
    submit(base, "tampered", tampered)
    parallel = Path(shutil.copytree(base, tmp_path / "parallel"))
    for course, process in ((base, run(base, "nbgrader", "autograde", ASSIGNMENT)),
                            (parallel, run_parallel(parallel, "--jobs", "2", "--no-progress"))):
        assert process.returncode == 0, process.stderr[-3000:]
        scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}")
        for student in ("honest", "tampered"):
            assert all(score == top > 0 for score, top in scores[student].values()), (student, scores)
            assert sum(top for _, top in scores[student].values()) == 10
    assert "graded 2 of 2 submissions" in process.stderr


def test_exit_codes_of_the_parallel_grader(tmp_path):
    """2 for a bad command line, 1 when the gradebook cannot be used (here: no such
    assignment), 0 when there is nothing to grade; 1 when a submission could not be graded
    is shown by test_one_failing_submission_does_not_stop_the_others."""
    course = make_course(tmp_path / "course")
    helped = run(course, "grading.parallel", "--help")
    assert helped.returncode == 0 and "exit status: 0 every submission" in " ".join(helped.stdout.split())
    assert run(course, "grading.parallel", ASSIGNMENT, "--jobs", "two").returncode == 2
    assert run(course, "grading.parallel", ASSIGNMENT, "--shard", "3/2").returncode == 2
    nothing = run_parallel(course)
    assert nothing.returncode == 0 and "no submissions" in nothing.stderr
    folder = course / "submitted" / "someone" / "never_generated"
    folder.mkdir(parents=True)
    (folder / f"{NOTEBOOK}.ipynb").write_text("{}")
    unknown = run(course, "grading.parallel", "never_generated", "--no-progress")
    assert unknown.returncode == 1, unknown.stderr
    assert "is not in the gradebook" in unknown.stderr


@pytest.mark.slow
def test_a_progress_bar_counts_the_submissions(graded_twice):
    _, _, process = graded_twice
    assert f"grading {ASSIGNMENT}:" in process.stderr
    assert "8/8" in process.stderr
    assert "100%" in process.stderr


@pytest.mark.slow
def test_gradebooks_match(graded_twice):
    sequential, parallel, _ = graded_twice
    expected = gradebook_rows(sequential)
    # nbgrader stops on the unwritable folder before it records the student: no rows at all
    assert set(expected) == {*sample_submissions(sequential), "partial", NOT_JSON, TAMPERED}
    assert expected["complete"]["score"][0] == expected["complete"]["score"][1] > 0
    assert expected[NOT_JSON]["score"][0] == 0
    # the tampered test cell is graded as released: full marks, the maximum unchanged
    assert expected[TAMPERED]["score"][:2] == expected["complete"]["score"][:2]
    assert gradebook_rows(parallel) == expected


@pytest.mark.slow
def test_autograded_notebooks_match(graded_twice):
    sequential, parallel, _ = graded_twice
    assert files_under(parallel, "autograded") == files_under(sequential, "autograded")
    notebooks = sorted((sequential / "autograded").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}.ipynb"))
    assert len(notebooks) == 7  # every student but the one that fails
    for notebook in notebooks:
        twin = parallel / notebook.relative_to(sequential)
        ours, theirs = without_run_details(twin, parallel), without_run_details(notebook, sequential)
        if NOT_JSON in notebook.parts:
            # grading.preprocessors.placeholder_notebook draws a random id for its one cell
            ours, theirs = (re.sub(r'"id": "[0-9a-f]{8}"', '"id": "?"', text) for text in (ours, theirs))
        assert ours == theirs, notebook


@pytest.mark.slow
def test_feedback_matches(graded_twice):
    sequential, parallel, _ = graded_twice
    assert files_under(parallel, "feedback") == files_under(sequential, "feedback")
    pages = sorted((sequential / "feedback").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}.html"))
    assert len(pages) == 7
    for page in pages:
        twin = parallel / page.relative_to(sequential)
        assert without_timestamps(twin, parallel) == without_timestamps(page, sequential), page


@pytest.mark.slow
def test_the_failed_submission_is_left_as_nbgrader_leaves_it(graded_twice):
    sequential, parallel, _ = graded_twice
    for course in (sequential, parallel):
        assert (course / "submitted" / FAILS / ASSIGNMENT).is_dir()
        assert (course / "autograded" / FAILS).is_file()
        assert not (course / "autograded" / FAILS / ASSIGNMENT).exists()


@pytest.mark.slow
def test_already_graded_submissions_are_skipped_unless_forced(graded_twice):
    _, parallel, _ = graded_twice
    graded = parallel / "autograded" / "complete" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    before = graded.stat().st_mtime_ns
    again = run_parallel(parallel, "--jobs", "1", "--student", "complete", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert graded.stat().st_mtime_ns == before
    assert "skipping 1 students already graded" in again.stderr
    assert "graded 0 of 0 submissions" in again.stderr
    forced = run_parallel(parallel, "--jobs", "1", "--student", "complete", "--force", "--no-progress")
    assert forced.returncode == 0, forced.stderr
    assert graded.stat().st_mtime_ns != before
    assert "graded 1 of 1 submissions" in forced.stderr


def test_shards_split_the_students_into_disjoint_slices_that_cover_them_all():
    students = [f"student{number}" for number in range(200)]
    for count in (1, 3, 8):
        slices = [[s for s in students if in_shard(s, index, count)] for index in range(count)]
        assert sorted(s for part in slices for s in part) == sorted(students)
        assert all(part for part in slices), "a slice of 200 students came out empty"
    assert parse_shard("2/8") == (2, 8)
    for wrong in ("8/8", "-1/2", "1", "a/b"):
        with pytest.raises(Exception, match="--shard"):
            parse_shard(wrong)


def test_a_traceback_stays_inside_its_students_block_of_the_log():
    traceback = ("[AutogradeApp | ERROR] error\nTraceback:\n  File x, line 1\n"
                 "NotADirectoryError: autograded/bob")
    lines = Outcome("bob", ok=False, seconds=0.0, messages=[traceback, "next"]).report().splitlines()
    assert lines[0] == "FAILED bob"
    assert all(line.startswith("  ") for line in lines[1:]), lines
    assert "  NotADirectoryError: autograded/bob" in lines and lines[-1] == "  next"


def test_students_are_read_from_the_submitted_folder(tmp_path):
    for student in ("bob", "alice"):
        os.makedirs(tmp_path / "submitted" / student / ASSIGNMENT)
    os.makedirs(tmp_path / "submitted" / "carol" / "another_assignment")
    assert submitted_students(tmp_path, ASSIGNMENT) == ["alice", "bob"]


# --- a run stopped half-way, and run again ---------------------------------------------------

SLOW = "slow"


@pytest.fixture(scope="module")
def cut_off(tmp_path_factory):
    """A course where a grading run was killed (SIGKILL, as a lost node or
    Slurm's escalation after scancel) in the middle of one student, then run
    again; and what plain nbgrader makes of the same leftovers."""
    course = make_course(tmp_path_factory.mktemp("cut-off") / "course")
    generate_release(course)
    answers = solution_answers(source_notebook(course))
    submit(course, "done", fill(answers))
    slow = dict(answers, ex1_forward_propagation=answers["ex1_forward_propagation"]
                + "\nimport time\ntime.sleep(3)")
    submit(course, SLOW, fill(slow))
    first = run_parallel(course, "--jobs", "1", "--student", "done", "--no-progress")
    assert first.returncode == 0, first.stderr
    done = course / "autograded" / "done" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    done_mtime = done.stat().st_mtime_ns

    marker = in_progress_marker(course, ASSIGNMENT, SLOW)
    sanitized = course / "autograded" / SLOW / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    killed = subprocess.Popen([sys.executable, "-m", "grading.parallel", ASSIGNMENT, "--jobs", "1",
                               "--no-progress"], cwd=course, env=kit_environment(), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (marker.exists() and sanitized.exists()):  # nbgrader has written autograded/slow/
        assert killed.poll() is None, killed.communicate()[1]
        assert time.monotonic() < deadline, "the grading never started"
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.communicate()
    leftovers = Path(shutil.copytree(course, course.parent / "nbgrader-alone"))
    alone = run(leftovers, "nbgrader", "autograde", ASSIGNMENT, "--student", SLOW)
    again = run_parallel(course, "--jobs", "1", "--no-progress")
    return course, done_mtime, alone, again


@pytest.mark.slow
def test_plain_nbgrader_would_take_a_cut_off_grading_for_a_finished_one(cut_off):
    _, _, alone, _ = cut_off
    assert alone.returncode == 0, alone.stderr
    assert "Skipping existing assignment" in alone.stderr  # the student would stay half-graded


@pytest.mark.slow
def test_a_grading_cut_off_half_way_is_graded_again_from_the_start(cut_off):
    course, done_mtime, _, again = cut_off
    done = course / "autograded" / "done" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert again.returncode == 0, again.stderr
    assert "skipping 1 students already graded" in again.stderr
    assert re.search(rf"^graded {SLOW} in [\d.]+ s$", again.stderr, re.M), again.stderr
    assert "was cut off half-way" in again.stderr.split(f"graded {SLOW} in")[1]
    assert "graded 1 of 1 submissions" in again.stderr
    assert not in_progress_marker(course, ASSIGNMENT, SLOW).exists()
    # the finished student was not graded again, and the cut-off one now has every score
    assert done.stat().st_mtime_ns == done_mtime
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID)
    assert scores[SLOW] == scores["done"]
    assert sum(score for score, _ in scores[SLOW].values()) == sum(top for _, top in scores[SLOW].values())


@pytest.mark.slow
def test_a_grading_missing_from_the_gradebook_is_graded_again(cut_off):
    course, *_ = cut_off
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        gradebook.remove_submission(ASSIGNMENT, "done")
    again = run_parallel(course, "--jobs", "1", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "holds a grading this gradebook does not have" in again.stderr.split("graded done in")[1]
    assert "done" in cell_scores(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID)
