"""Bearer tokens: what authenticates, what is refused and how, logout, logout-all."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from apps.accounts.models import Token
from project.models import utcnow
from project.signals import user_logged_out

from .conftest import bearer


def me(client, headers):
    return client.get("/api/accounts/me", headers=headers)


def test_no_credentials_on_a_protected_endpoint_is_401_with_www_authenticate(client, db):
    response = client.get("/api/accounts/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer ", "Bearer two words", "Bearer " + "x" * 201],
    ids=["empty", "with-a-space", "oversized"],
)
def test_a_malformed_bearer_token_is_401(client, db, header):
    response = me(client, {"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401_invalid_token(client, db):
    response = me(client, bearer("a-token-nobody-issued"))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401_token_expired(client, user, db):
    db.session.execute(sa.update(Token).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = me(client, user.headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_expired"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_users_token_is_refused(client, user, db):
    user.is_active = False
    db.session.commit()
    assert me(client, user.headers).status_code == 401


def test_last_used_at_is_written_at_most_once_a_minute(client, user, db):
    def last_used():
        db.session.rollback()  # a fresh snapshot (REPEATABLE READ on MariaDB)
        return db.session.scalar(sa.select(Token.last_used_at).where(Token.user_id == user.id))

    assert last_used() is None
    me(client, user.headers)
    first = last_used()
    assert first is not None
    me(client, user.headers)
    assert last_used() == first
    db.session.execute(sa.update(Token).values(last_used_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()
    me(client, user.headers)
    assert last_used() > first


def test_logout_revokes_only_the_token_used(client, login, user, db):
    other = login("alice").json["token"]
    scopes = []
    with user_logged_out.connected_to(lambda sender, **kw: scopes.append(kw["scope"])):
        response = client.post("/api/accounts/logout", headers=user.headers)
    assert response.status_code == 204
    assert response.data == b""
    assert scopes == ["token"]
    assert me(client, user.headers).status_code == 401
    assert me(client, bearer(other)).status_code == 200


def test_logout_all_revokes_every_token_of_the_user(client, login, user, make_user, db):
    other = login("alice").json["token"]
    bystander = make_user("bob")
    response = client.post("/api/accounts/logout-all", headers=user.headers)
    assert response.status_code == 204
    assert me(client, user.headers).status_code == 401
    assert me(client, bearer(other)).status_code == 401
    assert me(client, bystander.headers).status_code == 200


@pytest.mark.parametrize("path", ["/api/accounts/logout", "/api/accounts/logout-all"])
def test_logout_needs_a_token(client, db, path):
    response = client.post(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_token_user_reads_and_changes_like_a_loaded_one(app, db, make_user):
    """The bearer user is read with a few columns; the rest load on use, old values included."""
    from project.auth import current_user
    from project.signals import model_updated

    user = make_user("reader")
    email, joined = user.email, user.date_joined
    changes = []

    def receive(sender, **payload):
        changes.append(payload["changes"])

    db.session.remove()
    with app.test_request_context("/api/articles", headers=user.headers):
        found = current_user()
        assert (found.id, found.username, found.is_active) == (user.id, "reader", True)
        assert "email" not in sa.inspect(found).dict  # not read yet
        found.email = "renamed@example.com"  # set without a read: the old value loads first
        assert found.date_joined == joined
        with model_updated.connected_to(receive):
            db.session.commit()
        db.session.remove()
    assert changes[0]["email"] == [email, "renamed@example.com"]
