"""A note in the graded notebook about the submitted files that were not copied."""

import html

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from grading import safe_copy


class NoteSkippedFiles(NbGraderPreprocessor):
    """List, at the end of the notebook, what ``grading.safe_copy`` left out of the
    autograded copy (links, pipes, the instructor's files, what was past the size
    budget), so that the student's feedback says why a file was missing.  The
    instructor's log has one line per entry already.  Runs in nbgrader's sanitize step."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        skipped = safe_copy.skipped_entries(info["student"], info["assignment"])
        if skipped:
            lines = "\n".join(f"* {html.escape(line)}" for line in skipped)
            nb.cells.append(nbformat.v4.new_markdown_cell(
                "**Grading note: files of this submission that were not copied for grading** "
                f"(symbolic links are never followed):\n\n{lines}"))
        return nb, resources
