"""Fixtures for the accounts tests: users made through the public services, and helpers
that drive the API as a client would (register, read the mail, activate, log in)."""

import re
from contextlib import contextmanager

import pytest
import redis

from apps.accounts import ratelimit
from project import create_app
from settings.base import LOGIN_FAILURE_LIMIT as DEFAULT_LOGIN_FAILURE_LIMIT

from ..conftest import PASSWORD

#: The accounts tests' own Redis database (cache and login counts of `two_workers`).
REDIS_URL = "redis://127.0.0.1:6379/3"


@pytest.fixture(autouse=True)
def _real_login_limits(app):
    """The default limit (the test settings raise it for other suites), counts emptied:
    every test client is 127.0.0.1."""
    saved = app.config["LOGIN_FAILURE_LIMIT"]
    app.config["LOGIN_FAILURE_LIMIT"] = DEFAULT_LOGIN_FAILURE_LIMIT
    ratelimit.reset(app)
    yield
    ratelimit.reset(app)
    app.config["LOGIN_FAILURE_LIMIT"] = saved


@pytest.fixture
def user(make_user):
    return make_user("alice")


def token_in(message):
    """The one-time token of an activation or reset mail (the line after the link)."""
    return re.search(r"#token=([\w-]+)", message.body).group(1)


@pytest.fixture
def register(client):
    def post(email="ann@example.com", username="ann", password=PASSWORD, **extra):
        body = {"email": email, "username": username, "password": password, **extra}
        return client.post("/api/accounts/register", json=body)

    return post


@pytest.fixture
def login(client):
    def post(login, password=PASSWORD, **kwargs):
        return client.post(
            "/api/accounts/login", json={"login": login, "password": password}, **kwargs
        )

    return post


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def two_workers(database_url, db):
    """Two apps sharing one Redis and one database, as two gunicorn workers would."""
    settings = {"REDIS_URL": REDIS_URL, "LOGIN_FAILURE_LIMIT": DEFAULT_LOGIN_FAILURE_LIMIT}
    apps = [create_app("testing", DATABASE_URL=database_url, **settings) for _ in range(2)]
    ratelimit.reset(apps[0])
    yield apps
    ratelimit.reset(apps[0])
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter("flask_cache_*"):
        connection.delete(key)


@contextmanager
def argon2_cost(app, time_cost, memory_cost):
    """Hash with these argon2 parameters meanwhile (the test settings' are the cheapest)."""
    saved = {k: app.config[k] for k in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST")}
    app.config.update(ARGON2_TIME_COST=time_cost, ARGON2_MEMORY_COST=memory_cost)
    try:
        yield
    finally:
        app.config.update(saved)
