"""Debian packages the suite needs (a browser, a database, a sandbox tool), and
what to do where they cannot be had: skip with the reason, or fail in CI,
where every test must really run."""

import glob
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

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
#: What fontconfig must answer for a Chinese and a Korean sans-serif text once the fonts
#: are in its cache: the browser asks it, and draws with DejaVu Sans when it does not know.
CJK_FAMILY = "Noto Sans CJK"


def fontconfig_finds_cjk(env=None):
    """True when fontconfig, as a program started with ``env`` sees it, picks Noto CJK
    for Chinese and for Korean."""
    for language in ("zh-cn", "ko"):
        done = subprocess.run(["fc-match", "-f", "%{family}", f"sans-serif:lang={language}"],
                              capture_output=True, text=True, env=env)
        if done.returncode or CJK_FAMILY not in done.stdout:
            return False
    return True


def refresh_font_cache(env=None):
    """Rebuild fontconfig's cache (``fc-cache -f``): a font installed after the cache was
    made is unknown to every program that starts later until this runs.  None when
    fontconfig then finds the CJK fonts, else why not."""
    if shutil.which("fc-cache") is None:
        return "fontconfig's fc-cache is missing (Debian's fontconfig package)"
    done = subprocess.run(["fc-cache", "-f"], capture_output=True, text=True, env=env, timeout=600)
    if done.returncode:
        return f"`fc-cache -f` failed ({done.returncode}): {done.stderr.strip()[-300:]}"
    if not fontconfig_finds_cjk(env):
        return f"{CJK_FONT_PACKAGE} is installed but fontconfig does not pick {CJK_FAMILY} for zh and ko"
    return None


@dataclass(frozen=True)
class SystemDependency:
    """Something of Debian's that tests need: the packages that bring it, how to tell it
    is there, what must run after installing it before anything uses it, and what it must
    be set up after (the browser after the fonts it draws with)."""

    packages: tuple
    present: Callable[[], bool]
    then: Optional[Callable[[], Optional[str]]] = None
    after: tuple = ()


def _programs(*names):
    return lambda: all(shutil.which(name) for name in names)


SLURM_PROGRAMS = ("slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo",
                  "munged", "mungekey", "munge")

#: Every system dependency of the suite, by name.  ``ensure`` is the only way in.
DEPENDENCIES = {
    "cjk-fonts": SystemDependency(
        packages=(CJK_FONT_PACKAGE, "fontconfig"),
        present=lambda: os.path.exists(CJK_FONT_FILE) and shutil.which("fc-match") is not None
        and fontconfig_finds_cjk(),
        then=refresh_font_cache),
    "chromium": SystemDependency(
        packages=("chromium", "chromium-driver"), present=_programs("chromium", "chromedriver"),
        after=("cjk-fonts",)),
    "postgresql": SystemDependency(
        packages=("postgresql",), present=lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))),
    "slurm": SystemDependency(packages=("slurm-wlm", "munge"), present=_programs(*SLURM_PROGRAMS)),
    "bubblewrap": SystemDependency(packages=("bubblewrap",), present=_programs("bwrap")),
    "node": SystemDependency(packages=("nodejs", "npm"), present=_programs("node", "npm")),
}

_settled = {}


def ensure(name):
    """Make the dependency ``name`` ready (installed, its caches made, what it comes
    after ready first); None when it is, else why not.  Settled once per session."""
    if name not in _settled:
        dependency = DEPENDENCIES[name]
        why = next(filter(None, (ensure(first) for first in dependency.after)), None)
        if why is None and not dependency.present():
            missing = [package for package in dependency.packages if not _installed(package)]
            why = apt_install(*missing) if missing else None
            if why is None and dependency.then is not None:
                why = dependency.then()
            if why is None and not dependency.present():
                why = f"apt-get installed {', '.join(dependency.packages)} but {name} is still not usable"
        _settled[name] = why
    return _settled[name]


def require(name):
    """``ensure(name)``, skipping the test (failing it in CI) with the reason when not ready.
    Call it from a fixture, so that what is missing is a set-up error, not an assertion."""
    why = ensure(name)
    if why:
        skip_or_fail(f"{name}: {why}")


def _installed(package):
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", package], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.endswith("installed") and "not-installed" not in done.stdout
