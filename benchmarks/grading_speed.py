"""How fast the kit grades a course, against the plain tools, measured in one run.

Prints three comparisons, each a ratio of times measured here and now:

1. a course of N submissions (copies of the demo's four samples spread over N
   students): ``python -m grading.parallel`` against sequential
   ``nbgrader autograde``, both as whole commands on identical copies of the
   course (goal: at least 2 times faster on 2 cores, with the default 3
   workers), and a check that both gradebooks hold the same scores;
2. the cost of one submission in a warm grading worker against a bare nbclient
   run of the same notebook (new kernel, run all, shut down; goal: within 1.2
   times);
3. the solution-filled student notebook, Run All with nbclient, against a bare
   kernel start plus one cell: what the lesson itself costs on top of Jupyter.

Not a test: timings depend on the machine and on whatever else runs on it (the
load average is printed before and after each comparison).  Run from the repository root::

    .venv/bin/python -m benchmarks.grading_speed [--submissions 40] [--jobs N]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_constants import ASSIGNMENT, NOTEBOOK, ROOT
from grading.parallel import default_jobs, grade, submitted_students
from scaffold.course import generate_release, make_course, submit, tool_environment
from scaffold.scores import cell_scores
from scaffold.submissions import sample_submissions


def load_average():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def build_course(folder, count):
    """A course with the release generated and ``count`` submissions, the four
    samples in turn (``student000_complete``, ``student001_blank``, ...)."""
    course = make_course(folder)
    generate_release(course)
    samples = list(sample_submissions(course).items())
    for number in range(count):
        kind, notebook = samples[number % len(samples)]
        submit(course, f"student{number:03d}_{kind}", notebook)
    return course


def run_command(command, cwd):
    """Wall-clock seconds of a whole command, start-up included; it must succeed.

    (Not CPU seconds: getrusage of the children missed most of the kernels'
    time here, the sandboxed kernels being no children waited for.)
    """
    env = tool_environment()
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    started = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{process.stderr[-3000:]}")
    return seconds


def bare_run(notebook, folder):
    """Seconds for nbclient alone: start a kernel in ``folder``, run every cell, stop."""
    client = NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=120,
                            resources={"metadata": {"path": str(folder)}})
    started = time.perf_counter()
    client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # the kernel's own chatter
    return time.perf_counter() - started


def one_cell():
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    return notebook


def compare_course(base, work, jobs):
    """Sequential nbgrader autograde against the parallel grader, on copies of ``base``."""
    sequential = shutil.copytree(base, work / "sequential")
    parallel = shutil.copytree(base, work / "parallel")
    count = len(submitted_students(base, ASSIGNMENT))
    print(f"\n1. grading {count} submissions (load average before: {load_average()})")
    seq = run_command([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], sequential)
    print(f"   nbgrader autograde (sequential):      {seq:6.1f} s  = {seq / count:.2f} s per submission")
    par = run_command([sys.executable, "-m", "grading.parallel", ASSIGNMENT, "--jobs", str(jobs),
                       "--no-progress"], parallel)
    print(f"   python -m grading.parallel --jobs {jobs}:  {par:6.1f} s  "
          f"= {par * jobs / count:.2f} s per submission per worker")
    load = os.getloadavg()[0]
    busy = " (more than this run's own workers: other work was taking the cores)" if load > jobs + 1 else ""
    print(f"   load average after: {load_average()}{busy}")
    same = (cell_scores(f"sqlite:///{sequential / 'gradebook.db'}")
            == cell_scores(f"sqlite:///{parallel / 'gradebook.db'}"))
    print(f"   same per-cell scores in both gradebooks: {same}")
    print(f"   speed-up: {seq / par:.2f}x   (goal: >= 2x on 2 cores)")
    return seq / par


def compare_submission(base, work, per_kind):
    """A warm worker's cost per submission against a bare nbclient run of the same notebooks."""
    course = shutil.copytree(base, work / "per-submission")
    students = submitted_students(course, ASSIGNMENT)[: 4 * per_kind]
    print(f"\n2. one submission (load average before: {load_average()})")
    # (the worker sends its kernels' start-up banners to /dev/null itself)
    outcomes = grade(course, ASSIGNMENT, students, jobs=1, progress=False)
    kit = [outcome.seconds for outcome in outcomes[1:]]  # the first pays the worker's warm-up
    bare = []
    for student in students[1:]:
        folder = course / "submitted" / student / ASSIGNMENT
        bare.append(bare_run(nbformat.read(folder / f"{NOTEBOOK}.ipynb", as_version=4), folder))
    print(f"   {len(kit)} submissions, one worker, mean (load average after: {load_average()})")
    print(f"   grading.parallel worker (sanitize, execute, save grades): {statistics.mean(kit):.2f} s")
    print(f"   bare nbclient run of the same notebook:                   {statistics.mean(bare):.2f} s")
    ratio = statistics.mean(kit) / statistics.mean(bare)
    print(f"   ratio: {ratio:.2f}x   (goal: <= 1.2x)")
    return ratio


def compare_notebook(base, repeat):
    """Run All of the solution-filled student notebook against a kernel start plus one cell."""
    folder = base / "release" / ASSIGNMENT
    student = sample_submissions(base)["complete"]
    print(f"\n3. the student notebook, solutions filled in, Run All with nbclient (median of {repeat}; "
          f"load average before: {load_average()})")
    full = [bare_run(student, folder) for _ in range(repeat)]
    empty = [bare_run(one_cell(), folder) for _ in range(repeat)]
    print(f"   Run All:                        {statistics.median(full):.2f} s")
    print(f"   kernel start + one cell + stop: {statistics.median(empty):.2f} s")
    print(f"   ratio: {statistics.median(full) / statistics.median(empty):.2f}x   "
          f"(load average after: {load_average()})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="parallel workers (default: grading.parallel's, one more than the cores)")
    parser.add_argument("--per-kind", type=int, default=3,
                        help="submissions of each sample for the per-submission comparison")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the notebook comparison")
    arguments = parser.parse_args(argv)
    os.environ["PATH"] = tool_environment()["PATH"]  # alembic and kernels from this venv
    print(f"{os.cpu_count()} cores; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as scratch:
        work = Path(scratch)
        base = build_course(work / "base", arguments.submissions)
        compare_course(base, work, arguments.jobs)
        compare_submission(base, work, arguments.per_kind)
        compare_notebook(base, arguments.repeat)


if __name__ == "__main__":
    main()
