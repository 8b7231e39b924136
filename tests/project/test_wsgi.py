"""Serving in production: project.wsgi, gunicorn.conf.py, ProxyFix, and `check` on workers.

The gunicorn tests start the real thing on a loopback port with the
project's gunicorn.conf.py and stop it afterwards.
"""

import json
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import request

from project import create_app
from project.checks import run_checks
from project.serving import cpu_count, worker_count

from .gunicorn_support import fetch, gunicorn, production_env
from .support import copy_project, run

# -- project.wsgi -----------------------------------------------------------------------------


def test_wsgi_builds_the_app_from_the_settings_in_dot_env(tmp_path):
    """gunicorn never reads .env itself (PITFALLS P13): project.wsgi does, before anything."""
    project = copy_project(tmp_path / "project")
    (project / ".env").write_text(
        textwrap.dedent(
            f"""\
            APP_SETTINGS=production
            SECRET_KEY=a-long-random-secret-for-the-tests-0123456789
            DATABASE_URL=sqlite:///{tmp_path / "prod.sqlite3"}
            ALLOW_SQLITE_IN_PRODUCTION=true
            SITE_URL=https://from-dot-env.example
            """
        )
    )
    result = run(
        [
            "-c",
            "from project.wsgi import app; "
            "print(app.config['SETTINGS_NAME'], app.config['SITE_URL'], app.debug)",
        ],
        cwd=tmp_path,  # not the project folder: .env is found next to the code, not the cwd
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["production", "https://from-dot-env.example", "False"]


# -- gunicorn ------------------------------------------------------------------------------------


def test_gunicorn_runs_web_concurrency_workers_and_logs_json_lines_with_the_request_id(tmp_path):
    with gunicorn(tmp_path, production_env(tmp_path, WEB_CONCURRENCY="3")) as server:
        assert len(server.workers()) == 3
        status, headers, _ = fetch(f"{server.url}/healthz", headers={"X-Request-ID": "trace-me-42"})
        assert status == 200
        assert headers["X-Request-ID"] == "trace-me-42"
        assert headers["X-Frame-Options"] == "DENY"  # the app's middleware ran
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("request_id") == "trace-me-42"]

    [access] = [line for line in ours if line["logger"] == "gunicorn.access"]
    assert access["method"] == "GET" and access["path"] == "/healthz" and access["status"] == 200
    assert access["duration_ms"] >= 0
    [app_line] = [line for line in ours if line["logger"] == "project.request"]
    assert app_line["route"] == "/healthz" and app_line["status"] == 200
    assert "user_id" in app_line and "duration_ms" in app_line


def test_the_text_access_log_carries_the_request_id_too(tmp_path):
    env = production_env(tmp_path, LOG_FORMAT="text", WEB_CONCURRENCY="1")
    with gunicorn(tmp_path, env) as server:
        fetch(f"{server.url}/healthz", headers={"X-Request-ID": "plain-text-7"})

    access = [line for line in server.log().splitlines() if '"GET /healthz HTTP/1.1" 200' in line]
    assert any("[plain-text-7]" in line for line in access), access


def test_no_gunicorn_worker_can_start_the_scheduler(tmp_path):
    with gunicorn(tmp_path, production_env(tmp_path, WEB_CONCURRENCY="1")) as server:
        status, _, body = fetch(f"{server.url}/_probe/schedule")

    assert status == 200
    refused = json.loads(body)["refused"]
    assert refused.startswith("This process is gunicorn worker ")
    assert "Run `python manage.py scheduler`" in refused


def test_metrics_add_up_every_worker_of_the_instance(tmp_path):
    env = production_env(
        tmp_path, WEB_CONCURRENCY="2", METRICS_ENABLED="true", PROBE_SLOW_SECONDS="0.1"
    )
    with gunicorn(tmp_path, env) as server, ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: fetch(f"{server.url}/_probe/slow"), range(30)))
        _, _, text = fetch(f"{server.url}/metrics")

    assert {status for status, _, _ in answers} == {200}
    assert len({json.loads(body)["pid"] for _, _, body in answers}) == 2  # both workers served
    prefix = 'http_requests_total{method="GET",route="/_probe/slow",status="200"}'
    [counted] = [line for line in text.splitlines() if line.startswith(prefix)]
    assert float(counted.split()[-1]) == 30.0
    assert "db_pool_size" in text


