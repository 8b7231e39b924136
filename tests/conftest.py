"""Fixtures every test can use: `app`, `client`, `db`, `count_queries`.

The suite runs on SQLite by default. With TEST_DATABASE_URL set to a MySQL
URL (e.g. mysql+pymysql://root:@127.0.0.1:3306/test_project?charset=utf8mb4)
it creates that database, runs the same tests on it, and drops it at the end.
Each test starts with empty tables: rows are deleted after every test that
touched the database, so tests never see each other's rows.

The `db` fixture holds an app context for the test's own database work.
Requests made with `client` still run as in production: each in a fresh
context with its own `g` and database session, and the test's session is
expired after each request so that what the test reads next is fresh.
"""

import contextvars
import os
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient

from project import create_app
from project.extensions import db as _db


def _database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@contextmanager
def _server_database(url):
    """Create (fresh) and finally drop the database named in a MySQL URL."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "mysql":
        yield
        return
    server = sa.create_engine(parsed.set(database=""), isolation_level="AUTOCOMMIT")
    name = parsed.database
    with server.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        connection.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    with _server_database(url):
        yield url


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's app context.

    Flask reuses an app context that is already pushed, so a request made
    inside `with app.app_context()` would share `g` and the database session
    with the test and with the test's other requests. Production never does.
    """

    def open(self, *args, **kwargs):
        outer = _cv_app.get(None)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if outer is not None:
            _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app("testing", DATABASE_URL=database_url)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()  # release MariaDB's metadata lock before dropping (PITFALLS P4)
        _db.drop_all()
        _db.engine.dispose()


def _empty_tables(app):
    with app.app_context():
        _db.session.remove()
        engine = _db.engine
        with engine.begin() as connection:
            if engine.dialect.name == "mysql":
                connection.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())
            if engine.dialect.name == "mysql":
                connection.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))


@pytest.fixture
def db(app):
    """The database, emptied after the test; yields flask-sqlalchemy's `db` in an app context."""
    with app.app_context():
        yield _db
        _db.session.remove()
    _empty_tables(app)


@pytest.fixture
def client(app, db):
    """A test client on the shared app; tables are emptied after the test."""
    return app.test_client()


class QueryCounter:
    def __init__(self):
        self.statements = []
        self.parameters = []

    @property
    def count(self):
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)
        self.parameters.append(parameters)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: ...; counter.count` counts SQL statements sent."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        with app.app_context():
            engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def mailoutbox(app):
    """The messages sent during the test (the memory mail backend's outbox), oldest first."""
    from project.mail import outbox

    sent = outbox(app)
    sent.clear()
    yield sent
    sent.clear()
