"""Middleware: Django's order and short-circuits on Flask's hooks, request ids, security headers.

The middleware classes below are listed in MIDDLEWARE by dotted path, as a
project would list its own; each records what it saw in `CALLS`.
"""

import time
import uuid

import pytest
from flask import Blueprint, jsonify

from project import create_app
from project.exceptions import ImproperlyConfigured

CALLS = []
HERE = __name__


class Recorder:
    """Records its hooks; answers early when the request's X-Stop header names it."""

    name = None

    def __init__(self, app):
        self.app = app

    def process_request(self, request):
        CALLS.append(f"request:{self.name}")
        if request.headers.get("X-Stop") == f"request:{self.name}":
            return jsonify(stopped_by=self.name), 403
        return None

    def process_view(self, request, view_func, view_kwargs):
        CALLS.append(f"view:{self.name}")
        CALLS.append((view_func, dict(view_kwargs)))
        if request.headers.get("X-Stop") == f"view:{self.name}":
            return jsonify(stopped_by=self.name), 403
        return None

    def process_response(self, request, response):
        CALLS.append(f"response:{self.name}")
        response.headers.add("X-Seen-By", self.name)
        return response

    def process_exception(self, request, exc):
        CALLS.append(f"exception:{self.name}")
        if isinstance(exc, LookupError) and self.name == "B":
            return jsonify(answered_by=self.name, error=str(exc)), 418
        return None


class A(Recorder):
    name = "A"


class B(Recorder):
    name = "B"


class C(Recorder):
    name = "C"


def things_blueprint():
    bp = Blueprint("things", __name__, url_prefix="/api/things")

    @bp.get("/<int:thing_id>")
    def thing(thing_id):
        CALLS.append("the view")
        return {"id": thing_id}

    @bp.get("/missing")
    def missing():
        CALLS.append("the view")
        raise LookupError("no such thing")

    return bp


def build(settings="testing", middleware=None, **overrides):
    app = create_app(
        settings,
        INSTALLED_APPS=[],
        AUTHENTICATION_BACKENDS=[],
        DATABASE_URL="sqlite://",
        **({"MIDDLEWARE": middleware} if middleware is not None else {}),
        **overrides,
    )
    app.register_blueprint(things_blueprint())
    return app


@pytest.fixture
def client():
    CALLS.clear()
    app = build(
        middleware=[
            "project.middleware.RequestIdMiddleware",
            f"{HERE}.A",
            f"{HERE}.B",
            f"{HERE}.C",
        ]
    )
    return app.test_client()


def hooks():
    return [call for call in CALLS if isinstance(call, str)]


def test_request_hooks_run_top_down_and_response_hooks_bottom_up(client):
    response = client.get("/api/things/7")

    assert response.json == {"id": 7}
    assert hooks() == [
        "request:A",
        "request:B",
        "request:C",
        "view:A",
        "view:B",
        "view:C",
        "the view",
        "response:C",
        "response:B",
        "response:A",
    ]
    assert response.headers.getlist("X-Seen-By") == ["C", "B", "A"]


def test_process_view_receives_the_view_function_and_its_kwargs(client):
    client.get("/api/things/7")

    views = [call for call in CALLS if isinstance(call, tuple)]
    view = client.application.view_functions["things.thing"]
    assert views == [(view, {"thing_id": 7})] * 3


def test_a_process_request_answer_skips_the_view_and_the_middleware_below(client):
    response = client.get("/api/things/7", headers={"X-Stop": "request:B"})

    assert response.status_code == 403
    assert response.json == {"stopped_by": "B"}
    assert hooks() == ["request:A", "request:B", "response:B", "response:A"]


def test_a_process_view_answer_skips_the_view(client):
    response = client.get("/api/things/7", headers={"X-Stop": "view:A"})

    assert response.status_code == 403
    assert response.json == {"stopped_by": "A"}
    assert "the view" not in hooks()
    assert "view:B" not in hooks()
    assert hooks()[-3:] == ["response:C", "response:B", "response:A"]


def test_process_exception_runs_bottom_up_and_may_answer(client):
    response = client.get("/api/things/missing")

    assert response.status_code == 418
    assert response.json == {"answered_by": "B", "error": "no such thing"}
    assert hooks()[hooks().index("the view") :] == [
        "the view",
        "exception:C",
        "exception:B",
        "response:C",
        "response:B",
        "response:A",
    ]


def test_an_exception_no_middleware_answers_gets_the_envelope(client):
    response = client.get("/api/things/nope")

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert hooks()[-3:] == ["response:C", "response:B", "response:A"]


def test_a_sane_incoming_request_id_is_kept_and_echoed(client):
    response = client.get("/api/nowhere", headers={"X-Request-ID": "lb-7f3a:42.x_y"})

    assert response.headers["X-Request-ID"] == "lb-7f3a:42.x_y"
    assert response.json["error"]["request_id"] == "lb-7f3a:42.x_y"


@pytest.mark.parametrize(
    "incoming", ["", "has spaces", "x" * 129, "<script>", "new\\nline", "caf\u00e9"]
)
def test_an_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/api/nowhere", headers={"X-Request-ID": incoming})

    request_id = response.headers["X-Request-ID"]
    assert request_id != incoming
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    assert response.json["error"]["request_id"] == request_id


def test_each_request_gets_its_own_id(client):
    first = client.get("/api/things/1").headers["X-Request-ID"]
    second = client.get("/api/things/1").headers["X-Request-ID"]

    assert first != second


def test_security_headers_are_on_every_response_but_hsts_only_in_production(preserve_logging):
    testing = build().test_client()
    production = build(
        "production", SECRET_KEY="s" * 50, ALLOW_SQLITE_IN_PRODUCTION=True
    ).test_client()

    for response in (testing.get("/api/things/1"), testing.get("/api/nowhere")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers
    hsts = production.get("/api/things/1").headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains"


def test_a_middleware_that_cannot_be_imported_is_named():
    with pytest.raises(ImproperlyConfigured, match=r"MIDDLEWARE entry 'project\.middleware\.Nope'"):
        build(middleware=["project.middleware.Nope"])


def test_made_request_ids_are_uuid7_and_sort_by_time(client):
    first = client.get("/api/things/1").headers["X-Request-ID"]
    time.sleep(0.002)
    second = client.get("/api/things/1").headers["X-Request-ID"]

    assert first < second
    for made in (first, second):
        parsed = uuid.UUID(made)
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert abs((parsed.int >> 80) - time.time_ns() // 1_000_000) < 60_000  # ms since 1970
