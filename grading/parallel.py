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
  submission that fails is reported without stopping the others.

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
"""

import argparse
import logging
import multiprocessing
import os
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

LOG_FORMAT = "[%(name)s | %(levelname)s] %(message)s"


@dataclass
class Outcome:
    """What grading one student gave: whether it worked, how long it took, and
    nbgrader's warnings and errors for that student (the log a failure needs)."""

    student: str
    ok: bool
    seconds: float
    messages: list = field(default_factory=list)
    started_at: float = 0.0  # Unix time the grading of this student began


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


# ---------------------------------------------------------------- the workers

class _Collect(logging.Handler):
    """Keeps the warnings and errors nbgrader logs while one student is graded."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
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
    from nbgrader.apps.autogradeapp import AutogradeApp

    app = AutogradeApp()
    app.initialize(nbgrader_argv)
    app.coursedir.assignment_id = assignment  # what AutogradeApp.start() does with its argument
    # The parent prints each student's messages once, under the progress bar.
    for handler in list(app.log.handlers):
        app.log.removeHandler(handler)
    app.log.setLevel(log_level)
    collect = _Collect()
    collect.setFormatter(logging.Formatter(LOG_FORMAT))
    app.log.addHandler(collect)
    if app.coursedir.db_url.startswith("sqlite"):
        from grading.sqlite_locking import queue_sqlite_writers

        queue_sqlite_writers()
    _WORKER.update(app=app, collect=collect)


def _grade(student, feedback):
    """Autograde one student with nbgrader's converter, then (optionally)
    generate the student's feedback; never raises."""
    from nbgrader.converters import Autograde, GenerateFeedback

    app, collect = _WORKER["app"], _WORKER["collect"]
    collect.messages = []
    started_at = time.time()
    started = time.perf_counter()
    ok = True
    app.coursedir.student_id = student
    try:
        Autograde(coursedir=app.coursedir, parent=app).start()
        if feedback:
            GenerateFeedback(coursedir=app.coursedir, parent=app).start()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # NbGraderException, a lost database, even a sys.exit()
        ok = False
        collect.messages.append(f"{type(error).__name__}: {error}")
    finally:
        app.coursedir.student_id = "*"
        os.chdir(app.coursedir.root)
    return Outcome(student, ok, time.perf_counter() - started, list(collect.messages), started_at)


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

def default_jobs():
    """One worker more than there are cores.

    A submission spends part of its time waiting (kernel start-up, messages,
    gradebook writes) rather than computing, so one spare worker keeps the
    cores busy: on 2 cores, 40 submissions took 25.6 s with 2 workers and
    23.1 s with 3 (1.60x and 1.97x faster than nbgrader autograde).
    """
    return (os.cpu_count() or 1) + 1


def grade(course, assignment, students, jobs=None, db_url=None, force=False, feedback=False,
          nbgrader_options=(), progress=True, log_level=logging.ERROR):
    """Autograde ``students`` of ``assignment`` in ``course`` with ``jobs`` workers.

    Returns one ``Outcome`` per student, in the order of ``students``.  The
    gradebook, ``autograded/`` (and ``feedback/``) end up as
    ``nbgrader autograde`` (and ``nbgrader generate_feedback``) leave them.
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
        futures = {pool.submit(_grade, student, feedback): student for student in students}
        with tqdm(total=len(students), unit="submission", desc=f"grading {assignment}",
                  disable=not progress, file=sys.stderr) as bar:
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[outcome.student] = outcome
                if outcome.messages or not outcome.ok:
                    heading = outcome.student if outcome.ok else f"FAILED {outcome.student}"
                    bar.write("\n  ".join([f"{heading}:", *outcome.messages]), file=sys.stderr)
                bar.update()
    return [outcomes[student] for student in students]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m grading.parallel",
        description="Autograde many submissions in parallel with nbgrader (run from the course "
                    "directory). Scores, autograded notebooks and feedback are those of "
                    "`nbgrader autograde`.",
        epilog="Options after `--` go to nbgrader as they would on its command line, "
               "e.g. `-- --Execute.timeout=120`.",
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
    parser.add_argument("--verbose", "-v", action="store_true", help="log nbgrader's warnings too")
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
    failed = [outcome.student for outcome in outcomes if not outcome.ok]
    workers = max(1, min(arguments.jobs or default_jobs(), len(students)))
    print(f"graded {len(outcomes) - len(failed)} of {len(outcomes)} submissions in {elapsed:.1f} s "
          f"with {workers} workers", file=sys.stderr)
    window = (min(o.started_at for o in outcomes), max(o.started_at + o.seconds for o in outcomes))
    print(f"grading window (Unix time): {window[0]:.3f} to {window[1]:.3f}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
