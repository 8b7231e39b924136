"""Every SQLite connection is set up by SQLITE_PRAGMAS: foreign keys on, WAL."""

import pytest
import sqlalchemy as sa

from project import create_app
from project.extensions import db

from .conftest import dispose


def _pragmas(app, *names):
    with app.app_context(), db.engine.connect() as connection:
        return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}


def test_a_sqlite_connection_enforces_foreign_keys_and_writes_ahead(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'file.sqlite3'}")
    try:
        found = _pragmas(app, "foreign_keys", "journal_mode", "synchronous")
    finally:
        dispose(app)
    assert found == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 1}  # 1 = NORMAL


def test_the_pragmas_are_a_setting(tmp_path):
    app = create_app(
        "testing",
        DATABASE_URL=f"sqlite:///{tmp_path / 'file.sqlite3'}",
        SQLITE_PRAGMAS={"foreign_keys": "ON", "journal_mode": "DELETE", "synchronous": "FULL"},
    )
    try:
        found = _pragmas(app, "journal_mode", "synchronous")
    finally:
        dispose(app)
    assert found == {"journal_mode": "delete", "synchronous": 2}  # 2 = FULL


def test_a_row_pointing_nowhere_is_refused(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'file.sqlite3'}")
    try:
        with app.app_context(), db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            connection.exec_driver_sql(
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))"
            )
        refused = pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY")
        with refused, app.app_context(), db.engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO child (id, parent_id) VALUES (1, 42)")
    finally:
        dispose(app)


def test_the_connection_handed_back_last_is_handed_out_next(tmp_path):
    # SQLite keeps a connection's page cache while nobody else wrote: reusing the
    # connection a request just used reads the pages it just read from memory.
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'file.sqlite3'}")
    try:
        with app.app_context():
            first, second = db.engine.connect(), db.engine.connect()
            drivers = [c.connection.dbapi_connection for c in (first, second)]
            first.close()
            second.close()
            with db.engine.connect() as again:
                reused = again.connection.dbapi_connection
    finally:
        dispose(app)
    assert reused is drivers[1]
