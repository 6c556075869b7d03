"""The kit's modules import one another in one direction only.

Every ``import`` of every Python file in the repository (those inside
functions too) is read with ``ast``; an import circle among the kit's own
modules, or a library importing a command of ``scripts/``, fails here with
the modules it goes through.
"""

import ast
import subprocess

from course_constants import ROOT

#: Folders whose files are another thing's copy or not the kit's code.
NOT_THE_KITS = ("release/", "source/", ".venv/")


def kit_files():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in listed if not name.startswith(NOT_THE_KITS) and (ROOT / name).is_file()]


def module_name(path):
    """``grading.preprocessors.execute`` for grading/preprocessors/execute.py; the tests'
    helpers by their own names (pytest puts tests/ on sys.path)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] == "tests":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported(path, name, known):
    """The kit's modules that ``path`` (module ``name``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from grading import preprocessors`` imports the module grading.preprocessors.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph():
    files = {module_name(path): path for path in kit_files()}
    return {name: imported(path, name, files) for name, path in files.items()}


def circles(graph):
    """Each strongly connected group of two or more modules (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_module_of_the_kit_imports_itself_round_a_circle():
    graph = import_graph()
    assert {"grading.config", "i18n.catalogue", "figures", "scaffold.course"} <= set(graph)
    assert circles(graph) == [], "import circles: " + "; ".join(" -> ".join(c) for c in circles(graph))


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_drawing_knows_nothing_of_translations_and_no_library_imports_a_script():
    graph = import_graph()
    assert not {name for name in graph["figures"] if name.split(".")[0] == "i18n"}
    assert "figures" in graph["i18n.catalogue"] and "figures" in graph["i18n.build"]
    importers = {name for name, targets in graph.items() if any(t.startswith("scripts") for t in targets)}
    assert {name for name in importers if not name.startswith("scripts")} == set(), importers


def test_one_name_for_the_compiled_messages():
    """The students' helper cannot import course_constants (it is not released): both name one file."""
    import course_constants
    import course_language

    assert course_language.MESSAGES.name == course_constants.MESSAGES_FILE
