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
