"""Debian packages the suite needs (a browser, a database, a sandbox tool), and
what to do where they cannot be had: skip with the reason, or fail in CI,
where every test must really run."""

import os
import socket
from pathlib import Path

import pytest

# One apt helper for the suite and the deployments (make hub).
from deploy.system import apt_install  # noqa: F401 -- re-exported for the tests

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason):
    """Skip with ``reason``; in CI (``CI=true``) fail with it instead."""
    if IN_CI:
        pytest.fail(f"this test must run in CI: {reason}")
    pytest.skip(reason)


def free_port():
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: A virtual environment with the course's requirements (and the hub's) that every
#: Unix user can start, made from Debian's python3. The kit's own .venv often cannot
#: be: it comes from a Python in root's private home (pyenv). Kept between runs as a
#: cache (a minute of pip), rebuilt when a requirement changes.
SHARED_VENV = Path("/var/cache/gradient-checking-hub/venv")


def python_every_user_can_run():
    """The Python of ``SHARED_VENV``, built when missing or stale; raises
    ``deploy.hub.install.SetupError`` saying why when it cannot be."""
    from deploy.hub.install import ensure_venv
    from deploy.hub.layout import HubLayout

    return ensure_venv(HubLayout(venv_dir=SHARED_VENV))


#: Debian's Noto CJK fonts: the Chinese and Korean figures are drawn with them, and
#: the browser shows the translated notebooks with them.
CJK_FONT_PACKAGE = "fonts-noto-cjk"
CJK_FONT_FILE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def ensure_cjk_fonts():
    """Install Debian's Noto CJK fonts when missing: None when they are there, else why not."""
    if os.path.exists(CJK_FONT_FILE):
        return None
    why = apt_install(CJK_FONT_PACKAGE)
    if why is None and not os.path.exists(CJK_FONT_FILE):
        why = f"apt-get installed {CJK_FONT_PACKAGE} but {CJK_FONT_FILE} is not there"
    return why
