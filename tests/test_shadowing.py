"""``RemoveShadowingFiles`` on an autograded folder made here: what Python would import in
place of numpy or of the course's helpers goes, data files stay; and the helpers it relies on."""

import logging
import os
import sys

import nbformat
import pytest
from traitlets.config import Config

from grading.preprocessors.shadowing import RemoveShadowingFiles, library_names, source_modules


@pytest.fixture
def course(tmp_path):
    """A course with ``source/a/`` holding two helper modules (named like no library) and a
    notebook; the student's autograded folder, empty; and the preprocessor's config."""
    source = tmp_path / "source" / "a"
    source.mkdir(parents=True)
    for name in ("lesson_utils.py", "lessonCases.py", "data.csv"):
        (source / name).write_text("# the instructor's\n")
    nbformat.write(nbformat.v4.new_notebook(), source / "n.ipynb")
    folder = tmp_path / "autograded" / "alice" / "a"
    folder.mkdir(parents=True)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    return config, source, folder


def run(course, caplog):
    config, _, folder = course
    resources = {"metadata": {"path": str(folder)},
                 "nbgrader": {"assignment": "a", "student": "alice", "notebook": "n"}}
    notebook = nbformat.v4.new_notebook()
    with caplog.at_level(logging.WARNING):
        out, _ = RemoveShadowingFiles(config=config).preprocess(notebook, resources)
    assert out is notebook
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("[grading]")]
    return sorted(os.listdir(folder)), lines


def make(folder, *names):
    for name in names:
        path = folder / name
        if name.endswith("/"):
            path.mkdir()
            (path / "__init__.py").write_text("FAKE = True\n")
        else:
            path.write_text("FAKE = True\n")


def test_source_modules_are_the_python_files_of_the_source_folder(course):
    config, _, _ = course
    assert source_modules(config, "a") == ["lessonCases", "lesson_utils"]
    assert source_modules(config, "no_such_assignment") == []


def test_library_names_cover_stdlib_site_packages_and_startup_hooks():
    names = library_names()
    assert {"os", "sys", "json", "numpy", "nbgrader", "sitecustomize", "usercustomize"} <= names
    assert set(sys.builtin_module_names) <= names
    assert "lesson_utils" not in names       # the helpers of the course here: protected as "ours"
    assert library_names() is names          # walked once per process


def test_the_instructors_helpers_and_the_students_own_files_stay(course, caplog):
    _, _, folder = course
    make(folder, "lesson_utils.py", "lessonCases.py", "my_helpers.py", "notes.txt", "numpy.txt", "test.csv",
         "my_package/")
    listed, lines = run(course, caplog)
    assert listed == ["lessonCases.py", "lesson_utils.py", "my_helpers.py", "my_package", "notes.txt",
                      "numpy.txt", "test.csv"]
    assert lines == []


@pytest.mark.parametrize("name", [
    "numpy.py", "numpy/", "math.py", "json/", "lesson_utils/", "lessonCases/", "lesson_utils.py/",
    "lesson_utils.pyc",
    "numpy.cpython-311-x86_64-linux-gnu.so", "anything.so", "anything.pyc", "anything.pyd",
    "evil.pth", "sitecustomize.py", "usercustomize.py", "__pycache__/",
])
def test_what_would_be_imported_in_place_of_a_module_is_removed(course, caplog, name):
    _, _, folder = course
    make(folder, name, "lessonCases.py")
    listed, lines = run(course, caplog)
    assert listed == ["lessonCases.py"]
    entry = name.rstrip("/")
    assert lines == [f"[grading] alice/n: removed submitted {entry!r}: it would be imported in place of "
                     "a course or library module"]


def test_links_are_removed_not_followed(course, caplog, tmp_path):
    _, _, folder = course
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the student's\n")
    os.symlink(elsewhere, folder / "numpy")
    os.symlink(elsewhere, folder / "lesson_utils")
    os.symlink(elsewhere / "keep.txt", folder / "evil.pth")
    listed, lines = run(course, caplog)
    assert listed == []
    assert os.listdir(elsewhere) == ["keep.txt"]
    assert (elsewhere / "keep.txt").read_text() == "not the student's\n"
    assert len(lines) == 3


def test_submitted_messages_go_where_the_assignment_ships_none(course, caplog):
    _, _, folder = course
    (folder / "messages.mo").write_bytes(b"\xde\x12\x04\x95")
    listed, lines = run(course, caplog)
    assert listed == []
    assert lines == ["[grading] alice/n: removed submitted 'messages.mo': the course's helpers would show "
                     "its messages instead of the assignment's"]


def test_the_assignments_own_messages_stay(course, caplog):
    _, source, folder = course
    (source / "messages.mo").write_bytes(b"the instructor's")
    (folder / "messages.mo").write_bytes(b"the instructor's")   # nbgrader copied it over the student's
    listed, lines = run(course, caplog)
    assert listed == ["messages.mo"] and lines == []


@pytest.mark.parametrize("kind", ["link", "folder"])
def test_messages_that_are_not_a_plain_file_go_even_where_the_assignment_ships_some(course, caplog, kind):
    _, source, folder = course
    (source / "messages.mo").write_bytes(b"the instructor's")
    if kind == "link":
        os.symlink(source / "messages.mo", folder / "messages.mo")
    else:
        (folder / "messages.mo").mkdir()
        (folder / "messages.mo" / "x").write_text("")
    listed, lines = run(course, caplog)
    assert listed == [] and len(lines) == 1
    assert (source / "messages.mo").read_bytes() == b"the instructor's"
