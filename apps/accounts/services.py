"""The accounts app's public functions: what views, commands, other apps and tests call.

    user = create_user("ann@example.com", "ann", "a long passphrase", is_active=True)
    raw = issue_token(user)                      # "Authorization: Bearer <raw>"
    auditors = ensure_group("auditor", ["audit.view_auditentry"])

Functions that write take `commit=True`; a view composing several of them in
one transaction passes `commit=False` and commits once.
"""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from project.extensions import db
from project.models import utcnow
from project.signals import send_event, user_login_failed

from . import ratelimit
from .auth import hash_token
from .models import Group, Token, User
from .passwords import burn_time, check_password, hash_password
from .permissions import permissions_named

__all__ = [
    "InvalidCredentials",
    "authenticate",
    "create_token",
    "create_user",
    "ensure_group",
    "find_by_login",
    "issue_token",
    "purge_expired_tokens",
    "revoke_tokens",
    "set_password",
]


class InvalidCredentials(Exception):
    """Wrong login or password, or an inactive account: deliberately the same."""


def create_user(
    email,
    username,
    password,
    *,
    is_active=False,
    is_staff=False,
    is_superuser=False,
    commit=True,
):
    """A new user with `password` hashed (None: no usable password). No validation here."""
    user = User(
        email=email,
        username=username,
        password_hash=hash_password(password) if password is not None else "",
        is_active=is_active,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    db.session.add(user)
    db.session.flush()
    if commit:
        db.session.commit()
    return user


def set_password(user, raw):
    user.password_hash = hash_password(raw)


def issue_token(user, *, commit=True):
    """A new bearer token for `user`; returns the raw value, which is stored only hashed."""
    raw, _ = create_token(user)
    if commit:
        db.session.commit()
    return raw


def create_token(user):
    """(raw value, Token row) for a new token expiring after TOKEN_TTL_SECONDS; not committed."""
    raw = secrets.token_urlsafe(32)
    ttl = timedelta(seconds=current_app.config["TOKEN_TTL_SECONDS"])
    token = Token(user_id=user.id, key_hash=hash_token(raw), expires_at=utcnow() + ttl)
    db.session.add(token)
    db.session.flush()
    return raw, token


def revoke_tokens(user, *, keep_id=None, commit=True):
    """Delete the user's tokens (all but `keep_id`); returns how many."""
    query = sa.delete(Token).where(Token.user_id == user.id)
    if keep_id is not None:
        query = query.where(Token.id != keep_id)
    count = db.session.execute(query).rowcount
    if commit:
        db.session.commit()
    return count


def purge_expired_tokens():
    """Delete every expired token; returns how many."""
    count = db.session.execute(sa.delete(Token).where(Token.expires_at <= utcnow())).rowcount
    db.session.commit()
    return count


def find_by_login(login):
    """The user whose e-mail (when `login` has an @) or username is `login`, or None."""
    login = (login or "").strip()
    # The username column compares without regard to case; e-mails are stored lower-cased.
    condition = User.email == login.lower() if "@" in login else User.username == login
    return db.session.scalars(sa.select(User).where(condition)).first()


def authenticate(login, password):
    """The active user with these credentials, else InvalidCredentials.

    Unknown login, wrong password and inactive account fail alike and take
    alike long (a dummy hash is verified for an unknown login). Failures are
    counted per IP and per login (429 past the limit) and sent as
    `user_login_failed` with the login tried, never the password.
    """
    ratelimit.check(login)
    user = find_by_login(login)
    if user is None:
        burn_time(password)
        reason = "unknown_login"
    elif not check_password(user, password):
        reason = "wrong_password"
    elif not user.is_active:
        reason = "inactive"
    else:
        ratelimit.record_success(login)
        return user
    ratelimit.record_failure(login)
    send_event(user_login_failed, User, login=login, reason=reason)
    raise InvalidCredentials()


def ensure_group(name, permission_codenames, *, commit=True):
    """The group `name`, created if missing, holding exactly these permissions.

    Permission rows that do not exist yet are created; an unknown codename
    raises LookupError.
    """
    group = db.session.scalars(sa.select(Group).where(Group.name == name)).first()
    if group is None:
        group = Group(name=name)
        db.session.add(group)
    group.permissions = permissions_named(permission_codenames)
    db.session.flush()
    if commit:
        db.session.commit()
    return group
