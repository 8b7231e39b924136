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


class AuditEntry(db.Model):
    """Who did what to which record, when, from where; before and after.

    `id` is the chain's sequence number: 1, 2, 3, ... without gaps, assigned
    under the chain-head lock (`apps.audit.chain`), never by the database.
    `changes` and `extra` hold canonical JSON text (sorted keys), the exact
    bytes the hash covers, so no database reformats what was signed.
    """

    __audit__ = False  # the log does not log itself

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The username when the entry was written (users can be renamed or deleted).
    actor_username: Mapped[str | None] = mapped_column(sa.String(150))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    request_id: Mapped[str | None] = mapped_column(sa.String(128), index=True)
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

    __table_args__ = (
        sa.Index("ix_audit_audit_entry_action_id", "action", "id"),
        sa.Index("ix_audit_audit_entry_actor_id_id", "actor_id", "id"),
        sa.Index("ix_audit_audit_entry_object", "object_type", "object_id", "id"),
    )  # outcome has two values: filtering on it walks the id index, no index of its own

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
    #: The last entry's prev_hash, from which MySQL's two-statement append
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
