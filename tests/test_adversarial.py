"""Adversarial grading: every case of ``adversarial_cases`` graded by real nbgrader.

One session-scoped batch: a scratch course with the kit's configuration and
``grading/`` package, the four demo students as controls, every adversarial
submission and one hostile student, then ``nbgrader autograde`` and
``nbgrader generate_feedback`` once.  The tests read the gradebook, the
autograded and feedback folders, nbgrader's log, and hashes of every file
outside the submissions taken before and after.
"""

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from adversarial_cases import ALL_TESTS, CASES, HOSTILE_CASE, T4, T5, Case, build, hostile_case
from demo_expectations import LOST, total
from system_packages import apt_install, skip_or_fail

from grading import sandbox
from grading.course import ASSIGNMENT, NBGRADER, NOTEBOOK, generate_release, make_course, nbgrader
from grading.course import submit as place
from grading.scores import cell_scores
from grading.submissions import fill, release_notebook, sample_submissions, solution_answers, source_notebook

DEMO_TOTALS = {student: total(student) for student in LOST}
# Fast enough for a test: the notebook runs in about a second, so 10 s means a hung cell
# (with room for a loaded CI machine).
TEST_CONFIG = "\nc.Execute.timeout = 10\nc.GuardedExecute.probe_timeout = 5\n"
HIDDEN_SNIPPETS = ("_calls.clear()", "_cubic_steps(_P, _eps)",
                   "backward_propagation = lambda x, theta: 4 * x * theta", "_quadratic_case()")


def ensure_bubblewrap():
    """Install Debian's bubblewrap when missing; the reason if the sandbox cannot run."""
    if shutil.which("bwrap") is None:
        why = apt_install("bubblewrap")
        if why:
            return why
        sandbox.available.cache_clear()
    ok, why = sandbox.available()
    return None if ok else why


def kit_course(path):
    """A scratch course (the kit's grading package beside its config) with the
    suite's shorter time limits."""
    course = make_course(path)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(TEST_CONFIG)
    generate_release(course)
    return course


def digest(root):
    """{relative path: sha256} of every file under ``root``."""
    root = Path(root)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class Batch:
    pass


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    result = Batch()
    result.no_sandbox = ensure_bubblewrap()
    course = result.course = kit_course(tmp_path_factory.mktemp("adversarial") / "course")
    solutions = solution_answers(source_notebook(course))
    release = release_notebook(course)
    for student, notebook in sample_submissions(course).items():
        place(course, student, notebook)
    for case in CASES:
        build(course, case, solutions, release)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    result.hostile = hostile_case(course, listener.getsockname()[1])
    build(course, result.hostile, solutions, release)

    result.before = {part: digest(course / part) for part in ("source", "release", "submitted")}
    result.autograde = nbgrader(course, "autograde", ASSIGNMENT, "--force", check=False)
    result.feedback = nbgrader(course, "generate_feedback", ASSIGNMENT, "--force", check=False)
    result.after = {part: digest(course / part) for part in ("source", "release", "submitted")}
    try:
        listener.accept()
        result.connected = True
    except BlockingIOError:
        result.connected = False
    listener.close()
    result.log = result.autograde.stderr
    result.scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}")
    return result


def autograded(batch, student):
    return nbformat.read(str(batch.course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), 4)


def all_output_text(notebook):
    return "\n".join(str(output) for cell in notebook.cells for output in cell.get("outputs", []))


# --- the batch as a whole ------------------------------------------------------------------

def test_batch_finishes_and_grades_everyone(batch, capsys):
    assert batch.autograde.returncode == 0, batch.log[-4000:]
    assert batch.feedback.returncode == 0, batch.feedback.stderr[-4000:]
    expected = {case.name for case in CASES} | set(DEMO_TOTALS) | {HOSTILE_CASE.name}
    assert set(batch.scores) == expected
    rows = []
    for case in CASES:
        points = {cell: top for cell, (_, top) in batch.scores[case.name].items()}
        want = sum(case.expected(points).values())
        got = sum(score for score, _ in batch.scores[case.name].values())
        rows.append(f"{case.name:<28}{case.kind:<9}{want:>9g}{got:>6g}")
    with capsys.disabled():   # the table is for the person running the suite
        print(f"\n{'case':<28}{'kind':<9}{'expected':>9}{'got':>6}")
        print("\n".join(rows))


@pytest.mark.parametrize("student,total", sorted(DEMO_TOTALS.items()))
def test_demo_students_keep_their_scores(batch, student, total):
    assert sum(score for score, _ in batch.scores[student].values()) == total


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_scores(batch, case):
    got = {cell: score for cell, (score, _) in batch.scores[case.name].items()}
    points = {cell: top for cell, (_, top) in batch.scores[case.name].items()}
    assert set(got) == set(ALL_TESTS)
    assert got == case.expected(points)


def test_no_grade_is_left_for_manual_grading(batch):
    db = sqlite3.connect(batch.course / "gradebook.db")
    flagged = db.execute("SELECT count(*) FROM grade WHERE needs_manual_grade = 1").fetchone()[0]
    assert flagged == 0


# --- faults: one clear line each, bounded output --------------------------------------------

