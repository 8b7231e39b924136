"""Input and output: `use_schema` loads a request, `marshal_with` dumps a result.

Input rules, one envelope for each failure:
- a write whose Content-Type is not JSON -> 415;
- no body, or a body that is not valid JSON, or not a JSON object -> 400;
- unknown fields and field errors -> 422 with every failing field.

Output goes through the schema's compiled dumper (`project.rest.dump`), which
gives what `schema.dump` gives, faster, and is encoded with orjson.
"""

import functools

import orjson
from flask import current_app, request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from werkzeug.wrappers import Response

from project.errors import APIError, ValidationError

from .dump import dumper_for


def json_response(data, status=200, headers=None):
    response = current_app.response_class(
        orjson.dumps(data), status=status, mimetype="application/json"
    )
    if headers:
        response.headers.update(headers)
    return response


def json_body():
    """The request's JSON object, or the 400/415 envelope saying what is wrong."""
    if request.mimetype != "application/json":
        raise APIError(
            415,
            "unsupported_media_type",
            f"Send the body as application/json (got {request.mimetype or 'no content type'}).",
        )
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise APIError(400, "bad_request", "A JSON body is required.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise APIError(400, "bad_request", f"The body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise APIError(400, "bad_request", "The JSON body must be an object.")
    return data


def _schema_instance(schema):
    return schema() if isinstance(schema, type) else schema


def load(schema, data, partial=None):
    """Validate `data` with `schema`; field errors become the 422 envelope.

    `partial=None` keeps the schema's own setting (`Schema(partial=True)`).
    """
    try:
        return _schema_instance(schema).load(data, partial=partial)
    except SchemaError as exc:
        raise ValidationError(exc.messages_dict) from None


def query_arguments():
    """The query string as a plain dict; a key given twice keeps a list."""
    data = {}
    for key, values in request.args.lists():
        data[key] = values if len(values) > 1 else values[0]
    return data


def use_schema(schema, location="json", partial=None):
    """Load the request's JSON body (or query string) with `schema` and pass it to the view.

    @use_schema(ArticleCreateSchema)
    def post(self, data): ...
    """
    instance = _schema_instance(schema)
    if location not in ("json", "query"):
        raise ValueError(f"use_schema location must be 'json' or 'query', not {location!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            raw = json_body() if location == "json" else query_arguments()
            return view(*args, load(instance, raw, partial=partial), **kwargs)

        wrapper.__rest_input__ = (instance, location)
        return wrapper

    return decorator


def marshal_with(schema, code=200, envelope=None):
    """Dump the view's return value with `schema`: flask-restful's decorator, on marshmallow.

    The view returns an object, a list of objects, or `(value, status)` /
    `(value, status, headers)`; a Response passes through untouched.
    """
    instance = _schema_instance(schema)
    if not isinstance(instance, Schema):
        raise TypeError(f"marshal_with needs a marshmallow Schema, not {schema!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            result = view(*args, **kwargs)
            if isinstance(result, Response):
                return result
            status, headers = code, None
            if isinstance(result, tuple):
                result, status, *rest = result
                headers = rest[0] if rest else None
            dump = dumper_for(instance)
            many = isinstance(result, (list, tuple))
            data = [dump(item) for item in result] if many else dump(result)
            if envelope:
                data = {envelope: data}
            return json_response(data, status, headers)

        wrapper.__rest_output__ = (instance, code)
        return wrapper

    return decorator
