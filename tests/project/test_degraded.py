"""Graceful failure: what clients and operators see while the database or Redis is down.

- Database down: every API answer is a 503 envelope with Retry-After, /readyz
  is 503, /healthz stays 200; when it returns the same process serves again.
- Redis down: the API answers; the cache is skipped with one warning line;
  login fails closed (503 + Retry-After: the failure counts cannot be checked,
  so no password guess is let through); a one-time link is a 503, never
  "invalid"; registration saves nothing (its mail could not be queued).

(SIGTERM with a request in flight is tested on a real gunicorn in test_wsgi.)
"""

import logging
import secrets
import time

import pytest
import sqlalchemy as sa

from apps.accounts.models import User
from apps.accounts.services import create_user, issue_token
from apps.articles.models import Article
from project import create_app
from project.extensions import cache
from project.extensions import db as _db

from .support import UNREACHABLE_DATABASE_URL, mariadb_database
from .tcp_proxy import SilentServer, TcpProxy

REDIS_DOWN = "redis://127.0.0.1:1/0"  # nothing listens there
PASSWORD = "grey-heron-over-the-lake"


def assert_unavailable(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    error = response.json["error"]
    assert error["code"] == "service_unavailable"
    assert error["request_id"] == response.headers["X-Request-ID"]


# -- the database is down ----------------------------------------------------------------------


@pytest.fixture
def no_database_app():
    app = create_app("testing", DATABASE_URL=UNREACHABLE_DATABASE_URL)
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/articles", None),
        ("get", "/api/articles/1", None),
        ("post", "/api/articles", {"title": "Down"}),
        ("post", "/api/accounts/login", {"login": "ann", "password": PASSWORD}),
        (
            "post",
            "/api/accounts/register",
            {"email": "a@b.example", "username": "a", "password": PASSWORD},
        ),
    ],
)
def test_with_the_database_down_the_api_answers_503_envelopes(no_database_app, method, path, body):
    client = no_database_app.test_client()
    headers = {"Authorization": "Bearer " + "x" * 43}
    response = getattr(client, method)(path, json=body, headers=headers)
    assert_unavailable(response)


def test_with_the_database_down_readyz_is_503_and_healthz_200(no_database_app):
    client = no_database_app.test_client()
    assert_unavailable(client.get("/readyz"))
    assert client.get("/healthz").status_code == 200


@pytest.fixture
def mariadb_behind_a_proxy():
    """(app, proxy): a migrated MariaDB reached through a TCP proxy the test can cut."""
    with mariadb_database("degraded") as url, TcpProxy(url.port or 3306) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = create_app("testing", DATABASE_URL=proxied)
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            _db.create_all()  # tables of apps whose migrations are not written yet
        try:
            yield app, proxy
        finally:
            with app.app_context():
                _db.session.remove()
                _db.engine.dispose()


def test_when_the_database_returns_the_same_process_serves_again(mariadb_behind_a_proxy):
    app, proxy = mariadb_behind_a_proxy
    with app.app_context():
        token = issue_token(create_user("ann@example.com", "ann", PASSWORD, is_active=True))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/articles").status_code == 200  # the pool now holds a connection

    proxy.down()
    assert_unavailable(client.get("/api/articles"))
    assert_unavailable(client.post("/api/articles", json={"title": "While down"}, headers=auth))
    assert_unavailable(client.get("/readyz"))
    proxy.up()

    assert client.get("/readyz").status_code == 200
    assert client.get("/api/articles").status_code == 200
    created = client.post("/api/articles", json={"title": "After"}, headers=auth)
    assert created.status_code == 201
    with app.app_context():
        titles = _db.session.scalars(sa.select(Article.title)).all()
    assert titles == ["After"]  # the refused write left nothing behind


# -- Redis is down ----------------------------------------------------------------------------------


@pytest.fixture
def no_redis_app(app, database_url, db):
    """The suite's database, a REDIS_URL nothing answers on, jobs queued (not eager)."""
    down = create_app(
        "testing",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_DOWN,
        REDIS_SOCKET_TIMEOUT=0.2,
        JOBS_EAGER=False,
    )
    yield down
    with down.app_context():
        _db.engine.dispose()


