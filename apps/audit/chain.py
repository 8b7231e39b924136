"""The hash chain: canonical content, hashes, and appending under the head lock.

An entry's `hash` is SHA-256 over its canonical content: a JSON object with
sorted keys holding every field (id and prev_hash included, hash excluded),
the timestamp as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, `changes` and `extra` as the
exact JSON text stored. Anyone can recompute it from a row or an export:

    sha256(json.dumps(row_without_hash, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()).hexdigest()

Appending runs inside the caller's transaction, under the chain head's lock
(`AuditChainHead`, one row), so appenders take turns and the chain can neither
fork nor gap; a rolled-back transaction (or savepoint) takes its entries and
its head update with it. The writer (`writer.before_commit`) appends a
transaction's entries just before its COMMIT, so the head is held for the
append and the commit, not while the request goes on.

- One entry on MySQL/MariaDB (`append_one`, every plain audited write): one
  statement, a CALL of the `audit_append_one` procedure (models.py). Only
  three fields of the content depend on the head (id, prev_hash, timestamp),
  so Python sends the canonical text around them; in the procedure an UPDATE
  locks the head and moves it, the server filling the three in and hashing
  (`SHA2`), and an INSERT ... SELECT copies the new head into the entry. Same
  recipe, same hash as Python computes.
- Otherwise (`append`): lock and read the head in one statement
  (`SELECT ... FOR UPDATE`; on SQLite `UPDATE ... RETURNING`, a write, which
  takes the database's write lock, or a plain SELECT when the transaction has
  written already and so holds that lock); number, link and hash the entries
  in Python; one multi-row INSERT and one UPDATE of the head (on SQLite a
  trigger on the entries moves the head, see models.py). On SQLite both
  statements go straight to the driver's cursor (`_SqliteAppend`).

Timestamps never go back: an entry's is the later of now and the head's.

What it costs: one statement per audited transaction on MySQL, two on
SQLite, three for a batch on MySQL; and audited write transactions serialize
from their append to the end of their COMMIT, so on MariaDB they cannot share
a log flush (group commit); on SQLite every writer serializes anyway. Measured
figures are in the audit section of the README.
"""

import hashlib
import weakref
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite

from .models import APPEND_ONE, GENESIS, HEAD_FOLLOWS_ENTRIES, AuditChainHead, AuditEntry

entries = AuditEntry.__table__
head = AuditChainHead.__table__

#: Column order of the canonical content: every column but `hash` and `in_indexes`
#: (on SQLite, whether the entry is in the indexes yet: see apps.audit.indexing).
CONTENT_FIELDS = tuple(c.name for c in entries.columns if c.name not in ("hash", "in_indexes"))
#: The fields the head decides; the canonical text is cut around them (sorted order).
_HEAD_FIELDS = ("id", "prev_hash", "timestamp")
#: The fields an entry brings (everything the head does not decide).
_ENTRY_FIELDS = tuple(name for name in CONTENT_FIELDS if name not in _HEAD_FIELDS)

#: Lengths of the string columns: values are cut before hashing, not by the database.
LIMITS = {
    c.name: c.type.length for c in entries.columns if getattr(c.type, "length", None) is not None
}


def canonical_time(value):
    """A datetime (aware, or naive UTC) as the text the hash covers; that text passes through."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def json_text(value):
    """Canonical JSON text of a dict: sorted keys, compact, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def content_hash(row):
    """SHA-256 hex of the canonical content of `row` (a mapping of the entry's fields)."""
    content = {name: row[name] for name in CONTENT_FIELDS}
    content["timestamp"] = canonical_time(row["timestamp"])
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def content_around_head_fields(row):
    """The canonical content of `row` cut where id, prev_hash and timestamp go: four texts.

    `texts[0] + id + texts[1] + prev_hash + texts[2] + timestamp + texts[3]`
    is the text `content_hash` hashes (the id a JSON number, the other two's
    quotes in the cut texts). The content is encoded once with stand-ins for
    the three, then cut around them: every value is a scalar and compact JSON
    escapes every quote inside a string, so a member's `,"name":` text can
    only be that member.
    """
    content = {name: row[name] for name in _ENTRY_FIELDS} | _STAND_INS
    text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode()
    texts, start = [], 0
    for kept, member, skipped in _CUTS:
        at = text.index(member, start)
        texts.append(text[start : at + kept])
        start = at + skipped
    texts.append(text[start:])
    return texts


