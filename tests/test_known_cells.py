"""``RestoreKnownCells`` on a small assignment of its own, with a real gradebook.

A five-cell assignment (the lesson's text, given code, an answer, a test worth 2
points with a hidden test, closing text) is released by ``nbgrader generate_assignment``; each test
tampers with the release the way a submission can, runs the preprocessor
directly, then nbgrader's own ``OverwriteCells`` and ``CheckCellMetadata`` (which
raise on what they cannot accept), and looks at the notebook that comes out.
"""

import copy
import logging
import subprocess
import sys
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader import utils
from nbgrader.preprocessors import CheckCellMetadata, OverwriteCells
from traitlets.config import Config

from grading.cells import cell_by_id, grade_id
from grading.preprocessors.known_cells import NOTE_ID, RestoreKnownCells, kept_in_place
from scaffold.course import tool_environment

ANSWER = "def double(x):\n    return 2 * x"
TEST = "assert double(3) == 6"
HIDDEN = "\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2\n### END HIDDEN TESTS"


def source_cells():
    def meta(name, **flags):
        nbgrader = {"grade": False, "solution": False, "locked": False, "task": False,
                    "schema_version": 3, "grade_id": name}
        nbgrader.update(flags)
        return {"nbgrader": nbgrader}
    return [
        nbformat.v4.new_markdown_cell("# Doubling", metadata=meta("intro", locked=True)),
        nbformat.v4.new_code_cell("import math", metadata=meta("given", locked=True)),
        nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                  "    ### END SOLUTION", metadata=meta("answer", solution=True)),
        nbformat.v4.new_code_cell(TEST + HIDDEN, metadata=meta("test", grade=True, locked=True, points=2)),
        nbformat.v4.new_markdown_cell("The end.", metadata=meta("outro", locked=True)),
    ]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("known") / "course"
    (root / "source" / "a").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'known'\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.ClearSolutions.code_stub = {'python': 'raise NotImplementedError()'}\n")
    nbformat.write(nbformat.v4.new_notebook(cells=source_cells()), root / "source" / "a" / "n.ipynb")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "a", "--force"],
                   cwd=root, check=True, capture_output=True, env=tool_environment())
    return root


@pytest.fixture
def release(course):
    return nbformat.read(course / "release" / "a" / "n.ipynb", as_version=4)


def grade(course, notebook, caplog, steps=(RestoreKnownCells, OverwriteCells, CheckCellMetadata)):
    """The preprocessor, then nbgrader's own checks; (notebook, [grading log lines])."""
    config = Config()
    config.CourseDirectory.root = str(course)
    resources = {"nbgrader": {"db_url": f"sqlite:///{course / 'gradebook.db'}", "notebook": "n",
                              "assignment": "a", "student": "s"}}
    notebook = copy.deepcopy(notebook)
    with caplog.at_level(logging.WARNING):
        for step in steps:
            notebook, resources = step(config=config).preprocess(notebook, resources)
    lines = [record.getMessage() for record in caplog.records if "[grading]" in record.getMessage()]
    return notebook, lines


def answered(release):
    """A copy of the release with the answer written (``release`` stays as released)."""
    notebook = copy.deepcopy(release)
    cell_by_id(notebook, "answer").source = ANSWER
    return notebook


def ids(notebook):
    return [grade_id(cell) for cell in notebook.cells]


def assert_as_released(notebook, release, answer=ANSWER):
    """Every known cell back with the release's metadata, type and place; the answer kept."""
    wanted = [cell for cell in release.cells]
    got = [cell for cell in notebook.cells if grade_id(cell)]
    assert ids(nbformat.v4.new_notebook(cells=got)) == ids(release)
    for mine, theirs in zip(got, wanted):
        assert mine.cell_type == theirs.cell_type
        # the gradebook's checksum (of the test with its hidden part), as OverwriteCells sets it
        assert {**mine.metadata.nbgrader, "checksum": None} == {**theirs.metadata.nbgrader, "checksum": None}
        if grade_id(mine) != "answer":
            assert utils.compute_checksum(mine) == mine.metadata.nbgrader["checksum"], grade_id(mine)
        if grade_id(mine) == "answer":
            assert mine.source == answer
        else:   # the gradebook's source, hidden tests included, as nbgrader grades it
            assert mine.source == (TEST + HIDDEN if grade_id(mine) == "test" else theirs.source)


def test_an_honest_notebook_is_left_as_it_is(course, release, caplog):
    honest = answered(release)
    notebook, lines = grade(course, honest, caplog)
    plain, _ = grade(course, honest, caplog, steps=(OverwriteCells, CheckCellMetadata))
    assert lines == []
    assert [(c.cell_type, c.source, c.metadata) for c in notebook.cells] == [
        (c.cell_type, c.source, c.metadata) for c in plain.cells]


def test_renamed_test_cell_is_found_by_its_source(course, release, caplog):
    tampered = answered(release)
    cell_by_id(tampered, "test").metadata.nbgrader["grade_id"] = "mine"
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    assert any("test cell test: grade_id 'mine'" in line for line in lines), lines
    assert notebook.cells[0].id == NOTE_ID and "grade_id 'mine'" in notebook.cells[0].source


