"""On SQLite the log's indexes take new entries in batches, not one append at a time.

SQLite has one writer at a time, and an audited write holds that lock from
its change to its COMMIT, the append included. Filing the entry in five
indexes there means five more b-trees to read (another worker's commit empties
this connection's page cache, so each is read again from its root) and five
more pages for the COMMIT to write. Served by gunicorn with two workers,
audited writes went 11-14% faster with the five indexes dropped (bench, runs
side by side, 2026-12-03); nothing else on the append came near.

So on SQLite the five indexes are partial, `WHERE in_indexes = 1`, and an
entry is appended with `in_indexes = 0`, which they leave out: the append
writes the entry table and the chain head only. `catch_up` sets
`in_indexes = 1` on the entries appended since it last ran (always the
newest: ids only grow), and SQLite files them all at once, each index's last
pages read and written once per batch instead of once per entry. It runs:

- in the transaction whose append reaches a multiple of BATCH ids, just
  before its COMMIT (rolled back with it, the batch waits for the next one);
- before every read of the log by what the indexes hold (the API's lists,
  `audit export` and `audit archive` by time), so that no entry is missed;
  those reads add `in_indexes = 1` (`INDEXED`), which lets SQLite use the
  partial indexes.

Nothing of an entry's content changes: `in_indexes` is not hashed, exported or
archived. MySQL/MariaDB have no partial indexes: there the column is 1 from
the start, the indexes are whole and `catch_up` does nothing.
"""

import sqlalchemy as sa

from .models import AuditEntry

entries = AuditEntry.__table__

#: Entries per batch: the commit that appends entry BATCH, 2*BATCH, ... files the batch.
BATCH = 200

#: What a read of the log adds so that SQLite may use the partial indexes: their
#: own condition, literally, as the planner needs to find it in the query.
INDEXED = entries.c.in_indexes == sa.literal_column("1")

# The entries not yet filed are those after the last filed one. NOT INDEXED walks
# the table itself down from the top (any partial index would be read whole to
# find it), so it reads only the entries still to be filed.
_FILE = sa.text(
    "UPDATE audit_audit_entry SET in_indexes = 1 WHERE id > coalesce(("
    "SELECT id FROM audit_audit_entry NOT INDEXED WHERE in_indexes = 1 "
    "ORDER BY id DESC LIMIT 1), 0)"
)


def applies(bind):
    """True for an engine or connection of SQLite, the one database whose indexes are partial."""
    return bind.dialect.name == "sqlite"


def catch_up(connection):
    """File every entry not yet in the indexes, in `connection`'s transaction (SQLite)."""
    if applies(connection):
        connection.execute(_FILE)


def file_all(engine):
    """`catch_up` in a transaction of its own: before a read that relies on the indexes."""
    if applies(engine):
        with engine.begin() as connection:
            catch_up(connection)


def completes_batch(rows):
    """True when appending `rows` (in id order) reached a multiple of BATCH."""
    return rows[-1]["id"] // BATCH != (rows[0]["id"] - 1) // BATCH
