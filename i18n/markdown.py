"""What a translation of a markdown cell keeps from the English.

Prose is free; these are not: the formulas (math is the same in every
language), the code spans (identifiers, file names and printed numbers stay in
English), the figures and the heading structure.  ``differences`` says what a
translation lost or invented.
"""

import re
from collections import Counter

CODE_SPAN = re.compile(r"`[^`\n]+`")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", flags=re.S)
INLINE_MATH = re.compile(r"\$(.+?)\$", flags=re.S)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)")
HEADING = re.compile(r"^(#{1,6}) ", flags=re.M)


def formulas(markdown):
    """``(display, inline)``: the ``$$...$$`` and ``$...$`` formulas of ``markdown``,
    code spans aside, as MathJax will find them."""
    text = CODE_SPAN.sub(" ", markdown)
    display = DISPLAY_MATH.findall(text)
    inline = INLINE_MATH.findall(DISPLAY_MATH.sub(" ", text))
    return display, inline


def invariants(markdown):
    """The parts of a markdown cell a translation must keep."""
    display, inline = formulas(markdown)
    return {
        "display formulas": display,
        "inline formulas": sorted(set(inline)),
        "code spans": sorted(set(CODE_SPAN.findall(markdown))),
        "figures": IMAGE.findall(markdown),
        "heading levels": [len(level) for level in HEADING.findall(markdown)],
    }


def differences(english, translated):
    """What ``translated`` lost or added of ``english``'s formulas, code, figures, headings."""
    problems = []
    ours, theirs = invariants(english), invariants(translated)
    for what, expected in ours.items():
        got = theirs[what]
        if got == expected:
            continue
        if isinstance(expected, list) and what not in ("display formulas", "figures", "heading levels"):
            missing = sorted((Counter(expected) - Counter(got)).elements())
            extra = sorted((Counter(got) - Counter(expected)).elements())
            problems.append(f"{what}: missing {missing}, not in the English {extra}")
        else:
            problems.append(f"{what}: English {expected}, translation {got}")
    return problems
