"""``grading.preprocessors.reading``: a submission that is not a notebook (malformed JSON,
JSON of another shape, a link, a pipe, the instructor's own file) is read as a placeholder
notebook with the reason, never as what it points at, and never stops the batch."""

import io
import logging
import os
import time

import nbformat
import pytest
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Configurable

from grading.preprocessors import reading
from grading.preprocessors.reading import TolerantNotebookExporter, is_placeholder, placeholder_notebook

GOOD = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", id="only-cell")])


def read(output):
    return nbformat.reads(output, as_version=4)


def reason(output):
    notebook = read(output)
    assert is_placeholder(notebook)
    return notebook.metadata.grading.unreadable


def grading_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("[grading]")]


# --- the placeholder -----------------------------------------------------------------------

def test_the_placeholder_says_why_and_has_nothing_to_grade():
    notebook = placeholder_notebook("NotJSONError: no")
    nbformat.validate(notebook)
    assert [cell.cell_type for cell in notebook.cells] == ["markdown"]
    assert notebook.cells[0].source == (
        "**This submission could not be read as a notebook**, so none of its tests could run and every "
        "graded cell scores 0.\n\nReason: `NotJSONError: no`")
    assert notebook.metadata.grading == {"unreadable": "NotJSONError: no"}
    assert is_placeholder(notebook)


def test_a_real_notebook_is_no_placeholder():
    assert not is_placeholder(GOOD)
    assert not is_placeholder({})
    assert not is_placeholder(nbformat.from_dict({"metadata": {"grading": {"unreadable": ""}}}))


# --- from_file: what the text is -----------------------------------------------------------

@pytest.mark.parametrize("text, why", [
    ('{"cells": [', "NotJSONError: Notebook does not appear to be JSON: '{\"cells\": ['"),
    ("", "NotJSONError: Notebook does not appear to be JSON: ''"),
    ("[1, 2]", "AttributeError: 'list' object has no attribute 'get'"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "ValidationError: The notebook is invalid and is missing an expected key: cells"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {}}', "no list of cells"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"id": "c0", "cell_type": "foo", '
     '"source": "", "metadata": {}}]}', "cell 0 is not a notebook cell"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"id": "c0", "cell_type": "code", '
     '"source": 3, "metadata": {}, "outputs": [], "execution_count": null}]}', "cell 0 has no text source"),
], ids=["truncated", "empty", "a-list", "no-cells", "cells-not-a-list", "unknown-cell-type",
        "source-a-number"])
def test_text_that_is_no_notebook_becomes_the_placeholder(text, why, caplog):
    with caplog.at_level(logging.WARNING):
        output, _ = TolerantNotebookExporter().from_file(io.StringIO(text), name="alice/n.ipynb")
    assert reason(output) == why
    assert grading_lines(caplog) == [f"[grading] alice/n.ipynb: not a readable notebook ({why}); every "
                                     "graded cell scores 0"]


@pytest.mark.parametrize("message, shown", [
    ("y" * 300 + "\nthe second line", "y" * 200),
    ("the first line\nthe second line", "the first line"),
])
def test_an_error_is_shown_by_its_first_line_and_200_characters_at_most(monkeypatch, message, shown):
    def reads(text, as_version):
        raise ValueError(message)
    monkeypatch.setattr(reading.nbformat, "reads", reads)
    output, _ = TolerantNotebookExporter().from_file(io.StringIO("{}"))
    monkeypatch.undo()
    assert reason(output) == "ValueError: " + shown


def test_an_error_without_message_is_named():
    class Unreadable(io.StringIO):
        def read(self):
            raise OSError()
    output, _ = TolerantNotebookExporter().from_file(Unreadable())
    assert reason(output) == "OSError: "


def test_a_notebook_is_read_as_it_is(caplog):
    with caplog.at_level(logging.WARNING):
        output, _ = TolerantNotebookExporter().from_file(io.StringIO(nbformat.writes(GOOD)))
    assert read(output) == GOOD
    assert grading_lines(caplog) == []


# --- from_filename: what the file is -------------------------------------------------------

class Converter(Configurable):
    """What the exporter's parent is under nbgrader: a converter with a course directory."""


@pytest.fixture
def course(tmp_path):
    """A course with the instructor's ``source/a/n.ipynb`` and alice's submission folder, and an
    exporter whose parent reads from ``submitted/``, as nbgrader's Autograde does."""
    source = tmp_path / "source" / "a"
    source.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("SOLUTION = 42")]),
                   source / "n.ipynb")
    submission = tmp_path / "submitted" / "alice" / "a"
    submission.mkdir(parents=True)
    converter = Converter()
    converter.coursedir = CourseDirectory(root=str(tmp_path))
    converter._input_directory = "submitted"
    return tmp_path, submission, TolerantNotebookExporter(parent=converter)


RESOURCES = {"nbgrader": {"student": "alice", "notebook": "n", "assignment": "a"}}


