"""Small public functions of the articles app: slugs and tags by name."""

import re
import secrets

import sqlalchemy as sa

from project.db import adopt, column_attributes
from project.extensions import db

from .models import Article, Tag

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_LENGTH = 200

# Both run on every article create, so they are built once (SQLAlchemy memoizes
# a statement's cache key on the statement object) and read plain columns on
# the session's connection: the ORM's execution and loading layers would cost
# more than the statements. Tags found are adopted into the session (`adopt`).
_articles = Article.__table__
_TAG_KEYS, _TAG_COLUMNS = column_attributes(Tag)
_SLUG_TAKEN = sa.select(_articles.c.id).where(_articles.c.slug == sa.bindparam("slug")).limit(1)
_TAGS_NAMED = sa.select(*_TAG_COLUMNS).where(
    Tag.__table__.c.name.in_(sa.bindparam("names", expanding=True))
)
# A locking read sees rows committed after the transaction's snapshot (MariaDB's
# REPEATABLE READ); SQLite, where it means nothing, reads the latest anyway.
_TAG_NAMED_NOW = sa.select(Tag).where(Tag.name == sa.bindparam("name")).with_for_update(read=True)


def slugify(title):
    """ "Hello, World!" -> "hello-world"; never empty."""
    slug = _NOT_SLUG.sub("-", title.lower()).strip("-")[:SLUG_LENGTH].strip("-")
    return slug or "article"


def unique_slug(title):
    """A slug from the title; a random suffix when it is taken (one SELECT).

    Two requests racing for the same free slug both pass this check; the
    unique index then refuses one, which the client gets as a 409.
    """
    slug = slugify(title)
    taken = db.session.connection().execute(_SLUG_TAKEN, {"slug": slug}).first()
    return f"{slug}-{secrets.token_hex(4)}" if taken else slug


def tags_named(names):
    """Tag objects for `names`, by name as Article.tags orders them, creating missing ones."""
    wanted = list(dict.fromkeys(name.strip() for name in names))
    if not wanted:
        return []
    rows = db.session.connection().execute(_TAGS_NAMED, {"names": wanted})
    existing = [adopt(db.session, Tag, dict(zip(_TAG_KEYS, row, strict=True))) for row in rows]
    by_name = {tag.name: tag for tag in existing}
    for name in wanted:
        if name not in by_name:
            by_name[name] = _new_tag(name)
    return [by_name[name] for name in sorted(wanted)]


def _new_tag(name):
    """A new tag `name`, or the one another request created since this one looked.

    Two requests tagging with the same new name both find it missing, and the
    unique index refuses the second INSERT. So the tag is written at once, in
    a savepoint: a refusal then costs only the savepoint (and the entries the
    audit queued in it), and the tag the other request made is read instead,
    as Django's get_or_create does.
    """
    tag = Tag(name=name)
    try:
        with db.session.begin_nested():
            db.session.add(tag)
    except sa.exc.IntegrityError:
        found = db.session.scalars(_TAG_NAMED_NOW, {"name": name}).first()
        if found is None:  # refused for another reason: not this race
            raise
        return found
    return tag
