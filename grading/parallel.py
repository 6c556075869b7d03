"""Autograde a whole course at once, on every core of one machine.

``nbgrader autograde`` grades one submission after another.  Most of a
submission's time is spent in its own kernel, so a machine with several cores
can grade several submissions at the same time.  This module does that with
nbgrader's own code and nothing else:

* each worker is a long-lived process that builds nbgrader's ``AutogradeApp``
  once, from the course's ``nbgrader_config.py`` and the same command-line
  options, so every preprocessor, sandbox and limit configured there applies
  exactly as in ``nbgrader autograde``; Python and nbgrader are imported once
  per worker, not once per submission;
* for each student the worker runs nbgrader's ``Autograde`` converter with
  ``CourseDirectory.student_id`` set to that student, as
  ``nbgrader autograde ASSIGNMENT --student ID`` would, and optionally
  ``GenerateFeedback`` the same way;
* students go to whichever worker is free (a queue, not fixed slices), and a
  submission that fails is reported without stopping the others;
* a run can be stopped at any moment (Ctrl-C, ``scancel``, a node lost) and
  run again: students whose grading finished are skipped, and a student whose
  grading was cut off half-way is graded again from the start (see
  ``_grading_states``), so no one is graded twice and no one is left half-graded.

The gradebook is nbgrader's ``CourseDirectory.db_url``: SQLite by default,
PostgreSQL (or anything SQLAlchemy speaks) with ``--db-url``.  SQLite allows
one writer at a time and, with Python's default transactions, can refuse a
writer outright instead of waiting (a reader that turns writer in the middle
of a transaction).  Workers therefore open every SQLite transaction with
``BEGIN IMMEDIATE`` and a long busy timeout (see ``grading.sqlite_locking``):
gradebook writes queue up for a few milliseconds each instead of failing.
PostgreSQL needs none of this.

Run from the course directory::

    python -m grading.parallel gradient_checking --jobs 2 [--db-url URL]

Several machines can share one PostgreSQL gradebook, each grading its own
slice of the students (``--shard INDEX/COUNT``); ``docs/scaling.md`` shows how.

Exit status (``EXIT_CODES``): 0 when every submission asked for was graded (or
there was none, or all were graded before); 1 when some submission could not be
graded (each is named, with nbgrader's reason, and the others are graded all the
same) or the gradebook cannot be used (a wrong URL, an assignment it does not
hold: nothing is graded); 2 for a bad command line.  A submission nbgrader would
stop on because of its content (tampered cell metadata, a notebook that is not
JSON, a link) is graded by the kit's preprocessors and counts as graded.
"""

import argparse
import logging
import multiprocessing
import os
import socket
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

LOG_FORMAT = "[%(name)s | %(levelname)s] %(message)s"
EXIT_CODES = ("exit status: 0 every submission asked for was graded (or none was left to grade); "
              "1 some submission could not be graded (named on stderr; the others were graded) "
              "or the gradebook cannot be used; 2 a bad command line.")


@dataclass
class Outcome:
    """What grading one student gave: whether it worked, how long it took, and
    nbgrader's warnings and errors for that student (the log a failure needs)."""

    student: str
    ok: bool
    seconds: float
    messages: list = field(default_factory=list)
    started_at: float = 0.0  # Unix time the grading of this student began
    skipped: bool = False  # already graded by an earlier run: not graded again

    def report(self):
        """The lines a log shows for this student: one heading, then nbgrader's
        warnings and errors, every line of them indented (a traceback too, so
        its last line, the error itself, stays in this student's block)."""
        if self.ok:
            heading = f"graded {self.student} in {self.seconds:.1f} s"
        else:
            heading = f"FAILED {self.student}"
        lines = [line for message in self.messages for line in message.splitlines()]
        return "\n  ".join([heading, *lines])


# ---------------------------------------------------------------- the students

def submitted_students(course, assignment, submitted="submitted"):
    """Every student with a folder ``submitted/<student>/<assignment>/``, sorted."""
    root = Path(course) / submitted
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def in_shard(student, index, count):
    """Whether ``student`` belongs to slice ``index`` of ``count``.

    A stable hash of the id, not a position in a listing: machines that list
    ``submitted/`` at slightly different moments still agree on who grades whom,
    and every student falls in exactly one slice.
    """
    return zlib.crc32(student.encode("utf-8")) % count == index


