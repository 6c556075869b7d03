"""A throw-away PostgreSQL server on loopback, for the tests that need a real
shared gradebook (``test_postgres.py``, ``test_slurm.py``).

Debian's ``postgresql`` package is installed when missing (``system_packages``);
the server runs from a temporary folder on 127.0.0.1 and a free port, and is
stopped and removed afterwards, whatever happened in between.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from system_packages import free_port, require, skip_or_fail

try:
    import psycopg2
except ImportError:
    psycopg2 = None


def postgres_bin():
    """The folder with initdb and pg_ctl, installing Debian's postgresql if needed."""
    if psycopg2 is None:
        skip_or_fail("psycopg2-binary (requirements-dev.txt) is not installed")
    require("postgresql")
    return Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent


@contextlib.contextmanager
def postgres_database(name="gradebook"):
    """A PostgreSQL server on 127.0.0.1 with one empty database ``name``; yields
    its SQLAlchemy URL.

    PostgreSQL refuses to run as root, so as root the server runs as the
    ``postgres`` system user, in a temporary folder that user owns.
    """
    bindir = postgres_bin()
    as_owner = []
    folder = Path(tempfile.mkdtemp(prefix="gc-postgres-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            skip_or_fail("running as root and there is no `postgres` user to run the server as")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    started = False
    try:
        subprocess.run([*as_owner, bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        subprocess.run([*as_owner, bindir / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w",
                        "-t", "60", "-o", options, "start"], check=True, capture_output=True, timeout=120)
        started = True
        connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        # The driver named explicitly: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3.
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{name}"
    finally:
        if started:
            subprocess.run([*as_owner, bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
                           capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
