"""The committed figures are what figures.py draws today, in every language."""

import pytest
from staleness import explain

from course_constants import ROOT
from i18n import languages
from i18n.build import draw_figures, images_folder


def _compare(drawn, committed, language=None):
    assert sorted(p.name for p in drawn) == sorted(p.name for p in committed.glob("*.svg"))
    inputs = ["figures.py", *([f"translations/{language}", "i18n"] if language else [])]
    for path in drawn:
        assert path.read_bytes() == (committed / path.name).read_bytes(), explain(
            f"{committed.relative_to(ROOT)}/{path.name}", inputs, "make figures release")


def test_figures_are_up_to_date(tmp_path):
    _compare(draw_figures("en", tmp_path), images_folder("en"))


@pytest.mark.system
@pytest.mark.parametrize("language", languages())
def test_translated_figures_are_up_to_date(tmp_path, language, cjk_fonts):
    _compare(draw_figures(language, tmp_path), images_folder(language), language)


def test_a_label_without_translation_stops_the_drawing():
    from i18n.catalogue import figure_translator

    translate = figure_translator(languages()[0], {"figures": [{"en": "forward", languages()[0]: "x"}]})
    assert translate("forward") == "x"
    with pytest.raises(KeyError, match="i18n.catalogue update"):
        translate("cost J")


def test_a_character_no_font_has_stops_the_drawing(tmp_path):
    """A translation in a script no installed font covers would draw empty boxes:
    the drawing fails instead (U+E000 is a private-use character, in no font)."""
    import matplotlib.pyplot as plt

    from figures import Labels, _every_glyph_drawn, _style, one_dimensional_model

    with plt.rc_context(_style(None)), pytest.raises(ValueError, match="no font can draw"):
        with _every_glyph_drawn():
            one_dimensional_model(tmp_path, Labels(lambda text: "\ue000" + text))
