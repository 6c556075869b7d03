"""Draw the lesson's figures into ``source/gradient_checking/images/``.

The notebooks show these as Markdown images, so they must be files next to
the notebook (nbgrader copies them into the release).  SVG keeps them sharp
and small; the fixed hash salt and the missing date make every run write the
same bytes, so ``tests/test_figures.py`` can tell when they are stale.

Run with ``make figures``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from gc_utils import PARAMETER_SHAPES  # noqa: E402

IMAGES = Path(__file__).resolve().parent.parent / "source" / "gradient_checking" / "images"

BLUE = "#1f77b4"
ORANGE = "#ff7f0e"
GREEN = "#2ca02c"
GREY = "#7f7f7f"
BLOCK_COLOURS = ["#4c72b0", "#8fb0de", "#dd8452", "#f2b88f", "#55a868", "#9fd3a9"]


def _save(fig, name, directory):
    path = Path(directory) / name
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return path


def one_dimensional_model(directory):
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
    ax.text(3.0, 2.35, "forward", color=BLUE, fontsize=11)
    arrow(6.0, 1.5, 8.2, 1.5)
    ax.text(8.4, 1.5, r"$J$", fontsize=14, va="center")
    arrow(4.1, 1.05, 2.1, 0.55, colour=ORANGE)
    ax.text(2.4, 0.15, r"backward: $\partial J / \partial\theta = x$", color=ORANGE, fontsize=11)
    return _save(fig, "one_dimensional_model.svg", directory)


def centered_difference(directory):
    """Why the centered difference beats the one-sided one on a curved cost."""
    def J(t):
        return 0.25 * t ** 3 - t + 2

    def dJ(t):
        return 0.75 * t ** 2 - 1

    theta, eps = 1.4, 0.6
    t = np.linspace(0.2, 2.5, 200)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(t, J(t), color="black", lw=2, label=r"cost $J(\theta)$")
    span = np.array([theta - 0.9, theta + 0.9])
    ax.plot(span, J(theta) + dJ(theta) * (span - theta), color=BLUE, lw=2,
            label=r"true slope $J'(\theta)$")
    centered = (J(theta + eps) - J(theta - eps)) / (2 * eps)
    ax.plot(span, J(theta) + centered * (span - theta), color=GREEN, lw=2, ls="--",
            label=r"centered: $[J(\theta+\varepsilon) - J(\theta-\varepsilon)]\,/\,(2\varepsilon)$")
    one_sided = (J(theta + eps) - J(theta)) / eps
    ax.plot(span, J(theta) + one_sided * (span - theta), color=ORANGE, lw=2, ls=":",
            label=r"one-sided: $[J(\theta+\varepsilon) - J(\theta)]\,/\,\varepsilon$")
    for point, name in [(theta - eps, r"$\theta-\varepsilon$"), (theta, r"$\theta$"),
                        (theta + eps, r"$\theta+\varepsilon$")]:
        ax.plot([point], [J(point)], "o", color="black")
        ax.axvline(point, color=GREY, lw=0.8, ls=":")
        ax.text(point, 0.55, name, ha="center", fontsize=12)
    ax.set_ylim(0.4, 3.2)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$J$")
    ax.set_title("Centered difference: error shrinks like $\\varepsilon^2$, "
                 "one-sided only like $\\varepsilon$",
                 fontsize=11)
    ax.legend(loc="upper left", fontsize=11, frameon=False)
    return _save(fig, "centered_difference.svg", directory)


def three_layer_network(directory):
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
    labels = [
        "W1 (5, 4), b1 (5, 1)\nLINEAR → RELU",
        "W2 (3, 5), b2 (3, 1)\nLINEAR → RELU",
        "W3 (1, 3), b3 (1, 1)\nLINEAR → SIGMOID",
    ]
    for x0, x1, text in zip(xs, xs[1:], labels):
        ax.text((x0 + x1) / 2, 2.75, text, ha="center", va="center", fontsize=10)
    ax.annotate("", xy=(11.9, 0), xytext=(10.35, 0),
                arrowprops=dict(arrowstyle="-|>", color="black"))
    ax.text(11.0, 0.35, "cost J", ha="center", fontsize=11)
    ax.text(6, -3.35, "X has one column per example (4 features, m examples); Y holds their labels",
            ha="center", fontsize=9, color=GREY)
    return _save(fig, "three_layer_network.svg", directory)


def flattening(directory):
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
            f"dictionary_to_vector reads each block row by row into one column of {total} "
            "numbers (drawn lying down);\ngradients_to_vector stacks dW1, db1, ... in the same order",
            ha="center", va="top", fontsize=9)
    return _save(fig, "flattening.svg", directory)


FIGURES = [one_dimensional_model, centered_difference, three_layer_network, flattening]


def make_all(directory=IMAGES):
    """Write every figure into ``directory`` and return the paths."""
    plt.rcParams["svg.hashsalt"] = "gradient-checking"
    plt.rcParams["svg.fonttype"] = "path"
    Path(directory).mkdir(parents=True, exist_ok=True)
    return [figure(directory) for figure in FIGURES]


if __name__ == "__main__":
    for path in make_all():
        print(f"wrote {path}")
