"""Entries built and read back by the tests that call `chain` directly."""

from apps.audit import chain

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
    return connection.execute(chain.entries.select().order_by(chain.entries.c.id)).mappings().all()
