"""The articles API under real accounts: who may read and who may change an article."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from apps.accounts.models import Token
from apps.accounts.services import ensure_group
from project.models import utcnow
from project.signals import permission_denied

from .conftest import bearer


@pytest.fixture
def article(client, user):
    response = client.post(
        "/api/articles", json={"title": "Alice's", "status": "published"}, headers=user.headers
    )
    assert response.status_code == 201
    return response.json


def edit(client, article, headers, title="Changed"):
    return client.patch(f"/api/articles/{article['id']}", json={"title": title}, headers=headers)


def test_anyone_reads_a_published_article(client, article):
    response = client.get(f"/api/articles/{article['id']}")
    assert response.status_code == 200
    assert response.json["author"]["username"] == "alice"


def test_the_author_edits_their_own(client, user, article):
    response = edit(client, article, user.headers)
    assert response.status_code == 200
    assert response.json["title"] == "Changed"


def test_staff_allowed_to_edit_articles_edit_anyones(client, db, make_user, article):
    moderators = ensure_group("moderators", ["articles.change_article", "articles.delete_article"])
    staff = make_user("moderator", is_staff=True)
    staff.groups.append(moderators)
    db.session.commit()
    assert edit(client, article, staff.headers).status_code == 200
    assert client.delete(f"/api/articles/{article['id']}", headers=staff.headers).status_code == 204


def test_staff_without_the_permission_cannot_edit(client, make_user, article):
    """Separation of duties: an auditor is staff, and has no right to change articles."""
    auditor = make_user("auditor", is_staff=True)
    assert edit(client, article, auditor.headers).status_code == 403
    assert client.get(f"/api/articles/{article['id']}").json["title"] == "Alice's"


def test_another_user_gets_403_and_the_refusal_is_signalled(client, make_user, article):
    bob = make_user("bob")
    refusals = []
    with permission_denied.connected_to(lambda sender, **kw: refusals.append(kw)):
        response = edit(client, article, bob.headers)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"
    [refusal] = refusals
    assert refusal["user"].id == bob.id
    assert refusal["obj"].id == article["id"]
    assert refusal["meta"]["request_id"] == response.headers["X-Request-ID"]
    assert client.get(f"/api/articles/{article['id']}").json["title"] == "Alice's"


def test_an_anonymous_write_is_401_with_www_authenticate(client, article):
    for response in (
        client.post("/api/articles", json={"title": "x"}),
        edit(client, article, {}),
        client.delete(f"/api/articles/{article['id']}"),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401_token_expired_even_on_reads(client, user, article, db):
    db.session.execute(
        sa.update(Token)
        .where(Token.user_id == user.id)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    for response in (
        edit(client, article, user.headers),
        client.get("/api/articles", headers=user.headers),
    ):
        assert response.status_code == 401
        assert response.json["error"]["code"] == "token_expired"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer " + "z" * 300])
def test_a_malformed_token_is_401(client, article, header):
    response = edit(client, article, {"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_from_login_creates_an_article_in_the_callers_name(client, login, user):
    token = login("alice").json["token"]
    response = client.post("/api/articles", json={"title": "Via login"}, headers=bearer(token))
    assert response.status_code == 201
    assert response.json["author"]["username"] == "alice"
