"""``grading.safe_copy`` on real folders: what a submission's copy keeps and leaves out.

The adversarial suite grades link cases end to end with nbgrader; these tests
cover the limits a whole course would take too long to reach (size, count,
depth) and the timestamp nbgrader reads from a submission."""

import os
import socket
from types import SimpleNamespace

import pytest

from grading import safe_copy


@pytest.fixture
def submission(tmp_path):
    source = tmp_path / "submitted" / "alice" / "hw"
    (source / "data" / "inner").mkdir(parents=True)
    (source / "answer.py").write_text("x = 1\n")
    (source / "data" / "inner" / "values.csv").write_text("1,2\n")
    (tmp_path / "secret.txt").write_text("the instructor's\n")
    return tmp_path, source


def test_regular_files_and_folders_are_copied_links_and_pipes_are_not(submission):
    root, source = submission
    os.symlink("../../../../secret.txt", source / "data" / "secret_link.txt")
    os.symlink("answer.py", source / "inside_link.py")
    os.symlink(str(root), source / "everything")
    os.mkfifo(source / "pipe")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(source / "sock"))
    dest = root / "autograded" / "alice" / "hw"
    skipped = safe_copy.copy_folder(source, dest)
    listener.close()
    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    assert copied == ["answer.py", "data", "data/inner", "data/inner/values.csv"]
    assert not any(os.path.islink(p) for p in dest.rglob("*"))
    assert len(skipped) == 5
    assert "not copied: symbolic link 'data/secret_link.txt' -> '../../../../secret.txt'" in skipped
    assert "not copied: 'pipe', a named pipe" in skipped
    assert "not copied: 'sock', a socket" in skipped


def test_a_hard_link_to_an_instructor_file_is_not_copied(submission):
    root, source = submission
    os.link(root / "secret.txt", source / "notes.txt")
    refuse = frozenset({(os.stat(root / "secret.txt").st_dev, os.stat(root / "secret.txt").st_ino)})
    skipped = safe_copy.copy_folder(source, root / "out", refuse=refuse)
    assert not (root / "out" / "notes.txt").exists()
    assert skipped == ["not copied: 'notes.txt' is the instructor's own file under another name "
                       "(a hard link)"]


def test_size_count_and_depth_are_bounded(submission, monkeypatch):
    root, source = submission
    monkeypatch.setattr(safe_copy, "MAX_BYTES", 10)
    (source / "big.bin").write_bytes(b"x" * 11)
    deep = source
    for level in range(safe_copy.MAX_DEPTH + 1):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    skipped = safe_copy.copy_folder(source, root / "out")
    assert not (root / "out" / "big.bin").exists()
    assert any("'big.bin' (11 bytes) is past the 10 bytes" in line for line in skipped)
    assert any(f"folders nested deeper than {safe_copy.MAX_DEPTH}" in line for line in skipped)
    monkeypatch.setattr(safe_copy, "MAX_ENTRIES", 2)
    skipped = safe_copy.copy_folder(source, root / "out2")
    assert any("past the 2 entries copied per submission" in line for line in skipped)


def test_links_already_in_the_destination_are_removed_first(submission):
    root, source = submission
    dest = root / "out"
    dest.mkdir()
    os.symlink(str(root / "secret.txt"), dest / "answer.py")
    safe_copy.copy_folder(source, dest)
    assert not os.path.islink(dest / "answer.py")
    assert (dest / "answer.py").read_text() == "x = 1\n"
    assert (root / "secret.txt").read_text() == "the instructor's\n"


class _Log:
    def __init__(self):
        self.lines = []

    def warning(self, message, *args):
        self.lines.append(message % args)


@pytest.mark.parametrize("make,expected", [
    (lambda folder: (folder / "timestamp.txt").write_text("2024-02-03 04:05:06 UTC"), "2024-02-03 04:05:06"),
    (lambda folder: os.symlink("/dev/zero", folder / "timestamp.txt"), None),
    (lambda folder: os.mkfifo(folder / "timestamp.txt"), None),
    (lambda folder: (folder / "timestamp.txt").write_text("the day before the deadline"), None),
])
def test_timestamp_is_read_only_from_a_small_plain_file(tmp_path, make, expected):
    make(tmp_path)
    coursedir = SimpleNamespace(log=_Log())
    stamp = safe_copy.get_existing_timestamp(coursedir, str(tmp_path))
    assert (str(stamp) if stamp else None) == expected
    assert bool(coursedir.log.lines) == (expected is None)


