"""Compiled message catalogues made inside a test: what a translated release (or a
student trying their luck) puts beside the helpers as ``messages.mo``."""

import io

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo


def compiled_messages(locale, translations):
    """The bytes of a ``.mo`` file translating each English message of ``translations``."""
    catalog = Catalog(locale=locale)
    for english, translated in translations.items():
        catalog.add(english, translated)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()
