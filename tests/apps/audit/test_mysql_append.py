"""MySQL/MariaDB: one audited write appends in one statement, the hash computed by the server.

On the machine's MariaDB whatever database the suite runs on (as the pool's
tests), on a database built by the migrations: the behaviour is MySQL's.
"""

from datetime import datetime

import pytest
import sqlalchemy as sa

from apps.articles.models import Tag
from apps.audit import chain, models, verify
from project.extensions import db

from ...project.support import mariadb_database
from .entries import EVERY_FIELD, an_entry, logged_rows, migrated_app


@pytest.fixture
def mysql_app():
    with (
        mariadb_database("audit_append") as url,
        migrated_app(url.render_as_string(hide_password=False)) as app,
    ):
        yield app


def test_one_audited_write_is_one_statement_and_the_server_hashes_as_documented(mysql_app):
    statements = []

    def record(connection, cursor, statement, *rest):
        if "audit_" in statement:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for name in ("first", 'café 🏷️ "quoted"'):
            db.session.add(Tag(name=name))
            db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)

    assert len(statements) == 2
    assert all(statement.startswith("CALL audit_append_one(") for statement in statements)
    with db.engine.connect() as connection:
        rows = logged_rows(connection)
        head = chain.read_head(connection)
        result = verify.walk(connection)
    assert [row["id"] for row in rows] == [1, 2]
    assert [row["object_repr"] for row in rows] == ["<Tag first>", '<Tag café 🏷️ "quoted">']
    assert rows[0]["prev_hash"] == "0" * 64 and rows[1]["prev_hash"] == rows[0]["hash"]
    assert all(chain.content_hash(row) == row["hash"] for row in rows)
    assert rows[0]["timestamp"] <= rows[1]["timestamp"]
    assert head == (2, rows[1]["hash"])
    assert result.fault is None and result.count == 2


def test_the_hash_is_the_same_when_mariadb_assigns_all_at_once(mysql_app):
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("SET SESSION sql_mode = CONCAT(@@sql_mode, ',SIMULTANEOUS_ASSIGNMENT')")
        )
        chain.append_one(connection, an_entry(object_id="1"))
        chain.append_one(connection, an_entry(object_id="2"))
    with db.engine.connect() as connection:
        rows = logged_rows(connection)
        result = verify.walk(connection)
    assert [chain.content_hash(row) == row["hash"] for row in rows] == [True, True]
    assert result.fault is None and result.count == 2


def test_a_head_row_deleted_by_hand_comes_back_on_the_next_append(mysql_app):
    with db.engine.begin() as connection:
        connection.execute(chain.head.delete())
    with db.engine.begin() as connection:
        chain.append_one(connection, an_entry())
    with db.engine.connect() as connection:
        rows = logged_rows(connection)
        assert chain.read_head(connection) == (1, rows[0]["hash"])
    assert chain.content_hash(rows[0]) == rows[0]["hash"]


def test_an_entry_that_fails_to_insert_leaves_the_head_where_it_was(mysql_app):
    with db.engine.begin() as connection:
        chain.append_one(connection, an_entry())
        before = chain.read_head(connection)
    with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as connection:
        chain.append_one(connection, an_entry(action=None))  # action is NOT NULL
    with db.engine.connect() as connection:
        assert chain.read_head(connection) == before
        assert len(logged_rows(connection)) == 1


def test_every_field_is_stored_as_given(mysql_app):
    given = dict(EVERY_FIELD)
    with db.engine.begin() as connection:
        chain.append_one(connection, an_entry(**given))
    with db.engine.connect() as connection:
        (row,) = logged_rows(connection)
    assert {name: row[name] for name in given} == given
    assert chain.content_hash(row) == row["hash"]


def test_a_head_time_ahead_of_the_clock_is_kept_and_hashed_to_the_microsecond(mysql_app):
    ahead = datetime(2999, 1, 2, 3, 4, 5)  # no microseconds: still six digits in the hash
    with db.engine.begin() as connection:
        connection.execute(chain.head.update().values(timestamp=ahead))
        chain.append_one(connection, an_entry())
    with db.engine.connect() as connection:
        (row,) = logged_rows(connection)
    assert row["timestamp"].replace(tzinfo=None) == ahead
    assert chain.content_hash(row) == row["hash"]


def show_create_procedure(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(sa.text(f"SHOW CREATE PROCEDURE {models.APPEND_ONE}")).one()
    finally:
        engine.dispose()
    return row._mapping["Create Procedure"]


def test_the_migration_creates_the_procedure_the_models_create(mysql_app):
    migrated = show_create_procedure(db.engine.url)
    with mariadb_database("audit_append_models") as url:
        engine = sa.create_engine(url)
        try:
            db.metadata.create_all(engine)
        finally:
            engine.dispose()
        created = show_create_procedure(url)
    assert "SQL SECURITY INVOKER" in migrated
    assert migrated == created
