"""Write each translated assignment, ``source/gradient_checking_<language>/``, from the English one.

Everything in it is generated; edit the English source or the catalogue instead:

* ``Gradient_Checking.ipynb``: the English notebook, its prose taken from
  ``translations/<language>/notebook.yaml`` (the code cell for cell the same);
* the helper modules, as links to the repository's copies, like the English
  assignment's (any other file of the English assignment is linked too);
* ``images/``: the figures (``figures.py``), their labels in the language;
* ``messages.mo``: the tests' messages, compiled from
  ``translations/<language>/LC_MESSAGES/messages.po``; ``course_language.py``
  finds it beside itself, in the release and in the grader's copy alike.

Run ``python -m i18n.build [LANGUAGE ...]`` (``make translations``), then
``make release``.  A catalogue that is incomplete or stale stops the build
with the list of what to translate.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from course_constants import ASSIGNMENT, MESSAGES_FILE, NOTEBOOK_FILE, ROOT
from i18n import assignment, languages
from i18n.catalogue import figure_translator, load, translate_notebook
from i18n.messages import compile_messages

ENGLISH = ROOT / "source" / ASSIGNMENT


def write_assignment(language, folder, figures=True):
    """Write ``language``'s assignment into ``folder`` (created); return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(translate_notebook(language), folder / NOTEBOOK_FILE)
    for entry in sorted(ENGLISH.iterdir()):
        if entry.name in (NOTEBOOK_FILE, "images") or entry.name.startswith("."):
            continue
        if entry.name == "__pycache__":
            continue
        # Links stay links to the repository's copy; anything else links to the English assignment's.
        target = os.readlink(entry) if entry.is_symlink() else f"../{ASSIGNMENT}/{entry.name}"
        (folder / entry.name).symlink_to(target)
    (folder / MESSAGES_FILE).write_bytes(compile_messages(language))
    if figures:
        draw_figures(language, folder / "images")
    return folder


def images_folder(language):
    """Where ``language``'s figures are committed: ``source/<assignment>/images/``."""
    return ROOT / "source" / (ASSIGNMENT if language == "en" else assignment(language)) / "images"


def draw_figures(language, directory):
    """Draw the lesson's figures into ``directory`` with ``language``'s labels; return the paths."""
    import figures

    if language == "en":
        return figures.draw_all(directory)
    data = load(language)
    return figures.draw_all(directory, figure_translator(language, data), data.get("figure_font"))


def build(language):
    """Replace ``source/<assignment>/`` by a fresh build; return its path."""
    target = ROOT / "source" / assignment(language)
    with tempfile.TemporaryDirectory(prefix=f".build-{language}-", dir=ROOT / "source") as scratch:
        fresh = write_assignment(language, Path(scratch) / assignment(language))
        if target.exists():
            shutil.rmtree(target)
        fresh.rename(target)
    return target


def main(argv):
    chosen = argv[1:] or languages()
    failed = False
    for language in chosen:
        try:
            print(f"wrote {build(language).relative_to(ROOT)}")
        except (ValueError, FileNotFoundError) as error:
            failed = True
            print(f"{language}: {error}", file=sys.stderr)
    if not failed:
        print("now run `make release` and commit source/ and release/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
