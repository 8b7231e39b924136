"""Pessimistic disconnect handling that costs nothing on a busy connection.

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
