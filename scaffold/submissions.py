"""Sample student notebooks built from the release and the instructor's solutions.

A submission is the release notebook with some answer cells filled in.  The
solution code comes from the instructor notebook (markers stripped), so the
samples follow ``source/`` whenever it changes; a deliberate mistake is a
small, named edit of one solution, which fails loudly if the solution no
longer contains the text it edits.
"""

import copy
from pathlib import Path

import nbformat

from course_constants import ASSIGNMENT, NOTEBOOK, ROOT
from grading.cells import cell_by_id, grade_id, is_answer

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def read_notebook(path):
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)


def source_notebook(course=ROOT, assignment=ASSIGNMENT):
    return read_notebook(Path(course) / "source" / assignment / f"{NOTEBOOK}.ipynb")


def release_notebook(course=ROOT, assignment=ASSIGNMENT):
    return read_notebook(Path(course) / "release" / assignment / f"{NOTEBOOK}.ipynb")


def solution_answers(notebook=None):
    """Map each answer cell's grade_id to its solution code, markers removed."""
    notebook = notebook or source_notebook()
    answers = {}
    for cell in notebook.cells:
        if is_answer(cell):
            lines = [line for line in cell.source.split("\n")
                     if line.strip() not in SOLUTION_MARKERS]
            answers[grade_id(cell)] = "\n".join(lines)
    return answers


def given_code(grade_id, notebook=None):
    """The source of a read-only cell, e.g. the given ``backward_propagation_n``."""
    return cell_by_id(notebook or source_notebook(), grade_id).source


def edit(code, old, new):
    """Replace ``old`` by ``new`` in ``code``; fail if ``old`` is not there."""
    if old not in code:
        raise ValueError(f"cannot make this sample: {old!r} is no longer in the solution")
    return code.replace(old, new)


def fill(answers, release=None):
    """The release notebook with the answer cells named in ``answers`` replaced."""
    notebook = copy.deepcopy(release or release_notebook())
    unknown = set(answers) - {grade_id(c) for c in notebook.cells if is_answer(c)}
    if unknown:
        raise KeyError(f"no answer cells named {sorted(unknown)} in the release")
    for cell in notebook.cells:
        if is_answer(cell) and grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return notebook


def sample_submissions(course=ROOT, assignment=ASSIGNMENT):
    """The demo's four students: name -> notebook, in ``assignment`` (a translation's
    samples carry its docstrings; their code is the English samples' code)."""
    source = source_notebook(course, assignment)
    solutions = solution_answers(source)
    release = release_notebook(course, assignment)

    unfixed = dict(solutions)
    unfixed["ex5_fixed_backward_propagation_n"] = given_code("backward_propagation_n", source)

    check_mistake = dict(solutions)
    check_mistake["ex4_gradient_check_n"] = edit(
        solutions["ex4_gradient_check_n"],
        "(J_plus[i] - J_minus[i]) / (2 * epsilon)",
        "(J_plus[i] - J_minus[i]) / epsilon",
    )
    return {
        "complete": fill(solutions, release),
        "blank": fill({}, release),
        "unfixed_backward": fill(unfixed, release),
        "gradient_check_n_mistake": fill(check_mistake, release),
    }