def test_test_cell_flagged_solution_with_other_points(course, release, caplog):
    tampered = answered(release)
    meta = cell_by_id(tampered, "test").metadata.nbgrader
    meta.update(solution=True, points=50, locked=False)
    cell_by_id(tampered, "test").source = "pass"
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    assert cell_by_id(notebook, "test").metadata.nbgrader["points"] == 2
    assert len([line for line in lines if "test cell test" in line]) == 1, lines


def test_test_cell_turned_into_markdown(course, release, caplog):
    tampered = answered(release)
    index = ids(tampered).index("test")
    old = tampered.cells[index]
    tampered.cells[index] = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata)
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    assert cell_by_id(notebook, "test").cell_type == "code"
    assert any("a markdown cell instead of code" in line for line in lines), lines


def test_answer_flagged_locked_keeps_the_students_code(course, release, caplog):
    tampered = answered(release)
    cell_by_id(tampered, "answer").metadata.nbgrader["locked"] = True
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    assert any("answer cell answer: locked True instead of False" in line for line in lines), lines


def test_reordered_cells_go_back_to_their_place_with_the_students_own(course, release, caplog):
    tampered = answered(release)
    scratch = nbformat.v4.new_code_cell("x = double(2)")
    cells = tampered.cells
    # test first, answer after it with the student's scratch cell, the intro at the end
    tampered.cells = [cells[3], cells[1], cells[2], scratch, cells[4], cells[0]]
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    own = [c.source for c in notebook.cells if not grade_id(c) and c.get("id") != NOTE_ID]
    assert own == ["x = double(2)"]
    assert ids(notebook)[ids(notebook).index("answer") + 1] is None   # the scratch cell follows the answer
    moved = [line for line in lines if "moved back to its place" in line]
    assert len(moved) == 2, lines   # the test and the intro; the other three kept their order


def test_every_nbgrader_metadata_deleted(course, release, caplog):
    tampered = answered(release)
    for cell in tampered.cells:
        cell.metadata = {}
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    assert len([line for line in lines if "no nbgrader metadata" in line]) == 5, lines


def test_unknown_graded_cells_are_demoted(course, release, caplog):
    tampered = answered(release)
    extra = nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {
        "grade": True, "grade_id": "free_points", "locked": True, "points": 100, "solution": False,
        "task": False, "schema_version": 3}})
    copy_of_test = copy.deepcopy(cell_by_id(tampered, "test"))
    tampered.cells += [extra, copy_of_test]
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    plain = [c for c in notebook.cells if not grade_id(c) and c.get("id") != NOTE_ID]
    assert [c.source for c in plain] == ["assert True", cell_by_id(release, "test").source]
    assert all("nbgrader" not in c.metadata for c in plain)
    assert sum("made a plain cell" in line for line in lines) == 2, lines


def test_deleted_read_only_cells_are_put_back_with_a_note(course, release, caplog):
    tampered = answered(release)
    tampered.cells = [c for c in tampered.cells if grade_id(c) not in ("given", "test")]
    notebook, lines = grade(course, tampered, caplog)
    assert_as_released(notebook, release)
    index = ids(notebook).index("test")
    assert "was missing from this submission" in notebook.cells[index - 1].source
    assert "restored deleted test cell test" in " ".join(lines)
    assert "restored deleted read-only cell given" in " ".join(lines)


def test_a_deleted_answer_is_not_put_back(course, release, caplog):
    tampered = answered(release)
    tampered.cells = [c for c in tampered.cells if grade_id(c) != "answer"]
    notebook, lines = grade(course, tampered, caplog)
    assert "answer" not in ids(notebook)
    assert any("answer cell answer was deleted" in line for line in lines), lines


def test_the_note_is_the_same_every_time(course, release, caplog):
    tampered = answered(release)
    cell_by_id(tampered, "test").metadata.nbgrader["points"] = 7
    first, _ = grade(course, tampered, caplog)
    second, _ = grade(course, tampered, caplog)
    assert first.cells[0].id == second.cells[0].id == NOTE_ID
    assert first.cells[0].source == second.cells[0].source
    assert "points 7 instead of 2" in first.cells[0].source


def test_kept_in_place_is_a_longest_increasing_run():
    assert kept_in_place([0, 1, 2, 3]) == {0, 1, 2, 3}
    assert kept_in_place([1, 2, 3, 0]) == {0, 1, 2}
    assert kept_in_place([]) == set()


# --- what is left alone, and the pieces ----------------------------------------------------

def test_a_placeholder_for_an_unreadable_file_is_left_alone(course, caplog):
    from grading.preprocessors.reading import placeholder_notebook

    placeholder = placeholder_notebook("NotJSONError: no")
    notebook, lines = grade(course, placeholder, caplog, steps=(RestoreKnownCells,))
    assert notebook == placeholder and lines == []      # no deleted read-only cell put back


