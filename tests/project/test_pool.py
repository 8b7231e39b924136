"""MySQL connections: pinged after sitting idle, used as they are when busy,
rolled back on their return to the pool only when a transaction may be open.

On the machine's MariaDB whatever database the suite runs on, because the
behaviour is MySQL's (SQLite has no server to lose).
"""

import time

import pytest
import sqlalchemy as sa

from project import create_app
from project.extensions import db

from .support import mariadb_database

IDLE = 0.3


@pytest.fixture
def mysql_engine():
    """The engine of an app on an empty MariaDB database, pinging after IDLE seconds."""
    with mariadb_database("pool") as url:
        app = create_app(
            "testing",
            DATABASE_URL=url.render_as_string(hide_password=False),
            DATABASE_PING_IDLE_SECONDS=IDLE,
        )
        with app.app_context():
            engine = db.engine
            try:
                yield engine
            finally:
                engine.dispose()


def connection_id(engine):
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT CONNECTION_ID()")).scalar()


def pings_on(engine):
    """COM_PINGs the server counted on the connection the pool hands out next."""
    with engine.connect() as connection:
        status = connection.execute(sa.text("SHOW SESSION STATUS LIKE 'Com_admin_commands'"))
        return int(status.one()[1])


def kill(engine, thread_id):
    """KILL the server thread from a connection outside the engine's pool."""
    outsider = sa.create_engine(engine.url)
    try:
        with outsider.connect() as connection:
            connection.execute(sa.text(f"KILL {int(thread_id)}"))
    finally:
        outsider.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(mysql_engine):
    before = pings_on(mysql_engine)
    for _ in range(5):
        connection_id(mysql_engine)
    assert pings_on(mysql_engine) == before  # the same connection, no ping in between


def test_an_idle_connection_is_pinged_before_use(mysql_engine):
    before = pings_on(mysql_engine)
    time.sleep(IDLE + 0.2)
    assert pings_on(mysql_engine) == before + 1


def test_an_idle_connection_the_server_dropped_is_replaced_unseen(mysql_engine):
    first = connection_id(mysql_engine)
    kill(mysql_engine, first)
    time.sleep(IDLE + 0.2)
    assert connection_id(mysql_engine) not in (first, None)


def test_a_busy_connection_the_server_dropped_fails_once_then_the_pool_reconnects(mysql_engine):
    first = connection_id(mysql_engine)
    kill(mysql_engine, first)
    with pytest.raises(sa.exc.OperationalError):
        connection_id(mysql_engine)  # used within IDLE seconds: not pinged
    assert connection_id(mysql_engine) not in (first, None)


def rollbacks_on(engine):
    """ROLLBACKs the server counted on the connection the pool hands out next.

    Reading the counter opens a transaction, which closing the connection
    rolls back: that one is counted by the next reading.
    """
    with engine.connect() as connection:
        status = connection.execute(sa.text("SHOW SESSION STATUS LIKE 'Com_rollback'"))
        return int(status.one()[1])


def test_a_committed_transaction_goes_back_to_the_pool_without_a_rollback(mysql_engine):
    with mysql_engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INT)"))
    before = rollbacks_on(mysql_engine)
    with mysql_engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO t VALUES (1)"))
    assert rollbacks_on(mysql_engine) - before == 1  # the reading's own, nothing more


def test_a_read_in_a_session_is_rolled_back_once(mysql_engine):
    before = rollbacks_on(mysql_engine)
    with sa.orm.Session(mysql_engine) as session:
        assert session.execute(sa.text("SELECT 1")).scalar() == 1
    assert rollbacks_on(mysql_engine) - before == 2  # the reading's and the session's


def test_a_connection_returned_inside_a_transaction_is_rolled_back(mysql_engine):
    with mysql_engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INT)"))
    raw = mysql_engine.raw_connection()  # written past SQLAlchemy: only the driver knows
    cursor = raw.cursor()
    cursor.execute("INSERT INTO t VALUES (1)")
    cursor.close()
    raw.close()  # back to the pool, uncommitted
    with mysql_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM t")).scalar() == 0
