"""Every common mistake of the catalogue is named by its exercise's public test, and
every right variant passes without complaint.

Each entry is a one-line edit of the instructor's solution, filled into the
release notebook (``scaffold.submissions``) and run cell by cell
(``notebook_exec``).  The table printed at the end says, for each mistake,
which test cell failed and with what message.
"""

import pytest
from mistake_catalogue import CELLS_OF, CORRECT, MISTAKES
from notebook_exec import run_cells

from scaffold.submissions import edit, fill, release_notebook, solution_answers

PUBLIC_TEST_CELLS = {cell for cells in CELLS_OF.values() for cell in cells}


@pytest.fixture(scope="module")
def material():
    return solution_answers(), release_notebook()


def submission(entry, material):
    solutions, release = material
    answers = dict(solutions)
    answers[entry.answer] = edit(solutions[entry.answer], entry.old, entry.new)
    return fill(answers, release)


def failures(runs):
    return {name: run for name, run in runs.items() if name in PUBLIC_TEST_CELLS and run.error is not None}


def summary(error):
    return f"{type(error).__name__}: {error}".replace("\n", " ")


ROWS = []


@pytest.mark.parametrize("entry", MISTAKES, ids=[f"{m.answer[:3]}-{m.name}" for m in MISTAKES])
def test_mistake_is_named(entry, material):
    runs = run_cells(submission(entry, material))
    failed = failures(runs)
    message = summary(failed[entry.cell].error) if entry.cell in failed else "(passed)"
    ROWS.append((entry.name, entry.cell, message))
    assert entry.cell in failed, f"{entry.name}: {entry.cell} passed; printed {runs[entry.cell].printed!r}"
    error = failed[entry.cell].error
    assert isinstance(error, AssertionError), f"{entry.name}: not a test failure but {summary(error)}"
    assert getattr(error, "mistake", None) == entry.cause, (
        f"{entry.name}: named {getattr(error, 'mistake', None)!r}, not {entry.cause!r}: {summary(error)}")
    assert entry.phrase in str(error), f"{entry.name}: {entry.phrase!r} not in {summary(error)}"
    others = set(failed) - CELLS_OF[entry.answer]
    assert not others, f"{entry.name}: other exercises failed too: " + "; ".join(
        f"{name}: {summary(failed[name].error)}" for name in sorted(others))
    for cell, words in entry.notes.items():
        assert cell not in failed and words in runs[cell].printed, (
            f"{entry.name}: {cell} should pass with a note saying {words!r}; it printed "
            f"{runs[cell].printed!r}")


@pytest.mark.parametrize("entry", CORRECT, ids=[f"{m.answer[:3]}-{m.name}" for m in CORRECT])
def test_right_variant_passes_without_complaint(entry, material):
    runs = run_cells(submission(entry, material))
    failed = failures(runs)
    assert not failed, f"{entry.name}: " + "; ".join(
        f"{name}: {summary(run.error)}" for name, run in failed.items())
    for name in PUBLIC_TEST_CELLS:
        printed = runs[name].printed
        if name in entry.notes:
            assert entry.notes[name] in printed, f"{entry.name}: no note {entry.notes[name]!r} in {printed!r}"
        else:
            assert "Note" not in printed and "is wrong" not in printed, (
                f"{entry.name}: {name} printed {printed!r}")


def test_catalogue_covers_the_issue(capsys):
    """At least 30 mistakes, across all five exercises, the issue's own cases among them."""
    assert len(MISTAKES) >= 30
    assert {m.answer for m in MISTAKES} == set(CELLS_OF)
    assert sum(m.issue for m in MISTAKES) >= 19
    assert len({(m.answer, m.name) for m in MISTAKES}) == len(MISTAKES)


def test_print_the_table(capsys):
    """The table of what each mistake made its test say (after the tests above)."""
    if not ROWS:
        pytest.skip("run with the catalogue tests to see the table")
    with capsys.disabled():
        print(f"\n{'mistake':<38}{'cell':<38}message")
        for name, cell, message in ROWS:
            print(f"{name:<38}{cell:<38}{message[:160]}")


# A real kernel gives the same messages as the in-process run: a sample of the issue's cases.
KERNEL_SAMPLE = ["sum over theta", "stores (cost, cache)", "shapes (47,) and (47, 1)", "derivative in x",
                 "theta_minus is theta_plus"]


@pytest.mark.slow
def test_a_real_kernel_gives_the_same_messages(material, tmp_path):
    import shutil

    import nbformat
    from nbclient import NotebookClient

    from course_constants import ASSIGNMENT, ROOT

    folder = tmp_path / ASSIGNMENT
    shutil.copytree(ROOT / "release" / ASSIGNMENT, folder, ignore=shutil.ignore_patterns("*.ipynb"))
    entries = [m for m in MISTAKES if m.name in KERNEL_SAMPLE]
    assert len(entries) >= len(KERNEL_SAMPLE)
    for entry in entries:
        notebook = submission(entry, material)
        expected = run_cells(nbformat.from_dict(notebook))
        NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        for cell in notebook.cells:
            name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if name not in PUBLIC_TEST_CELLS:
                continue
            errors = [o for o in cell.outputs if o.output_type == "error"]
            shown = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert entry.notes.get(name, "") in shown, (entry.name, name, shown)
            mine = expected[name].error
            if mine is None:
                assert not errors, f"{entry.name}: {name} fails in a kernel only: {errors[0].evalue}"
                continue
            assert errors and errors[0].evalue == str(mine), (entry.name, name, errors, str(mine))
