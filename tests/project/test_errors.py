"""Every failure answers in the one envelope (or a small HTML page off /api/).

The views are throwaway ones registered for these tests; the database errors
are real ones, from a scratch database and from one that is down.
"""

import pytest
import sqlalchemy as sa
from flask import Blueprint, abort

from project import create_app
from project.errors import ValidationError
from project.extensions import db

from .support import UNREACHABLE_DATABASE_URL

SECRET = "secret detail 42"
#: A table of the tests' own, outside the models' metadata.
PROBE = sa.Table(
    "errors_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), unique=True),
)


def probe_blueprint():
    bp = Blueprint("probe", __name__)

    @bp.get("/api/probe/missing")
    def missing():
        abort(404)

    @bp.get("/api/probe/rude")
    def rude():
        abort(400, description="Say please.")

    @bp.get("/api/probe/invalid")
    def invalid():
        raise ValidationError({"title": ["Length must be between 1 and 200."]})

    @bp.post("/api/probe/names/<name>")
    def add_name(name):
        db.session.execute(sa.text("INSERT INTO errors_probe (name) VALUES (:n)"), {"n": name})
        db.session.commit()
        return {"name": name}, 201

    @bp.get("/api/probe/names")
    def count_names():
        return {"count": db.session.execute(sa.text("SELECT COUNT(*) FROM errors_probe")).scalar()}

    @bp.get("/api/probe/crash")
    def crash():
        raise RuntimeError(SECRET)

    @bp.get("/pages/crash")
    def page_crash():
        raise RuntimeError(SECRET)

    @bp.get("/pages/only-get")
    def only_get():
        return "ok"

    return bp


@pytest.fixture
def app(scratch_app):
    app = scratch_app("errors")
    app.register_blueprint(probe_blueprint())
    with app.app_context():
        PROBE.create(db.engine)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def error_of(response):
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"}
    error = response.json["error"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def test_abort_404_in_a_plain_view_answers_with_the_envelope(client):
    response = client.get("/api/probe/missing")

    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found"
    assert error["message"].startswith("The requested URL was not found")


def test_abort_with_a_description_carries_it_as_the_message(client):
    response = client.get("/api/probe/rude")

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "bad_request",
        "message": "Say please.",
        "request_id": response.headers["X-Request-ID"],
    }


def test_field_errors_are_a_422_listing_each_field(client):
    response = client.get("/api/probe/invalid")

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {"title": ["Length must be between 1 and 200."]}


def test_a_unique_key_conflict_is_a_409_and_the_next_request_is_served(client):
    assert client.post("/api/probe/names/ada").status_code == 201

    response = client.post("/api/probe/names/ada")

    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert client.get("/api/probe/names").json == {"count": 1}


def test_a_lost_database_is_a_503_with_retry_after():
    app = create_app("testing", DATABASE_URL=UNREACHABLE_DATABASE_URL, AUTHENTICATION_BACKENDS=[])
    app.register_blueprint(probe_blueprint())

    response = app.test_client().get("/api/probe/names")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    error = error_of(response)
    assert error["code"] == "service_unavailable"
    assert "127.0.0.1" not in error["message"]


def test_an_unexpected_exception_is_a_500_with_only_the_request_id(app, client, log_output):
    log = log_output(app)

    response = client.get("/api/probe/crash", headers={"X-Request-ID": "crash-1"})

    assert response.status_code == 500
    assert error_of(response) == {
        "code": "server_error",
        "message": response.json["error"]["message"],
        "request_id": "crash-1",
    }
    assert SECRET not in response.get_data(as_text=True)
    logged = log.getvalue()
    assert "unhandled RuntimeError (request id crash-1)" in logged
    assert "Traceback (most recent call last)" in logged
    assert f"RuntimeError: {SECRET}" in logged


def test_a_page_outside_the_api_gets_an_html_error_page(client):
    response = client.get("/pages/nowhere", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>404</h1>" in response.get_data(as_text=True)


def test_a_crashing_page_shows_the_request_id_and_no_details(client):
    response = client.get("/pages/crash", headers={"Accept": "text/html", "X-Request-ID": "p-1"})

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Request id: p-1" in page
    assert SECRET not in page


def test_a_wrong_method_on_a_page_is_405_with_allow(client):
    response = client.delete("/pages/only-get", headers={"Accept": "text/html"})

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_client_that_asks_for_json_gets_the_envelope_off_the_api_too(client):
    response = client.get("/pages/nowhere", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
