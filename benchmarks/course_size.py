"""How grading a whole course grows with its size: 40, 200 and 800 submissions.

Each course holds the demo's four samples in turn (``student000_complete``,
``student001_blank``, ...) and is graded by ``python -m grading.parallel``
as a whole command, with its default workers, while a sampler reads the
memory of the command's whole process tree (the grader, its workers, their
sandboxed kernels) from /proc every quarter second.  Printed: wall time,
submissions per second, seconds per submission against the smallest course
and per extra submission since the previous size (flat means the cost per
submission does not grow with the course), peak
memory (RSS summed over the tree, which counts shared libraries once per
process, and PSS, which shares them out), and the load average before and
after each run.  A plot of time and memory against course size is saved
(``docs/images/course_size.png`` by default: ``docs/scaling.md`` shows it, so
a run on an idle machine regenerates the committed figure).

Not a test: timings depend on the machine and on whatever else runs on it.
Run from the repository root::

    .venv/bin/python -m benchmarks.course_size [--sizes 40 200 800] [--jobs N] [--plot PATH]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.grading_speed import build_course, load_average
from course_constants import ASSIGNMENT, ROOT
from grading.parallel import default_jobs
from scaffold.course import tool_environment

PLOT = ROOT / "docs" / "images" / "course_size.png"
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- memory of a process tree

def children_map():
    """``{parent pid: [child pids]}`` for every process in /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                # the name (field 2) may hold spaces and parentheses: split after its last ")"
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree(root):
    """``root`` and every process descended from it (kernels in bwrap included:
    their host pids still descend from the grader)."""
    children, found, stack = children_map(), [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def memory(pid):
    """(RSS, PSS) of one process in bytes; (0, 0) if it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            rss = int(handle.read().split()[1]) * PAGE
        pss = 0
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
        return rss, pss
    except (OSError, ValueError, IndexError):
        return 0, 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process tree until stopped; keeps the peaks."""

    def __init__(self, pid, interval=0.25):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = 0
        self.peak_processes = 0
        self.finished = threading.Event()

    def run(self):
        while not self.finished.wait(self.interval):
            pids = tree(self.pid)
            sizes = [memory(pid) for pid in pids]
            self.peak_rss = max(self.peak_rss, sum(rss for rss, _ in sizes))
            self.peak_pss = max(self.peak_pss, sum(pss for _, pss in sizes))
            self.peak_processes = max(self.peak_processes, len(pids))

    def stop(self):
        self.finished.set()
        self.join()


# ---------------------------------------------------------------- one course

@dataclass
class Measurement:
    submissions: int
    seconds: float
    peak_rss: int
    peak_pss: int
    processes: int
    load_before: str
    load_after: str

    @property
    def per_second(self):
        return self.submissions / self.seconds


def grade_course(course, jobs):
    """Grade ``course`` with ``python -m grading.parallel``; its wall time and memory."""
    env = tool_environment()
    command = [sys.executable, "-m", "grading.parallel", ASSIGNMENT, "--no-progress", "--jobs", str(jobs)]
    count = sum(1 for _ in (course / "submitted").iterdir())
    load_before = load_average()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.DEVNULL, stderr=log)
        sampler = TreeSampler(process.pid)
        sampler.start()
        process.wait()
        seconds = time.perf_counter() - started
        sampler.stop()
        log.seek(0)
        text = log.read()
    if process.returncode != 0 or f"graded {count} of {count} submissions" not in text:
        raise SystemExit(f"grading {count} submissions failed ({process.returncode}):\n{text[-3000:]}")
    return Measurement(count, seconds, sampler.peak_rss, sampler.peak_pss, sampler.peak_processes,
                       load_before, load_average())


# ---------------------------------------------------------------- report

def table(measurements, jobs):
    """One row per course size.  ``vs first``: seconds per submission against the
    smallest course (below 1 as the workers' start-up spreads over more
    submissions); ``marginal``: seconds per extra submission since the previous
    size, the steady rate once the workers are warm."""
    base = measurements[0]
    lines = [f"grading.parallel, {jobs} workers, {os.cpu_count()} cores",
             "submissions   wall s   subm./s   s/subm.   vs first   marginal   peak RSS (tree)   "
             "peak PSS   processes   load before -> after"]
    previous = None
    for m in measurements:
        per = m.seconds / m.submissions
        marginal = (f"{(m.seconds - previous.seconds) / (m.submissions - previous.submissions):8.3f}"
                    if previous else f"{'-':>8}")
        lines.append(f"{m.submissions:11d}   {m.seconds:6.1f}   {m.per_second:7.2f}   {per:7.3f}   "
                     f"{per / (base.seconds / base.submissions):7.2f}x   {marginal}   "
                     f"{m.peak_rss / 2**20:12.0f} MB   {m.peak_pss / 2**20:5.0f} MB   {m.processes:9d}   "
                     f"{m.load_before} -> {m.load_after}")
        previous = m
    return "\n".join(lines)


def plot(measurements, jobs, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [m.submissions for m in measurements]
    base = measurements[0]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [m.seconds for m in measurements], "o-", label="measured")
    left.plot(sizes, [base.seconds / base.submissions * n for n in sizes], "--", color="grey",
              label=f"linear from {base.submissions}")
    left.set(xlabel="submissions", ylabel="wall time (s)",
             title=f"grading.parallel, {jobs} workers on {os.cpu_count()} cores")
    left.legend()
    right.plot(sizes, [m.peak_pss / 2**20 for m in measurements], "o-", label="PSS (shared pages split)")
    right.plot(sizes, [m.peak_rss / 2**20 for m in measurements], "s--",
               label="RSS (shared counted per process)")
    right.set(xlabel="submissions", ylabel="peak memory of the process tree (MB)", ylim=(0, None),
              title="memory: grader + workers + kernels")
    right.legend()
    loads = ", ".join(f"{m.load_before}" for m in measurements)
    figure.text(0.01, 0.01, f"load average before each run: {loads}", fontsize=7, color="grey")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 200, 800])
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="grading workers (default: grading.parallel's, one more than the cores)")
    parser.add_argument("--plot", type=Path, default=PLOT, help=f"where to save the plot (default: {PLOT})")
    arguments = parser.parse_args(argv)
    os.environ["PATH"] = tool_environment()["PATH"]  # alembic and kernels from this venv
    print(f"{os.cpu_count()} cores; Python {sys.version.split()[0]}; load average {load_average()}")
    measurements = []
    with tempfile.TemporaryDirectory(prefix="course-size-") as scratch:
        for size in sorted(arguments.sizes):
            course = build_course(Path(scratch) / f"course-{size}", size)
            measurements.append(grade_course(course, arguments.jobs))
            m = measurements[-1]
            print(f"  {size} submissions: {m.seconds:.1f} s, {m.per_second:.2f}/s, peak "
                  f"{m.peak_pss / 2**20:.0f} MB PSS (load {m.load_before} -> {m.load_after})", flush=True)
    print()
    print(table(measurements, arguments.jobs))
    plot(measurements, arguments.jobs, arguments.plot)
    print(f"\nplot saved: {arguments.plot}")


if __name__ == "__main__":
    main()
