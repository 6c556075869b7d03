"""``grading.parallel`` piece by piece, without grading anything: what each student needs
(graded, cut off, graded elsewhere, resubmitted, feedback missing), the in-progress marker
around one grading, the log a worker keeps, the command line; nbgrader's converters replaced
by stand-ins and a small gradebook made here. ``test_parallel_grading.py`` grades real courses."""

import logging
import shutil
from types import SimpleNamespace

import pytest
from gradebooks import new_gradebook
from nbgrader.coursedir import CourseDirectory

from grading import parallel
from grading.parallel import FEEDBACK, GRADE, REGRADE, SKIP, Outcome, in_progress_marker

STAMP_OLD, STAMP_NEW = "2024-01-01 10:00:00.000000 UTC", "2024-01-02 10:00:00.000000 UTC"


GRADED = ["cut", "resubmitted", "unreadable", "no_feedback", "done"]


@pytest.fixture(scope="module")
def gradebook_file(tmp_path_factory):
    """A gradebook with assignment ``a`` (course ``c``) and the submissions of GRADED."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with new_gradebook(path, "c") as gradebook:
        gradebook.add_assignment("a")
        for student in GRADED:
            gradebook.add_student(student)
            gradebook.add_submission("a", student)
    return path


@pytest.fixture
def worker(tmp_path, monkeypatch, gradebook_file):
    """A worker's nbgrader application, as far as these functions use it."""
    shutil.copy(gradebook_file, tmp_path / "gradebook.db")
    coursedir = CourseDirectory(root=str(tmp_path), course_id="c")
    coursedir.assignment_id = "a"
    monkeypatch.setitem(parallel._WORKER, "app", SimpleNamespace(coursedir=coursedir))
    return tmp_path, coursedir


def folder(root, kind, student, stamp=None):
    path = root / kind / student / "a"
    path.mkdir(parents=True)
    if stamp:
        (path / "timestamp.txt").write_text(stamp)
    return path


def test_what_each_student_needs(worker):
    root, coursedir = worker
    for student in ("new", "cut", "elsewhere", "resubmitted", "unreadable", "no_feedback", "done"):
        folder(root, "submitted", student, STAMP_NEW if student == "resubmitted" else STAMP_OLD)
    for student in ("cut", "elsewhere", "resubmitted", "unreadable", "no_feedback", "done"):
        folder(root, "autograded", student, STAMP_OLD)
    (root / "submitted" / "unreadable" / "a" / "timestamp.txt").write_text("the day before")
    folder(root, "feedback", "done")
    marker = in_progress_marker(root, "a", "cut")
    marker.parent.mkdir(parents=True)
    marker.write_text("started ...\n")
    students = ["new", "cut", "elsewhere", "resubmitted", "unreadable", "no_feedback", "done"]
    assert parallel._grading_states("a", students, feedback=True, force=False) == {
        "new": GRADE, "cut": REGRADE, "elsewhere": REGRADE, "resubmitted": GRADE, "unreadable": GRADE,
        "no_feedback": FEEDBACK, "done": SKIP}
    assert parallel._grading_states("a", students, feedback=False, force=False)["no_feedback"] == SKIP
    forced = parallel._grading_states("a", students, feedback=True, force=True)
    assert forced == dict.fromkeys(students, GRADE)


def test_the_gradebook_is_checked_before_anyone_is_graded(worker):
    _, coursedir = worker
    assert parallel._check_gradebook("a") is None
    assert parallel._check_gradebook("b") == (
        f"assignment 'b' is not in the gradebook {coursedir.db_url}: run `nbgrader generate_assignment b` "
        "(with the same --db) first")


def test_the_marker_stands_beside_the_course_per_assignment_and_student(tmp_path):
    assert in_progress_marker(tmp_path, "a", "alice") == tmp_path / ".grading-in-progress" / "a" / "alice"


