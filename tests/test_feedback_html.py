"""``grading.feedback_html``: formulas written as MathML when the page is made (no MathJax
to load), and each test cell of the score summary named after its exercise; on a small
notebook made here, rendered with the course's feedback template."""

import re

import nbformat
import pytest
from traitlets.config import Config

from grading import feedback_html
from grading.feedback_html import FeedbackExporter, LabelTestCells, _heading, mathml


def test_mathml_of_an_inline_and_a_display_formula():
    assert mathml("x^2", "inline") == (
        '<math display="inline"><mrow><msup><mi>x</mi><mn>2</mn></msup></mrow></math>')
    assert mathml("  \\frac{a}{b} ", "block") == (
        '<math display="block"><mrow><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac></mrow>'
        '</math>')


@pytest.mark.parametrize("tex", ["\\frac{", "x^", "}{", "\\begin{nosuchenv}"])
def test_a_formula_latex2mathml_cannot_read_is_none(tex):
    assert mathml(tex, "inline") is None


@pytest.mark.parametrize("text, heading", [
    ("## Exercise 3: `gradient_check`", "Exercise 3: gradient_check"),
    ("# One\ntext\n### Two ###", "Two"),                     # the last heading, closing #s dropped
    ("   ## Indented three", "Indented three"),
    ("    ## four spaces: code, not a heading", None),
    ("#no space", None),
    ("plain text", None),
])
def test_heading_is_the_last_markdown_heading_of_a_cell(text, heading):
    assert _heading(nbformat.v4.new_markdown_cell(text)) == heading


def graded(name, solution=False, points=1):
    return nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {
        "grade": True, "solution": solution, "grade_id": name, "points": points, "score": points}})


def labelled():
    notebook = nbformat.v4.new_notebook(cells=[
        graded("before_any_heading"),
        nbformat.v4.new_markdown_cell("## Exercise 1: `forward`\nThe cost $J = \\theta x$."),
        graded("test_ex1"),
        nbformat.v4.new_markdown_cell("Some text, no heading."),
        graded("test_ex1_more"),
        graded("answer_graded", solution=True),
        nbformat.v4.new_markdown_cell("## Exercise 2: $\\theta$"),
        graded("test_ex2"),
    ])
    notebook, _ = LabelTestCells().preprocess(notebook, {})
    return notebook


def test_test_cells_are_labelled_by_their_exercise_and_numbered_within_it():
    labels = {c.metadata.nbgrader.grade_id: c.metadata.get("feedback_label") for c in labelled().cells
              if "nbgrader" in c.metadata}
    assert labels == {"before_any_heading": None, "test_ex1": "Exercise 1: forward (1/2)",
                      "test_ex1_more": "Exercise 1: forward (2/2)", "answer_graded": None,
                      "test_ex2": "Exercise 2: $\\theta$"}


@pytest.fixture(scope="module")
def page():
    config = Config()
    config.FeedbackExporter.template_name = feedback_html.TEMPLATE_NAME
    config.FeedbackExporter.extra_template_basedirs = feedback_html.TEMPLATE_DIRS
    config.FeedbackExporter.extra_template_paths = feedback_html.TEMPLATE_PATHS
    resources = {"nbgrader": {"notebook": "n", "score": 4, "max_score": 4, "student": "alice",
                              "assignment": "a", "timestamp": None, "late_penalty": 0}}
    notebook = labelled()
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        "$$\\frac{\\partial J}{\\partial \\theta}$$ and an unreadable $\\frac{$ one"))
    html, _ = FeedbackExporter(config=config).from_notebook_node(notebook, resources=resources)
    return html


def test_the_page_has_mathml_and_loads_no_script(page):
    assert re.findall(r"<script[^>]*>", page) == []
    assert ('<p>The cost <math display="inline"><mrow><mi>J</mi><mo>=</mo><mi>θ</mi><mi>x</mi></mrow>'
            '</math>.') in page
    assert '<math display="block"><mrow><mfrac>' in page
    assert "xmlns" not in page.split("<math", 1)[1].split(">", 1)[0]


def test_a_formula_in_a_heading_survives_its_anchor(page):
    heading = re.search(r"<h2 id=\"Exercise-2:[^\"]*\">(.*?)</h2>", page, re.S).group(1)
    assert heading.startswith('Exercise 2: <math display="inline"><mrow><mi>θ</mi></mrow></math>')


def test_an_unreadable_formula_stays_tex(page):
    assert "$\\frac{$" in page


def test_the_score_summary_names_each_test_cell(page):
    assert '<a href="#test_ex1">Exercise 1: forward (1/2)</a>' in page
    assert '<a href="#test_ex1_more">Exercise 1: forward (2/2)</a>' in page
    assert '<a href="#before_any_heading">Test cell</a>' in page      # no heading above it
    assert '<a href="#test_ex2">Exercise 2: $\\theta$</a>' in page


def test_a_latex_environment_is_mathml_too():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "Before\n\n\\begin{equation}x = 1\\end{equation}\n\nafter")])
    html, _ = FeedbackExporter().from_notebook_node(notebook)
    assert ('<p><math display="block"><mrow><mrow><mi>x</mi><mo>=</mo><mn>1</mn></mrow></mrow></math></p>'
            in html)
