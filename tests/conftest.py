"""Fixtures shared by the whole suite.

The expensive ones (a graded course) are session-scoped and built in scratch
folders, never in the repository.
"""

import sys
from pathlib import Path

import pytest

# The kit's modules, for every test module (pytest puts only tests/ on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_constants import ASSIGNMENT, ROOT  # noqa: E402
from i18n import assignment, languages  # noqa: E402
from scaffold.course import generate_release, make_course, nbgrader, submit  # noqa: E402
from scaffold.scores import cell_scores  # noqa: E402
from scaffold.submissions import sample_submissions  # noqa: E402


@pytest.fixture(scope="session")
def cjk_fonts():
    """Debian's Noto CJK fonts, installed and in fontconfig's cache (figures, browser)."""
    from system_packages import require

    require("cjk-fonts")


@pytest.fixture(scope="module")
def chromium(cjk_fonts):
    """Debian's Chromium, installed when missing (the browser tests), started only once
    the CJK fonts are in fontconfig's cache: a browser caches the fonts it saw at start."""
    from browser_support import ensure_chromium
    from system_packages import skip_or_fail

    path, why = ensure_chromium()
    if path is None:
        skip_or_fail(why)
    return path


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    """A Chromium context with a fresh profile that reaches loopback and files only."""
    from browser_support import ARTIFACTS, CHROMIUM_ARGS, Offline
    from system_packages import skip_or_fail

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        skip_or_fail(f"Playwright is not installed in this environment ({error}); run `make setup`")
    offline = Offline(["http://127.0.0.1:", "file://", "data:", "blob:"])
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1400},
        )
        context.set_default_timeout(60_000)
        context.route("**/*", offline)
        context.offline_requests = offline
        try:
            yield context
        finally:
            context.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "blocked_requests.txt").write_text(
                "".join(f"{url}\n" for url in offline.blocked))


@pytest.fixture(scope="session")
def repo():
    return ROOT


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory):
    """A scratch course after the demo's full round: release generated, the four
    sample students submitted, autograded, feedback generated, grades exported."""
    course = make_course(tmp_path_factory.mktemp("demo") / "course")
    generate_release(course)
    for student, notebook in sample_submissions(course).items():
        submit(course, student, notebook)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    course_scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}")
    return course, course_scores


@pytest.fixture(scope="session")
def translated_courses(tmp_path_factory):
    """The demo's round in every translated assignment, in one scratch course (as an
    instructor releasing several languages would): each release generated, the four
    sample students (built from that release) submitted, autograded, feedback generated.
    Returns ``(course, {language: {student: {grade_id: (score, max_score)}}})``."""
    course = make_course(tmp_path_factory.mktemp("translated") / "course")
    scores = {}
    for language in languages():
        name = assignment(language)
        generate_release(course, name)
        for student, notebook in sample_submissions(course, name).items():
            submit(course, student, notebook, name)
        nbgrader(course, "autograde", name, "--force")
        nbgrader(course, "generate_feedback", name, "--force")
        scores[language] = cell_scores(f"sqlite:///{course / 'gradebook.db'}", assignment=name)
    return course, scores
