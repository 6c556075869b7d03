"""Submitted files that Python would import in place of the real modules, or that
the course's helpers would read in place of the instructor's."""

import functools
import shutil
import sys
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from grading.preprocessors.common import report

#: Data files the shipped helpers read from their own folder: the compiled messages that
#: course_language.py loads (a translated assignment ships its own; the English one none).
HELPER_DATA = ("messages.mo",)


def _source_folder(config, assignment):
    coursedir = CourseDirectory(config=config)
    return Path(coursedir.format_path(coursedir.source_directory, ".", assignment))


def source_modules(config, assignment):
    """Names of the Python modules the instructor ships in ``source/<assignment>``."""
    return sorted(path.stem for path in _source_folder(config, assignment).glob("*.py"))


@functools.lru_cache(maxsize=None)
def library_names():
    """Top-level names importable from the grader's Python: stdlib and site-packages.

    Walking every folder on sys.path takes tens of milliseconds; the answer
    cannot change while a grader runs, so each process walks it once."""
    import pkgutil

    names = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    names |= {module.name for module in pkgutil.iter_modules()}
    return frozenset(names | {"sitecustomize", "usercustomize"})


class RemoveShadowingFiles(NbGraderPreprocessor):
    """Delete submitted files that Python would import instead of the real module.

    nbgrader copies the instructor's ``gc_utils.py`` over the student's, but a
    package folder ``gc_utils/`` beside it wins the import, and so would a
    ``numpy.py``, compiled ``.so`` files, stale bytecode or ``.pth`` files.
    Nor may a submission bring the messages the helpers read (``messages.mo``):
    where the assignment ships one, nbgrader has put the instructor's in its
    place; where it ships none (English), the student's is removed, so the
    grader's messages are always those of the release.  The autograded copy
    of the folder loses them (``submitted/`` is untouched).
    """

    def preprocess(self, nb, resources):
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        assignment = resources["nbgrader"]["assignment"]
        ours = set(source_modules(self.config, assignment))
        protected = library_names() | ours
        source = _source_folder(self.config, assignment)
        for entry in sorted(folder.iterdir()):
            if entry.name in HELPER_DATA:
                if entry.is_file() and not entry.is_symlink() and (source / entry.name).is_file():
                    continue  # the instructor's copy, placed by nbgrader
                report(self.log, resources, f"removed submitted {entry.name!r}: the course's helpers "
                       "would show its messages instead of the assignment's")
                _remove(entry)
                continue
            name = entry.name.split(".")[0]
            if entry.is_file() and entry.suffix == ".py" and name in ours:
                continue  # the instructor's copy, placed by nbgrader
            importable = entry.is_dir() or entry.suffix in (".py", ".pyc", ".pyd", ".so", ".pth")
            if not importable:
                continue  # data files (even test.csv) are never imported
            if not (name in protected or entry.name == "__pycache__"
                    or entry.suffix in (".pth", ".so", ".pyc", ".pyd")):
                continue
            report(self.log, resources, f"removed submitted {entry.name!r}: it would be imported "
                    "in place of a course or library module")
            _remove(entry)
        return nb, resources


def _remove(entry):
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink()
