"""Pagination with the page data in the body.

Page numbers: `?page=2&size=20` gives
`{"items", "page", "size", "total", "pages", "next", "previous"}`; `?count=false`
skips the COUNT query (total and pages are then null, and one extra row is
read to know whether there is a next page). Deep pages select the page's ids
first and join the rest to just those ids; a page nearer the end than the
start is counted back from the end (the ordering reversed), so the last
pages of a large table cost what the first ones do.

Keyset: `?cursor=` (empty for the first page) gives `{"items", "size", "next",
"previous"}` where next/previous carry an opaque cursor; the query seeks past
the last row seen, so page 1,000 costs what page 1 costs.
"""

import base64
import binascii
import math
from urllib.parse import quote

import orjson
import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from werkzeug.datastructures import MultiDict

from project.errors import APIError, ValidationError

from .filters import parse_value
from .plan import StatementTemplates

MAX_PAGE = 10_000_000


def _link(**changes):
    args = MultiDict(request.args)
    for key, value in changes.items():
        args.pop(key, None)
        if value is not None:
            args[key] = value
    query = "&".join(f"{key}={_quote(value)}" for key, values in args.lists() for value in values)
    return f"{request.path}?{query}" if query else request.path


def _quote(value):
    return quote(str(value), safe=",-_.~")


def _positive_int(args, name, default, errors, maximum=None):
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = [f"{name} must be a positive integer."]
        return default
    if value < 1:
        errors[name] = [f"{name} must be 1 or more."]
    elif maximum is not None and value > maximum:
        errors[name] = [f"{name} must be at most {maximum}."]
    return value


class _Pagination:
    """Page size from the request, capped by REST_MAX_PAGE_SIZE."""

    size_param = "size"

    def __init__(self):
        config = current_app.config
        self.default_size = config.get("REST_PAGE_SIZE", 20)
        self.max_size = config.get("REST_MAX_PAGE_SIZE", 100)

    def read_size(self, args, errors):
        # A size over the cap is capped, as documented; 0 or less is an error.
        return min(_positive_int(args, self.size_param, self.default_size, errors), self.max_size)


class PageNumberPagination(_Pagination):
    page_param = "page"
    count_param = "count"

    @classmethod
    def parameters(cls):
        return {cls.page_param, cls.size_param, cls.count_param}

    def read(self, args):
        errors = {}
        page = _positive_int(args, self.page_param, 1, errors, MAX_PAGE)
        size = self.read_size(args, errors)
        raw_count = args.get(self.count_param, "true").lower()
        if raw_count not in ("true", "false", "1", "0"):
            errors[self.count_param] = ["count must be true or false."]
        if errors:
            raise ValidationError(errors, "Invalid pagination.")
        return page, size, raw_count in ("true", "1")

    def paginate(self, query, model, fetch):
        """`fetch(query)` reads one page of rows as dicts; return the page body."""
        page, size, with_count = self.read(request.args)
        total = count(query, model) if with_count else None
        pages = math.ceil(total / size) if total is not None else None
        if total is not None and page > max(pages, 1):
            raise APIError(
                404, "not_found", f"Page {page} does not exist; there are {pages} pages."
            )
        limit = size if with_count else size + 1
        items = fetch(page_of(query, model, limit, (page - 1) * size, total))
        has_next = page < pages if with_count else len(items) > size
        items = items[:size]
        if not with_count and not items and page > 1:
            raise APIError(404, "not_found", f"Page {page} does not exist.")
        return {
            "items": items,
            "page": page,
            "size": size,
            "total": total,
            "pages": pages,
            "next": _link(page=page + 1) if has_next else None,
            "previous": _link(page=page - 1) if page > 1 else None,
        }


_count_templates = StatementTemplates()


def _count_statement(query):
    if len(query.get_final_froms()) == 1:
        return query.with_only_columns(sa.func.count(), maintain_column_froms=True)
    return sa.select(sa.func.count()).select_from(query.subquery())


def count(query, model):
    """COUNT(*) of an entity query, without its ORDER BY."""
    return _count_templates.execute("count", query.order_by(None), _count_statement).scalar_one()


