"""The lesson's figures, drawn with matplotlib into SVG files.

The notebooks show these as Markdown images, so they must be files next to
the notebook (nbgrader copies them into the release).  SVG keeps them sharp
and small; the fixed hash salt and the missing date make every run write the
same bytes, so ``tests/test_figures.py`` can tell when they are stale.  Text
is drawn as outlines, so a student needs no font to see a figure; drawing the
Chinese and Korean ones needs Debian's ``fonts-noto-cjk``.

Every word a figure shows goes through ``Labels``, which calls the translator
it is given on the English label (``i18n.build.draw_figures`` passes the
translation catalogue's; this module knows nothing of translations).  A label
that mixes words and formulas is a template (``"backward: {slope}"``) whose
``{names}`` stand for formulas drawn by matplotlib's mathtext, the same in
every language, so a translation may move them where its grammar wants them.

``make figures`` (``scripts/make_figures.py``) draws every language.
"""

import logging
import re
import tempfile
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.offsetbox import (  # noqa: E402
    AnchoredOffsetbox,
    AnnotationBbox,
    DrawingArea,
    HPacker,
    TextArea,
    VPacker,
)
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from gc_utils import PARAMETER_SHAPES  # noqa: E402

FONT_PACKAGE = "fonts-noto-cjk"

BLUE = "#1f77b4"
ORANGE = "#ff7f0e"
GREEN = "#2ca02c"
GREY = "#7f7f7f"
BLOCK_COLOURS = ["#4c72b0", "#8fb0de", "#dd8452", "#f2b88f", "#55a868", "#9fd3a9"]


class Labels:
    """The words of the figures in one language: ``labels("forward")`` is the
    translation of a plain label, ``labels.mixed(...)`` a label of words and formulas."""

    PLACEHOLDER = re.compile(r"(\{\w+\})")

    def __init__(self, translate=None):
        self.translate = translate or (lambda text: text)

    def __call__(self, english):
        return self.translate(english)

    def mixed(self, english, textprops, **formulas):
        """``english`` (with ``{name}`` for each formula) translated, as one row of text
        in which each formula is typeset by mathtext and the words by the text fonts
        (mathtext knows no fallback fonts: Chinese inside ``$...$`` would be boxes)."""
        parts = [part for part in self.PLACEHOLDER.split(self(english)) if part]
        children = [TextArea(formulas[part[1:-1]] if self.PLACEHOLDER.fullmatch(part) else part,
                             textprops=textprops) for part in parts]
        return HPacker(children=children, align="baseline", pad=0, sep=0)


def _place(ax, box, xy, alignment=(0, 0)):
    """Put an offset box (a mixed label) at data coordinates ``xy``."""
    ax.add_artist(AnnotationBbox(box, xy, box_alignment=alignment, frameon=False, pad=0))


def _legend(ax, entries):
    """A legend whose labels may mix words and formulas: ``entries`` are
    ``(line style, label box)`` pairs, drawn top left like ``ax.legend``."""
    rows = []
    for style, label in entries:
        handle = DrawingArea(30, 10, 0, 0)
        handle.add_artist(Line2D([0, 30], [5, 5], **style))
        rows.append(HPacker(children=[handle, label], align="center", pad=0, sep=8))
    ax.add_artist(AnchoredOffsetbox("upper left", child=VPacker(children=rows, align="left", pad=0, sep=7),
                                    frameon=False, pad=0.3, borderpad=0.6))


def _save(fig, name, directory):
    path = Path(directory) / name
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    return path


def one_dimensional_model(directory, labels):
    """J(theta) = theta * x as a two-step computation graph."""
    fig, ax = plt.subplots(figsize=(7, 2.2))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3)
    ax.axis("off")

    def box(x, y, text, colour):
        ax.add_patch(FancyBboxPatch((x - 0.9, y - 0.45), 1.8, 0.9,
                                    boxstyle="round,pad=0.08", fc=colour, ec="black", alpha=0.9))
        ax.text(x, y, text, ha="center", va="center", fontsize=13)

    def arrow(x0, y0, x1, y1, colour="black", style="-|>"):
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle=style,
                                     mutation_scale=16, color=colour, lw=1.6))

    box(1.2, 2.2, r"$x$", "#eeeeee")
    box(1.2, 0.8, r"$\theta$", "#dce9f5")
    box(5.0, 1.5, r"$J = \theta\, x$", "#fde9d9")
    arrow(2.1, 2.1, 4.1, 1.65)
    arrow(2.1, 0.9, 4.1, 1.35)
    ax.text(3.0, 2.35, labels("forward"), color=BLUE, fontsize=11)
    arrow(6.0, 1.5, 8.2, 1.5)
    ax.text(8.4, 1.5, r"$J$", fontsize=14, va="center")
    arrow(4.1, 1.05, 2.1, 0.55, colour=ORANGE)
    _place(ax, labels.mixed("backward: {slope}", dict(color=ORANGE, fontsize=11),
                            slope=r"$\partial J / \partial\theta = x$"), (2.4, 0.1))
    return _save(fig, "one_dimensional_model.svg", directory)


