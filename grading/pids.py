"""A cap on the processes and threads of one grading kernel: a pids cgroup of its own.

``RLIMIT_NPROC`` alone cannot do it: Linux does not enforce it for uid 0 (grading
runs as root in CI and in containers), and it counts every process of the user,
so parallel workers, and the instructor's own session, would share one cap.  A
pids cgroup counts exactly the kernel and everything it starts, threads
included, whoever runs it; when the kernel is shut down or replaced, everything
still in the group is killed, so a fork bomb leaves nothing behind.

The grader makes one group per kernel below its own cgroup, in the cgroup v2
hierarchy when the pids controller is enabled there, else in the v1 pids
hierarchy; ``available()`` says why neither can be used (not root and nothing
delegated, a read-only ``/sys/fs/cgroup`` in a container...).  The kernel's
command joins the group before it starts (``command``), so no process of the
kernel ever runs outside it.

Where no group can be made, ``grading.preprocessors.execute`` falls back to
``RLIMIT_NPROC`` inside the sandbox's own user namespace, which bubblewrap gives
a grader that is not root: Linux counts that limit per user namespace, so each
kernel gets its own cap (measured: two sandboxes at once, 30 each, 28 forks each).
"""

import functools
import itertools
import os
import signal
import time
import uuid
from pathlib import Path

GROUP_PREFIX = "gc-kernel-"
_counter = itertools.count()
_swept = []


class Unavailable(Exception):
    """No pids cgroup can be made here; the message says why."""