@pytest.mark.parametrize("student,words", [
    ("k_kernel_exit", "KernelDied"),
    ("k_loop_ignores_interrupt", "ignored the interrupt"),
    ("k_output_flood", "output cut to"),
    ("f_test_deleted", "graded cells missing from the submission score 0: " + T4),
    ("f_shadow_packages", "removed submitted 'public_tests'"),
    ("f_patch_isclose_abs", "builtins.abs"),
    ("f_patch_norm", "numpy.linalg.norm"),
])
def test_instructor_gets_a_line_per_problem(batch, student, words):
    lines = [line for line in batch.log.splitlines() if f"[grading] {student}/" in line and words in line]
    assert lines, f"no [grading] line for {student} mentioning {words!r}"


@pytest.mark.parametrize("student", ["k_invalid_json", "k_not_a_notebook"])
def test_unreadable_notebook_is_reported_and_scored(batch, student):
    assert any(f"submitted/{student}/" in line and "not a readable notebook" in line
               for line in batch.log.splitlines())
    notebook = autograded(batch, student)
    assert "could not be read as a notebook" in notebook.cells[0].source


def test_stored_output_is_bounded_in_bytes(batch):
    limit = 64 * 1024 + 1024   # LimitOutputBytes.max_bytes plus its note
    notebook = autograded(batch, "k_output_flood")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            size = len(nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode())
            assert size < limit + len(cell.source.encode()) + 4096, (cell.metadata.get("nbgrader", {}), size)
    path = batch.course / "autograded" / "k_output_flood" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert path.stat().st_size < 2_000_000
    feedback = batch.course / "feedback" / "k_output_flood" / ASSIGNMENT / f"{NOTEBOOK}.html"
    assert feedback.stat().st_size < 3_000_000


# --- fakes: helpers cannot be replaced or shadowed ------------------------------------------

def test_replaced_helper_is_overwritten(batch):
    folder = batch.course / "autograded" / "f_helper_replaced" / ASSIGNMENT
    source = batch.course / "source" / ASSIGNMENT
    assert (folder / "public_tests.py").read_bytes() == (source / "public_tests.py").read_bytes()
    assert "REPLACED" not in all_output_text(autograded(batch, "f_helper_replaced"))


def test_shadowing_packages_are_removed(batch):
    folder = batch.course / "autograded" / "f_shadow_packages" / ASSIGNMENT
    for package in ("public_tests", "gc_utils", "gradient_checker"):
        assert not (folder / package).exists()
    assert (folder / "test.csv").is_file()
    assert "SHADOW" not in all_output_text(autograded(batch, "f_shadow_packages"))
    # the student's own submitted folder is left as it was handed in
    assert (batch.course / "submitted" / "f_shadow_packages" / ASSIGNMENT / "gc_utils").is_dir()


# --- confinement ----------------------------------------------------------------------------

def test_nothing_outside_the_submissions_changes(batch):
    assert batch.after["source"] == batch.before["source"]
    assert batch.after["release"] == batch.before["release"]
    assert batch.after["submitted"] == batch.before["submitted"]
    db = sqlite3.connect(batch.course / "gradebook.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_hostile_student_is_confined(batch):
    """What the hostile student's code reports, and what really happened outside."""
    if batch.no_sandbox:
        skip_or_fail(f"no sandbox here: {batch.no_sandbox}")
    report = all_output_text(autograded(batch, HOSTILE_CASE.name))
    assert "read source: blocked" in report, report
    assert "network: blocked" in report, report
    assert not batch.connected
    # Writes and deletions land, if anywhere, in the sandbox's private tmpfs:
    assert b"garbage" not in (batch.course / "gradebook.db").read_bytes()
    assert not (batch.course / "release" / "pwned.txt").exists()
    assert (batch.course / "autograded" / "c_float" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()
    assert (batch.course / "submitted" / "c_float" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()
    # ... while its own folder is writable, and its answers are graded as usual.
    assert "write own folder: DONE" in report
    assert (batch.course / "autograded" / HOSTILE_CASE.name / ASSIGNMENT / "my_notes.txt").exists()
    assert sum(score for score, _ in batch.scores[HOSTILE_CASE.name].values()) == 10


# --- feedback -------------------------------------------------------------------------------

def test_feedback_shows_messages_not_hidden_tests(batch):
    html = (batch.course / "feedback" / "w_missing_factor_2" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    assert "with the right derivative of a curved cost, gradient_check must return less than 2e-7" in html
    for snippet in HIDDEN_SNIPPETS:
        assert snippet.replace(">", "&gt;") not in html and snippet not in html, snippet


# --- without a sandbox ----------------------------------------------------------------------

def test_unsandboxed_grading_works_and_warns_once(tmp_path):
    course = kit_course(tmp_path / "course")
    solutions = solution_answers(source_notebook(course))
    release = release_notebook(course)
    place(course, "complete", fill(solutions, release))
    dies = next(case for case in CASES if case.name == "k_kernel_exit")
    build(course, Case("dies", "fault", edits=dies.edits), solutions, release)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))   # no bwrap on PATH
    process = subprocess.run([*NBGRADER, "autograde", ASSIGNMENT, "--force"], cwd=course, env=env,
                             capture_output=True, text=True, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    assert process.stderr.count("AUTOGRADING RUNS UNSANDBOXED") == 1
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}")
    assert sum(score for score, _ in scores["complete"].values()) == 10
    assert sum(score for score, _ in scores["dies"].values()) == 8
    assert scores["dies"][T5][0] == 0
