"""``grading.pids`` on this machine's real cgroups: a cap that holds, and nothing left behind.

The adversarial suite runs fork, thread and process bombs through nbgrader; these
tests look at one group directly (no kernel), and at the groups a grader that was
killed leaves behind."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from system_packages import skip_or_fail

from grading import pids

FORK_UNTIL_REFUSED = """
import os, time
n = 0
try:
    while n < 500:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        n += 1
except OSError:
    pass
print(n)
"""


@pytest.fixture
def cgroups():
    try:
        return pids.available()
    except pids.Unavailable as error:
        if os.geteuid() == 0:
            skip_or_fail(f"no pids cgroup can be made here: {error}")
        pytest.skip(f"no pids cgroup for this user: {error}")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def dead_pid():
    """A pid no process has any more: the grader that made a group, killed."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_fork_bomb_stops_at_the_cap_and_dies_with_its_group(cgroups, tmp_path):
    cap = pids.ProcessCap.create(20)
    try:
        with open(tmp_path / "out", "w") as out:   # not a pipe: the sleepers would hold it open
            subprocess.run(cap.command([sys.executable, "-c", FORK_UNTIL_REFUSED]), stdout=out, timeout=60)
        forked = int((tmp_path / "out").read_text())
        assert 0 < forked < 20           # the python process itself counts too
        members = cap._pids()
        assert len(members) == forked    # the sleepers outlived their parent, in the group
        assert cap.refused() >= 1
    finally:
        killed = cap.close()
    assert killed == forked
    assert not cap.path.exists()
    time.sleep(0.1)
    assert not [pid for pid in members if alive(pid)]


def test_a_member_that_exits_by_itself_at_close_is_not_reported_as_killed(cgroups):
    """A kernel just shut down is still exiting for a moment: closing its group must
    not report it as a process the kernel left running (nor kill it)."""
    cap = pids.ProcessCap.create(10)
    exiting = subprocess.Popen(cap.command(["sleep", "0.3"]))
    try:
        deadline = time.monotonic() + 10
        while not cap._pids() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cap._pids() == [exiting.pid]
        killed = cap.close()
    finally:
        if exiting.poll() is None:
            exiting.kill()
    assert killed == 0
    assert exiting.wait(timeout=10) == 0      # it ended by itself, not by SIGKILL
    assert not cap.path.exists()


def test_groups_left_by_a_dead_grader_are_swept(cgroups, monkeypatch):
    _, base = cgroups
    stale = pids.ProcessCap(base / f"{pids.GROUP_PREFIX}{dead_pid()}-0-test", None)
    stale.path.mkdir()
    sleeper = subprocess.Popen(stale.command(["sleep", "600"]))
    try:
        deadline = time.monotonic() + 10
        while not stale._pids() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stale._pids() == [sleeper.pid]
        monkeypatch.setattr(pids, "_swept", [])
        fresh = pids.ProcessCap.create(10)
        fresh.close()
        assert not stale.path.exists()
        assert sleeper.wait(timeout=10) == -9
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        if stale.path.exists():
            stale.close()


# --- the pieces, on folders and processes made here (no cgroup needed) ----------------------

def test_a_group_folder_is_found_below_its_mount():
    assert pids._below("/sys/fs/cgroup", "/", "/system.slice/x") == Path("/sys/fs/cgroup/system.slice/x")
    assert pids._below("/sys/fs/cgroup", "/docker/abc", "/docker/abc/inner") == Path("/sys/fs/cgroup/inner")
    assert pids._below("/sys/fs/cgroup", "/docker/abc", "/docker/abc") == Path("/sys/fs/cgroup")
    assert pids._below("/sys/fs/cgroup", "/docker/abc", "/docker/abcdef") is None
    assert pids._below("/sys/fs/cgroup", "/docker/abc", "/other") is None


def test_the_command_joins_the_group_then_becomes_the_kernel(tmp_path):
    (tmp_path / "cgroup.procs").write_text("")
    cap = pids.ProcessCap(tmp_path, 5)
    command = cap.command(["sh", "-c", "echo $$"])
    assert command == ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(tmp_path / "cgroup.procs"),
                       "sh", "-c", "echo $$"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    joined = (tmp_path / "cgroup.procs").read_text().strip()
    assert done.stdout.strip() == joined and joined.isdigit()     # the same process, before it ran


def test_what_the_group_says_is_read_and_missing_files_are_zero(tmp_path):
    cap = pids.ProcessCap(tmp_path, 5)
    assert (cap._pids(), cap.refused(), cap.peak()) == ([], 0, None)
    (tmp_path / "cgroup.procs").write_text("12\n345\n")
    (tmp_path / "pids.events").write_text("max 7\n")
    (tmp_path / "pids.peak").write_text("19\n")
    assert (cap._pids(), cap.refused(), cap.peak()) == ([12, 345], 7, 19)
    (tmp_path / "pids.events").write_text("max_other 3\n")
    assert cap.refused() == 0


