"""Factories for the articles tests: users with bearer tokens, articles, comments."""

import itertools
from datetime import timedelta

import pytest

from apps.accounts.auth import hash_token
from apps.accounts.models import Token, User
from apps.articles.models import Article, Comment
from apps.articles.services import tags_named
from project.models import utcnow

_sequence = itertools.count(1)


@pytest.fixture
def make_user(db):
    def make(username=None, *, is_staff=False, token=None):
        n = next(_sequence)
        user = User(
            email=f"user{n}@example.com",
            username=username or f"user{n}",
            is_active=True,
            is_staff=is_staff,
        )
        db.session.add(user)
        db.session.flush()
        raw = token or f"token-{n}-{user.username}"
        db.session.add(
            Token(
                user_id=user.id, key_hash=hash_token(raw), expires_at=utcnow() + timedelta(days=1)
            )
        )
        db.session.commit()
        user.headers = {"Authorization": f"Bearer {raw}"}
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