def centered_difference(directory, labels):
    """Why the centered difference beats the one-sided one on a curved cost."""
    def J(t):
        return 0.25 * t ** 3 - t + 2

    def dJ(t):
        return 0.75 * t ** 2 - 1

    theta, eps = 1.4, 0.6
    t = np.linspace(0.2, 2.5, 200)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    span = np.array([theta - 0.9, theta + 0.9])
    centered = (J(theta + eps) - J(theta - eps)) / (2 * eps)
    one_sided = (J(theta + eps) - J(theta)) / eps
    lines = [
        (dict(color="black", lw=2), t, J(t), "cost {J}", dict(J=r"$J(\theta)$")),
        (dict(color=BLUE, lw=2), span, J(theta) + dJ(theta) * (span - theta),
         "true slope {slope}", dict(slope=r"$J'(\theta)$")),
        (dict(color=GREEN, lw=2, ls="--"), span, J(theta) + centered * (span - theta),
         "centered: {formula}",
         dict(formula=r"$[J(\theta+\varepsilon) - J(\theta-\varepsilon)]\,/\,(2\varepsilon)$")),
        (dict(color=ORANGE, lw=2, ls=":"), span, J(theta) + one_sided * (span - theta),
         "one-sided: {formula}", dict(formula=r"$[J(\theta+\varepsilon) - J(\theta)]\,/\,\varepsilon$")),
    ]
    for style, xs, ys, _, _ in lines:
        ax.plot(xs, ys, **style)
    for point, name in [(theta - eps, r"$\theta-\varepsilon$"), (theta, r"$\theta$"),
                        (theta + eps, r"$\theta+\varepsilon$")]:
        ax.plot([point], [J(point)], "o", color="black")
        ax.axvline(point, color=GREY, lw=0.8, ls=":")
        ax.text(point, 0.55, name, ha="center", fontsize=12)
    ax.set_ylim(0.4, 3.2)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$J$")
    title = labels.mixed("Centered difference: error shrinks like {square}, one-sided only like {eps}",
                         dict(fontsize=11), square=r"$\varepsilon^2$", eps=r"$\varepsilon$")
    ax.add_artist(AnchoredOffsetbox("lower center", child=title, bbox_to_anchor=(0.5, 1.02),
                                    bbox_transform=ax.transAxes, frameon=False, pad=0, borderpad=0))
    _legend(ax, [(style, labels.mixed(text, dict(fontsize=11), **formulas))
                 for style, _, _, text, formulas in lines])
    return _save(fig, "centered_difference.svg", directory)