def test_running_means_alive_and_not_a_zombie():
    assert pids._running(os.getpid())
    zombie = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while pids._running(zombie.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert alive(zombie.pid) is False and os.path.exists(f"/proc/{zombie.pid}")   # exited, not reaped
    assert not pids._running(zombie.pid)
    zombie.wait()
    assert not pids._running(zombie.pid)


def test_a_process_outside_the_group_is_never_killed(tmp_path):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        cap = pids.ProcessCap(tmp_path / "gc-kernel-1-0-x", 5)
        cap.path.mkdir()
        assert cap._kill_member(sleeper.pid) is False       # its /proc/<pid>/cgroup names another group
        assert sleeper.poll() is None
        (cap.path / "cgroup.procs").write_text(f"{sleeper.pid}\n")   # a stale listing: still not ours
        assert cap.kill(timeout=0.2) == 0 and sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_closing_removes_the_group_once(tmp_path):
    cap = pids.ProcessCap(tmp_path / "gc-kernel-1-0-x", 5)
    cap.path.mkdir()
    assert cap.close() == 0
    assert not cap.path.exists() and cap.closed
    assert (cap.refused_at_close, cap.peak_at_close) == (0, None)
    assert cap.close() == 0                                   # again: nothing to do


def test_a_second_close_keeps_what_the_first_read(tmp_path, monkeypatch):
    monkeypatch.setattr(pids.time, "sleep", lambda seconds: None)
    cap = pids.ProcessCap(tmp_path / "gc-kernel-1-0-x", 5)
    cap.path.mkdir()
    (cap.path / "pids.events").write_text("max 2\n")
    (cap.path / "pids.peak").write_text("5\n")
    cap.close()          # (a plain folder with files cannot be removed: it gives up, closed all the same)
    assert (cap.closed, cap.refused_at_close, cap.peak_at_close) == (True, 2, 5)
    for name in ("pids.events", "pids.peak"):
        (cap.path / name).unlink()
    cap.close()          # the kernel manager and the grader's report both close it
    assert (cap.refused_at_close, cap.peak_at_close) == (2, 5)
    assert cap.path.exists()                                 # nothing tried again


def test_only_the_groups_of_graders_that_are_gone_are_swept(tmp_path):
    gone, here = tmp_path / f"gc-kernel-{dead_pid()}-0-a", tmp_path / f"gc-kernel-{os.getpid()}-0-b"
    other, probe = tmp_path / "gc-kernel-probe-1-c", tmp_path / "someone-else-1"
    for folder in (gone, here, other, probe):
        folder.mkdir()
    pids.sweep_stale(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([here.name, other.name, probe.name])


@pytest.fixture
def fresh_availability():
    pids.available.cache_clear()
    yield
    pids.available.cache_clear()


def test_unavailable_says_why_for_every_place_it_tried(fresh_availability, monkeypatch):
    monkeypatch.setattr(pids, "_candidates", lambda: [])
    with pytest.raises(pids.Unavailable, match="^no cgroup file system with the pids controller is mounted$"):
        pids.available()
    pids.available.cache_clear()
    monkeypatch.setattr(pids, "_candidates", lambda: [("v2", Path("/a")), ("v1", Path("/b"))])
    monkeypatch.setattr(pids, "_usable", lambda version, base: f"{base}: cannot make a group (Read-only)")
    with pytest.raises(pids.Unavailable) as why:
        pids.available()
    assert str(why.value) == ("cgroup v2: /a: cannot make a group (Read-only); "
                              "cgroup v1: /b: cannot make a group (Read-only)")


def test_the_first_usable_place_is_taken(fresh_availability, monkeypatch):
    monkeypatch.setattr(pids, "_candidates", lambda: [("v2", Path("/a")), ("v1", Path("/b"))])
    monkeypatch.setattr(pids, "_usable", lambda version, base: None if version == "v1" else "no")
    assert pids.available() == ("v1", Path("/b"))


def test_a_v2_folder_without_the_pids_controller_is_not_usable(tmp_path):
    (tmp_path / "cgroup.subtree_control").write_text("cpu memory\n")
    (tmp_path / "cgroup.controllers").write_text("cpu memory io\n")
    assert pids._usable("v2", tmp_path) == f"{tmp_path}: the pids controller is not available there"


def test_a_v2_folder_gets_the_controller_enabled_then_a_probe_group(tmp_path):
    (tmp_path / "cgroup.subtree_control").write_text("cpu\n")
    (tmp_path / "cgroup.controllers").write_text("cpu pids\n")
    # a plain folder: the probe group is made, but has no pids.max (a real one would)
    assert pids._usable("v2", tmp_path) == f"{tmp_path}: a new group has no pids.max"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+pids"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cgroup.controllers", "cgroup.subtree_control"]
