"""The Chinese and Korean releases as their students meet them: JupyterLab in Chromium.

The same set-up as ``test_browser.py`` (its Chromium and JupyterLab), plus Debian's
Noto CJK fonts, installed when missing.  For each language: the figures of that
language load, every formula is typeset, the emphasis survives the translation
(CommonMark's rules around CJK punctuation are easy to trip), the text is drawn
with a CJK font rather than empty boxes, Run All stops at exercise 1 with the
stub's message in the language, a complete solution passes every public test
with the messages of the release's catalogue (the verdict lines too), and the
feedback shows the scores, the exercises, the lesson and a failed test's message
in the language.  Screenshots go to ``artifacts/browser/<language>/``.
"""

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from browser_support import ARTIFACTS, JupyterLab, NotebookPage
from test_browser import _assert_offline, _errors, _file_name, _open_feedback
from test_translated_grading import SUMMARY_LABELS

from course_constants import MESSAGES_FILE, NOTEBOOK, ROOT
from course_language import load as load_messages
from grading.cells import grade_id as _grade_id
from grading.cells import is_graded
from i18n import assignment, catalogue, languages
from i18n.markdown import formulas
from scaffold.submissions import sample_submissions

# JupyterLab and Chromium, with Debian's CJK fonts (installed when missing), for every test.
pytestmark = pytest.mark.system

LANGUAGES = languages()
#: Letters of the CJK scripts: Han, kana, Hangul, and the full-width punctuation around them.
CJK = r"[\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]"

# The characters each rendered element draws itself (not its children's), and what is
# left of its text without code and formulas (where an asterisk would be a failed emphasis).
OWN_TEXT_JS = """
(selector) => {
  const element = document.querySelector(selector);
  const own = Array.from(element.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('');
  return own;
}
"""
PROSE_JS = """
() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown')).map(cell => {
  const copy = cell.cloneNode(true);
  copy.querySelectorAll('code, mjx-container, script').forEach(e => e.remove());
  return copy.innerText;
})
"""


