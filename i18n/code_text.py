"""The text a student reads in a code cell, and proof that two cells hold the same code.

In a code cell only two things are prose: comments and docstrings.  A
translation replaces those and nothing else, so the code a student runs and
the tests check are the same in every language.  ``segments`` finds them (a
run of full-line comments is one segment, so a sentence may cross lines),
``replace`` puts translations in their place, and ``same_code`` compares two
cells token by token and as syntax trees with comments and docstrings left
out.  Hidden tests and nbgrader's marker lines are never translated: students
do not read them, and the grader must see them unchanged.
"""

import ast
import io
import re
import tokenize
from dataclasses import dataclass

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
DOCSTRING_PLACEHOLDER = "<docstring>"


class CodeTextError(ValueError):
    """A translation that cannot be put into the code as it stands (with what to do)."""


@dataclass(frozen=True)
class Segment:
    """One piece of prose in a code cell: its text as a translator sees it and where it stands."""

    kind: str        # "comment" (a run of full-line comments, or one inline comment) or "docstring"
    text: str        # comment without "# ", docstring without its quotes and indentation
    start: tuple     # (line, column) of the first character replaced, lines from 1
    end: tuple       # (line, column) just past the last character replaced
    indent: str      # what starts every continuation line
    inline: bool = False

    def render(self, text):
        """The source that stands for ``text`` in this segment's place."""
        lines = text.split("\n")
        if self.kind == "comment":
            if self.inline and len(lines) > 1:
                raise CodeTextError(f"the comment at line {self.start[0]} follows code on its line: "
                                    "its translation must be one line")
            rendered = [("# " + line) if line else "#" for line in lines]
            return ("\n" + self.indent).join(rendered)
        # A docstring: continuation lines take the body's indentation; so does the last
        # line when it is empty (the closing quotes stand on a line of their own).
        out = [lines[0]]
        for number, line in enumerate(lines[1:], start=1):
            last = number == len(lines) - 1
            out.append(self.indent + line if line or last else line)
        return "\n".join(out)


def _tokens(source):
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as error:
        raise CodeTextError(f"the cell cannot be read as Python: {error}") from error


def _hidden_lines(source):
    """Line numbers (from 1) inside hidden-test regions, marker lines included."""
    hidden, inside = set(), False
    for number, line in enumerate(source.split("\n"), start=1):
        if HIDDEN[0] in line:
            inside = True
        if inside:
            hidden.add(number)
        if HIDDEN[1] in line:
            inside = False
    return hidden


def _parse(source):
    try:
        return ast.parse(source)
    except SyntaxError:
        return None  # IPython syntax (%magic): no docstrings, the tokens alone decide


def _docstring_nodes(tree):
    """The string constants Python takes as docstrings (module, class, function) in ``tree``."""
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                found.append(body[0].value)
    return found


def _docstring_segment(token):
    match = re.fullmatch(r'([rRuU]?)("""|\'\'\'|"|\')(.*)\2', token.string, flags=re.S)
    if not match:
        return None
    prefix, quote, body = match.groups()
    indent = " " * token.start[1]
    lines = body.split("\n")
    dedented = [lines[0]]
    for line in lines[1:]:
        if line.startswith(indent):
            dedented.append(line[len(indent):])
        elif not line.strip():
            dedented.append("")
        else:
            return None  # a line left of the body: keep the docstring as it is
    start = (token.start[0], token.start[1] + len(prefix) + len(quote))
    end_line = token.end[0]
    end_col = token.end[1] - len(quote)
    segment = Segment("docstring", "\n".join(dedented), start, (end_line, end_col), indent)
    return segment if segment.render(segment.text) == body else None


