"""``grading.preprocessors.feedback`` on cells built here: feedback shows no hidden test,
neither in a test cell's source nor in the traceback of a failed one."""

import copy

import nbformat
import pytest
from nbgrader.preprocessors import ClearHiddenTests

from grading.preprocessors.feedback import HideHiddenTests, HideTestTracebacks

HIDDEN = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(-7) == -14\n### END HIDDEN TESTS\nprint('done')"
SHOWN = "assert f(1) == 2\nprint('done')"


def cell(source, cell_type="code", **nbgrader):
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    return make(source, metadata={"nbgrader": {"grade_id": "c", **nbgrader}} if nbgrader else {})


def make_test(source=HIDDEN):
    return cell(source, grade=True, solution=False, points=1)


def error(evalue="f(-7) returned 3", ename="AssertionError"):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[
        "\x1b[0;31m---------------------------------------------------------------------------",
        "Cell In[4], line 3\n      1 assert f(1) == 2\n----> 3 assert f(-7) == -14  # the hidden test",
        f"{ename}: {evalue}"])


# --- HideHiddenTests -----------------------------------------------------------------------

def test_a_test_cell_loses_its_hidden_tests():
    hidden = make_test()
    hidden, _ = HideHiddenTests().preprocess_cell(hidden, {}, 0)
    assert hidden.source == SHOWN


def test_a_test_cell_without_hidden_tests_is_unchanged():
    shown, _ = HideHiddenTests().preprocess_cell(make_test(SHOWN), {}, 0)
    assert shown.source == SHOWN


@pytest.mark.parametrize("flags", [
    {"grade": False, "solution": True},      # an answer that contains the marker text
    {"grade": True, "solution": True},       # an autograded answer
    {},                                      # a plain cell of the student's
], ids=["answer", "autograded-answer", "plain"])
def test_cells_that_are_not_tests_keep_their_text_and_stop_nothing(flags):
    answer = cell(HIDDEN, **flags)
    try:    # what nbgrader's own preprocessor does with it: stop the feedback, or cut the answer
        cut, _ = ClearHiddenTests().preprocess_cell(copy.deepcopy(answer), {}, 0)
        assert cut.source == SHOWN
    except RuntimeError as stopped:
        assert "Hidden test region detected in a non-grade cell" in str(stopped)
    kept, _ = HideHiddenTests().preprocess_cell(answer, {}, 0)
    assert kept.source == HIDDEN


def test_a_whole_notebook_keeps_the_answers_and_hides_the_tests():
    notebook = nbformat.v4.new_notebook(cells=[
        cell("def f(x):\n    return 2 * x  # BEGIN HIDDEN TESTS", grade=False, solution=True),
        make_test()])
    notebook.metadata["celltoolbar"] = "Create Assignment"
    notebook, _ = HideHiddenTests().preprocess(notebook, {})
    assert [c.source for c in notebook.cells] == [
        "def f(x):\n    return 2 * x  # BEGIN HIDDEN TESTS", SHOWN]
    assert "celltoolbar" not in notebook.metadata       # ClearHiddenTests.preprocess ran


# --- HideTestTracebacks --------------------------------------------------------------------

def test_a_failed_test_shows_its_error_and_message_only():
    def others():
        return [nbformat.v4.new_output("stream", name="stdout", text="checking\n"),
                nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=4)]
    failed = make_test()
    failed.outputs = [*others(), error()]
    failed, _ = HideTestTracebacks().preprocess_cell(failed, {}, 0)
    assert failed.outputs[2].traceback == ["AssertionError: f(-7) returned 3"]
    assert failed.outputs[2].ename == "AssertionError" and failed.outputs[2].evalue == "f(-7) returned 3"
    assert failed.outputs[:2] == others()


def test_an_error_without_message_shows_its_name():
    failed = make_test()
    failed.outputs = [error(evalue="")]
    failed, _ = HideTestTracebacks().preprocess_cell(failed, {}, 0)
    assert failed.outputs[0].traceback == ["AssertionError"]


def test_tracebacks_of_other_cells_are_kept():
    answer = cell("def f(x): ...", grade=False, solution=True)
    answer.outputs = [error()]
    kept, _ = HideTestTracebacks().preprocess_cell(answer, {}, 0)
    assert kept.outputs == [error()]


def test_a_graded_markdown_cell_is_left_alone():
    words = cell("my answer", cell_type="markdown", grade=True, solution=True, points=1)
    same, _ = HideTestTracebacks().preprocess_cell(words, {}, 0)
    assert same is words and "outputs" not in same


def test_every_test_cell_of_a_notebook_is_treated():
    first, second = make_test(), make_test()
    first.outputs, second.outputs = [error("one")], [error("two", "ValueError")]
    notebook, _ = HideTestTracebacks().preprocess(nbformat.v4.new_notebook(cells=[first, second]), {})
    assert [c.outputs[0].traceback for c in notebook.cells] == [["AssertionError: one"], ["ValueError: two"]]
