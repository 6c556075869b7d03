"""Graded cells still missing from a submission score 0 (``known_cells`` puts back
every read-only cell it can)."""


import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from grading.cells import grade_id
from grading.preprocessors.common import report


class ScoreDeletedCells(NbGraderPreprocessor):
    """A graded cell still missing from the submission scores 0.

    ``known_cells.RestoreKnownCells`` puts back every read-only cell it can; what is left
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