def page_of(query, model, limit, offset, total=None):
    """The page as an entity query; deep pages pick ids first (a deferred join).

    With `total` known, a page nearer the end is picked by skipping
    `total - offset - limit` rows in the reversed ordering: the database
    steps over fewer rows, and the outer query keeps the page in its order.
    That needs an ordering that can be reversed row for row: plain columns,
    ascending or descending, the primary key last (ties broken the same way
    both ways); any other ordering steps over `offset` rows as usual.
    """
    if offset == 0:
        return query.limit(limit)
    primary_key = sa.inspect(model).primary_key[0]
    ids = query.with_only_columns(primary_key)
    from_end = None if total is None else total - offset - limit
    backwards = _reversed(query, primary_key) if from_end is not None else None
    if backwards is not None and from_end < offset:
        if from_end < 0:  # the last page, shorter than `limit`
            limit, from_end = limit + from_end, 0
        ids = ids.order_by(None).order_by(*backwards).limit(max(limit, 0)).offset(from_end)
    else:
        ids = ids.limit(limit).offset(offset)
    ids = ids.subquery()
    return query.join(ids, ids.c[primary_key.key] == primary_key)


_FLIPPED = {operators.asc_op: sa.desc, operators.desc_op: sa.asc}


def _reversed(query, primary_key):
    """The ORDER BY of `query` turned around, or None when it cannot be (see `page_of`)."""
    clauses = query._order_by_clauses  # SQLAlchemy keeps no public accessor for it
    backwards = []
    for clause in clauses:
        if isinstance(clause, UnaryExpression) and clause.modifier in _FLIPPED:
            element = clause.element
            flip = _FLIPPED[clause.modifier]
        elif isinstance(clause, sa.Column):
            element, flip = clause, sa.desc
        else:
            return None  # NULLS FIRST/LAST, labels, expressions: not reversed
        if not isinstance(element, sa.Column):
            return None
        backwards.append(flip(element))
    if not clauses or not _is_column(backwards[-1].element, primary_key):
        return None
    return backwards


def _is_column(element, column):
    return element is column or (
        isinstance(element, sa.Column)
        and element.table is column.table
        and element.key == column.key
    )


class CursorPagination(_Pagination):
    """Keyset pagination over a fixed ordering: `("-id",)` or `("-created_at", "-id")`."""

    cursor_param = "cursor"
    ordering = ("-id",)

    @classmethod
    def parameters(cls):
        return {cls.cursor_param, cls.size_param}

    def _columns(self, model):
        return [getattr(model, name.lstrip("-")) for name in self.ordering]

    def paginate(self, query, model, fetch):
        errors = {}
        size = self.read_size(request.args, errors)
        raw = request.args.get(self.cursor_param, "")
        position, backwards = self._decode(raw, errors)
        columns = self._columns(model)
        if position is not None:
            try:
                position = [parse_value(c, str(v)) for c, v in zip(columns, position, strict=True)]
            except ValueError:
                errors[self.cursor_param] = ["The cursor is not valid; use a next/previous link."]
        if errors:
            raise ValidationError(errors, "Invalid pagination.")
        descending = self.ordering[0].startswith("-")
        forward_desc = descending != backwards
        if position is not None:
            key = sa.tuple_(*columns) if len(columns) > 1 else columns[0]
            value = sa.tuple_(*position) if len(columns) > 1 else position[0]
            query = query.where(key < value if forward_desc else key > value)
        order = [c.desc() if forward_desc else c.asc() for c in columns]
        rows = fetch(query.order_by(None).order_by(*order).limit(size + 1))
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        names = [name.lstrip("-") for name in self.ordering]
        first = [rows[0][n] for n in names] if rows else None
        last = [rows[-1][n] for n in names] if rows else None
        has_next = more if not backwards else position is not None
        has_previous = (position is not None) if not backwards else more
        return {
            "items": rows,
            "size": size,
            "next": _link(cursor=self._encode(last, False)) if has_next and rows else None,
            "previous": _link(cursor=self._encode(first, True)) if has_previous and rows else None,
        }

    def _encode(self, values, backwards):
        payload = orjson.dumps({"v": values, "b": backwards})
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    def _decode(self, raw, errors):
        if not raw:
            return None, False
        try:
            padded = raw + "=" * (-len(raw) % 4)
            data = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
            values, backwards = data["v"], data["b"]
            if not isinstance(values, list) or len(values) != len(self.ordering):
                raise ValueError
            if not isinstance(backwards, bool):
                raise ValueError
        except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
            errors[self.cursor_param] = ["The cursor is not valid; use a next/previous link."]
            return None, False
        return values, backwards
