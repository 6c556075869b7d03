"""Run a student notebook's code cells in this process, the way a kernel would.

For the mistake catalogue: dozens of submissions must each be run top to
bottom, and a kernel per submission would take minutes.  Every code cell of
the notebook runs, in order, in one fresh namespace, with its source
registered in ``linecache`` under a name of its own (as IPython does, so
tracebacks and the public tests see the lines), its printed output captured,
and an exception recorded without stopping the run (as nbgrader runs a
submission).  ``tests/test_mistake_catalogue.py`` checks on a real kernel
that a sample of entries gives the same messages.
"""

import contextlib
import io
import linecache
from dataclasses import dataclass

from grading.cells import grade_id


@dataclass
class CellRun:
    grade_id: str
    printed: str
    error: BaseException = None


def run_cells(notebook):
    """Execute ``notebook``'s code cells; return {grade_id: CellRun}.

    The helper modules are the repository's own, which the release ships
    byte for byte (``test_nbgrader_pipeline`` checks that)."""
    namespace = {"__name__": "__main__"}
    runs = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        filename = f"<notebook cell {index}>"
        linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
        printed = io.StringIO()
        error = None
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            try:
                exec(compile(cell.source, filename, "exec"), namespace)
            except Exception as caught:  # noqa: BLE001 - recorded, as a kernel shows it
                error = caught
        runs[grade_id(cell) or filename] = CellRun(grade_id(cell), printed.getvalue(), error)
    return runs
