"""Reading a submission: a file that is not a notebook is graded, not lost."""

import nbformat
from nbconvert.exporters import NotebookExporter


def placeholder_notebook(reason):
    """What a file that is not a notebook is graded as: no cells to pass."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        "**This submission could not be read as a notebook**, so none of its tests could run "
        f"and every graded cell scores 0.\n\nReason: `{reason}`"))
    return notebook


def _notebook_problem(notebook):
    """Why ``notebook`` cannot be graded, or None."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return "no list of cells"
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return f"cell {index} is not a notebook cell"
        if not isinstance(cell.get("source", ""), (str, list)):
            return f"cell {index} has no text source"
    return None


class TolerantNotebookExporter(NotebookExporter):
    """The notebook exporter nbgrader uses, except that invalid JSON, or JSON
    that is not a notebook, is replaced by ``placeholder_notebook``: nbgrader
    would otherwise stop on the exception, delete the student's autograded
    folder and leave every grade waiting for manual grading."""

    def from_file(self, file_stream, resources=None, **kw):
        name = getattr(file_stream, "name", "notebook")
        try:
            text = file_stream.read()
            notebook = nbformat.reads(text, as_version=4)
            problem = _notebook_problem(notebook)
        except Exception as error:  # any reason at all: the batch must go on
            problem = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
        if problem is not None:
            self.log.warning("[grading] %s: not a readable notebook (%s); every graded cell scores 0",
                             name, problem)
            notebook = placeholder_notebook(problem)
        return self.from_notebook_node(notebook, resources=resources, **kw)
