"""Debian packages the suite needs (a browser, a database, a sandbox tool), and
what to do where they cannot be had: skip with the reason, or fail in CI,
where every test must really run."""

import os
import shutil
import socket
import subprocess

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason):
    """Skip with ``reason``; in CI (``CI=true``) fail with it instead."""
    if IN_CI:
        pytest.fail(f"this test must run in CI: {reason}")
    pytest.skip(reason)


def apt_install(*packages):
    """Install Debian ``packages`` with apt-get; None when done, else why not."""
    if shutil.which("apt-get") is None:
        return f"{', '.join(packages)} missing and this machine has no apt-get to install them"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return f"{', '.join(packages)} missing and installing them with apt-get needs root"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
        except subprocess.TimeoutExpired:
            return f"`{' '.join(command)}` did not finish within 15 minutes"
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
            return f"`{' '.join(command)}` failed ({done.returncode}):\n{tail}"
    return None


def free_port():
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
