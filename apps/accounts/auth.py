"""Authentication backends for `project.auth` (listed in AUTHENTICATION_BACKENDS).

- `bearer_token`: `Authorization: Bearer <token>`, for the JSON API.
- `session_user`: the pages' cookie session. It ignores API paths: the API
  authenticates by bearer token only, so a forged cross-site request, which
  carries the cookie but no token, can do nothing there (no CSRF on the API).
"""

import hashlib
import hmac
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, session

from project.auth import AuthenticationFailed, is_api_request
from project.db import adopt
from project.extensions import db
from project.models import utcnow

from .models import Token, User

logger = logging.getLogger("apps.accounts.auth")

MAX_TOKEN_LENGTH = 200


def hash_token(raw):
    """Tokens are stored by their SHA-256: a database leak does not leak usable tokens."""
    return hashlib.sha256(raw.encode()).hexdigest()


# It runs on every authenticated request, so it is built once (SQLAlchemy
# memoizes a statement's cache key on the statement object), and reads plain
# columns: the user is adopted into the session from its row (`adopt`),
# which costs less than the ORM's loading of the same row. Only the columns
# that authenticating, permissions and the audit's actor read are selected
# (PyMySQL parses every result column's description, in Python): the others
# (e-mail, password hash, dates) load on first access, and with the audit
# app on, setting one loads its old value first (active history).
_USER_KEYS = ["id", "username", "is_active", "is_staff", "is_superuser"]
_USER_COLUMNS = [User.__table__.c[key] for key in _USER_KEYS]
_tokens = Token.__table__
_USER_BY_TOKEN = (
    sa.select(*_USER_COLUMNS, _tokens.c.id, _tokens.c.expires_at, _tokens.c.last_used_at)
    .join_from(User.__table__, _tokens, _tokens.c.user_id == User.__table__.c.id)
    .where(_tokens.c.key_hash == sa.bindparam("key_hash"))
)


def bearer_token(request):
    """`Authorization: Bearer <token>` -> the token's active user; wrong tokens are 401."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    raw = raw.strip()
    if not raw or len(raw) > MAX_TOKEN_LENGTH or " " in raw:
        raise AuthenticationFailed("invalid_token", "The bearer token is malformed.")
    connection = db.session.connection()
    row = connection.execute(_USER_BY_TOKEN, {"key_hash": hash_token(raw)}).first()
    if row is None:
        raise AuthenticationFailed("invalid_token", "The bearer token is not valid.")
    *values, token_id, expires_at, last_used_at = row
    now = utcnow()
    if expires_at <= now:
        raise AuthenticationFailed("token_expired", "The bearer token has expired.")
    user = adopt(db.session, User, dict(zip(_USER_KEYS, values, strict=True)))
    if not user.is_active:
        raise AuthenticationFailed("invalid_token", "The bearer token is not valid.")
    g.auth_token_id = token_id
    _touch(token_id, last_used_at, now)
    return user


def _touch(token_id, last_used_at, now):
    """Record the token's use, at most once per TOKEN_TOUCH_SECONDS.

    Written on its own connection and committed at once, so a read does not
    turn the request's session into a writing one, and the conditional UPDATE
    lets only one of several concurrent requests write. It is bookkeeping: a
    failure is logged and the request goes on.
    """
    every = timedelta(seconds=current_app.config["TOKEN_TOUCH_SECONDS"])
    if last_used_at is not None and now - last_used_at < every:
        return
    stale = sa.or_(Token.last_used_at.is_(None), Token.last_used_at < now - every)
    try:
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(Token).where(Token.id == token_id, stale).values(last_used_at=now)
            )
    except sa.exc.OperationalError as exc:
        logger.warning("token %s: last use not recorded (%s)", token_id, exc.orig)


def session_user(request):
    """The user logged in through the pages' cookie session, on page paths only.

    The session holds the user id and a fingerprint of the password hash
    (as Django's session auth hash): changing the password ends every other
    session of that user.
    """
    if is_api_request():
        return None
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(session.get("auth_hash", ""), session_auth_hash(user)):
        session.clear()
        return None
    return user


def session_auth_hash(user):
    """A keyed fingerprint of the password hash, stored in the session at login."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"session:{user.password_hash}".encode(), hashlib.sha256).hexdigest()


def load_user(user_id):
    """USER_LOADER: the active user with this id, for jobs and commands."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None
