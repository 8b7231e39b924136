"""OpenAPI parameters derived from what a route and a resource declare.

- path parameters from the URL rule's converters (`<int:id>` -> integer);
- list query parameters from the resource: its paginators' parameters, each
  filter parameter typed from its column, `ordering` and `search`.

Every parameter describes what the server really accepts (see `filters.py`
and `pagination.py`), so a client that follows the document is not refused.
"""

import datetime as dt
import re

import sqlalchemy as sa
from werkzeug.routing import converters

from .filters import MAX_IN_VALUES, MAX_SEARCH_LENGTH, filter_parameters, normalize_filters
from .pagination import MAX_PAGE

_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")


def openapi_path(rule):
    """`/api/articles/<int:id>` -> `/api/articles/{id}`."""
    return _VARIABLE.sub(r"{\1}", rule.rule)


def path_parameters(rule):
    """One required path parameter per URL variable, typed from its converter."""
    found = getattr(rule, "_converters", {})
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _converter_schema(found.get(name)),
        }
        for name in sorted(rule.arguments)
    ]


def _converter_schema(converter):
    if isinstance(converter, converters.IntegerConverter):
        schema = {"type": "integer", "format": "int64"}
        minimum = converter.min if converter.min is not None else (None if converter.signed else 0)
        if minimum is not None:
            schema["minimum"] = minimum
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    if isinstance(converter, converters.FloatConverter):
        return {"type": "number"}
    if isinstance(converter, converters.UUIDConverter):
        return {"type": "string", "format": "uuid"}
    regex = getattr(converter, "regex", "[^/]+")
    return {"type": "string", "minLength": 1, "pattern": f"^{regex}$"}


def _query(name, schema, description):
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def pagination_parameters(paginator, config):
    """The query parameters of a paginator class; unknown paginators document theirs as strings.

    A paginator may describe its own with a classmethod `openapi_parameters(config)`.
    """
    own = getattr(paginator, "openapi_parameters", None)
    if own is not None:
        return list(own(config))
    default_size = config.get("REST_PAGE_SIZE", 20)
    max_size = config.get("REST_MAX_PAGE_SIZE", 100)
    known = {
        getattr(paginator, "page_param", None): _query(
            getattr(paginator, "page_param", None),
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            "Page number, from 1. A page past the last one is a 404.",
        ),
        getattr(paginator, "size_param", None): _query(
            getattr(paginator, "size_param", None),
            {"type": "integer", "minimum": 1, "default": default_size},
            f"Items per page; larger values are capped at {max_size}.",
        ),
        getattr(paginator, "count_param", None): _query(
            getattr(paginator, "count_param", None),
            {"type": "boolean", "default": True},
            "false skips counting the matches: `total` and `pages` are then null.",
        ),
        getattr(paginator, "cursor_param", None): _query(
            getattr(paginator, "cursor_param", None),
            {"type": "string", "maxLength": 1000},
            "Keyset pagination: empty for the first page, then the cursor of a "
            "`next`/`previous` link. Ignores `page`, `count` and `ordering`.",
        ),
    }
    return [
        known.get(name) or _query(name, {"type": "string"}, "Pagination.")
        for name in sorted(paginator.parameters())
    ]


def filter_query_parameters(model, filter_fields):
    """One parameter per declared filter and operator (`created_at__gte`), typed from its column."""
    filters = normalize_filters(filter_fields)
    parameters = []
    for parameter, (name, operator) in filter_parameters(filters).items():
        column, _ = filters[name].resolve(model)
        schema, description = _operator_schema(column, operator)
        parameters.append(_query(parameter, schema, f"Filter: {name} {description}."))
    return parameters


def _operator_schema(column, operator):
    if operator == "in":
        return (
            {"type": "string", "minLength": 1},
            f"is one of these comma-separated values (1 to {MAX_IN_VALUES})",
        )
    if operator == "isnull":
        return {"type": "boolean"}, "is null (true) or is not null (false)"
    if operator == "contains":
        return {"type": "string"}, "contains this text"
    words = {
        "eq": "equals",
        "ne": "differs from",
        "lt": "is less than",
        "lte": "is at most",
        "gt": "is greater than",
        "gte": "is at least",
    }
    return column_schema(column), f"{words.get(operator, operator)} this value"


def column_schema(column):
    """The JSON schema of a query value parsed to `column`'s type (see filters.parse_value)."""
    sql_type = column.type
    impl = getattr(sql_type, "impl", sql_type)
    try:
        python_type = impl.python_type
    except NotImplementedError:
        python_type = str
    if python_type is bool:
        return {"type": "boolean"}
    if python_type is int:
        return {"type": "integer", "format": "int64"}
    if python_type is float:
        return {"type": "number"}
    if python_type is dt.datetime:
        return {
            "type": "string",
            "anyOf": [{"format": "date"}, {"format": "date-time"}],
            "description": "ISO 8601 date or date-time; without a time zone it is UTC.",
        }
    if python_type is dt.date:
        return {"type": "string", "format": "date"}
    schema = {"type": "string"}
    length = getattr(sql_type, "length", None)
    if isinstance(sql_type, sa.String) and length:
        schema["maxLength"] = length
    return schema


def ordering_parameter(ordering_fields, default):
    names = sorted(ordering_fields)
    choice = "|".join(re.escape(name) for name in names)
    default_text = ",".join(default) if default else "the primary key"
    return _query(
        "ordering",
        {"type": "string", "pattern": f"^-?({choice})(,-?({choice}))*$"},
        f"Comma-separated fields to order by, `-` for descending: {', '.join(names)}. "
        f"Default: {default_text}.",
    )


def search_parameter(search_fields):
    return _query(
        "search",
        {"type": "string", "maxLength": MAX_SEARCH_LENGTH},
        f"Words that must each appear in one of: {', '.join(search_fields)}.",
    )
