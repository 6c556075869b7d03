"""The kit's protections, put into nbgrader's configuration.

``nbgrader_config.py`` holds the course's settings as plain lines and calls
``protect(c)`` for the rest: which nbgrader steps run on a submission, in
which order, with the kit's own steps in their places.  The limits
(memory, CPU, output bytes) are the defaults of the steps themselves
(``grading/preprocessors/``); set ``c.GuardedExecute.memory_limit`` and the
like in ``nbgrader_config.py`` to change them.
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    ClearSolutions,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from grading import feedback_html, preprocessors, safe_copy

#: "auto": sandboxed where bubblewrap works, one loud warning where not.  A hub sets
#: ``GC_GRADING_SANDBOX=required`` (deploy/hub does): there grading refuses to run
#: student code unsandboxed, from the formgrader's buttons as from the command line.
SANDBOX_VARIABLE = "GC_GRADING_SANDBOX"


def protect(c):
    """Put the kit's steps into the nbgrader configuration ``c``."""
    # Submitted folders are copied without following a single symbolic link.
    safe_copy.install()
    autograde(c)
    c.GenerateAssignment.preprocessors = release_steps()
    feedback(c)


def autograde(c):
    """What ``nbgrader autograde`` does to each submission."""
    # A file that is not a notebook (or a notebook that is a link) is graded as an
    # empty notebook (0 points), not a crash.
    c.Autograde.exporter_class = preprocessors.TolerantNotebookExporter
    c.Autograde.sanitize_preprocessors = [
        # First, before anything trusts a cell's metadata: every cell the gradebook knows is put
        # back as generate_assignment made it (metadata, type, place, read-only source); deleted
        # read-only cells are put back; unknown graded cells become plain ones.
        preprocessors.RestoreKnownCells,
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        OverwriteCells,
        preprocessors.NoteSkippedFiles,     # the student is told which files were not copied, and why
        CheckCellMetadata,
    ]
    c.Autograde.autograde_preprocessors = [
        preprocessors.RemoveShadowingFiles,  # no submitted gc_utils/ or numpy.py in place of the real ones
        preprocessors.GuardedExecute,        # sandbox, limits, numpy restored, restart after a dead kernel
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        preprocessors.LimitOutputBytes,      # bytes, not only lines
        preprocessors.FairStreams,           # a warning on stderr does not fail a test cell
        SaveAutoGrades,
        preprocessors.ScoreDeletedCells,     # a graded cell that could not be put back scores 0
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.GuardedExecute.sandbox = os.environ.get(SANDBOX_VARIABLE, "auto")


def release_steps():
    """nbgrader's own release steps, with the stub a translated notebook gets in its language."""
    return [preprocessors.LocalizedClearSolutions if step is ClearSolutions else step
            for step in GenerateAssignment.class_traits()["preprocessors"].default()]


def feedback(c):
    """Feedback pages with no hidden test source (in cells or tracebacks), formulas as
    MathML readable offline, and each test cell named after its exercise."""
    c.GenerateFeedback.preprocessors = [
        GetGrades, preprocessors.HideHiddenTests, preprocessors.HideTestTracebacks,
        CSSHTMLHeaderPreprocessor, feedback_html.LabelTestCells,
    ]
    c.GenerateFeedback.exporter_class = feedback_html.FeedbackExporter
    c.FeedbackExporter.template_name = feedback_html.TEMPLATE_NAME
    c.FeedbackExporter.extra_template_basedirs = feedback_html.TEMPLATE_DIRS
    c.FeedbackExporter.extra_template_paths = feedback_html.TEMPLATE_PATHS
