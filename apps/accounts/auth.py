"""Authentication backends for `project.auth` (listed in AUTHENTICATION_BACKENDS)."""

import hashlib

from flask import session

from project.auth import AuthenticationFailed
from project.extensions import db
from project.models import utcnow

from .models import Token, User


def hash_token(raw):
    """Tokens are stored by their SHA-256: a database leak does not leak usable tokens."""
    return hashlib.sha256(raw.encode()).hexdigest()


def bearer_token(request):
    """`Authorization: Bearer <token>` -> the token's active user; wrong tokens are 401."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    raw = raw.strip()
    if not raw or len(raw) > 200 or " " in raw:
        raise AuthenticationFailed("invalid_token", "The bearer token is malformed.")
    row = db.session.execute(
        db.select(Token, User)
        .join(User, Token.user_id == User.id)
        .where(Token.key_hash == hash_token(raw))
    ).first()
    if row is None:
        raise AuthenticationFailed("invalid_token", "The bearer token is not valid.")
    token, user = row
    if token.expires_at <= utcnow():
        raise AuthenticationFailed("token_expired", "The bearer token has expired.")
    if not user.is_active:
        raise AuthenticationFailed("invalid_token", "The bearer token is not valid.")
    return user


def session_user(request):
    """The user logged in through the pages' cookie session, if any."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None
