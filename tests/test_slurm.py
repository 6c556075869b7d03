"""The course graded by ``deploy/slurm/grade.sbatch`` on a real Slurm cluster.

A one-node cluster (``slurm_cluster``: slurmctld, slurmd and munged on loopback,
from a scratch folder) and a PostgreSQL gradebook (``postgres_server``) run for
this module. A scratch course gets the four samples in turn, seven times, and
the problem submissions of ``PROBLEMS`` (a file that is not JSON, a kernel that
exits, shadowing packages, a monkey-patched numpy, a test cell whose metadata
says it is an answer, which the kit restores and grades, and one whose
``autograded/`` folder nbgrader cannot write, which it stops on). The job
script, exactly as committed, runs as a 3-task array (``--shard 0/3`` ...
``2/3``); one task is cancelled with ``scancel`` once it has graded some of its
students but not all, and submitted again on its own. An identical copy of the
course is graded by sequential ``nbgrader autograde`` into SQLite meanwhile.

How double grading would show: each task's log has one ``graded <student>``
line per grading nbgrader finished (``grading.parallel`` prints it when the
converter returns), so across the logs of all tasks, the cancelled one and
its resubmission included, every student must appear exactly once; and,
independently of those logs, the autograded notebooks (with nbclient's
execution timestamps inside) of the students graded before the cancel must
be byte for byte the same after the resubmission.
"""

import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from adversarial_cases import CASES, build
from postgres_server import postgres_database
from slurm_cluster import SlurmCluster, require_slurm

from course_constants import ASSIGNMENT, COURSE_ID, NOTEBOOK, ROOT
from grading.parallel import in_shard
from scaffold.course import (
    block_autograded,
    generate_release,
    make_course,
    nbgrader,
    submit,
    tool_environment,
)
from scaffold.scores import cell_scores
from scaffold.submissions import release_notebook, sample_submissions, solution_answers, source_notebook

# A Slurm cluster and a PostgreSQL server (installed when missing) grading a whole course.
pytestmark = [pytest.mark.system, pytest.mark.slow]

SCRIPT = ROOT / "deploy" / "slurm" / "grade.sbatch"
SHARDS = 3
SAMPLE_COPIES = 7  # 4 samples x 7 = 28, plus the problem submissions below
#: The submission nbgrader itself cannot grade: its autograded/<student> is a file where
#: nbgrader makes the student's folder (tampered metadata no longer stops it: the kit's
#: RestoreKnownCells grades such a notebook as released).
UNGRADABLE = "zz_unwritable"
#: An adversarial case: a complete submission with a test cell flagged as an answer.
TAMPERED = "m_test_flagged_solution"
# Problem submissions and what the job's log must say about each.
PROBLEMS = {
    "k_invalid_json": "not a readable notebook",
    "k_kernel_exit": "KernelDied",
    "f_shadow_packages": "removed submitted",
    "f_patch_isclose_abs": "had replaced",
    TAMPERED: "restored",  # a test cell flagged as an answer, put back as released
    UNGRADABLE: "NotADirectoryError",
}


@pytest.fixture(scope="module")
def cluster():
    require_slurm()
    with SlurmCluster(cpus=2) as running:
        yield running


@pytest.fixture(scope="module")
def gradebook_url():
    with postgres_database() as url:
        yield url


def make_submissions(course):
    """The four samples in turn, ``SAMPLE_COPIES`` times, then the problem submissions."""
    samples = list(sample_submissions(course).items())
    students = []
    for number in range(SAMPLE_COPIES * len(samples)):
        kind, notebook = samples[number % len(samples)]
        students.append(f"s{number:02d}_{kind}")
        submit(course, students[-1], notebook)
    solutions, release = solution_answers(source_notebook(course)), release_notebook(course)
    cases = {case.name: case for case in CASES}
    for name in PROBLEMS:
        if name == UNGRADABLE:
            # (a corrupt timestamp.txt no longer stops a submission: grading.safe_copy ignores it)
            submit(course, name, samples[0][1])
            block_autograded(course, name)
        else:
            build(course, cases[name], solutions, release)
        students.append(name)
    return students


