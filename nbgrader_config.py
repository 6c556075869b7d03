"""nbgrader configuration for the Gradient Checking course.

This folder is the course directory: ``source/`` holds the instructor's
notebooks, ``release/`` the generated student version.  nbgrader creates
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` (SQLite)
beside them as grading goes on; none of those are committed.
"""

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "gradient-checking"
c.CourseDirectory.root = __import__("os").path.dirname(__import__("os").path.abspath(__file__))

# Files that belong to the instructor's machine, not to a student's folder.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".pytest_cache",
]

# A student's notebook runs in seconds; a cell that takes minutes is a loop
# that will not end.  Stop it, and stop the kernel if it ignores the interrupt.
c.Execute.interrupt_on_timeout = True
c.Execute.timeout = 60
c.Execute.startup_timeout = 60

# Outputs kept per cell in graded notebooks.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

# What a student finds in place of a solution: the error it raises says what to do.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Replace this line with your code.")'
}

# --- Fair, robust and confined autograding (grading/preprocessors/, grading/sandbox.py) ---
# The kit's preprocessors live beside this file; a copy of this file without
# them (a bare scratch course) grades with plain nbgrader and says so.
import sys as _sys  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

if str(_Path(__file__).resolve().parent) not in _sys.path:
    _sys.path.insert(0, str(_Path(__file__).resolve().parent))
# "auto": sandboxed where bubblewrap works, one loud warning where not.  A hub sets
# GC_GRADING_SANDBOX=required (deploy/hub does): there grading refuses to run student
# code unsandboxed, from the formgrader's buttons as from the command line.
_sandbox = __import__("os").environ.get("GC_GRADING_SANDBOX", "auto")
try:
    from grading import preprocessors as _grading
    from grading import safe_copy as _safe_copy
except ImportError as _error:
    print(f"[grading] *** grading/ not found beside nbgrader_config.py ({_error}): plain nbgrader, "
          "no sandbox, no fault tolerance ***", file=_sys.stderr)
    if _sandbox == "required":
        # A config file that raises is only logged by traitlets; a preprocessor that cannot be
        # imported stops every autograde with this name in its traceback instead.
        c.Autograde.autograde_preprocessors = ["grading.preprocessors.GuardedExecute"]
else:
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    # Submitted folders are copied without following a single symbolic link.
    _safe_copy.install()
    # A file that is not a notebook (or a notebook that is a link) is graded as an
    # empty notebook (0 points), not a crash.
    c.Autograde.exporter_class = _grading.TolerantNotebookExporter
    c.Autograde.sanitize_preprocessors = [
        # First, before anything trusts a cell's metadata: every cell the gradebook knows is put
        # back as generate_assignment made it (metadata, type, place, read-only source); deleted
        # read-only cells are put back; unknown graded cells become plain ones.
        _grading.RestoreKnownCells,
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        OverwriteCells,
        _grading.NoteSkippedFiles,      # the student is told which files were not copied, and why
        CheckCellMetadata,
    ]
    c.Autograde.autograde_preprocessors = [
        _grading.RemoveShadowingFiles,  # no submitted gc_utils/ or numpy.py in place of the real ones
        _grading.GuardedExecute,        # sandbox, limits, numpy restored, restart after a dead kernel
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        _grading.LimitOutputBytes,      # bytes, not only lines
        _grading.FairStreams,           # a warning on stderr does not fail a test cell
        SaveAutoGrades,
        _grading.ScoreDeletedCells,     # a graded cell that could not be put back scores 0
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    # Releases: a translated notebook (source/gradient_checking_zh/, ...) gets its stub in its language.
    from nbgrader.converters import GenerateAssignment as _GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions as _ClearSolutions

    c.GenerateAssignment.preprocessors = [
        _grading.LocalizedClearSolutions if step is _ClearSolutions else step
        for step in _GenerateAssignment.class_traits()["preprocessors"].default()
    ]
    # Feedback: no hidden test source, neither in cells nor in tracebacks.
    c.GenerateFeedback.preprocessors = [
        GetGrades, _grading.HideHiddenTests, _grading.HideTestTracebacks, CSSHTMLHeaderPreprocessor,
    ]
    # ... formulas as MathML, readable offline, and each test cell named after its exercise.
    try:
        from grading import feedback_html as _feedback
    except ImportError as _error:
        print(f"[grading] *** feedback pages load MathJax from the web: {_error} "
              "(pip install -r requirements.txt) ***", file=_sys.stderr)
    else:
        c.GenerateFeedback.exporter_class = _feedback.FeedbackExporter
        c.GenerateFeedback.preprocessors.append(_feedback.LabelTestCells)
        c.FeedbackExporter.template_name = _feedback.TEMPLATE_NAME
        c.FeedbackExporter.extra_template_basedirs = _feedback.TEMPLATE_DIRS
        c.FeedbackExporter.extra_template_paths = _feedback.TEMPLATE_PATHS
    c.GuardedExecute.sandbox = _sandbox
    c.GuardedExecute.memory_limit = 2 * 1024 ** 3
    c.GuardedExecute.cpu_limit = 600
    c.LimitOutputBytes.max_bytes = 64 * 1024
