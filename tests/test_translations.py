"""The translated assignments: built from the English source and the catalogues,
the same code as the English in every cell, and stale the moment the English changes."""

import copy
import os
import shutil

import nbformat
import pytest
from staleness import explain

from course_constants import ASSIGNMENT, MESSAGES_FILE, NOTEBOOK, ROOT
from figures import figure_texts
from grading.cells import cell_by_id, is_answer
from i18n import assignment, catalogue, code_text, languages, markdown
from i18n.build import write_assignment

LANGUAGES = languages()


def read(folder, name):
    return nbformat.read(ROOT / folder / name / f"{NOTEBOOK}.ipynb", as_version=4)


def test_the_lesson_is_translated_into_chinese_and_korean():
    assert {"zh", "ko"} <= set(LANGUAGES)
    for language in LANGUAGES:
        assert (ROOT / "source" / assignment(language) / f"{NOTEBOOK}.ipynb").is_file()
        assert (ROOT / "release" / assignment(language) / f"{NOTEBOOK}.ipynb").is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_complete_and_current(language):
    problems = catalogue.problems(language)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_translated_source_is_what_the_build_writes(tmp_path, language):
    """Every file of source/gradient_checking_<language>/ is generated: run `make translations`."""
    committed = ROOT / "source" / assignment(language)
    fresh = write_assignment(language, tmp_path / assignment(language), figures=False)
    english = ROOT / "source" / ASSIGNMENT
    expected = sorted(p.name for p in english.iterdir() if p.name != "__pycache__") + [MESSAGES_FILE]
    assert sorted(p.name for p in committed.iterdir() if p.name != "__pycache__") == sorted(expected)
    assert sorted(p.name for p in (committed / "images").iterdir()) == sorted(
        p.name for p in (english / "images").iterdir())
    for entry in fresh.iterdir():
        mine = committed / entry.name
        if entry.is_symlink():
            assert mine.is_symlink() and os.readlink(mine) == os.readlink(entry), f"{mine}: not the link"
            assert mine.resolve() == (english / entry.name).resolve()
        else:
            inputs = ([f"translations/{language}/LC_MESSAGES", "i18n/messages.py"]
                      if entry.name == MESSAGES_FILE else
                      [f"source/{ASSIGNMENT}", f"translations/{language}", "i18n"])
            assert mine.read_bytes() == entry.read_bytes(), (
                explain(f"source/{assignment(language)}/{entry.name}", inputs,
                        "make translations release") + _messages_changed(mine, entry))


def _messages_changed(committed, fresh):
    """For a .mo: the messages whose translation differs, so a stale catalogue names them."""
    if committed.name != MESSAGES_FILE:
        return ""
    from babel.messages.mofile import read_mo

    def table(path):
        with open(path, "rb") as handle:
            return {m.id: m.string for m in read_mo(handle) if m.id}

    old, new = table(committed), table(fresh)
    differ = sorted((set(old) ^ set(new)) | {k for k in set(old) & set(new) if old[k] != new[k]}, key=str)
    if not differ:
        return "; the messages are the same, only the bytes around them differ (the header)"
    return f"; {len(differ)} messages differ, first: {differ[0]!r}"


def _without_checksum(metadata):
    """nbgrader's checksum of a release cell hashes its text, which is translated."""
    metadata = copy.deepcopy(metadata)
    metadata.get("nbgrader", {}).pop("checksum", None)
    return metadata


