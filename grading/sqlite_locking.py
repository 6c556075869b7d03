"""Let several processes write one SQLite gradebook without "database is locked".

SQLite serialises writers with a file lock, and a writer that finds the lock
taken waits up to its busy timeout.  Python's ``sqlite3`` however opens every
transaction as a plain (deferred) ``BEGIN``: a transaction that reads first and
writes later asks for the write lock in the middle, and when another process
holds it SQLite answers "database is locked" at once, without waiting, because
waiting could deadlock.  nbgrader's gradebook does exactly that (find the
student, then update it).

The cure is SQLAlchemy's documented recipe for pysqlite: take the driver's
hands off transactions and begin each one with ``BEGIN IMMEDIATE``, which asks
for the write lock up front, where waiting is safe.  Every gradebook
transaction is a few milliseconds long (nbgrader never keeps one open while a
notebook runs), so writers simply queue.

The listeners are registered on SQLAlchemy's ``Pool`` and ``Engine`` classes,
so they cover every engine nbgrader creates in this process, and they leave
other databases (PostgreSQL) alone.
"""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

BUSY_TIMEOUT_MS = 600_000  # ten minutes: a writer waits, it does not fail
_installed = False


def _on_connect(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below, not the driver's
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _on_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def queue_sqlite_writers():
    """Make every SQLite transaction of this process wait for the write lock
    instead of failing.  Idempotent."""
    global _installed
    if not _installed:
        event.listen(Pool, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
        _installed = True
