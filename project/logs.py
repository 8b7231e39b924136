"""Logging: every line carries the request id; JSON lines in production.

`LOG_FORMAT = "text"` gives lines for people, `"json"` one JSON object per
line for collectors. The request id (and the user id, when an app puts one in
`g.user_id`) is added by a filter, so any logger in any module gets it.
"""

import logging
import sys
from datetime import UTC, datetime

import orjson
from flask import g, has_app_context

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_HANDLER_NAME = "project"


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record (None outside an app context)."""

    def filter(self, record):
        # An app context without a request is a job or a command: project.jobs
        # puts the queuing request's id and actor on `g` there too.
        if has_app_context():
            record.request_id = g.get("request_id")
            record.user_id = g.get("user_id")
        else:
            record.request_id = getattr(record, "request_id", None)
            record.user_id = getattr(record, "user_id", None)
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


def configure_logging(config):
    """Install one handler on the root logger (once; later apps reuse it)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.addFilter(RequestContextFilter())
        root.addHandler(handler)
    if config["LOG_FORMAT"] == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    level = logging.getLevelName(str(config["LOG_LEVEL"]).upper())
    root.setLevel(level if isinstance(level, int) else logging.INFO)
