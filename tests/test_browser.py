"""The release as a student meets it: JupyterLab in Chromium.

Nothing short of the real client shows whether the figures load, the math
renders, the first run fails only where the student has to write code, a
correct solution turns every public test green, and the feedback HTML shows
scores and messages.  JupyterLab runs from the kit's ``.venv`` on loopback in
a scratch copy of the release; Chromium is Debian's, driven by Playwright.
Screenshots of every step go to ``artifacts/browser/`` for a person to look at.
"""

import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the `browser` fixture (conftest.py) reports it, as a skip (a failure in CI)
    PlaywrightTimeout = TimeoutError

from browser_support import ARTIFACTS, TRACEBACK, JupyterLab, NotebookPage
from notebook_code import math_in as _math_in

from course_constants import ASSIGNMENT, NOTEBOOK, ROOT
from grading.cells import grade_id as _grade_id
from grading.cells import is_graded
from scaffold.submissions import release_notebook, solution_answers

# JupyterLab and Chromium (installed when missing) for every test.
pytestmark = pytest.mark.system

RELEASE = ROOT / "release" / ASSIGNMENT
ALL_PASSED = "All tests passed."


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving two scratch copies of the release: one per test that edits."""
    root = tmp_path_factory.mktemp("lab")
    for name in ("first_run", "solved"):
        shutil.copytree(RELEASE, root / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    with JupyterLab(root, tmp_path_factory.mktemp("jupyter")) as server:
        server.notebooks = root
        yield server


@pytest.fixture(scope="module")
def release():
    return release_notebook()


def _code_lines(source):
    return [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _file_name(url):
    return Path(urlparse(url).path).name


def _open(browser, lab, folder):
    page = browser.new_page()
    return NotebookPage(page, lab, f"{folder}/{NOTEBOOK}.ipynb", ARTIFACTS).open(folder.replace("_", "-"))


def _errors(cells):
    return [c["index"] for c in cells if any(TRACEBACK in o["text"] for o in c["outputs"])]


def _assert_offline(browser, before):
    """JupyterLab, as a student runs it, needs no web host: nothing was blocked."""
    tried = browser.offline_requests.blocked[before:]
    assert not tried, f"JupyterLab tried to reach the network: {tried}"


def test_first_run_shows_the_lesson_and_stops_at_the_first_exercise(browser, lab, release):
    before = len(browser.offline_requests.blocked)
    notebook = _open(browser, lab, "first_run")
    try:
        # The figures: every <img> of the rendered markdown loaded, and they are
        # exactly the SVGs shipped under images/.
        notebook.page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.jp-RenderedMarkdown img')).length > 0 && "
            "Array.from(document.querySelectorAll('.jp-RenderedMarkdown img')).every(i => i.complete)")
        expected_math = [_math_in(c.source) if c.cell_type == "markdown" else (0, 0) for c in release.cells]
        total = sum(d + i for d, i in expected_math)
        try:  # MathJax typesets after the markdown is shown; a shortfall is reported cell by cell below
            notebook.page.wait_for_function(
                f"() => document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length >= {total}",
                timeout=30_000)
        except PlaywrightTimeout:
            pass
        cells = notebook.cells()
        notebook.shot("01_opened")

        assert len(cells) == len(release.cells), "JupyterLab shows a different number of cells"
        kinds = [c["kind"] for c in cells]
        assert kinds == [c.cell_type for c in release.cells], "cells appear in another order or kind"

        images = [image for c in cells for image in c["images"]]
        shipped = sorted(p.name for p in (RELEASE / "images").glob("*.svg"))
        assert sorted(_file_name(i["url"]) for i in images) == shipped
        broken = [i["src"] for i in images
                  if not (i["complete"] and i["naturalWidth"] > 0 and i["width"] > 0)]
        assert not broken, f"figures that do not display: {broken}"
        for i, cell in enumerate(cells):
            for n, image in enumerate(cell["images"]):
                notebook.shot(f"02_figure_{Path(_file_name(image['url'])).stem}", i,
                              f".jp-RenderedMarkdown img >> nth={n}")

        # The math: every formula of the source typeset by MathJax, no TeX left as text.
        for cell, (display, inline) in zip(cells, expected_math):
            if cell["kind"] != "markdown":
                continue
            grade_id = _grade_id(release.cells[cell["index"]])
            assert (cell["displayMath"], cell["inlineMath"]) == (display, inline), (
                f"markdown cell {grade_id}: MathJax typeset {cell['displayMath']} display and "
                f"{cell['inlineMath']} inline formulas, the source has {display} and {inline}")
            raw = re.findall(r"\$|\\[A-Za-z]+", cell["text"])
            assert not raw, f"markdown cell {grade_id} shows raw TeX: {raw}"
        notebook.shot("03_math", 2)

        # Run all: it must stop at exercise 1, the first place the student writes code.
        cells = notebook.run_all()
        failing = _errors(cells)
        assert failing, "the blank release ran to the end without an error"
        first = failing[0]
        notebook.shot("04_first_error", first)
        notebook.shot("05_first_error_window")
        first_id = _grade_id(release.cells[first])
        assert first_id in ("ex1_forward_propagation", "test_ex1_forward_propagation"), (
            f"the first error is in cell {first} ({first_id}), not in exercise 1's cells")
        shown = "\n".join(o["text"] for o in cells[first]["outputs"])
        assert "NotImplementedError" in shown and "forward_propagation" in shown, shown
        assert failing == [first], f"Run All went on after the first error: cells {failing} failed"

        code_above = [c for c in cells[:first] if c["kind"] == "code"]
        prompts = [c["prompt"] for c in code_above]
        assert prompts == [f"[{n}]:" for n in range(1, len(code_above) + 1)], (
            f"the cells above the first error did not all run, in order: {prompts}")
        for c in code_above:
            assert not any(o["mime"] == "application/vnd.jupyter.stderr" for o in c["outputs"]), (
                f"cell {c['index']} ({_grade_id(release.cells[c['index']])}) wrote to stderr: {c['outputs']}")
        assert cells[first]["prompt"] == f"[{len(code_above) + 1}]:"
        not_run = [c["index"] for c in cells[first + 1:] if c["kind"] == "code" and c["prompt"] != "[ ]:"]
        assert not not_run, f"cells after the first error ran: {not_run}"

        # What was saved says the same, with the exception's type.
        notebook.save()
        saved = nbformat.read(lab.notebooks / "first_run" / f"{NOTEBOOK}.ipynb", as_version=4)
        errors = [(i, o.ename) for i, c in enumerate(saved.cells) if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
        assert errors == [(first, "NotImplementedError")]
    finally:
        notebook.page.close()
    _assert_offline(browser, before)


def _printed_difference(markdown):
    """The ``difference = <number>`` a markdown cell tells the student to expect."""
    found = re.search(r"difference = ([0-9.]+(?:e-?\d+)?)", markdown)
    assert found, f"no expected difference in: {markdown}"
    return float(found.group(1))


def test_a_correct_solution_typed_in_passes_every_public_test(browser, lab, release):
    before = len(browser.offline_requests.blocked)
    answers = solution_answers()
    notebook = _open(browser, lab, "solved")
    path = lab.notebooks / "solved" / f"{NOTEBOOK}.ipynb"
    try:
        index = {_grade_id(c): i for i, c in enumerate(release.cells)}
        assert set(answers) <= set(index), "the release lacks answer cells the solution has"
        for grade_id, code in answers.items():
            notebook.replace_cell_source(index[grade_id], code)
        notebook.save()
        saved = nbformat.read(path, as_version=4)
        for grade_id, code in answers.items():
            assert saved.cells[index[grade_id]].source.rstrip() == code.rstrip(), (
                f"the editor did not keep the solution of {grade_id} as typed")
        notebook.shot("06_solution_typed", index["ex5_fixed_backward_propagation_n"])

        cells = notebook.restart_and_run_all()
        notebook.shot("07_solved_window")

        code = [c for c in cells if c["kind"] == "code"]
        prompts = [c["prompt"] for c in code]
        assert prompts == [f"[{n}]:" for n in range(1, len(code) + 1)], (
            f"not every code cell ran once, top to bottom, in the fresh kernel: {prompts}")
        failed = {_grade_id(release.cells[i]): cells[i]["outputs"] for i in _errors(cells)}
        assert not failed, f"errors in the solved notebook: {failed}"
        stderr = [c["index"] for c in code if any(o["mime"].endswith("stderr") for o in c["outputs"])]
        assert not stderr, f"cells writing to stderr: {stderr}"

        # Test cells that call one of public_tests' checkers say so when it passes.
        # (A bare `assert` left in a test cell passes silently: no error is all it shows.)
        public = [i for i, c in enumerate(release.cells)
                  if is_graded(c)
                  and any(re.search(r"\b\w+_test\(", line) for line in _code_lines(c.source))]
        assert public, "the release has no test cell calling public_tests"
        for i in public:
            shown = "\n".join(o["text"] for o in cells[i]["outputs"])
            assert ALL_PASSED in shown, f"{_grade_id(release.cells[i])} shows {shown!r}"
            notebook.shot(f"08_{_grade_id(release.cells[i])}", i)

        # The checks the lesson runs print what the markdown after them announces.
        for run_id, after_id, verdict in (
            ("run_ex4", "ex4_after", "There is a mistake in the backward propagation!"),
            ("run_ex5", "ex5_after", "Your backward propagation works perfectly fine!"),
        ):
            shown = "\n".join(o["text"] for o in cells[index[run_id]]["outputs"])
            assert verdict in shown, f"{run_id} shows {shown!r}"
            printed = float(re.search(r"difference = (\S+)", shown).group(1))
            announced = _printed_difference(release.cells[index[after_id]].source)
            assert printed == pytest.approx(announced, rel=1e-6), (run_id, printed, announced)
            notebook.shot(f"09_{run_id}", index[run_id])
        shown = "\n".join(o["text"] for o in cells[index["per_block"]]["outputs"])
        # The block-by-block table points at the two planted bugs, and only at them.
        flagged = re.findall(r"^\s*([Wb][123])\b[^\n]*\b(?:wrong|off by)", shown, flags=re.M)
        assert flagged == ["b1", "W2"], f"the per-block table shows {shown!r}"
        notebook.shot("10_per_block", index["per_block"])
    finally:
        notebook.page.close()
    _assert_offline(browser, before)


def _open_feedback(browser, html, name):
    page = browser.new_page()
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}_top.png"))
    return page


#: How the feedback's score summary names each test cell: after its exercise's heading.
SUMMARY_LABELS = {
    "test_ex1_forward_propagation": "Exercise 1: forward_propagation",
    "test_ex2_backward_propagation": "Exercise 2: backward_propagation",
    "test_ex3_gradient_check": "Exercise 3: gradient_check (1/2)",
    "test_ex3_gradient_check_nonlinear": "Exercise 3: gradient_check (2/2)",
    "test_ex4_gradient_check_n": "Exercise 4: gradient_check_n (1/2)",
    "test_ex4_gradient_check_n_wrong_gradients": "Exercise 4: gradient_check_n (2/2)",
    "test_ex5_fixed_backward_propagation_n": "Exercise 5: fix backward_propagation_n",
}

# Each formula of the page as the browser laid it out: MathML display, box, and for a
# fraction whether its numerator sits above its denominator.
FORMULAS_JS = """
() => Array.from(document.querySelectorAll('.text_cell_render math')).map(m => {
  const box = m.getBoundingClientRect();
  const frac = m.querySelector('mfrac');
  let stacked = null;
  if (frac && frac.children.length === 2) {
    stacked = frac.children[0].getBoundingClientRect().bottom
              <= frac.children[1].getBoundingClientRect().top + 1;
  }
  return {display: m.getAttribute('display'), css: getComputedStyle(m).display,
          width: box.width, height: box.height, stacked};
})
"""


@pytest.mark.slow
def test_the_feedback_shows_scores_and_messages(browser, demo_course):
    course, scores = demo_course
    for student in ("complete", "unfixed_backward"):
        html = course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
        assert html.exists(), f"no feedback for {student}"
        before = len(browser.offline_requests.blocked)
        page = _open_feedback(browser, html, f"11_feedback_{student}")
        try:
            total = sum(score for score, _ in scores[student].values())
            top = sum(most for _, most in scores[student].values())
            heading = page.locator("h4", has_text=f"{NOTEBOOK} (Score:")
            assert heading.is_visible()
            assert heading.inner_text().strip() == f"{NOTEBOOK} (Score: {total:.1f} / {top:.1f})"
            for grade_id, (score, most) in scores[student].items():
                link = page.locator(f"#toc a[href='#{grade_id}']")
                row = link.locator("xpath=..")
                assert row.is_visible(), f"{student}: no summary line for {grade_id}"
                assert f"(Score: {score:.1f} / {most:.1f})" in row.inner_text()
                assert link.inner_text().strip() == SUMMARY_LABELS[grade_id], (
                    f"{student}: the summary names {grade_id} {link.inner_text()!r}")
            assert "Test cell" not in page.locator("#toc").inner_text()
            page.locator("#toc").screenshot(path=str(ARTIFACTS / f"13_feedback_{student}_summary.png"))

            # Every formula of the lesson typeset with the network blocked: as many MathML
            # formulas as the notebook has, laid out by the browser (fractions stacked), no TeX left.
            graded = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", 4)
            display, inline = (sum(counts) for counts in zip(
                *[_math_in(c.source) for c in graded.cells if c.cell_type == "markdown"]))
            formulas = page.evaluate(FORMULAS_JS)
            assert sum(f["display"] == "block" for f in formulas) == display
            assert sum(f["display"] == "inline" for f in formulas) == inline
            # laid out by the browser's MathML engine ("math" is how Chromium reports "inline math")
            assert all(f["css"] in ("math", "inline math", "block math") for f in formulas), formulas[:3]
            assert all(f["css"] == "block math" for f in formulas if f["display"] == "block"), formulas
            assert all(f["width"] > 0 and f["height"] > 0 for f in formulas), "a formula shows no box"
            fractions = [f["stacked"] for f in formulas if f["stacked"] is not None]
            assert fractions and all(fractions), "a fraction is not laid out as a fraction"
            text = page.locator(".text_cell_render").all_inner_texts()
            raw = re.findall(r"\$|\\[A-Za-z]+", "\n".join(text))
            assert not raw, f"raw TeX in {student}'s feedback: {raw[:5]}"
            page.locator(".text_cell_render math[display='block']").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"14_feedback_{student}_formulas.png"))
            tried = browser.offline_requests.blocked[before:]
            assert not tried, f"{student}'s feedback tried to reach the network: {tried}"
            broken = page.evaluate(
                "() => Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.src)")
            assert not broken, f"figures missing in {student}'s feedback: {broken}"

            errors = page.locator(".output_error")
            failed = sorted(g for g, (score, most) in scores[student].items() if score < most)
            if not failed:
                assert errors.count() == 0, f"{student} has full marks but the feedback shows an error"
                continue
            assert failed == ["test_ex5_fixed_backward_propagation_n"]
            anchor = page.locator(f"a[name='{failed[0]}']")
            cell = anchor.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' code_cell ')][1]")
            assert "Score: 0.0 / 2.0" in cell.inner_text()
            message = cell.locator(".output_error")
            assert message.is_visible()
            # The message ends by naming a gradient the unfixed backward pass gets wrong.
            assert re.search(r"AssertionError: [\s\S]*\bd(W2|b1)\b[^\n]*$", message.inner_text().strip()), (
                message.inner_text())
            message.scroll_into_view_if_needed()
            cell.screenshot(path=str(ARTIFACTS / f"12_feedback_{student}_{failed[0]}.png"))
        finally:
            page.close()
