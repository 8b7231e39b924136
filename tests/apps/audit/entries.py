"""For the tests that call `chain` directly: an app on a migrated database, entries, rows."""

from contextlib import contextmanager

import flask_migrate
import sqlalchemy as sa

from apps.audit import chain
from project import create_app
from project.extensions import db


@contextmanager
def migrated_app(url):
    """An app on the database at `url` upgraded by the migrations, in its app context."""
    app = create_app("testing", DATABASE_URL=url)
    with app.app_context():
        flask_migrate.upgrade()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


#: A value for every field an entry brings, with quotes, a backslash and non-ASCII text.
EVERY_FIELD = {
    "action": "publish",
    "outcome": "failure",
    "actor_id": 7,
    "actor_username": "zoë",
    "ip": "2001:db8::1",
    "user_agent": "agent 'quoted' \\ backslash",
    "request_id": "req-1",
    "method": "POST",
    "path": "/api/articles/3/publish?x=%41",
    "object_type": "articles.Article",
    "object_id": "3",
    "object_repr": "<Article 3>",
    "changes": '{"title":["a","b"]}',
    "extra": '{"note":"ünïcode"}',
}


def an_entry(**values):
    """An entry as writers hand it to `chain.append`: id, prev_hash, timestamp are the head's."""
    entry = dict.fromkeys(chain.CONTENT_FIELDS)
    return (
        entry | {"action": "custom", "outcome": "success", "changes": "{}", "extra": "{}"} | values
    )


def logged_rows(connection):
    """Every entry as logged: its content and hash."""
    columns = [chain.entries.c[name] for name in (*chain.CONTENT_FIELDS, "hash")]
    query = sa.select(*columns).order_by(chain.entries.c.id)
    return connection.execute(query).mappings().all()
