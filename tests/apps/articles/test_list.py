"""GET /api/articles: pages, filters, ordering, search, and what each costs."""

import pytest

from project.extensions import db
from project.rest.aggregate import aggregates


def ids(response):
    return [item["id"] for item in response.json["items"]]


def test_list_page_has_items_and_page_data(client, user, make_article):
    articles = [make_article(user, tags=["python", "flask"], comments=2) for _ in range(3)]
    response = client.get("/api/articles?size=2")
    assert response.status_code == 200
    body = response.json
    assert ids(response) == [articles[2].id, articles[1].id]
    assert (body["page"], body["size"], body["total"], body["pages"]) == (1, 2, 3, 2)
    assert body["next"] == "/api/articles?size=2&page=2"
    assert body["previous"] is None
    first = body["items"][0]
    assert list(first) == [
        "id", "title", "slug", "body", "status", "author", "tags",
        "comment_count", "created_at", "updated_at",
    ]  # fmt: skip
    assert first["author"] == {"id": user.id, "username": "alice"}
    assert first["tags"] == ["flask", "python"]
    assert first["comment_count"] == 2
    assert first["created_at"].endswith("+00:00")


def test_following_next_link_reaches_the_last_page(client, user, make_article):
    for _ in range(5):
        make_article(user)
    page = client.get("/api/articles?size=2").json
    seen = [item["id"] for item in page["items"]]
    while page["next"]:
        page = client.get(page["next"]).json
        seen += [item["id"] for item in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert page["previous"] == "/api/articles?size=2&page=2"


def test_anonymous_readers_see_only_published_articles(client, user, make_article):
    published = make_article(user)
    make_article(user, status="draft")
    response = client.get("/api/articles")
    assert ids(response) == [published.id]


def test_authors_also_see_their_own_drafts(client, user, make_user, make_article):
    draft = make_article(user, status="draft")
    other = make_user()
    make_article(other, status="draft")
    response = client.get("/api/articles", headers=user.headers)
    assert ids(response) == [draft.id]


@pytest.mark.parametrize("size", [5, 100])
def test_a_page_costs_the_same_few_statements_whatever_its_size(
    app, client, user, make_article, count_queries, size
):
    for i in range(size):
        make_article(user, tags=[f"t{i % 7}", "common"], comments=i % 3)
    with count_queries() as counter:
        response = client.get(f"/api/articles?size={size}")
    assert len(response.json["items"]) == size
    assert response.json["items"][0]["tags"] == sorted([f"t{(size - 1) % 7}", "common"])
    # count, rows (+author, +comments), tags (in the rows' own query where the database can)
    with app.app_context():
        expected = 2 if aggregates(db.engine.dialect) else 3
    assert counter.count == expected, counter.statements


def test_count_false_skips_the_count_query(client, user, make_article, count_queries):
    for _ in range(3):
        make_article(user)
    with count_queries() as counter:
        response = client.get("/api/articles?size=2&count=false")
    body = response.json
    assert body["total"] is None and body["pages"] is None
    assert body["next"] == "/api/articles?size=2&count=false&page=2"
    assert not any(
        "count(*)" in s.lower() and "articles_comment" not in s for s in counter.statements
    )
    last = client.get("/api/articles?size=2&count=false&page=2").json
    assert len(last["items"]) == 1 and last["next"] is None


def test_size_over_the_cap_is_capped(client, user, make_article):
    make_article(user)
    assert client.get("/api/articles?size=100000").json["size"] == 100


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("size=0", "size"),
        ("size=-5", "size"),
        ("size=ten", "size"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=99999999999999999999", "page"),
        ("page=1.5", "page"),
        ("count=maybe", "count"),
    ],
)
def test_bad_pagination_is_a_422_naming_the_parameter(client, query, parameter):
    response = client.get(f"/api/articles?{query}")
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [parameter]


@pytest.mark.parametrize("ordering", [None, "title", "-title", "created_at", "-created_at,title"])
def test_every_page_holds_what_counting_from_the_start_gives(client, user, make_article, ordering):
    """Pages nearer the end are read backwards from it: the same rows, in the same order."""
    for title in ["A", "B", "A", "C", "B", "A", "A"]:
        make_article(user, title)
    order = f"&ordering={ordering}" if ordering else ""
    query = f"size=2{order}"
    whole = ids(client.get(f"/api/articles?size=100{order}"))
    seen = []
    for page in range(1, 5):
        counted = client.get(f"/api/articles?{query}&page={page}")
        assert ids(counted) == ids(client.get(f"/api/articles?{query}&page={page}&count=false"))
        seen += ids(counted)
    assert seen == whole and len(whole) == 7


def test_the_last_page_is_read_from_the_end(client, user, make_article, count_queries):
    articles = [make_article(user) for _ in range(9)]
    with count_queries() as counter:
        response = client.get("/api/articles?size=2&page=5")
    assert ids(response) == [articles[0].id]
    (statement, parameters), *_ = [
        (s, p) for s, p in zip(counter.statements, counter.parameters, strict=True) if "JOIN" in s
    ]
    inner = statement[statement.index("(SELECT") :]
    assert "ORDER BY articles_article.id ASC" in inner
    values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)
    assert 8 not in values  # the rows before the page are not stepped over


