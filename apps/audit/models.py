"""The audit log: one hash-chained table, and the one row that serializes its writers."""

from datetime import datetime

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from project.models import UTCDateTime, db

#: `prev_hash` of the first entry ever written.
GENESIS = "0" * 64

_LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
#: On SQLite an INTEGER primary key is the table's rowid: the entries live in one
#: b-tree keyed by id. Any other type (BIGINT) makes SQLite keep a rowid table
#: plus a unique index on id, one more b-tree for every append to write.
_ENTRY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEntry(db.Model):
    """Who did what to which record, when, from where; before and after.

    `id` is the chain's sequence number: 1, 2, 3, ... without gaps, assigned
    under the chain-head lock (`apps.audit.chain`), never by the database.
    `changes` and `extra` hold canonical JSON text (sorted keys), the exact
    bytes the hash covers, so no database reformats what was signed.
    """

    __audit__ = False  # the log does not log itself

    id: Mapped[int] = mapped_column(_ENTRY_ID, primary_key=True, autoincrement=False)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The username when the entry was written (users can be renamed or deleted).
    actor_username: Mapped[str | None] = mapped_column(sa.String(150))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    request_id: Mapped[str | None] = mapped_column(sa.String(128))
    method: Mapped[str | None] = mapped_column(sa.String(16))
    path: Mapped[str | None] = mapped_column(sa.String(1024))
    #: `<app_label>.<Model>`, e.g. `articles.Article`.
    object_type: Mapped[str | None] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    object_repr: Mapped[str | None] = mapped_column(sa.String(200))
    #: {field: [old, new]} as canonical JSON text.
    changes: Mapped[str] = mapped_column(_LONG_TEXT)
    #: Anything else the event carries, as canonical JSON text.
    extra: Mapped[str] = mapped_column(_LONG_TEXT)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    #: Not content (no hash covers it): on SQLite, 0 until the entry joins the
    #: indexes below, which leave such entries out (see apps.audit.indexing).
    in_indexes: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())

    # outcome has two values: filtering on it walks the id index, no index of its own.
    __table_args__ = tuple(
        sa.Index(name, *columns, sqlite_where=sa.text("in_indexes = 1"))
        for name, columns in (
            ("ix_audit_audit_entry_timestamp", ("timestamp",)),
            ("ix_audit_audit_entry_request_id", ("request_id",)),
            ("ix_audit_audit_entry_action_id", ("action", "id")),
            ("ix_audit_audit_entry_actor_id_id", ("actor_id", "id")),
            ("ix_audit_audit_entry_object", ("object_type", "object_id", "id")),
        )
    )

    def __repr__(self):
        return f"<AuditEntry {self.id} {self.action}>"

    @property
    def changes_data(self):
        return orjson.loads(self.changes)

    @property
    def extra_data(self):
        return orjson.loads(self.extra)


class AuditChainHead(db.Model):
    """The chain's last entry: one row (id 1) that every appender locks first.

    Locking it (an UPDATE or SELECT ... FOR UPDATE on MySQL/MariaDB; a write
    on SQLite, which locks the whole database) makes appenders take turns, so two
    transactions can never chain to the same predecessor: no fork, no gap.
    The cost: audited write transactions serialize on this row from their first
    audited write until they commit.
    """

    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))
    #: The last entry's prev_hash, from which MySQL's one-statement append
    #: copies it into the entry (see apps.audit.chain). SQLite's trigger
    #: leaves it alone: there it is not used.
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: The last entry's time: entries never go back in time, even across hosts.
    timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())


# The head row exists from the moment the table does, so appenders only ever lock
# it: a locking read of a missing row would take a gap lock on MySQL, and two first
# appenders inserting into that gap deadlock. (Migrations seed it the same way.)
sa.event.listen(
    AuditChainHead.__table__,
    "after_create",
    sa.DDL(
        "INSERT INTO audit_audit_chain_head (id, seq, hash, timestamp) "
        "VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL)"
    ),
)


