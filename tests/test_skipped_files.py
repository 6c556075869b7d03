"""``NoteSkippedFiles``: the graded notebook lists what ``grading.safe_copy`` left out of the
submission's copy, for that student and assignment only, escaped for markdown."""

import logging
import os
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader.coursedir import CourseDirectory

from grading import safe_copy
from grading.preprocessors.skipped_files import NoteSkippedFiles

HEADING = ("**Grading note: files of this submission that were not copied for grading** "
           "(symbolic links are never followed):\n\n")


@pytest.fixture(autouse=True)
def no_earlier_copies(monkeypatch):
    monkeypatch.setattr(safe_copy, "_skipped", {})


def note(student="alice", assignment="a", cells=()):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": "n"}}
    notebook, _ = NoteSkippedFiles().preprocess(notebook, resources)
    return notebook


def converter(root, student, assignment):
    """What ``copy_submission`` uses of nbgrader's Autograde converter."""
    coursedir = CourseDirectory(root=str(root))
    return SimpleNamespace(
        coursedir=coursedir, _input_directory="submitted", log=logging.getLogger("test_skipped_files"),
        notebooks=[str(root / "submitted" / student / assignment / "n.ipynb")],
        _format_source=lambda a, s: str(root / "submitted" / s / a),
        _format_dest=lambda a, s: str(root / "autograded" / s / a))


def test_nothing_skipped_adds_nothing():
    notebook = note(cells=["x = 1"])
    assert [c.source for c in notebook.cells] == ["x = 1"]


def test_what_the_copy_left_out_is_listed_at_the_end(tmp_path, caplog):
    folder = tmp_path / "submitted" / "alice" / "a"
    folder.mkdir(parents=True)
    (folder / "n.ipynb").write_text("{}")
    (folder / "data.csv").write_text("1,2\n")
    os.symlink("/etc/passwd", folder / "passwords.txt")
    os.mkfifo(folder / "pipe")
    with caplog.at_level(logging.WARNING):
        safe_copy.copy_submission(converter(tmp_path, "alice", "a"), "a", "alice")
    assert sorted(os.listdir(tmp_path / "autograded" / "alice" / "a")) == ["data.csv"]
    assert [r.getMessage() for r in caplog.records] == [
        "[grading] alice/n: not copied: symbolic link 'passwords.txt' -> '/etc/passwd'",
        "[grading] alice/n: not copied: 'pipe', a named pipe"]
    notebook = note(cells=["x = 1"])
    assert [c.cell_type for c in notebook.cells] == ["code", "markdown"]
    assert notebook.cells[-1].source == HEADING + (
        "* not copied: symbolic link &#x27;passwords.txt&#x27; -&gt; &#x27;/etc/passwd&#x27;\n"
        "* not copied: &#x27;pipe&#x27;, a named pipe")


def test_the_note_is_the_students_own_for_that_assignment(monkeypatch):
    monkeypatch.setitem(safe_copy._skipped, ("bob", "a"), ["not copied: 'x', a named pipe"])
    monkeypatch.setitem(safe_copy._skipped, ("alice", "b"), ["not copied: 'y', a named pipe"])
    assert len(note("alice", "a").cells) == 0
    assert note("bob", "a").cells[0].source == HEADING + "* not copied: &#x27;x&#x27;, a named pipe"
    assert note("alice", "b").cells[0].source == HEADING + "* not copied: &#x27;y&#x27;, a named pipe"


def test_markup_in_a_file_name_is_shown_as_text(monkeypatch):
    monkeypatch.setitem(safe_copy._skipped, ("alice", "a"), ["not copied: '<img src=x onerror=alert(1)>'"])
    assert note().cells[0].source == HEADING + (
        "* not copied: &#x27;&lt;img src=x onerror=alert(1)&gt;&#x27;")


def test_a_folder_that_is_a_link_is_not_copied_at_all(tmp_path, caplog):
    (tmp_path / "source" / "a").mkdir(parents=True)
    (tmp_path / "submitted" / "alice").mkdir(parents=True)
    os.symlink(tmp_path / "source" / "a", tmp_path / "submitted" / "alice" / "a")
    with caplog.at_level(logging.WARNING):
        safe_copy.copy_submission(converter(tmp_path, "alice", "a"), "a", "alice")
    assert not (tmp_path / "autograded").exists()
    why = f"nothing copied: 'alice/a' is a symbolic link to {str(tmp_path / 'source' / 'a')!r}; " \
          "links are not followed"
    assert safe_copy.skipped_entries("alice", "a") == [why]
    assert [r.getMessage() for r in caplog.records] == [f"[grading] alice/n: {why}"]
    assert note().cells[0].source.startswith(HEADING + "* nothing copied: &#x27;alice/a&#x27; is a symbolic")


def test_skipped_entries_is_a_copy():
    safe_copy._skipped[("alice", "a")] = ["one"]
    safe_copy.skipped_entries("alice", "a").append("two")
    assert safe_copy.skipped_entries("alice", "a") == ["one"]
    assert safe_copy.skipped_entries("nobody", "a") == []
