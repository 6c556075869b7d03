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
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from adversarial_cases import (
    ALL_TESTS,
    CASES,
    EX1,
    EX2,
    EX3,
    EX4,
    HOSTILE_CASE,
    LINKS_BESIDE,
    METADATA_CASES,
    T4,
    T5,
    Case,
    build,
    hostile_case,
)
from demo_expectations import LOST, total
from system_packages import ensure, python_every_user_can_run, skip_or_fail

from course_constants import ASSIGNMENT, NOTEBOOK
from deploy.hub.install import SetupError
from grading import pids, sandbox
from grading.cells import cell_by_id, grade_id, is_graded
from grading.kernel_guard import landlock_abi
from grading.preprocessors import GuardedExecute
from grading.preprocessors.known_cells import NOTE_ID
from scaffold.course import NBGRADER, generate_release, make_course, nbgrader
from scaffold.course import submit as place
from scaffold.scores import cell_scores
from scaffold.submissions import fill, release_notebook, sample_submissions, solution_answers, source_notebook

# nbgrader grades a whole course of submissions in every test; the batch's (session fixture)
# installs bubblewrap when missing: those tests are `system` too.
pytestmark = pytest.mark.slow

DEMO_TOTALS = {student: total(student) for student in LOST}
# Fast enough for a test: the notebook runs in about a second, so 10 s means a hung cell
# (with room for a loaded CI machine).
TEST_CONFIG = "\nc.Execute.timeout = 10\nc.GuardedExecute.probe_timeout = 5\n"
HIDDEN_SNIPPETS = ("_calls.clear()", "_cubic_steps(_P, _eps)",
                   "backward_propagation = lambda x, theta: 4 * x * theta", "_quadratic_case()")


