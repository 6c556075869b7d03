"""The given N-D functions, taken from the instructor notebook itself.

Tests use the notebook's own ``forward_propagation_n`` and buggy
``backward_propagation_n`` rather than copies, so a change to the notebook is
a change to what the tests check.
"""

import re

from scaffold.submissions import given_code, solution_answers, source_notebook


def math_in(markdown):
    """(display, inline) formulas in a markdown source: ``$$...$$`` and ``$...$``,
    code spans aside, as MathJax (or the feedback's MathML) will typeset them."""
    text = re.sub(r"`[^`]*`", "", markdown)
    display = re.findall(r"\$\$(.+?)\$\$", text, flags=re.S)
    text = re.sub(r"\$\$(.+?)\$\$", " ", text, flags=re.S)
    inline = re.findall(r"\$(.+?)\$", text, flags=re.S)
    return len(display), len(inline)


def given_namespace():
    """A namespace with numpy, the gc_utils helpers and the notebook's given
    ``forward_propagation_n`` and ``backward_propagation_n`` (with both bugs)."""
    notebook = source_notebook()
    namespace = {}
    exec("import numpy as np\nfrom gc_utils import sigmoid, relu", namespace)
    for grade_id in ("forward_propagation_n", "backward_propagation_n"):
        exec(given_code(grade_id, notebook), namespace)
    return namespace


def fixed_backward(namespace):
    """The instructor's corrected ``backward_propagation_n`` (exercise 5)."""
    code = solution_answers()["ex5_fixed_backward_propagation_n"]
    local = dict(namespace)
    exec(code, local)
    return local["backward_propagation_n"]