def segments(source):
    """The comments and docstrings of ``source`` a translation replaces, in order."""
    tokens = _tokens(source)
    hidden = _hidden_lines(source)
    lines = source.split("\n")
    docstrings = {(node.lineno, node.col_offset) for node in _docstring_nodes(_parse(source))}
    found = []
    block = []  # consecutive full-line comments in the same column

    def close_block():
        if block:
            first, last = block[0], block[-1]
            text = "\n".join(_comment_text(t.string) for t in block)
            found.append(Segment("comment", text, first.start, last.end, " " * first.start[1]))
            block.clear()

    for token in tokens:
        if token.type == tokenize.COMMENT:
            line_number, column = token.start
            if line_number in hidden or token.string.strip().startswith(MARKERS):
                close_block()
                continue
            if _comment_text(token.string) is None:
                close_block()
                continue  # an unusual comment ("#!x"): left as it is
            full_line = not lines[line_number - 1][:column].strip()
            if not full_line:
                close_block()
                found.append(Segment("comment", _comment_text(token.string), token.start, token.end,
                                     "", inline=True))
                continue
            if block and (line_number != block[-1].start[0] + 1 or column != block[-1].start[1]):
                close_block()
            block.append(token)
        elif token.type in (tokenize.NL, tokenize.NEWLINE) and block and token.start[0] == block[-1].start[0]:
            continue  # the end of a comment line
        else:
            close_block()
            if token.type == tokenize.STRING and token.start in docstrings and token.start[0] not in hidden:
                segment = _docstring_segment(token)
                if segment is not None:
                    found.append(segment)
    close_block()
    return found


def _comment_text(comment):
    """``# text`` -> ``text``; ``#`` -> ``""``; anything else (``#x``) -> None."""
    if comment == "#":
        return ""
    return comment[2:] if comment.startswith("# ") else None


def replace(source, translations):
    """``source`` with its segments' texts replaced by ``translations`` (same order, same count)."""
    found = segments(source)
    if len(found) != len(translations):
        raise CodeTextError(f"the cell has {len(found)} comments and docstrings to translate, "
                            f"the translation gives {len(translations)}")
    starts = _line_offsets(source)
    result = source
    for segment, text in sorted(zip(found, translations), key=lambda pair: pair[0].start, reverse=True):
        begin = starts[segment.start[0] - 1] + segment.start[1]
        end = starts[segment.end[0] - 1] + segment.end[1]
        result = result[:begin] + segment.render(text) + result[end:]
    return result


def _line_offsets(source):
    offsets, total = [], 0
    for line in source.split("\n"):
        offsets.append(total)
        total += len(line) + 1
    return offsets


def code_fingerprint(source):
    """What must not differ between languages: the tokens without comments (docstrings
    as a placeholder), the syntax tree without docstrings, and every line of hidden
    tests and nbgrader markers exactly."""
    tree = _parse(source)
    docstrings = {(node.lineno, node.col_offset) for node in _docstring_nodes(tree)}
    tokens = []
    for token in _tokens(source):
        if token.type in (tokenize.COMMENT, tokenize.NL):
            continue
        text = DOCSTRING_PLACEHOLDER if token.start in docstrings else token.string
        tokens.append((tokenize.tok_name[token.type], text))
    for node in _docstring_nodes(tree):
        node.value = DOCSTRING_PLACEHOLDER
    tree_dump = None if tree is None else ast.dump(tree)
    lines = source.split("\n")
    kept = [lines[n - 1] for n in sorted(_hidden_lines(source))]
    kept += [line for line in lines if line.strip().startswith(MARKERS)]
    return tokens, tree_dump, kept


def code_differences(english, translated):
    """Why two cells do not hold the same code (an empty list when they do)."""
    try:
        a, b = code_fingerprint(english), code_fingerprint(translated)
    except CodeTextError as error:
        return [str(error)]
    problems = []
    if a[0] != b[0]:
        index = next((i for i, (x, y) in enumerate(zip(a[0], b[0])) if x != y), min(len(a[0]), len(b[0])))
        problems.append(f"the tokens differ from token {index}: English {a[0][index:index + 4]}, "
                        f"translation {b[0][index:index + 4]}")
    if a[1] != b[1]:
        problems.append("the syntax trees differ (docstrings aside)")
    if a[2] != b[2]:
        problems.append("the hidden tests or nbgrader's marker lines differ")
    return problems
