"""Draw the lesson's figures in every language: ``source/<assignment>/images/``.

``make figures`` runs this; the drawing is ``figures.py``, the labels of each
language come from ``translations/<language>/notebook.yaml``.
"""

from i18n import languages
from i18n.build import draw_figures, images_folder


def main():
    for language in ["en", *languages()]:
        for path in draw_figures(language, images_folder(language)):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
