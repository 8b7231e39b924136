"""Fixtures for the audit tests: users with real tokens, the log as an auditor reads it,
`manage.py audit ...`, and a checkpoint directory of the test's own."""

import orjson
import pytest

from apps.accounts import ratelimit
from apps.accounts.services import ensure_group
from apps.audit.models import AuditEntry

from ..conftest import PASSWORD  # noqa: F401 - the audit tests import it from here


@pytest.fixture(autouse=True)
def _checkpoints(app, tmp_path, monkeypatch):
    """Each test signs checkpoints into its own directory, with the testing key."""
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_KEY", "testing-checkpoint-key")
    ratelimit.reset(app)
    yield
    ratelimit.reset(app)


@pytest.fixture
def auditor_group(db):
    """The `auditor` group: audit.view_auditentry and nothing else."""
    return ensure_group("auditor", ["audit.view_auditentry"])


@pytest.fixture
def auditor(make_user, auditor_group):
    """A staff member of the `auditor` group, which holds audit.view_auditentry only."""
    return make_user("auditor", is_staff=True, groups=[auditor_group])


def entries(db, **where):
    """The committed log as dicts, in chain order, `changes` and `extra` decoded.

    Read on a connection of its own, as an auditor would: what the test's
    session has not committed is not there (and on MariaDB the session's
    snapshot does not hide what others committed).
    """
    table = AuditEntry.__table__
    query = table.select().order_by(table.c.id)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with db.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        {**row, "changes": orjson.loads(row["changes"]), "extra": orjson.loads(row["extra"])}
        for row in rows
    ]


def summary(db, **where):
    """(action, object_type, object_id, changes) of each entry: what a diff test compares."""
    return [
        (e["action"], e["object_type"], e["object_id"], e["changes"]) for e in entries(db, **where)
    ]


@pytest.fixture
def manage(app):
    """manage("audit", "verify") -> click Result (stdout in .output, stderr in .stderr)."""

    def run(*args):
        return app.test_cli_runner().invoke(args=list(args))

    return run
