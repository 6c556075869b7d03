"""``grading.cells``: what nbgrader's metadata says about a cell, on cells built here."""

import nbformat
import pytest

from grading.cells import cell_by_id, grade_id, is_answer, is_graded, nbgrader_metadata


def cell(**nbgrader):
    return nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": nbgrader} if nbgrader else {})


def test_an_ordinary_cell_has_no_nbgrader_metadata():
    plain = cell()
    assert nbgrader_metadata(plain) == {}
    assert nbgrader_metadata({}) == {}          # not even a metadata field
    assert grade_id(plain) is None
    assert is_graded(plain) is False
    assert is_answer(plain) is False


def test_the_metadata_is_the_cells_own():
    test = cell(grade=True, solution=False, grade_id="test_ex1", points=2)
    assert nbgrader_metadata(test) is test.metadata["nbgrader"]
    assert grade_id(test) == "test_ex1"


@pytest.mark.parametrize("flags, graded, answer", [
    ({"grade": True, "solution": False}, True, False),     # a test cell
    ({"grade": False, "solution": True}, False, True),     # an answer cell
    ({"grade": True, "solution": True}, True, True),       # an autograded answer
    ({"grade": False, "solution": False, "locked": True}, False, False),   # given code
    ({"grade": 0, "solution": ""}, False, False),          # falsy values, not only False
])
def test_graded_and_answer_read_their_own_flag(flags, graded, answer):
    checked = cell(grade_id="c", **flags)
    assert is_graded(checked) is graded
    assert is_answer(checked) is answer


def test_cell_by_id_finds_the_first_cell_with_that_id():
    first, second = cell(grade_id="same"), cell(grade_id="same")
    notebook = nbformat.v4.new_notebook(cells=[cell(), cell(grade_id="other"), first, second])
    assert cell_by_id(notebook, "same") is first
    assert cell_by_id(notebook, "other") is notebook.cells[1]


def test_cell_by_id_names_the_id_it_did_not_find():
    notebook = nbformat.v4.new_notebook(cells=[cell(grade_id="there")])
    with pytest.raises(KeyError, match="no cell with grade_id 'missing' in the notebook"):
        cell_by_id(notebook, "missing")
