"""``LocalizedClearSolutions``: a translated notebook's exercises get the stub it carries
(``translation.code_stub``), the English one nbgrader's configured stub, and the
configuration is the same after each notebook."""

import nbformat
import pytest
from traitlets.config import Config

from grading.preprocessors.localized_stub import LocalizedClearSolutions

ENGLISH = '# YOUR CODE HERE\nraise NotImplementedError("Replace this line with your code.")'
CHINESE = '# 在这里写你的代码\nraise NotImplementedError("请把这一行换成你的代码。")'
ANSWER = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"


def notebook(stub=None, language="zh", kernel_language=None):
    answer = nbformat.v4.new_code_cell(ANSWER, metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": "answer", "schema_version": 3}})
    given = nbformat.v4.new_code_cell("import math")
    made = nbformat.v4.new_notebook(cells=[given, answer])
    if stub is not None:
        made.metadata["translation"] = {"language": language, "code_stub": stub}
    if kernel_language:
        made.metadata["kernelspec"] = {"name": "k", "display_name": "k", "language": kernel_language}
    return made


def preprocessor(**stubs):
    config = Config()
    config.ClearSolutions.code_stub = {"python": ENGLISH, **stubs}
    return LocalizedClearSolutions(config=config)


def answer_of(made):
    return made.cells[1].source


def test_the_english_notebook_gets_the_configured_stub():
    made, _ = preprocessor().preprocess(notebook(), {})
    assert answer_of(made) == f"def f(x):\n    {ENGLISH.splitlines()[0]}\n    {ENGLISH.splitlines()[1]}"
    assert made.cells[0].source == "import math"


def test_a_translated_notebook_gets_its_own_stub_and_drops_it_from_the_release():
    made, _ = preprocessor().preprocess(notebook(CHINESE), {})
    comment, line = CHINESE.splitlines()
    assert answer_of(made) == f"def f(x):\n    {comment}\n    {line}"
    assert made.metadata["translation"] == {"language": "zh"}


def test_the_configured_stubs_are_the_same_after_a_translated_notebook():
    step = preprocessor(R="# R stub")
    step.preprocess(notebook(CHINESE), {})
    assert step.code_stub == {"python": ENGLISH, "R": "# R stub"}
    made, _ = step.preprocess(notebook(), {})
    assert "YOUR CODE HERE" in answer_of(made)


def test_the_configured_stubs_are_back_even_when_clearing_fails():
    step = preprocessor()
    broken = notebook(CHINESE)
    broken.cells[1].source = "### BEGIN SOLUTION\nno end"
    with pytest.raises(RuntimeError, match="no end solution statement found"):
        step.preprocess(broken, {})
    assert step.code_stub == {"python": ENGLISH}


def test_the_stub_is_for_the_kernels_language_and_the_others_are_kept():
    step = preprocessor(R="# R stub")
    seen = {}
    original = LocalizedClearSolutions._replace_solution_region

    def spy(self, cell, language):
        seen.update(self.code_stub)
        return original(self, cell, language)
    step._replace_solution_region = spy.__get__(step)
    made, resources = step.preprocess(notebook("# R auf Deutsch", kernel_language="R"), {})
    assert resources["language"] == "R"
    assert seen == {"python": ENGLISH, "R": "# R auf Deutsch"}
    assert answer_of(made) == "def f(x):\n    # R auf Deutsch"


def test_an_answer_without_solution_region_becomes_the_stub_in_the_language():
    translated = notebook(CHINESE)
    translated.cells[1].source = "pass"
    made, _ = preprocessor().preprocess(translated, {})
    assert answer_of(made) == CHINESE
