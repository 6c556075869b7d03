"""Every cell the gradebook knows is graded as the instructor made it, whatever a
submission did to its metadata, its place or its type.

nbgrader 0.9.6 trusts a submission's cell metadata: a test cell whose ``grade_id``
was renamed, or that was flagged ``solution`` with other ``points``, stops the
whole notebook ("Inconsistent checksums") or is graded as something else, and a
deleted one is left without a score.  ``RestoreKnownCells`` runs first in the
sanitize step and puts the notebook back in the shape ``generate_assignment``
gave it before anything reads its metadata:

* each cell of the submission is matched to a cell of the gradebook: by
  ``grade_id``; a read-only cell (test, given code, the lesson's text) also by its
  source; an answer cell whose metadata is gone by its place between the cells
  matched around it;
* a matched read-only cell gets its source, cell type and nbgrader metadata back
  from the gradebook (the checksum, the points); a matched answer cell keeps the
  student's code and gets its metadata and type back;
* every known cell goes back to its place in ``source/``; the student's own cells
  move with the known cell they followed;
* a read-only cell missing from the submission is put back from the gradebook,
  with a note above it (an answer cell is not: the stub would replace the
  student's code, and its tests run on what the notebook defines);
* any other cell that carries nbgrader metadata (a ``grade_id`` the gradebook
  does not know, a copy of a known cell) loses it: a plain cell, never graded.

Each change is logged once (``[grading] <student>/<notebook>: ...``) and listed
in a note at the top of the notebook.  The points and the maximum score are the
gradebook's, so honest exercises keep theirs and tampered ones are graded from
the restored cells.
"""

import os

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor

from grading.cells import grade_id, nbgrader_metadata
from grading.preprocessors.common import report
from grading.preprocessors.reading import is_placeholder

NOTE_ID = "grading-note-known-cells"
NOTE = ("*Grading note:* some cells of this submission were not as the assignment made them. "
        "The grader put them back before grading:")
RESTORED_NOTE = ("*Grading note:* the read-only cell `{name}` below was missing from this submission; "
                 "it was put back in its place and run like the others.")
#: The metadata fields compared, in the order a change is reported.
FIELDS = ("grade", "solution", "locked", "task", "points")


def source_order(config, assignment, notebook):
    """The grade_ids of the instructor's notebook in order (or the release's, when
    ``source/`` is not there); empty when neither can be read."""
    coursedir = CourseDirectory(config=config)
    for step in (coursedir.source_directory, coursedir.release_directory):
        path = os.path.join(coursedir.format_path(step, ".", assignment), f"{notebook}.ipynb")
        try:
            cells = nbformat.read(path, as_version=4).cells
        except (OSError, ValueError):
            continue
        return [grade_id(cell) for cell in cells if grade_id(cell)]
    return []


class Known:
    """One cell as the gradebook describes it."""

    def __init__(self, source_cell, points, answer, task):
        self.name = source_cell.name
        self.cell_type = source_cell.cell_type
        self.source = source_cell.source
        self.checksum = source_cell.checksum
        self.locked = bool(source_cell.locked) and not answer
        # As generate_assignment wrote it: 2, not the gradebook's 2.0 (the checksum reads either).
        self.points = int(points) if points is not None and float(points).is_integer() else points
        self.answer = answer
        self.task = task
        self.visible = self.source   # as the release shows it, hidden tests removed (see hide_tests)

    @property
    def kind(self):
        if self.answer:
            return "answer"
        if self.points is not None:
            return "test"
        return "task" if self.task else "read-only"

    def metadata(self):
        meta = {"cell_type": self.cell_type, "checksum": self.checksum, "grade": self.points is not None,
                "grade_id": self.name, "locked": self.locked, "schema_version": 3,
                "solution": self.answer, "task": self.task}
        if self.points is not None:
            meta["points"] = self.points
        outer = {"deletable": False, "nbgrader": meta}
        if not self.answer:
            outer["editable"] = False
        return outer

    def cell(self, source=None, cell_id=None):
        """A fresh cell of the right type: this one's source, or the student's answer."""
        make = nbformat.v4.new_code_cell if self.cell_type == "code" else nbformat.v4.new_markdown_cell
        cell = make(source=self.source if source is None else source, metadata=self.metadata())
        if cell_id:
            cell["id"] = cell_id
        return cell


