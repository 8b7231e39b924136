"""SQLite: the append's statements go to the driver's cursor, and store what SQLAlchemy would.

On a SQLite file built by the migrations, whatever database the suite runs on.
"""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from apps.articles.models import Tag
from apps.audit import chain, verify
from project.extensions import db

from .entries import EVERY_FIELD, an_entry, logged_rows, migrated_app


@pytest.fixture
def sqlite_app(tmp_path):
    with migrated_app(f"sqlite:///{tmp_path / 'append.sqlite3'}") as app:
        yield app


def test_audited_writes_chain_and_verify(sqlite_app):
    for name in ("first", 'café 🏷️ "quoted"'):
        db.session.add(Tag(name=name))
        db.session.commit()
    with db.engine.connect() as connection:
        rows = logged_rows(connection)
        head = chain.read_head(connection)
        result = verify.walk(connection)
    assert [row["object_repr"] for row in rows] == ["<Tag first>", '<Tag café 🏷️ "quoted">']
    assert rows[0]["prev_hash"] == "0" * 64 and rows[1]["prev_hash"] == rows[0]["hash"]
    assert all(chain.content_hash(row) == row["hash"] for row in rows)
    assert head == (2, rows[1]["hash"])
    assert result.fault is None and result.count == 2


def test_every_field_is_stored_as_given_and_read_back_as_appended(sqlite_app):
    given = dict(EVERY_FIELD)
    with db.engine.begin() as connection:
        (appended,) = chain.append(connection, [an_entry(**given)])
    with db.engine.connect() as connection:
        (row,) = logged_rows(connection)
        stored_time = connection.execute(
            sa.text("SELECT timestamp FROM audit_audit_entry")
        ).scalar()
    assert dict(row) == appended
    assert row["timestamp"].tzinfo is UTC
    # The text SQLAlchemy's own DateTime writes on SQLite, naive UTC.
    assert stored_time == appended["timestamp"].replace(tzinfo=None).isoformat(sep=" ")
    assert chain.content_hash(row) == row["hash"]


def test_a_head_time_ahead_of_the_clock_is_kept(sqlite_app):
    ahead = datetime(2999, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(chain.head.update().values(timestamp=ahead))
        (appended,) = chain.append(connection, [an_entry()])
    with db.engine.connect() as connection:
        (row,) = logged_rows(connection)
    assert appended["timestamp"] == ahead == row["timestamp"]
    assert chain.content_hash(row) == row["hash"]


def test_a_head_row_deleted_by_hand_comes_back_on_the_next_append(sqlite_app):
    with db.engine.begin() as connection:
        connection.execute(chain.head.delete())
    with db.engine.begin() as connection:
        chain.append(connection, [an_entry()])
    with db.engine.connect() as connection:
        rows = logged_rows(connection)
        assert chain.read_head(connection) == (1, rows[0]["hash"])
    assert rows[0]["prev_hash"] == "0" * 64


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it_and_leaves_the_head(sqlite_app):
    with db.engine.begin() as connection:
        chain.append(connection, [an_entry()])
        before = chain.read_head(connection)
    with pytest.raises(sa.exc.IntegrityError) as raised, db.engine.begin() as connection:
        chain.append(connection, [an_entry(action=None)])  # action is NOT NULL
    assert raised.value.statement.startswith("INSERT INTO audit_audit_entry")
    with db.engine.connect() as connection:
        assert chain.read_head(connection) == before
        assert len(logged_rows(connection)) == 1


def test_a_transaction_that_wrote_reads_the_head_without_touching_it(sqlite_app):
    statements = []
    with db.engine.begin() as connection:
        connection.execute(sa.insert(Tag.__table__).values(name="written first"))
        connection.connection.dbapi_connection.set_trace_callback(statements.append)
        chain.append(connection, [an_entry()])
        connection.connection.dbapi_connection.set_trace_callback(None)
    # It holds the write lock already: a plain read, then the INSERT (the trigger moves the head).
    assert statements[0].startswith("SELECT audit_audit_chain_head.seq")
    assert {s.split()[0] for s in statements} == {"SELECT", "INSERT"}
