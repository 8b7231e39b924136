"""Removing apps.audit from INSTALLED_APPS leaves every other app working."""

import pytest
import sqlalchemy as sa

from apps.accounts.services import create_user, issue_token
from project import create_app
from project.extensions import db as _db


@pytest.fixture
def unaudited(database_url, db):
    return create_app(
        "testing", DATABASE_URL=database_url, INSTALLED_APPS=["apps.accounts", "apps.articles"]
    )


def test_articles_work_and_nothing_is_recorded_without_the_audit_app(unaudited):
    with unaudited.app_context():
        author = create_user(
            "writer@example.com", "writer", "a long enough passphrase", is_active=True
        )
        headers = {"Authorization": f"Bearer {issue_token(author)}"}
    client = unaudited.test_client()

    created = client.post(
        "/api/articles", json={"title": "Unaudited", "tags": ["x"]}, headers=headers
    )
    assert created.status_code == 201
    url = f"/api/articles/{created.json['id']}"
    assert client.patch(url, json={"title": "Still"}, headers=headers).status_code == 200
    published = client.post(f"{url}/publish", headers=headers)  # the @audited custom event
    assert published.status_code == 200 and published.json["status"] == "published"
    assert client.get(url).json["title"] == "Still"
    assert client.get("/api/audit/entries", headers=headers).status_code == 404

    with unaudited.app_context():
        count = _db.session.execute(sa.text("SELECT COUNT(*) FROM audit_audit_entry")).scalar()
    assert count == 0
