"""The floor: the contract's article API on bare Flask + SQLAlchemy Core.

No ORM, no schema library, no framework layer: routes parse the request by
hand, queries.py sends the statements, dicts are built by hand and encoded
with the standard library's json. This measures what Python, WSGI, Flask's
routing and the database cost, and nothing else. stdlib json (not orjson) on
purpose: the floor uses no speed-up a framework might add; see README.

Serve with:  DATABASE_URL=... gunicorn --pythonpath bench peers.core.app:app
"""

import json
import math
import os

from flask import Flask, Response, request
from sqlalchemy import create_engine

from peers import contract
from peers.core import queries

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"])


class _BadToken(Exception):
    """An Authorization: Bearer header whose token is unknown, expired or inactive."""


def _json(payload, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


def _error(status: int, detail) -> Response:
    return _json({"detail": detail}, status)


@app.errorhandler(_BadToken)
def _bad_token(_exc):
    return _error(401, "Invalid or expired token.")


def _int_arg(name: str, default: int) -> int | None:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 else None


def _caller(conn):
    """The authenticated user (id, username, is_staff), or None when anonymous."""
    raw = contract.bearer_token(request.headers.get("Authorization"))
    if raw is None:
        return None
    user = queries.authenticate(conn, raw)
    if user is None:
        raise _BadToken
    return user


def _validated(partial: bool) -> tuple[dict | None, dict | None]:
    """(clean data, None) or (None, {field: [message]}) for an article body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return None, {"non_field_errors": ["Expected a JSON object."]}
    errors: dict[str, list[str]] = {}
    clean = {}
    for field, max_length in (("title", 200), ("body", None)):
        if field not in data:
            if not partial:
                errors[field] = ["This field is required."]
            continue
        value = data[field]
        if not isinstance(value, str) or (field == "title" and not value.strip()):
            errors[field] = ["Not a valid string."]
        elif max_length and len(value) > max_length:
            errors[field] = [f"Ensure this field has no more than {max_length} characters."]
        else:
            clean[field] = value
    if "status" in data:
        if data["status"] in contract.STATUSES:
            clean["status"] = data["status"]
        else:
            errors["status"] = ["Not a valid choice."]
    if "tags" in data:
        names = data["tags"]
        if isinstance(names, list) and all(
            isinstance(n, str) and 0 < len(n.strip()) <= 50 for n in names
        ):
            clean["tags"] = [n.strip() for n in names]
        else:
            errors["tags"] = ["Expected a list of tag names (1 to 50 characters)."]
    return (None, errors) if errors else (clean, None)


@app.get("/api/articles")
def article_list():
    page = _int_arg("page", 1)
    size = _int_arg("size", contract.DEFAULT_PAGE_SIZE)
    if page is None:
        return _error(404, "Invalid page.")
    size = min(size or contract.DEFAULT_PAGE_SIZE, contract.MAX_PAGE_SIZE)
    with engine.connect() as conn:
        visible = queries.visible_to(_caller(conn))
        total = queries.count_articles(conn, visible)
        pages = math.ceil(total / size)
        if page > max(pages, 1):
            return _error(404, "Invalid page.")
        items = queries.article_page(conn, visible, (page - 1) * size, size)
    return _json(
        {
            "items": items,
            "page": page,
            "size": size,
            "total": total,
            "pages": pages,
            "next": contract.page_link(page + 1, size) if page < pages else None,
            "previous": contract.page_link(page - 1, size) if page > 1 else None,
        }
    )


@app.post("/api/articles")
def article_create():
    with engine.begin() as conn:
        user = _caller(conn)
        if user is None:
            return _error(401, "Authentication credentials were not provided.")
        data, errors = _validated(partial=False)
        if errors:
            return _json(errors, 400)
        return _json(queries.create_article(conn, user, data), 201)


@app.get("/api/articles/<int:article_id>")
def article_detail(article_id: int):
    with engine.connect() as conn:
        row = queries.article_row(conn, article_id, queries.visible_to(_caller(conn)))
        if row is None:
            return _error(404, "Not found.")
        names = queries.tag_names(conn, [article_id]).get(article_id, [])
    return _json(queries.to_json(row, names))


@app.patch("/api/articles/<int:article_id>")
def article_update(article_id: int):
    with engine.begin() as conn:
        user = _caller(conn)
        if user is None:
            return _error(401, "Authentication credentials were not provided.")
        row = queries.article_row(conn, article_id, queries.visible_to(user))
        if row is None:
            return _error(404, "Not found.")
        if row["author_id"] != user.id and not user.is_staff:
            return _error(403, "You do not have permission to perform this action.")
        data, errors = _validated(partial=True)
        if errors:
            return _json(errors, 400)
        return _json(queries.update_article(conn, row, data))
