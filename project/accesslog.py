"""gunicorn's access and error logs in the project's format (`logger_class` in gunicorn.conf.py).

With LOG_FORMAT "json" (production) each access line is one JSON object with
the same field names as the app's request log (`project.middleware`):

    {"time": "...", "level": "INFO", "logger": "gunicorn.access",
     "message": "GET /api/articles 200", "method": "GET", "path": "/api/articles",
     "status": 200, "duration_ms": 3.1, "request_id": "3f2a...", "remote_addr": "...",
     "forwarded_for": "...", "bytes": 512, "user_agent": "curl/8.0", "pid": 1234}

`request_id` is the X-Request-ID the app answered with, so an access line,
the app's lines and an audit entry of one request share it. The values are
JSON-encoded, so a path or user agent holding quotes cannot break the line,
which a `%`-template access_log_format cannot promise. With "text" the lines
follow gunicorn's `access_log_format` (gunicorn.conf.py puts the request id in it).
"""

import logging

from gunicorn.glogging import Logger

from .logs import JSONFormatter


class ProjectLogger(Logger):
    json = False

    def setup(self, cfg):
        super().setup(cfg)
        self.json = _json_wanted()
        if self.json:
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JSONFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.json:
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = {name.lower(): value for name, value in resp.headers}
        path = environ.get("PATH_INFO", "")
        extra = {
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
            "status": int(status),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "request_id": headers.get("x-request-id"),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
            "bytes": getattr(resp, "sent", None),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info("%s %s %s", extra["method"], path, extra["status"], extra=extra)
        except Exception:
            logging.getLogger("gunicorn.error").exception("could not write an access line")
        return None


def _json_wanted():
    """LOG_FORMAT as the settings resolve it (APP_SETTINGS plus environment)."""
    from .conf import load_settings

    try:
        return load_settings()["LOG_FORMAT"] == "json"
    except Exception:  # gunicorn reports the settings problem when it loads the app
        return False
