"""The whole course round trip on a real JupyterHub, each person a real Unix user.

The hub is started exactly as ``make hub`` starts it (``deploy.hub.server``),
in a folder of its own under /tmp, on free loopback ports, with its own user
names (``gct-*``), and removed afterwards: processes, accounts, folders.
Then, in Debian's Chromium, through the real UI:

1. the instructor releases the assignment from the formgrader;
2. three students log in, fetch it from the *Assignment List*, type their
   answers into the cells, run them and submit: one complete, one with a
   mistake in ``gradient_check_n``, one hostile that tries to read the
   instructor's course, another student's home and the exchange, and prints
   what it got;
3. the instructor collects (formgrader), grades with the kit's parallel
   grader typed into a JupyterLab terminal, grades the hostile one again with
   the formgrader's *Autograde* button, generates and releases feedback;
4. each student fetches their feedback and opens it.

Secrets are planted in the instructor's ``source/``, in a student's home and
in that student's submission; none may appear in anything the hostile
notebook printed, as a student or while graded.  Screenshots of every step
go to ``artifacts/hub/``.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from browser_support import CHROMIUM_ARGS
from demo_expectations import LOST, POINTS
from hub_support import Person, write_lab_settings
from system_packages import SHARED_VENV, free_port, skip_or_fail

from course_constants import ASSIGNMENT, NOTEBOOK, ROOT
from deploy.hub import accounts, server
from deploy.hub.accounts import STUDENT_LAB_EXTENSIONS_OFF
from deploy.hub.layout import COURSE_ID, HubLayout
from grading.cells import grade_id
from scaffold.course import generate_release, make_course, submit, tool_environment
from scaffold.scores import cell_scores
from scaffold.submissions import edit, fill, release_notebook, solution_answers, source_notebook

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements-dev.txt installs it
    sync_playwright = None

# Every test grades a whole course; the round trip's run a JupyterHub and Chromium: `system` too.
pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "artifacts" / "hub"
PREFIX = "gct-"
# The hub's Python environment is kept between runs (system_packages.SHARED_VENV, rebuilt
# when a requirement changes); everything else the hub makes is removed after the test.
VENV_CACHE = SHARED_VENV
MARKER_START = "gradient-checking hub "


# ---------------------------------------------------------------- the hub

def remove_stale_accounts(layout):
    """Accounts a killed earlier run left behind (they carry the hub's marker)."""
    for user in layout.users:
        found = accounts.account(user)
        if found is not None and found.pw_gecos.startswith(MARKER_START):
            old_root = Path(found.pw_gecos[len(MARKER_START):])
            server.clean(HubLayout(root=old_root, prefix=PREFIX), say=lambda *_: None)


@pytest.fixture(scope="module")
def hub():
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        skip_or_fail("the hub test creates Unix users and runs JupyterHub: it needs Linux and root")
    root = Path(tempfile.mkdtemp(prefix="gc-hub-test-", dir="/tmp"))
    layout = HubLayout(root=root, port=free_port(), prefix=PREFIX, hub_port=free_port(),
                       proxy_api_port=free_port(), venv_dir=VENV_CACHE)
    remove_stale_accounts(layout)
    started = time.monotonic()
    try:
        warnings = server.prepare(layout, say=lambda *_: None)
        assert not warnings, warnings
        with server.CourseHub(layout):
            print(f"\n[hub] up in {time.monotonic() - started:.1f} s (prepare and start, as make hub)")
            yield layout
    finally:
        server.clean(layout, say=lambda *_: None)


@pytest.fixture(scope="module")
def chromium_browser(chromium):
    """One Chromium for the module (the suite's ``chromium``: installed, fonts cached first);
    each person of the round trip gets a context of their own in it."""
    if sync_playwright is None:
        skip_or_fail("playwright (requirements-dev.txt) is not installed")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


# ---------------------------------------------------------------- what the students type

def hostile_snoop(layout, victim):
    """Code that looks for what a student must never see, and prints what it got."""
    course = layout.course
    targets = {
        "instructor's course": course,
        "instructor's source": course / "source",
        "instructor's note": course / "source" / "instructor_notes.txt",
        "source notebook": course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
        "gradebook": course / "gradebook.db",
        "collected submissions": course / "submitted",
        "other student's home": layout.home(victim),
        "other student's note": layout.home(victim) / "private_notes.txt",
        "exchange inbound": layout.exchange / COURSE_ID / "inbound",
    }
    lines = ["# Looking around (hostile student): print whatever can be read.",
             "import os as _os", "import re as _re",
             f"_targets = {dict((k, str(v)) for k, v in targets.items())!r}",
             "for _name, _path in _targets.items():",
             "    try:",
             "        if _os.path.isdir(_path):",
             "            _got = 'lists ' + repr(sorted(_os.listdir(_path)))",
             "        else:",
             "            with open(_path, 'rb') as _f:",
             "                _got = 'reads ' + repr(_f.read(4000))",
             "    except Exception as _error:",
             "        _got = type(_error).__name__",
             "    print('SNOOP', _name, '->', _got)",
             "# Every file of the hub's folders this kernel can read (its Python environment aside).",
             "for _top, _dirs, _files in _os.walk(" + repr(str(layout.root)) + "):",
             "    _dirs[:] = [d for d in _dirs if _os.path.join(_top, d) != " + repr(str(layout.venv)) + "]",
             "    for _file in _files:",
             "        try:",
             "            with open(_os.path.join(_top, _file), 'rb') as _f:",
             "                _data = _f.read()",
             "        except Exception:",
             "            continue",
             "        for _found in _re.findall(rb'GC-SECRET-[A-Z]+-[0-9a-f]{12}', _data):",
             "            print('FOUND', _found, 'in', _os.path.join(_top, _file))",
             ""]
    return "\n".join(lines)


def answers_of(layout, secrets):
    """grade_id -> code, for each student, built from the instructor's solutions."""
    solutions = solution_answers()
    mistake = dict(solutions)
    mistake["ex4_gradient_check_n"] = edit(solutions["ex4_gradient_check_n"],
                                           "(J_plus[i] - J_minus[i]) / (2 * epsilon)",
                                           "(J_plus[i] - J_minus[i]) / epsilon")
    # The second student's work carries a secret the hostile one must never see.
    mistake["ex1_forward_propagation"] = f"# {secrets['submission']}\n" + solutions["ex1_forward_propagation"]
    first, second, third = layout.student_names
    hostile = {name: solutions[name] for name in
               ("ex1_forward_propagation", "ex2_backward_propagation", "ex3_gradient_check")}
    hostile["ex1_forward_propagation"] = hostile_snoop(layout, second) + hostile["ex1_forward_propagation"]
    return {first: solutions, second: mistake, third: hostile}


def expected_scores(layout):
    """Per graded cell: the demo's complete and gradient_check_n_mistake samples, and
    for the hostile student the points of the exercises it solved (1 to 3)."""
    first, second, third = layout.student_names
    full = {name: (float(points), float(points)) for name, points in POINTS.items()}

    def losing(lost):
        return {name: (0.0 if name in lost else full[name][0], full[name][1]) for name in full}
    solved = ("test_ex1_", "test_ex2_", "test_ex3_")
    return {first: losing(LOST["complete"]), second: losing(LOST["gradient_check_n_mistake"]),
            third: losing({name for name in full if not name.startswith(solved)})}


# ---------------------------------------------------------------- the round trip

def snoop_lines(text):
    return [line for line in text.splitlines() if line.startswith("SNOOP")]


def output_text(output):
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return str(output.get("data", {}).get("text/plain", ""))


def autograded_outputs(layout, student):
    """Everything the graded notebook printed, as text."""
    path = layout.course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(output_text(output) for cell in notebook.cells if cell.cell_type == "code"
                     for output in cell.outputs)


def wait_for_file_text(path, text, timeout=900):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return path.read_text(errors="replace")
        time.sleep(1)
    raise TimeoutError(f"{path} did not say {text!r} within {timeout} s: "
                       f"{path.read_text(errors='replace') if path.exists() else '(no file)'}")


def student_works(person, answers, release, step, observed, run):
    """Log in, check the menus, fetch, type the answers, (run them,) save, submit."""
    person.login(f"{step}a")
    observed["menus"][person.user] = person.menu_items("Nbgrader", "Assignment List")
    observed["disabled"][person.user] = person.disabled_extensions()
    person.close_menu()
    response = person.context.new_page()
    observed["formgrader_status"][person.user] = response.goto(f"{person.server}/formgrader").status
    response.close()
    person.open_assignment_list()
    person.shot(f"{step}b_assignment_list")
    person.fetch()
    person.shot(f"{step}c_fetched")
    notebook = person.open_notebook()
    index = {grade_id(cell): i for i, cell in enumerate(release.cells)}
    for name, code in answers.items():
        notebook.replace_cell_source(index[name], code)
    notebook.save()
    notebook.shot(f"{step}d_typed")
    if run:
        cells = notebook.restart_and_run_all()
        notebook.shot(f"{step}e_ran_first_answer", index["ex1_forward_propagation"])
        notebook.save()
        observed["browser_outputs"][person.user] = "\n".join(
            output["text"] for cell in cells for output in cell["outputs"])
    person.submit()
    person.shot(f"{step}f_submitted")


@pytest.fixture(scope="module")
def round_trip(hub, chromium_browser):
    return run_round_trip(hub, chromium_browser)


def run_round_trip(layout, browser):
    """Every step of the course in the browser; what was seen along the way."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    tag = uuid.uuid4().hex[:12]
    secrets = {kind: f"GC-SECRET-{kind.upper()}-{tag}" for kind in ("source", "home", "submission")}
    first, second, third = layout.student_names
    accounts.write_as(layout, layout.instructor, f"{COURSE_ID}/source/instructor_notes.txt",
                      secrets["source"])
    accounts.write_as(layout, second, "private_notes.txt", secrets["home"])
    for user in layout.users:
        write_lab_settings(layout, user)
    release = release_notebook(layout.course)
    answers = answers_of(layout, secrets)
    observed = {"menus": {}, "disabled": {}, "formgrader_status": {}, "browser_outputs": {}, "feedback": {},
                "modals": {}, "secrets": secrets, "seconds": {}}
    people = []
    started = time.monotonic()
    try:
        # 1. The instructor releases the assignment from the formgrader.
        instructor = Person(browser, layout, layout.instructor, ARTIFACTS)
        people.append(instructor)
        instructor.login("01")
        observed["menus"][layout.instructor] = instructor.menu_items("Nbgrader", "Formgrader")
        observed["disabled"][layout.instructor] = instructor.disabled_extensions()
        instructor.shot("01c_instructor_menu")
        instructor.close_menu()
        grader = instructor.formgrader("manage_assignments")
        instructor.shot("02a_formgrader", grader)
        row = grader.locator("tr", has_text=ASSIGNMENT)
        observed["modals"]["release"] = Person.click_for_modal(grader, row.locator("td.release a"))
        instructor.shot("02b_released", grader)
        Person.close_modal(grader)

        # 2. Three students fetch, work and submit.
        # The first runs everything (the hub's Python and the helpers work for a student), the
        # hostile one runs its snooping; the second only types and submits.
        for step, student, run in zip(("03", "04", "05"), layout.student_names, (True, False, True)):
            person = Person(browser, layout, student, ARTIFACTS)
            people.append(person)
            student_works(person, answers[student], release, f"{step}_{student}", observed, run)

        # 3. The instructor collects, grades, grades the hostile one again, releases feedback.
        grader.reload()
        grader.wait_for_selector("table tbody tr")
        row = grader.locator("tr", has_text=ASSIGNMENT)
        observed["modals"]["collect"] = Person.click_for_modal(grader, row.locator("td.collect a"))
        instructor.shot("06a_collected", grader)
        Person.close_modal(grader)

        log = layout.home(layout.instructor) / "grading.log"
        grading_started = time.monotonic()
        instructor.run_in_terminal(
            f"cd {COURSE_ID} && (python -m grading.parallel {ASSIGNMENT}; echo \"grading exit status $?\") "
            "2>&1 | tee ../grading.log")
        observed["grading_log"] = wait_for_file_text(log, "grading exit status")
        observed["seconds"]["parallel grading"] = time.monotonic() - grading_started
        instructor.shot("06b_graded_in_terminal")
        observed["autograded_parallel"] = autograded_outputs(layout, third)

        submissions = instructor.formgrader(f"manage_submissions/{ASSIGNMENT}")
        instructor.shot("07a_submissions", submissions)
        observed["listed_names"] = {
            student: submissions.locator("tr", has=submissions.locator("td.student-id", has_text=student))
            .locator("td.student-name").inner_text().strip()
            for student in layout.student_names}
        hostile_row = submissions.locator("tr", has=submissions.locator("td.student-id", has_text=third))
        formgrader_started = time.monotonic()
        observed["modals"]["autograde"] = Person.click_for_modal(
            submissions, hostile_row.locator("td.autograde a"))
        observed["seconds"]["formgrader autograde (1 submission)"] = time.monotonic() - formgrader_started
        instructor.shot("07b_autograded_from_formgrader", submissions)
        Person.close_modal(submissions)
        observed["autograded_formgrader"] = autograded_outputs(layout, third)

        grader.reload()
        grader.wait_for_selector("table tbody tr")
        row = grader.locator("tr", has_text=ASSIGNMENT)
        observed["modals"]["generate_feedback"] = Person.click_for_modal(
            grader, row.locator("td.generate-feedback a"))
        instructor.shot("08a_feedback_generated", grader)
        Person.close_modal(grader)
        observed["modals"]["release_feedback"] = Person.click_for_modal(
            grader, row.locator("td.release-feedback a"))
        instructor.shot("08b_feedback_released", grader)
        Person.close_modal(grader)

        # 4. Each student fetches and opens their feedback.
        for step, person in zip(("09", "10", "11"), people[1:]):
            observed["feedback"][person.user] = person.fetch_feedback()
            person.shot(f"{step}_{person.user}_feedback")
        observed["seconds"]["round trip in the browser"] = time.monotonic() - started
        print("\n[hub] " + ", ".join(f"{k}: {v:.1f} s" for k, v in observed["seconds"].items()))
        return observed
    finally:
        for person in people:
            person.close()


# ---------------------------------------------------------------- what must hold

@pytest.mark.system
def test_each_step_of_the_formgrader_succeeded(round_trip):
    for step, (title, text) in round_trip["modals"].items():
        assert title == "Success", f"formgrader {step}: {title}\n{text}"
    assert "grading exit status 0" in round_trip["grading_log"], round_trip["grading_log"]
    assert "graded 3 of 3 submissions" in round_trip["grading_log"], round_trip["grading_log"]


@pytest.mark.system
def test_students_see_the_assignment_list_and_not_the_formgrader(hub, round_trip):
    menus, status, disabled = round_trip["menus"], round_trip["formgrader_status"], round_trip["disabled"]
    assert {"Formgrader", "Create assignment", "Assignment List"} <= set(menus[hub.instructor])
    assert not set(disabled[hub.instructor]) & set(STUDENT_LAB_EXTENSIONS_OFF)
    for student in hub.student_names:
        assert menus[student] == ["Assignment List"], f"{student} sees {menus[student]}"
        assert set(STUDENT_LAB_EXTENSIONS_OFF) <= set(disabled[student]), disabled[student]
        assert status[student] == 404, f"{student}'s /formgrader answered {status[student]}"


@pytest.mark.system
def test_the_formgrader_lists_each_student_by_name(hub, round_trip):
    """The roster `make hub` adds to the gradebook names every student on the formgrader's pages."""
    names = enumerate(hub.student_names, start=1)
    expected = {student: f"Student {number}, Demo" for number, student in names}
    assert round_trip["listed_names"] == expected


@pytest.mark.system
def test_a_student_runs_the_notebook_in_their_own_server(hub, round_trip):
    """The hub's Python, the course's packages and the helpers work as a student."""
    shown = round_trip["browser_outputs"][hub.student_names[0]]
    assert "Traceback" not in shown, shown
    assert shown.count("All tests passed.") >= 5, shown
    assert "Your backward propagation works perfectly fine!" in shown


@pytest.mark.system
def test_the_gradebook_holds_each_students_honest_score(hub, round_trip):
    scores = cell_scores(f"sqlite:///{hub.course / 'gradebook.db'}", COURSE_ID)
    expected = expected_scores(hub)
    assert scores == expected
    totals = {student: sum(score for score, _ in cells.values()) for student, cells in scores.items()}
    first, second, third = hub.student_names
    assert (totals[first], totals[second], totals[third]) == (10, 6, 4)


@pytest.mark.system
def test_the_hostile_notebook_read_nothing_it_should_not(hub, round_trip):
    third = hub.student_names[2]
    as_student = snoop_lines(round_trip["browser_outputs"][third])
    assert len(as_student) == 9, round_trip["browser_outputs"][third]
    # As the student, Unix permissions answer: no entry, no listing.
    for line in as_student:
        assert line.endswith("-> PermissionError"), line
    for when in ("autograded_parallel", "autograded_formgrader"):
        graded = snoop_lines(round_trip[when])
        assert len(graded) == 9, round_trip[when]
        # While graded, the kernel runs as the instructor, who may read all of it: only the
        # sandbox keeps it away, so none of it exists there.  (The course folder itself is
        # there, holding only the way to the notebook's own autograded folder and the
        # kit's kernel_guard.py, both bound into the sandbox at their own paths.)
        for line in graded:
            if line.startswith("SNOOP instructor's course -> lists "):
                listed = ast.literal_eval(line.split(" -> lists ", 1)[1])
                assert set(listed) <= {"autograded", "grading"}, f"{when}: {line}"
            else:
                assert line.endswith("-> FileNotFoundError"), f"{when}: {line}"
    second = hub.student_names[1]
    # The second student's secret went all the way (submitted, graded, in their feedback) ...
    assert round_trip["secrets"]["submission"] in round_trip["feedback"][second]
    # ... and reached nobody else.
    texts = {"as the student": round_trip["browser_outputs"][third],
             "graded in parallel": round_trip["autograded_parallel"],
             "graded from the formgrader": round_trip["autograded_formgrader"],
             **{f"feedback of {s}": text for s, text in round_trip["feedback"].items() if s != second}}
    for where, text in texts.items():
        found = [line for line in text.splitlines() if line.startswith("FOUND ")]
        assert not found, f"{where}: {found}"
        for secret in round_trip["secrets"].values():
            assert secret not in text, f"{where} shows {secret}"


def hidden_test_lines(course):
    """The code lines only the instructor's hidden tests have (long enough to be telling;
    a line the release also shows, in a public test, is no secret)."""
    visible = {line.strip() for cell in release_notebook(course).cells for line in cell.source.splitlines()}
    lines, hidden = [], False
    for cell in source_notebook(course).cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                hidden = "BEGIN" in line
            elif hidden and len(line.strip()) > 20 and line.strip() not in visible:
                lines.append(line.strip())
    assert lines, "the source notebook has no hidden tests to look for"
    return lines


@pytest.mark.system
def test_each_student_fetched_their_own_feedback_without_hidden_tests(hub, round_trip):
    scores = cell_scores(f"sqlite:///{hub.course / 'gradebook.db'}", COURSE_ID)
    order = [grade_id(cell) for cell in release_notebook(hub.course).cells if grade_id(cell) in POINTS]
    for student in hub.student_names:
        text = round_trip["feedback"][student]
        mine = scores[student]
        total = sum(score for score, _ in mine.values())
        assert f"{NOTEBOOK} (Score: {total:.1f} / 10.0)" in text, text[:500]
        # The summary lists this student's score of every test cell, in the notebook's order.
        shown = re.findall(rf"^(?!{NOTEBOOK} )(.+) \(Score: ([\d.]+) / ([\d.]+)\)$", text, flags=re.M)
        assert [(float(a), float(b)) for _, a, b in shown] == [mine[name] for name in order], text[:800]
        assert "HIDDEN TESTS" not in text
        lines = {line.strip() for line in text.splitlines()}
        shown_hidden = [line for line in hidden_test_lines(hub.course) if line in lines]
        assert not shown_hidden, f"{student}'s feedback shows hidden tests: {shown_hidden[:3]}"
        # One feedback page fetched into the student's folder: their own.
        fetched = sorted(hub.home(student).glob(f"{ASSIGNMENT}/feedback/*/*.html"))
        assert [p.name for p in fetched] == [f"{NOTEBOOK}.html"], fetched
    first, second, third = hub.student_names
    # Messages: the complete notebook has none, the mistake is explained to its owner.
    assert "AssertionError" not in round_trip["feedback"][first]
    assert "AssertionError" in round_trip["feedback"][second]
    assert "NotImplementedError" in round_trip["feedback"][third]


def as_user_cat(layout, user, path):
    return subprocess.run(["runuser", "-u", user, "--", "cat", str(path)], capture_output=True, text=True,
                          cwd="/")


@pytest.mark.system
def test_students_cannot_open_the_instructors_or_each_others_files(hub, round_trip):
    course = hub.course
    students = hub.student_names
    for student in students:
        own = as_user_cat(hub, student, hub.home(student) / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
        assert own.returncode == 0, f"{student} cannot read their own notebook: {own.stderr}"
        forbidden = [course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", course / "gradebook.db",
                     course / "source" / "instructor_notes.txt"]
        for other in students:
            if other != student:
                forbidden += [hub.home(other) / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                              course / "submitted" / other / ASSIGNMENT / f"{NOTEBOOK}.ipynb"]
        for path in forbidden:
            assert path.exists(), path
            denied = as_user_cat(hub, student, path)
            assert denied.returncode != 0 and "Permission denied" in denied.stderr, (
                f"{student} could read {path}: {denied.stdout[:200]!r}")
        for folder in ("inbound", "feedback"):
            listing = subprocess.run(["runuser", "-u", student, "--", "ls",
                                      str(hub.exchange / COURSE_ID / folder)],
                                     capture_output=True, text=True, cwd="/")
            assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing.stdout


def test_grading_refuses_to_run_unsandboxed_where_the_hub_requires_the_sandbox(tmp_path):
    """``GC_GRADING_SANDBOX=required`` (set for every server of the hub) turns the course's
    fallback into a refusal: with no bubblewrap to be found, nbgrader grades nothing and
    says why, instead of running student code with the instructor's rights."""
    course = make_course(tmp_path / "course")
    generate_release(course)
    ran = tmp_path / "student-code-ran"
    answers = solution_answers()
    answers["ex1_forward_propagation"] = (f"open({str(ran)!r}, 'w').close()\n"
                                          + answers["ex1_forward_propagation"])
    submit(course, "someone", fill(answers))
    env = {**tool_environment(), "GC_GRADING_SANDBOX": "required",
           "PATH": str(Path(sys.executable).parent)}  # nbgrader's own tools, and no bwrap
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], cwd=course,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0, done.stderr[-3000:]
    assert "the grading sandbox is required but cannot start" in done.stderr, done.stderr[-3000:]
    assert not ran.exists(), "the student's code ran although the sandbox could not start"
    assert not list((course / "autograded").rglob("*.ipynb")), "a graded notebook was written"
