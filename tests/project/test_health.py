from project import create_app

from .support import UNREACHABLE_DATABASE_URL


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_unknown_api_url_gets_the_404_envelope(client):
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    error = response.json["error"]
    assert error["code"] == "not_found"
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_wrong_method_gets_405_with_allow(client):
    response = client.post("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_readyz_is_200_when_the_database_is_at_the_migration_head(migrated_app):
    response = migrated_app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migrations": "head"}


def test_readyz_is_a_503_envelope_before_db_upgrade(scratch_app):
    response = scratch_app("unmigrated").test_client().get("/readyz")

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    error = response.json["error"]
    assert error["code"] == "service_unavailable"
    assert "Run `python manage.py db upgrade`" in error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_readyz_is_a_503_envelope_when_the_database_is_down():
    app = create_app("testing", DATABASE_URL=UNREACHABLE_DATABASE_URL, AUTHENTICATION_BACKENDS=[])

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert response.json["error"]["message"] == "The database is unreachable."
