"""Cells deleted from a submission: put back when they are read-only, scored 0
when they cannot be."""

import math
import os

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from grading.cells import grade_id
from grading.preprocessors.common import report
from grading.preprocessors.reading import is_placeholder

RESTORED_NOTE = ("*Grading note:* the read-only cell `{name}` below was missing from this submission; "
                 "it was put back in its place and run like the others.")


def source_order(config, assignment, notebook):
    """``{grade_id: position}`` in the instructor's notebook (or the release, when
    ``source/`` is not there); empty when neither can be read."""
    coursedir = CourseDirectory(config=config)
    for step in (coursedir.source_directory, coursedir.release_directory):
        path = os.path.join(coursedir.format_path(step, ".", assignment), f"{notebook}.ipynb")
        try:
            cells = nbformat.read(path, as_version=4).cells
        except (OSError, ValueError):
            continue
        return {grade_id(cell): index for index, cell in enumerate(cells) if grade_id(cell)}
    return {}


def insertion_index(cells, position, order):
    """Where the cell at ``position`` of the source belongs in ``cells``: after the
    closest cell that precedes it in the source, and after the student's own cells
    that follow that one (they belong to the same exercise); before the first known
    cell when none precedes it."""
    known = [(index, order[grade_id(cell)]) for index, cell in enumerate(cells) if grade_id(cell) in order]
    before = [(pos, index) for index, pos in known if pos < position]
    if not before:
        return known[0][0] if known else len(cells)
    index = max(before)[1] + 1
    while index < len(cells) and grade_id(cells[index]) not in order:
        index += 1
    return index


def restored_cell(source_cell, points):
    """The cell nbgrader's gradebook describes, as ``generate_assignment`` made it."""
    meta = {"grade": points is not None, "grade_id": source_cell.name, "locked": True,
            "schema_version": 3, "solution": False, "task": False, "checksum": source_cell.checksum}
    if points is not None:
        meta["points"] = points
    make = nbformat.v4.new_code_cell if source_cell.cell_type == "code" else nbformat.v4.new_markdown_cell
    return make(source=source_cell.source,
                metadata={"deletable": False, "editable": False, "nbgrader": meta})


class RestoreDeletedCells(NbGraderPreprocessor):
    """A read-only cell deleted from the submission is put back in its place.

    nbgrader's gradebook keeps the source and checksum of every read-only cell:
    test cells (with their hidden tests), given code such as
    ``forward_propagation_n``, the lesson's text.  The student could not change
    them, so putting them back is fair: a deleted test cell is run and graded
    like any other (no free points, no lost ones).  The place is the one it has
    in ``source/``: after the closest cell that precedes it there.

    Answer cells are not put back: the student's code may live in another cell,
    and the release's stub would replace it; their tests run on what the notebook
    defines.  Task cells (graded by hand) are not either.  What cannot be put back
    is scored by ``ScoreDeletedCells``.  Runs in nbgrader's sanitize step, after
    ``OverwriteCells``."""

    def preprocess(self, nb, resources):
        if is_placeholder(nb):
            return nb, resources
        info = resources["nbgrader"]
        present = {grade_id(cell) for cell in nb.cells if grade_id(cell)}
        with Gradebook(info["db_url"]) as gradebook:
            try:
                notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                return nb, resources
            points = {cell.name: cell.max_score for cell in notebook.grade_cells}
            tasks = {cell.name for cell in notebook.task_cells}
            missing = [restored_cell(cell, points.get(cell.name)) for cell in notebook.source_cells
                       if cell.locked and cell.name not in present | tasks]
            answers = sorted(cell.name for cell in notebook.solution_cells if cell.name not in present)
        order = source_order(self.config, info["assignment"], info["notebook"])
        for cell in sorted(missing, key=lambda cell: order.get(grade_id(cell), math.inf)):
            position = order.get(grade_id(cell), math.inf)
            index = insertion_index(nb.cells, position, order) if position != math.inf else len(nb.cells)
            if cell.cell_type == "code":
                note = nbformat.v4.new_markdown_cell(RESTORED_NOTE.format(name=grade_id(cell)))
                nb.cells.insert(index, note)
                index += 1
            nb.cells.insert(index, cell)
            if utils.compute_checksum(cell) != cell.metadata.nbgrader["checksum"]:
                report(self.log, resources, f"restored cell {grade_id(cell)} does not match its checksum")
            kind = "test" if utils.is_grade(cell) else "read-only"
            report(self.log, resources, f"restored deleted {kind} cell {grade_id(cell)}")
        for name in answers:
            report(self.log, resources, f"answer cell {name} was deleted: not put back (its tests run on "
                   "what the rest of the notebook defines)")
        if nb.get("nbformat_minor", 0) < 5:
            for cell in nb.cells:
                cell.pop("id", None)
        return nb, resources


class ScoreDeletedCells(NbGraderPreprocessor):
    """A graded cell still missing from the submission scores 0.

    ``RestoreDeletedCells`` puts back every read-only cell it can; what is left
    (a notebook that could not be read, a graded answer or task cell) would be
    left by nbgrader 0.9.6 with no score, flagged for manual grading; here it gets
    an automatic 0 and a note at the end of the notebook.  Runs after SaveAutoGrades."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        present = {grade_id(cell) for cell in nb.cells}
        missing = []
        with Gradebook(info["db_url"]) as gradebook:
            try:
                notebook = gradebook.find_submission_notebook(
                    info["notebook"], info["assignment"], info["student"])
            except MissingEntry:
                return nb, resources
            for grade in notebook.grades:
                if grade.name not in present:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
                    missing.append(grade.name)
            gradebook.db.commit()
        if missing:
            report(self.log, resources, "graded cells missing from the submission score 0: "
                    + ", ".join(sorted(missing)))
            nb.cells.append(nbformat.v4.new_markdown_cell(
                "**Graded cells missing from this submission** (0 points each): "
                + ", ".join(f"`{name}`" for name in sorted(missing))))
        return nb, resources
