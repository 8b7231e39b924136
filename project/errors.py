"""One error envelope for every failure, whatever raised it.

    {"error": {"code": "validation_error", "message": "Invalid input.",
               "fields": {"title": ["Length must be between 1 and 200."]},
               "request_id": "3f2a..."}}

Werkzeug HTTP errors, `abort()`, `APIError`, SQLAlchemy's IntegrityError (409)
and OperationalError (503), and anything unexpected (500, traceback logged,
body carries only the request id) all end here. flask-restful's own handler is
bypassed (see `project.rest.api.Api`), so resources and plain views answer alike.
Paths under API_PREFIX, or clients that prefer JSON, get the envelope; pages
get a small HTML error page.
"""

import logging

import orjson
from flask import current_app, g, render_template, request
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

logger = logging.getLogger("project.errors")

#: Status code -> envelope `code` for errors that carry none of their own.
ERROR_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    431: "request_header_fields_too_large",
    500: "server_error",
    501: "not_implemented",
    503: "service_unavailable",
}

DATABASE_RETRY_AFTER = "5"


class APIError(HTTPException):
    """An error a view raises to answer with the envelope.

    raise APIError(409, "conflict", "That slug is taken.", fields={"slug": [...]})
    """

    def __init__(self, status, code=None, message=None, fields=None, headers=None):
        super().__init__(description=message)
        self.code = status
        self.error_code = code or ERROR_CODES.get(status, "error")
        self.fields = fields
        self.extra_headers = headers or {}

    def get_headers(self, environ=None, scope=None):
        return list(self.extra_headers.items())


class ValidationError(APIError):
    """422 with the errors of each failing field."""

    def __init__(self, fields, message="Invalid input."):
        super().__init__(422, "validation_error", message, fields=fields)


def wants_json():
    prefix = current_app.config["API_PREFIX"]
    path = request.path
    if path == prefix or path.startswith(prefix + "/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def envelope(status, code, message, fields=None, headers=None):
    """A JSON response in the envelope."""
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body["request_id"] = g.get("request_id")
    response = current_app.response_class(
        # Non-string keys: marshmallow reports a list item's errors under its index.
        orjson.dumps({"error": body}, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        mimetype="application/json",
    )
    return _with_headers(response, headers)


def _page(status, message, headers=None):
    html = render_template("error.html", status=status, message=message)
    response = current_app.response_class(html, status=status, mimetype="text/html")
    return _with_headers(response, headers)


def _with_headers(response, headers):
    """Add an error's own headers (Allow, Retry-After, ...), keeping our Content-Type."""
    for name, value in headers or ():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _respond(status, code, message, fields=None, headers=None):
    if wants_json():
        return envelope(status, code, message, fields, headers)
    return _page(status, message, headers)


def _message_of(exc):
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]  # flask_restful.abort(404, message=...)
    return exc.description or exc.name


def handle_http_exception(exc):
    if exc.code is None:  # a RoutingException such as RequestRedirect is a response
        return exc
    headers = exc.get_headers()
    code = getattr(exc, "error_code", None) or ERROR_CODES.get(exc.code, "error")
    return _respond(exc.code, code, _message_of(exc), getattr(exc, "fields", None), headers)


def _discard_session():
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the pool will replace it
        logger.debug("rollback after a database error failed", exc_info=True)


def handle_integrity_error(exc):
    _discard_session()
    logger.info("integrity error answered with 409: %s", exc.orig)
    return _respond(409, "conflict", "The request conflicts with existing data.")


def handle_database_unavailable(exc):
    _discard_session()
    logger.error("database unavailable: %s", exc.orig if hasattr(exc, "orig") else exc)
    return _respond(
        503,
        "service_unavailable",
        "The database is unavailable. Try again shortly.",
        headers=[("Retry-After", DATABASE_RETRY_AFTER)],
    )


def handle_unexpected(exc):
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return handle_database_unavailable(exc)
    logger.exception("unhandled %s (request id %s)", type(exc).__name__, g.get("request_id"))
    _discard_session()
    return _respond(500, "server_error", InternalServerError.description)


def handle_any(exc):
    """The single entry point: middleware first, then the handler for the kind."""
    chain = current_app.extensions.get("middleware")
    if chain is not None:
        response = chain.handle_exception(exc)
        if response is not None:
            return response
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    if isinstance(exc, IntegrityError):
        return handle_integrity_error(exc)
    if isinstance(exc, OperationalError):
        return handle_database_unavailable(exc)
    return handle_unexpected(exc)


def register_error_handlers(app):
    app.register_error_handler(Exception, handle_any)
    app.register_error_handler(HTTPException, handle_any)
