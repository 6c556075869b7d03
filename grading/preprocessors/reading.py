"""Reading a submission: a file that is not a notebook is graded, not lost, and
a notebook that is a link is not read through it."""

import datetime
import os

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict

from grading import safe_copy
from grading.preprocessors.common import who
from grading.problem_log import log_problem

MAX_NOTEBOOK_BYTES = 128 * 1024 ** 2


def placeholder_notebook(reason):
    """What a file that is not a notebook is graded as: no cells to pass."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        "**This submission could not be read as a notebook**, so none of its tests could run "
        f"and every graded cell scores 0.\n\nReason: `{reason}`"))
    notebook.metadata["grading"] = {"unreadable": reason}
    return notebook


def is_placeholder(notebook):
    """True for what ``placeholder_notebook`` made: nothing of the student's to grade."""
    return bool(notebook.get("metadata", {}).get("grading", {}).get("unreadable"))


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

    def from_filename(self, filename, resources=None, **kw):
        """nbconvert's ``from_filename``, reading the file only if it is a regular
        file reached without a link below the converter's input folder
        (``submitted/`` or ``autograded/``; see ``grading.safe_copy``)."""
        converter = self.parent
        coursedir = getattr(converter, "coursedir", None)
        base = (os.path.join(coursedir.root, converter._input_directory) if coursedir is not None
                else os.path.dirname(os.path.abspath(filename)))
        info = (resources or {}).get("nbgrader", {})
        refuse = (safe_copy.instructor_files(coursedir, info["assignment"])
                  if coursedir is not None and "assignment" in info else frozenset())
        resources = resources if resources is not None else ResourcesDict()
        metadata = resources.get("metadata") or ResourcesDict()
        resources["metadata"] = metadata
        metadata["path"], basename = os.path.split(filename)
        metadata["name"] = os.path.splitext(basename)[0]
        try:
            fd = safe_copy.open_submitted(filename, base, refuse, MAX_NOTEBOOK_BYTES)
        except safe_copy.Refused as refused:
            problem = f"the notebook file was not read: {refused}"
            log_problem(self.log, who(resources) if info else filename,
                        f"{problem}; every graded cell scores 0")
            return self.from_notebook_node(placeholder_notebook(problem), resources=resources, **kw)
        modified = datetime.datetime.fromtimestamp(os.fstat(fd).st_mtime, tz=datetime.timezone.utc)
        metadata["modified_date"] = modified.strftime("%B %-d, %Y")
        with open(fd, encoding="utf-8") as handle:
            return self.from_file(handle, resources=resources, name=filename, **kw)

    def from_file(self, file_stream, resources=None, name=None, **kw):
        name = name or getattr(file_stream, "name", "notebook")
        try:
            text = file_stream.read()
            notebook = nbformat.reads(text, as_version=4)
            problem = _notebook_problem(notebook)
        except Exception as error:  # any reason at all: the batch must go on
            problem = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
        if problem is not None:
            log_problem(self.log, name, f"not a readable notebook ({problem}); every graded cell scores 0")
            notebook = placeholder_notebook(problem)
        return self.from_notebook_node(notebook, resources=resources, **kw)
