"""SQLite writers queue on the write gate: the next one goes as soon as the last commits."""

import fcntl
import os
import sqlite3
import threading
import time

import pytest

from project import create_app
from project.extensions import db
from project.sqlite_gate import GatedConnection, gate_path

from .conftest import dispose


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "gated.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    setup.commit()
    setup.close()
    return path


def connect(path, timeout=5.0):
    return sqlite3.connect(path, timeout=timeout, factory=GatedConnection, check_same_thread=False)


def test_a_second_writer_waits_for_the_first_to_commit_then_goes_at_once(database):
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t (v) VALUES ('first')")
    written = threading.Event()
    done = {}

    def write_second():
        second.execute("INSERT INTO t (v) VALUES ('second')")
        done["at"] = time.monotonic()
        second.commit()
        written.set()

    thread = threading.Thread(target=write_second)
    thread.start()
    assert not written.wait(0.3)  # queued behind the first writer
    committed = time.monotonic()
    first.commit()
    thread.join(5)
    assert written.is_set()
    assert done["at"] - committed < 0.05  # no busy-handler sleep after the gate opens
    rows = [v for (v,) in first.execute("SELECT v FROM t ORDER BY id")]
    assert rows == ["first", "second"]


def test_readers_do_not_wait_for_a_writer(database):
    writer, reader = connect(database), connect(database, timeout=0.1)
    writer.execute("INSERT INTO t (v) VALUES ('pending')")
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
    writer.rollback()


def test_a_writer_waits_no_longer_than_its_timeout(database):
    holder, late = connect(database), connect(database, timeout=0.2)
    holder.execute("INSERT INTO t (v) VALUES ('held')")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        late.execute("INSERT INTO t (v) VALUES ('late')")
    assert 0.2 <= time.monotonic() - started < 2
    holder.rollback()
    late.execute("INSERT INTO t (v) VALUES ('late')")  # the rollback let go of the gate
    late.commit()
    assert holder.execute("SELECT v FROM t").fetchall() == [("late",)]


def test_a_failed_write_holds_the_gate_until_its_transaction_ends(database):
    failing, other = connect(database), connect(database, timeout=0.2)
    failing.execute("INSERT INTO t (id, v) VALUES (1, 'one')")
    with pytest.raises(sqlite3.IntegrityError):
        failing.execute("INSERT INTO t (id, v) VALUES (1, 'again')")
    with pytest.raises(sqlite3.OperationalError):
        other.execute("INSERT INTO t (v) VALUES ('other')")
    failing.rollback()
    other.execute("INSERT INTO t (v) VALUES ('other')")
    other.commit()


def test_closing_a_connection_lets_go_of_the_gate(database):
    abandoned, next_writer = connect(database), connect(database, timeout=0.2)
    abandoned.execute("INSERT INTO t (v) VALUES ('never committed')")
    abandoned.close()
    next_writer.execute("INSERT INTO t (v) VALUES ('next')")
    next_writer.commit()
    assert next_writer.execute("SELECT v FROM t").fetchall() == [("next",)]


def test_in_memory_databases_have_no_gate():
    assert gate_path(":memory:") is None and gate_path("file:x?mode=memory") is None
    memory = sqlite3.connect(":memory:", factory=GatedConnection)
    memory.execute("CREATE TABLE t (v)")
    memory.execute("INSERT INTO t VALUES (1)")
    memory.commit()
    assert memory.execute("SELECT v FROM t").fetchall() == [(1,)]


@pytest.mark.parametrize("gate", [True, False])
def test_the_gate_is_a_setting(tmp_path, gate):
    path = tmp_path / "app.sqlite3"
    app = create_app("testing", DATABASE_URL=f"sqlite:///{path}", SQLITE_WRITE_GATE=gate)
    try:
        with app.app_context(), db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (v)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            gated = isinstance(connection.connection.dbapi_connection, GatedConnection)
    finally:
        dispose(app)
    assert gated is gate
    assert (tmp_path / "app.sqlite3-writegate").exists() is gate


@pytest.mark.parametrize("shortcut", ["execute", "executemany"])
def test_the_connections_own_shortcuts_take_the_gate(database, shortcut):
    writer = connect(database)
    if shortcut == "execute":
        writer.execute("INSERT INTO t (v) VALUES ('one')")
    else:
        writer.executemany("INSERT INTO t (v) VALUES (?)", [("one",), ("two",)])
    assert _gate_is_taken(database)
    writer.commit()
    assert not _gate_is_taken(database)


def _gate_is_taken(database):
    probe = os.open(gate_path(database), os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(probe)
    return False


def _wal_frames(database):
    """How many frames the WAL file has room for: it only grows, until a checkpoint has
    copied all of it back and the next writer starts the log over."""
    return os.path.getsize(f"{database}-wal") // (4096 + 24)


def _write_rows(connection, count):
    for n in range(count):
        connection.execute("INSERT INTO t (v) VALUES (?)", (f"row {n} " + "x" * 500,))
        connection.commit()


def test_a_gated_connection_checkpoints_the_log_itself_at_sqlites_threshold(database):
    writer = connect(database)
    writer.execute("PRAGMA wal_autocheckpoint=20")
    _write_rows(writer, 200)
    assert writer.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)  # SQLite's own is off
    # 200 commits of a page or more each, yet the log kept starting over: copied back
    # each time it held 20 pages, as SQLite would have.
    assert 20 <= _wal_frames(database) < 40
    assert writer.execute("SELECT count(*) FROM t").fetchone() == (200,)


def test_the_checkpoint_copies_most_of_the_log_without_the_gate(database, monkeypatch):
    writer = connect(database)
    writer.execute("PRAGMA wal_autocheckpoint=5")
    gate_taken = []
    copy_log = GatedConnection._copy_log

    def spy(self):
        gate_taken.append(_gate_is_taken(database))
        copy_log(self)

    monkeypatch.setattr(GatedConnection, "_copy_log", spy)
    _write_rows(writer, 20)
    # Each checkpoint: the copy while another writer could go, then the rest in the gate.
    assert gate_taken and gate_taken == [False, True] * (len(gate_taken) // 2)
    assert _wal_frames(database) < 10


def test_the_log_starts_over_although_others_write_during_the_checkpoint(database, monkeypatch):
    writer, other = connect(database), sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=5")
    other.execute("PRAGMA wal_autocheckpoint=0")
    copy_log = GatedConnection._copy_log

    def copy_while_another_writes(self):
        if self._holding:  # the last pages, in the gate
            copy_log(self)
            return
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t (v) VALUES ('written during the checkpoint')")
        copy_log(self)
        other.execute("COMMIT")

    monkeypatch.setattr(GatedConnection, "_copy_log", copy_while_another_writes)
    _write_rows(writer, 200)
    # Copied only beside the other writer, the log would hold every one of its pages.
    assert _wal_frames(database) < 20
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] > 200


def test_without_a_wal_sqlite_keeps_its_own_checkpoints(tmp_path):
    path = tmp_path / "rollback-journal.sqlite3"
    writer = connect(path)
    writer.execute("CREATE TABLE t (v)")
    writer.commit()
    _write_rows(writer, 3)
    assert writer.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert writer.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)


def test_in_exclusive_locking_mode_sqlite_keeps_its_own_checkpoints(database):
    writer = connect(database)
    writer.execute("PRAGMA locking_mode=EXCLUSIVE")
    writer.execute("PRAGMA wal_autocheckpoint=20")
    _write_rows(writer, 200)
    assert writer.execute("PRAGMA wal_autocheckpoint").fetchone() == (20,)
