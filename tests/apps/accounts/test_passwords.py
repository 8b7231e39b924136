"""Changing a password, and resetting a forgotten one through a mailed one-time link."""

import pytest
import sqlalchemy as sa

from apps.accounts.models import User
from apps.accounts.passwords import validate_password
from project.signals import password_changed, password_reset_requested

from .conftest import PASSWORD, bearer, token_in

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("1234509876", "This password is entirely numeric."),
        ("alice-wonder", "This password is too similar to the username."),
        ("wonderland.org", "This password is too similar to the e-mail address."),
    ],
)
def test_each_validator_names_its_rule(app, password, problem):
    with app.app_context():
        assert problem in validate_password(password, "alice-wonder", "ann@wonderland.org")


def test_a_good_passphrase_passes_every_validator(app):
    with app.app_context():
        assert validate_password(NEW_PASSWORD, "alice", "alice@example.com") == []


def change(client, headers, old=PASSWORD, new=NEW_PASSWORD):
    body = {"old_password": old, "new_password": new}
    return client.post("/api/accounts/password/change", json=body, headers=headers)


def test_change_sets_the_password_and_revokes_the_other_tokens(client, login, user):
    other = login("alice").json["token"]
    sent = []
    with password_changed.connected_to(lambda sender, **kw: sent.append(kw["user"].id)):
        response = change(client, user.headers)
    assert response.status_code == 204
    assert sent == [user.id]
    assert client.get("/api/accounts/me", headers=user.headers).status_code == 200
    assert client.get("/api/accounts/me", headers=bearer(other)).status_code == 401
    assert login("alice", PASSWORD).status_code == 401
    assert login("alice", NEW_PASSWORD).status_code == 200


def test_change_with_a_wrong_old_password_is_422_and_counts_as_a_failure(client, user):
    response = change(client, user.headers, old="not my password")
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["old_password"]
    statuses = [change(client, user.headers, old="guess").status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 429]


def test_change_to_a_weak_password_is_422_and_changes_nothing(client, login, user):
    response = change(client, user.headers, new="password")
    assert response.status_code == 422
    assert "This password is too common." in response.json["error"]["fields"]["new_password"]
    assert login("alice", PASSWORD).status_code == 200


def test_change_needs_a_token(client, db):
    assert change(client, {}).status_code == 401


def request_reset(client, email):
    return client.post("/api/accounts/password/reset", json={"email": email})


def test_reset_is_202_whether_or_not_the_address_exists(client, user, mailoutbox):
    known, unknown = request_reset(client, "ALICE@example.com"), request_reset(client, "x@y.org")
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json
    [message] = mailoutbox
    assert message.recipients == ("alice@example.com",)
    assert "/accounts/password/reset#token=" in message.body


def test_reset_requests_are_signalled_with_the_address(client, user, mailoutbox):
    sent = []
    with password_reset_requested.connected_to(lambda sender, **kw: sent.append(kw)):
        request_reset(client, "alice@example.com")
        request_reset(client, "nobody@example.com")
    assert [(kw["email"], getattr(kw["user"], "id", None)) for kw in sent] == [
        ("alice@example.com", user.id),
        ("nobody@example.com", None),
    ]


def test_no_reset_mail_for_an_inactive_account(client, make_user, mailoutbox):
    make_user("sleepy", is_active=False)
    assert request_reset(client, "sleepy@example.com").status_code == 202
    assert mailoutbox == []


def confirm(client, token, new=NEW_PASSWORD):
    body = {"token": token, "new_password": new}
    return client.post("/api/accounts/password/reset/confirm", json=body)


@pytest.fixture
def reset_token(client, user, mailoutbox):
    request_reset(client, "alice@example.com")
    return token_in(mailoutbox[-1])


def test_confirm_sets_the_new_password_and_revokes_every_token(client, login, user, reset_token):
    response = confirm(client, reset_token)
    assert response.status_code == 204
    assert client.get("/api/accounts/me", headers=user.headers).status_code == 401
    assert login("alice", NEW_PASSWORD).status_code == 200


def test_a_reset_token_works_once(client, reset_token):
    assert confirm(client, reset_token).status_code == 204
    again = confirm(client, reset_token, new="yet-another-passphrase")
    assert again.status_code == 400
    assert again.json["error"]["code"] == "invalid_token"


def test_a_weak_new_password_is_422_and_keeps_the_token_usable(client, reset_token):
    response = confirm(client, reset_token, new="12345")
    assert response.status_code == 422
    assert "new_password" in response.json["error"]["fields"]
    assert confirm(client, reset_token).status_code == 204


def test_a_reset_token_dies_when_the_password_changes_otherwise(client, user, reset_token):
    assert change(client, user.headers).status_code == 204
    response = confirm(client, reset_token, new="yet-another-passphrase")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_token"


def test_an_unknown_reset_token_is_400(client, db):
    response = confirm(client, "made-up")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/accounts/password/reset", {}),
        ("/api/accounts/password/reset", {"email": "not-an-address"}),
        ("/api/accounts/password/reset/confirm", {"token": "t"}),
        ("/api/accounts/password/reset/confirm", {"token": "t", "new_password": "p" * 257}),
        ("/api/accounts/password/change", {"old_password": PASSWORD}),
    ],
)
def test_bad_bodies_are_422(client, user, path, body):
    response = client.post(path, json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json["error"]["fields"]


def test_the_stored_hash_is_argon2_and_never_the_password(user, db):
    stored = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
