"""The tests' messages in every language: gettext catalogues kept with Babel.

Messages are English in the code, marked with ``_`` from ``course_language``
in the modules that import it (at the repository root: the public tests, the
course's helpers), and with ``_say`` (``course_language.say``) in the English
notebook's code cells, hidden tests included: the messages of the hidden
tests reach the student in feedback.  Each language keeps its catalogue in
``translations/<language>/LC_MESSAGES/messages.po``, and ``i18n.build``
compiles it into the translated assignment as ``messages.mo``.

    python -m i18n.messages update          extract the messages and update every .po (make messages)
    python -m i18n.messages init LANGUAGE   start the .po of a new language
    python -m i18n.messages check           list what is untranslated or out of date

A .po keeps no line numbers, so editing a module moves nothing in it; it is
rewritten only when the messages themselves change.  A message whose English
changed comes back *fuzzy* (the old translation kept for review): fuzzy and
empty translations are not compiled, so the student reads the English until
a translator has looked.
"""

import io
import re
import sys

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file, extract_python
from babel.messages.extract import extract as babel_extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileParser, write_po

from course_constants import ASSIGNMENT, COURSE_ID, NOTEBOOK_FILE, ROOT
from i18n import languages, po_path

PROJECT = COURSE_ID
IMPORTS_COURSE_LANGUAGE = re.compile(r"^\s*(from course_language import|import course_language)", re.M)
#: How notebook code marks a message (``_`` is IPython's last result there).
NOTEBOOK_KEYWORDS = {"_say": None}
COMMENT_TAGS = ("TRANSLATORS:",)


def sources(root=ROOT):
    """The modules whose messages students read: every root module using ``course_language``."""
    return sorted(path for path in root.glob("*.py")
                  if path.name != "course_language.py"
                  and IMPORTS_COURSE_LANGUAGE.search(path.read_text(encoding="utf-8")))


def notebook_path(root=ROOT):
    return root / "source" / ASSIGNMENT / NOTEBOOK_FILE


def notebook_messages(path):
    """``(grade_id, message, comments, context)`` for every ``_say("...")`` in the code
    cells of the notebook at ``path``, in order.  Every cell counts, hidden tests
    too: what they say is what a student reads in feedback."""
    if not path.exists():
        return
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")
        found = babel_extract(extract_python, io.BytesIO(cell.source.encode("utf-8")), NOTEBOOK_KEYWORDS,
                              COMMENT_TAGS, strip_comment_tags=True)
        for _line, message, comments, context in found:
            yield grade_id, message, comments, context


def extract(root=ROOT):
    """A template catalogue of every marked message: the modules', then the notebook's.
    A notebook message is located as ``Gradient_Checking.ipynb#<grade_id>``."""
    template = Catalog(project=PROJECT, fuzzy=False)
    for path in sources(root):
        for _line, message, comments, context in extract_from_file(
                "python", str(path), keywords=DEFAULT_KEYWORDS, comment_tags=COMMENT_TAGS,
                strip_comment_tags=True):
            template.add(message, None, [(path.name, None)], auto_comments=comments, context=context)
    for grade_id, message, comments, context in notebook_messages(notebook_path(root)):
        template.add(message, None, [(f"{NOTEBOOK_FILE}#{grade_id}", None)], auto_comments=comments,
                     context=context)
    return template


class SourceOnlyCatalog(Catalog):
    """A catalogue whose header holds only what its messages need to be read.

    Babel's own header records the Babel that wrote it, the creation and revision dates
    and placeholder team addresses; a .po and a .mo written from the same messages
    would differ from one install, or one day, to the next.  Everything written here
    says only the language, its plural rule and the encoding, so the bytes are a
    function of the messages alone (``tests/test_reproducible.py`` builds them with two
    Babels and compares)."""

    @property
    def mime_headers(self):
        return [
            ("Project-Id-Version", f"{PROJECT} 1"),
            ("Language", str(self.locale_identifier or "")),
            ("Plural-Forms", self.plural_forms),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ]

    @mime_headers.setter
    def mime_headers(self, headers):  # reading a .po still takes its plural rule from the header
        Catalog.mime_headers.fset(self, headers)


def new_catalog(language):
    return SourceOnlyCatalog(
        locale=language, project=PROJECT, version="1", fuzzy=False,
        header_comment=(f"# The tests' messages in {language}, for the gradient-checking course kit.\n"
                        "# Translate each msgstr; `make messages` brings the msgids in line with the code."),
    )


def read(language):
    """``language``'s .po as a ``SourceOnlyCatalog`` (what ``babel``'s ``read_po`` does,
    into the kit's catalogue class)."""
    catalog = SourceOnlyCatalog(locale=language)
    with open(po_path(language), "rb") as handle:
        PoFileParser(catalog).parse(handle)
    return catalog


def _text(catalog):
    out = io.BytesIO()
    write_po(out, catalog, include_lineno=False, width=100)
    return out.getvalue()


def _messages(catalog):
    """What a .po says, dates aside: every message with its translation and flags."""
    return [(m.id, m.string, sorted(m.flags), m.locations, m.auto_comments, m.context)
            for m in catalog if m.id]


def update(language, template=None):
    """Bring ``language``'s .po in line with the code; True when its bytes changed."""
    template = extract() if template is None else template
    path = po_path(language)
    catalog = read(language) if path.exists() else new_catalog(language)
    before = _messages(catalog)
    catalog.update(template, update_header_comment=False)
    catalog.obsolete.clear()  # the kit keeps no history in its catalogues: git does
    text = _text(catalog)
    if path.exists() and _messages(catalog) == before and path.read_bytes() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return True


def _translated(message):
    strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
    return all(strings) and not message.fuzzy


def compile_messages(language):
    """The .mo bytes of ``language``: translated, non-fuzzy messages only.  (Babel would
    fill a plural left empty with the English singular, which is wrong for a count of 2.)"""
    catalog = read(language)
    for message in list(catalog):
        if message.id and not _translated(message):
            del catalog[message.id]
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def out_of_date(language, template=None):
    """Messages the code has and the .po lacks, and the reverse: both mean `make messages`."""
    template = extract() if template is None else template
    code = {m.id for m in template if m.id}
    po = {m.id for m in read(language) if m.id}
    return sorted(code - po, key=str), sorted(po - code, key=str)


def untranslated(language):
    """Messages of ``language``'s .po a student would read in English: empty or fuzzy."""
    return [m.id for m in read(language) if m.id and not _translated(m)]


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "update":
        template = extract()
        print(f"{len([m for m in template if m.id])} messages in "
              f"{', '.join([p.name for p in sources()] + [NOTEBOOK_FILE])}")
        for language in argv[2:] or languages():
            print(f"{po_path(language).relative_to(ROOT)}: "
                  + ("updated" if update(language, template) else "up to date"))
        return 0
    if command == "init" and len(argv) == 3:
        if po_path(argv[2]).exists():
            print(f"{po_path(argv[2])} exists: use `update`", file=sys.stderr)
            return 1
        update(argv[2])
        print(f"created {po_path(argv[2]).relative_to(ROOT)}")
        return 0
    if command == "check":
        failed = False
        for language in argv[2:] or languages():
            missing, extra = out_of_date(language)
            todo = untranslated(language)
            failed = failed or bool(missing or extra or todo)
            print(f"{language}: {len(missing)} new in the code, {len(extra)} gone from it, "
                  f"{len(todo)} untranslated or fuzzy")
        return 1 if failed else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