@pytest.fixture
def member(db):
    user = create_user("ann@example.com", "ann", PASSWORD, is_active=True)
    return user, {"Authorization": f"Bearer {issue_token(user)}"}


def test_with_redis_down_the_api_reads_and_writes(no_redis_app, member):
    _, auth = member
    client = no_redis_app.test_client()

    created = client.post("/api/articles", json={"title": "Redis who?"}, headers=auth)
    listed = client.get("/api/articles", headers=auth)

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [a["title"] for a in listed.json["items"]] == ["Redis who?"]


def test_with_redis_down_a_cached_view_is_computed_with_one_warning(no_redis_app, caplog):
    caplog.set_level(logging.INFO)
    computed = []

    @cache.cached(timeout=60)
    def expensive():
        computed.append(1)
        return {"answer": 42}

    no_redis_app.add_url_rule("/_probe/cached", "probe_cached", expensive)
    client = no_redis_app.test_client()

    answers = [client.get("/_probe/cached") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(computed) == 3  # no cache, so every request computes it
    warnings = [r for r in caplog.records if r.name == "project.rediscache"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "cache unavailable: Redis at redis://127.0.0.1:1 does not answer" in warnings[0].message
    assert "Exception possibly due to cache backend" not in caplog.text  # no traceback per request


def test_with_redis_down_login_fails_closed(no_redis_app, member, caplog):
    caplog.set_level(logging.ERROR)
    response = no_redis_app.test_client().post(
        "/api/accounts/login", json={"login": "ann", "password": PASSWORD}
    )

    assert_unavailable(response)
    assert "token" not in response.json
    assert "login refused: the rate-limit store is unreachable" in caplog.text


def test_with_redis_down_an_activation_link_is_503_not_invalid(no_redis_app, caplog):
    caplog.set_level(logging.ERROR)
    response = no_redis_app.test_client().post(
        "/api/accounts/activate", json={"token": secrets.token_urlsafe(32)}
    )

    assert_unavailable(response)
    assert "Redis is unreachable, answering 503" in caplog.text


def test_with_redis_down_registration_saves_nothing(no_redis_app, db):
    response = no_redis_app.test_client().post(
        "/api/accounts/register",
        json={"email": "bo@example.com", "username": "bo", "password": PASSWORD},
    )

    assert_unavailable(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_the_cache_is_used_again_once_redis_answers(database_url, caplog):
    caplog.set_level(logging.INFO, logger="project.rediscache")
    with TcpProxy(6379) as proxy:
        app = create_app(
            "testing",
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://127.0.0.1:{proxy.port}/10",
            REDIS_SOCKET_TIMEOUT=0.5,
            CACHE_RETRY_SECONDS=0,
        )
        with app.app_context():
            assert cache.set("greeting", "hello")
            proxy.down()
            assert cache.get("greeting") is None  # a miss, not an exception
            proxy.up()
            assert cache.get("greeting") == "hello"
            cache.delete("greeting")

    messages = [r.message for r in caplog.records]
    assert any(m.startswith("cache unavailable") for m in messages)
    assert messages[-1] == f"cache available again at redis://127.0.0.1:{proxy.port}"


def test_a_redis_that_never_answers_costs_seconds_not_a_hung_worker(app, database_url, member):
    """Packets dropped, or a Redis stuck: every use waits REDIS_SOCKET_TIMEOUT, then degrades."""
    _, auth = member
    with SilentServer() as silent:
        hung = create_app(
            "testing",
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://127.0.0.1:{silent.port}/0",
            REDIS_SOCKET_TIMEOUT=0.3,
            JOBS_EAGER=False,
        )
        client = hung.test_client()
        started = time.monotonic()
        login = client.post("/api/accounts/login", json={"login": "ann", "password": PASSWORD})
        register = client.post(
            "/api/accounts/register",
            json={"email": "bo@example.com", "username": "bo", "password": PASSWORD},
        )
        listed = client.get("/api/articles", headers=auth)
        elapsed = time.monotonic() - started
        with hung.app_context():
            _db.engine.dispose()

    assert_unavailable(login)
    assert_unavailable(register)
    assert listed.status_code == 200
    assert elapsed < 5
