"""Factories for the articles tests: users with bearer tokens, articles, comments."""

import itertools

import pytest

from apps.articles.models import Article, Comment
from apps.articles.services import tags_named

_sequence = itertools.count(1)


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def make_article(db):
    def make(author, title=None, *, status="published", tags=(), body="Body text.", comments=0):
        n = next(_sequence)
        article = Article(
            title=title or f"Article {n}",
            slug=f"article-{n}",
            body=body,
            status=status,
            author_id=author.id,
            tags=tags_named(tags),
        )
        db.session.add(article)
        db.session.flush()
        for i in range(comments):
            db.session.add(Comment(article_id=article.id, author_id=author.id, body=f"Comment {i}"))
        db.session.commit()
        return article

    return make
