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
from pathlib import Path

from benchmarks.grading_speed import build_course, load_average
from grading import parallel
from grading.course import ASSIGNMENT, tool_environment

# Stages: (label, file fragment, function name) of the call that encloses it.
STAGES = [
    ("whole submission (Autograde converter)", "grading/parallel.py", "_grade"),
    ("  sanitize pass (nbgrader)", "nbgrader/converters/autograde.py", "convert_single_notebook"),
    ("  init_assignment (nbgrader: student, submission rows, file copies)",
     "nbgrader/converters/autograde.py", "init_assignment"),
    ("  RemoveShadowingFiles", "grading/preprocessors", "preprocess"),
    ("  kernel start (sandbox + kernel_guard + ipykernel)", "grading/preprocessors",
     "async_start_new_kernel"),
    ("  kernel client ready (wait_for_ready)", "nbclient/client.py", "async_start_new_kernel_client"),
    ("  executing cells (nbclient)", "nbclient/client.py", "async_execute_cell"),
    ("  guard probe before each test cell", "grading/preprocessors", "_guard"),
    ("  kernel shutdown / cleanup", "nbclient/client.py", "_async_cleanup_kernel"),
    ("  sandbox availability check", "grading/sandbox.py", "available"),
    ("  library_names (site-packages walk)", "grading/preprocessors", "library_names"),
    ("  source_modules", "grading/preprocessors", "source_modules"),
    ("  SaveAutoGrades (gradebook writes)", "nbgrader/preprocessors/saveautogrades.py", "preprocess"),
    ("  ScoreDeletedCells (gradebook read)", "grading/preprocessors", "preprocess"),
    ("  Gradebook() opened (all sessions)", "nbgrader/api.py", "__init__"),
    ("  writing notebooks (nbgrader writer)", "nbconvert/writers/files.py", "write"),
]


def stage_times(stats, count):
    """Cumulative seconds per submission of each stage's enclosing function.

    A function name can occur in several classes of one file (``preprocess``
    in grading/preprocessors): those are summed, and the label says which
    file; the top-function listing below tells them apart.
    """
    rows = []
    for label, fragment, name in STAGES:
        total = 0.0
        for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():
            if function == name and fragment in filename.replace(os.sep, "/"):
                total += cumulative
        rows.append((label, total / count))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=12)
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args(argv)
    os.environ["PATH"] = tool_environment()["PATH"]
    print(f"load average before: {load_average()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="submission-profile-") as scratch:
        course = build_course(Path(scratch) / "course", arguments.submissions + 1)
        students = parallel.submitted_students(course, ASSIGNMENT)
        saved = os.dup(1)  # the worker sends stdout (kernel banners) to /dev/null
        parallel._start_worker(str(course), ASSIGNMENT, [ASSIGNMENT], parallel.logging.ERROR)
        os.dup2(saved, 1)
        os.close(saved)
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
    print(f"\n{count} submissions in a warm worker: {elapsed / count:.3f} s each "
          f"(load average after: {load_average()})\n")
    print(f"{'stage':72s} s per submission")
    for label, seconds in stage_times(stats, count):
        print(f"{label:72s} {seconds:7.3f}")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(arguments.top)
    print("\nTop functions by own time (all submissions):")
    print(text.getvalue().split("\n", 6)[-1] if "ncalls" in text.getvalue() else text.getvalue())


if __name__ == "__main__":
    main()
