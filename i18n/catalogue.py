"""A language's catalogue for the notebook: ``translations/<language>/notebook.yaml``.

Layout (YAML, one entry per cell, in notebook order)::

    language: zh
    name: 简体中文
    code_stub: {en: <nbgrader's stub>, zh: <the same stub, comment and message translated>}
    figures:                        # labels drawn into the figures by figures.py
    - {en: forward, zh: ...}
    cells:
      intro:                        # the cell's nbgrader grade_id
      - en: <the whole English markdown cell>
        zh: <its translation>
      ex1_forward_propagation:      # a code cell: one pair per comment block or docstring
      - en: <English docstring>
        zh: <translated docstring>

Every pair holds the English it was translated from, so ``problems`` can say
which translations an English edit made stale, with the diff.  ``update``
(``python -m i18n.catalogue update <language>``) brings a catalogue in line
with the English notebook: new texts get an empty translation, changed ones
keep the old translation under review (``was:`` holds the English it was made
from) until a translator updates it and deletes ``was``.
"""

import copy
import difflib
import io
import re
import sys
import tokenize
from dataclasses import dataclass

import nbformat
import yaml

from course_constants import ASSIGNMENT, NOTEBOOK_FILE, ROOT
from i18n import catalogue_path, code_text, languages, markdown


@dataclass(frozen=True)
class Problem:
    """Something that keeps a catalogue from building: where, what, and how to fix it."""

    language: str
    where: str
    what: str

    def __str__(self):
        return f"translations/{self.language}/notebook.yaml, {self.where}: {self.what}"


def english_notebook():
    return nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK_FILE, as_version=4)


def cell_key(cell):
    """The cell's nbgrader grade_id (every cell of the source has one), else its cell id."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")


def english_texts(cell):
    """What a translator translates in ``cell``: the whole markdown, or the code's
    comments and docstrings (an empty list when there is nothing to read)."""
    if cell.cell_type == "code":
        return [segment.text for segment in code_text.segments(cell.source)]
    return [cell.source]


def english_stub():
    """The "YOUR CODE HERE" stub ``nbgrader_config.py`` gives nbgrader for Python."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return config.ClearSolutions.code_stub["python"]


#: ``{name}`` in a figure label: a formula or number drawn in its place.
PLACEHOLDER = re.compile(r"\{\w+\}")


# --- reading and writing ----------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so a catalogue reads like the notebook."""


def _represent_text(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def load(language):
    path = catalogue_path(language)
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    data.setdefault("cells", {})
    data.setdefault("figures", [])
    return data


def dump(data):
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000,
                     default_flow_style=False)


def save(language, data):
    path = catalogue_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(data), encoding="utf-8")
    return path


# --- checking ---------------------------------------------------------------------------------

def _diff(old, new):
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "translated from", "English now",
                                 lineterm="", n=1)
    return "\n".join(f"    {line}" for line in lines)


def _pairs_problems(language, where, pairs, english):
    """Problems of a list of {en, <language>} pairs against the English texts it must match."""
    problems = []
    if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
        return [Problem(language, where, "expected a list of {en: ..., " + language + ": ...} pairs")]
    known = [p.get("en", "") for p in pairs]
    if known != english:
        old, new = "\n\n".join(known), "\n\n".join(english)
        problems.append(Problem(language, where, "stale: the English changed since it was translated "
                                "(`python -m i18n.catalogue update " + language + "` marks it for review)"
                                "\n" + _diff(old, new)))
        return problems
    for index, pair in enumerate(pairs):
        label = where if len(pairs) == 1 else f"{where}, text {index + 1}"
        if "was" in pair:
            review = _diff(pair["was"], pair["en"])
            problems.append(Problem(language, label, "to review: the English changed from `was` to `en`: "
                                    "update the translation, delete `was`\n" + review))
        if not str(pair.get(language) or "").strip():
            problems.append(Problem(language, label, "not translated yet"))
    return problems


