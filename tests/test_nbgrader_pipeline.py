"""nbgrader end to end: validate, generate, autograde, feedback, export.

Every scenario runs the real nbgrader command line in a scratch copy of the
course directory.
"""

import csv
import filecmp
import json
from pathlib import Path

import nbformat
import pytest
from demo_expectations import LOST, POINTS, total
from notebook_code import math_in
from staleness import explain

from course_constants import ASSIGNMENT, MESSAGES_FILE, NOTEBOOK, ROOT
from scaffold.course import assignments, generate_release, make_course, nbgrader

#: The English assignment and its translations: each is released and checked alike.
ASSIGNMENTS = assignments()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("generated") / "course")
    for assignment in ASSIGNMENTS:
        generate_release(course, assignment)
    return course


def test_every_language_is_an_assignment_of_its_own():
    assert ASSIGNMENTS == sorted([ASSIGNMENT, f"{ASSIGNMENT}_ko", f"{ASSIGNMENT}_zh"])


def tree(root):
    return sorted(p.relative_to(root) for p in Path(root).rglob("*")
                  if "__pycache__" not in p.parts)


@pytest.mark.slow
def test_release_is_exactly_what_generation_produces(generated):
    fresh, committed = generated / "release", ROOT / "release"
    assert tree(fresh) == tree(committed), "run `make release` and commit release/"
    for relative in tree(fresh):
        if (fresh / relative).is_file():
            assert filecmp.cmp(fresh / relative, committed / relative, shallow=False), explain(
                f"release/{relative}", RELEASE_INPUTS, "make release")


#: What the release is generated from: the sources, the helpers at the root, the
#: configuration and the code that runs nbgrader.
RELEASE_INPUTS = ["source", "nbgrader_config.py", "grading", "scripts/regenerate_release.py",
                  *sorted(p.name for p in ROOT.glob("*.py"))]


def _regions(text, begin, end):
    """Lines inside begin/end marker regions of ``text``."""
    inside, lines = False, []
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solution_and_no_hidden_test(assignment):
    source = nbformat.read(ROOT / "source" / assignment / f"{NOTEBOOK}.ipynb", as_version=4)
    release_text = (ROOT / "release" / assignment / f"{NOTEBOOK}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in release_text
    secret, shown = set(), set()
    for cell in source.cells:
        hidden = (_regions(cell.source, "BEGIN SOLUTION", "END SOLUTION")
                  + _regions(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
        secret.update(hidden)
        inside = False
        for line in cell.source.split("\n"):
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                inside = False
            elif not inside:
                shown.add(line.strip())
    # A secret line that also stands outside every region (the buggy backward pass
    # shares most of exercise 5's solution) is no secret; every other must be absent.
    release = nbformat.read(ROOT / "release" / assignment / f"{NOTEBOOK}.ipynb", as_version=4)
    release_lines = {line.strip() for cell in release.cells for line in cell.source.split("\n")}
    leaked = sorted((secret - shown) & release_lines)
    assert leaked == []
    assert "dW2 = 1.0 / m * np.dot(dZ2, A1.T)" in secret, "the fix of exercise 5 is a solution line"
    assert "dW2 = 1.0 / m * np.dot(dZ2, A1.T)" not in release_lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_keeps_the_helpers_and_figures(assignment):
    folder = ROOT / "release" / assignment
    shipped = sorted(path.name for path in (ROOT / "source" / assignment).glob("*.py"))
    assert shipped == ["course_language.py", "diagnosis.py", "gc_utils.py", "gradient_checker.py",
                       "public_tests.py", "stage_trace.py", "stages.py", "testCases.py"]
    for name in shipped:
        link = ROOT / "source" / assignment / name
        assert link.resolve() == ROOT / name, f"{name}: not a link to the root copy"
        assert (folder / name).read_bytes() == (ROOT / name).read_bytes(), f"{name} is stale"
    notebook_text = (folder / f"{NOTEBOOK}.ipynb").read_text()
    for image in (ROOT / "source" / assignment / "images").glob("*.svg"):
        assert (folder / "images" / image.name).read_bytes() == image.read_bytes()
        assert f"images/{image.name}" in notebook_text
    # The tests' messages: compiled in a translated assignment, none in the English one.
    translated = assignment != ASSIGNMENT
    assert (folder / MESSAGES_FILE).is_file() == translated


@pytest.mark.slow
def test_validate_passes_on_the_instructor_notebook(generated):
    result = nbgrader(generated, "validate", f"source/{ASSIGNMENT}/{NOTEBOOK}.ipynb")
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout


@pytest.mark.slow
def test_validate_invert_on_the_release_passes_no_test(generated):
    result = nbgrader(generated, "validate", "--invert", f"release/{ASSIGNMENT}/{NOTEBOOK}.ipynb")
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_cells_are_read_only_where_given(assignment):
    release = nbformat.read(ROOT / "release" / assignment / f"{NOTEBOOK}.ipynb", as_version=4)
    meta = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader for c in release.cells
            if "nbgrader" in c.metadata}
    for grade_id in ("imports", "forward_propagation_n", "backward_propagation_n", *POINTS):
        assert meta[grade_id]["locked"], f"{grade_id} must be read-only"
    assert sum(meta[g].get("points", 0) for g in POINTS) == 10
    for grade_id, points in POINTS.items():
        assert meta[grade_id]["points"] == points


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(LOST))
def test_autograde_scores(demo_course, student):
    _, scores = demo_course
    got = {grade_id: score for grade_id, (score, _) in scores[student].items()}
    expected = {grade_id: (0 if grade_id in LOST[student] else points)
                for grade_id, points in POINTS.items()}
    assert got == expected


@pytest.mark.slow
def test_feedback_is_written_for_every_student(demo_course):
    course, _ = demo_course
    for student in LOST:
        html = (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
        # "(Score: 0.0 / 10.0)" is no substring of "(Score: 10.0 / 10.0)": the total is exact.
        assert f"(Score: {total(student):.1f} / 10.0)" in html, student
    unfixed = (course / "feedback" / "unfixed_backward" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    assert "db1 is 4 times the true gradient" in unfixed, "the public test's message reaches the student"
    assert "BEGIN HIDDEN TESTS" not in unfixed and "_quadratic_case" not in unfixed


@pytest.mark.slow
def test_feedback_reads_offline_and_names_each_exercise(demo_course):
    """Formulas are MathML (no MathJax to fetch), the summary names exercises, not "Test cell"."""
    course, _ = demo_course
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    formulas = sum(sum(math_in(c.source)) for c in source.cells if c.cell_type == "markdown")
    for student in LOST:
        html = (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
        assert "<script src=" not in html and "mathjax.js" not in html.lower() and "cdnjs" not in html
        assert html.count("<math ") == formulas
        assert ">Test cell</a>" not in html
        assert '<a href="#test_ex3_gradient_check_nonlinear">Exercise 3: gradient_check (2/2)</a>' in html


@pytest.mark.slow
def test_export_writes_one_row_per_student(demo_course):
    course, _ = demo_course
    with open(course / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(LOST)
    for student in LOST:
        assert float(rows[student]["score"]) == total(student)
        assert float(rows[student]["max_score"]) == 10


@pytest.mark.slow
def test_graded_notebooks_are_real_notebooks(demo_course):
    course, _ = demo_course
    for student in LOST:
        path = course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        nbformat.validate(nbformat.read(path, as_version=4))
        json.loads(path.read_text())
