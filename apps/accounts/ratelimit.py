"""Login failures counted per IP and per login: past the limit, 429 with Retry-After.

Only failures count, so a user who types the password right is never slowed
down; a success clears its login's count (never the IP's: one good account
must not reset an attacker's address). The counts live in Redis when
REDIS_URL is set, so every worker and host shares them, else in memory.

The `limits` library (what Flask-Limiter is built on) is used directly:
Flask-Limiter counts every request to a route, not just the failed ones.
If Redis is down, login fails closed: 503, and a log line says why.
"""

import hashlib
import logging
import math
import time

from flask import current_app, request
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from project.errors import APIError

logger = logging.getLogger("apps.accounts.ratelimit")

_EXTENSION = "accounts_login_limiter"


class TooManyFailures(APIError):
    def __init__(self, retry_after):
        super().__init__(
            429,
            "rate_limited",
            "Too many failed logins. Try again later.",
            headers={"Retry-After": str(retry_after)},
        )


def _limiter(app=None):
    app = app or current_app
    limiter = app.extensions.get(_EXTENSION)
    if limiter is None:
        url = app.config.get("REDIS_URL")
        if url:
            timeout = app.config.get("REDIS_SOCKET_TIMEOUT", 2.0)  # a silent Redis: 503, no hang
            storage = storage_from_string(
                url,
                key_prefix="accounts-login",
                wrap_exceptions=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
        else:
            storage = storage_from_string("memory://", wrap_exceptions=True)
        limiter = app.extensions[_EXTENSION] = MovingWindowRateLimiter(storage)
    return limiter


def _item():
    return parse(current_app.config["LOGIN_FAILURE_LIMIT"])


def _identifiers(login):
    normalized = (login or "").strip().lower()
    digest = hashlib.sha256(normalized.encode()).hexdigest()[:32]
    return [("ip", request.remote_addr or "unknown"), ("login", digest)]


def check(login):
    """Refuse with 429 when the IP or the login has used up its failures."""
    limiter, item = _limiter(), _item()
    try:
        for identifiers in _identifiers(login):
            if not limiter.test(item, *identifiers):
                reset_at, _ = limiter.get_window_stats(item, *identifiers)
                raise TooManyFailures(max(1, math.ceil(reset_at - time.time())))
    except StorageError as exc:
        _unavailable(exc)


def record_failure(login):
    limiter, item = _limiter(), _item()
    try:
        for identifiers in _identifiers(login):
            limiter.hit(item, *identifiers)
    except StorageError as exc:
        _unavailable(exc)


def record_success(login):
    limiter, item = _limiter(), _item()
    try:
        limiter.clear(item, *_identifiers(login)[1])
    except StorageError as exc:
        _unavailable(exc)


def reset(app=None):
    """Forget every count (tests, or an operator unblocking after an incident)."""
    _limiter(app).storage.reset()


def _unavailable(exc):
    logger.error("login refused: the rate-limit store is unreachable (%s)", exc)
    raise APIError(
        503,
        "service_unavailable",
        "Login is unavailable right now. Try again shortly.",
        headers={"Retry-After": "5"},
    )