def _stub_differences(english, translated):
    """The stub may differ in its comment and message only."""
    def shape(source):
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return [(t.type, "<text>" if t.type == tokenize.STRING else t.string) for t in tokens
                if t.type not in (tokenize.COMMENT, tokenize.NL)]
    try:
        return [] if shape(english) == shape(translated) else ["its code differs from the English stub's"]
    except (tokenize.TokenError, SyntaxError) as error:
        return [f"it is not Python: {error}"]


def problems(language, data=None, notebook=None):
    """Everything that keeps ``language``'s catalogue from building the translated
    notebook, each with what to do.  An empty list means the translation is complete
    and current."""
    data = load(language) if data is None else data
    notebook = english_notebook() if notebook is None else notebook
    found = []
    if data.get("language") != language:
        found.append(Problem(language, "language", f"says {data.get('language')!r}; expected {language!r}"))

    stub = english_stub()
    pairs = data.get("code_stub")
    found += _pairs_problems(language, "code_stub", [pairs] if isinstance(pairs, dict) else pairs, [stub])
    if isinstance(pairs, dict) and pairs.get(language):
        found += [Problem(language, "code_stub", why) for why in _stub_differences(stub, pairs[language])]

    found += _figure_problems(language, data.get("figures") or [], _figure_texts())

    cells = data.get("cells") or {}
    seen = set()
    for index, cell in enumerate(notebook.cells):
        key = cell_key(cell)
        if key is None:
            found.append(Problem(language, f"cell {index}", "has no grade_id in the English notebook"))
            continue
        try:
            english = english_texts(cell)
        except code_text.CodeTextError as error:
            found.append(Problem(language, f"cell {key}", f"the English cell: {error}"))
            continue
        if not english:
            continue
        seen.add(key)
        if key not in cells:
            found.append(Problem(language, f"cell {key}", f"missing: no translation of this {cell.cell_type} "
                                 f"cell (`python -m i18n.catalogue update {language}` adds it)"))
            continue
        cell_problems = _pairs_problems(language, f"cell {key}", cells[key], english)
        found += cell_problems
        if cell_problems:
            continue
        translated = translate_cell(cell, cells[key], language)
        if cell.cell_type == "code":
            why = code_text.code_differences(cell.source, translated.source)
        else:
            why = markdown.differences(cell.source, translated.source)
        found += [Problem(language, f"cell {key}", f"the translation changes the cell: {w}") for w in why]
    for key in cells:
        if key not in seen:
            found.append(Problem(language, f"cell {key}", "unused: the English notebook has no such cell "
                                 "with text to translate (`python -m i18n.catalogue update` removes it)"))
    return found


def _figure_problems(language, pairs, texts):
    found = []
    known = {pair.get("en"): pair for pair in pairs if isinstance(pair, dict)}
    for text in texts:
        if text not in known:
            found.append(Problem(language, "figures", f"missing: no translation of the label {text!r}"))
        elif not str(known[text].get(language) or "").strip():
            found.append(Problem(language, "figures", f"not translated yet: {text!r}"))
        elif sorted(PLACEHOLDER.findall(known[text][language])) != sorted(PLACEHOLDER.findall(text)):
            found.append(Problem(language, "figures", f"the translation of {text!r} must keep exactly its "
                                 f"placeholders {sorted(PLACEHOLDER.findall(text))} (formulas and numbers)"))
    for text in known:
        if text not in texts:
            found.append(Problem(language, "figures", f"unused: no figure draws {text!r} any more"))
    return found


# --- translating ------------------------------------------------------------------------------

def translate_cell(cell, pairs, language):
    """A copy of the English ``cell`` speaking ``language``; code stays as it is."""
    translated = copy.deepcopy(cell)
    texts = [pair[language] for pair in pairs]
    if cell.cell_type == "code":
        translated.source = code_text.replace(cell.source, texts)
    else:
        translated.source = texts[0]
    return translated


