"""``grading.preprocessors.outputs`` on cells built here: ``LimitOutputBytes`` keeps a byte
budget per cell, ``FairStreams`` lets a warning on stderr stand next to a passing test.

Sizes are those of an output as JSON (UTF-8): a stdout stream of N ASCII characters is
N + 55 bytes."""

import logging

import nbformat
from nbgrader.utils import determine_grade
from traitlets.config import Config

from grading.preprocessors.outputs import FairStreams, LimitOutputBytes

RESOURCES = {"nbgrader": {"student": "alice", "notebook": "nb", "assignment": "a"}}


def stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def code(outputs, **nbgrader):
    cell = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": nbgrader} if nbgrader else {})
    cell.outputs = outputs
    return cell


def graded_cell(outputs, points=2):
    return code(outputs, grade=True, solution=False, locked=True, grade_id="test_a", points=points)


def limit(max_bytes):
    config = Config()
    config.LimitOutputBytes.max_bytes = max_bytes
    return LimitOutputBytes(config=config)


def grading_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("[grading]")]


# --- LimitOutputBytes ----------------------------------------------------------------------

def test_the_default_budget_is_64_kib_per_cell():
    assert LimitOutputBytes().max_bytes == 64 * 1024


def test_output_within_the_budget_is_kept_as_it_is(caplog):
    outputs = [stream("b" * 100), nbformat.v4.new_output("execute_result", data={"text/plain": "3"},
                                                          execution_count=1)]
    cell = code([nbformat.from_dict(o) for o in outputs])
    with caplog.at_level(logging.WARNING):
        cell, _ = limit(1000).preprocess_cell(cell, RESOURCES, 0)
    assert cell.outputs == outputs
    assert grading_lines(caplog) == []


def test_a_budget_used_exactly_keeps_everything():
    cell, _ = limit(155).preprocess_cell(code([stream("b" * 100)]), RESOURCES, 0)   # 155 bytes
    assert cell.outputs == [stream("b" * 100)]


def test_a_long_stream_is_cut_with_a_note_and_a_log_line(caplog):
    cell = graded_cell([stream("a" * 5000)])               # 5055 bytes
    with caplog.at_level(logging.WARNING):
        cell, _ = limit(1000).preprocess_cell(cell, RESOURCES, 3)
    # the stream keeps what fits, 200 bytes short of the budget, then the note
    assert cell.outputs == [stream("a" * 800),
                            stream("\n... output truncated: 5055 bytes not kept ...\n")]
    assert grading_lines(caplog) == ["[grading] alice/nb: cell test_a: output cut to 1000 bytes"]


def test_a_cell_without_grade_id_is_named_by_its_index(caplog):
    with caplog.at_level(logging.WARNING):
        limit(1000).preprocess_cell(code([stream("a" * 5000)]), RESOURCES, 7)
    assert grading_lines(caplog) == ["[grading] alice/nb: cell 7: output cut to 1000 bytes"]


def test_outputs_after_the_budget_are_dropped_and_counted():
    image = nbformat.v4.new_output("display_data", data={"image/png": "A" * 3000})   # 3074 bytes
    cell = code([stream("b" * 100), stream("a" * 5000), image, stream("b" * 100)])
    cell, _ = limit(1000).preprocess_cell(cell, RESOURCES, 0)
    # 155 kept whole; the long stream cut to 1000 - 155 - 200 bytes; nothing after it
    assert cell.outputs == [stream("b" * 100), stream("a" * 645),
                            stream(f"\n... output truncated: {5055 + 3074 + 155} bytes not kept ...\n")]


def test_a_stream_is_dropped_whole_when_less_than_200_bytes_are_left():
    cell = code([stream("b" * 100), stream("a" * 5000)])
    cell, _ = limit(300).preprocess_cell(cell, RESOURCES, 0)   # 145 bytes left after the first
    assert cell.outputs == [stream("b" * 100), stream("\n... output truncated: 5055 bytes not kept ...\n")]


def test_a_stream_is_cut_between_characters_not_inside_one():
    cell = code([stream("é" * 700)])            # 1400 bytes in UTF-8, 700 characters
    cell, _ = limit(1001).preprocess_cell(cell, RESOURCES, 0)
    assert cell.outputs[0].text == "é" * 400      # 801 bytes allowed: 400 whole characters


def test_the_budget_counts_bytes_not_characters():
    cell, _ = limit(1000).preprocess_cell(code([stream("é" * 500)]), RESOURCES, 0)   # 1055 bytes
    assert cell.outputs == [stream("é" * 400), stream("\n... output truncated: 1055 bytes not kept ...\n")]


