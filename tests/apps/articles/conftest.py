"""Factories for the articles tests: users with bearer tokens, articles, comments."""

import itertools

import pytest

from apps.accounts.services import create_user, issue_token
from apps.articles.models import Article, Comment
from apps.articles.services import tags_named

_sequence = itertools.count(1)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(db):
    def make(username=None, *, is_staff=False):
        n = next(_sequence)
        username = username or f"user{n}"
        user = create_user(
            f"{username}@example.com", username, PASSWORD, is_active=True, is_staff=is_staff
        )
        user.headers = {"Authorization": f"Bearer {issue_token(user)}"}
        return user

    return make


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