_STAND_INS = {"id": 0, "prev_hash": "", "timestamp": ""}
#: (length kept before the stand-in, the member as encoded, length up to its end).
_CUTS = tuple(
    (len(kept), kept + stand_in + after, len(kept) + len(stand_in))
    for kept, stand_in, after in (
        (',"id":', "0", ","),
        (',"prev_hash":"', "", '",'),
        (',"timestamp":"', "", '",'),
    )
)


def clip(entry):
    """Cut string fields to their column length, so what is hashed is what is stored."""
    for name, length in LIMITS.items():
        value = entry.get(name)
        if isinstance(value, str) and len(value) > length:
            entry[name] = value[:length]
    return entry


def append(connection, new_entries):
    """Chain and insert `new_entries` (dicts without id/hashes) in the connection's transaction.

    Returns the rows as written (with id, timestamp, prev_hash, hash).
    """
    if not new_entries:
        return []
    if connection.dialect.name == "sqlite":
        return _SqliteAppend.of(connection.dialect).append(connection, new_entries)
    seq, prev_hash, last_time = _lock_head(connection)
    rows = _chained(new_entries, seq, prev_hash, last_time)
    connection.execute(_INSERT, rows)
    connection.execute(_MOVE_HEAD, _moved_head(rows))
    return rows


def _chained(new_entries, seq, prev_hash, last_time):
    """The entries numbered, timed and hashed after the head (seq, prev_hash, last_time)."""
    now = datetime.now(UTC)
    if last_time is not None and now < last_time:
        now = last_time  # a host whose clock is behind never writes into the past
    rows = []
    for entry in new_entries:
        seq += 1
        row = clip(dict(entry))
        row["id"] = seq
        row["timestamp"] = now
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = content_hash(row)
        rows.append(row)
    return rows


def _moved_head(rows):
    last = rows[-1]
    return {
        "new_seq": last["id"],
        "new_prev_hash": last["prev_hash"],
        "new_hash": last["hash"],
        "new_time": last["timestamp"],
    }


def append_one(connection, entry):
    """Chain and insert one entry (a dict without id/hashes) in the connection's transaction.

    On MySQL/MariaDB in one statement, the hash computed by the server (see
    the module docstring); elsewhere as `append`. Returns nothing: the
    entry's id and hash are known to the database only.
    """
    if connection.dialect.name != "mysql":
        append(connection, [entry])
        return
    row = clip(dict(entry))
    values = (
        datetime.now(UTC).replace(tzinfo=None),  # naive UTC, as UTCDateTime stores it
        # bytes: hashed as sent, whatever the collation
        *(text.encode() for text in content_around_head_fields(row)),
        *(row[name] for name in _ENTRY_FIELDS),
    )
    if connection.exec_driver_sql(_CALL_APPEND_ONE, values).rowcount == 0:
        # No head row (deleted by hand: see _lock_head), so the procedure changed nothing.
        ensure_head(connection)
        connection.exec_driver_sql(_CALL_APPEND_ONE, values)


def _lock_head(connection):
    row = _read_head(connection)
    if row is None:
        # The row is created with the table (see models.py); rows deleted by hand
        # come back here. Two first appenders racing on MySQL may deadlock once,
        # and the database then fails one of them (a 503), never forks the chain.
        ensure_head(connection)
        row = _read_head(connection)
    seq, prev_hash, last_time = row
    if last_time is not None and last_time.tzinfo is None:
        last_time = last_time.replace(tzinfo=UTC)
    return seq, prev_hash, last_time


# Built once: appending is on every audited write's path.
_HEAD_COLUMNS = (head.c.seq, head.c.hash, head.c.timestamp)
_READ = sa.select(*_HEAD_COLUMNS).where(head.c.id == 1)
_LOCK = _READ.with_for_update()
# A write takes SQLite's database lock (a read would not block the next appender).
_TOUCH = head.update().where(head.c.id == 1).values(seq=head.c.seq).returning(*_HEAD_COLUMNS)
_INSERT = entries.insert()
_MOVE_HEAD = (
    head.update()
    .where(head.c.id == 1)
    .values(
        seq=sa.bindparam("new_seq"),
        prev_hash=sa.bindparam("new_prev_hash"),
        hash=sa.bindparam("new_hash"),
        timestamp=sa.bindparam("new_time", type_=head.c.timestamp.type),
    )
)