def test_a_notebook_the_gradebook_does_not_know_is_left_alone(course, release, caplog):
    config = Config()
    config.CourseDirectory.root = str(course)
    resources = {"nbgrader": {"db_url": f"sqlite:///{course / 'gradebook.db'}", "notebook": "other",
                              "assignment": "a", "student": "s"}}
    tampered = answered(release)
    cell_by_id(tampered, "test").metadata.nbgrader["points"] = 50
    before = copy.deepcopy(tampered)
    notebook, _ = RestoreKnownCells(config=config).preprocess(tampered, resources)
    assert notebook == before


def test_an_old_format_notebook_gets_no_cell_ids(course, release, caplog):
    old = answered(release)
    old.nbformat_minor = 4
    for cell in old.cells:
        cell.pop("id", None)
    cell_by_id(old, "test").metadata.nbgrader["grade_id"] = "renamed"
    notebook, _ = grade(course, old, caplog, steps=(RestoreKnownCells,))
    assert grade_id(notebook.cells[1]) == "intro"       # after the note
    assert all("id" not in cell for cell in notebook.cells)


def test_the_order_comes_from_source_or_else_the_release(tmp_path):
    from grading.preprocessors.known_cells import source_order

    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    assert source_order(config, "a", "n") == []
    (tmp_path / "release" / "a").mkdir(parents=True)
    cells = source_cells()
    nbformat.write(nbformat.v4.new_notebook(cells=cells[::-1] + [nbformat.v4.new_code_cell("plain")]),
                   tmp_path / "release" / "a" / "n.ipynb")
    assert source_order(config, "a", "n") == ["outro", "test", "answer", "given", "intro"]
    (tmp_path / "source" / "a").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "source" / "a" / "n.ipynb")
    assert source_order(config, "a", "n") == ["intro", "given", "answer", "test", "outro"]


def known(**fields):
    from grading.preprocessors.known_cells import Known

    cell = SimpleNamespace(name=fields.pop("name", "test"), cell_type=fields.pop("cell_type", "code"),
                           source=fields.pop("source", TEST + HIDDEN), checksum="abc",
                           locked=fields.pop("locked", True))
    return Known(cell, fields.pop("points", 2.0), fields.pop("answer", False), fields.pop("task", False))


def test_a_known_cells_metadata_is_what_generate_assignment_wrote():
    test = known()
    assert test.kind == "test" and test.points == 2 and isinstance(test.points, int)
    assert test.metadata() == {"deletable": False, "editable": False, "nbgrader": {
        "cell_type": "code", "checksum": "abc", "grade": True, "grade_id": "test", "locked": True,
        "schema_version": 3, "solution": False, "task": False, "points": 2}}
    answer = known(name="answer", points=None, answer=True, locked=True)
    assert answer.kind == "answer"
    assert answer.metadata() == {"deletable": False, "nbgrader": {
        "cell_type": "code", "checksum": "abc", "grade": False, "grade_id": "answer", "locked": False,
        "schema_version": 3, "solution": True, "task": False}}
    assert known(points=1.5).points == 1.5
    assert known(points=None, task=True).kind == "task"
    assert known(points=None).kind == "read-only"


def test_differences_name_each_change_in_words():
    from grading.preprocessors.known_cells import differences, hide_tests

    test = known()
    hide_tests({"test": test}, Config())
    assert test.visible == TEST
    released = test.cell(source=TEST)
    assert differences(released, test) == []                        # as released: no hidden tests
    assert differences(test.cell(), test) == []                     # as the gradebook has it
    changed = test.cell(source="pass")
    changed.metadata.nbgrader.update(points="2.0", locked=False, solution=True)
    assert differences(changed, test) == ["solution True instead of False", "locked False instead of True",
                                          "its source edited"]
    changed.metadata.nbgrader["points"] = "lots"
    assert "points 'lots' instead of 2" in differences(changed, test)
    markdown = nbformat.v4.new_markdown_cell(TEST)
    assert differences(markdown, test) == ["no nbgrader metadata", "a markdown cell instead of code"]
    renamed = test.cell(source=TEST)
    renamed.metadata.nbgrader["grade_id"] = "mine"
    assert differences(renamed, test) == ["grade_id 'mine'"]
    answer = known(name="answer", points=None, answer=True, source="def double(x): ...")
    assert differences(answer.cell(source=ANSWER), answer) == []    # an answer's code is the student's


def test_a_demoted_cell_can_be_edited_and_deleted_again(course, release, caplog):
    tampered = answered(release)
    extra = nbformat.v4.new_code_cell("assert True", metadata={
        "editable": False, "deletable": False, "tags": ["mine"],
        "nbgrader": {"grade": True, "grade_id": "free_points", "points": 100, "solution": False}})
    tampered.cells.append(extra)
    notebook, _ = grade(course, tampered, caplog, steps=(RestoreKnownCells,))
    demoted = next(c for c in notebook.cells if c.source == "assert True")
    assert demoted.metadata == {"tags": ["mine"]}
