"""The lesson in other languages, built from the one English source.

The instructor edits ``source/gradient_checking/`` only.  Everything a student
reads in another language comes from ``translations/<language>/``:

* ``notebook.yaml``: per notebook cell (keyed by its nbgrader ``grade_id``), the
  English text it was translated from and the translation: whole markdown
  cells, and the comments and docstrings of code cells (never the code);
  the figures' labels; the "YOUR CODE HERE" stub nbgrader puts in exercises;
* ``LC_MESSAGES/messages.po``: the tests' messages (gettext, kept with
  Babel), compiled into ``messages.mo`` beside the helpers of the release.

``python -m i18n.build`` (``make translations``) writes each translated
assignment, ``source/gradient_checking_<language>/``, which nbgrader then
releases like the English one.  Modules: ``catalogue`` (read, check, update a
notebook catalogue), ``code_text`` (the text of a code cell, and proof that two
cells hold the same code), ``markdown`` (what a translation of a markdown cell
must keep), ``messages`` (Babel: extract, update, compile), ``build``.
"""

from course_constants import ASSIGNMENT, ROOT

TRANSLATIONS = ROOT / "translations"


def languages():
    """Codes of the languages the kit is translated into: one folder each under translations/."""
    return sorted(path.parent.name for path in TRANSLATIONS.glob("*/notebook.yaml"))


def assignment(language):
    """The nbgrader assignment of a language: ``gradient_checking_zh`` for ``zh``."""
    return f"{ASSIGNMENT}_{language}"


def catalogue_path(language):
    return TRANSLATIONS / language / "notebook.yaml"


def po_path(language):
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