# --- the pieces: reading one file, the path to it, the instructor's files ------------------

def test_open_submitted_gives_a_descriptor_for_a_plain_file(submission):
    root, source = submission
    fd = safe_copy.open_submitted(source / "answer.py", root / "submitted")
    with open(fd) as handle:
        assert handle.read() == "x = 1\n"


@pytest.mark.parametrize("make, why", [
    (lambda s: os.symlink("answer.py", s / "it"),
     "it is a symbolic link to 'answer.py'; links are not followed"),
    (lambda s: os.mkfifo(s / "it"), "it is a named pipe"),
    (lambda s: (s / "it").mkdir(), "it is not a regular file"),
    (lambda s: None, "No such file or directory"),
], ids=["link", "pipe", "folder", "missing"])
def test_open_submitted_refuses_what_is_not_a_plain_file(submission, make, why):
    root, source = submission
    make(source)
    with pytest.raises(safe_copy.Refused) as refused:
        safe_copy.open_submitted(source / "it", root / "submitted")
    assert str(refused.value) == why


def test_open_submitted_refuses_a_link_on_the_way_a_hard_link_and_a_big_file(submission):
    root, source = submission
    os.symlink(source / "data", source / "linked")
    with pytest.raises(safe_copy.Refused, match=r"^'alice/hw/linked' is a symbolic link to "):
        safe_copy.open_submitted(source / "linked" / "inner" / "values.csv", root / "submitted")
    secret = os.stat(root / "secret.txt")
    os.link(root / "secret.txt", source / "notes.txt")
    with pytest.raises(safe_copy.Refused, match=r"^it is the instructor's own file under another name"):
        safe_copy.open_submitted(source / "notes.txt", root, refuse={(secret.st_dev, secret.st_ino)})
    with pytest.raises(safe_copy.Refused, match=r"^it is larger than 5 bytes$"):
        safe_copy.open_submitted(source / "answer.py", root, max_bytes=5)
    os.close(safe_copy.open_submitted(source / "answer.py", root, max_bytes=6))    # exactly 6 bytes


def test_link_in_path_names_the_first_link_below_the_base(submission):
    root, source = submission
    base = root / "submitted"
    assert safe_copy.link_in_path(source / "data", base) is None
    assert safe_copy.link_in_path(base, base) is None
    os.symlink(source, root / "submitted" / "bob")
    assert safe_copy.link_in_path(base / "bob" / "data", base) == (
        f"'bob' is a symbolic link to {str(source)!r}")
    assert safe_copy.link_in_path(root / "secret.txt", base) == f"{root / 'secret.txt'} is not inside {base}"
    assert safe_copy.link_in_path(base / "carol" / "hw", base) == "carol: No such file or directory"


def test_kind_names_what_is_not_a_file(tmp_path):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "sock"))
    try:
        assert safe_copy.kind(os.lstat(tmp_path / "sock").st_mode) == "a socket"
    finally:
        listener.close()
    assert safe_copy.kind(os.lstat("/dev/null").st_mode) == "a device"
    os.symlink("x", tmp_path / "link")
    assert safe_copy.kind(os.lstat(tmp_path / "link").st_mode) == "a symbolic link"


def test_instructor_files_are_the_source_folder_and_the_gradebook(tmp_path):
    from nbgrader.coursedir import CourseDirectory

    source = tmp_path / "source" / "hw"
    (source / "images").mkdir(parents=True)
    (source / "n.ipynb").write_text("{}")
    (source / "images" / "f.svg").write_text("<svg/>")
    (tmp_path / "helper.py").write_text("")
    os.symlink(tmp_path / "helper.py", source / "helper.py")     # the course links its helpers in
    (tmp_path / "gradebook.db").write_text("")
    (tmp_path / "other.txt").write_text("")
    coursedir = CourseDirectory(root=str(tmp_path))

    def inode(path):
        return os.stat(path).st_dev, os.stat(path).st_ino
    found = safe_copy.instructor_files(coursedir, "hw")
    assert found == {inode(p) for p in (source / "n.ipynb", source / "images" / "f.svg",
                                         tmp_path / "helper.py", tmp_path / "gradebook.db")}
    assert inode(tmp_path / "other.txt") not in found