#: SQLite: the head follows each inserted entry by trigger. On SQLite a writer
#: holds the whole database from its first write to its COMMIT, so every
#: statement of the append inside that window is time the other writers wait;
#: the trigger saves the head's UPDATE. MySQL keeps the UPDATE: creating a
#: trigger there may need privileges (SUPER with binary logging) that an
#: application's user does not have. (The migration creates it the same way.)
HEAD_FOLLOWS_ENTRIES = "audit_audit_entry_moves_head"
sa.event.listen(
    AuditEntry.__table__,
    "after_create",
    sa.DDL(
        "CREATE TRIGGER audit_audit_entry_moves_head AFTER INSERT ON audit_audit_entry "
        "BEGIN UPDATE audit_audit_chain_head SET seq = NEW.id, hash = NEW.hash, "
        "timestamp = NEW.timestamp WHERE id = 1; END"
    ).execute_if(dialect="sqlite"),
)


#: MySQL/MariaDB: one audited write is appended by one statement, a CALL of this
#: procedure (see apps.audit.chain.append_one): one round trip instead of two,
#: and one fewer statement while the head is locked. Python sends the entry's
#: canonical text cut around the three fields the head decides (as bytes, so
#: the server hashes exactly what Python encoded); the UPDATE moves the head,
#: hashing, and the INSERT ... SELECT copies the head into the entry. Every
#: right-hand side of the UPDATE reads only columns not yet assigned, so
#: MariaDB's SIMULTANEOUS_ASSIGNMENT mode gives the same result. A procedure,
#: unlike a trigger or a function, needs no SUPER privilege with binary
#: logging; SQL SECURITY INVOKER runs it with the caller's own rights.
#: (The migration creates it the same way.)
APPEND_ONE = "audit_append_one"
APPEND_ONE_DDL = """CREATE PROCEDURE audit_append_one(
    p_now DATETIME(6),
    p_text_0 LONGBLOB, p_text_1 LONGBLOB, p_text_2 LONGBLOB, p_text_3 LONGBLOB,
    p_action VARCHAR(64) CHARACTER SET utf8mb4,
    p_outcome VARCHAR(16) CHARACTER SET utf8mb4,
    p_actor_id BIGINT,
    p_actor_username VARCHAR(150) CHARACTER SET utf8mb4,
    p_ip VARCHAR(45) CHARACTER SET utf8mb4,
    p_user_agent VARCHAR(512) CHARACTER SET utf8mb4,
    p_request_id VARCHAR(128) CHARACTER SET utf8mb4,
    p_method VARCHAR(16) CHARACTER SET utf8mb4,
    p_path VARCHAR(1024) CHARACTER SET utf8mb4,
    p_object_type VARCHAR(100) CHARACTER SET utf8mb4,
    p_object_id VARCHAR(64) CHARACTER SET utf8mb4,
    p_object_repr VARCHAR(200) CHARACTER SET utf8mb4,
    p_changes LONGTEXT CHARACTER SET utf8mb4,
    p_extra LONGTEXT CHARACTER SET utf8mb4
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
BEGIN
    UPDATE audit_audit_chain_head
    SET prev_hash = hash,
        hash = SHA2(CONCAT(
            p_text_0, seq + 1, p_text_1, hash, p_text_2,
            REPLACE(CAST(GREATEST(COALESCE(timestamp, p_now), p_now) AS CHAR), ' ', 'T'),
            'Z', p_text_3), 256),
        seq = seq + 1,
        timestamp = GREATEST(COALESCE(timestamp, p_now), p_now)
    WHERE id = 1;
    INSERT INTO audit_audit_entry (
        id, timestamp, prev_hash, hash, action, outcome, actor_id, actor_username, ip,
        user_agent, request_id, method, path, object_type, object_id, object_repr,
        changes, extra)
    SELECT seq, timestamp, prev_hash, hash, p_action, p_outcome, p_actor_id,
        p_actor_username, p_ip, p_user_agent, p_request_id, p_method, p_path,
        p_object_type, p_object_id, p_object_repr, p_changes, p_extra
    FROM audit_audit_chain_head WHERE id = 1;
END"""
_DROP_APPEND_ONE = sa.DDL("DROP PROCEDURE IF EXISTS audit_append_one").execute_if(dialect="mysql")
sa.event.listen(AuditEntry.__table__, "after_create", _DROP_APPEND_ONE)
sa.event.listen(
    AuditEntry.__table__, "after_create", sa.DDL(APPEND_ONE_DDL).execute_if(dialect="mysql")
)
sa.event.listen(AuditEntry.__table__, "after_drop", _DROP_APPEND_ONE)
