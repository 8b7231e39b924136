"""One article: read with ETag, create, update with If-Match, delete."""

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from apps.articles import services, views
from apps.articles.models import Article, Tag
from project.extensions import db
from project.rest.aggregate import aggregates


def test_detail_has_the_article_and_an_etag(client, user, make_article):
    article = make_article(user, tags=["b", "a"], comments=1)
    response = client.get(f"/api/articles/{article.id}")
    assert response.status_code == 200
    assert response.json["tags"] == ["a", "b"]
    assert response.json["comment_count"] == 1
    assert response.headers["ETag"] == '"v1"'


def test_if_none_match_gives_304_without_a_body(client, user, make_article):
    article = make_article(user)
    response = client.get(f"/api/articles/{article.id}", headers={"If-None-Match": '"v1"'})
    assert response.status_code == 304
    assert response.data == b""


def test_detail_matches_the_list_item(client, user, make_article):
    article = make_article(user, tags=["x"], comments=2)
    listed = client.get("/api/articles").json["items"][0]
    assert client.get(f"/api/articles/{article.id}").json == listed


@pytest.mark.parametrize("path", ["/api/articles/abc", "/api/articles/999999", "/api/articles/-1"])
def test_bad_or_unknown_ids_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_draft_is_404_for_other_readers(client, user, make_user, make_article):
    draft = make_article(user, status="draft")
    assert client.get(f"/api/articles/{draft.id}").status_code == 404
    assert client.get(f"/api/articles/{draft.id}", headers=make_user().headers).status_code == 404
    assert client.get(f"/api/articles/{draft.id}", headers=user.headers).status_code == 200


def test_each_reader_sees_what_is_visible_to_them_in_any_order(
    client, user, make_user, make_article
):
    """Anonymous, staff and author reads share statement templates; each gets its own rows."""
    draft = make_article(user, status="draft")
    published = make_article(user)
    staff, other = make_user(is_staff=True), make_user()
    readers = [({}, 404), (staff.headers, 200), (other.headers, 404), (user.headers, 200)]
    for headers, draft_status in readers * 2:
        assert client.get(f"/api/articles/{draft.id}", headers=headers).status_code == draft_status
        response = client.get(f"/api/articles/{published.id}", headers=headers)
        assert (response.status_code, response.json["id"]) == (200, published.id)


def test_a_detail_read_binds_the_id_and_reuses_its_statement(app, client, user, make_article):
    ids = [make_article(user).id, make_article(user).id]
    statements = []
    for article_id in ids:
        response, events = _statements_of(
            app, lambda i=article_id: client.get(f"/api/articles/{i}")
        )
        assert response.json["id"] == article_id
        statements.append(next(e for e in events if "FROM articles_article" in e))
    assert statements[0] == statements[1]
    assert "articles_article.id = " in statements[0]
    assert f"= {ids[0]}" not in statements[0]


def test_an_overridden_lookup_query_still_decides(app, db, user, make_article):
    """A resource that narrows `lookup_query` gets exactly that query's object, or a 404."""
    hidden, shown = make_article(user, "Hidden"), make_article(user, "Shown")

    class OnlyShown(views.ArticleDetail):
        def lookup_query(self, kwargs):
            return super().lookup_query(kwargs).where(Article.title == "Shown")

    with app.test_request_context("/"):
        for article, expected in ((hidden, None), (shown, shown.id)):
            body, _ = OnlyShown().get_plan().fetch_one(*OnlyShown().plan_lookup({"id": article.id}))
            assert (body and body["id"]) == expected


def test_create_makes_tags_on_the_fly_and_answers_201(client, db, user, make_article):
    make_article(user, tags=["python"])
    response = client.post(
        "/api/articles",
        json={"title": "Hello, World!", "body": "Hi", "tags": ["python", "new", "python"]},
        headers=user.headers,
    )
    assert response.status_code == 201
    body = response.json
    assert (body["slug"], body["status"], body["comment_count"]) == ("hello-world", "draft", 0)
    assert body["author"] == {"id": user.id, "username": "alice"}
    assert body["tags"] == ["new", "python"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Tag)) == 2
    again = client.post("/api/articles", json={"title": "Hello world"}, headers=user.headers)
    assert again.json["slug"].startswith("hello-world-") and again.json["slug"] != "hello-world"


def test_create_needs_credentials(client):
    response = client.post("/api/articles", json={"title": "x"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({}, {"title"}),
        ({"title": ""}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"title": 5}, {"title"}),
        ({"title": "ok", "status": "secret"}, {"status"}),
        ({"title": "ok", "tags": "python"}, {"tags"}),
        ({"title": "ok", "tags": ["x" * 51]}, {"tags"}),
        ({"title": "ok", "tags": [" padded "]}, {"tags"}),
        ({"title": "ok", "author_id": 1, "slug": "mine"}, {"author_id", "slug"}),
        ({"title": None, "body": []}, {"title", "body"}),
    ],
)
def test_create_field_errors_are_422_naming_every_field(client, db, user, payload, fields):
    response = client.post("/api/articles", json=payload, headers=user.headers)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == fields
    assert db.session.scalar(db.select(db.func.count()).select_from(Article)) == 0


