"""Bringing the course hub up and down: ``make hub``, ``make hub-clean`` and the test all go through here.

``prepare`` installs and creates everything (see ``accounts`` and ``install``),
``CourseHub`` runs JupyterHub as root (it starts the proxy, and each person's
server as that person), and ``clean`` removes what ``prepare`` made.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from deploy.hub import accounts, install
from deploy.hub.layout import HERE

CONFIG = HERE / "jupyterhub_config.py"


def check_host(layout):
    """Refuse early, with what to do, where the hub cannot work."""
    if not sys.platform.startswith("linux"):
        raise install.SetupError("the course hub needs Linux (real Unix users and bubblewrap)")
    if os.geteuid() != 0:
        raise install.SetupError("the course hub creates Unix users and runs JupyterHub as root: "
                                 "run it as root")
    for tool in ("useradd", "userdel"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            raise install.SetupError(f"`{tool}` is missing (Debian package `passwd`)")
    # Every user passes through the root folder to their home and the exchange, and runs the venv.
    for place in (layout.root, layout.venv):
        for folder in reversed(Path(place).resolve().parents):
            if not folder.exists():
                break  # made here, searchable (mode 755)
            mode = folder.stat().st_mode
            if not mode & 0o001:
                raise install.SetupError(
                    f"{folder} is not searchable by other users (mode {oct(mode & 0o777)}), so the "
                    f"students could not reach {place}: choose another --root, e.g. under /srv")


def prepare(layout, say=print):
    """Install the hub's software and create its users, course and exchange. Returns a list
    of warnings (empty when all is well)."""
    check_host(layout)
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o755)
    say("installing configurable-http-proxy (npm) and bubblewrap (Debian) if missing ...")
    install.ensure_proxy()
    install.ensure_bubblewrap()
    say(f"building the hub's Python environment in {layout.venv} (the first time takes a minute) ...")
    install.ensure_venv(layout)
    say(f"creating the accounts {', '.join(layout.users)} ...")
    accounts.create_accounts(layout)
    accounts.create_exchange(layout)
    say(f"copying the course to {layout.course} and generating the student version ...")
    accounts.create_course(layout)
    accounts.write_jupyter_settings(layout)
    layout.runtime.mkdir(exist_ok=True)
    layout.runtime.chmod(0o700)
    layout.write_settings()
    warnings = []
    problem = accounts.sandbox_problem(layout)
    if problem:
        warnings.append(
            "*** THE GRADING SANDBOX CANNOT START AS THE INSTRUCTOR: " + problem + ". On this hub "
            "grading refuses to run (GC_GRADING_SANDBOX=required) rather than run student code "
            "with the instructor's rights; see docs/jupyterhub.md. ***")
    return warnings


class CourseHub:
    """JupyterHub for ``layout``, as a context manager: up (its API answers) on entry,
    stopped with everything it started on exit."""

    def __init__(self, layout):
        self.layout = layout
        self.process = None
        self.log_path = layout.runtime / "jupyterhub.log"

    def start(self, timeout=120):
        env = {key: value for key, value in os.environ.items() if key in ("LANG", "LC_ALL", "TZ")}
        env.update(PATH=os.pathsep.join([str(self.layout.venv / "bin"), "/usr/local/bin", "/usr/bin",
                                         "/bin", "/usr/sbin", "/sbin"]),
                   GC_HUB_SETTINGS=str(self.layout.settings_file))
        self._log = open(self.log_path, "a")  # noqa: SIM115 -- closed in stop()
        # A session of its own: Ctrl-C in the terminal reaches the launcher, which stops
        # JupyterHub in order (servers, then proxy) instead of killing it mid-way.
        self.process = subprocess.Popen(
            [self.layout.python, "-m", "jupyterhub", "-f", str(CONFIG)], cwd=self.layout.runtime,
            env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        try:
            self._wait_until_up(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self, timeout):
        deadline = time.monotonic() + timeout
        url = f"{self.layout.url}/hub/api/"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise install.SetupError(
                    f"JupyterHub exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise install.SetupError(f"JupyterHub did not answer {url} within {timeout} s:\n{self.log()[-4000:]}")

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout=30):
        """SIGTERM to JupyterHub (it stops the servers and the proxy), then make sure:
        the proxy by its pid file, every process of the hub's accounts."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        stop_proxy(self.layout)
        for user in self.layout.users:
            if accounts.ours(self.layout, user):
                accounts.kill_processes_of(accounts.account(user).pw_uid)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def stop_proxy(layout):
    """The proxy JupyterHub started, if it outlived it (its pid is in the runtime folder)."""
    pid_file = layout.runtime / "proxy.pid"
    if not pid_file.is_file():
        return
    try:
        pid = int(pid_file.read_text().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            is_proxy = b"configurable-http-proxy" in handle.read()
        if is_proxy:
            os.kill(pid, signal.SIGTERM)
    except (ValueError, FileNotFoundError, ProcessLookupError):
        pass
    pid_file.unlink(missing_ok=True)


def clean(layout, say=print):
    """Remove everything ``prepare`` made: processes, accounts, and the root folder."""
    stop_proxy(layout)
    say(f"removing the accounts {', '.join(u for u in layout.users if accounts.ours(layout, u)) or '(none)'}")
    accounts.remove_accounts(layout)
    say(f"removing {layout.root}")
    accounts.remove_tree(layout.root)