def test_a_page_past_the_end_is_404(client, user, make_article):
    make_article(user)
    response = client.get("/api/articles?page=2")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_filters(client, user, make_user, make_article):
    bob = make_user("bob")
    a = make_article(user, tags=["python"])
    b = make_article(bob, tags=["python", "flask"])
    make_article(bob, tags=["rust"])
    assert ids(client.get(f"/api/articles?author_id={bob.id}&tag=python")) == [b.id]
    assert ids(client.get("/api/articles?tag=python")) == [b.id, a.id]
    assert ids(client.get("/api/articles?status=draft")) == []
    assert len(ids(client.get("/api/articles?created_at__gte=2000-01-01"))) == 3
    assert ids(client.get("/api/articles?created_at__lte=2000-01-01T00:00:00Z")) == []


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("author_id=abc", "author_id"),
        ("author_id=99999999999999999999999", "author_id"),
        ("created_at__gte=yesterday", "created_at__gte"),
        ("created_at__gt=2026-01-01", "created_at__gt"),
        ("title=x", "title"),
        ("author_id__in=1,2", "author_id__in"),
        ("status=" + "x" * 17, "status"),
    ],
)
def test_undeclared_or_malformed_filters_are_422_naming_the_parameter(client, query, parameter):
    response = client.get(f"/api/articles?{query}")
    assert response.status_code == 422
    assert parameter in response.json["error"]["fields"]


def test_ordering(client, user, make_article):
    b = make_article(user, "Bravo")
    a = make_article(user, "Alpha")
    c = make_article(user, "Charlie")
    assert ids(client.get("/api/articles?ordering=title")) == [a.id, b.id, c.id]
    assert ids(client.get("/api/articles?ordering=-title")) == [c.id, b.id, a.id]
    assert ids(client.get("/api/articles?ordering=-created_at,title")) == [c.id, a.id, b.id]


@pytest.mark.parametrize("ordering", ["body", "-password_hash", "title;drop table x", ","])
def test_unknown_ordering_is_422(client, ordering):
    response = client.get(f"/api/articles?ordering={ordering}")
    assert response.status_code == 422
    assert "ordering" in response.json["error"]["fields"]


def test_search_looks_in_title_and_body_for_every_word(client, user, make_article):
    a = make_article(user, "Flask tips", body="About blueprints.")
    make_article(user, "Django tips", body="About apps.")
    assert ids(client.get("/api/articles?search=flask")) == [a.id]
    assert ids(client.get("/api/articles?search=tips blueprints")) == [a.id]


@pytest.mark.parametrize(
    "text",
    ["' OR 1=1 --", "%", "_", "\\", "x'); DROP TABLE articles_article; --", "100%_sure"],
)
def test_sql_looking_search_text_is_a_plain_search(client, user, make_article, text):
    make_article(user, "Plain title")
    response = client.get("/api/articles", query_string={"search": text})
    assert response.status_code == 200
    assert response.json["items"] == []
    assert client.get("/api/articles").json["total"] == 1


def test_oversized_search_is_422(client):
    response = client.get("/api/articles", query_string={"search": "x" * 201})
    assert response.status_code == 422
    assert "search" in response.json["error"]["fields"]


def test_keyset_pages_walk_forward_and_back(app, client, user, make_article, count_queries):
    articles = [make_article(user) for _ in range(5)]
    newest_first = [a.id for a in reversed(articles)]
    first = client.get("/api/articles?cursor=&size=2").json
    assert [i["id"] for i in first["items"]] == newest_first[:2]
    assert first["previous"] is None
    with count_queries() as counter:
        second = client.get(first["next"]).json
    with app.app_context():
        expected = 1 if aggregates(db.engine.dialect) else 2
    assert counter.count == expected  # rows, tags (unless in the rows): no COUNT, no OFFSET
    assert [i["id"] for i in second["items"]] == newest_first[2:4]
    third = client.get(second["next"]).json
    assert [i["id"] for i in third["items"]] == newest_first[4:]
    assert third["next"] is None
    back = client.get(third["previous"]).json
    assert [i["id"] for i in back["items"]] == newest_first[2:4]


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjpbXX0", "eyJ2IjpbImEiXSwiYiI6ZmFsc2V9"])
def test_a_forged_cursor_is_422(client, cursor):
    response = client.get(f"/api/articles?cursor={cursor}")
    assert response.status_code == 422
    assert "cursor" in response.json["error"]["fields"]


def test_tags_list_is_ordered_by_name(client, user, make_article):
    make_article(user, tags=["zeta", "alpha"])
    response = client.get("/api/tags")
    assert [tag["name"] for tag in response.json["items"]] == ["alpha", "zeta"]