def test_sigterm_lets_an_in_flight_request_finish(tmp_path):
    env = production_env(tmp_path, WEB_CONCURRENCY="1", PROBE_SLOW_SECONDS="2")
    answers = []
    with gunicorn(tmp_path, env) as server:
        slow = threading.Thread(
            target=lambda: answers.append(fetch(f"{server.url}/_probe/slow", timeout=20))
        )
        slow.start()
        time.sleep(0.5)  # the request is inside the worker now
        server.process.terminate()  # SIGTERM to the master, as systemd or `kill` sends
        slow.join(timeout=20)
        exit_code = server.process.wait(timeout=20)

    [(status, _, body)] = answers
    assert status == 200
    assert json.loads(body)["done"] is True
    assert exit_code == 0
    assert "Handling signal: term" in server.log()


# -- ProxyFix ---------------------------------------------------------------------------------


def client_address_app(database_url, count):
    app = create_app("testing", DATABASE_URL=database_url, TRUSTED_PROXY_COUNT=count)
    app.add_url_rule("/_probe/ip", "probe_ip", lambda: {"ip": request.remote_addr})
    return app


def test_a_forged_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(database_url):
    client = client_address_app(database_url, 0).test_client()

    response = client.get(
        "/_probe/ip",
        headers={"X-Forwarded-For": "6.6.6.6"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )

    assert response.json == {"ip": "198.51.100.7"}


def test_behind_one_proxy_the_address_it_appended_is_the_client(database_url):
    """nginx appends the peer it saw; whatever the client wrote before that is not believed."""
    client = client_address_app(database_url, 1).test_client()

    response = client.get(
        "/_probe/ip",
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.50"},  # forged, then nginx's hop
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )

    assert response.json == {"ip": "203.0.113.50"}


# -- worker counts and `check` ------------------------------------------------------------------


def test_workers_default_to_twice_the_cpus_plus_one():
    assert worker_count({}) == 2 * cpu_count() + 1
    assert worker_count({"WEB_CONCURRENCY": "3"}) == 3
    with pytest.raises(ValueError, match="WEB_CONCURRENCY='many'"):
        worker_count({"WEB_CONCURRENCY": "many"})
    with pytest.raises(ValueError, match="at least 1"):
        worker_count({"WEB_CONCURRENCY": "0"})


def production_app(tmp_path, **overrides):
    env = production_env(tmp_path)
    settings = {k: v for k, v in env.items() if k not in ("APP_SETTINGS", "WEB_CONCURRENCY")}
    settings["ALLOW_SQLITE_IN_PRODUCTION"] = True
    return create_app("production", **settings, **overrides)


def deploy_messages(app):
    with app.app_context():
        return [m for m in run_checks(app) if m.id.startswith("deploy.")]


@pytest.mark.parametrize(
    ("concurrency", "overrides", "warned"),
    [
        ("4", {}, True),
        ("1", {"WEB_INSTANCES": 2}, True),
        ("1", {}, False),
        ("4", {"REDIS_URL": "redis://127.0.0.1:6379/10"}, False),
    ],
)
def test_check_warns_when_several_workers_run_without_redis(
    tmp_path, monkeypatch, concurrency, overrides, warned
):
    monkeypatch.setenv("WEB_CONCURRENCY", concurrency)
    messages = deploy_messages(production_app(tmp_path, **overrides))

    assert [m.id for m in messages] == (["deploy.W001"] if warned else [])
    if warned:
        assert "without REDIS_URL" in messages[0].text
        assert "Set REDIS_URL" in messages[0].hint


def test_check_says_so_when_web_concurrency_is_not_a_number(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "lots")
    [message] = deploy_messages(production_app(tmp_path))
    assert message.level == "ERROR"
    assert "WEB_CONCURRENCY='lots'" in message.text


def test_development_is_never_warned_about_workers(database_url, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "8")
    app = create_app("testing", DATABASE_URL=database_url)
    assert deploy_messages(app) == []
