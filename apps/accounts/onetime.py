"""One-time tokens for activation and password-reset links, kept in the cache.

A token is `secrets.token_urlsafe(32)`; the cache holds, under the SHA-256
of it, the user id and a fingerprint of the user's password hash, for
ONE_TIME_TOKEN_TTL_SECONDS. Only the mail ever sees the raw value.

`consume()` is atomic across processes: everyone may read the entry, but
only the caller whose `delete` removed it wins (Redis DEL, or dict.pop in
SimpleCache, each report whether they removed anything). A reused, expired
or unknown token, or one issued before the password changed, is refused.

With several processes the cache must be shared (REDIS_URL), or a link made
by one process is unknown to the others.
"""

import hashlib
import secrets

from flask import current_app

from project.extensions import cache, db

from .models import User

PURPOSES = ("activate", "reset")


class InvalidToken(Exception):
    """The token is unknown, expired, already used, or no longer matches its user."""


def _key(purpose, raw):
    assert purpose in PURPOSES, f"unknown one-time token purpose {purpose!r}"
    return f"accounts:{purpose}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _fingerprint(user):
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:16]


def issue(purpose, user):
    """A new raw token for `user`, valid once until the TTL runs out."""
    raw = secrets.token_urlsafe(32)
    timeout = current_app.config["ONE_TIME_TOKEN_TTL_SECONDS"]
    if not cache.set(_key(purpose, raw), f"{user.id}:{_fingerprint(user)}", timeout=timeout):
        raise RuntimeError("the cache refused to store a one-time token")
    return raw


def peek(purpose, raw):
    """The user the token is for, without using it up; InvalidToken if it is not valid."""
    value = cache.get(_key(purpose, raw)) if isinstance(raw, str) else None
    if not isinstance(value, str) or ":" not in value:
        raise InvalidToken()
    user_id, fingerprint = value.split(":", 1)
    user = db.session.get(User, int(user_id))
    if user is None or _fingerprint(user) != fingerprint:
        raise InvalidToken()
    return user


def consume(purpose, raw):
    """Use the token up and return its user; InvalidToken if it is not valid (any more)."""
    user = peek(purpose, raw)
    if not cache.delete(_key(purpose, raw)):
        raise InvalidToken()  # another request used it between our read and our delete
    return user