def translate_notebook(language, data=None, notebook=None):
    """The English notebook with every cell in ``language``.  Raises ``ValueError``
    listing the problems when the catalogue is not complete and current."""
    data = load(language) if data is None else data
    notebook = english_notebook() if notebook is None else notebook
    found = problems(language, data, notebook)
    if found:
        raise ValueError(f"the {language} translation cannot be built:\n" + "\n".join(map(str, found)))
    translated = copy.deepcopy(notebook)
    cells = data["cells"]
    translated.cells = [translate_cell(cell, cells[cell_key(cell)], language)
                        if cell_key(cell) in cells else copy.deepcopy(cell) for cell in notebook.cells]
    # nbgrader's stub for the exercises, in this language (grading/preprocessors/localized_stub.py).
    translated.metadata["translation"] = {"language": language, "code_stub": data["code_stub"][language]}
    return translated


def figure_translator(language, data=None):
    """The function the figures call on each English label: its translation."""
    if language == "en":
        return lambda text: text
    data = load(language) if data is None else data
    table = {pair["en"]: pair[language] for pair in data.get("figures") or []}

    def translate(text):
        try:
            return table[text]
        except KeyError:
            raise KeyError(f"translations/{language}/notebook.yaml has no translation of the figure "
                           f"label {text!r}: run `python -m i18n.catalogue update {language}`") from None
    return translate


def _figure_texts():
    """The English labels the figures draw (drawn once per process: matplotlib is slow to load)."""
    import figures

    return figures.figure_texts()


# --- updating ---------------------------------------------------------------------------------

def _update_pairs(language, old_pairs, english):
    """New pairs for ``english``, carrying over every translation that still fits."""
    old_pairs = [p for p in (old_pairs or []) if isinstance(p, dict)]
    by_english = {p.get("en"): p for p in old_pairs}
    pairs = []
    for index, text in enumerate(english):
        if text in by_english:
            pairs.append(dict(by_english[text]))
            continue
        pair = {"en": text, language: ""}
        # Same place, changed English: keep the old translation to review against the old English.
        if index < len(old_pairs) and old_pairs[index].get(language) and len(old_pairs) == len(english):
            previous = old_pairs[index]
            pair = {"en": text, "was": previous.get("was", previous.get("en", "")),
                    language: previous[language]}
        pairs.append(pair)
    return pairs


def update(language, notebook=None):
    """Bring ``language``'s catalogue in line with the English notebook (created if new)."""
    notebook = english_notebook() if notebook is None else notebook
    path = catalogue_path(language)
    data = load(language) if path.exists() else {"language": language, "name": language}
    stub = english_stub()
    old_stub = data.get("code_stub")
    code_stub = _update_pairs(language, [old_stub] if isinstance(old_stub, dict) else [], [stub])[0]
    old_figures = {p.get("en"): p for p in data.get("figures") or [] if isinstance(p, dict)}
    figures = [dict(old_figures.get(text) or {"en": text, language: ""}) for text in _figure_texts()]
    cells = {}
    old_cells = data.get("cells") or {}
    for cell in notebook.cells:
        key = cell_key(cell)
        english = english_texts(cell)
        if key is not None and english:
            cells[key] = _update_pairs(language, old_cells.get(key), english)
    updated = {"language": language, "name": data.get("name", language)}
    updated.update({key: value for key, value in data.items()
                    if key not in ("language", "name", "code_stub", "figures", "cells")})  # e.g. figure_font
    updated.update(code_stub=code_stub, figures=figures, cells=cells)
    return save(language, updated)


def main(argv):
    usage = ("usage: python -m i18n.catalogue check [LANGUAGE ...]\n"
             "       python -m i18n.catalogue update LANGUAGE ...   (a new LANGUAGE gets a new catalogue)")
    if len(argv) < 2 or argv[1] not in ("check", "update"):
        print(usage, file=sys.stderr)
        return 2
    chosen = argv[2:] or languages()
    if argv[1] == "update":
        if not argv[2:]:
            print(usage, file=sys.stderr)
            return 2
        for language in chosen:
            print(f"updated {update(language)}")
        chosen = argv[2:]
    failed = False
    for language in chosen:
        found = problems(language)
        failed = failed or bool(found)
        print(f"{language}: " + ("complete and current" if not found else f"{len(found)} to do"))
        for problem in found:
            print(f"  {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
