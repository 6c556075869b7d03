"""``grading.sqlite_locking``: with the listeners installed, every SQLite transaction begins
with ``BEGIN IMMEDIATE`` and waits up to ten minutes for the write lock, so a second writer
queues behind the first instead of failing with "database is locked"."""

import sqlite3
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import Pool

from grading import sqlite_locking


def installed():
    return (event.contains(Pool, "connect", sqlite_locking._on_connect)
            and event.contains(Engine, "begin", sqlite_locking._on_begin))


@pytest.fixture
def plain(monkeypatch):
    """No listeners for this test (they are process-wide): as they are before the grader
    installs them, and as they are again after."""
    was = installed()
    if was:
        event.remove(Pool, "connect", sqlite_locking._on_connect)
        event.remove(Engine, "begin", sqlite_locking._on_begin)
    monkeypatch.setattr(sqlite_locking, "_installed", False)
    yield
    for target, name, listener in ((Pool, "connect", sqlite_locking._on_connect),
                                   (Engine, "begin", sqlite_locking._on_begin)):
        if event.contains(target, name, listener):
            event.remove(target, name, listener)
        if was:
            event.listen(target, name, listener)


@pytest.fixture
def queued(plain):
    sqlite_locking.queue_sqlite_writers()
    assert installed()


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "gradebook.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE grade (student TEXT, score REAL)")
        connection.execute("INSERT INTO grade VALUES ('alice', NULL), ('bob', NULL)")
    return path


def test_installing_twice_listens_once(plain, monkeypatch):
    calls = []
    monkeypatch.setattr(sqlite_locking.event, "listen", lambda *args: calls.append(args))
    sqlite_locking.queue_sqlite_writers()
    sqlite_locking.queue_sqlite_writers()
    assert calls == [(Pool, "connect", sqlite_locking._on_connect),
                     (Engine, "begin", sqlite_locking._on_begin)]


def test_a_connection_waits_ten_minutes_for_the_lock(queued, database):
    assert sqlite_locking.BUSY_TIMEOUT_MS == 600_000
    with create_engine(f"sqlite:///{database}").connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 600_000
        assert connection.connection.dbapi_connection.isolation_level is None


def holds_the_write_lock(database):
    """Whether another connection, not waiting at all, is refused the write lock."""
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        assert "database is locked" in str(error)
        return True
    finally:
        other.close()


def test_a_plain_transaction_takes_no_lock_until_it_writes(plain, database):
    with create_engine(f"sqlite:///{database}").begin() as connection:
        connection.execute(text("SELECT * FROM grade")).fetchall()
        assert not holds_the_write_lock(database)


def test_a_transaction_takes_the_write_lock_when_it_begins(queued, database):
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        assert holds_the_write_lock(database)          # before any statement
        connection.execute(text("SELECT * FROM grade")).fetchall()
    assert not holds_the_write_lock(database)


def write_while_another_writes(database):
    """Two graders at once, each finding its student then writing the score (as nbgrader's
    gradebook does), the first holding its write half a second; the driver's own wait for a
    lock is a tenth of a second here (pysqlite's default is five).  What each got (None, or
    the error) and the scores written."""
    first_began = threading.Event()
    outcome = {}

    def grader(name, student, score, hold):
        engine = create_engine(f"sqlite:///{database}", connect_args={"timeout": 0.1})
        try:
            with engine.begin() as connection:
                connection.execute(text(f"SELECT * FROM grade WHERE student = '{student}'")).fetchall()
                connection.execute(text(f"UPDATE grade SET score = {score} WHERE student = '{student}'"))
                first_began.set()
                time.sleep(hold)
            outcome[name] = None
        except OperationalError as error:
            outcome[name] = error
        finally:
            first_began.set()

    first = threading.Thread(target=grader, args=("first", "alice", 1, 0.5))
    first.start()
    first_began.wait(timeout=10)
    grader("second", "bob", 2, 0)
    first.join(timeout=60)
    with sqlite3.connect(database) as connection:
        scores = dict(connection.execute("SELECT student, score FROM grade"))
    return outcome, scores


def test_without_it_a_writer_that_waits_past_the_drivers_timeout_fails(plain, database):
    outcome, scores = write_while_another_writes(database)
    assert outcome["first"] is None
    assert "database is locked" in str(outcome["second"])
    assert scores == {"alice": 1, "bob": None}


def test_with_it_the_second_writer_waits_and_both_scores_are_written(queued, database):
    started = time.monotonic()
    outcome, scores = write_while_another_writes(database)
    assert outcome == {"first": None, "second": None}
    assert scores == {"alice": 1, "bob": 2}
    assert time.monotonic() - started >= 0.5          # it waited for the first to commit


def test_other_databases_are_left_alone():
    sqlite_locking._on_connect(object(), None)          # not a sqlite3 connection: nothing to do
    executed = []

    def connection(dialect):
        return SimpleNamespace(dialect=SimpleNamespace(name=dialect), exec_driver_sql=executed.append)
    sqlite_locking._on_begin(connection("postgresql"))
    assert executed == []
    sqlite_locking._on_begin(connection("sqlite"))
    assert executed == ["BEGIN IMMEDIATE"]
