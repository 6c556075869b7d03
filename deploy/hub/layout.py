"""Where a local course hub keeps everything, and who its users are.

One folder (``root``) holds all that ``make hub`` creates apart from the Unix
accounts themselves, so that ``make hub-clean`` can remove it in one go::

    root/                 root, 755: every user must be able to pass through
      venv/               root, 755: the Python every server runs (Debian's python3; may live elsewhere)
      exchange/           root, 1777: nbgrader's exchange (students write, never list)
        gradient-checking/    the instructor's, 755, made before anyone else can take the name
      home/<user>/        each user's own home, 700
        gc-instructor/gradient-checking/   the course directory, the instructor's, 700
      runtime/            root, 700: the hub's database, cookie secret, logs, settings

The test starts the same hub in a folder of its own, on free ports, with
other user names, so it never meets a ``make hub`` that is running.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from course_constants import COURSE_ID

HERE = Path(__file__).resolve().parent
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"


@dataclass(frozen=True)
class HubLayout:
    root: Path = Path("/srv/gradient-checking-hub")
    port: int = 8000
    prefix: str = "gc-"
    students: int = 3
    # Ports the hub uses inside the machine (its API for the servers, the proxy's API).
    hub_port: int = 8081
    proxy_api_port: int = 8001
    # The hub's Python environment: in the root folder unless given (the test keeps one
    # between runs, as a cache; it is rebuilt whenever the requirements change).
    venv_dir: Path = None
    passwords: dict = field(default_factory=dict, compare=False)

    @property
    def venv(self):
        return Path(self.venv_dir) if self.venv_dir else self.root / "venv"

    @property
    def python(self):
        return self.venv / "bin" / "python"

    @property
    def exchange(self):
        return self.root / "exchange"

    @property
    def homes(self):
        return self.root / "home"

    @property
    def runtime(self):
        return self.root / "runtime"

    @property
    def settings_file(self):
        return self.runtime / "settings.json"

    @property
    def instructor(self):
        return f"{self.prefix}instructor"

    @property
    def student_names(self):
        return [f"{self.prefix}student{n}" for n in range(1, self.students + 1)]

    @property
    def users(self):
        return [self.instructor, *self.student_names]

    def home(self, user):
        return self.homes / user

    @property
    def course(self):
        return self.home(self.instructor) / COURSE_ID

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def marker(self):
        """The comment (GECOS field) of every account this hub creates: clean-up
        removes only accounts that carry it, never one it did not make."""
        return f"gradient-checking hub {self.root}"

    def settings(self):
        """What ``jupyterhub_config.py`` reads: this layout as plain JSON."""
        return {
            "port": self.port, "hub_port": self.hub_port, "proxy_api_port": self.proxy_api_port,
            "venv": str(self.venv), "runtime": str(self.runtime), "proxy": str(PROXY),
            "instructor": self.instructor, "students": self.student_names,
            "passwords": self.passwords,
        }

    def write_settings(self):
        self.settings_file.write_text(json.dumps(self.settings(), indent=2))
        self.settings_file.chmod(0o600)
