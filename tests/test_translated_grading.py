"""Grading is the same in every language: the demo's four students, graded by real
``nbgrader autograde`` in the Chinese and Korean assignments, score exactly what they
score in English, cell by cell, and their feedback speaks their language: every
message of a failed test (public or hidden) is the catalogue's translation of the
English one with the same values, and the score summary names the exercises in it."""

import re
import string
from html import escape as html_escape

import nbformat
import pytest
from demo_expectations import LOST, POINTS, total

from course_constants import ASSIGNMENT, MESSAGES_FILE, NOTEBOOK, ROOT
from course_language import load as load_messages
from grading.cells import cell_by_id
from i18n import assignment, catalogue, languages, messages
from scaffold.course import generate_release, make_course, nbgrader, submit
from scaffold.scores import cell_scores
from scaffold.submissions import edit, fill, release_notebook, solution_answers, source_notebook

# nbgrader grades whole courses in every language (demo_course, translated_courses, hidden_course).
pytestmark = pytest.mark.slow

LANGUAGES = languages()
#: Letters of the Chinese and Korean scripts.
CJK = r"[\u3400-\u9fff\uac00-\ud7af]"


def errors(course, student, name, grade_id):
    """The error messages a graded cell shows the student."""
    notebook = nbformat.read(course / "autograded" / student / name / f"{NOTEBOOK}.ipynb", as_version=4)
    return [f"{o.ename}: {o.evalue}" for o in cell_by_id(notebook, grade_id).outputs
            if o.output_type == "error"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_same_answers_get_the_same_scores_in_every_language(demo_course, translated_courses, language):
    _, english = demo_course
    _, translated = translated_courses
    assert translated[language] == english, "a translation changed a grade"
    for student in LOST:
        expected = {g: (0 if g in LOST[student] else p, p) for g, p in POINTS.items()}
        assert translated[language][student] == expected, student


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_feedback_is_in_the_language_and_hides_the_tests(translated_courses, language):
    course, _ = translated_courses
    name = assignment(language)
    release = nbformat.read(ROOT / "release" / name / f"{NOTEBOOK}.ipynb", as_version=4)
    title = cell_by_id(release, "intro").source.splitlines()[0].lstrip("# ")
    assert title != "Gradient Checking"
    for student in LOST:
        html = (course / "feedback" / student / name / f"{NOTEBOOK}.html").read_text()
        assert f"(Score: {total(student):.1f} / 10.0)" in html, student
        assert title in html, f"{student}'s feedback does not show the lesson in {language}"
        assert "BEGIN HIDDEN TESTS" not in html and "_quadratic_case" not in html, student
        # The grader's copy held the language's messages beside the helpers.
        assert (course / "autograded" / student / name / MESSAGES_FILE).is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unwritten_exercise_says_so_in_the_language(demo_course, translated_courses, language):
    """The blank student's cells fail with the exercises' stub, which nbgrader wrote in the language."""
    english_course, _ = demo_course
    course, _ = translated_courses
    stub = catalogue.load(language)["code_stub"][language]
    message = re.search(r'NotImplementedError\("(.+)"\)', stub).group(1)
    unwritten = [g for g in POINTS
                 if errors(english_course, "blank", ASSIGNMENT, g)[0].startswith("NotImplementedError")]
    assert len(unwritten) >= 4, "exercises 1 to 4 are tested on the blank student's own functions"
    for grade_id in unwritten:
        shown = errors(course, "blank", assignment(language), grade_id)
        assert shown == [f"NotImplementedError: {message}"], (grade_id, shown)
        assert shown != errors(english_course, "blank", ASSIGNMENT, grade_id)


# --- the messages, in the language --------------------------------------------------------------


def _pattern(msgid):
    """A regex matching what ``msgid`` becomes once formatted: one group per placeholder."""
    parts, seen = [], set()
    for literal, field, _spec, _conversion in string.Formatter().parse(msgid):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
            seen.add(field)
    return re.compile("".join(parts), flags=re.S)


@pytest.fixture(scope="module")
def message_ids():
    """Every message id a student may read, longest first (a shorter one may match a prefix)."""
    return sorted((m.id for m in messages.extract() if m.id), key=len, reverse=True)


def in_language(language, english, ids):
    """``english`` (a message a student was shown, line by line) as ``language``'s catalogue
    says it, with the same values filled in: what the translated release must show."""
    translation = load_messages(ROOT / "release" / assignment(language) / MESSAGES_FILE)
    lines = []
    for line in english.split("\n"):
        indent = line[:len(line) - len(line.lstrip())]
        for msgid in ids:
            match = _pattern(msgid).fullmatch(line.strip())
            if match:
                template = re.sub(r"!r\}", "}", translation.gettext(msgid))   # values are shown text
                # A value may be a message itself ({case}, {state}): it is translated too.
                values = {key: translation.gettext(value) for key, value in match.groupdict().items()}
                lines.append(indent + template.format(**values))
                break
        else:
            raise AssertionError(f"{line.strip()!r} is no message of the kit's catalogue")
    return "\n".join(lines)


def error_text(course, student, name, grade_id):
    (shown,) = errors(course, student, name, grade_id)
    return shown.split(": ", 1)[1]


# The messages a wrong answer meets first, cell by cell: public tests (the demo's students).
PUBLIC_TEST_FAILURES = [
    ("unfixed_backward", "test_ex5_fixed_backward_propagation_n"),
    ("gradient_check_n_mistake", "test_ex4_gradient_check_n"),
    ("gradient_check_n_mistake", "test_ex4_gradient_check_n_wrong_gradients"),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("student, grade_id", PUBLIC_TEST_FAILURES)
def test_a_wrong_answer_is_explained_in_the_language(demo_course, translated_courses, message_ids, language,
                                                      student, grade_id):
    english_course, _ = demo_course
    course, _ = translated_courses
    english = error_text(english_course, student, ASSIGNMENT, grade_id)
    shown = error_text(course, student, assignment(language), grade_id)
    assert shown == in_language(language, english, message_ids)
    assert shown != english, f"{student}/{grade_id} is told in English: {shown}"
    assert re.search(CJK, shown), shown
    html = (course / "feedback" / student / assignment(language) / f"{NOTEBOOK}.html").read_text()
    assert all(html_escape(line.strip(), quote=False) in html for line in shown.splitlines()), shown


#: How a translated feedback page names each test cell in its score summary: after the
#: heading of its exercise, in the notebook's language.
SUMMARY_LABELS = {
    "zh": ["练习 1：forward_propagation", "练习 2：backward_propagation", "练习 3：gradient_check (1/2)",
           "练习 3：gradient_check (2/2)", "练习 4：gradient_check_n (1/2)", "练习 4：gradient_check_n (2/2)",
           "练习 5：修正 backward_propagation_n"],
    "ko": ["연습 1: forward_propagation", "연습 2: backward_propagation", "연습 3: gradient_check (1/2)",
           "연습 3: gradient_check (2/2)", "연습 4: gradient_check_n (1/2)", "연습 4: gradient_check_n (2/2)",
           "연습 5: backward_propagation_n 고치기"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_score_summary_names_the_exercises_in_the_language(translated_courses, language):
    course, _ = translated_courses
    html = (course / "feedback" / "complete" / assignment(language) / f"{NOTEBOOK}.html").read_text()
    for grade_id, label in zip(POINTS, SUMMARY_LABELS[language]):
        assert f'<a href="#{grade_id}">{label}</a>' in html, (grade_id, label)
    assert ">Test cell</a>" not in html


# --- hidden tests: their messages reach the student in feedback, in the language ------------------

#: A student whose answers pass every public test and fail hidden ones: ``forward_propagation``
#: rounded to one decimal (exact on the public inputs, not on the grader's), ``backward_propagation_n``
#: with the test case's m = 3 written in (right there, wrong on the grader's 6 examples).
HIDDEN_MISTAKES = [
    ("ex1_forward_propagation", "J = theta * x", "J = round(theta * x, 1)"),
    ("ex5_fixed_backward_propagation_n", "m = X.shape[1]", "m = 3"),
]
HIDDEN_FAILURES = {"test_ex1_forward_propagation", "test_ex5_fixed_backward_propagation_n"}
STUDENT = "hidden_mistakes"


@pytest.fixture(scope="module")
def hidden_course(tmp_path_factory):
    """One course with every assignment, and in each the same hidden-mistakes student,
    graded by ``nbgrader autograde``, with feedback: ``(course, {assignment: scores})``."""
    course = make_course(tmp_path_factory.mktemp("hidden") / "course")
    scores = {}
    for name in [ASSIGNMENT] + [assignment(language) for language in LANGUAGES]:
        generate_release(course, name)
        answers = solution_answers(source_notebook(course, name))
        for grade_id, old, new in HIDDEN_MISTAKES:
            answers[grade_id] = edit(answers[grade_id], old, new)
        submit(course, STUDENT, fill(answers, release_notebook(course, name)), name)
        nbgrader(course, "autograde", name, "--force")
        nbgrader(course, "generate_feedback", name, "--force")
        scores[name] = cell_scores(f"sqlite:///{course / 'gradebook.db'}", assignment=name)[STUDENT]
    return course, scores


def test_hidden_tests_fail_the_same_cells_in_every_language(hidden_course):
    course, scores = hidden_course
    english = scores[ASSIGNMENT]
    assert english == {g: (0 if g in HIDDEN_FAILURES else p, p) for g, p in POINTS.items()}
    for language in LANGUAGES:
        assert scores[assignment(language)] == english, language
    for grade_id in HIDDEN_FAILURES:   # the public tests passed: what failed is hidden
        graded = nbformat.read(course / "autograded" / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.ipynb", 4)
        printed = "".join(o.get("text", "") for o in cell_by_id(graded, grade_id).outputs)
        assert "All tests passed." in printed, (grade_id, printed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_hidden_test_messages_reach_the_feedback_in_the_language(hidden_course, message_ids, language):
    course, _ = hidden_course
    name = assignment(language)
    html = (course / "feedback" / STUDENT / name / f"{NOTEBOOK}.html").read_text()
    for grade_id in sorted(HIDDEN_FAILURES):
        english = error_text(course, STUDENT, ASSIGNMENT, grade_id)
        shown = error_text(course, STUDENT, name, grade_id)
        assert shown == in_language(language, english, message_ids)
        assert shown != english and re.search(CJK, shown), shown
        assert html_escape(shown, quote=False) in html, f"{grade_id}: {shown!r} not in the feedback"
    assert "BEGIN HIDDEN TESTS" not in html and "_say(" not in html
