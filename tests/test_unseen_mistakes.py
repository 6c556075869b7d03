"""Mistakes no public test was tuned on are located at their first wrong step.

Each entry of ``tests/unseen_mistakes.py`` is filled into the release notebook and run
cell by cell as a student's notebook runs (``notebook_exec``), like the common
mistakes of ``test_mistake_catalogue.py``.  The public test of its exercise must fail,
and its error must name the entry's stage (``error.stage``; exercise 5: each wrong
block and the kind of its error, ``error.blocks``).  The right variants of both
catalogues must pass with no note, the hidden tests accept what they accepted, and
a check that renamed its intermediates gets the record of its cost evaluations, with
a sentence that says so.  Tables are printed at the end: the unseen catalogue's,
and how the stage localisation fares on the common mistakes.
"""

import pytest
from mistake_catalogue import CELLS_OF, CORRECT, EX3, EX4, MISTAKES
from notebook_exec import run_cells
from unseen_mistakes import RIGHT, STAGES, UNSEEN

from scaffold.submissions import edit, fill, release_notebook, solution_answers, source_notebook

PUBLIC = {EX3: "test_ex3_gradient_check", EX4: "test_ex4_gradient_check_n",
          "ex5_fixed_backward_propagation_n": "test_ex5_fixed_backward_propagation_n"}
PUBLIC_TEST_CELLS = {cell for cells in CELLS_OF.values() for cell in cells}


@pytest.fixture(scope="module")
def material():
    return solution_answers(), release_notebook()


def submission(entry, material, release=None):
    solutions, notebook = material
    answers = dict(solutions)
    answers[entry.answer] = edit(solutions[entry.answer], entry.old, entry.new)
    return fill(answers, release or notebook)


def failures(runs, cells=PUBLIC_TEST_CELLS):
    return {name: run for name, run in runs.items() if name in cells and run.error is not None}


def located_as(error):
    if error is None:
        return "(passed)"
    blocks = getattr(error, "blocks", None)
    if blocks:
        return ", ".join(f"{name} {kind}" for name, kind in blocks.items())
    return getattr(error, "stage", None) or f"(none: {getattr(error, 'mistake', None)})"


def expected_of(entry):
    return ", ".join(f"{name} {kind}" for name, kind in entry.blocks.items()) if entry.blocks else entry.stage


ROWS, OLD_ROWS = [], []


def test_the_catalogue_is_what_the_issue_asks():
    assert len(UNSEEN) >= 25
    assert all(entry.stage in STAGES for entry in UNSEEN if not entry.blocks)
    assert sum(entry.issue for entry in UNSEEN) >= 8
    old = {(m.answer, m.old, m.new) for m in MISTAKES + CORRECT}
    assert not [e.name for e in UNSEEN + RIGHT if (e.answer, e.old, e.new) in old]


@pytest.mark.parametrize("entry", UNSEEN, ids=[f"{m.answer[:3]}-{m.name}" for m in UNSEEN])
def test_unseen_mistake_is_located(entry, material):
    runs = run_cells(submission(entry, material))
    cell = PUBLIC[entry.answer]
    error = runs[cell].error
    ROWS.append((entry.name, entry.answer[:3], expected_of(entry), located_as(error),
                 str(error).replace("\n", " ") if error else ""))
    assert isinstance(error, AssertionError), f"{entry.name}: {cell} gave {error!r}"
    if entry.blocks:
        assert getattr(error, "blocks", None) == entry.blocks, f"{entry.name}: {error}"
    else:
        assert getattr(error, "stage", None) == entry.stage, f"{entry.name}: {error}"
        assert str(error).startswith("gradient_check"), f"{entry.name}: the stage is not first: {error}"
    others = set(failures(runs)) - CELLS_OF[entry.answer]
    assert not others, f"{entry.name}: other exercises failed too: {sorted(others)}"


QUIET = RIGHT + [c for c in CORRECT if not c.notes]


@pytest.mark.parametrize("entry", QUIET, ids=[f"{m.answer[:3]}-{m.name}" for m in QUIET])
def test_right_variant_passes_without_a_note(entry, material):
    runs = run_cells(submission(entry, material))
    failed = failures(runs)
    assert not failed, f"{entry.name}: " + "; ".join(f"{n}: {r.error}" for n, r in failed.items())
    for name in PUBLIC_TEST_CELLS:
        printed = runs[name].printed
        assert "Note" not in printed and "is wrong" not in printed, (
            f"{entry.name}: {name} printed {printed!r}")


@pytest.mark.parametrize("entry", RIGHT, ids=[f"{m.answer[:3]}-{m.name}" for m in RIGHT])
def test_hidden_tests_accept_the_right_variants(entry, material):
    """The instructor's notebook, hidden tests included, with the variant filled in."""
    solutions, _release = material
    runs = run_cells(submission(entry, material, release=source_notebook()))
    failed = failures(runs)
    assert not failed, f"{entry.name}: " + "; ".join(f"{n}: {r.error}" for n, r in failed.items())


RENAMED = [
    # theta_plus renamed, and gradapprox twice too large: the record of evaluations names it.
    (EX3, [("theta_plus", "tp"), ("gradapprox = (J_plus - J_minus) / (2 * epsilon)",
                                  "gradapprox = (J_plus - J_minus) / epsilon")], "gradapprox_no_two"),
    (EX4, [("J_minus", "costs_minus"), ("theta_minus[i, 0] -= epsilon", "theta_minus[i, 0] += epsilon")],
     "both_plus"),
]