class Converter:
    """A stand-in for nbgrader's Autograde and GenerateFeedback: records each run, and what
    the in-progress marker was meanwhile."""

    runs = []
    fail_with = None

    def __init__(self, coursedir, parent, **options):
        self.coursedir, self.options = coursedir, options

    def start(self):
        marker = in_progress_marker(self.coursedir.root, "a", self.coursedir.student_id)
        Converter.runs.append((type(self).__name__, self.coursedir.student_id, self.options, marker.exists()))
        if Converter.fail_with is not None:
            raise Converter.fail_with


class Autograde(Converter):
    pass


class GenerateFeedback(Converter):
    pass


@pytest.fixture
def converters(worker, monkeypatch):
    import nbgrader.converters

    root, coursedir = worker
    monkeypatch.setattr(nbgrader.converters, "Autograde", Autograde)
    monkeypatch.setattr(nbgrader.converters, "GenerateFeedback", GenerateFeedback)
    monkeypatch.setattr(Converter, "runs", [])
    monkeypatch.setattr(Converter, "fail_with", None)
    collect = parallel._Collect(logging.ERROR)
    monkeypatch.setitem(parallel._WORKER, "collect", collect)
    monkeypatch.chdir(root)
    return root, coursedir


def test_one_grading_runs_autograde_inside_the_marker(converters):
    root, coursedir = converters
    outcome = parallel._grade("alice", feedback=False)
    assert Converter.runs == [("Autograde", "alice", {}, True)]
    assert outcome.ok and outcome.student == "alice" and outcome.messages == [] and not outcome.skipped
    assert not in_progress_marker(root, "a", "alice").exists()
    assert coursedir.student_id == "*"


def test_only_a_regrade_speaks_of_an_earlier_grading(converters):
    root, _ = converters
    marker = in_progress_marker(root, "a", "alice")
    marker.parent.mkdir(parents=True)
    marker.write_text("started before\n")       # a grading decided GRADE (say, resubmitted meanwhile)
    assert parallel._grade("alice", feedback=False).messages == []
    assert Converter.runs == [("Autograde", "alice", {}, True)]


def test_feedback_is_generated_after_grading_or_alone(converters):
    parallel._grade("alice", feedback=True)
    parallel._grade("bob", feedback=True, action=FEEDBACK)
    assert Converter.runs == [("Autograde", "alice", {}, True), ("GenerateFeedback", "alice", {}, True),
                              ("GenerateFeedback", "bob", {}, True)]


def test_a_cut_off_grading_is_graded_again_with_force_and_says_so(converters):
    root, _ = converters
    marker = in_progress_marker(root, "a", "alice")
    marker.parent.mkdir(parents=True)
    marker.write_text("started 2024-01-01 10:00:00 on node7, process 42\n")
    outcome = parallel._grade("alice", feedback=True, action=REGRADE)
    assert Converter.runs == [("Autograde", "alice", {"force": True}, True),
                              ("GenerateFeedback", "alice", {"force": True}, True)]
    assert outcome.messages == ["[grading] alice: an earlier grading was cut off half-way (started "
                                "2024-01-01 10:00:00 on node7, process 42); graded again from the start"]
    assert not marker.exists()
    outcome = parallel._grade("bob", feedback=False, action=REGRADE)
    assert outcome.messages == ["[grading] bob: autograded/ holds a grading this gradebook does not have; "
                                "graded again"]


def test_a_failure_is_an_outcome_not_an_exception(converters):
    root, coursedir = converters
    Converter.fail_with = SystemExit("nbgrader gave up")
    outcome = parallel._grade("alice", feedback=False)
    assert not outcome.ok and outcome.messages == ["SystemExit: nbgrader gave up"]
    assert not in_progress_marker(root, "a", "alice").exists()     # nbgrader cleaned up: nothing half-done
    assert coursedir.student_id == "*"


def test_an_interrupted_grading_leaves_its_marker(converters):
    root, _ = converters
    Converter.fail_with = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        parallel._grade("alice", feedback=False)
    assert in_progress_marker(root, "a", "alice").read_text().startswith("started ")


