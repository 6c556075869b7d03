"""Copying a submission into ``autograded/`` without following a single link.

nbgrader 0.9.6 copies every file of ``submitted/<student>/<assignment>/`` with
``shutil.copy``, which follows symbolic links: a link to
``../../../source/<assignment>/<notebook>``, to another student's folder or to
``/etc/passwd`` puts what it points at into the student's autograded folder, where
the student's code reads it; a link to ``/dev/zero`` is copied until the disk is
full; a dangling link or a named pipe stops the whole submission.  It also reads
the notebook and ``timestamp.txt`` through any link.  Submissions arrive as
tarballs and folders copied by hand, and tar keeps symbolic links as they are.

``install()``, called by ``nbgrader_config.py``, makes nbgrader's ``Autograde`` and
``GenerateFeedback`` copy with ``copy_folder`` instead, which copies regular files
and folders only, opened without following links, and skips:

* every symbolic link, whatever it points at, even inside the submission (what it
  points at, when it is in the submission, is copied under its own name anyway):
  Jupyter makes no links and nbgrader's exchange copies files, so a link in
  ``submitted/`` came from a tarball or a hand copy, and following one safely would
  mean resolving it, the very step that goes wrong;
* named pipes, sockets and devices;
* a hard link to one of the instructor's files in ``source/<assignment>`` or to the
  gradebook (the same file under another name).  Other hard links are ordinary
  files: the copy is a new file, so nothing written to it reaches the original;
* whatever lies past ``MAX_BYTES``, ``MAX_ENTRIES`` or ``MAX_DEPTH``.

Each skipped entry is logged once as ``[grading] <student>/<notebook>: ...`` and
listed for the note in the graded notebook (``skipped_entries``).  ``submitted/``
is never changed.  The notebook itself is read by ``reading.TolerantNotebookExporter``
through ``open_submitted``, with the same rules.
"""

import fnmatch
import os
import stat
from pathlib import Path

from grading.problem_log import log_problem, submission

MAX_BYTES = 64 * 1024 ** 2     # all copied files of one submission together
MAX_ENTRIES = 10_000           # files and folders of one submission
MAX_DEPTH = 32                 # folders inside folders
MAX_TIMESTAMP_BYTES = 1024
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIR = _READ | os.O_DIRECTORY
_CHUNK = 1024 ** 2

_skipped = {}   # (student, assignment) -> what the last copy left out, for the notebook's note


class Refused(Exception):
    """A file of the submission that is not read, and why."""


