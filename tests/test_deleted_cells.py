"""``ScoreDeletedCells`` with a real (SQLite) gradebook made here: a graded cell missing from
the submission scores 0 automatically, is never left waiting for manual grading, and the
notebook says so."""

import logging
import shutil

import nbformat
import pytest
from gradebooks import new_gradebook
from nbgrader.api import Gradebook

from grading.preprocessors.deleted_cells import ScoreDeletedCells

NOTE = "**Graded cells missing from this submission** (0 points each): "


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A gradebook with assignment ``a``, notebook ``n`` (tests ``t1``, ``t2``, a graded answer
    ``ans``) and alice's submission, as SaveAutoGrades leaves it before scores are written."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with new_gradebook(path) as gradebook:
        gradebook.add_assignment("a")
        gradebook.add_notebook("n", "a")
        for name, points in (("t1", 1), ("t2", 2), ("ans", 3)):
            gradebook.add_grade_cell(name, "n", "a", max_score=points, cell_type="code")
        gradebook.add_solution_cell("ans", "n", "a")
        gradebook.add_student("alice")
        gradebook.add_submission("a", "alice")
    return path


@pytest.fixture
def db_url(template, tmp_path):
    shutil.copy(template, tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


def grades(db_url):
    with Gradebook(db_url) as gradebook:
        notebook = gradebook.find_submission_notebook("n", "a", "alice")
        return {g.name: (g.auto_score, g.needs_manual_grade) for g in notebook.grades}


def notebook_with(*names):
    cells = [nbformat.v4.new_markdown_cell("# Lesson")]
    cells += [nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade_id": name, "grade": True}})
              for name in names]
    return nbformat.v4.new_notebook(cells=cells)


def score(db_url, notebook, caplog, student="alice"):
    resources = {"nbgrader": {"db_url": db_url, "notebook": "n", "assignment": "a", "student": student}}
    with caplog.at_level(logging.WARNING):
        notebook, _ = ScoreDeletedCells().preprocess(notebook, resources)
    return notebook, [r.getMessage() for r in caplog.records if r.getMessage().startswith("[grading]")]


def test_missing_graded_cells_score_zero_with_a_note(db_url, caplog):
    before = grades(db_url)
    assert before == {"t1": (None, True), "t2": (None, True), "ans": (None, True)}
    notebook, lines = score(db_url, notebook_with("t1"), caplog)
    assert grades(db_url) == {"t1": (None, True), "t2": (0, False), "ans": (0, False)}
    assert notebook.cells[-1].cell_type == "markdown"
    assert notebook.cells[-1].source == NOTE + "`ans`, `t2`"
    assert len(notebook.cells) == 3
    assert lines == ["[grading] alice/n: graded cells missing from the submission score 0: ans, t2"]


def test_a_complete_submission_is_left_alone(db_url, caplog):
    notebook, lines = score(db_url, notebook_with("ans", "t1", "t2"), caplog)
    assert grades(db_url) == {"t1": (None, True), "t2": (None, True), "ans": (None, True)}
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "code", "code"]
    assert lines == []


def test_an_empty_notebook_scores_zero_everywhere(db_url, caplog):
    notebook, _ = score(db_url, nbformat.v4.new_notebook(), caplog)
    assert grades(db_url) == {"t1": (0, False), "t2": (0, False), "ans": (0, False)}
    assert [c.source for c in notebook.cells] == [NOTE + "`ans`, `t1`, `t2`"]


def test_a_submission_the_gradebook_does_not_have_is_left_alone(db_url, caplog):
    notebook, lines = score(db_url, notebook_with("t1"), caplog, student="bob")
    assert len(notebook.cells) == 2 and lines == []
    assert grades(db_url) == {"t1": (None, True), "t2": (None, True), "ans": (None, True)}


def test_one_missing_test_is_named_alone(db_url, caplog):
    notebook, lines = score(db_url, notebook_with("ans", "t1"), caplog)
    assert grades(db_url)["t2"] == (0, False)
    assert notebook.cells[-1].source == NOTE + "`t2`"
    assert lines == ["[grading] alice/n: graded cells missing from the submission score 0: t2"]
