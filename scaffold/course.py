"""Scratch copies of the course directory, and nbgrader run inside them.

The repository root is the real course directory.  The demo and the tests
work on a throw-away copy of it, so that grading leaves the repository (and
its ``release/``) exactly as it was.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from course_constants import ASSIGNMENT, NOTEBOOK, ROOT

NBGRADER = [sys.executable, "-m", "nbgrader"]


class NbgraderError(RuntimeError):
    """An nbgrader command exited with an error; the message holds its output."""


def make_course(destination, with_release=False):
    """Copy the course (config, grading tools, source with helpers resolved) into ``destination``.

    Symbolic links in ``source/`` are followed, so the copy stands on its own.
    With ``with_release`` the committed ``release/`` is copied too.
    """
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("nbgrader_config.py", "course_constants.py"):  # the config reads the constants
        shutil.copy(ROOT / name, destination / name)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "source", destination / "source", symlinks=False, ignore=ignore)
    # nbgrader_config.py imports the kit's grading preprocessors from beside itself.
    shutil.copytree(ROOT / "grading", destination / "grading", ignore=ignore, dirs_exist_ok=True)
    if with_release:
        shutil.copytree(ROOT / "release", destination / "release", ignore=ignore)
    return destination


def tool_environment():
    """The environment with this interpreter's ``bin`` first on PATH: nbgrader
    starts ``alembic`` and the kernel by name, and they live beside it."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def nbgrader(course, *arguments, check=True, timeout=1800):
    """Run ``nbgrader <arguments>`` in ``course`` and return the finished process.

    nbgrader writes its log to stderr; when ``check`` is set a failing command
    raises ``NbgraderError`` carrying that log, so a test failure shows why.
    """
    process = subprocess.run(
        [*NBGRADER, *arguments], cwd=course, capture_output=True, text=True,
        timeout=timeout, env=tool_environment(),
    )
    if check and process.returncode != 0:
        raise NbgraderError(
            f"nbgrader {' '.join(arguments)} exited with {process.returncode}\n"
            f"--- stdout\n{process.stdout}\n--- stderr\n{process.stderr}"
        )
    return process


def assignments(course=ROOT):
    """Every assignment of the course: one folder each under ``source/`` (the English
    one and its translations)."""
    return sorted(path.name for path in (Path(course) / "source").iterdir()
                  if path.is_dir() and not path.name.startswith("."))


def generate_release(course, assignment=ASSIGNMENT):
    """``nbgrader generate_assignment`` for one assignment of the course."""
    return nbgrader(course, "generate_assignment", assignment, "--force")


def submit(course, student, notebook, assignment=ASSIGNMENT):
    """Place ``notebook`` (a NotebookNode) as ``student``'s submission, with the
    files of the release beside it, as nbgrader's exchange would."""
    import nbformat

    folder = Path(course) / "submitted" / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(Path(course) / "release" / assignment, folder,
                    ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")
    return folder


def block_autograded(course, student):
    """Put a file where nbgrader makes ``autograded/<student>/``: a grading that fails
    for a reason outside the notebook (nbgrader stops on it with NotADirectoryError),
    the tests' model of a student the batch must report and grade around."""
    folder = Path(course) / "autograded"
    folder.mkdir(exist_ok=True)
    (folder / student).write_text("a file where nbgrader makes the student's folder\n")
