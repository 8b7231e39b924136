"""POST /api/accounts/activate: the mailed one-time token activates the account once."""

import time

import pytest
import sqlalchemy as sa

from apps.accounts.models import User
from project.mail import outbox

from .conftest import PASSWORD, token_in


@pytest.fixture
def registered(register, mailoutbox):
    assert register(email="ann@example.com", username="ann").status_code == 201
    return token_in(mailoutbox[-1])


def test_the_mailed_token_activates_the_account_and_login_works(client, registered, login, db):
    assert login("ann").status_code == 401  # not yet active
    response = client.post("/api/accounts/activate", json={"token": registered})
    assert response.status_code == 200
    assert response.json["is_active"] is True
    assert db.session.scalar(sa.select(User.is_active).where(User.username == "ann")) is True
    assert login("ann").status_code == 200


def test_a_token_works_once(client, registered):
    assert client.post("/api/accounts/activate", json={"token": registered}).status_code == 200
    again = client.post("/api/accounts/activate", json={"token": registered})
    assert again.status_code == 400
    assert again.json["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("token", ["nope", "x" * 43, "ünïcode"])
def test_an_unknown_token_is_400_invalid_token(client, db, token):
    response = client.post("/api/accounts/activate", json={"token": token})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_token"


def test_an_expired_token_is_400_invalid_token(app, client, register, mailoutbox, db):
    app.config["ONE_TIME_TOKEN_TTL_SECONDS"] = 1
    try:
        register()
    finally:
        app.config["ONE_TIME_TOKEN_TTL_SECONDS"] = 24 * 3600
    time.sleep(1.5)
    response = client.post("/api/accounts/activate", json={"token": token_in(mailoutbox[-1])})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_token"


def test_the_token_is_stored_only_hashed(app, registered):
    from project.extensions import cache

    with app.app_context():
        keys = list(cache.cache._cache)  # SimpleCache: the test settings' cache
    assert keys and all(registered not in key for key in keys)


@pytest.mark.parametrize(
    "body", [{}, {"token": ""}, {"token": "t" * 201}, {"token": "t", "user_id": 1}]
)
def test_bad_bodies_are_422(client, db, body):
    response = client.post("/api/accounts/activate", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"]


def test_with_redis_a_link_made_by_one_worker_works_once_on_another(two_workers, db):
    first, second = (app.test_client() for app in two_workers)
    body = {"email": "ann@example.com", "username": "ann", "password": PASSWORD}
    assert first.post("/api/accounts/register", json=body).status_code == 201
    token = token_in(outbox(two_workers[0])[-1])
    assert second.post("/api/accounts/activate", json={"token": token}).status_code == 200
    assert first.post("/api/accounts/activate", json={"token": token}).status_code == 400