# Marks (data-probe) the element under ``root`` whose own text holds ``text``, for _cjk_font_glyphs.
MARK_TEXT_JS = """
(root, text) => {
  const found = Array.from(root.querySelectorAll('*')).filter(e =>
      Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.includes(text)));
  document.querySelectorAll('[data-probe]').forEach(e => e.removeAttribute('data-probe'));
  found[found.length - 1].setAttribute('data-probe', '1');
}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory, cjk_fonts):
    """JupyterLab serving, per language, the release as given and the release with the
    complete sample student's answers in it."""
    root = tmp_path_factory.mktemp("lab-translated")
    for language in LANGUAGES:
        release = ROOT / "release" / assignment(language)
        for name in ("first_run", "solved"):
            shutil.copytree(release, root / f"{language}_{name}",
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        solved = sample_submissions(ROOT, assignment(language))["complete"]
        nbformat.write(solved, root / f"{language}_solved" / f"{NOTEBOOK}.ipynb")
    with JupyterLab(root, tmp_path_factory.mktemp("jupyter-translated")) as server:
        server.notebooks = root
        yield server


def _screenshots(language):
    return ARTIFACTS / language


def _open(browser, lab, folder, language):
    page = browser.new_page()
    return NotebookPage(page, lab, f"{folder}/{NOTEBOOK}.ipynb", _screenshots(language)).open(
        folder.replace("_", "-"))


def _cjk_font_glyphs(page, selector):
    """Glyphs that fonts with "CJK" in their name drew for the element's own text,
    as Chromium reports them (DevTools protocol: CSS.getPlatformFontsForNode)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return sum(f["glyphCount"] for f in fonts if "CJK" in f["familyName"]), fonts


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_translated_lesson_reads_well_and_stops_at_exercise_1(browser, lab, language):
    before = len(browser.offline_requests.blocked)
    release = nbformat.read(ROOT / "release" / assignment(language) / f"{NOTEBOOK}.ipynb", as_version=4)
    notebook = _open(browser, lab, f"{language}_first_run", language)
    page = notebook.page
    try:
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.jp-RenderedMarkdown img')).length > 0 && "
            "Array.from(document.querySelectorAll('.jp-RenderedMarkdown img')).every(i => i.complete)")
        expected_math = [formulas(c.source) if c.cell_type == "markdown" else ([], []) for c in release.cells]
        total = sum(len(d) + len(i) for d, i in expected_math)
        page.wait_for_function(
            f"() => document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length >= {total}",
            timeout=60_000)
        cells = notebook.cells()
        notebook.shot("01_opened")
        assert [c["kind"] for c in cells] == [c.cell_type for c in release.cells]

        # The figures of this language, every one displayed.
        images = [image for c in cells for image in c["images"]]
        shipped = ROOT / "release" / assignment(language) / "images"
        assert sorted(_file_name(i["url"]) for i in images) == sorted(p.name for p in shipped.glob("*.svg"))
        assert all(i["complete"] and i["naturalWidth"] > 0 and i["width"] > 0 for i in images), images
        for i, cell in enumerate(cells):
            for n, image in enumerate(cell["images"]):
                notebook.shot(f"02_figure_{Path(_file_name(image['url'])).stem}", i,
                              f".jp-RenderedMarkdown img >> nth={n}")

        # Every formula typeset, no TeX left as text, no emphasis left as asterisks.
        for cell, (display, inline) in zip(cells, expected_math):
            if cell["kind"] == "markdown":
                key = _grade_id(release.cells[cell["index"]])
                assert (cell["displayMath"], cell["inlineMath"]) == (len(display), len(inline)), key
                assert not re.findall(r"\$|\\[A-Za-z]+", cell["text"]), f"{key} shows raw TeX"
        prose = page.evaluate(PROSE_JS)
        assert not [text for text in prose if "*" in text], "emphasis that did not render"
        assert all(re.search(CJK, text) for text in prose), "a markdown cell without a word of the language"

        # The text is drawn with a CJK font: every CJK character of the title and of the
        # first paragraph got a glyph from one (an empty box would come from no CJK font).
        panel = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown"
        for selector in (f"{panel} h1", f"{panel} p"):
            own = page.evaluate(OWN_TEXT_JS, selector)
            letters = len(re.findall(CJK, own))
            glyphs, fonts = _cjk_font_glyphs(page, selector)
            assert letters > 0 and glyphs >= letters, (selector, own, fonts)
        notebook.shot("03_text_and_math", 2)

        # Run All stops at exercise 1, with the stub's message in the language.
        cells = notebook.run_all()
        failing = _errors(cells)
        assert failing and _grade_id(release.cells[failing[0]]) in (
            "ex1_forward_propagation", "test_ex1_forward_propagation"), failing
        assert failing == failing[:1], f"Run All went on after the first error: {failing}"
        shown = "\n".join(o["text"] for o in cells[failing[0]]["outputs"])
        stub = catalogue.load(language)["code_stub"][language]
        message = re.search(r'NotImplementedError\("(.+)"\)', stub).group(1)
        assert f"NotImplementedError: {message}" in shown, shown
        notebook.shot("04_first_error", failing[0])
    finally:
        page.close()
    _assert_offline(browser, before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_complete_solution_passes_every_public_test_in_the_language(browser, lab, language):
    before = len(browser.offline_requests.blocked)
    name = assignment(language)
    release = nbformat.read(ROOT / "release" / name / f"{NOTEBOOK}.ipynb", as_version=4)
    # The messages as the release's catalogue says them: the public tests', the test cells'
    # own (hidden tests aside, the line a test cell prints after its visible checks), the verdict.
    said = load_messages(ROOT / "release" / name / MESSAGES_FILE).gettext
    all_passed, visible, fine = (said(text) for text in (
        "All tests passed.", "Visible checks passed; this cell's hidden tests run when you are graded.",
        "Your backward propagation works perfectly fine!"))
    assert all(re.search(CJK, text) for text in (all_passed, visible, fine)), "untranslated"
    notebook = _open(browser, lab, f"{language}_solved", language)
    try:
        cells = notebook.restart_and_run_all()
        notebook.shot("05_solved_window")
        code = [c for c in cells if c["kind"] == "code"]
        assert [c["prompt"] for c in code] == [f"[{n}]:" for n in range(1, len(code) + 1)]
        assert not _errors(cells), {_grade_id(release.cells[i]): cells[i]["outputs"] for i in _errors(cells)}
        public = [i for i, c in enumerate(release.cells)
                  if is_graded(c) and re.search(r"^\w+_test\(", c.source, flags=re.M)]
        assert len(public) >= 4
        for i in public:
            shown = "\n".join(o["text"] for o in cells[i]["outputs"])
            assert all_passed in shown, f"{_grade_id(release.cells[i])} shows {shown!r}"
            notebook.shot(f"06_{_grade_id(release.cells[i])}", i)
        index = {_grade_id(c): i for i, c in enumerate(release.cells)}
        for grade_id in ("test_ex3_gradient_check_nonlinear", "test_ex4_gradient_check_n_wrong_gradients"):
            shown = "\n".join(o["text"] for o in cells[index[grade_id]]["outputs"])
            assert visible in shown, f"{grade_id} shows {shown!r}"
        shown = "\n".join(o["text"] for o in cells[index["run_ex5"]]["outputs"])
        assert f"{fine} difference = " in shown, shown
        notebook.shot("07_run_ex5", index["run_ex5"])
        # The messages are drawn with a CJK font, not as empty boxes.
        notebook.cell(index["test_ex1_forward_propagation"]).evaluate(MARK_TEXT_JS, all_passed)
        glyphs, fonts = _cjk_font_glyphs(notebook.page, "[data-probe]")
        assert glyphs >= len(re.findall(CJK, all_passed)), fonts
    finally:
        notebook.page.close()
    _assert_offline(browser, before)


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_feedback_shows_scores_and_the_lesson_in_the_language(browser, translated_courses, language):
    course, scores = translated_courses
    name = assignment(language)
    release = nbformat.read(ROOT / "release" / name / f"{NOTEBOOK}.ipynb", as_version=4)
    title = release.cells[0].source.splitlines()[0].lstrip("# ")
    student = "unfixed_backward"
    html = course / "feedback" / student / name / f"{NOTEBOOK}.html"
    page = _open_feedback(browser, html, f"{language}/08_feedback_{student}")
    try:
        total = sum(score for score, _ in scores[language][student].values())
        heading = page.locator("h4", has_text=f"{NOTEBOOK} (Score:")
        assert heading.inner_text().strip() == f"{NOTEBOOK} (Score: {total:.1f} / 10.0)"
        assert page.locator("h1", has_text=title).first.is_visible()
        glyphs, fonts = _cjk_font_glyphs(page, "h1")
        assert glyphs >= len(re.findall(CJK, title)) > 0, fonts
        for (grade_id, (score, most)), label in zip(scores[language][student].items(),
                                                    SUMMARY_LABELS[language]):
            link = page.locator(f"#toc a[href='#{grade_id}']")
            assert f"(Score: {score:.1f} / {most:.1f})" in link.locator("xpath=..").inner_text(), grade_id
            assert link.inner_text().strip() == label, (grade_id, link.inner_text())
        summary = _screenshots(language) / f"10_feedback_{student}_summary.png"
        page.locator("#toc").screenshot(path=str(summary))
        broken = page.evaluate(
            "() => Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.src)")
        assert not broken, broken
        failed = page.locator("a[name='test_ex5_fixed_backward_propagation_n']").locator(
            "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' code_cell ')][1]")
        failed.scroll_into_view_if_needed()
        failed.screenshot(path=str(_screenshots(language) / f"09_feedback_{student}_ex5.png"))
        # The failed test's message, in the language, drawn with a CJK font.
        said = load_messages(ROOT / "release" / name / MESSAGES_FILE).gettext
        doubled = said("{name} is {factor} times the true gradient: look for a constant that does not "
                       "belong in its formula.").format(name="dW2", factor="2")
        shown = failed.inner_text()
        assert said("backward_propagation_n on the test case:") in shown and doubled in shown, shown
        assert re.search(CJK, doubled), "untranslated"
        failed.evaluate(MARK_TEXT_JS, doubled)
        glyphs, fonts = _cjk_font_glyphs(page, "[data-probe]")
        assert glyphs >= len(re.findall(CJK, doubled)), fonts
    finally:
        page.close()
