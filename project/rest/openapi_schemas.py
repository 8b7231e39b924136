"""The shared pieces of the OpenAPI document: schema names, patterns, pages, the error envelope."""

import re

from marshmallow import Schema
from werkzeug.http import HTTP_STATUS_CODES

from project.errors import ERROR_CODES

#: The name of the bearer-token security scheme.
BEARER = "bearerAuth"


class SchemaNames:
    """apispec's `schema_name_resolver`: one stable, unique component name per schema use.

    `ArticleSchema` -> `Article`. A schema used with modifiers is a different
    shape and gets its own name (`AuthorSchema(exclude=["email"])` ->
    `AuthorExcludeEmail`, partial -> `PatchedArticleUpdate`), instead of
    apispec's `Author1` and a warning. Two apps' schemas of the same class name
    are told apart by the app label (`AccountsUser`).
    """

    def __init__(self, app=None):
        self.app = app
        self.owners = {}

    def __call__(self, schema):
        cls = schema if isinstance(schema, type) else type(schema)
        base = cls.__name__.removesuffix("Schema") or cls.__name__
        owner = self.owners.setdefault(base, cls)
        if owner is not cls:
            base = self._label(cls) + base
            self.owners.setdefault(base, cls)
        if isinstance(schema, Schema):
            return _with_modifiers(base, schema)
        return base

    def _label(self, cls):
        apps = self.app.extensions.get("apps") if self.app is not None else None
        config = apps.app_for_module(cls.__module__) if apps is not None else None
        label = config.label if config is not None else cls.__module__.replace(".", "_")
        return "".join(part.title() for part in label.split("_"))


def _with_modifiers(base, schema):
    name = base
    if getattr(schema, "partial", False) is True:
        name = "Patched" + name
    for modifier in ("only", "exclude"):
        names = getattr(schema, modifier, None)
        if names:
            name += modifier.title() + "".join(_camel(n) for n in sorted(names))
    for modifier in ("load_only", "dump_only"):
        names = set(getattr(schema, modifier, None) or ())
        if names != set(getattr(schema.opts, modifier, None) or ()):
            name += _camel(modifier) + "".join(_camel(n) for n in sorted(names))
    return name


def _camel(name):
    return "".join(part[:1].upper() + part[1:] for part in str(name).split("_"))


def field2ecma_pattern(self, field, ret=None, **kwargs):
    """An apispec attribute function: a `validate.Regexp` as the pattern JSON Schema means.

    marshmallow applies a Regexp with `re.match` (anchored at the start) and
    Python syntax; JSON Schema's `pattern` is an unanchored ECMA-262 search.
    So `\\Z` becomes `$`, named groups lose their `P`, and the start is anchored.
    """
    pattern = (ret or {}).get("pattern")
    if pattern is None:
        return {}
    return {"pattern": ecma_pattern(pattern)}


def ecma_pattern(pattern):
    converted = re.sub(r"(?<!\\)\\Z", "$", pattern)
    converted = re.sub(r"(?<!\\)\\A", "^", converted)
    converted = converted.replace("(?P<", "(?<")
    converted = re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", converted)
    if not converted.startswith("^"):
        converted = f"^(?:{converted})"
    return converted


def page_schema(item, keyset):
    """The body of a list: page-number `{items, page, size, total, pages, next, previous}`
    or keyset `{items, size, next, previous}`."""
    link = {"type": "string", "nullable": True, "description": "A relative URL, or null."}
    properties = {"items": {"type": "array", "items": item}}
    if not keyset:
        properties["page"] = {"type": "integer", "minimum": 1}
    properties["size"] = {"type": "integer", "minimum": 1}
    if not keyset:
        properties["total"] = {
            "type": "integer",
            "minimum": 0,
            "nullable": True,
            "description": "The number of matches; null with count=false.",
        }
        properties["pages"] = {"type": "integer", "minimum": 0, "nullable": True}
    properties["next"] = link
    properties["previous"] = link
    return {"type": "object", "required": list(properties), "properties": properties}


def error_envelope_schema():
    """The one error shape of project/errors.py."""
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "request_id"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Stable, machine-readable: "
                        + ", ".join(sorted(set(ERROR_CODES.values())))
                        + " (or an app's own).",
                        "example": "validation_error",
                    },
                    "message": {"type": "string", "description": "For people."},
                    "fields": {
                        "type": "object",
                        "description": "422 only: the messages of each failing field "
                        "(nested for list items and nested objects).",
                        "additionalProperties": {},
                    },
                    "request_id": {
                        "type": "string",
                        "nullable": True,
                        "description": "Quote it when reporting a problem (also in X-Request-ID).",
                    },
                },
            }
        },
    }


_ERRORS = {
    400: "Malformed request: no body, or a body that is not a JSON object.",
    401: "Credentials are missing, malformed, unknown or expired.",
    403: "You may not do this.",
    404: "Not found.",
    409: "Conflicts with existing data (a unique value), or with a concurrent write.",
    412: "If-Match names a version that is no longer current.",
    415: "The body is not application/json.",
    422: "Invalid input: `fields` says what is wrong with each field or parameter.",
    429: "Too many requests: wait for Retry-After seconds.",
    503: "The database is unavailable: retry after Retry-After seconds.",
}

_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


class ErrorResponses:
    """Adds the responses an operation can answer with besides its success.

    Error statuses reference the envelope; other statuses (a view's own 202 or
    204 from `responds`) have no body.
    """

    def __init__(self, has_limiter=False):
        self.has_limiter = has_limiter

    def add(self, responses, statuses):
        statuses = set(statuses) | ({429} if self.has_limiter else set())
        for status in sorted(statuses):
            responses.setdefault(str(status), _response(status))


def _response(status):
    if status < 400:
        return {"description": HTTP_STATUS_CODES.get(status, "Success") + "."}
    response = {
        "description": _ERRORS.get(status) or HTTP_STATUS_CODES.get(status, "Error") + ".",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
    }
    if status in (429, 503):
        response["headers"] = dict(_RETRY_AFTER)
    return response


# -- responses and headers --------------------------------------------------------------


def json_body_response(description, schema, etag=False):
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if etag:
        response["headers"] = etag_header()
    return response


def etag_header():
    return {
        "ETag": {
            "description": "The version of the object; send it back in If-Match when writing.",
            "required": True,
            "schema": {"type": "string"},
        }
    }


def header_parameter(name, description):
    return {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


def if_match_parameter():
    return header_parameter(
        "If-Match", "The ETag you read: the write is refused with 412 if the object changed since."
    )
