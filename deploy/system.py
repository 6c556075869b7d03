"""Debian packages a deployment or a test needs, installed with apt-get when missing."""

import os
import shutil
import subprocess


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