def test_remove_non_files_leaves_files_and_folders(submission):
    root, source = submission
    os.symlink("answer.py", source / "data" / "link.py")
    os.mkfifo(source / "pipe")
    assert sorted(safe_copy.remove_non_files(source)) == ["data/link.py", "pipe"]
    assert sorted(str(p.relative_to(source)) for p in source.rglob("*")) == [
        "answer.py", "data", "data/inner", "data/inner/values.csv"]


def test_ignored_names_are_not_copied_but_a_link_under_one_is_still_reported(submission):
    root, source = submission
    (source / "cache.pyc").write_text("")
    os.symlink("/etc/passwd", source / "passwd.pyc")
    skipped = safe_copy.copy_folder(source, root / "out", ignore=["*.pyc", "data"])
    assert sorted(os.listdir(root / "out")) == ["answer.py"]
    assert skipped == ["not copied: symbolic link 'passwd.pyc' -> '/etc/passwd'"]


def test_a_copy_keeps_the_read_and_execute_bits_only(submission):
    root, source = submission
    os.chmod(source / "answer.py", 0o4755)            # setuid
    (source / "read_only.txt").write_text("")
    os.chmod(source / "read_only.txt", 0o444)
    safe_copy.copy_folder(source, root / "out")
    assert os.stat(root / "out" / "answer.py").st_mode & 0o7777 == 0o755
    assert os.stat(root / "out" / "read_only.txt").st_mode & 0o7777 == 0o644


def test_the_byte_budget_is_shared_by_the_files_of_a_submission(submission, monkeypatch):
    root, source = submission
    monkeypatch.setattr(safe_copy, "MAX_BYTES", 10)
    (source / "data" / "inner" / "values.csv").unlink()
    (source / "a.txt").write_text("123456")           # 6 bytes, then answer.py's 6: past 10
    skipped = safe_copy.copy_folder(source, root / "out")
    assert sorted(os.listdir(root / "out")) == ["a.txt", "data"]
    assert skipped == ["not copied: 'answer.py' (6 bytes) is past the 10 bytes copied per submission"]


def test_the_limits_are_the_documented_ones():
    assert (safe_copy.MAX_BYTES, safe_copy.MAX_ENTRIES, safe_copy.MAX_DEPTH) == (64 * 1024 ** 2, 10_000, 32)
    assert safe_copy.MAX_TIMESTAMP_BYTES == 1024


@pytest.mark.parametrize("content, warning", [
    ("   \n", "Empty timestamp file: "),
    ("2024-01-01 00:00:00 UTC" + " " * 1024, "ignored (no timestamp): it is larger than 1024 bytes"),
])
def test_an_empty_or_oversized_timestamp_is_none(tmp_path, content, warning):
    (tmp_path / "timestamp.txt").write_text(content)
    coursedir = SimpleNamespace(log=_Log())
    assert safe_copy.get_existing_timestamp(coursedir, str(tmp_path)) is None
    assert len(coursedir.log.lines) == 1 and warning in coursedir.log.lines[0]


def test_no_timestamp_file_is_no_timestamp_and_no_warning(tmp_path):
    coursedir = SimpleNamespace(log=_Log())
    assert safe_copy.get_existing_timestamp(coursedir, str(tmp_path)) is None
    assert coursedir.log.lines == []


def test_install_routes_autograde_and_feedback_through_the_safe_copy(monkeypatch):
    from nbgrader import converters
    from nbgrader.converters.base import BaseConverter
    from nbgrader.coursedir import CourseDirectory

    # nbgrader's classes are put back as they were after this test
    monkeypatch.setattr(CourseDirectory, "get_existing_timestamp", CourseDirectory.get_existing_timestamp)
    calls = []
    monkeypatch.setattr(BaseConverter, "init_assignment", lambda self, a, s: calls.append(("nbgrader", a, s)))
    monkeypatch.setattr(safe_copy, "copy_submission", lambda converter, a, s: calls.append(("safe", a, s)))
    safe_copy.install()
    installed = BaseConverter.init_assignment
    assert installed.grading_guarded
    assert CourseDirectory.get_existing_timestamp is safe_copy.get_existing_timestamp
    safe_copy.install()
    assert BaseConverter.init_assignment is installed          # idempotent
    for name in ("Autograde", "GenerateFeedback", "GenerateAssignment"):
        installed(object.__new__(getattr(converters, name)), "hw", "alice")
    # generate_assignment still copies the instructor's own folder as nbgrader does
    assert calls == [("safe", "hw", "alice"), ("safe", "hw", "alice"), ("nbgrader", "hw", "alice")]