@pytest.mark.parametrize(
    "data, content_type, status",
    [
        ("title=x", "application/x-www-form-urlencoded", 415),
        ('{"title": "x"}', "text/plain", 415),
        ("", "application/json", 400),
        ("{not json", "application/json", 400),
        ('["a list"]', "application/json", 400),
        ('{"title": "\\ud800"}', "application/json", 400),
    ],
)
def test_malformed_bodies(client, user, data, content_type, status):
    response = client.post(
        "/api/articles", data=data, content_type=content_type, headers=user.headers
    )
    assert response.status_code == status
    assert response.json["error"]["request_id"]


def test_a_lost_slug_race_is_409(client, db, user, make_article, monkeypatch):
    taken = make_article(user, "Taken")
    # Both racers saw the slug free; the unique index refuses the second.
    monkeypatch.setattr(views, "unique_slug", lambda title: taken.slug)
    response = client.post("/api/articles", json={"title": "Taken"}, headers=user.headers)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert db.session.scalar(db.select(db.func.count()).select_from(Article)) == 1


def test_a_tag_another_request_created_meanwhile_is_shared_not_a_409(
    client, db, user, make_article, monkeypatch
):
    make_article(user, tags=["python"])
    # Both racers saw "python" missing; the unique index refuses the second INSERT.
    names = Tag.__table__.c.name
    missing = sa.select(*services._TAG_COLUMNS).where(
        names.in_(sa.bindparam("names", expanding=True)), names != "python"
    )
    monkeypatch.setattr(services, "_TAGS_NAMED", missing)
    response = client.post(
        "/api/articles", json={"title": "Racer", "tags": ["python", "new"]}, headers=user.headers
    )
    assert response.status_code == 201, response.json
    assert response.json["tags"] == ["new", "python"]
    assert sorted(db.session.scalars(sa.select(Tag.name))) == ["new", "python"]


def test_tags_named_finds_a_tag_committed_after_its_transaction_began(app, db):
    """On MariaDB a plain read would not see it (REPEATABLE READ): the INSERT's refusal does."""
    db.session.scalars(sa.select(Tag)).all()  # the transaction's snapshot: no tags
    with db.engine.begin() as other:
        other.execute(Tag.__table__.insert().values(name="late"))
    tags = services.tags_named(["late", "fresh"])
    db.session.commit()
    assert [tag.name for tag in tags] == ["fresh", "late"]
    stored = dict(db.session.execute(sa.select(Tag.name, Tag.id)).all())
    assert {tag.name: tag.id for tag in tags} == stored


def test_patch_changes_only_what_is_sent_and_bumps_the_version(client, user, make_article):
    article = make_article(user, "Old", tags=["a"])
    response = client.patch(
        f"/api/articles/{article.id}", json={"title": "New"}, headers=user.headers
    )
    assert response.status_code == 200
    assert (response.json["title"], response.json["tags"]) == ("New", ["a"])
    assert response.headers["ETag"] == '"v2"'
    assert response.json["updated_at"] > response.json["created_at"]


def _statements_of(app, send):
    """(response, [event]) of `send()`: checkouts, commits and every SQL statement, in order."""
    events = []
    with app.app_context():
        engine = db.engine
    listeners = [
        (engine, "checkout", lambda *args: events.append("checkout")),
        (engine, "commit", lambda *args: events.append("commit")),
        (
            engine,
            "before_cursor_execute",
            lambda c, cur, statement, *rest: events.append(statement),
        ),
    ]
    for target, name, listener in listeners:
        sa.event.listen(target, name, listener)
    try:
        response = send()
    finally:
        for target, name, listener in listeners:
            sa.event.remove(target, name, listener)
    return response, events


def test_a_patch_is_answered_from_the_read_before_it(app, client, user, make_article):
    article = make_article(user, "Old", tags=["a"])
    path = f"/api/articles/{article.id}"
    client.get("/api/articles", headers=user.headers)  # the token's first use is recorded apart
    response, events = _statements_of(
        app, lambda: client.patch(path, json={"title": "New"}, headers=user.headers)
    )

    assert response.status_code == 200
    assert (response.json["title"], response.json["tags"]) == ("New", ["a"])
    assert (response.json["author"], response.json["comment_count"]) == (
        {"id": user.id, "username": user.username},
        0,
    )
    assert response.headers["ETag"] == '"v2"'
    assert events.count("commit") == 1 and events.count("checkout") == 1
    update = next(i for i, e in enumerate(events) if e.startswith("UPDATE articles_article"))
    # One read of the article before the write (its row, then its tags unless the row
    # holds them), none after it.
    with app.app_context():
        reads = 1 if aggregates(db.engine.dialect) else 2
    assert sum("FROM articles_article" in e for e in events[:update]) == reads
    assert not any("FROM articles_article" in e for e in events[update:])
    assert client.get(path, headers=user.headers).json == response.json


