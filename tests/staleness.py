"""Why a committed, generated file differs from what its build writes today.

A freshness test that only says "stale" leaves two very different causes to guess:
an input was edited and the build not rerun (rerun it), or nothing was edited and
the build itself now writes other bytes (a tool of another version than the lock
pins, a host or a date leaking in: a defect of the kit).  Git knows which: every
input changed since the file was last committed is named, and where there is none
the message says the build differs.
"""

import subprocess

from course_constants import ROOT

#: What every build depends on besides its own inputs: the tools' versions.
LOCK = "requirements-lock.txt"


def _git(*args):
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return done.stdout.split("\n") if done.returncode == 0 else None


def changed_inputs(artifact, inputs):
    """The inputs (paths relative to the repository) that changed after ``artifact`` was
    last committed, or are changed and not committed; None where git cannot tell."""
    inputs = [*inputs, LOCK]
    last = _git("log", "-1", "--format=%H", "--", artifact)
    if last is None:
        return None
    changed = set()
    if last[0]:
        changed.update(_git("diff", "--name-only", last[0], "HEAD", "--", *inputs) or [])
    changed.update(line[3:] for line in _git("status", "--porcelain", "--", *inputs) or [])
    return sorted(path for path in changed if path)


def explain(artifact, inputs, command):
    """The assertion message for a stale ``artifact``: what to run, and why it differs."""
    changed = changed_inputs(artifact, inputs)
    message = f"{artifact} is stale: run `{command}`"
    if changed is None:
        return message + " (not a git checkout: which input changed is unknown)"
    if changed:
        return message + "; changed since it was built: " + ", ".join(changed)
    return (message + f"; none of its inputs ({', '.join([*inputs, LOCK])}) changed since it was "
            "last committed, so the build itself writes other bytes: is .venv what the lock pins "
            "(`make setup`)? A build whose output depends on the tools' versions, the date or "
            "the host is a defect of the kit")