@pytest.mark.parametrize("answer, edits, cause", RENAMED, ids=[a[:3] for a, _e, _c in RENAMED])
def test_renamed_intermediates_fall_back_to_the_record_of_evaluations(answer, edits, cause, material):
    solutions, release = material
    code = solutions[answer]
    for old, new in edits:
        code = edit(code, old, new)
    runs = run_cells(fill(dict(solutions, **{answer: code}), release))
    error = runs[PUBLIC[answer]].error
    assert isinstance(error, AssertionError), error
    assert getattr(error, "mistake", None) == cause, error
    assert getattr(error, "stage", "absent") is None, error
    assert "does not keep the template's names" in str(error) and "missing" in str(error), error


def test_renamed_but_right_passes(material):
    solutions, release = material
    code = edit(solutions[EX3], "theta_plus", "tp")
    runs = run_cells(fill(dict(solutions, **{EX3: code}), release))
    assert not failures(runs), failures(runs)


@pytest.mark.parametrize("entry", [m for m in MISTAKES if m.answer in (EX3, EX4)],
                         ids=[f"{m.answer[:3]}-{m.name}" for m in MISTAKES if m.answer in (EX3, EX4)])
def test_common_mistakes_located(entry, material):
    """The common mistakes of exercises 3 and 4: the stage found, and the cause still named."""
    runs = run_cells(submission(entry, material))
    error = runs[entry.cell].error
    stage = getattr(error, "stage", None)
    named = getattr(error, "mistake", None) == entry.cause
    OLD_ROWS.append((entry.name, entry.answer[:3], stage or "-", named))
    assert getattr(error, "mistake", None) == entry.cause, f"{entry.name}: {error}"


def test_print_the_tables(capsys):
    if not ROWS:
        pytest.skip("run with the tests above to see the tables")
    with capsys.disabled():
        _print_tables()


def _print_tables():
    located = sum(expected == got for _n, _a, expected, got, _m in ROWS)
    print(f"\n{'unseen mistake':<44}{'ex':<5}{'expected stage':<34}located stage")
    for name, exercise, expected, got, _message in ROWS:
        if len(expected) > 33:
            print(f"{name:<44}{exercise:<5}{expected}\n{'':<49}{'':<34}{got}")
        else:
            print(f"{name:<44}{exercise:<5}{expected:<34}{got}")
    print(f"unseen: {located}/{len(ROWS)} located at the right stage, {len(ROWS) - located} misdiagnosed")
    if OLD_ROWS:
        print(f"\n{'common mistake':<44}{'ex':<5}{'located stage':<20}cause still named")
        for name, exercise, stage, named in OLD_ROWS:
            print(f"{name:<44}{exercise:<5}{stage:<20}{named}")
        staged = sum(stage != "-" for _n, _e, stage, _c in OLD_ROWS)
        named = sum(c for *_rest, c in OLD_ROWS)
        print(f"common (ex3-4): {staged}/{len(OLD_ROWS)} located at a stage, {named}/{len(OLD_ROWS)} "
              f"named with their catalogued cause, {len(OLD_ROWS) - named} misdiagnosed")


# In a translated release, run by a real kernel, the located step is in the student's language.
TRANSLATED_SAMPLE = ["cs231n denominator", "comparison indented into the loop", "dW3 transposed"]


@pytest.mark.slow
@pytest.mark.parametrize("language, words", [("zh", "最先出错"), ("ko", "처음 틀립니다")])
def test_a_translated_release_locates_in_its_language(language, words, tmp_path):
    import shutil

    from nbclient import NotebookClient

    from course_constants import ASSIGNMENT, ROOT

    assignment = f"{ASSIGNMENT}_{language}"
    folder = tmp_path / assignment
    shutil.copytree(ROOT / "release" / assignment, folder, ignore=shutil.ignore_patterns("*.ipynb"))
    release = release_notebook(assignment=assignment)
    solutions = solution_answers(source_notebook(assignment=assignment))
    entries = [m for m in UNSEEN if m.name in TRANSLATED_SAMPLE]
    assert len(entries) >= len(TRANSLATED_SAMPLE)
    for entry in entries:
        notebook = submission(entry, (solutions, release))
        NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        cell = next(c for c in notebook.cells
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == PUBLIC[entry.answer])
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"{entry.name}: {PUBLIC[entry.answer]} passed in {language}"
        text = errors[0].evalue
        for english in ("goes wrong first", "The steps before it", "inside its loop", "the right values"):
            assert english not in text, f"{entry.name}: English left in {language}: {text}"
        if entry.blocks:
            assert all(name in text for name in entry.blocks), text
        else:
            assert words in text or "i = 0" in text, text
            assert entry.stage in text or "i = 0" in text, text


def _vectorised(material, formula):
    """Exercise 4 with gradapprox computed after the loop, in one line."""
    solutions, release = material
    code = edit(solutions[EX4], "        gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)",
                "        pass")
    code = edit(code, "    numerator = np.linalg.norm", f"    {formula}\n    numerator = np.linalg.norm")
    return run_cells(fill(dict(solutions, **{EX4: code}), release))


def test_gradapprox_after_the_loop_is_right(material):
    """Not in the catalogue (added after it): a value read at the return counts as well."""
    runs = _vectorised(material, "gradapprox = (J_plus - J_minus) / (2 * epsilon)")
    assert not failures(runs), failures(runs)
    assert "Note" not in runs["test_ex4_gradient_check_n"].printed


def test_gradapprox_after_the_loop_is_still_located_when_wrong(material):
    runs = _vectorised(material, "gradapprox = (J_plus - J_minus) / epsilon")
    error = runs["test_ex4_gradient_check_n"].error
    assert getattr(error, "stage", None) == "gradapprox", error
    assert getattr(error, "mistake", None) == "gradapprox_no_two", error
