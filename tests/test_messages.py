"""The public tests speak the language of the release: gettext catalogues kept with Babel,
``course_language.py`` reading the compiled catalogue beside it, English where there is none."""

import ast
import os
import re
import subprocess
import sys
import textwrap

import nbformat
import pytest

from course_constants import ASSIGNMENT, MESSAGES_FILE, ROOT
from i18n import assignment, languages, messages

LANGUAGES = languages()
SAY = ("import checks, course_language; print(course_language.language); checks.passed(); "
       "checks.missing(['dW1']); checks.missing(['dW1', 'db1'])")


def run_python(folder, code, **env):
    """``code`` in a fresh interpreter started in ``folder``, as a notebook kernel there is."""
    environment = dict(os.environ, **env)
    environment.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True,
                          env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def language_in(folder, **env):
    return run_python(folder, "import course_language; print(course_language.language)", **env).stdout.strip()


def test_the_english_assignment_speaks_english_whatever_the_machine_says():
    for folder in ("source", "release"):
        assert not (ROOT / folder / ASSIGNMENT / MESSAGES_FILE).exists()
        assert language_in(ROOT / folder / ASSIGNMENT, LANG="zh_CN.UTF-8", LANGUAGE="zh_CN:ko") == "en"


@pytest.mark.parametrize("folder", ["source", "release"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translated_assignment_speaks_its_language_whatever_the_machine_says(folder, language):
    assert language_in(ROOT / folder / assignment(language), LANG="C.UTF-8", LANGUAGE="en") == language


CHECKS = '''
from course_language import gettext as _
from course_language import ngettext


def passed():
    print(_("All tests passed."))


def missing(names):
    print(ngettext("{name} is missing from the returned dictionary",
                   "{count} gradients are missing from the returned dictionary",
                   len(names)).format(name=names[0], count=len(names)))
'''


@pytest.fixture
def kit(tmp_path, monkeypatch):
    """A small kit: course_language.py, a module with two of the public tests' messages,
    and a module that has a ``_`` of its own (not a source of student messages)."""
    root = tmp_path / "kit"
    root.mkdir()
    (root / "course_language.py").write_bytes((ROOT / "course_language.py").read_bytes())
    (root / "checks.py").write_text(textwrap.dedent(CHECKS))
    (root / "other.py").write_text('def _(text):\n    return text\n\n\nNOTE = _("not for students")\n')
    monkeypatch.setattr(messages, "po_path",
                        lambda language: tmp_path / "translations" / language / "LC_MESSAGES" / "messages.po")
    return root


def test_babel_carries_a_message_from_the_code_to_the_student(kit):
    """extract -> update the .po -> translate -> compile -> messages.mo beside the helpers."""
    assert [path.name for path in messages.sources(kit)] == ["checks.py"]
    template = messages.extract(kit)
    plural = ("{name} is missing from the returned dictionary",
              "{count} gradients are missing from the returned dictionary")
    assert [m.id for m in template if m.id] == ["All tests passed.", plural]

    assert messages.update("zh", template) is True
    assert messages.update("zh", template) is False, "nothing changed: the .po must not be rewritten"
    assert messages.untranslated("zh") == ["All tests passed.", plural]
    assert messages.out_of_date("zh", template) == ([], [])

    catalog = messages.read("zh")
    catalog["All tests passed."].string = "全部测试通过。"
    messages.po_path("zh").write_bytes(messages._text(catalog))
    assert messages.untranslated("zh") == [plural]

    (kit / MESSAGES_FILE).write_bytes(messages.compile_messages("zh"))
    said = run_python(kit, SAY, LANG="C.UTF-8").stdout.splitlines()
    assert said == ["zh", "全部测试通过。", "dW1 is missing from the returned dictionary",
                    "2 gradients are missing from the returned dictionary"], "untranslated: English"

    catalog[plural[0]].string = ("返回的字典里缺少 {name}",)  # Chinese has one plural form
    messages.po_path("zh").write_bytes(messages._text(catalog))
    assert messages.untranslated("zh") == []
    (kit / MESSAGES_FILE).write_bytes(messages.compile_messages("zh"))
    said = run_python(kit, SAY).stdout.splitlines()
    assert said == ["zh", "全部测试通过。", "返回的字典里缺少 dW1", "返回的字典里缺少 dW1"]

    (kit / MESSAGES_FILE).unlink()
    said = run_python(kit, SAY, LANG="zh_CN.UTF-8").stdout.splitlines()
    assert said == ["en", "All tests passed.", "dW1 is missing from the returned dictionary",
                    "2 gradients are missing from the returned dictionary"]


def test_a_changed_english_message_is_read_in_english_until_reviewed(kit):
    messages.update("ko", messages.extract(kit))
    catalog = messages.read("ko")
    catalog["All tests passed."].string = "모든 테스트를 통과했습니다."
    messages.po_path("ko").write_bytes(messages._text(catalog))

    (kit / "checks.py").write_text(textwrap.dedent(CHECKS).replace("All tests passed.", "All tests passed!"))
    template = messages.extract(kit)
    assert messages.out_of_date("ko", template) == (["All tests passed!"], ["All tests passed."])
    assert messages.update("ko", template) is True
    changed = messages.read("ko")["All tests passed!"]
    assert changed.fuzzy and changed.string == "모든 테스트를 통과했습니다.", "kept for review"
    assert "All tests passed!" in messages.untranslated("ko")

    (kit / MESSAGES_FILE).write_bytes(messages.compile_messages("ko"))
    assert run_python(kit, SAY).stdout.splitlines()[:2] == ["ko", "All tests passed!"]


def test_a_damaged_catalogue_falls_back_to_english_and_says_so(kit):
    (kit / MESSAGES_FILE).write_bytes(b"not a catalogue")
    done = run_python(kit, SAY)
    assert done.stdout.splitlines()[:2] == ["en", "All tests passed."]
    assert "messages.mo cannot be read" in done.stderr and "English" in done.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_lists_exactly_the_messages_of_the_code(language):
    missing, gone = messages.out_of_date(language)
    assert (missing, gone) == ([], []), (
        f"translations/{language}/LC_MESSAGES/messages.po is out of date: run `make messages` "
        f"(new: {missing}, gone: {gone})")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_a_student_reads_is_translated(language):
    """The public tests, the course's helpers (the verdict lines) and the notebook's test
    cells, hidden tests included (their messages reach the student in feedback)."""
    modules = {path.name for path in messages.sources()}
    assert {"public_tests.py", "diagnosis.py", "gc_utils.py"} <= modules, modules
    from_notebook = list(messages.notebook_messages(messages.notebook_path()))
    cells_with_messages = {grade_id for grade_id, *_rest in from_notebook}
    assert {"test_ex1_forward_propagation", "test_ex2_backward_propagation", "test_ex3_gradient_check",
            "test_ex3_gradient_check_nonlinear", "test_ex4_gradient_check_n",
            "test_ex4_gradient_check_n_wrong_gradients",
            "test_ex5_fixed_backward_propagation_n"} <= cells_with_messages
    assert messages.untranslated(language) == []


def _placeholders(text):
    return sorted(re.findall(r"\{[^{}]*\}", text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translation_keeps_every_placeholder(language):
    """``{name}`` in, ``{name}`` out: a translation that loses or invents a placeholder would
    fail its own message (and a note is printed on the way to a pass)."""
    for message in messages.read(language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else [message.id]
        strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        allowed = [_placeholders(text) for text in ids]   # a plural may follow either form
        for string in strings:
            assert _placeholders(string) in allowed, f"{language}: {message.id!r} -> {string!r}"


def test_say_fills_in_a_translation_and_never_fails_a_test(kit):
    """``course_language.say`` is the notebook's ``_``: translated, then filled in; a translation
    whose placeholders do not fit gives the English instead of an error."""
    from catalogues import compiled_messages

    (kit / MESSAGES_FILE).write_bytes(compiled_messages("zh", {
        "{name} has shape {got}": "{name} 的形状是 {got}",
        "{function} returned {value}": "{function} 返回了 {wert}",   # a broken translation
    }))
    code = ("from course_language import say\n"
            "print(say('{name} has shape {got}', name='dW1', got=(4, 5)))\n"
            "print(say('{function} returned {value}', function='f', value=3))\n"
            "print(say('Untranslated {x}', x=1))\n")
    said = run_python(kit, code).stdout.splitlines()
    assert said == ["dW1 的形状是 (4, 5)", "f returned 3", "Untranslated 1"]


# --- the notebook's test cells ------------------------------------------------------------------


def _test_cells():
    from grading.cells import grade_id, is_graded

    notebook = nbformat.read(messages.notebook_path(), as_version=4)
    return [(grade_id(cell), cell.source) for cell in notebook.cells
            if cell.cell_type == "code" and is_graded(cell)]


def _is_say(node):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_say"


def _words_outside_say(node):
    """English words a print shows that do not go through ``_say`` (``name = `` labels aside)."""
    if _is_say(node):
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = re.sub(r"\x1b\[[0-9;]*m|\b\w+ = ", "", node.value)
        return re.findall(r"[A-Za-z]{3,}", text)
    return [word for child in ast.iter_child_nodes(node) for word in _words_outside_say(child)]


def test_the_test_cells_say_everything_through_say():
    """Every assertion message and every sentence printed by a test cell (hidden tests
    included) goes through ``_say``, so every language reads it in its own words."""
    checked = 0
    for grade_id, source in _test_cells():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assert) and node.msg is not None:
                checked += 1
                assert _is_say(node.msg), f"{grade_id}, line {node.lineno}: assert message without _say"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                assert not _words_outside_say(node), (
                    f"{grade_id}, line {node.lineno}: prints {_words_outside_say(node)} without _say")
            if _is_say(node):
                assert isinstance(node.args[0], ast.Constant) and len(node.args) == 1, (
                    f"{grade_id}, line {node.lineno}: _say takes one string literal (and named values)")
    assert checked >= 25


#: What a hidden test's message may show, besides its own words: what the student's code
#: returned, and names every student knows.  Never a hidden input or an expected value.
HIDDEN_MESSAGE_VALUES = {
    "type(_J).__name__", "type(_d).__name__",   # the type the student's function returned
    "_d",                                        # what it returned (on the visible all-zero case)
    "_name", "'d' + _name",                     # a parameter block's name: W1 ... b3, dW1 ... db3
    "_case",                                     # which of the named wrong gradients
    "_g.shape", "_value.shape",                  # the shape returned, the block's (public) shape
    "f'{_r:.1g}'",                               # how far the student's gradient is off
}


def test_hidden_messages_show_no_hidden_value():
    shown = set()
    for grade_id, source in _test_cells():
        for node in ast.walk(ast.parse(source)):
            if _is_say(node):
                for keyword in node.keywords:
                    value = ast.unparse(keyword.value)
                    shown.add(value)
                    assert value in HIDDEN_MESSAGE_VALUES, (
                        f"{grade_id}, line {node.lineno}: a test message shows {value}: make sure it "
                        "reveals no hidden input or expected value, then add it to HIDDEN_MESSAGE_VALUES")
    assert shown == HIDDEN_MESSAGE_VALUES, f"no longer shown: {HIDDEN_MESSAGE_VALUES - shown}"