def why_no_sandbox():
    """Install Debian's bubblewrap when missing; the reason if the sandbox cannot run."""
    why = ensure("bubblewrap")
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
    """{relative path: sha256 of a file, or the target of a link} of everything under
    ``root``, links not followed."""
    root, found = Path(root), {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                found[str(path.relative_to(root))] = "-> " + os.readlink(path)
            elif stat.S_ISREG(mode):
                found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


CANARY = "the instructor's canary\n"


class Batch:
    pass


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    result = Batch()
    result.no_sandbox = why_no_sandbox()
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

    (course / "canary.txt").write_text(CANARY)
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

@pytest.mark.system
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


@pytest.mark.system
@pytest.mark.parametrize("student,total", sorted(DEMO_TOTALS.items()))
def test_demo_students_keep_their_scores(batch, student, total):
    assert sum(score for score, _ in batch.scores[student].values()) == total


@pytest.mark.system
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_scores(batch, case):
    got = {cell: score for cell, (score, _) in batch.scores[case.name].items()}
    points = {cell: top for cell, (_, top) in batch.scores[case.name].items()}
    assert set(got) == set(ALL_TESTS)
    assert got == case.expected(points)


@pytest.mark.system
def test_no_grade_is_left_for_manual_grading(batch):
    db = sqlite3.connect(batch.course / "gradebook.db")
    flagged = db.execute("SELECT count(*) FROM grade WHERE needs_manual_grade = 1").fetchone()[0]
    assert flagged == 0


# --- faults: one clear line each, bounded output --------------------------------------------

@pytest.mark.system
@pytest.mark.parametrize("student,words", [
    ("k_kernel_exit", "KernelDied"),
    ("k_loop_ignores_interrupt", "ignored the interrupt"),
    ("k_output_flood", "output cut to"),
    ("f_test_deleted", "restored deleted test cell " + T4),
    ("r_given_code_deleted", "restored deleted read-only cell forward_propagation_n"),
    ("r_answer_deleted", "answer cell ex1_forward_propagation was deleted"),
    ("m_test_renamed", f"test cell {T4}: grade_id 'my_test'"),
    ("m_test_flagged_solution", "solution True instead of False, points 10 instead of 2"),
    ("m_points_changed", "points 100 instead of 1"),
    ("m_test_to_markdown", "a markdown cell instead of code"),
    ("m_answer_flagged_locked", f"answer cell {EX4}: locked True instead of False"),
    ("m_cells_reordered", "moved back to its place"),
    ("m_cell_moved_to_end", f"answer cell {EX1} moved back to its place"),
    ("m_metadata_deleted", "no nbgrader metadata"),
    ("l_notebook_links_to_source", "symbolic link to '../../../source/gradient_checking/"),
    ("l_notebook_hard_link", "the instructor's own file under another name"),
    ("l_folder_is_link", "'l_folder_is_link/gradient_checking' is a symbolic link"),
    ("l_links_beside", "not copied: 'pipe', a named pipe"),
    ("d_disk_filler", "No space left on device: the notebook reached its disk cap"),
    ("f_shadow_packages", "removed submitted 'public_tests'"),
    ("f_own_messages", "removed submitted 'messages.mo'"),
    ("f_patch_isclose_abs", "builtins.abs"),
    ("f_patch_norm", "numpy.linalg.norm"),
])
def test_instructor_gets_a_line_per_problem(batch, student, words):
    lines = [line for line in batch.log.splitlines() if f"[grading] {student}/" in line and words in line]
    assert lines, f"no [grading] line for {student} mentioning {words!r}"


@pytest.mark.system
@pytest.mark.parametrize("student", ["k_invalid_json", "k_not_a_notebook"])
def test_unreadable_notebook_is_reported_and_scored(batch, student):
    assert any(f"submitted/{student}/" in line and "not a readable notebook" in line
               for line in batch.log.splitlines())
    notebook = autograded(batch, student)
    assert "could not be read as a notebook" in notebook.cells[0].source


@pytest.mark.system
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

@pytest.mark.system
def test_replaced_helper_is_overwritten(batch):
    folder = batch.course / "autograded" / "f_helper_replaced" / ASSIGNMENT
    source = batch.course / "source" / ASSIGNMENT
    assert (folder / "public_tests.py").read_bytes() == (source / "public_tests.py").read_bytes()
    assert "REPLACED" not in all_output_text(autograded(batch, "f_helper_replaced"))


@pytest.mark.system
def test_shadowing_packages_are_removed(batch):
    folder = batch.course / "autograded" / "f_shadow_packages" / ASSIGNMENT
    for package in ("public_tests", "gc_utils", "gradient_checker"):
        assert not (folder / package).exists()
    assert (folder / "test.csv").is_file()
    assert "SHADOW" not in all_output_text(autograded(batch, "f_shadow_packages"))
    # the student's own submitted folder is left as it was handed in
    assert (batch.course / "submitted" / "f_shadow_packages" / ASSIGNMENT / "gc_utils").is_dir()


@pytest.mark.system
def test_submitted_messages_are_removed(batch):
    """The messages a student reads in grading are the release's (English here), never a
    catalogue the submission brought."""
    folder = batch.course / "autograded" / "f_own_messages" / ASSIGNMENT
    assert not (folder / "messages.mo").exists()
    text = all_output_text(autograded(batch, "f_own_messages"))
    assert "OWN MESSAGES" not in text
    assert "which is theta + x: the cost is the product theta * x." in text
    assert (batch.course / "submitted" / "f_own_messages" / ASSIGNMENT / "messages.mo").is_file()


# --- confinement ----------------------------------------------------------------------------

@pytest.mark.system
def test_nothing_outside_the_submissions_changes(batch):
    assert batch.after["source"] == batch.before["source"]
    assert batch.after["release"] == batch.before["release"]
    assert batch.after["submitted"] == batch.before["submitted"]
    db = sqlite3.connect(batch.course / "gradebook.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.system
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
    # ... while its own folder is writable for the run (a tmpfs: nothing reaches the disk),
    # and its answers are graded as usual.
    assert "write own folder: DONE" in report
    folder = batch.course / "autograded" / HOSTILE_CASE.name / ASSIGNMENT
    assert not (folder / "my_notes.txt").exists()
    assert sum(score for score, _ in batch.scores[HOSTILE_CASE.name].values()) == 10


@pytest.mark.system
def test_links_made_by_the_kernel_reach_nothing(batch):
    """The hostile kernel replaced its notebook by a link to a file outside; nbgrader
    then writes the graded notebook and chmods every file: through the link, the
    canary would be overwritten or made read-only."""
    if batch.no_sandbox:
        skip_or_fail(f"no sandbox here: {batch.no_sandbox}")
    assert "link own folder to a canary: DONE" in all_output_text(autograded(batch, HOSTILE_CASE.name))
    canary = batch.course / "canary.txt"
    assert canary.read_text() == CANARY
    assert stat.S_IMODE(canary.stat().st_mode) == 0o644
    folder = batch.course / "autograded" / HOSTILE_CASE.name / ASSIGNMENT
    assert stat.S_ISREG(os.lstat(folder / f"{NOTEBOOK}.ipynb").st_mode)
    assert not os.path.lexists(folder / "canary_link.txt")


# --- links in submissions -------------------------------------------------------------------

def links_below(folder):
    return [os.path.join(root, name) for root, dirs, files in os.walk(folder)
            for name in dirs + files if os.path.islink(os.path.join(root, name))]


@pytest.mark.system
def test_no_link_reaches_an_autograded_folder(batch):
    links = links_below(batch.course / "autograded")
    assert links == []


@pytest.mark.system
def test_links_beside_the_notebook_are_not_followed(batch):
    name = "l_links_beside"
    folder = batch.course / "autograded" / name / ASSIGNMENT
    for relative in LINKS_BESIDE:
        assert not os.path.lexists(folder / relative), relative
    assert not os.path.lexists(folder / "pipe")
    assert (folder / "notes.txt").read_text() == "my own notes\n"
    assert (folder / "sub" / "deeper" / "data.txt").is_file()
    output = output_of(autograded(batch, name), EX2)
    assert "LINK READ notes.txt" in output
    assert re.findall(r"LINK READ (\S+)", output) == ["notes.txt"], output
    for relative in LINKS_BESIDE:     # one line per link, saying where it pointed
        target = LINKS_BESIDE[relative].format(course=batch.course)
        line = f"[grading] {name}/{NOTEBOOK}: not copied: symbolic link {relative!r} -> {target!r}"
        assert line in batch.log, line
    notes = [c.source for c in autograded(batch, name).cells if "were not copied for grading" in c.source]
    assert len(notes) == 1 and "/etc/passwd" in notes[0] and "named pipe" in notes[0]


@pytest.mark.system
@pytest.mark.parametrize("student,reason", [
    ("l_notebook_links_to_source", "it is a symbolic link to '../../../source/gradient_checking/"),
    ("l_notebook_hard_link", "it is the instructor's own file under another name"),
    ("l_folder_is_link", "is a symbolic link to '../c_float/gradient_checking'"),
])
def test_a_linked_notebook_is_graded_as_empty(batch, student, reason):
    notebook = autograded(batch, student)
    assert "could not be read as a notebook" in notebook.cells[0].source
    assert reason in notebook.cells[0].source


@pytest.mark.system
def test_no_hidden_test_text_in_any_output(batch):
    """Outputs and feedback of every student: no hidden test, however the
    submission tried to reach one (links, reading the graded notebook)."""
    for student in batch.scores:
        # The instructor's autograded copy keeps tracebacks of the test cells (they quote
        # hidden tests); what the student's own cells print must not hold any.
        notebook = autograded(batch, student)
        notebook.cells = [cell for cell in notebook.cells if not is_graded(cell)]
        outputs = all_output_text(notebook)
        feedback = (batch.course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
        for snippet in HIDDEN_SNIPPETS:
            assert snippet not in outputs, (student, snippet)
            assert snippet not in feedback, (student, snippet)
            assert snippet.replace(">", "&gt;") not in feedback, (student, snippet)
    assert "NOTEBOOK" not in output_of(autograded(batch, "d_reads_graded_notebook"), EX1)


# --- processes and disk ---------------------------------------------------------------------

def output_of(notebook, wanted):
    return "".join(str(o.get("text", "")) for o in cell_by_id(notebook, wanted).get("outputs", []))


CAP = GuardedExecute.process_limit.default_value


@pytest.mark.system
@pytest.mark.parametrize("student,cell,kind", [
    ("p_fork_bomb", EX1, "forks"), ("p_thread_bomb", EX2, "threads"), ("p_popen_bomb", EX3, "processes"),
])
def test_process_bombs_stop_at_the_cap(batch, student, cell, kind):
    try:
        pids.available()
    except pids.Unavailable as error:
        if os.geteuid() == 0 or batch.no_sandbox:
            skip_or_fail(f"no process cap here: {error}")
    output = output_of(autograded(batch, student), cell)
    got = int(re.search(rf"BOMB {kind} (\d+)", output).group(1))
    print(f"\n{student}: {got} {kind} started under a cap of {CAP} processes and threads")
    assert "BOMB refused" in output, output
    assert 0 < got < CAP
    assert f"[grading] {student}/{NOTEBOOK}: the kernel reached its cap of {CAP}" in batch.log


@pytest.mark.system
def test_no_process_outlives_grading(batch):
    left = []
    for proc in Path("/proc").iterdir():
        try:
            comm = (proc / "comm").read_text().strip()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if comm == "gcbomb" or cmdline == b"sleep\x00613\x00":
            left.append(proc.name)
    assert left == []
    try:
        _, base = pids.available()
    except pids.Unavailable:
        return
    # Groups are named after the grader that made them; a finished grader leaves none
    # (another run on this machine may still be grading).
    groups = base.glob(f"{pids.GROUP_PREFIX}*")
    owners = [group.name[len(pids.GROUP_PREFIX):].split("-")[0] for group in groups]
    assert [owner for owner in owners if not os.path.exists(f"/proc/{owner}")] == []


@pytest.mark.system
def test_disk_writes_are_capped_in_all(batch):
    if batch.no_sandbox:
        skip_or_fail(f"no sandbox here: {batch.no_sandbox}")
    limit = GuardedExecute.disk_limit.default_value
    output = output_of(autograded(batch, "d_disk_filler"), EX1)
    files = int(re.search(r"DISK files (\d+)", output).group(1))
    assert "No space left on device" in output
    assert 0 < files * 60 * 1024 ** 2 <= limit
    assert "DISK /tmp 1 then No space left on device" in output
    assert "DISK /dev/shm 0 then No space left on device" in output
    for folder in ("/", "/dev", "/run/grading/seed"):
        assert f"DISK {folder} 0 then Read-only file system" in output
    assert "DISK socket folder refused" in output
    folder = batch.course / "autograded" / "d_disk_filler" / ASSIGNMENT
    assert not list(folder.glob("fill*.bin"))
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) < limit


# --- deleted cells --------------------------------------------------------------------------

@pytest.mark.system
def test_deleted_read_only_cells_are_back_in_their_place(batch):
    source = [grade_id(c) for c in nbformat.read(str(batch.course / "source" / ASSIGNMENT /
                                                      f"{NOTEBOOK}.ipynb"), 4).cells]
    for student in ("f_test_deleted", "r_all_tests_deleted", "r_given_code_deleted"):
        cells = autograded(batch, student).cells
        assert [grade_id(c) for c in cells if grade_id(c)] == source, student
        for index, cell in enumerate(cells):
            if cell.cell_type == "code" and "was missing from this submission" in cells[index - 1].source:
                assert f"`{grade_id(cell)}`" in cells[index - 1].source
    feedback = (batch.course / "feedback" / "f_test_deleted" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    assert "was missing from this submission" in feedback


# --- tampered metadata ----------------------------------------------------------------------

@pytest.mark.system
@pytest.mark.parametrize("case", METADATA_CASES, ids=[case.name for case in METADATA_CASES])
def test_tampered_cells_are_graded_as_released(batch, case):
    """Every known cell back in source/'s order with the gradebook's metadata, one note at the
    top saying what was changed, and the maximum score unchanged."""
    source = nbformat.read(str(batch.course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), 4)
    release = {grade_id(c): c for c in release_notebook(batch.course).cells}
    cells = autograded(batch, case.name).cells
    assert [grade_id(c) for c in cells if grade_id(c)] == [grade_id(c) for c in source.cells if grade_id(c)]
    for cell in cells:
        if grade_id(cell):
            theirs = release[grade_id(cell)]
            assert cell.cell_type == theirs.cell_type, grade_id(cell)
            assert ({k: v for k, v in cell.metadata.nbgrader.items() if k != "checksum"}
                    == {k: v for k, v in theirs.metadata.nbgrader.items() if k != "checksum"}), grade_id(cell)
    assert cells[0].get("id") == NOTE_ID and "The grader put them back" in cells[0].source
    assert sum(top for _, top in batch.scores[case.name].values()) == 10


@pytest.mark.system
def test_honest_notebooks_get_no_metadata_note(batch):
    for student in DEMO_TOTALS:
        assert all(cell.get("id") != NOTE_ID for cell in autograded(batch, student).cells), student
    for student in DEMO_TOTALS:
        said = [line for line in batch.log.splitlines() if f"[grading] {student}/" in line]
        assert not [line for line in said if "restored" in line or "plain cell" in line], student


# --- feedback -------------------------------------------------------------------------------

@pytest.mark.system
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


# --- grading as a user other than root (the JupyterHub instructor) -------------------------

GRADER_UID = 65534   # nobody: no cgroup of its own to write, RLIMIT_NPROC enforced


def _cannot_run(python):
    """Why uid ``GRADER_UID`` cannot start ``python`` with nbgrader and ipykernel, or None."""
    try:
        probe = subprocess.run([python, "-c", "import nbgrader, ipykernel"], user=GRADER_UID,
                               group=GRADER_UID, extra_groups=[], capture_output=True, text=True)
    except OSError as error:
        return str(error)
    return probe.stderr.strip()[-300:] if probe.returncode else None


@pytest.mark.system
def test_caps_hold_when_grading_as_another_user(tmp_path_factory):
    """No pids cgroup is writable for this user: the kernel's processes are capped by
    RLIMIT_NPROC in the sandbox's own user namespace, and its writes by the tmpfs."""
    if os.geteuid() != 0:
        pytest.skip("switching to another user needs root")
    why = why_no_sandbox()
    if why:
        skip_or_fail(f"no sandbox here: {why}")
    python = sys.executable
    if _cannot_run(python):   # a Python under a private home (pyenv in /root): take one that can
        try:
            python = str(python_every_user_can_run())
        except SetupError as error:
            skip_or_fail(f"uid {GRADER_UID} cannot run {sys.executable}, and no Python for every "
                         f"user could be built: {error}")
        problem = _cannot_run(python)
        if problem:
            skip_or_fail(f"uid {GRADER_UID} cannot run {python}: {problem}")
    root = Path(tempfile.mkdtemp(prefix="gc-other-user-"))   # not under pytest's 0700 folder
    try:
        os.chmod(root, 0o755)
        course = kit_course(root / "course")
        solutions = solution_answers(source_notebook(course))
        release = release_notebook(course)
        place(course, "complete", fill(solutions, release))
        for name in ("p_fork_bomb", "d_disk_filler"):
            build(course, next(case for case in CASES if case.name == name), solutions, release)
        (root / "home").mkdir()
        for folder, _, files in os.walk(root):
            for path in [folder, *(os.path.join(folder, name) for name in files)]:
                os.lchown(path, GRADER_UID, GRADER_UID)
        env = dict(os.environ, HOME=str(root / "home"), PATH=f"{Path(python).parent}:/usr/bin:/bin")
        process = subprocess.run([python, *NBGRADER[1:], "autograde", ASSIGNMENT, "--force"],
                                 cwd=course, env=env,
                                 user=GRADER_UID, group=GRADER_UID, extra_groups=[],
                                 capture_output=True, text=True, timeout=900)
        assert process.returncode == 0, process.stderr[-3000:]
        assert "NOT CAPPED" not in process.stderr and "UNSANDBOXED" not in process.stderr, process.stderr
        scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}")
        assert sum(score for score, _ in scores["complete"].values()) == 10
        assert sum(score for score, _ in scores["p_fork_bomb"].values()) == 8
        assert sum(score for score, _ in scores["d_disk_filler"].values()) == 10
        def graded(student):
            return nbformat.read(str(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), 4)

        output = output_of(graded("p_fork_bomb"), EX1)
        got = int(re.search(r"BOMB forks (\d+)", output).group(1))
        print(f"\nas uid {GRADER_UID}: {got} forks under a cap of {CAP} processes and threads")
        assert "BOMB refused" in output and 0 < got < CAP
        output = output_of(graded("d_disk_filler"), EX1)
        files = int(re.search(r"DISK files (\d+)", output).group(1))
        assert 0 < files * 60 * 1024 ** 2 <= GuardedExecute.disk_limit.default_value
        if landlock_abi():    # the grader cannot hand the socket folder to another owner here
            assert "DISK socket folder refused" in output
    finally:
        shutil.rmtree(root, ignore_errors=True)