def hide_tests(known, config):
    """Each test cell's source as the release shows it: the gradebook keeps it with its hidden
    tests, a submission has it without (nbgrader's own ClearHiddenTests makes the cut)."""
    clear = ClearHiddenTests(config=config)
    for entry in known.values():
        cell = nbformat.v4.new_code_cell(entry.source) if entry.cell_type == "code" else \
            nbformat.v4.new_markdown_cell(entry.source)
        clear._remove_hidden_test_region(cell)
        entry.visible = cell.source


def read_gradebook(info):
    """{grade_id: Known} in the gradebook's order, or None when the notebook is not there."""
    with Gradebook(info["db_url"]) as gradebook:
        try:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry:
            return None
        points = {cell.name: cell.max_score for cell in notebook.grade_cells}
        answers = {cell.name for cell in notebook.solution_cells}
        tasks = {cell.name for cell in notebook.task_cells}
        return {cell.name: Known(cell, points.get(cell.name), cell.name in answers, cell.name in tasks)
                for cell in notebook.source_cells}


def kept_in_place(positions):
    """Indices of a longest increasing run of ``positions``: the cells that did not move."""
    best = []   # best[i]: the longest increasing chain ending at i
    for i, value in enumerate(positions):
        chains = [best[j] for j in range(i) if positions[j] < value]
        best.append(max(chains, key=len, default=[]) + [i])
    return set(max(best, key=len, default=[]))


def differences(cell, known):
    """What the submission changed in a known cell, in words (empty when nothing)."""
    meta = nbgrader_metadata(cell)
    said = []
    if grade_id(cell) != known.name:
        said.append(f"grade_id {grade_id(cell)!r}" if grade_id(cell) else "no nbgrader metadata")
    elif meta:
        wanted = known.metadata()["nbgrader"]
        for name in FIELDS:
            got = meta.get(name, False if name != "points" else None)
            want = wanted.get(name, False if name != "points" else None)
            if name == "points" and got is not None and want is not None:
                try:
                    same = float(got) == float(want)
                except (TypeError, ValueError):
                    same = False
            else:
                same = bool(got) == bool(want) if name != "points" else got == want
            if not same:
                said.append(f"{name} {got!r} instead of {want!r}")
    if cell.cell_type != known.cell_type:
        said.append(f"a {cell.cell_type} cell instead of {known.cell_type}")
    if not known.answer and cell.get("source", "") not in (known.source, known.visible):
        said.append("its source edited")
    return said


