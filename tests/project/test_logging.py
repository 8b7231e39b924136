"""One log line per request: method, path, status, duration, request id; JSON when asked."""

import json
import re

from flask import Blueprint

from project import create_app

from .conftest import migrate


def build(settings="testing", **overrides):
    app = create_app(
        settings,
        INSTALLED_APPS=[],
        AUTHENTICATION_BACKENDS=[],
        DATABASE_URL="sqlite://",
        LOG_LEVEL="INFO",
        **overrides,
    )
    bp = Blueprint("ping", __name__)
    bp.get("/api/ping")(lambda: {"pong": True})
    app.register_blueprint(bp)
    return app


def request_lines(text):
    return [line for line in text.splitlines() if "project.request" in line]


def test_each_request_logs_one_readable_line(preserve_logging, log_output):
    app = build()
    log = log_output(app)

    app.test_client().get("/api/ping?x=1", headers={"X-Request-ID": "req-1"})
    app.test_client().get("/api/nowhere", headers={"X-Request-ID": "req-2"})

    first, second = request_lines(log.getvalue())
    pattern = r"INFO +project\.request \[{id}\] GET {path} {status} \d+\.\dms$"
    assert re.search(pattern.format(id="req-1", path=r"/api/ping\?x=1", status=200), first)
    assert re.search(pattern.format(id="req-2", path="/api/nowhere", status=404), second)


def test_log_format_json_writes_one_json_object_per_line(preserve_logging, log_output):
    app = build(LOG_FORMAT="json")
    log = log_output(app)

    app.test_client().get("/api/ping", headers={"X-Request-ID": "req-3"})

    (line,) = log.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["logger"] == "project.request"
    assert entry["level"] == "INFO"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/ping", 200)
    assert entry["request_id"] == "req-3"
    assert isinstance(entry["duration_ms"], float)
    assert entry["time"].endswith("+00:00")


def test_production_logs_json_and_development_readable_lines(preserve_logging, log_output):
    production = build("production", SECRET_KEY="s" * 50, ALLOW_SQLITE_IN_PRODUCTION=True)
    log = log_output(production)
    production.test_client().get("/api/ping")
    assert json.loads(log.getvalue().splitlines()[-1])["path"] == "/api/ping"

    development = build("development")
    log = log_output(development)
    development.test_client().get("/api/ping")
    assert re.search(r"\] GET /api/ping 200 \d+\.\dms$", request_lines(log.getvalue())[-1])


def test_a_readiness_probe_logs_only_its_request_line(scratch_app, log_output):
    app = scratch_app("probe", LOG_LEVEL="INFO")
    assert migrate(app, "upgrade").exit_code == 0
    log = log_output(app)

    app.test_client().get("/readyz")

    (line,) = log.getvalue().splitlines()
    assert "GET /readyz 200" in line
