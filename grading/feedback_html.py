"""Feedback pages a student can read anywhere.

nbgrader's feedback HTML loads MathJax from a web server to typeset the
lesson's formulas, so offline they show as raw TeX.  ``FeedbackExporter``
turns every formula of the markdown into MathML when the page is written
(``latex2mathml``), which browsers lay out by themselves: nothing to load,
a few hundred bytes per formula.  Its template
(``templates/gradient_checking_feedback``) drops the MathJax script and names
each test cell of the score summary after its exercise, with the label
``LabelTestCells`` finds in the heading above it.
"""

import re
from pathlib import Path

import nbgrader
from jinja2 import pass_context
from latex2mathml.converter import convert
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

TEMPLATE_NAME = "gradient_checking_feedback"
_FORMGRADER = Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader"
#: Where the template lives, then nbgrader's own feedback template it extends.
TEMPLATE_DIRS = [str(Path(__file__).resolve().parent / "templates"), str(_FORMGRADER / "templates")]
#: Where ``extends 'feedback/...'`` and nbgrader's bootstrap.min.css are found.
TEMPLATE_PATHS = [str(_FORMGRADER / "templates"),
                  str(_FORMGRADER / "static" / "node_modules" / "bootstrap" / "dist" / "css")]


def mathml(tex, display):
    """MathML for one TeX formula, or None when latex2mathml cannot read it.

    HTML needs no namespace on ``<math>``, and leaving it out keeps it intact when
    nbconvert re-serialises a heading as XML to add its anchor link."""
    try:
        markup = convert(tex.strip(), display=display)
    except Exception:  # noqa: BLE001 - an unreadable formula stays TeX, as it was
        return None
    return markup.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, writing formulas as MathML instead of TeX for MathJax."""

    def block_math(self, body):
        return mathml(body, "block") or super().block_math(body)

    def inline_math(self, body):
        return mathml(body, "inline") or super().inline_math(body)

    def latex_environment(self, name, body):
        return (mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")
                or super().latex_environment(name, body))


class FeedbackExporter(HTMLExporter):
    """The HTML exporter of ``nbgrader generate_feedback``, with MathML formulas."""

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return MarkdownWithMath(renderer=renderer).render(source)


def _heading(cell):
    """The last markdown heading of a cell, without its #s and backticks, or None."""
    found = None
    for line in cell.source.splitlines():
        match = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            found = match.group(1).replace("`", "")
    return found


class LabelTestCells(NbGraderPreprocessor):
    """Name each graded test cell after the heading of its exercise ("Exercise 3:
    gradient_check (1/2)"), for the score summary of the feedback page.  The
    label follows the notebook, in whatever language its headings are."""

    def preprocess(self, nb, resources):
        heading, groups = None, {}
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                heading = _heading(cell) or heading
            elif utils.is_grade(cell) and not utils.is_solution(cell) and heading:
                groups.setdefault(heading, []).append(cell)
        for heading, cells in groups.items():
            for number, cell in enumerate(cells, start=1):
                suffix = f" ({number}/{len(cells)})" if len(cells) > 1 else ""
                cell.metadata["feedback_label"] = heading + suffix
        return nb, resources
