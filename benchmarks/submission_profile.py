"""Where one submission's time goes inside a warm grading worker.

Builds a course with the demo's four samples in turn, starts one grading
worker in this process (exactly as ``grading.parallel`` does), grades one
student to warm it up, then grades ``--submissions`` more under cProfile
(wall-clock timer: the kernel runs in another process, and the worker's wait
for it is part of the submission's cost).  Prints the time per submission
spent in each stage (kernel start in the sandbox, running the cells, the
kit's preprocessors, nbgrader's bookkeeping, gradebook sessions, writing the
notebooks) and the top functions by own time, with the load average.

Not a test.  Run from the repository root::

    .venv/bin/python -m benchmarks.submission_profile [--submissions 12] [--top 25]
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import warnings
from pathlib import Path

from benchmarks.grading_speed import build_course, load_average
from course_constants import ASSIGNMENT
from grading import parallel
from scaffold.course import tool_environment

# Stages: (label, file fragment, function name) of the call that encloses it.
# Coroutines (nbclient's kernel start, cell execution) are left out: cProfile
# counts only the slices in which they run, not their waits; those waits show
# as the event loop's ``select.epoll.poll`` in the function listing.
STAGES = [
    ("whole submission (Autograde converter)", "grading/parallel.py", "_grade"),
    ("  nbgrader init_assignment (student and submission rows, file copies)",
     "nbgrader/converters/autograde.py", "init_assignment"),
    ("  reading notebooks (TolerantNotebookExporter.from_file)", "grading/preprocessors/reading.py",
     "from_file"),
    ("    nbformat validation (jsonschema), all callers", "nbformat/validator.py", "validate"),
    ("  RemoveShadowingFiles", "grading/preprocessors/shadowing.py", "preprocess"),
    ("    library_names (site-packages walk)", "grading/preprocessors/shadowing.py", "library_names"),
    ("    source_modules", "grading/preprocessors/shadowing.py", "source_modules"),
    ("  GuardedExecute (kernel start, cells, probes, shutdown)", "grading/preprocessors/execute.py",
     "preprocess"),
    ("    guard probes before test cells (round trips)", "grading/preprocessors/execute.py", "_guard"),
    ("    sandbox availability check", "grading/sandbox.py", "available"),
    ("  SaveAutoGrades (gradebook writes)", "nbgrader/preprocessors/saveautogrades.py", "preprocess"),
    ("  ScoreDeletedCells (gradebook read)", "grading/preprocessors/deleted_cells.py", "preprocess"),
    ("  every Gradebook() opened (nbgrader's and the kit's)", "nbgrader/api.py", "__init__"),
    ("  writing notebooks (nbconvert FilesWriter)", "nbconvert/writers/files.py", "write"),
]


def stage_times(stats, count):
    """Cumulative seconds per submission of each stage's enclosing function
    (summed over the classes of that file that define it)."""
    rows = []
    for label, fragment, name in STAGES:
        total = 0.0
        for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():
            if function == name and filename.replace(os.sep, "/").endswith(fragment):
                total += cumulative
        rows.append((label, total / count))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=12)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, help="also save the raw profile here (for pstats, snakeviz)")
    arguments = parser.parse_args(argv)
    os.environ["PATH"] = tool_environment()["PATH"]
    print(f"load average before: {load_average()}", file=sys.stderr)
    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy's notes on nbgrader's sessions
    with tempfile.TemporaryDirectory(prefix="submission-profile-") as scratch:
        course = build_course(Path(scratch) / "course", arguments.submissions + 1)
        students = parallel.submitted_students(course, ASSIGNMENT)
        # The worker sends stdout (kernels' banners) to /dev/null: report on stderr.
        parallel._start_worker(str(course), ASSIGNMENT, [ASSIGNMENT], parallel.logging.ERROR)
        started = time.perf_counter()
        warm = parallel._grade(students[0], False)
        print(f"first submission (cold worker): {time.perf_counter() - started:.2f} s, ok={warm.ok}",
              file=sys.stderr)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        outcomes = [parallel._grade(student, False) for student in students[1:]]
        profile.disable()
        elapsed = time.perf_counter() - started
    count = len(outcomes)
    assert all(outcome.ok for outcome in outcomes), [o.messages for o in outcomes if not o.ok]
    stats = pstats.Stats(profile)
    if arguments.save:
        stats.dump_stats(arguments.save)
    out = sys.stderr
    print(f"\n{count} submissions in a warm worker: {elapsed / count:.3f} s each "
          f"(load average after: {load_average()})\n", file=out)
    print(f"{'stage':72s} s per submission", file=out)
    for label, seconds in stage_times(stats, count):
        print(f"{label:72s} {seconds:7.3f}", file=out)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(arguments.top)
    print(f"\nTop functions by own time ({count} submissions):", file=out)
    print(text.getvalue(), file=out)


if __name__ == "__main__":
    main()