def log_blocks(text):
    """``{student: [(heading, notices)]}`` from a grading.parallel log: one
    entry per ``graded <student> in ...`` or ``FAILED <student>`` heading."""
    blocks = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"(graded (\S+) in [\d.]+ s|FAILED (\S+))$", line)
        if match:
            current = (match.group(1), [])
            blocks.setdefault(match.group(2) or match.group(3), []).append(current)
        elif line.startswith("  ") and current is not None:
            current[1].append(line.strip())
        else:
            current = None
    return blocks


def graded_once(blocks):
    """Students with a finished grading in ``blocks``, as {student: count}."""
    return {student: sum(heading.startswith("graded ") for heading, _ in entries)
            for student, entries in blocks.items()}


def autograded_digests(course, students):
    return {student: hashlib.sha256(
        (course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes()).hexdigest()
        for student in students}


class Run:
    """What happened, for the tests to read."""


@pytest.fixture(scope="module")
def run(cluster, gradebook_url, tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("slurm") / "course")
    generate_release(course)
    students = make_submissions(course)
    reference = Path(shutil.copytree(course, course.parent / "sqlite-reference"))
    (course / "gradebook.db").unlink()  # this copy grades into PostgreSQL only
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", f"--db={gradebook_url}")

    shards = {index: [s for s in students if in_shard(s, index, SHARDS)] for index in range(SHARDS)}
    # Two of the three 1-core tasks run at once on the 2 cores; cancel the
    # larger of those two, so there is time to catch it half-way.
    victim = max((0, 1), key=lambda index: len(shards[index]))
    assert len(shards[victim]) >= 6, shards

    logs = cluster.root / "jobs"
    job_env = {"COURSE": str(course), "GRADEBOOK_URL": gradebook_url, "SHARDS": str(SHARDS),
               "PYTHON": sys.executable}
    options = ["--cpus-per-task=1", "--mem=2G", "--time=00:20:00", f"--output={logs}/grade-%A_%a.out"]
    sequential = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
                                  cwd=reference, env=tool_environment(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
    try:
        job = cluster.sbatch(SCRIPT, f"--array=0-{SHARDS - 1}", *options, env=job_env)
        victim_log = logs / f"grade-{job}_{victim}.out"
        deadline = time.monotonic() + 600
        while True:
            text = victim_log.read_text() if victim_log.exists() else ""
            if any(graded_once(log_blocks(text)).values()):
                break
            assert time.monotonic() < deadline, f"task {victim} graded nobody:\n{text}"
            assert cluster.queue(f"{job}_{victim}"), f"task {victim} ended before it was cancelled:\n{text}"
            time.sleep(0.2)
        cluster.command("scancel", f"{job}_{victim}")
        cluster.wait(job, 900)
        first_states = cluster.states(job)
        first_logs = {index: (logs / f"grade-{job}_{index}.out").read_text() for index in range(SHARDS)}
        before_cancel = sorted(s for s, count in graded_once(log_blocks(first_logs[victim])).items() if count)
        digests_before = autograded_digests(course, before_cancel)

        again = cluster.sbatch(SCRIPT, f"--array={victim}", *options, env=job_env)
        cluster.wait(again, 900)
        second_states = cluster.states(again)
        second_log = (logs / f"grade-{again}_{victim}.out").read_text()
        _, sequential_err = sequential.communicate(timeout=900)
    finally:
        if sequential.poll() is None:
            sequential.kill()
            sequential.communicate()

    result = Run()
    result.__dict__.update(
        course=course, reference=reference, students=students, shards=shards, victim=victim,
        first_states=first_states, first_logs=first_logs, second_states=second_states,
        second_log=second_log, before_cancel=before_cancel, digests_before=digests_before,
        sequential_returncode=sequential.returncode, sequential_err=sequential_err)
    return result


def all_blocks(run):
    blocks = {}
    for text in [*run.first_logs.values(), run.second_log]:
        for student, entries in log_blocks(text).items():
            blocks.setdefault(student, []).extend(entries)
    return blocks


def test_the_array_ran_and_one_task_was_cancelled_half_way(run):
    assert set(run.first_states) == set(range(SHARDS)), run.first_states
    assert run.first_states[run.victim][0] == "CANCELLED", run.first_states
    assert 0 < len(run.before_cancel) < len(run.shards[run.victim]), (run.before_cancel, run.shards)
    for index, (state, _) in run.first_states.items():
        if index != run.victim:
            # the task holding the submission nbgrader cannot grade reports it by failing
            expected = "FAILED" if UNGRADABLE in run.shards[index] else "COMPLETED"
            assert state == expected, (index, run.first_states, run.first_logs[index][-3000:])
    expected = "FAILED" if UNGRADABLE in run.shards[run.victim] else "COMPLETED"
    assert list(run.second_states) == [run.victim]
    assert run.second_states[run.victim][0] == expected, (run.second_states, run.second_log[-3000:])


def test_every_student_is_graded_exactly_once_across_all_runs(run):
    counts = graded_once(all_blocks(run))
    gradable = [s for s in run.students if s != UNGRADABLE]
    assert {s: counts.get(s, 0) for s in gradable} == dict.fromkeys(gradable, 1)
    assert counts.get(UNGRADABLE, 0) == 0
    # and each task graded only its own slice
    for index, text in run.first_logs.items():
        assert set(log_blocks(text)) <= set(run.shards[index]), index
    assert set(log_blocks(run.second_log)) <= set(run.shards[run.victim])


def test_the_resubmitted_task_skipped_what_was_done_and_redid_what_was_cut_off(run):
    assert f"skipping {len(run.before_cancel)} students already graded" in run.second_log, run.second_log
    regraded = graded_once(log_blocks(run.second_log))
    assert not set(regraded) & set(run.before_cancel)
    cut_off = [student for student, entries in log_blocks(run.second_log).items()
               if any("was cut off half-way" in notice for _, notices in entries for notice in notices)]
    assert cut_off, f"no student was reported as cut off:\n{run.second_log}"
    assert not set(cut_off) & set(run.before_cancel)
    assert not list((run.course / ".grading-in-progress" / ASSIGNMENT).iterdir())
    # Independent of the logs: what was graded before the cancel was not rewritten.
    assert autograded_digests(run.course, run.before_cancel) == run.digests_before


def test_scores_equal_sequential_nbgrader_autograde(run, gradebook_url):
    assert run.sequential_returncode != 0 and UNGRADABLE in run.sequential_err
    expected = cell_scores(f"sqlite:///{run.reference / 'gradebook.db'}", COURSE_ID)
    # nbgrader stops on the ungradable submission before it records the student: no rows
    assert set(expected) == set(run.students) - {UNGRADABLE}
    # the tampered one (a complete submission) is graded as released: s00_complete's scores
    assert run.students[0] == "s00_complete" and expected[TAMPERED] == expected["s00_complete"]
    assert cell_scores(gradebook_url, COURSE_ID) == expected
    totals = {s: sum(score for score, _ in expected[s].values()) for s in expected}
    assert len({totals[s] for s in expected if s.startswith("s0")}) == 4  # the samples differ


def test_every_student_has_feedback(run):
    for student in set(run.students) - {UNGRADABLE}:
        assert (run.course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").is_file(), student


def test_the_logs_name_each_problem_submission_and_why(run):
    blocks = all_blocks(run)

    def notices(student):
        return [notice for _, found in blocks.get(student, []) for notice in found]

    for student, reason in PROBLEMS.items():
        assert any(reason in notice for notice in notices(student)), (student, blocks.get(student))
    assert [heading for heading, _ in blocks[UNGRADABLE]][0] == f"FAILED {UNGRADABLE}"
    clean = [s for s in run.students if s not in PROBLEMS]
    noisy = {s: notices(s) for s in clean
             if [notice for notice in notices(s) if "cut off half-way" not in notice]}
    assert not noisy, "samples with nothing wrong were reported as problems"
