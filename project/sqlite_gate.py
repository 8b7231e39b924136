"""SQLite writers queue on a file lock instead of sleeping in SQLite's busy handler.

SQLite lets one writer at a time hold a database, from its transaction's first
write to its COMMIT. A writer that finds it taken sleeps in the driver's busy
handler, 1, 2, 5, 10 ms and longer between tries, however soon the lock is
free: with a few processes writing, they spend more time asleep than the lock
is ever held.

The gate is an exclusive `flock` on a file beside the database
(`<database>-writegate`), taken before a connection's first write (INSERT,
UPDATE, DELETE, REPLACE) and let go once the connection's transaction ends
(commit, rollback, close, or a write that left no transaction open). Every
connection made by this project takes it, so they reach SQLite's lock one at
a time, and a waiter gets the gate a fraction of a millisecond after it is
let go. A writer waits at most the connection's busy timeout, then fails with
"database is locked", as SQLite would; anyone writing without the gate (the
sqlite3 shell) still meets SQLite's own lock, as before. Readers never take it.

Checkpoints copy most of the log outside the gate. In WAL mode SQLite copies
the log back into the database file (a checkpoint) from inside the COMMIT
that takes the log past `wal_autocheckpoint` pages: every page the log
changed read and written again, and two fsyncs, often several milliseconds
during which the committing connection would still hold the gate and every
other writer wait, although a checkpoint needs no write lock. So a gated
connection in WAL mode turns SQLite's automatic checkpoints off; after a
commit lets go of the gate it reads how many pages the log holds beyond the
last checkpoint from the wal-index header (the `-shm` file, whose layout
sqlite.org/walformat.html documents) and, at the same threshold, runs the
same PASSIVE checkpoint itself; then once more, holding the gate, for the few
pages written meanwhile, so that the next writer finds the log all copied and
starts it over. Where there is no such file (no WAL, exclusive locking mode),
SQLite keeps checkpointing as before.
"""

import fcntl
import logging
import os
import re
import sqlite3
import struct
import time

logger = logging.getLogger("project.sqlite")

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_POLL_FIRST, _POLL_MAX = 0.00005, 0.0005  # seconds between tries while the gate is taken
#: The wal-index header (native byte order): mxFrame, the last valid frame of the
#: log, at byte 16; nBackfill, the frames already copied into the database, at 96.
_U32 = struct.Struct("=I")
_MX_FRAME_AT, _BACKFILLED_AT, _HEADER_END = 16, 96, 100


def gate_path(database):
    """The gate file of a database file; None for in-memory and URI databases."""
    database = os.fspath(database)
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return f"{database}-writegate"


class GatedConnection(sqlite3.Connection):
    """`sqlite3.connect(..., factory=GatedConnection)`: writes go through the gate."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._timeout = kwargs.get("timeout", args[0] if args else 5.0)
        path = gate_path(database)
        self._gate = None if path is None else os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._holding = False
        self._database = None if path is None else os.fspath(database)
        self._wal_index = None  # fd of the -shm file, once this connection checkpoints itself
        #: Decided at the first commit: the threshold, or 0 where SQLite checkpoints itself.
        self._checkpoint_pages = None

    def cursor(self, factory=None):
        return super().cursor(factory or GatedCursor)

    # sqlite3's own shortcuts run a plain cursor's C code, which would skip the gate.
    def execute(self, sql, parameters=()):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        return self.cursor().executemany(sql, seq_of_parameters)

    def enter_gate(self):
        if self._gate is None or self._holding:
            return
        _lock(self._gate, self._timeout)
        self._holding = True

    def leave_gate_unless_writing(self):
        if self._holding and not self.in_transaction:
            fcntl.flock(self._gate, fcntl.LOCK_UN)
            self._holding = False

    def commit(self):
        wrote = self._holding
        try:
            super().commit()
        finally:
            self.leave_gate_unless_writing()
        if wrote and not self._holding:
            self._checkpoint_if_due()

    def _checkpoint_if_due(self):
        """A PASSIVE checkpoint once the log holds `wal_autocheckpoint` uncopied pages."""
        if self._checkpoint_pages is None:
            self._checkpoint_pages = self._take_over_checkpoints()
        if not self._checkpoint_pages:
            return
        header = os.pread(self._wal_index, _HEADER_END, 0)
        if len(header) < _HEADER_END:
            return
        (last,) = _U32.unpack_from(header, _MX_FRAME_AT)
        (copied,) = _U32.unpack_from(header, _BACKFILLED_AT)
        if last - copied < self._checkpoint_pages:
            return
        try:
            self._copy_log()  # the bulk of it, while other writers go on
            # Then what they added meanwhile, holding the gate: SQLite starts the
            # log over only when a writer begins and finds all of it copied, which
            # never happens while every checkpoint runs beside a writer; the log
            # would grow without end.
            self.enter_gate()
            try:
                self._copy_log()
            finally:
                self.leave_gate_unless_writing()
        except sqlite3.Error:
            # The commit stands; the next commit tries again. (SQLite ignores a
            # failed automatic checkpoint the same way.)
            logger.warning("WAL checkpoint of %s failed", self._database, exc_info=True)

    def _copy_log(self):
        super().execute("PRAGMA wal_checkpoint(PASSIVE)").close()

    def _take_over_checkpoints(self):
        """Turn SQLite's own checkpoints off when this connection can do them.

        Returns their threshold in pages, or 0 when SQLite keeps them.
        """
        if self._database is None:
            return 0
        (journal,) = super().execute("PRAGMA journal_mode").fetchone()
        (locking,) = super().execute("PRAGMA locking_mode").fetchone()
        (pages,) = super().execute("PRAGMA wal_autocheckpoint").fetchone()
        # In exclusive locking mode the index lives in this process's memory, not the file.
        if journal.lower() != "wal" or locking.lower() != "normal" or pages <= 0:
            return 0
        try:
            self._wal_index = os.open(f"{self._database}-shm", os.O_RDONLY)
        except OSError:
            return 0
        super().execute("PRAGMA wal_autocheckpoint=0").close()
        return pages

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.leave_gate_unless_writing()

    def close(self):
        try:
            super().close()
        finally:
            if self._gate is not None:
                os.close(self._gate)  # closing the file lets go of its lock
                self._gate, self._holding = None, False
            if self._wal_index is not None:
                os.close(self._wal_index)
                self._wal_index = None


class GatedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=()):
        return self._through_gate(super().execute, sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        return self._through_gate(super().executemany, sql, seq_of_parameters)

    def _through_gate(self, run, sql, parameters):
        if not _WRITE.match(sql):
            return run(sql, parameters)
        self.connection.enter_gate()
        try:
            return run(sql, parameters)
        finally:
            self.connection.leave_gate_unless_writing()


def _lock(fd, timeout):
    """Take the gate, trying again at short intervals; "database is locked" after `timeout`."""
    deadline = time.monotonic() + timeout
    pause = _POLL_FIRST
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError("database is locked") from None
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