def export(exporter, path, caplog):
    with caplog.at_level(logging.WARNING):
        output, resources = exporter.from_filename(str(path),
                                                   resources={"nbgrader": dict(RESOURCES["nbgrader"])})
    return output, resources, grading_lines(caplog)


def test_a_submitted_notebook_is_read_with_its_name_folder_and_date(course, caplog):
    _, submission, exporter = course
    path = submission / "n.ipynb"
    nbformat.write(GOOD, path)
    stamp = time.mktime((2024, 3, 5, 12, 0, 0, 0, 0, -1))
    os.utime(path, (stamp, stamp))
    output, resources, lines = export(exporter, path, caplog)
    assert read(output) == GOOD and lines == []
    metadata = resources["metadata"]
    assert (metadata["name"], metadata["path"]) == ("n", str(submission))
    assert metadata["modified_date"] == time.strftime("%B %-d, %Y", time.gmtime(stamp))


def test_a_notebook_that_is_a_link_is_not_read_through_it(course, caplog):
    _, submission, exporter = course
    os.symlink("../../../source/a/n.ipynb", submission / "n.ipynb")
    output, _, lines = export(exporter, submission / "n.ipynb", caplog)
    why = ("the notebook file was not read: it is a symbolic link to '../../../source/a/n.ipynb'; "
           "links are not followed")
    assert reason(output) == why
    assert "SOLUTION" not in output
    assert lines == [f"[grading] alice/n: {why}; every graded cell scores 0"]


def test_a_submission_folder_that_is_a_link_is_not_read_through(course, caplog):
    root, submission, exporter = course
    submission.rmdir()
    os.symlink(root / "source" / "a", submission)
    output, _, _ = export(exporter, submission / "n.ipynb", caplog)
    assert reason(output) == (f"the notebook file was not read: 'alice/a' is a symbolic link to "
                              f"{str(root / 'source' / 'a')!r}")
    assert "SOLUTION" not in output


def test_a_hard_link_to_the_instructors_notebook_is_refused(course, caplog):
    root, submission, exporter = course
    os.link(root / "source" / "a" / "n.ipynb", submission / "n.ipynb")
    output, _, _ = export(exporter, submission / "n.ipynb", caplog)
    assert reason(output) == ("the notebook file was not read: it is the instructor's own file under "
                              "another name (a hard link)")
    assert "SOLUTION" not in output


def test_a_named_pipe_is_not_even_opened(course, caplog):
    _, submission, exporter = course
    os.mkfifo(submission / "n.ipynb")      # opening it for reading would wait for a writer
    output, _, _ = export(exporter, submission / "n.ipynb", caplog)
    assert reason(output) == "the notebook file was not read: it is a named pipe"


def test_a_notebook_past_the_size_limit_is_not_read(course, caplog, monkeypatch):
    _, submission, exporter = course
    nbformat.write(GOOD, submission / "n.ipynb")
    monkeypatch.setattr(reading, "MAX_NOTEBOOK_BYTES", 10)
    output, _, _ = export(exporter, submission / "n.ipynb", caplog)
    assert reason(output) == "the notebook file was not read: it is larger than 10 bytes"


def test_the_limit_is_128_mib():
    assert reading.MAX_NOTEBOOK_BYTES == 128 * 1024 ** 2


def test_a_file_that_is_not_json_is_graded_as_the_placeholder(course, caplog):
    _, submission, exporter = course
    (submission / "n.ipynb").write_bytes(b"\x89PNG\r\n")
    output, resources, lines = export(exporter, submission / "n.ipynb", caplog)
    assert reason(output).startswith("UnicodeDecodeError: 'utf-8' codec can't decode byte 0x89")
    assert resources["metadata"]["name"] == "n"
    assert lines == [f"[grading] {submission / 'n.ipynb'}: not a readable notebook ({reason(output)}); "
                     "every graded cell scores 0"]


def test_without_a_converter_the_files_own_folder_is_the_base(tmp_path, caplog):
    nbformat.write(GOOD, tmp_path / "real.ipynb")
    os.symlink("real.ipynb", tmp_path / "n.ipynb")
    exporter = TolerantNotebookExporter()
    with caplog.at_level(logging.WARNING):
        output, _ = exporter.from_filename(str(tmp_path / "n.ipynb"))
    assert reason(output) == ("the notebook file was not read: it is a symbolic link to 'real.ipynb'; "
                              "links are not followed")
    assert grading_lines(caplog) == [f"[grading] {tmp_path / 'n.ipynb'}: {reason(output)}; every graded "
                                     "cell scores 0"]
    output, _ = exporter.from_filename(str(tmp_path / "real.ipynb"))
    assert read(output) == GOOD
    # the folder it is given is trusted, even one reached through a link
    (tmp_path / "real").mkdir()
    nbformat.write(GOOD, tmp_path / "real" / "n.ipynb")
    os.symlink("real", tmp_path / "linked")
    output, _ = exporter.from_filename(str(tmp_path / "linked" / "n.ipynb"))
    assert read(output) == GOOD
