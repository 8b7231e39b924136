"""`python manage.py articles ...`: commands of the articles app."""

import random
import secrets
import sys
from datetime import timedelta

import click
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask.cli import AppGroup

from apps.accounts.models import User
from project.db import refresh_statistics
from project.extensions import db
from project.models import utcnow

from .models import Article, Comment, Status, Tag, article_tags

cli = AppGroup("articles", help="Articles: seed demo data.")

WORDS = [
    "flask",
    "django",
    "python",
    "rest",
    "api",
    "schema",
    "model",
    "query",
    "index",
    "cache",
    "token",
    "audit",
    "signal",
    "blueprint",
    "migration",
    "worker",
    "nginx",
    "gunicorn",
    "mariadb",
    "sqlite",
    "redis",
    "queue",
    "page",
    "filter",
    "search",
    "order",
    "cursor",
    "version",
    "header",
    "error",
    "envelope",
    "request",
    "response",
    "json",
]
SEED_PASSWORD = "seed-password-not-for-production"  # noqa: S105 - demo users only


def _sentence(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _insert(table, rows):
    if rows:
        db.session.execute(sa.insert(table), rows)


@cli.command("seed")
@click.option("--articles", default=100, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--users", default=10, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--tags", default=20, show_default=True, type=click.IntRange(0, 10_000))
@click.option("--tags-per-article", default=3, show_default=True, type=click.IntRange(0, 20))
@click.option("--comments-per-article", default=1, show_default=True, type=click.IntRange(0, 50))
@click.option("--seed", "random_seed", default=1, show_default=True, help="Random seed.")
def seed(articles, users, tags, tags_per_article, comments_per_article, random_seed):
    """Add demo users, tags, articles and comments (bulk inserts, with a progress bar).

    Users are named seed-user-<n> with the password printed at the end; the
    first one is staff. Existing rows are kept: run on an empty database for
    a predictable data set.
    """
    rng = random.Random(random_seed)  # noqa: S311 - demo data, not secrets
    now = utcnow()
    password_hash = PasswordHasher().hash(SEED_PASSWORD)
    first_user = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
    _insert(
        User.__table__,
        [
            {
                "email": f"seed-user-{first_user + i}@example.com",
                "username": f"seed-user-{first_user + i}",
                "password_hash": password_hash,
                "is_active": True,
                "is_staff": i == 0,
                "is_superuser": False,
                "date_joined": now,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(users)
        ],
    )
    user_ids = db.session.scalars(sa.select(User.id).where(User.id >= first_user)).all()
    existing = set(db.session.scalars(sa.select(Tag.name)))
    tag_names = [f"tag-{i}" for i in range(tags) if f"tag-{i}" not in existing]
    _insert(Tag.__table__, [{"name": n, "created_at": now, "updated_at": now} for n in tag_names])
    tag_ids = db.session.scalars(sa.select(Tag.id).where(Tag.name.like("tag-%"))).all()
    first_article = (db.session.scalar(sa.select(sa.func.max(Article.id))) or 0) + 1
    batch = 1000
    with click.progressbar(length=articles, label="Seeding articles", file=sys.stderr) as bar:
        for start in range(0, articles, batch):
            count = min(batch, articles - start)
            ids = range(first_article + start, first_article + start + count)
            rows, links, comments = [], [], []
            for article_id in ids:
                created = now - timedelta(minutes=(articles - (article_id - first_article)))
                rows.append(
                    {
                        "id": article_id,
                        "title": f"{_sentence(rng, 5).capitalize()} {article_id}",
                        "slug": f"seed-{article_id}-{secrets.token_hex(3)}",
                        "body": _sentence(rng, 40),
                        "status": Status.PUBLISHED.value
                        if rng.random() < 0.9
                        else Status.DRAFT.value,
                        "author_id": rng.choice(user_ids),
                        "version": 1,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                for tag_id in rng.sample(tag_ids, min(tags_per_article, len(tag_ids))):
                    links.append({"article_id": article_id, "tag_id": tag_id})
                for _ in range(comments_per_article):
                    comments.append(
                        {
                            "article_id": article_id,
                            "author_id": rng.choice(user_ids),
                            "body": _sentence(rng, 12),
                            "created_at": created,
                            "updated_at": created,
                        }
                    )
            _insert(Article.__table__, rows)
            _insert(article_tags, links)
            _insert(Comment.__table__, comments)
            db.session.commit()
            bar.update(count)
    db.session.commit()
    tables = [User.__table__, Tag.__table__, Article.__table__, article_tags, Comment.__table__]
    refresh_statistics(db.session.connection(), tables)
    db.session.commit()
    click.echo(
        f"Seeded {users} users, {len(tag_names)} tags, {articles} articles "
        f"({tags_per_article} tags and {comments_per_article} comments each). "
        f"Users log in as seed-user-<n> with password {SEED_PASSWORD!r}."
    )