class RestoreKnownCells(NbGraderPreprocessor):
    """Cells the gradebook knows, restored by grade_id, source and place; other
    graded cells demoted to plain ones (see the module's docstring).  The first
    preprocessor of nbgrader's sanitize step."""

    def preprocess(self, nb, resources):
        if is_placeholder(nb):
            return nb, resources
        info = resources["nbgrader"]
        known = read_gradebook(info)
        if not known:
            return nb, resources
        hide_tests(known, self.config)
        order = [name for name in source_order(self.config, info["assignment"], info["notebook"])
                 if name in known]
        order += [name for name in known if name not in order]
        rank = {name: index for index, name in enumerate(order)}
        cells = list(nb.cells)
        owner = self.match(cells, known, order)
        changes = []

        restored = {}
        for index, name in owner.items():
            cell, entry = cells[index], known[name]
            said = differences(cell, entry)
            source = cell.get("source", "") if entry.answer else None
            restored[index] = entry.cell(source=source, cell_id=cell.get("id"))
            if said:
                changes.append(f"{entry.kind} cell `{name}`: " + ", ".join(said) + "; restored")

        demoted = {}
        for index, cell in enumerate(cells):
            if index not in owner and "nbgrader" in cell.get("metadata", {}):
                plain = nbformat.from_dict(cell)
                del plain.metadata["nbgrader"]
                for flag in ("editable", "deletable"):
                    plain.metadata.pop(flag, None)
                demoted[index] = plain
                name = grade_id(cell)
                what = f"`{name}`" if name else "without a grade_id"
                if name in known:
                    what += " (a second copy)"
                changes.append(f"a cell with nbgrader metadata {what}: not one of the assignment's, "
                               "made a plain cell (not graded)")

        claimed = sorted(owner)   # student order
        kept = kept_in_place([rank[owner[index]] for index in claimed])
        for position, index in enumerate(claimed):
            if position not in kept:
                changes.append(f"{known[owner[index]].kind} cell `{owner[index]}` moved back to its place")

        # The student's own cells follow the known cell they followed.
        followers = {None: []}
        last = None
        for index, cell in enumerate(cells):
            if index in owner:
                last = owner[index]
                followers[last] = []
            else:
                followers[last].append(demoted.get(index, cell))
        at = {name: index for index, name in owner.items()}
        rebuilt = list(followers[None])
        missing_answers = []
        for name in order:
            entry = known[name]
            if name in at:
                rebuilt.append(restored[at[name]])
                rebuilt.extend(followers[name])
            elif entry.answer:
                missing_answers.append(name)
            elif not entry.task:
                if entry.cell_type == "code":
                    note = nbformat.v4.new_markdown_cell(RESTORED_NOTE.format(name=name))
                    note["id"] = f"grading-note-{name}"[:64]
                    rebuilt.append(note)
                cell = entry.cell(cell_id=f"restored-{name}"[:64])
                rebuilt.append(cell)
                if utils.compute_checksum(cell) != entry.checksum:
                    report(self.log, resources, f"restored cell {name} does not match its checksum")
                report(self.log, resources, f"restored deleted {entry.kind} cell {name}")
        for name in missing_answers:
            report(self.log, resources, f"answer cell {name} was deleted: not put back (its tests run on "
                   "what the rest of the notebook defines)")
        for change in changes:
            report(self.log, resources, change.replace("`", ""))
        if changes:
            note = nbformat.v4.new_markdown_cell(NOTE + "\n\n" + "\n".join(f"- {c}" for c in changes))
            note["id"] = NOTE_ID
            rebuilt.insert(0, note)
        nb.cells = rebuilt
        if nb.get("nbformat_minor", 0) < 5:
            for cell in nb.cells:
                cell.pop("id", None)
        return nb, resources

    @staticmethod
    def match(cells, known, order):
        """{index in the submission: grade_id} for the cells recognised as known ones."""
        owner, taken = {}, set()
        # 1. by grade_id: the first cell with a known one
        for index, cell in enumerate(cells):
            name = grade_id(cell)
            if name in known and name not in taken:
                owner[index] = name
                taken.add(name)
        # 2. a read-only cell by its source (a renamed grade_id, metadata deleted)
        by_source = {}
        for name in order:
            entry = known[name]
            if name not in taken and not entry.answer:
                for text in {entry.source.strip(), entry.visible.strip()}:
                    by_source.setdefault(text, []).append(name)
        for index, cell in enumerate(cells):
            if index in owner:
                continue
            names = [name for name in by_source.get(cell.get("source", "").strip(), []) if name not in taken]
            if names:
                owner[index] = names[0]
                taken.add(names[0])
        # 3. an answer cell by its place: a code cell after the known cell that precedes it
        #    in source/, before the next cell matched after that one
        rank = {name: position for position, name in enumerate(order)}
        for name in order:
            entry = known[name]
            if name in taken or not entry.answer:
                continue
            before = [index for index, other in owner.items() if rank[other] < rank[name]]
            start = max(before, key=lambda index: rank[owner[index]]) if before else -1
            stop = min((index for index in owner if index > start), default=len(cells))
            candidates = [index for index in range(start + 1, stop)
                          if index not in owner and cells[index].cell_type == "code"]
            flagged = [index for index in candidates if nbgrader_metadata(cells[index]).get("solution")]
            pick = (flagged or [index for index in candidates if cells[index].get("source", "").strip()])
            if pick:
                owner[pick[0]] = name
                taken.add(name)
        return owner
