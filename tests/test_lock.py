"""The environment the suite runs in is exactly the committed lock, and the locks agree."""

import re
import subprocess
import sys

from course_constants import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def _name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """``{package: version}`` of a lock file written by ``make lock``."""
    return {_name(name): version for name, version in PIN.findall(path.read_text())}


def test_the_environment_is_exactly_the_lock():
    """``pip freeze --all`` of the Python running the suite (.venv after ``make setup``)
    equals requirements-lock.txt: nothing missing, nothing more, no other version."""
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True).stdout
    installed = {_name(name): version for name, version in PIN.findall(frozen)}
    locked = pins(ROOT / "requirements-lock.txt")
    other = sorted(k for k in set(installed) & set(locked) if installed[k] != locked[k])
    assert installed == locked, (
        f"not in the lock: {sorted(set(installed) - set(locked))}; "
        f"missing: {sorted(set(locked) - set(installed))}; other versions: {other}; run `make setup`")


def test_every_pin_has_a_hash_and_the_hub_agrees_with_the_kit():
    for lock in (ROOT / "requirements-lock.txt", ROOT / "deploy" / "hub" / "requirements-lock.txt"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
        pinned = [entry for entry in entries if PIN.match(entry)]
        unhashed = [entry.split()[0] for entry in pinned if "--hash=sha256:" not in entry]
        assert pinned and not unhashed, f"{lock.name}: pins without a hash: {unhashed}"
    kit, hub = pins(ROOT / "requirements-lock.txt"), pins(ROOT / "deploy" / "hub" / "requirements-lock.txt")
    assert "jupyterhub" in hub and "nbgrader" in hub and "pip" in hub
    differ = {name: (kit[name], hub[name]) for name in set(kit) & set(hub) if kit[name] != hub[name]}
    assert not differ, f"the hub's lock pins other versions than the kit's: {differ}; run `make lock`"
