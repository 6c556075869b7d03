"""The language of the messages a student reads: the language of the assignment they opened.

A translated assignment (``gradient_checking_zh``, ``gradient_checking_ko``)
ships ``messages.mo`` beside this file: the tests' messages, compiled
from ``translations/<language>/LC_MESSAGES/messages.po``.  The English
assignment ships none, so every message stays as written.  The language
follows the folder, never the machine's locale, so a notebook speaks the same
language on a student's laptop, on JupyterHub and in the grader, and no code
cell differs between languages.

A module with messages for students writes them in English and marks them::

    from course_language import gettext as _

    raise AssertionError(_("{function} returned {value!r}; return a single number").format(
        function=function, value=value))

(format after translating, so a translation may move ``{value!r}`` where its
grammar wants it; ``python -m i18n.messages update`` collects what ``_`` marks).

Notebook code cannot use ``_``: in IPython it is the last result.  The test
cells take ``say`` under a name of their own, and ``i18n.messages`` collects
what ``_say`` marks in the English notebook (hidden tests included)::

    _say = __import__("course_language").say
    assert value == 1, _say("{function} returned {value}, not 1", function="f", value=value)
"""

import gettext as _gettext
import sys
from pathlib import Path

#: The compiled messages beside this module.  Not resolved: in ``source/<assignment>/``
#: this module is a link to the repository's copy, and the folder of the link decides.
MESSAGES = Path(__file__).with_name("messages.mo")


def load(path=MESSAGES):
    """The translation in ``path``: English (messages as written) when there is none."""
    try:
        with open(path, "rb") as handle:
            return _gettext.GNUTranslations(handle)
    except FileNotFoundError:
        return _gettext.NullTranslations()
    except Exception as error:  # a damaged file must not stop the tests: English, and say why
        print(f"course_language: {Path(path).name} cannot be read ({error}); messages stay in English",
              file=sys.stderr)
        return _gettext.NullTranslations()


translation = load()
gettext = translation.gettext
ngettext = translation.ngettext
#: "en", or the language of the translated assignment this module sits in ("zh", "ko").
language = translation.info().get("language") or "en"


def say(text, **values):
    """``text`` in the assignment's language with its ``{placeholders}`` filled in.

    For notebook code (test cells), which cannot use ``_``.  A translation that
    cannot be filled in gives the English instead: a message must never be the
    reason a test fails (the tests of ``i18n`` keep translations from getting there).
    """
    try:
        return gettext(text).format(**values)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return text.format(**values)
