"""nbgrader preprocessors that make autograding fair, robust and confined.

Plain nbgrader 0.9.6 scores 0 a test cell that writes a warning to stderr,
loses a whole submission when the kernel dies or ignores an interrupt, runs
student code with the grader's rights, keeps output by lines not bytes, and
shows hidden tests in feedback.  Each module of this package fixes one of
those, one concern a module as in nbgrader's own ``preprocessors`` package; the
classes are switched on by ``nbgrader_config.py``, so ``nbgrader autograde``
and anything built on nbgrader's ``Autograde`` get them:

* ``known_cells.RestoreKnownCells``: before anything reads a cell's metadata, every cell
  the gradebook knows (tests, given code, answers) gets its metadata, type, place and, when
  read-only, its source back from the gradebook; deleted read-only cells are put back;
  other graded cells become plain ones;
* ``reading.TolerantNotebookExporter``: a file that is not a notebook (or a notebook
  that is a link) becomes an empty notebook with a note, so the submission scores 0
  instead of aborting or grading what the link points at;
* ``skipped_files.NoteSkippedFiles``: tells the student which submitted files were not
  copied (``grading.safe_copy`` copies no link, pipe or instructor's file);
* ``shadowing.RemoveShadowingFiles``: deletes submitted files that would be imported in
  place of numpy or of the course's helper modules, or read in place of the assignment's
  messages (``messages.mo``);
* ``execute.GuardedExecute``: runs the kernel in the sandbox with resource limits,
  restores numpy/builtins before each test cell, and when a cell kills or
  hangs the kernel, restarts it, replays the cells before and goes on;
* ``outputs.LimitOutputBytes``: caps what each cell keeps, in bytes;
* ``outputs.FairStreams``: stderr text in a test cell (a warning) is not a failure;
* ``deleted_cells.ScoreDeletedCells``: a graded cell that could not be put back scores 0;
* ``feedback.HideHiddenTests`` and ``feedback.HideTestTracebacks``: feedback
  shows the failed check's message only, never a hidden test;
* ``localized_stub.LocalizedClearSolutions`` (when a release is generated): a
  translated notebook's exercises say "YOUR CODE HERE" in its language.

``common`` holds the one logging helper they share.

Every problem is logged once as ``[grading] <student>: <what happened>``.
"""

from grading.preprocessors.deleted_cells import ScoreDeletedCells
from grading.preprocessors.execute import GuardedExecute, SandboxKernelManager
from grading.preprocessors.feedback import HideHiddenTests, HideTestTracebacks
from grading.preprocessors.known_cells import RestoreKnownCells
from grading.preprocessors.localized_stub import LocalizedClearSolutions
from grading.preprocessors.outputs import FairStreams, LimitOutputBytes
from grading.preprocessors.reading import TolerantNotebookExporter, placeholder_notebook
from grading.preprocessors.shadowing import RemoveShadowingFiles, library_names, source_modules
from grading.preprocessors.skipped_files import NoteSkippedFiles

__all__ = [
    "TolerantNotebookExporter", "RemoveShadowingFiles", "SandboxKernelManager", "GuardedExecute",
    "LimitOutputBytes", "FairStreams", "RestoreKnownCells", "ScoreDeletedCells", "NoteSkippedFiles",
    "HideHiddenTests", "HideTestTracebacks", "LocalizedClearSolutions", "placeholder_notebook",
    "source_modules", "library_names",
]
