"""``grading.sandbox``: the bubblewrap command a kernel runs in, option by option (no bwrap
needed to build it), what ``available()`` answers, and, where bubblewrap is installed, what
a process inside really sees."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading import sandbox

BWRAP = "/usr/bin/bwrap"
_which = shutil.which


@pytest.fixture
def bwrap(monkeypatch):
    """``shutil.which`` finds bwrap (at BWRAP) whether or not it is installed."""
    def which(name, *args, **kwargs):
        return BWRAP if name == "bwrap" else _which(name, *args, **kwargs)
    monkeypatch.setattr(sandbox.shutil, "which", which)


@pytest.fixture
def fresh_probe():
    sandbox.available.cache_clear()
    yield
    sandbox.available.cache_clear()


def pairs(args, option, width=2):
    """The operands of every ``option`` in ``args`` (``width`` of them each)."""
    return [tuple(args[i + 1:i + 1 + width]) for i, arg in enumerate(args) if arg == option]


def where(args, *sequence):
    """Where ``sequence`` starts in ``args`` (ValueError when it is not there)."""
    for i in range(len(args)):
        if tuple(args[i:i + len(sequence)]) == sequence:
            return i
    raise ValueError(f"{sequence} not in {args}")


# --- the command ---------------------------------------------------------------------------

def test_the_command_comes_last_after_the_isolation_options(bwrap, tmp_path):
    args = sandbox.wrap(["python", "-c", "pass"], tmp_path, {})
    assert args[0] == BWRAP
    assert args[-4:] == ["--", "python", "-c", "pass"]
    tail = args[where(args, "--unshare-all"):]
    assert tail == ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--",
                    "python", "-c", "pass"]


def test_an_empty_tmp_comes_first_then_the_system_dev_shm_and_proc(bwrap, tmp_path):
    args = sandbox.wrap(["true"], tmp_path, {})
    assert args[1:5] == ["--size", str(64 * 1024 ** 2), "--tmpfs", "/tmp"]
    system = sandbox.system_binds()
    assert args[5:5 + len(system)] == system
    assert args[5 + len(system):5 + len(system) + 8] == [
        "--dev", "/dev", "--size", str(16 * 1024 ** 2), "--tmpfs", "/dev/shm", "--proc", "/proc"]


def test_the_environment_is_cleared_and_only_the_kernels_is_set(bwrap, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "hunter2")
    args = sandbox.wrap(["true"], tmp_path, {"GC_GRADER_LIMIT_AS": "1024", "HOME": "/elsewhere"})
    assert "hunter2" not in args and "GRADER_SECRET_TOKEN" not in args
    clear = args.index("--clearenv")
    assert all(i > clear for i, arg in enumerate(args) if arg == "--setenv")
    assert dict(pairs(args, "--setenv")) == {**sandbox.KERNEL_ENV, "GC_GRADER_LIMIT_AS": "1024",
                                             "HOME": "/elsewhere"}


def test_the_kernels_environment_is_plain_and_single_threaded():
    assert sandbox.KERNEL_ENV["HOME"] == "/tmp" and sandbox.KERNEL_ENV["LANG"] == "C.UTF-8"
    assert {sandbox.KERNEL_ENV[name] for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                   "MKL_NUM_THREADS")} == {"1"}
    assert sandbox.KERNEL_ENV["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)


def test_without_seed_the_working_folder_is_bound_read_write(bwrap, tmp_path):
    args = sandbox.wrap(["true"], tmp_path, {})
    assert ("--bind", str(tmp_path), str(tmp_path)) in [tuple(args[i:i + 3]) for i in range(len(args))]
    assert (str(tmp_path),) not in pairs(args, "--tmpfs", 1)
    assert pairs(args, "--chdir", 1) == [(str(tmp_path),)]
    assert "GC_GRADER_SEED" not in dict(pairs(args, "--setenv"))


def test_with_a_seed_the_working_folder_is_a_capped_tmpfs_and_the_files_come_read_only(bwrap, tmp_path):
    workdir = tmp_path / "autograded" / "alice" / "a"
    workdir.mkdir(parents=True)
    seed = [str(workdir / "data.csv"), str(workdir / "images")]
    args = sandbox.wrap(["true"], workdir, {}, seed=seed, workdir_bytes=128 * 1024 ** 2)
    where(args, "--size", str(128 * 1024 ** 2), "--tmpfs", str(workdir))
    assert pairs(args, "--bind", 2) == []          # nothing of the host is writable
    binds = pairs(args, "--ro-bind")
    assert (seed[0], "/run/grading/seed/data.csv") in binds
    assert (seed[1], "/run/grading/seed/images") in binds
    assert dict(pairs(args, "--setenv"))["GC_GRADER_SEED"] == "/run/grading/seed" == sandbox.SEED_DIR


def test_a_seeded_folder_without_a_size_gets_the_size_of_tmp(bwrap, tmp_path):
    args = sandbox.wrap(["true"], tmp_path, {}, seed=[])
    where(args, "--size", str(sandbox.TMP_BYTES), "--tmpfs", str(tmp_path))


def test_extra_folders_and_files_are_bound_and_then_everything_is_read_only(bwrap, tmp_path):
    private = tmp_path / "private"
    args = sandbox.wrap(["true"], tmp_path, {}, readonly_files=["/opt/guard.py"],
                        writable_dirs={str(private): sandbox.SOCKETS_DIR}, seed=[])
    where(args, "--bind", str(private), "/run/grading/sockets")
    where(args, "--ro-bind", "/opt/guard.py", "/opt/guard.py")
    remount = where(args, "--remount-ro", "/dev", "--remount-ro", "/")
    mounts = [i for i, arg in enumerate(args) if arg in ("--bind", "--ro-bind", "--tmpfs", "--symlink")]
    assert max(mounts) < remount < args.index("--chdir") < args.index("--clearenv")


def test_the_working_folder_is_named_by_its_real_path(bwrap, tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink("real", tmp_path / "linked")
    args = sandbox.wrap(["true"], tmp_path / "linked", {})
    assert pairs(args, "--chdir", 1) == [(str(tmp_path / "real"),)]


def test_system_binds_link_links_bind_folders_and_skip_what_is_missing(tmp_path, monkeypatch):
    (tmp_path / "usr").mkdir()
    os.symlink("usr", tmp_path / "bin")
    (tmp_path / "etc.conf").write_text("")
    monkeypatch.setattr(sandbox, "SYSTEM_DIRS", (str(tmp_path / "usr"), str(tmp_path / "bin"),
                                                 str(tmp_path / "lib32")))
    monkeypatch.setattr(sandbox, "ETC_FILES", (str(tmp_path / "etc.conf"), str(tmp_path / "no.conf")))
    monkeypatch.setattr(sandbox, "python_prefixes", lambda: ["/opt/python", "/srv/venv"])
    assert sandbox.system_binds() == [
        "--ro-bind", str(tmp_path / "usr"), str(tmp_path / "usr"),
        "--symlink", "usr", str(tmp_path / "bin"),
        "--ro-bind", str(tmp_path / "etc.conf"), str(tmp_path / "etc.conf"),
        "--ro-bind", "/opt/python", "/opt/python", "--ro-bind", "/srv/venv", "/srv/venv"]


def test_the_real_system_folders_and_etc_files(bwrap):
    binds = sandbox.system_binds()
    assert where(binds, "--ro-bind", "/usr", "/usr") == 0
    for folder in ("/bin", "/lib", "/sbin"):
        if os.path.islink(folder):
            where(binds, "--symlink", os.readlink(folder), folder)
    assert "/etc/passwd" not in binds and "/etc/shadow" not in binds and "/etc" not in binds


def test_python_prefixes_are_the_venv_and_its_installation_outside_usr(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(sys, "exec_prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(sys, "base_prefix", "/usr/local")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python" / "bin" / "python3"))
    assert sandbox.python_prefixes() == [str(tmp_path / "python"), str(tmp_path / "venv")]
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "executable", "/usr/bin/python3")
    assert sandbox.python_prefixes() == [str(tmp_path / "venv")]


# --- available() ---------------------------------------------------------------------------

def test_not_linux_is_not_available(fresh_probe, monkeypatch):
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    assert sandbox.available() == (False, "bubblewrap needs Linux (this is darwin)")


def test_no_bwrap_is_not_available(fresh_probe, monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name, *args, **kwargs: None)
    assert sandbox.available() == (
        False, "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")


@pytest.mark.parametrize("outcome, answer", [
    (subprocess.CompletedProcess([], 0, "", ""), (True, "")),
    (subprocess.CompletedProcess([], 1, "", "bwrap: No permissions to creating new namespace\n"),
     (False, "bwrap could not start a sandbox: bwrap: No permissions to creating new namespace")),
    (subprocess.CompletedProcess([], 3, "", ""), (False, "bwrap could not start a sandbox: 3")),
    (OSError("Exec format error"), (False, "bwrap could not start: Exec format error")),
    (subprocess.TimeoutExpired("bwrap", 60), (False, "bwrap could not start: Command 'bwrap' timed out after "
                                                     "60 seconds")),
], ids=["starts", "refused", "silent-failure", "not-executable", "hangs"])
def test_available_probes_with_a_kernels_python(fresh_probe, bwrap, monkeypatch, outcome, answer):
    probes = []

    def run(command, **kwargs):
        probes.append((command, kwargs))
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
    monkeypatch.setattr(sandbox.subprocess, "run", run)
    assert sandbox.available() == answer
    assert sandbox.available() == answer and len(probes) == 1       # asked once per process
    (command, kwargs), = probes
    assert command[0] == BWRAP and command[-4:] == ["--", sys.executable, "-c", "import ipykernel, numpy"]
    assert kwargs == {"capture_output": True, "text": True, "timeout": 60}


# --- inside the sandbox, where bubblewrap is installed --------------------------------------

INSIDE = r"""
echo "tmp:[$(ls -A /tmp | LC_ALL=C sort | paste -sd, -)]"
echo "seed:$(cat /run/grading/seed/data.csv)"
echo "home:$HOME lang:$LANG extra:$GC_EXTRA secret:[${GRADER_SECRET_TOKEN:-}]"
echo written > made_inside.txt && echo "write:ok"
head -c 3000000 /dev/zero > big.bin 2>/dev/null || echo "disk:capped"
touch /usr/made_inside 2>/dev/null || echo "usr:read-only"
test -e "$OUTSIDE" || echo "outside:hidden"
"""


def test_a_process_in_the_sandbox_sees_only_what_it_is_given(tmp_path, monkeypatch):
    if shutil.which("bwrap") is None:
        pytest.skip("bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap): "
                    "the sandbox itself is not run here")
    # (not sandbox.available(): its probe needs this Python inside, which a venv reached
    # through a link is not; a shell is enough here)
    probe = subprocess.run(sandbox.wrap(["/bin/true"], tmp_path, {}), capture_output=True, text=True)
    if probe.returncode:
        pytest.skip(f"bwrap cannot start a sandbox here: {probe.stderr.strip() or probe.returncode}")
    workdir = tmp_path / "autograded" / "alice" / "a"
    workdir.mkdir(parents=True)
    (workdir / "data.csv").write_text("1,2")
    (tmp_path / "secret.txt").write_text("the instructor's\n")
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "hunter2")
    command = sandbox.wrap(["/bin/sh", "-c", INSIDE], workdir,
                           {"GC_EXTRA": "given", "OUTSIDE": str(tmp_path / "secret.txt")},
                           seed=[str(workdir / "data.csv")], workdir_bytes=1024 ** 2)
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # /tmp holds nothing but the way to what is bound: the working folder and the Python
    # running the kernel, where they lie below /tmp (a fresh clone's venv may).
    bound = [os.path.realpath(workdir), *sandbox.python_prefixes()]
    inside_tmp = sorted({Path(path).relative_to("/tmp").parts[0]
                         for path in bound if path.startswith("/tmp/")})
    assert done.stdout.splitlines() == [
        f"tmp:[{','.join(inside_tmp)}]", "seed:1,2", "home:/tmp lang:C.UTF-8 extra:given secret:[]",
        "write:ok", "disk:capped", "usr:read-only", "outside:hidden"]
    assert sorted(os.listdir(workdir)) == ["data.csv"]      # what it wrote stayed in its tmpfs