def three_layer_network(directory, labels):
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID with its shapes."""
    layers = [("X", 4, "#eeeeee"), ("A1", 5, "#dce9f5"), ("A2", 3, "#dce9f5"), ("A3", 1, "#fde9d9")]
    xs = [1, 4, 7, 10]
    fig, ax = plt.subplots(figsize=(8.5, 4))
    ax.set_xlim(0, 12.2)
    ax.set_ylim(-3.4, 3.2)
    ax.axis("off")
    positions = []
    for x, (name, size, colour) in zip(xs, layers):
        ys = np.linspace(-(size - 1) / 2, (size - 1) / 2, size) * 1.0
        positions.append([(x, y) for y in ys])
        for y in ys:
            ax.add_patch(plt.Circle((x, y), 0.28, fc=colour, ec="black", zorder=3))
        ax.text(x, -3.0, name, ha="center", fontsize=12)
    for left, right in zip(positions, positions[1:]):
        for (x0, y0) in left:
            for (x1, y1) in right:
                ax.plot([x0 + 0.28, x1 - 0.28], [y0, y1], color=GREY, lw=0.6, zorder=1)
    layer_names = [
        "W1 (5, 4), b1 (5, 1)\nLINEAR → RELU",
        "W2 (3, 5), b2 (3, 1)\nLINEAR → RELU",
        "W3 (1, 3), b3 (1, 1)\nLINEAR → SIGMOID",
    ]
    for x0, x1, text in zip(xs, xs[1:], layer_names):
        ax.text((x0 + x1) / 2, 2.75, text, ha="center", va="center", fontsize=10)
    ax.annotate("", xy=(11.9, 0), xytext=(10.35, 0),
                arrowprops=dict(arrowstyle="-|>", color="black"))
    ax.text(11.0, 0.35, labels("cost J"), ha="center", fontsize=11)
    ax.text(6, -3.35, labels("X has one column per example (4 features, m examples); Y holds their labels"),
            ha="center", fontsize=9, color=GREY)
    return _save(fig, "three_layer_network.svg", directory)


def flattening(directory, labels):
    """How the six parameter blocks are laid end to end in one (47, 1) column."""
    sizes = [int(np.prod(shape)) for shape in PARAMETER_SHAPES.values()]
    total = sum(sizes)
    fig, ax = plt.subplots(figsize=(9, 3.4))
    ax.set_aspect("equal")
    ax.set_xlim(-1, total + 1)
    ax.set_ylim(-4.2, 11)
    ax.axis("off")
    slot = total / len(sizes)
    start = 0
    for index, ((name, shape), size, colour) in enumerate(zip(PARAMETER_SHAPES.items(), sizes,
                                                              BLOCK_COLOURS)):
        rows, cols = shape
        left = index * slot + (slot - cols) / 2
        bottom = 4.5
        ax.add_patch(plt.Rectangle((left, bottom), cols, rows, fc=colour, ec="black"))
        for r in range(1, rows):
            ax.plot([left, left + cols], [bottom + r] * 2, color="white", lw=0.8)
        for c_ in range(1, cols):
            ax.plot([left + c_] * 2, [bottom, bottom + rows], color="white", lw=0.8)
        ax.text(left + cols / 2, bottom + rows + 0.4, f"{name} {shape}", ha="center",
                va="bottom", fontsize=9)
        ax.add_patch(plt.Rectangle((start, 0), size, 1.6, fc=colour, ec="black"))
        if size >= 3:
            ax.text(start + size / 2, 0.8, name, ha="center", va="center", fontsize=8)
        ax.text(start, -0.4, str(start), ha="center", va="top", fontsize=7, color=GREY)
        ax.annotate("", xy=(start + size / 2, 1.7), xytext=(left + cols / 2, bottom - 0.1),
                    arrowprops=dict(arrowstyle="-|>", color=GREY, lw=0.8))
        start += size
    ax.text(total, -0.4, str(total), ha="center", va="top", fontsize=7, color=GREY)
    ax.text(total / 2, -2.4,
            labels("dictionary_to_vector reads each block row by row into one column of {total} "
                   "numbers (drawn lying down);\ngradients_to_vector stacks dW1, db1, ... in the same order"
                   ).format(total=total),
            ha="center", va="top", fontsize=9)
    return _save(fig, "flattening.svg", directory)


FIGURES = [one_dimensional_model, centered_difference, three_layer_network, flattening]


def _load_system_font(family):
    """Make sure matplotlib knows ``family`` (its cache may predate the font's install)."""
    if any(entry.name == family for entry in font_manager.fontManager.ttflist):
        return
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            font_manager.fontManager.addfont(path)
    if not any(entry.name == family for entry in font_manager.fontManager.ttflist):
        raise FileNotFoundError(f"the figures need the font {family!r}: install Debian's {FONT_PACKAGE} "
                                f"(apt-get install {FONT_PACKAGE})")


@contextmanager
def _every_glyph_drawn():
    """Fail instead of drawing an empty box for a character no font has."""
    missing = []

    class Record(logging.Handler):
        def emit(self, record):
            missing.append(record.getMessage())

    handler = Record(logging.WARNING)
    logger = logging.getLogger("matplotlib.mathtext")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=r"Glyph .* missing from")
            try:
                yield
            except UserWarning as warning:  # raised by the filter above
                missing.append(str(warning))
    finally:
        logger.removeHandler(handler)
    if missing:
        raise ValueError(f"characters no font can draw: {missing}")


def _style(font):
    style = {"svg.hashsalt": "gradient-checking", "svg.fonttype": "path"}
    if font:  # Latin letters in DejaVu Sans as in English, everything else in ``font``
        _load_system_font(font)
        style["font.family"] = ["DejaVu Sans", font]
    return style


def draw_all(directory, translate=None, font=None):
    """Write every figure into ``directory``, each label passed through ``translate``
    (English as written when None) and drawn in ``font`` besides DejaVu Sans; return the paths."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    with plt.rc_context(_style(font)), _every_glyph_drawn():
        return [figure(directory, Labels(translate)) for figure in FIGURES]


def figure_texts():
    """Every English label the figures draw, in order: what a translation must cover."""
    return list(_drawn_texts())


@lru_cache(maxsize=1)
def _drawn_texts():
    seen = []

    def record(text):
        if text not in seen:
            seen.append(text)
        return text

    with tempfile.TemporaryDirectory(prefix="gc-figures-") as scratch, plt.rc_context(_style(None)):
        for figure in FIGURES:
            figure(scratch, Labels(record))
    return tuple(seen)
