"""POST /api/accounts/login: a bearer token for good credentials, one answer for every bad one."""

import statistics
import time
from datetime import datetime

import pytest
import sqlalchemy as sa

from apps.accounts.models import Token, User
from project.signals import user_logged_in, user_login_failed

from .conftest import PASSWORD, argon2_cost, bearer


def test_login_by_username_gives_a_token_its_expiry_and_the_user(login, user, client):
    response = login("alice")
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"token", "expires_at", "user"}
    assert body["user"]["username"] == "alice"
    assert datetime.fromisoformat(body["expires_at"]) > datetime.fromisoformat(
        body["user"]["last_login"]
    )
    me = client.get("/api/accounts/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.json["id"] == user.id


@pytest.mark.parametrize("tried", ["alice@example.com", "ALICE@Example.com", "ALICE"])
def test_login_by_email_or_username_ignores_case(login, user, tried):
    assert login(tried).status_code == 200


def test_a_token_is_random_and_stored_only_as_its_sha256(login, user, db):
    import hashlib

    first, second = login("alice").json["token"], login("alice").json["token"]
    assert first != second and len(first) >= 40
    hashes = set(db.session.scalars(sa.select(Token.key_hash).where(Token.user_id == user.id)))
    assert hashlib.sha256(first.encode()).hexdigest() in hashes
    assert not any(first in h or second in h for h in hashes)


def test_login_records_last_login_and_sends_the_signal(login, user, db):
    with user_logged_in.connected_to(received := _Recorder()):
        assert login("alice").status_code == 200
    assert db.session.get(User, user.id).last_login is not None
    [(_, payload)] = received.calls
    assert payload["user"].id == user.id and payload["method"] == "token"
    assert set(payload["meta"]) >= {"ip", "user_agent", "request_id"}


@pytest.fixture
def inactive(make_user):
    return make_user("sleepy", is_active=False, token=False)


@pytest.mark.parametrize(
    ("tried", "password"),
    [("alice", "wrong password!"), ("nobody", PASSWORD), ("sleepy", PASSWORD)],
    ids=["wrong-password", "unknown-user", "inactive-user"],
)
def test_every_bad_credential_gets_the_same_401(login, user, inactive, tried, password):
    response = login(tried, password)
    assert response.status_code == 401
    error = response.json["error"]
    assert error["code"] == "invalid_credentials"
    assert error["message"] == "Unable to log in with the provided credentials."
    assert set(error) == {"code", "message", "request_id"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_failed_login_signal_names_the_login_never_the_password(login, user):
    with user_login_failed.connected_to(received := _Recorder()):
        login("alice", "my secret guess")
    [(_, payload)] = received.calls
    assert payload["login"] == "alice"
    assert payload["reason"] == "wrong_password"
    assert "my secret guess" not in repr(payload)


def test_unknown_and_inactive_users_take_as_long_as_a_wrong_password(app, login, make_user):
    """A dummy hash is verified for an unknown login, so timing does not enumerate users."""
    with argon2_cost(app, time_cost=2, memory_cost=32768):
        make_user("timed", token=False)
        make_user("dormant", is_active=False, token=False)

        def median_ms(tried, password):
            samples = []
            for _ in range(5):
                started = time.perf_counter()
                assert login(tried, password).status_code == 401
                samples.append((time.perf_counter() - started) * 1000)
            from apps.accounts import ratelimit

            ratelimit.reset(app)
            return statistics.median(samples)

        wrong_password = median_ms("timed", "not the password")
        unknown = median_ms("no-such-user", "not the password")
        inactive = median_ms("dormant", PASSWORD)
    assert unknown > 0.5 * wrong_password
    assert inactive > 0.5 * wrong_password


def test_a_hash_with_old_parameters_is_upgraded_at_login(app, login, make_user, db):
    user = make_user("legacy", token=False)
    old_hash = user.password_hash
    with argon2_cost(app, time_cost=2, memory_cost=2048):
        assert login("legacy").status_code == 200
    new_hash = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert new_hash != old_hash
    assert "m=2048,t=2" in new_hash
    assert login("legacy").status_code == 200  # still the same password


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"login": "alice"},
        {"password": PASSWORD},
        {"login": "", "password": PASSWORD},
        {"login": "a" * 255, "password": PASSWORD},
        {"login": "alice", "password": PASSWORD, "x": 1},
    ],
)
def test_bad_bodies_are_422(client, db, body):
    response = client.post("/api/accounts/login", json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


class _Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, sender, **payload):
        self.calls.append((sender, payload))
