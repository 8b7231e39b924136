"""Liveness and readiness, for load balancers and orchestrators.

`/healthz` answers without touching anything (the process is alive);
`/readyz` answers 200 only when the database responds and its schema is at
the migration head, so a node is not put in rotation before `db upgrade`.
"""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .errors import envelope
from .extensions import db
from .migrations import migration_state

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    return jsonify(status="ok")


@health.get("/readyz")
def readyz():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            state = migration_state(connection)
    except SQLAlchemyError:
        return envelope(
            503,
            "service_unavailable",
            "The database is unreachable.",
            headers=[("Retry-After", "5")],
        )
    if not state.at_head:
        return envelope(503, "service_unavailable", state.advice(), headers=[("Retry-After", "30")])
    return jsonify(status="ok", database="ok", migrations="head")