def parse_shard(text):
    """``"2/8"`` -> ``(2, 8)``; the index counts from 0, as Slurm array task ids
    and Kubernetes completion indexes do."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants INDEX/COUNT, e.g. 0/4, not {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= INDEX < COUNT")
    return index, count


# ------------------------------------------------- finished, cut off or new

IN_PROGRESS = ".grading-in-progress"

# What a worker does for a student, decided before any grading starts.
GRADE = "grade"            # new, or resubmitted: nbgrader's own rules apply
REGRADE = "regrade"        # an earlier grading was cut off, or is not in this gradebook: from the start
FEEDBACK = "feedback"      # graded, but the feedback asked for is missing
SKIP = "skip"              # graded (and its feedback made, if asked for): nothing to do


def in_progress_marker(course, assignment, student):
    """The file that stands while ``student`` is being graded.

    Written before nbgrader starts on the student, removed when it has
    finished (graded or failed).  nbgrader writes ``autograded/<student>/``
    before it runs the notebook and saves the grades, so a grader killed in
    between (``scancel``, a time limit, a lost node) leaves a folder that
    nbgrader itself would take for a finished grading and skip for ever.  The
    marker left beside it tells the next run to grade that student again.
    """
    return Path(course) / IN_PROGRESS / assignment / student


# ---------------------------------------------------------------- the workers

class _Collect(logging.Handler):
    """Keeps what nbgrader logs while one student is graded: records at
    ``level`` and above, and always the kit's own notices about the submission
    (``[grading] <student>: ...``, logged as warnings by ``grading.preprocessors``)."""

    def __init__(self, level):
        super().__init__(level=logging.WARNING)
        self.threshold = level
        self.messages = []

    def emit(self, record):
        if record.levelno >= self.threshold or str(record.msg).startswith("[grading]"):
            self.messages.append(self.format(record))


_WORKER = {}


def _start_worker(course, assignment, nbgrader_argv, log_level):
    """Build nbgrader's autograde application once for this worker process.

    The application reads ``nbgrader_config.py`` from the course and the
    options in ``nbgrader_argv`` exactly as the ``nbgrader autograde`` command
    does; only ``CourseDirectory.student_id`` changes from one student to the
    next.
    """
    os.chdir(course)
    # Kernels inherit this process's stdout and print a start-up banner on it,
    # one per submission; the grader reports on stderr, so stdout can go.
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
    from nbgrader.apps.autogradeapp import AutogradeApp

    app = AutogradeApp()
    app.initialize(nbgrader_argv)
    app.coursedir.assignment_id = assignment  # what AutogradeApp.start() does with its argument
    # The parent prints each student's messages once, under the progress bar.
    for handler in list(app.log.handlers):
        app.log.removeHandler(handler)
    app.log.setLevel(min(log_level, logging.WARNING))
    collect = _Collect(log_level)
    collect.setFormatter(logging.Formatter(LOG_FORMAT))
    app.log.addHandler(collect)
    if app.coursedir.db_url.startswith("sqlite"):
        from grading.sqlite_locking import queue_sqlite_writers

        queue_sqlite_writers()
    _WORKER.update(app=app, collect=collect)


def _grade(student, feedback, action=GRADE):
    """Autograde one student with nbgrader's converter, then (optionally)
    generate the student's feedback; never raises.

    ``action`` comes from ``_grading_states``: ``REGRADE`` passes nbgrader's
    ``force`` for this student only (nbgrader then removes what a cut-off run
    left and starts again), ``FEEDBACK`` only generates the feedback.
    """
    from nbgrader.converters import Autograde, GenerateFeedback

    app, collect = _WORKER["app"], _WORKER["collect"]
    collect.messages = []
    started_at = time.time()
    started = time.perf_counter()
    ok = True
    marker = in_progress_marker(app.coursedir.root, app.coursedir.assignment_id, student)
    if action == REGRADE and marker.exists():
        collect.messages.append(f"[grading] {student}: an earlier grading was cut off half-way "
                                f"({marker.read_text().strip()}); graded again from the start")
    elif action == REGRADE:
        collect.messages.append(f"[grading] {student}: autograded/ holds a grading this gradebook "
                                "does not have; graded again")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"started {time.strftime('%Y-%m-%d %H:%M:%S')} on {socket.gethostname()}, "
                      f"process {os.getpid()}\n")
    options = {"force": True} if action == REGRADE else {}
    app.coursedir.student_id = student
    try:
        if action != FEEDBACK:
            Autograde(coursedir=app.coursedir, parent=app, **options).start()
        if feedback:
            GenerateFeedback(coursedir=app.coursedir, parent=app, **options).start()
    except KeyboardInterrupt:
        raise  # the marker stays: this student's grading did not finish
    except BaseException as error:  # NbGraderException, a lost database, even a sys.exit()
        ok = False
        collect.messages.append(f"{type(error).__name__}: {error}")
    finally:
        app.coursedir.student_id = "*"
        os.chdir(app.coursedir.root)
    # Graded, or failed and cleaned up by nbgrader: either way nothing is half-done.
    marker.unlink(missing_ok=True)
    return Outcome(student, ok, time.perf_counter() - started, list(collect.messages), started_at)


def _grading_states(assignment, students, feedback, force):
    """What to do for each student, in a worker (it has nbgrader and the course's
    configuration at hand): ``{student: GRADE | REGRADE | FEEDBACK | SKIP}``.

    A student is graded when nbgrader's ``autograded/<student>/<assignment>``
    folder exists, no in-progress marker says that grading was cut off, this
    gradebook holds the submission, and the submission is not newer than what
    was graded (nbgrader's own rule).  With ``force`` everyone is graded again.
    """
    from nbgrader.api import Gradebook

    coursedir = _WORKER["app"].coursedir
    if force:
        return dict.fromkeys(students, GRADE)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        in_gradebook = {submission.student_id
                        for submission in gradebook.find_assignment(assignment).submissions}
    states = {}
    for student in students:
        autograded = coursedir.format_path(coursedir.autograded_directory, student, assignment)
        if in_progress_marker(coursedir.root, assignment, student).exists():
            states[student] = REGRADE
        elif not os.path.isdir(autograded):
            states[student] = GRADE
        elif student not in in_gradebook:
            states[student] = REGRADE  # graded into another gradebook: nbgrader would skip it
        elif _resubmitted(coursedir, student, assignment, autograded):
            states[student] = GRADE
        elif feedback and not os.path.isdir(
                coursedir.format_path(coursedir.feedback_directory, student, assignment)):
            states[student] = FEEDBACK
        else:
            states[student] = SKIP
    return states


def _resubmitted(coursedir, student, assignment, autograded):
    """Whether the submission is newer than the one graded (nbgrader then grades
    it again); an unreadable timestamp counts as newer, so nbgrader reports it."""
    submitted = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    try:
        new, old = coursedir.get_existing_timestamp(submitted), coursedir.get_existing_timestamp(autograded)
    except BaseException:  # nbgrader's fail() on a malformed timestamp.txt
        return True
    return new is not None and old is not None and new > old


def _check_gradebook(assignment):
    """Open the gradebook once before any student is graded: it creates the
    schema if the database is new (so workers never race to create it) and
    fails early, with a clear message, on a wrong URL or an unknown assignment.

    It runs in the first worker that is ready, so the parent never imports
    nbgrader (seconds of start-up) and the check overlaps the other workers'
    start-up.
    """
    from nbgrader.api import Gradebook, MissingEntry

    coursedir = _WORKER["app"].coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            return (f"assignment {assignment!r} is not in the gradebook {coursedir.db_url}: "
                    f"run `nbgrader generate_assignment {assignment}` (with the same --db) first")
    return None


# ---------------------------------------------------------------- the run

def usable_cores():
    """The cores this process may run on: a scheduler's allocation (Slurm's
    cpuset, a container's) where there is one, not every core of the node."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_jobs():
    """One worker more than there are usable cores.

    A submission spends part of its time waiting (kernel start-up, messages,
    gradebook writes) rather than computing, so one spare worker keeps the
    cores busy: on 2 cores, 40 submissions took 25.6 s with 2 workers and
    23.1 s with 3 (1.60x and 1.97x faster than nbgrader autograde).
    """
    return usable_cores() + 1


def grade(course, assignment, students, jobs=None, db_url=None, force=False, feedback=False,
          nbgrader_options=(), progress=True, log_level=logging.ERROR):
    """Autograde ``students`` of ``assignment`` in ``course`` with ``jobs`` workers.

    Returns one ``Outcome`` per student, in the order of ``students``; a
    student an earlier run graded is skipped (``Outcome.skipped``) unless
    ``force``.  The gradebook, ``autograded/`` (and ``feedback/``) end up as
    ``nbgrader autograde`` (and ``nbgrader generate_feedback``) leave them.
    With ``progress`` a bar counts the students and only problems are
    printed; without it (a batch job's log) every student gets a line.
    """
    from tqdm import tqdm

    course = str(Path(course).resolve())
    argv = [assignment, *nbgrader_options]
    if db_url:
        argv.append(f"--db={db_url}")
    if force:
        argv.append("--force")
    students = list(students)
    jobs = max(1, min(jobs or default_jobs(), len(students) or 1))
    outcomes = {}
    # spawn, not fork: kernels are driven by asyncio and ZeroMQ, neither of
    # which survives a fork; each worker starts clean and stays warm.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(course, assignment, argv, log_level)) as pool:
        problem = pool.submit(_check_gradebook, assignment).result()
        if problem:
            raise SystemExit(problem)
        states = pool.submit(_grading_states, assignment, students, feedback, force).result()
        for student in students:
            if states[student] == SKIP:
                outcomes[student] = Outcome(student, True, 0.0, skipped=True)
        if outcomes:
            print(f"skipping {len(outcomes)} students already graded (--force grades them again)",
                  file=sys.stderr)
        futures = {pool.submit(_grade, student, feedback, states[student]): student
                   for student in students if student not in outcomes}
        with tqdm(total=len(futures), unit="submission", desc=f"grading {assignment}",
                  disable=not progress, file=sys.stderr) as bar:
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[outcome.student] = outcome
                if not progress or outcome.messages or not outcome.ok:
                    bar.write(outcome.report(), file=sys.stderr)
                bar.update()
    return [outcomes[student] for student in students]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m grading.parallel",
        description="Autograde many submissions in parallel with nbgrader (run from the course "
                    "directory). Scores, autograded notebooks and feedback are those of "
                    "`nbgrader autograde`.",
        epilog="Options after `--` go to nbgrader as they would on its command line, "
               "e.g. `-- --Execute.timeout=120`. " + EXIT_CODES,
    )
    parser.add_argument("assignment")
    parser.add_argument("--jobs", "-j", type=int, default=default_jobs(),
                        help="worker processes (default: one more than the cores, %(default)s here)")
    parser.add_argument("--db-url", help="gradebook URL, e.g. postgresql+psycopg2://user@host/db "
                        "(default: the course's, sqlite:///gradebook.db)")
    parser.add_argument("--student", action="append", default=[],
                        help="grade only these students (repeat, or comma-separated)")
    parser.add_argument("--shard", type=parse_shard, metavar="INDEX/COUNT",
                        help="grade only slice INDEX (from 0) of COUNT, e.g. $SLURM_ARRAY_TASK_ID/8")
    parser.add_argument("--force", "-f", action="store_true",
                        help="regrade submissions already autograded (as nbgrader's --force)")
    parser.add_argument("--feedback", action="store_true",
                        help="also generate each student's feedback (as nbgrader generate_feedback)")
    parser.add_argument("--course", default=".", help="course directory (default: here)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="log all of nbgrader's warnings (the kit's notices on a submission and "
                             "nbgrader's errors are always shown)")
    arguments, nbgrader_options = parser.parse_known_args(argv)
    nbgrader_options = [option for option in nbgrader_options if option != "--"]

    students = submitted_students(arguments.course, arguments.assignment)
    chosen = {name for entry in arguments.student for name in entry.split(",") if name}
    if chosen:
        students = [student for student in students if student in chosen]
    if arguments.shard:
        students = [student for student in students if in_shard(student, *arguments.shard)]
    if not students:
        print(f"no submissions of {arguments.assignment} to grade", file=sys.stderr)
        return 0

    started = time.perf_counter()
    outcomes = grade(arguments.course, arguments.assignment, students, jobs=arguments.jobs,
                     db_url=arguments.db_url, force=arguments.force, feedback=arguments.feedback,
                     nbgrader_options=nbgrader_options, progress=not arguments.no_progress,
                     log_level=logging.WARNING if arguments.verbose else logging.ERROR)
    elapsed = time.perf_counter() - started
    done = [outcome for outcome in outcomes if not outcome.skipped]
    failed = [outcome.student for outcome in done if not outcome.ok]
    workers = max(1, min(arguments.jobs or default_jobs(), len(students)))
    print(f"graded {len(done) - len(failed)} of {len(done)} submissions in {elapsed:.1f} s "
          f"with {workers} workers", file=sys.stderr)
    if done:
        window = (min(o.started_at for o in done), max(o.started_at + o.seconds for o in done))
        print(f"grading window (Unix time): {window[0]:.3f} to {window[1]:.3f}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
