"""A database built by the migrations starts with the audit chain's head row."""

import flask_migrate
import sqlalchemy as sa

from project import create_app
from project.extensions import db

from .entries import an_entry


def test_db_upgrade_seeds_the_chain_head(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade()
        rows = db.session.execute(sa.text("SELECT id, seq, hash FROM audit_audit_chain_head")).all()
        db.engine.dispose()
    assert rows == [(1, 0, "0" * 64)]


def test_on_a_migrated_sqlite_database_the_head_follows_each_appended_entry(tmp_path):
    from apps.audit import chain

    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    entry = an_entry()
    statements = []

    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            chain.append(connection, [dict(entry)])
        with db.engine.begin() as connection:
            # What SQLite itself runs (the append goes to the driver's cursor).
            connection.connection.dbapi_connection.set_trace_callback(statements.append)
            written = chain.append(connection, [dict(entry), dict(entry)])
            connection.connection.dbapi_connection.set_trace_callback(None)
        with db.engine.connect() as connection:
            head = chain.read_head(connection)
            last = connection.execute(sa.text("SELECT MAX(id) FROM audit_audit_entry")).scalar()
        db.engine.dispose()
    assert head == (3, written[-1]["hash"]) and last == 3
    # Sent: the lock (a touch of the head) and the INSERT; no UPDATE of the head
    # follows it, yet the head moved: the trigger did it.
    updates = [s for s in statements if s.startswith("UPDATE")]
    assert {s.split()[0] for s in statements} == {"BEGIN", "UPDATE", "INSERT"}
    assert len(updates) == 1 and updates[0].endswith("RETURNING seq, hash, timestamp")


def test_on_a_migrated_sqlite_database_an_entry_id_is_the_rowid_and_old_entries_stay(tmp_path):
    from apps.audit import chain, verify

    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    entry = an_entry()
    with app.app_context():
        flask_migrate.upgrade(revision="9d5a7c2e4f61")  # entries keyed by a BIGINT
        with db.engine.begin() as connection:
            # The columns of that revision (today's append also writes in_indexes);
            # the revision's trigger moves the head.
            before = chain._chained([dict(entry), dict(entry)], 0, chain.GENESIS, None)
            connection.execute(chain.entries.insert(), before)
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            chain.append(connection, [dict(entry)])
        with db.engine.connect() as connection:
            columns = connection.exec_driver_sql("PRAGMA table_info(audit_audit_entry)").all()
            indexes = connection.exec_driver_sql("PRAGMA index_list(audit_audit_entry)").all()
            kept = connection.execute(sa.text("SELECT hash FROM audit_audit_entry WHERE id <= 2"))
            kept = [row[0] for row in kept]
            head = chain.read_head(connection)
            result = verify.walk(connection)
        db.engine.dispose()
    assert next(c for c in columns if c[1] == "id")[2] == "INTEGER"
    assert not [index for index in indexes if index[1].startswith("sqlite_autoindex")]
    assert kept == [row["hash"] for row in before]
    # The rebuilt table has its trigger again: the head followed the third entry.
    assert head[0] == 3 and result.fault is None and result.count == 3
