"""What nbgrader's metadata says about a notebook cell.

One place for the lookups the grading tools and the tests all make: a cell's
grade_id, whether it is graded or an answer, and the cell with a given id.
"""


def nbgrader_metadata(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell):
    """The cell's nbgrader grade_id, or None for an ordinary cell."""
    return nbgrader_metadata(cell).get("grade_id")


def is_graded(cell):
    """True for an autograded test cell (one that carries points)."""
    return bool(nbgrader_metadata(cell).get("grade"))


def is_answer(cell):
    """True for a cell the student writes (an nbgrader solution cell)."""
    return bool(nbgrader_metadata(cell).get("solution"))


def cell_by_id(notebook, wanted):
    """The cell whose grade_id is ``wanted``; KeyError if there is none."""
    for cell in notebook.cells:
        if grade_id(cell) == wanted:
            return cell
    raise KeyError(f"no cell with grade_id {wanted!r} in the notebook")