@pytest.mark.parametrize("folder", ["source", "release"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_cell_holds_the_same_code_as_the_english(folder, language):
    english, translated = read(folder, ASSIGNMENT), read(folder, assignment(language))
    data = catalogue.load(language)
    marker = {"language": language}
    if folder == "source":  # nbgrader's stub in the language, for the release (localized_stub.py)
        marker["code_stub"] = data["code_stub"][language]
    assert translated.metadata == dict(english.metadata, translation=marker)
    assert len(translated.cells) == len(english.cells)
    stubs = {}
    if folder == "release":  # nbgrader's stub, in each language: the same code, comment and message aside
        stubs = dict(zip(data["code_stub"][language].split("\n"), data["code_stub"]["en"].split("\n")))
    for ours, theirs in zip(english.cells, translated.cells):
        key = catalogue.cell_key(ours)
        assert (theirs.cell_type, theirs.get("id"), _without_checksum(theirs.metadata)) == (
            ours.cell_type, ours.get("id"), _without_checksum(ours.metadata)), key
        if ours.cell_type != "code":
            assert markdown.differences(ours.source, theirs.source) == [], key
            continue
        assert theirs.outputs == ours.outputs and theirs.execution_count == ours.execution_count, key
        source = theirs.source
        if is_answer(theirs):
            lines = source.split("\n")
            for index, line in enumerate(lines):
                if line.strip() in stubs:
                    lines[index] = line.replace(line.strip(), stubs[line.strip()])
            source = "\n".join(lines)
            assert (source == theirs.source) == (folder == "source"), f"{key}: stub not in the language"
        assert code_text.code_differences(ours.source, source) == [], key


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translation_that_touches_code_or_math_is_refused(language):
    data = copy.deepcopy(catalogue.load(language))
    ex1 = data["cells"]["ex1_forward_propagation"][0]
    ex1[language] = ex1[language].rstrip("\n") + '"""; import os; """\n'  # code smuggled into a docstring
    theory = data["cells"]["theory"][0]
    theory[language] = theory[language].replace(r"10^{-3}", r"10^{-4}")
    data["code_stub"][language] = data["code_stub"][language].replace("raise", "pass  #")
    del data["cells"]["ex2_text"]
    data["cells"]["no_such_cell"] = [{"en": "Old text", language: "x"}]
    found = [str(p) for p in catalogue.problems(language, data)]
    assert any("cell ex2_text: missing" in p for p in found), found
    assert any("cell no_such_cell: unused" in p for p in found), found
    assert any("ex1_forward_propagation" in p and "tokens differ" in p for p in found), found
    assert any("theory" in p and "inline formulas" in p and "10^{-3}" in p for p in found), found
    assert any("code_stub" in p and "code differs" in p for p in found), found
    with pytest.raises(ValueError, match="cannot be built"):
        catalogue.translate_notebook(language, data)


def test_an_english_edit_names_the_translations_to_update(tmp_path, monkeypatch):
    """The instructor changes one sentence of prose and one of a docstring, and one line
    of code: the prose and docstring are stale in every language, the code is not (it
    flows into every translation by itself)."""
    english = catalogue.english_notebook()
    edited = copy.deepcopy(english)
    intro = cell_by_id(edited, "intro")
    intro.source = intro.source.replace("and you moved on", "and you went on")
    ex1 = cell_by_id(edited, "ex1_forward_propagation")
    ex1.source = ex1.source.replace("J -- the cost, theta times x", "J -- the cost theta * x")
    test = cell_by_id(edited, "test_ex1_forward_propagation")
    test.source = test.source.replace("x, theta = 2, 4", "x, theta = 2, 5")
    assert intro.source != cell_by_id(english, "intro").source

    monkeypatch.setattr(catalogue, "catalogue_path", lambda language: tmp_path / language / "notebook.yaml")
    for language in LANGUAGES:
        (tmp_path / language).mkdir()
        shutil.copy(ROOT / "translations" / language / "notebook.yaml", tmp_path / language)
        found = catalogue.problems(language, notebook=edited)
        assert sorted(p.where for p in found) == ["cell ex1_forward_propagation", "cell intro"]
        assert all(p.what.startswith("stale") for p in found)
        # The message shows what changed, as a diff of the English.
        diff = next(p.what for p in found if p.where == "cell intro").splitlines()
        assert any(line.strip().startswith("-") and line.endswith("and you moved on.") for line in diff)
        assert any(line.strip().startswith("+") and line.endswith("and you went on.") for line in diff)

        # `update` carries the old translation over, for review against the old English ...
        before = catalogue.load(language)["cells"]["intro"][0]
        catalogue.update(language, notebook=edited)
        data = catalogue.load(language)
        pair = data["cells"]["intro"][0]
        assert (pair["en"], pair["was"], pair[language]) == (intro.source, before["en"], before[language])
        found = catalogue.problems(language, data, notebook=edited)
        assert sorted(p.where for p in found) == ["cell ex1_forward_propagation", "cell intro"]
        assert all(p.what.startswith("to review") for p in found)

        # ... and once a translator has looked (and deleted `was`), it builds, with the new code.
        for key in ("intro", "ex1_forward_propagation"):
            del data["cells"][key][0]["was"]
        assert catalogue.problems(language, data, notebook=edited) == []
        built = catalogue.translate_notebook(language, data, edited)
        assert "x, theta = 2, 5" in cell_by_id(built, "test_ex1_forward_propagation").source


def test_a_new_language_starts_with_every_text_to_translate(tmp_path, monkeypatch):
    monkeypatch.setattr(catalogue, "catalogue_path", lambda language: tmp_path / language / "notebook.yaml")
    catalogue.update("fr")
    found = catalogue.problems("fr")
    english = catalogue.english_notebook()
    with_text = [c for c in english.cells if catalogue.english_texts(c)]
    untranslated = [p for p in found if p.what == "not translated yet"]
    assert len([p for p in untranslated if p.where.startswith("cell ")]) == sum(
        len(catalogue.english_texts(c)) for c in with_text)
    assert len([p for p in untranslated if p.where == "code_stub"]) == 1
    assert len([p for p in found if p.where == "figures"]) == len(figure_texts())


# --- the text of code cells ------------------------------------------------------------------

SAMPLE = '''def f(x):
    """Add one.

    Returns:
    y -- x plus one
    """
    # Two lines of
    # comment.
    y = x + 1  # inline
    ### BEGIN HIDDEN TESTS
    # hidden comment
    ### END HIDDEN TESTS
    return y
'''


def test_segments_are_the_prose_a_student_reads():
    found = code_text.segments(SAMPLE)
    assert [(s.kind, s.text) for s in found] == [
        ("docstring", "Add one.\n\nReturns:\ny -- x plus one\n"),
        ("comment", "Two lines of\ncomment."),
        ("comment", "inline"),
    ]


def test_a_translation_may_change_the_shape_of_prose_never_the_code():
    translated = code_text.replace(SAMPLE, ["加一。\n\n返回：\ny -- x 加一\n", "一行注释。", "行内"])
    assert '    """加一。\n\n    返回：\n    y -- x 加一\n    """' in translated
    assert "    # 一行注释。\n    y = x + 1  # 行内" in translated
    assert "# hidden comment" in translated
    assert code_text.code_differences(SAMPLE, translated) == []
    assert code_text.code_differences(SAMPLE, translated.replace("x + 1", "x + 2"))
    assert code_text.code_differences(SAMPLE, translated.replace("# hidden comment", "# changed"))
    with pytest.raises(code_text.CodeTextError, match="one line"):
        code_text.replace(SAMPLE, ["a", "b", "two\nlines"])


def test_every_english_code_cell_reads_back_unchanged():
    for cell in catalogue.english_notebook().cells:
        if cell.cell_type == "code":
            texts = [s.text for s in code_text.segments(cell.source)]
            assert code_text.replace(cell.source, texts) == cell.source, catalogue.cell_key(cell)
