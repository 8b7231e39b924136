"""The pool's round trips: a ping only after idling, a reset only when needed.

Pessimistic disconnect handling that costs nothing on a busy connection:

SQLAlchemy's `pool_pre_ping` pings the server on every checkout: one round
trip per request, about a tenth of a simple write on MariaDB. A connection
handed back a moment ago is almost surely alive; the ones that die are those
left idle (the server's wait_timeout, a restart, a failover while the pool
slept). So the ping is sent only when the connection has been idle for
DATABASE_PING_IDLE_SECONDS or more; a dead one is replaced before the request
sees it (SQLAlchemy's documented custom pessimistic recipe: raise
DisconnectionError from "checkout", and the pool connects afresh).

A server that dies between two requests less than that apart fails the first
statement of the next one: the API answers 503 with Retry-After, SQLAlchemy
discards every pooled connection of that engine, and the request after it
connects anew.

`roll_back_only_open_transactions` drops the pool's ROLLBACK of connections
whose transaction already ended (see there).
"""

import time

import sqlalchemy as sa

_LAST_USED = "project.pool.last_used"


def ping_idle_connections(engine, idle_seconds):
    """Ping a connection at checkout when it has been idle for `idle_seconds` or more."""

    @sa.event.listens_for(engine, "checkin")
    def _remember_use(dbapi_connection, record):
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        last_used = record.info.get(_LAST_USED)
        if last_used is not None and time.monotonic() - last_used < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            raise sa.exc.DisconnectionError("The pooled connection was closed by the server.")


_ENDED = "project.pool.transaction_ended"
_SERVER_STATUS_IN_TRANS = 1  # the MySQL protocol's flag in every OK packet


def roll_back_only_open_transactions(engine):
    """Reset a connection returned to the pool only when a transaction may still be open.

    The pool rolls back every connection it gets back. After a COMMIT, or
    after the Session's own ROLLBACK of a read, that is a second round trip
    for nothing, on every request (SQLAlchemy skips it only for a transaction
    the Connection closes itself). The engine is made with
    `pool_reset_on_return=None` and this `reset` listener rolls back unless
    both say the transaction is over: SQLAlchemy (a commit or rollback came
    after the last begin) and the driver (sqlite3's `in_transaction`; the
    status flag of MySQL's last OK packet, which a failed COMMIT does not
    clear). Anything else, or a driver that cannot tell, is rolled back.
    """

    @sa.event.listens_for(engine, "begin")
    def _begun(connection):
        connection.info[_ENDED] = False

    @sa.event.listens_for(engine, "commit")
    @sa.event.listens_for(engine, "rollback")
    def _ending(connection):
        if not connection.invalidated:  # an invalidated one is discarded, not reset
            connection.info[_ENDED] = True

    @sa.event.listens_for(engine, "reset")
    def _reset(dbapi_connection, record, reset_state):
        if reset_state.transaction_was_reset:
            return
        ended = record is not None and record.info.pop(_ENDED, False)
        if ended and driver_reports_no_transaction(dbapi_connection):
            return
        dbapi_connection.rollback()


def driver_reports_no_transaction(dbapi_connection):
    """True when the DBAPI connection itself says no transaction is open; False if unsure."""
    in_transaction = getattr(dbapi_connection, "in_transaction", None)  # sqlite3
    if isinstance(in_transaction, bool):
        return not in_transaction
    status = getattr(dbapi_connection, "server_status", None)  # PyMySQL
    if isinstance(status, int):
        return not status & _SERVER_STATUS_IN_TRANS
    return False