def _mounts():
    """``(mount point, mount root, fstype, super options)`` of every cgroup file system."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            dash = fields.index("-")
            fstype, options = fields[dash + 1], fields[dash + 3] if len(fields) > dash + 3 else ""
            if fstype in ("cgroup", "cgroup2"):
                found.append((fields[4], fields[3], fstype, options.split(",")))
    return found


def _own_groups():
    """``{controller or "" for v2: path of this process's cgroup}``."""
    groups = {}
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                groups[controller] = path
    return groups


def _below(mount_point, mount_root, path):
    if not (path + "/").startswith(mount_root.rstrip("/") + "/"):
        return None
    return Path(mount_point) / path[len(mount_root.rstrip("/")):].lstrip("/")


def _candidates():
    """Folders where a pids group could be made: v2 first, then v1."""
    mounts, groups = _mounts(), _own_groups()
    places = []
    for point, root, fstype, _ in mounts:
        if fstype == "cgroup2" and "" in groups:
            base = _below(point, root, groups[""])
            if base is not None:
                places.append(("v2", base))
    for point, root, fstype, options in mounts:
        if fstype == "cgroup" and "pids" in options and "pids" in groups:
            base = _below(point, root, groups["pids"])
            if base is not None:
                places.append(("v1", base))
    return places


def _usable(version, base):
    """None if a child group with a pids limit can be made in ``base``, else why not."""
    if version == "v2":
        control = base / "cgroup.subtree_control"
        try:
            if "pids" not in control.read_text().split():
                if "pids" not in (base / "cgroup.controllers").read_text().split():
                    return f"{base}: the pids controller is not available there"
                control.write_text("+pids")
        except OSError as error:
            return f"{base}: cannot enable the pids controller ({error.strerror})"
    probe = base / f"{GROUP_PREFIX}probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
    except OSError as error:
        return f"{base}: cannot make a group ({error.strerror})"
    try:
        if not (probe / "pids.max").exists():
            return f"{base}: a new group has no pids.max"
        (probe / "pids.max").write_text("1\n")
    except OSError as error:
        return f"{base}: cannot set pids.max ({error.strerror})"
    finally:
        probe.rmdir()
    return None


@functools.lru_cache(maxsize=None)
def available():
    """``(version, folder)`` where kernel groups are made, or ``Unavailable`` with the reasons."""
    if not os.path.exists("/proc/self/cgroup"):
        raise Unavailable("no cgroups on this system")
    reasons = []
    for version, base in _candidates():
        problem = _usable(version, base)
        if problem is None:
            return version, base
        reasons.append(f"cgroup {version}: {problem}")
    raise Unavailable("; ".join(reasons) or "no cgroup file system with the pids controller is mounted")


def sweep_stale(base):
    """Remove the groups of graders that are gone (killed before they could clean
    up), killing whatever still runs in them."""
    for group in base.glob(f"{GROUP_PREFIX}*"):
        owner = group.name[len(GROUP_PREFIX):].split("-")[0]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            ProcessCap(group, None).close()


def _running(pid):
    """Whether ``pid`` is alive and not a zombie (its state in /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X", "x")
    except (OSError, IndexError):
        return False


class ProcessCap:
    """One kernel's pids group: at most ``limit`` processes and threads at once.
    The group's name starts with the grader's pid, so that a group whose grader
    died can be told from one in use (``sweep_stale``)."""

    @classmethod
    def create(cls, limit):
        _, base = available()
        if not _swept:             # once per grader: what a killed one left behind
            _swept.append(base)
            sweep_stale(base)
        path = base / f"{GROUP_PREFIX}{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        (path / "pids.max").write_text(f"{limit}\n")
        return cls(path, limit)

    def __init__(self, path, limit):
        self.path, self.limit = path, limit
        self.closed = False
        self.killed = 0              # processes killed by close()
        self.refused_at_close = 0    # forks and threads refused at the cap, read by close()
        self.peak_at_close = None

    def command(self, command):
        """``command`` started inside the group: the shell moves itself in, then
        becomes the command (same process), before anything else runs."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs"), *command]

    def _pids(self):
        try:
            return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def refused(self):
        """How many times a fork or a new thread was refused at the cap."""
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == "max":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def peak(self):
        """The most processes and threads the group held at once (None where the
        kernel does not say)."""
        try:
            return int((self.path / "pids.peak").read_text())
        except (OSError, ValueError):
            return None

    def kill(self, timeout=10.0):
        """Kill every process in the group and wait until it is empty; how many were killed."""
        kill_file = self.path / "cgroup.kill"
        killed, deadline = set(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self._pids()
            if not pids:
                return len(killed)
            if kill_file.exists():
                try:
                    kill_file.write_text("1")
                except OSError:
                    pass
            for pid in pids:
                if self._kill_member(pid):
                    killed.add(pid)
            time.sleep(0.02)
        return len(killed)

    def _living(self):
        """The members that are not already on their way out: a zombie, or a process
        that is exiting, is still listed in the group for a moment after a kernel
        shut down, and was not left running by anyone."""
        return [pid for pid in self._pids() if _running(pid)]

    def settle(self, seconds=1.0):
        """Wait, at most ``seconds``, until the group's members have exited by themselves."""
        deadline = time.monotonic() + seconds
        while self._living() and time.monotonic() < deadline:
            time.sleep(0.02)

    def _kill_member(self, pid):
        """SIGKILL ``pid`` if it is a running member of the group; whether it was."""
        # A pidfd pins the process: if the pid was reused by a process outside
        # the group after the listing, it is left alone.
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return False
        try:
            with open(f"/proc/{pid}/cgroup") as handle:
                if self.path.name not in handle.read():
                    return False
            running = _running(pid)
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            return running
        except OSError:
            return False
        finally:
            os.close(fd)

    def close(self):
        """Kill what is left and remove the group (once); how many running processes
        were killed (members still exiting after the kernel's shutdown are given a
        second to go by themselves, and are not counted)."""
        if self.closed:
            return self.killed
        self.refused_at_close, self.peak_at_close = self.refused(), self.peak()
        self.settle()
        self.killed = killed = self.kill()
        for _ in range(50):
            try:
                self.path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)   # the last processes are still exiting
        self.closed = True
        return killed
