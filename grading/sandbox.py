"""The bubblewrap sandbox the grading kernel runs in.

Student code runs with the grader's rights under plain nbgrader: it can read
``source/`` (solutions, hidden tests), rewrite ``gradebook.db`` and delete
other students' folders.  Here the kernel is started by ``bwrap`` (Debian
package ``bubblewrap``) in fresh namespaces where the file system holds only:

* the system (``/usr`` and its ``/bin``, ``/lib`` links), the Python
  installation and the virtual environment, read-only;
* the kernel's working folder, at the path of the notebook's autograded folder:
  a size-capped tmpfs (``workdir_bytes``) that starts with a copy of the files
  nbgrader put there, except the notebooks (``seed``: bound read-only at
  ``SEED_DIR``, copied in by ``kernel_guard.py`` before any student code runs).
  What the kernel writes stays in memory and is gone when it stops: the
  autograded folder on disk is never written by student code, so no file, link
  or byte the kernel makes reaches it, and the notebook being graded (with its
  hidden tests, put back by nbgrader) is not there to be read;
* a private folder for its sockets and connection file, at ``SOCKETS_DIR``:
  the kernel talks to the grader over ZeroMQ IPC (Unix sockets), because
  ``--unshare-net`` leaves it no network, not even the host's loopback;
* an empty, size-capped ``/tmp`` and ``/dev/shm``; everything else (``/``,
  ``/dev``) is read-only, so there is nothing else to fill.

No ``source/``, no gradebook, no other student, no home folder, no network,
no capabilities.  Where bwrap cannot run (not Linux, no user namespaces,
package missing), ``available()`` says why and grading goes on unsandboxed.
"""

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/sbin")
# Files under /etc that Python, numpy and matplotlib read; the rest of /etc stays out.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/alternatives",
             "/etc/fonts", "/etc/matplotlibrc", "/etc/mime.types", "/etc/nsswitch.conf")
TMP_BYTES = 64 * 1024 * 1024
SHM_BYTES = 16 * 1024 * 1024
SEED_DIR = "/run/grading/seed"
SOCKETS_DIR = "/run/grading/sockets"
KERNEL_ENV = {
    "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
    "HOME": "/tmp", "LANG": "C.UTF-8", "MPLCONFIGDIR": "/tmp/matplotlib",
    "IPYTHONDIR": "/tmp/ipython", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
    # One BLAS thread: less virtual memory to fit under the address-space limit.
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
}


@functools.lru_cache(maxsize=None)
def available():
    """``(True, "")`` when bwrap can start a sandbox here, else ``(False, why)``."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    # Probe with what a kernel needs: this Python, importing ipykernel and numpy,
    # exactly as wrap() binds it (a venv under /tmp, say, must still be seen).
    with tempfile.TemporaryDirectory(prefix="gc-sandbox-probe-") as workdir:
        probe = wrap([sys.executable, "-c", "import ipykernel, numpy"], workdir, {})
        try:
            result = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bwrap could not start: {error}"
    if result.returncode != 0:
        return False, f"bwrap could not start a sandbox: {result.stderr.strip() or result.returncode}"
    return True, ""


def system_binds():
    """Read-only binds for the system and the Python that runs the kernel."""
    args = []
    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    for item in ETC_FILES:
        if os.path.exists(item):
            args += ["--ro-bind", item, item]
    for prefix in python_prefixes():
        args += ["--ro-bind", prefix, prefix]
    return args


def python_prefixes():
    """The virtual environment and the installation it was made from, outermost
    first so that a venv inside the installation is bound after it."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    prefixes |= {os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    return sorted(p for p in prefixes if p not in SYSTEM_DIRS and not p.startswith("/usr/"))


def wrap(command, workdir, env, readonly_files=(), writable_dirs=None, seed=None, workdir_bytes=None):
    """``command`` run inside the sandbox, with ``workdir`` as its cwd.

    With ``seed`` (host paths), the cwd is a tmpfs of ``workdir_bytes`` and the
    paths are bound read-only in ``SEED_DIR`` for ``kernel_guard.py`` to copy in;
    without, ``workdir`` itself is bound read-write (the availability probe).
    The environment is cleared and only ``env`` is set: the grader's own
    variables (tokens, paths of the course) are none of the kernel's business.
    """
    workdir = os.path.realpath(workdir)
    # The empty /tmp comes first: what is bound after it (a venv or a course that
    # lives under /tmp) is laid over it instead of being hidden by it.
    args = [shutil.which("bwrap"), "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
            *system_binds(), "--dev", "/dev", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
            "--proc", "/proc"]
    if seed is None:
        args += ["--bind", workdir, workdir]
    else:
        args += ["--size", str(workdir_bytes or TMP_BYTES), "--tmpfs", workdir]
        for path in seed:
            args += ["--ro-bind", path, f"{SEED_DIR}/{os.path.basename(path)}"]
        env = {**env, "GC_GRADER_SEED": SEED_DIR}
    for folder, inside in (writable_dirs or {}).items():   # host path -> path in the sandbox
        args += ["--bind", folder, inside]
    for item in readonly_files:
        args += ["--ro-bind", item, item]
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", workdir, "--clearenv"]
    for name, value in {**KERNEL_ENV, **env}.items():
        args += ["--setenv", name, value]
    args += ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--"]
    return [*args, *command]