def test_a_patch_of_tags_reads_only_the_tags_again(app, client, user, make_article):
    article = make_article(user, "Old", tags=["a", "b"])
    make_article(user, "Other", tags=["c"])
    path = f"/api/articles/{article.id}"
    client.get("/api/articles", headers=user.headers)
    response, events = _statements_of(
        app, lambda: client.patch(path, json={"tags": ["c", "a"]}, headers=user.headers)
    )

    assert response.status_code == 200
    assert response.json["tags"] == ["a", "c"]
    assert events.count("commit") == 1
    update = next(i for i, e in enumerate(events) if e.startswith("UPDATE articles_article"))
    reads_after = [
        update + i
        for i, e in enumerate(events[update:])
        if e.startswith("SELECT") and "FROM articles_article" in e
    ]
    assert len(reads_after) == 1 and "articles_article_tags" in events[reads_after[0]]
    if db.engine.dialect.name == "sqlite":
        # SQLite's write lock covers the database: released before the answer is read.
        assert events.index("commit") < reads_after[0]
    else:
        # Row locks: the answer is read in the write's own transaction, one checkout.
        assert events.count("checkout") == 1
        assert reads_after[0] < events.index("commit")
    assert response.headers["ETag"] == '"v2"'  # a change of tags alone is a new version
    assert client.get(path, headers=user.headers).json == response.json


def test_a_patch_that_creates_a_tag_is_read_back_whole(client, user, make_article):
    article = make_article(user, "Old", tags=["a"])
    response = client.patch(
        f"/api/articles/{article.id}", json={"title": "New", "tags": ["new"]}, headers=user.headers
    )

    assert response.status_code == 200
    assert (response.json["title"], response.json["tags"]) == ("New", ["new"])
    assert response.headers["ETag"] == '"v2"'
    assert client.get(f"/api/articles/{article.id}", headers=user.headers).json == response.json


def test_put_replaces_and_needs_every_required_field(client, user, make_article):
    article = make_article(user, tags=["a"])
    missing = client.put(f"/api/articles/{article.id}", json={"body": "b"}, headers=user.headers)
    assert missing.status_code == 422 and "title" in missing.json["error"]["fields"]
    response = client.put(
        f"/api/articles/{article.id}",
        json={"title": "T", "body": "B", "status": "published", "tags": ["z"]},
        headers=user.headers,
    )
    assert (response.json["title"], response.json["tags"]) == ("T", ["z"])


def test_if_match_with_a_stale_version_is_412_and_changes_nothing(client, db, user, make_article):
    article = make_article(user, "Original")
    headers = {**user.headers, "If-Match": '"v1"'}
    assert (
        client.patch(
            f"/api/articles/{article.id}", json={"title": "A"}, headers=headers
        ).status_code
        == 200
    )
    stale = client.patch(f"/api/articles/{article.id}", json={"title": "B"}, headers=headers)
    assert stale.status_code == 412
    assert stale.json["error"]["code"] == "precondition_failed"
    assert db.session.get(Article, article.id).title == "A"
    gone = client.delete(f"/api/articles/{article.id}", headers=headers)
    assert gone.status_code == 412


def test_two_writers_holding_one_version_cannot_both_win(app, db, user, make_article):
    """The UPDATE itself checks the version: the second writer's UPDATE matches no row."""
    article = make_article(user, "Race")
    with app.app_context():
        first = db.session.get(Article, article.id)
        with app.app_context():
            second = db.session.get(Article, article.id)
            second.title = "second"
            db.session.commit()
        first.title = "first"
        with pytest.raises(StaleDataError):
            db.session.commit()
        db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Article, article.id).title == "second"


def test_delete_answers_204_then_404(client, user, make_article):
    url = f"/api/articles/{make_article(user, comments=2).id}"
    response = client.delete(url, headers=user.headers)
    assert response.status_code == 204 and response.data == b""
    assert client.get(url).status_code == 404


def test_comments_are_listed_and_created_under_their_article(client, user, make_article):
    article = make_article(user, comments=1)
    created = client.post(
        f"/api/articles/{article.id}/comments", json={"body": "Nice"}, headers=user.headers
    )
    assert created.status_code == 201
    assert created.json["author"]["username"] == "alice"
    listed = client.get(f"/api/articles/{article.id}/comments").json
    assert [c["body"] for c in listed["items"]] == ["Comment 0", "Nice"]
    assert client.get(f"/api/articles/{article.id}").json["comment_count"] == 2


def test_comments_of_a_hidden_or_missing_article_are_404(client, user, make_article):
    draft = make_article(user, status="draft")
    assert client.get(f"/api/articles/{draft.id}/comments").status_code == 404
    assert client.get("/api/articles/12345/comments").status_code == 404
