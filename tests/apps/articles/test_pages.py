"""The articles pages a visitor reads: /articles/ and /articles/<slug>/."""

import re

import pytest

from apps.accounts.auth import session_auth_hash


def titles(html):
    """The article titles of a list page, in order."""
    return re.findall(r'<h2><a href="/articles/[^"]+/">([^<]+)</a></h2>', html)


def log_in(client, user):
    """Pages know the visitor by the session cookie (the API by bearer tokens)."""
    with client.session_transaction() as session:
        session["user_id"] = user.id
        session["auth_hash"] = session_auth_hash(user)


def test_the_list_shows_published_articles_newest_first_with_links(client, user, make_article):
    make_article(user, "First post")
    second = make_article(user, "Second post")
    response = client.get("/articles/")
    assert response.status_code == 200
    assert titles(response.text) == ["Second post", "First post"]
    assert f'href="/articles/{second.slug}/"' in response.text
    assert "by alice" in response.text


def test_the_page_extends_the_app_layout_which_extends_the_base(client, db):
    html = client.get("/articles/").text
    assert "<title>Latest articles · Articles</title>" in html  # page block inside layout's
    assert '<a href="/">Home</a> · <a href="/articles/">Articles</a>' in html  # super() kept
    assert "<main>" in html and "<footer>" in html  # base.html's skeleton
    assert "No articles yet." in html


def test_drafts_are_hidden_from_anonymous_visitors(client, user, make_article):
    make_article(user, "Public")
    draft = make_article(user, "Secret draft", status="draft")
    assert titles(client.get("/articles/").text) == ["Public"]
    assert client.get(f"/articles/{draft.slug}/").status_code == 404


def test_authors_see_their_own_drafts_marked_as_such(client, user, make_user, make_article):
    draft = make_article(user, "My draft", status="draft")
    make_article(make_user(), "Their draft", status="draft")
    log_in(client, user)
    html = client.get("/articles/").text
    assert titles(html) == ["My draft"]
    assert "(draft)" in html
    assert client.get(f"/articles/{draft.slug}/").status_code == 200


def test_the_list_shows_what_the_api_serves_in_the_same_order(client, user, make_article):
    for n in range(5):
        make_article(user, f"Article {n}", status="draft" if n == 2 else "published")
    api_titles = [item["title"] for item in client.get("/api/articles?size=10").json["items"]]
    assert titles(client.get("/articles/").text) == api_titles


def test_the_list_is_paginated_ten_a_page(client, user, make_article):
    for n in range(12):
        make_article(user, f"Post {n:02}")
    first = client.get("/articles/").text
    assert len(titles(first)) == 10
    assert "Page 1 of 2" in first
    assert 'href="/articles/?page=2" rel="next"' in first
    second = client.get("/articles/?page=2").text
    assert titles(second) == ["Post 01", "Post 00"]
    assert 'href="/articles/?page=1" rel="prev"' in second
    missing = client.get("/articles/?page=3")
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"


def test_tag_links_list_the_articles_with_that_tag(client, user, make_article):
    make_article(user, "About Python", tags=["python", "web"])
    make_article(user, "About cooking", tags=["food"])
    html = client.get("/articles/").text
    assert '<a href="/articles/?tag=python" rel="tag">#python</a>' in html
    tagged = client.get("/articles/?tag=python").text
    assert titles(tagged) == ["About Python"]
    assert "<h1>Tagged “python”</h1>" in tagged
    assert '<a href="/articles/">All articles</a>' in tagged


def test_a_bad_filter_is_a_422_page_not_a_crash(client, db):
    response = client.get("/articles/?author_id=abc")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Invalid filter." in response.text


def test_the_detail_shows_the_article_its_tags_and_comments(client, user, make_article):
    article = make_article(user, "Hello", body="Line one.\nLine two.", tags=["python"], comments=2)
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200
    html = response.text
    assert "<title>Hello · Articles</title>" in html
    assert "<h1>Hello</h1>" in html
    assert "Line one.\nLine two." in html
    assert 'href="/articles/?tag=python"' in html
    assert "<h2>2 comments</h2>" in html
    assert "<p>Comment 0</p>" in html and "<p>Comment 1</p>" in html


def test_an_unknown_slug_is_a_404_page(client, db):
    response = client.get("/articles/no-such-article/")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "There is no article at this address." in response.text


@pytest.mark.parametrize("title", ["<script>alert(1)</script>", "Tom & Jerry"])
def test_what_authors_write_is_shown_as_text(client, user, make_article, title):
    article = make_article(user, title, body="<b>bold?</b>")
    for path in ("/articles/", f"/articles/{article.slug}/"):
        html = client.get(path).text
        assert title not in html
        assert title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in client.get(f"/articles/{article.slug}/").text
