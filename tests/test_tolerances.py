"""The tolerances of the public and hidden tests are the lesson's, not the last digits'.

A right ``gradient_check`` or ``gradient_check_n`` that guards its division with a
tiny constant (``+ 1e-12`` in the denominator, cs231n's habit) or whose result is
off formula (2)'s by a relative 1e-7 gets every point of exercises 3 and 4, public
and hidden tests alike; every wrong variant of ``tests/mistake_catalogue.py``
still fails a test cell of its exercise when the hidden tests run too.

The instructor notebook is the release plus the hidden tests, so each variant is
the source notebook with its answer cells replaced (solutions, and one edit), run
cell by cell in this process as ``test_mistake_catalogue`` runs the release.
"""

import copy

import pytest
from mistake_catalogue import CELLS_OF, DENOMINATOR, EX3, EX4, MISTAKES, RATIO, Mistake
from notebook_exec import run_cells

from grading.cells import grade_id, is_answer
from scaffold.submissions import edit, solution_answers, source_notebook

#: Right variants whose number differs from formula (2)'s in the last digits only.
GUARDED = [
    Mistake(f"{exercise[:3]}: {name}", exercise, old, new)
    for exercise in (EX3, EX4)
    for name, old, new in [
        ("denominator + 1e-12", DENOMINATOR, DENOMINATOR + " + 1e-12"),
        ("denominator + 1e-8", DENOMINATOR, DENOMINATOR + " + 1e-8"),
        ("max(denominator, 1e-8)", RATIO, "difference = numerator / max(denominator, 1e-8)"),
        ("a relative 1e-7 more", RATIO, "difference = numerator / denominator * (1 + 1e-7)"),
        ("a relative 1e-7 less", RATIO, "difference = numerator / (denominator * (1 + 1e-7))"),
    ]
]


@pytest.fixture(scope="module")
def material():
    return solution_answers(), source_notebook()


def with_hidden_tests(entry, material):
    """The instructor notebook, answers replaced by the solutions with ``entry``'s edit."""
    solutions, source = material
    notebook = copy.deepcopy(source)
    for cell in notebook.cells:
        if is_answer(cell):
            cell.source = solutions[grade_id(cell)]
            if grade_id(cell) == entry.answer:
                cell.source = edit(cell.source, entry.old, entry.new)
    return notebook


def failed_cells(runs, exercise):
    return {name: run.error for name, run in runs.items() if name in CELLS_OF[exercise] and run.error}


def test_the_solution_itself_passes_every_hidden_test(material):
    runs = run_cells(with_hidden_tests(Mistake("solution", EX3, "grad = ", "grad = "), material))
    failed = {name: run.error for name, run in runs.items() if name.startswith("test_") and run.error}
    assert not failed, failed


@pytest.mark.parametrize("entry", GUARDED, ids=[entry.name for entry in GUARDED])
def test_guarded_division_gets_full_marks(entry, material):
    runs = run_cells(with_hidden_tests(entry, material))
    failed = failed_cells(runs, entry.answer)
    assert not failed, f"{entry.name}: " + "; ".join(f"{name}: {error}" for name, error in failed.items())
    assert set(CELLS_OF[entry.answer]) <= set(runs), "a test cell of the exercise did not run"


@pytest.mark.parametrize("entry", MISTAKES, ids=[f"{m.answer[:3]}-{m.name}" for m in MISTAKES])
def test_every_catalogued_mistake_still_loses_points(entry, material):
    runs = run_cells(with_hidden_tests(entry, material))
    failed = failed_cells(runs, entry.answer)
    assert failed, f"{entry.name}: every test cell of {entry.answer} passed with the hidden tests"
    assert entry.cell in failed, f"{entry.name}: {entry.cell} passed with the hidden tests"
