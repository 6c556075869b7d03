"""The software of the hub: the proxy from npm, a Python every user can run, bubblewrap.

* ``configurable-http-proxy`` is installed by ``npm ci`` into
  ``deploy/hub/node_modules`` at the version ``package-lock.json`` pins; Node
  and npm come from Debian's packages when the machine has none.
* The servers run as the students, so their Python must be readable by
  everyone.  The kit's ``.venv`` may not be: it is often made from a Python in
  root's home (pyenv), and a student cannot even start it.  The hub gets a
  virtual environment of its own from Debian's ``/usr/bin/python3``, in its
  root folder, with exactly what ``deploy/hub/requirements-lock.txt`` pins (the
  course's ``requirements.txt`` and JupyterHub, resolved by ``make lock``), every
  file checked against its hash.
"""

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

from deploy.hub.layout import HERE, PROXY
from deploy.system import apt_install

SYSTEM_PYTHON = Path("/usr/bin/python3")
#: The hub's lock: every package of its environment, pip included, with hashes.
REQUIREMENTS = (HERE / "requirements-lock.txt",)


class SetupError(RuntimeError):
    """Something the hub needs could not be had; the message says what to do."""


def run(command, what, **kwargs):
    """Run ``command``; on failure raise ``SetupError`` with the tail of its output."""
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SetupError(f"{what} failed (`{' '.join(map(str, command))}` exited {done.returncode}):\n{tail}")
    return done


def ensure_proxy():
    """``deploy/hub/node_modules/.bin/configurable-http-proxy``, installed if missing or stale."""
    lock = HERE / "package-lock.json"
    stamp = HERE / "node_modules" / ".gc-lock-sha256"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if PROXY.exists() and stamp.exists() and stamp.read_text() == wanted:
        return PROXY
    if shutil.which("npm") is None or shutil.which("node") is None:
        why = apt_install("nodejs", "npm")
        if why:
            raise SetupError(f"Node.js and npm are needed for the hub's proxy: {why}")
    run(["npm", "ci", "--no-audit", "--no-fund", "--omit=dev"], "installing configurable-http-proxy",
        cwd=HERE, timeout=900)
    run([PROXY, "--version"], "starting configurable-http-proxy (is Node.js too old?)", timeout=60)
    stamp.write_text(wanted)
    return PROXY


def ensure_bubblewrap():
    """The grading sandbox's tool (Debian package ``bubblewrap``), installed when missing."""
    if shutil.which("bwrap") is None:
        why = apt_install("bubblewrap")
        if why:
            raise SetupError(f"bubblewrap is needed for the grading sandbox: {why}")


def requirements_digest():
    digest = hashlib.sha256()
    for path in REQUIREMENTS:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv(layout):
    """The hub's virtual environment, (re)built when the requirements changed; one
    builder at a time (a lock beside it), so two hubs can share it."""
    layout.venv.parent.mkdir(parents=True, exist_ok=True)
    with open(layout.venv.parent / f".{layout.venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_venv(layout)


def _build_venv(layout):
    stamp = layout.venv / ".gc-requirements-sha256"
    wanted = requirements_digest()
    if layout.python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return layout.python
    if subprocess.run([SYSTEM_PYTHON, "-c", "import ensurepip, venv"], capture_output=True).returncode:
        why = apt_install("python3", "python3-venv")
        if why:
            raise SetupError(f"the hub's Python is Debian's {SYSTEM_PYTHON} with its venv module: {why}")
    if layout.venv.exists():
        shutil.rmtree(layout.venv)
    run([SYSTEM_PYTHON, "-m", "venv", layout.venv], "creating the hub's virtual environment", timeout=300)
    pip = [layout.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    requirements = ["--require-hashes", *(arg for path in REQUIREMENTS for arg in ("-r", path))]
    run([*pip, *requirements], "installing the course and JupyterHub into the hub's environment",
        timeout=1800)
    layout.venv.chmod(0o755)
    stamp.write_text(wanted)
    return layout.python
