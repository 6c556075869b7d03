"""Regenerate ``release/`` from ``source/`` with ``nbgrader generate_assignment``.

Every assignment under ``source/`` is released: the English one and its
translations (``make release`` rebuilds those first, see ``i18n/build.py``).
Generation runs in a scratch copy of the course, so no gradebook or log is
left in the repository; the result then replaces ``release/``.  Run with
``make release`` after every change to ``source/`` or to a helper module, and
commit the result.
"""

import shutil
import tempfile
from pathlib import Path

from course_constants import ROOT
from scaffold.course import assignments, generate_release, make_course


def regenerate(repo=ROOT):
    with tempfile.TemporaryDirectory(prefix="gc-release-") as scratch:
        course = make_course(Path(scratch) / "course")
        for assignment in assignments(course):
            generate_release(course, assignment)
        target = Path(repo) / "release"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(course / "release", target)
    return target


if __name__ == "__main__":
    print(f"regenerated {regenerate()}")