def test_even_a_few_bytes_dropped_get_the_note():
    cell, _ = limit(200).preprocess_cell(code([stream("b" * 100), stream("b" * 10)]), RESOURCES, 0)
    assert cell.outputs == [stream("b" * 100), stream("\n... output truncated: 65 bytes not kept ...\n")]


def test_a_huge_error_keeps_its_name_and_the_start_of_its_message():
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="x" * 5000, traceback=["line"] * 10)
    cell = graded_cell([error])
    cell, _ = limit(3000).preprocess_cell(cell, RESOURCES, 0)
    kept, note = cell.outputs
    assert kept == {"output_type": "error", "ename": "ValueError", "evalue": "x" * 1000,
                    "traceback": ["ValueError: " + "x" * 1000]}
    assert note == stream("\n... output truncated: 5156 bytes not kept ...\n")
    # still an error: the test cell still fails
    assert determine_grade(cell) == (0, 2.0)


def test_an_error_after_a_cut_error_uses_what_is_left_of_the_budget():
    first = nbformat.v4.new_output("error", ename="A", evalue="x" * 5000, traceback=[])
    small = stream("b" * 100)
    cell, _ = limit(1500).preprocess_cell(code([first, small]), RESOURCES, 0)
    # 1500 - 1200 = 300 bytes left for the small stream (155)
    assert [o.output_type for o in cell.outputs] == ["error", "stream", "stream"]
    assert cell.outputs[1] == small


def test_markdown_cells_are_left_alone():
    cell = nbformat.v4.new_markdown_cell("x" * 10_000)
    same, _ = limit(10).preprocess_cell(cell, RESOURCES, 0)
    assert same is cell and same.source == "x" * 10_000 and "outputs" not in same


def test_the_budget_is_per_cell_through_the_whole_notebook():
    notebook = nbformat.v4.new_notebook(cells=[code([stream("a" * 600)]), code([stream("a" * 600)])])
    notebook, _ = limit(1000).preprocess(notebook, RESOURCES)
    assert [cell.outputs for cell in notebook.cells] == [[stream("a" * 600)], [stream("a" * 600)]]


# --- FairStreams ---------------------------------------------------------------------------

def test_a_warning_next_to_a_passing_test_does_not_fail_it():
    warning = "/tmp/x.py:3: UserWarning: epsilon is large\n  warnings.warn('epsilon is large')\n"
    cell = graded_cell([stream(warning, "stderr"), stream("All tests passed.\n")])
    assert determine_grade(cell) == (0, 2.0)            # what plain nbgrader gives
    cell, _ = FairStreams().preprocess_cell(cell, RESOURCES, 0)
    assert cell.outputs == [stream(warning), stream("All tests passed.\n")]   # the text is kept
    assert determine_grade(cell) == (2.0, 2.0)


def test_an_error_still_fails_the_test_cell():
    def error():
        return nbformat.v4.new_output("error", ename="AssertionError", evalue="wrong", traceback=["tb"])
    cell = graded_cell([stream("warned\n", "stderr"), error()])
    cell, _ = FairStreams().preprocess_cell(cell, RESOURCES, 0)
    assert cell.outputs == [stream("warned\n"), error()]
    assert determine_grade(cell) == (0, 2.0)


def test_stderr_of_cells_that_are_not_tests_is_left_as_stderr():
    answer = code([stream("warned\n", "stderr")], grade=False, solution=True, grade_id="answer")
    plain = code([stream("warned\n", "stderr")])
    for cell in (answer, plain):
        cell, _ = FairStreams().preprocess_cell(cell, RESOURCES, 0)
        assert cell.outputs == [stream("warned\n", "stderr")]


def test_a_graded_markdown_cell_is_left_alone():
    cell = nbformat.v4.new_markdown_cell("an answer in words", metadata={"nbgrader": {
        "grade": True, "solution": True, "grade_id": "words", "points": 1}})
    same, _ = FairStreams().preprocess_cell(cell, RESOURCES, 0)
    assert same is cell and "outputs" not in same


def test_every_test_cell_of_a_notebook_is_treated():
    notebook = nbformat.v4.new_notebook(cells=[graded_cell([stream("w\n", "stderr")]),
                                               graded_cell([stream("w\n", "stderr")])])
    notebook, _ = FairStreams().preprocess(notebook, RESOURCES)
    assert [determine_grade(cell) for cell in notebook.cells] == [(2.0, 2.0), (2.0, 2.0)]
