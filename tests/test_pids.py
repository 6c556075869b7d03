"""``grading.pids`` on this machine's real cgroups: a cap that holds, and nothing left behind.

The adversarial suite runs fork, thread and process bombs through nbgrader; these
tests look at one group directly (no kernel), and at the groups a grader that was
killed leaves behind."""

import os
import subprocess
import sys
import time

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