# The procedure's parameters, in this order (models.APPEND_ONE_DDL): now, the
# four pieces of canonical text, the entry's fields. It runs on every audited
# write, so it is sent in the driver's own SQL (MySQL drivers take `%s`):
# SQLAlchemy then skips compiling and type processing, and still wraps errors
# and sends its events.
_CALL_APPEND_ONE = f"CALL {APPEND_ONE}(" + ", ".join(["%s"] * (5 + len(_ENTRY_FIELDS))) + ")"


def _read_head(connection):
    """The head row, locked for this transaction, in one statement."""
    return connection.execute(_LOCK).first()


class _SqliteAppend:
    """SQLite's append: the same statements, compiled once, sent on the driver's cursor.

    On SQLite every statement of the append runs while the writer holds the
    whole database, and SQLAlchemy's execution around a statement costs
    several times what SQLite spends on it (a head read: about 12 us against
    2). So the statements are compiled once per dialect and run on the DBAPI
    cursor of the connection's transaction, values converted by the columns'
    own bind and result processors, so rows are stored exactly as SQLAlchemy
    stores them; driver errors are wrapped as SQLAlchemy wraps them. What is
    given up: these two statements do not pass through SQLAlchemy's
    `before_cursor_execute` events.

    The lock: sqlite3 opens a transaction at its first write, which takes the
    database's write lock, so in a transaction that has written a plain read
    of the head suffices (nobody else can move it meanwhile); otherwise a
    no-op `UPDATE ... RETURNING` of the head takes that lock and reads it.
    """

    _compiled = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, dialect):
        found = cls._compiled.get(dialect)
        if found is None:
            found = cls._compiled[dialect] = cls(dialect)
        return found

    def __init__(self, dialect):
        def literal(statement):
            return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

        self.read, self.touch = literal(_READ), literal(_TOUCH)
        # Appended outside the indexes: a later batch files it (apps.audit.indexing).
        insert = _INSERT.values(in_indexes=sa.literal_column("0")).compile(
            dialect=dialect, column_keys=[*CONTENT_FIELDS, "hash"]
        )
        self.insert, self.insert_order = insert.string, tuple(insert.positiontup)
        self.to_db = [
            (index, processor)
            for index, name in enumerate(self.insert_order)
            if (processor := entries.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            is not None
        ]
        self.head_time = head.c.timestamp.type.dialect_impl(dialect).result_processor(dialect, None)
        self.dbapi_error = dialect.loaded_dbapi.Error

    def append(self, connection, new_entries):
        driver_connection = connection.connection.dbapi_connection
        statement, params = self.read if driver_connection.in_transaction else self.touch, ()
        cursor = driver_connection.cursor()
        try:
            found = cursor.execute(statement).fetchone()
            if found is None:  # the head row was deleted by hand: see _lock_head
                cursor.close()
                ensure_head(connection)
                cursor = driver_connection.cursor()
                found = cursor.execute(statement).fetchone()
            seq, prev_hash, last_time = found
            if self.head_time is not None:
                last_time = self.head_time(last_time)
            rows = _chained(new_entries, seq, prev_hash, last_time)
            statement, params = self.insert, [self._values(row) for row in rows]
            cursor.executemany(statement, params)
        except self.dbapi_error as exc:
            raise sa.exc.DBAPIError.instance(statement, params, exc, self.dbapi_error) from exc
        finally:
            cursor.close()
        if not _head_follows_entries(connection):
            connection.execute(_MOVE_HEAD, _moved_head(rows))
        return rows

    def _values(self, row):
        values = [row[name] for name in self.insert_order]
        for index, processor in self.to_db:
            values[index] = processor(values[index])
        return values


_trigger_seen = weakref.WeakKeyDictionary()


def _head_follows_entries(connection):
    """True when this SQLite database has the trigger that moves the head (once per engine)."""
    engine = connection.engine
    seen = _trigger_seen.get(engine)
    if seen is None:
        found = connection.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": HEAD_FOLLOWS_ENTRIES},
        ).first()
        seen = _trigger_seen[engine] = found is not None
    return seen


def ensure_head(connection):
    """Create the head row (seq 0, genesis hash) unless it exists."""
    values = {"id": 1, "seq": 0, "hash": GENESIS, "timestamp": None}
    if connection.dialect.name == "sqlite":
        statement = sqlite.insert(head).values(values).on_conflict_do_nothing()
    elif connection.dialect.name == "mysql":
        statement = mysql.insert(head).values(values)
        statement = statement.on_duplicate_key_update(id=statement.inserted.id)
    else:
        statement = head.insert().values(values)
    connection.execute(statement)


def read_head(connection):
    """(seq, hash) of the head row without locking it; (0, GENESIS) before any entry."""
    row = connection.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)