def test_the_worker_keeps_errors_and_the_kits_notices_only():
    collect = parallel._Collect(logging.ERROR)
    collect.setFormatter(logging.Formatter(parallel.LOG_FORMAT))
    log = logging.getLogger("test_parallel.worker")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(collect)
    try:
        log.warning("[grading] alice/nb: removed submitted 'numpy.py'")
        log.warning("a warning of nbgrader's")
        log.error("an error")
        log.info("[grading] not a warning")
    finally:
        log.removeHandler(collect)
    assert collect.messages == ["[test_parallel.worker | WARNING] [grading] alice/nb: removed submitted "
                                "'numpy.py'", "[test_parallel.worker | ERROR] an error"]


def test_a_graded_students_report_is_one_line():
    assert Outcome("bob", ok=True, seconds=1.25).report() == "graded bob in 1.2 s"
    assert Outcome("bob", ok=True, seconds=2.0, messages=["[grading] bob: note\nsecond"]).report() == (
        "graded bob in 2.0 s\n  [grading] bob: note\n  second")


def test_one_more_worker_than_usable_cores(monkeypatch):
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {2, 5, 7})   # a scheduler's cpuset
    assert parallel.usable_cores() == 3
    assert parallel.default_jobs() == 4


def test_no_submission_to_grade_is_not_an_error(tmp_path, capsys, monkeypatch):
    def no_grading(*args, **kwargs):
        raise AssertionError("nothing to grade: no worker is started")
    monkeypatch.setattr(parallel, "grade", no_grading)
    for student in ("alice", "bob"):
        (tmp_path / "submitted" / student / "a").mkdir(parents=True)
    assert parallel.main(["a", "--course", str(tmp_path), "--student", "carol"]) == 0
    assert parallel.main(["b", "--course", str(tmp_path)]) == 0
    assert capsys.readouterr().err == "no submissions of a to grade\nno submissions of b to grade\n"


def test_the_command_line_chooses_the_students_and_passes_nbgraders_options(tmp_path, capsys, monkeypatch):
    asked = {}

    def grade(course, assignment, students, **kwargs):
        asked.update(kwargs, course=course, assignment=assignment, students=students)
        return [Outcome(s, ok=s != "bob", seconds=1.0, started_at=100.0) for s in students]
    monkeypatch.setattr(parallel, "grade", grade)
    for student in ("alice", "bob", "carol", "dave"):
        (tmp_path / "submitted" / student / "a").mkdir(parents=True)
    status = parallel.main(["a", "--course", str(tmp_path), "--student", "alice,bob", "--student", "dave",
                            "--jobs", "8", "--db-url", "sqlite:///x.db", "--force", "--feedback",
                            "--no-progress", "--", "--Execute.timeout=120"])
    assert status == 1
    assert asked == {"course": str(tmp_path), "assignment": "a", "students": ["alice", "bob", "dave"],
                     "jobs": 8, "db_url": "sqlite:///x.db", "force": True, "feedback": True,
                     "nbgrader_options": ["--Execute.timeout=120"], "progress": False,
                     "log_level": logging.ERROR}
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("graded 2 of 3 submissions in ") and err[0].endswith(" s with 3 workers")
    assert err[1:] == ["grading window (Unix time): 100.000 to 101.000", "failed: bob"]
    parallel.main(["a", "--course", str(tmp_path), "--shard", "1/2", "-v"])
    assert asked["students"] == [s for s in ("alice", "bob", "carol", "dave") if parallel.in_shard(s, 1, 2)]
    assert asked["log_level"] == logging.WARNING and asked["progress"] is True


def test_skipped_students_are_not_counted_as_graded(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(parallel, "grade", lambda course, assignment, students, **kwargs: [
        Outcome(s, ok=True, seconds=0.0, skipped=True) for s in students])
    (tmp_path / "submitted" / "alice" / "a").mkdir(parents=True)
    assert parallel.main(["a", "--course", str(tmp_path)]) == 0
    assert capsys.readouterr().err.startswith("graded 0 of 0 submissions in ")


@pytest.mark.parametrize("arguments", [["a", "--jobs", "two"], ["a", "--shard", "2/2"], []])
def test_a_bad_command_line_exits_2(arguments, capsys):
    with pytest.raises(SystemExit) as stopped:
        parallel.main(arguments)
    assert stopped.value.code == 2
