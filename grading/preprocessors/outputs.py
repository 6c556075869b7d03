"""Outputs after execution: kept within a byte budget, and stderr in a test
cell treated as text, not as a failure."""

import json

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from grading.cells import grade_id, is_graded
from grading.preprocessors.common import error_output, report


def _utf8_prefix(text, limit):
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:max(limit, 0)].decode("utf-8", "ignore")


class LimitOutputBytes(NbGraderPreprocessor):
    """Keep at most ``max_bytes`` of output per cell (nbgrader's LimitOutput
    counts lines, and one 20 MB line is one line)."""

    max_bytes = Integer(64 * 1024, help="Output bytes kept per code cell").tag(config=True)
    note = "\n... output truncated: {} bytes not kept ...\n"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        budget, kept, dropped = self.max_bytes, [], 0
        for output in cell.outputs:
            size = len(json.dumps(output, ensure_ascii=False).encode("utf-8"))
            if size <= budget:
                kept.append(output)
                budget -= size
                continue
            dropped += size
            if output.output_type == "stream" and budget > 200:
                output.text = _utf8_prefix(output.text, budget - 200)
                kept.append(output)
                budget = 0
            elif output.output_type == "error":
                kept.append(error_output(output.ename, _utf8_prefix(str(output.evalue), 1000)))
                budget = max(0, budget - 1200)
        if dropped:
            kept.append(nbformat.v4.new_output("stream", name="stdout", text=self.note.format(dropped)))
            report(self.log, resources,
                    f"cell {grade_id(cell) or index}: output cut to {self.max_bytes} bytes")
        cell.outputs = kept
        return cell, resources


class FairStreams(NbGraderPreprocessor):
    """Text on stderr in a test cell is output, not a failure.

    nbgrader gives 0 to a test cell with any stderr output, so a correct
    solution that calls ``warnings.warn`` would lose its points.  Exceptions
    are ``error`` outputs and still fail the cell; only the stream is renamed."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_graded(cell):
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
        return cell, resources
