"""manage.py createsuperuser, changepassword, tokens purge, permissions sync, db upgrade."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from apps.accounts.models import Permission, Token, User
from project import create_app
from project.extensions import db as _db
from project.models import utcnow

from .conftest import PASSWORD


@pytest.fixture
def run(app, db):
    runner = app.test_cli_runner()

    def invoke(*args, env=None, input=None):
        return runner.invoke(args=list(args), env=env, input=input)

    return invoke


SUPERUSER_ENV = {
    "SUPERUSER_EMAIL": "Root@Example.com",
    "SUPERUSER_USERNAME": "root",
    "SUPERUSER_PASSWORD": PASSWORD,
}


def test_createsuperuser_noinput_reads_the_environment(run, db, login):
    result = run("createsuperuser", "--noinput", env=SUPERUSER_ENV)
    assert result.exit_code == 0, result.output
    assert "Superuser 'root' created." in result.output
    root = db.session.scalars(sa.select(User)).one()
    assert (root.email, root.is_active, root.is_staff, root.is_superuser) == (
        "root@example.com",
        True,
        True,
        True,
    )
    assert login("root").status_code == 200


def test_createsuperuser_noinput_names_a_missing_variable(run, db):
    result = run("createsuperuser", "--noinput", env={**SUPERUSER_ENV, "SUPERUSER_PASSWORD": ""})
    assert result.exit_code != 0
    assert "SUPERUSER_PASSWORD" in result.output
    assert db.session.scalars(sa.select(User)).all() == []


def test_createsuperuser_noinput_refuses_a_weak_password(run, db):
    result = run(
        "createsuperuser", "--noinput", env={**SUPERUSER_ENV, "SUPERUSER_PASSWORD": "1234"}
    )
    assert result.exit_code != 0
    assert "too short" in result.output
    assert db.session.scalars(sa.select(User)).all() == []


def test_createsuperuser_refuses_a_taken_username(run, user, db):
    result = run(
        "createsuperuser", "--noinput", env={**SUPERUSER_ENV, "SUPERUSER_USERNAME": "Alice"}
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_createsuperuser_interactive_asks_twice_for_the_password(run, db):
    result = run("createsuperuser", input=f"boss@example.com\nboss\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert db.session.scalars(sa.select(User.username)).all() == ["boss"]


def test_createsuperuser_interactive_may_bypass_validation_when_told(run, db):
    answers = "boss@example.com\nboss\nshortpw\nshortpw\ny\n"
    result = run("createsuperuser", input=answers)
    assert result.exit_code == 0, result.output
    assert "too short" in result.output


def test_changepassword_sets_it_and_revokes_tokens(run, user, login, client):
    new = "another-long-passphrase"
    result = run("changepassword", "ALICE", input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert "1 token(s) revoked" in result.output
    assert client.get("/api/accounts/me", headers=user.headers).status_code == 401
    assert login("alice", new).status_code == 200


def test_changepassword_of_an_unknown_user_fails(run, db):
    result = run("changepassword", "ghost")
    assert result.exit_code != 0
    assert "ghost" in result.output


def test_tokens_purge_deletes_only_expired_tokens(run, make_user, db):
    alice, bob = make_user("alice"), make_user("bob")
    db.session.execute(
        sa.update(Token)
        .where(Token.user_id == alice.id)
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()
    result = run("tokens", "purge")
    assert result.exit_code == 0, result.output
    assert "Deleted 1 expired token." in result.output
    assert db.session.scalars(sa.select(Token.user_id)).all() == [bob.id]


def test_permissions_sync_lists_what_it_created(run, db):
    result = run("permissions", "sync")
    assert result.exit_code == 0, result.output
    assert "+ articles.change_article" in result.output
    assert "articles.change_article" in db.session.scalars(sa.select(Permission.codename)).all()
    assert "0 permission(s) created." in run("permissions", "sync").output


def test_db_upgrade_syncs_permissions_afterwards(tmp_path):
    """`db upgrade` (here a no-op: the schema is stamped at head) then creates the rows."""
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with app.app_context():
        _db.create_all()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "stamp", "head"]).exit_code == 0
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = set(_db.session.scalars(sa.select(Permission.codename)))
        _db.session.remove()
        _db.engine.dispose()
    assert f"Permissions in sync ({len(stored)} created)." in result.output
    assert "articles.change_article" in stored
