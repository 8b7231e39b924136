"""GET and PATCH /api/accounts/me: the caller's own account; only the username may change."""

import pytest


def test_me_shows_the_callers_account_without_secrets(client, user):
    response = client.get("/api/accounts/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json["username"] == "alice"
    assert response.json["email"] == "alice@example.com"
    assert response.json["groups"] == []
    assert not {"password", "password_hash", "is_superuser"} & set(response.json)


def test_patch_changes_the_username(client, user):
    response = client.patch("/api/accounts/me", json={"username": "alicia"}, headers=user.headers)
    assert response.status_code == 200
    assert response.json["username"] == "alicia"
    assert client.get("/api/accounts/me", headers=user.headers).json["username"] == "alicia"


def test_patch_may_change_only_the_case_of_ones_own_username(client, user):
    response = client.patch("/api/accounts/me", json={"username": "Alice"}, headers=user.headers)
    assert response.status_code == 200
    assert response.json["username"] == "Alice"


def test_a_username_someone_else_has_is_409(client, user, make_user):
    make_user("bob")
    response = client.patch("/api/accounts/me", json={"username": "BOB"}, headers=user.headers)
    assert response.status_code == 409
    assert list(response.json["error"]["fields"]) == ["username"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "new@example.com"}, "email"),
        ({"username": "ok", "is_staff": True}, "is_staff"),
        ({}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"username": "two words"}, "username"),
    ],
)
def test_anything_but_a_valid_username_is_422(client, user, body, field):
    response = client.patch("/api/accounts/me", json=body, headers=user.headers)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_needs_a_token(client, db, method):
    response = getattr(client, method)("/api/accounts/me", json={"username": "x"})
    assert response.status_code == 401