def kind(mode):
    """What an entry that is not a file or a folder is, in words."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _describe(name, shown, dir_fd, mode):
    if stat.S_ISLNK(mode):
        try:
            return f"symbolic link {shown!r} -> {os.readlink(name, dir_fd=dir_fd)!r}"
        except OSError:
            return f"symbolic link {shown!r}"
    return f"{shown!r}, {kind(mode)}"


def instructor_files(coursedir, assignment):
    """``(device, inode)`` of the instructor's files a submission must not carry:
    everything in ``source/<assignment>`` (its links resolved) and the gradebook."""
    found = set()
    folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
    paths = [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]
    if coursedir.db_url.startswith("sqlite:///"):
        paths.append(coursedir.db_url[len("sqlite:///"):])
    for path in paths:
        try:
            info = os.stat(os.path.join(coursedir.root, path))
        except OSError:
            continue
        found.add((info.st_dev, info.st_ino))
    return frozenset(found)


def link_in_path(path, base):
    """Why ``path`` cannot be trusted below ``base`` (a link or not a folder on the way), or None.

    ``base`` is the instructor's (``submitted/``, which may itself be a link);
    what lies below it came with the submission."""
    path, base = Path(os.path.abspath(path)), Path(os.path.abspath(base))
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        return f"{path} is not inside {base}"
    current = base
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError as error:
            return f"{current.relative_to(base)}: {error.strerror}"
        if stat.S_ISLNK(mode):
            return f"{str(current.relative_to(base))!r} is a symbolic link to {os.readlink(current)!r}"
    return None


def open_submitted(path, base, refuse=frozenset(), max_bytes=None):
    """An open file descriptor for the regular file ``path``, read without following a
    link anywhere below ``base``; ``Refused`` with the reason otherwise.  Nothing that
    is not a regular file is even opened (opening a device can do things)."""
    problem = link_in_path(os.path.dirname(os.path.abspath(path)), base)
    if problem:
        raise Refused(problem)
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        raise Refused(error.strerror) from None
    if stat.S_ISLNK(mode):
        raise Refused(f"it is a symbolic link to {os.readlink(path)!r}; links are not followed")
    if not stat.S_ISREG(mode):
        raise Refused(f"it is {kind(mode)}")
    try:
        fd = os.open(path, _READ)
    except OSError as error:
        raise Refused(error.strerror) from None
    info = os.fstat(fd)
    reason = None
    if not stat.S_ISREG(info.st_mode):
        reason = f"it is {kind(info.st_mode)}"
    elif (info.st_dev, info.st_ino) in refuse:
        reason = "it is the instructor's own file under another name (a hard link)"
    elif max_bytes is not None and info.st_size > max_bytes:
        reason = f"it is larger than {max_bytes} bytes"
    if reason:
        os.close(fd)
        raise Refused(reason)
    return fd


class _Budget:
    def __init__(self):
        self.bytes, self.entries = MAX_BYTES, MAX_ENTRIES


def _copy_file(name, shown, src_dir, dst_dir, refuse, budget):
    """Copy the regular file ``name``; the reason it was skipped, or None."""
    try:
        fd = os.open(name, _READ, dir_fd=src_dir)
    except OSError as error:
        return f"{shown!r} could not be read ({error.strerror})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return f"{shown!r}, {kind(info.st_mode)}"
        if (info.st_dev, info.st_ino) in refuse:
            return f"{shown!r} is the instructor's own file under another name (a hard link)"
        if info.st_size > budget.bytes:
            return f"{shown!r} ({info.st_size} bytes) is past the {MAX_BYTES} bytes copied per submission"
        try:
            os.unlink(name, dir_fd=dst_dir)
        except FileNotFoundError:
            pass
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                      (stat.S_IMODE(info.st_mode) & 0o755) | 0o600, dir_fd=dst_dir)
        with os.fdopen(out, "wb") as target:
            left = info.st_size
            while left > 0:
                chunk = os.read(fd, min(_CHUNK, left))
                if not chunk:
                    break
                target.write(chunk)
                left -= len(chunk)
        budget.bytes -= info.st_size
        return None
    except OSError as error:
        return f"{shown!r} could not be copied ({error.strerror})"
    finally:
        os.close(fd)


def _copy_dir(src_dir, dst_dir, relative, ignore, refuse, budget, skipped, depth):
    """Copy the folder open as ``src_dir`` into ``dst_dir``; False once a budget ran out."""
    for name in sorted(os.listdir(src_dir)):
        shown = os.path.join(relative, name)
        if budget.entries <= 0:
            skipped.append(f"{shown!r} and the rest: past the {MAX_ENTRIES} entries copied per submission")
            return False
        budget.entries -= 1
        mode = os.stat(name, dir_fd=src_dir, follow_symlinks=False).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            skipped.append(_describe(name, shown, src_dir, mode))   # even under an ignored name
        elif any(fnmatch.fnmatch(name, pattern) for pattern in ignore):
            continue
        elif stat.S_ISREG(mode):
            reason = _copy_file(name, shown, src_dir, dst_dir, refuse, budget)
            if reason:
                skipped.append(reason)
        elif depth >= MAX_DEPTH:
            skipped.append(f"{shown!r}: folders nested deeper than {MAX_DEPTH}")
        else:
            try:
                os.mkdir(name, 0o755, dir_fd=dst_dir)
            except FileExistsError:
                pass
            try:
                child_src = os.open(name, _DIR, dir_fd=src_dir)
                child_dst = os.open(name, _DIR, dir_fd=dst_dir)
            except OSError as error:
                skipped.append(f"{shown!r} could not be copied ({error.strerror})")
                continue
            try:
                if not _copy_dir(child_src, child_dst, shown, ignore, refuse, budget, skipped, depth + 1):
                    return False
            finally:
                os.close(child_src)
                os.close(child_dst)
    return True


def remove_non_files(folder):
    """Delete every symbolic link, pipe, socket and device below ``folder`` (not
    following links); what was removed."""
    removed = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                os.unlink(path)
                removed.append(os.path.relpath(path, folder))
    return removed


def copy_folder(source, dest, ignore=(), refuse=frozenset()):
    """Copy the regular files and folders of ``source`` into ``dest``; the entries
    left out, in words.  Nothing is ever read through a link."""
    skipped = []
    os.makedirs(dest, exist_ok=True)
    remove_non_files(dest)
    src_fd = os.open(source, _DIR)
    try:
        dst_fd = os.open(dest, _DIR)
        try:
            _copy_dir(src_fd, dst_fd, "", list(ignore), refuse, _Budget(), skipped, 0)
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)
    return [f"not copied: {reason}" for reason in skipped]


def skipped_entries(student, assignment):
    """What the last copy of this submission left out (for the graded notebook's note)."""
    return list(_skipped.get((student, assignment), []))


def _notebook_name(converter, assignment):
    """The notebook the log names the submission by, or the assignment when it has
    several notebooks (a link named like a notebook is none)."""
    names = [os.path.splitext(os.path.basename(path))[0] for path in getattr(converter, "notebooks", [])
             if not os.path.islink(path)]
    return names[0] if len(names) == 1 else assignment


def copy_submission(converter, assignment_id, student_id):
    """What nbgrader's ``BaseConverter.init_assignment`` does (copy the submission's
    other files into the output folder), with ``copy_folder``."""
    coursedir = converter.coursedir
    source = converter._format_source(assignment_id, student_id)
    dest = converter._format_dest(assignment_id, student_id)
    base = os.path.join(coursedir.root, converter._input_directory)
    log = converter.log
    problem = link_in_path(source, base)
    if problem:
        skipped = [f"nothing copied: {problem}; links are not followed"]
    else:
        skipped = copy_folder(source, dest, coursedir.ignore + ["*.ipynb"],
                              instructor_files(coursedir, assignment_id))
    for reason in skipped:
        log_problem(log, submission(student_id, _notebook_name(converter, assignment_id)), reason)
    _skipped[(student_id, assignment_id)] = skipped


def get_existing_timestamp(coursedir, dest_path):
    """nbgrader's ``CourseDirectory.get_existing_timestamp``, reading ``timestamp.txt``
    only when it is a small regular file (not through a link, not from a pipe), and
    taking a timestamp it cannot parse as none, with a warning: nbgrader 0.9.6 reads
    ``/dev/zero`` forever through a link, and fails the submission on a bad date."""
    from nbgrader.utils import parse_utc

    path = os.path.join(dest_path, "timestamp.txt")
    if not os.path.lexists(path):
        return None
    try:
        fd = open_submitted(path, dest_path, max_bytes=MAX_TIMESTAMP_BYTES)
    except Refused as refused:
        coursedir.log.warning("[grading] %s ignored (no timestamp): %s", path, refused)
        return None
    with open(fd, encoding="utf-8", errors="replace") as handle:
        text = handle.read().strip()
    if not text:
        coursedir.log.warning("Empty timestamp file: %s", path)
        return None
    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError) as error:
        coursedir.log.warning("[grading] %s ignored (no timestamp): not a date (%s)", path, error)
        return None


def install():
    """Route nbgrader's copy of student folders (``Autograde``: ``submitted/``,
    ``GenerateFeedback``: ``autograded/``) through ``copy_submission``, and its
    reading of ``timestamp.txt`` through ``get_existing_timestamp``.  Idempotent.

    nbgrader builds its converters itself (``AutogradeApp`` makes an ``Autograde``
    directly), so there is no configurable class to name instead: the one method that
    copies is replaced on the class, for these two converters only;
    ``generate_assignment`` still follows the instructor's own links in ``source/``."""
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.converters.base import BaseConverter
    from nbgrader.coursedir import CourseDirectory

    if getattr(BaseConverter.init_assignment, "grading_guarded", False):
        return
    nbgrader_init_assignment = BaseConverter.init_assignment

    def init_assignment(self, assignment_id, student_id):
        if isinstance(self, (Autograde, GenerateFeedback)):
            copy_submission(self, assignment_id, student_id)
        else:
            nbgrader_init_assignment(self, assignment_id, student_id)

    init_assignment.grading_guarded = True
    BaseConverter.init_assignment = init_assignment
    CourseDirectory.get_existing_timestamp = get_existing_timestamp
