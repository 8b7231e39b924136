"""No password, password hash or raw token ever lands in the log or its export."""

import sqlalchemy as sa

from apps.accounts.auth import hash_token
from apps.accounts.models import User
from project.extensions import db as _db

from .conftest import PASSWORD

NEW_PASSWORD = "an-entirely-new-passphrase"
WRONG_PASSWORD = "a-wrong-guess-of-a-passphrase"


def every_cell(db):
    """(table.column, text) for every non-null value of every table."""
    cells = []
    with db.engine.connect() as connection:
        for table in _db.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column, value in row.items():
                    if value is not None:
                        cells.append((f"{table.name}.{column}", str(value)))
    return cells


def where(cells, secret):
    return sorted({name for name, text in cells if secret in text})


def test_a_scan_of_every_column_and_of_the_export_finds_no_secret(
    client, db, make_user, manage, tmp_path
):
    ann = make_user("ann")
    old_hash = db.session.get(User, ann.id).password_hash
    logged_in = client.post("/api/accounts/login", json={"login": "ann", "password": PASSWORD})
    session_token = logged_in.json["token"]
    failed = client.post("/api/accounts/login", json={"login": "ann", "password": WRONG_PASSWORD})
    changed = client.post(
        "/api/accounts/password/change",
        json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {session_token}"},
    )
    assert (logged_in.status_code, failed.status_code, changed.status_code) == (200, 401, 204)
    db.session.expire_all()
    new_hash = db.session.get(User, ann.id).password_hash
    export = tmp_path / "log.jsonl"
    assert manage("audit", "export", "--output", str(export)).exit_code == 0

    cells = every_cell(db)
    exported = export.read_text()
    assert db.session.scalar(sa.text("SELECT COUNT(*) FROM audit_audit_entry")) > 5
    for secret in (PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, ann.token, session_token, old_hash):
        assert where(cells, secret) == []
        assert secret not in exported
    assert where(cells, new_hash) == ["accounts_user.password_hash"]
    assert where(cells, hash_token(session_token)) == ["accounts_token.key_hash"]
    assert new_hash not in exported
