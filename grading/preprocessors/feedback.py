"""Feedback without hidden tests: neither in the cells nor in tracebacks."""

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor


class HideHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for feedback, on test cells only.

    Test cells are restored from the gradebook, so their markers are sound;
    an answer cell may contain the marker text (on purpose or not), and
    ClearHiddenTests would stop the student's whole feedback on it."""

    def preprocess_cell(self, cell, resources, index):
        if not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


class HideTestTracebacks(NbGraderPreprocessor):
    """In feedback, a failed test cell shows its error type and message only.

    A traceback quotes the lines around the failing assertion, which for a
    hidden test are the hidden test itself."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            for output in cell.outputs:
                if output.output_type == "error":
                    message = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                    output.traceback = [message]
        return cell, resources
