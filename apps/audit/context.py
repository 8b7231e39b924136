"""Who is acting and from where: the request, a job, or a command.

In a request the actor is `project.auth.current_user()`, the user the bearer
token (or session) authenticated: it is resolved when the entry is written,
after authentication, never from a middleware that ran before it. The IP is
`request.remote_addr`, which ProxyFix sets from X-Forwarded-For only for the
TRUSTED_PROXY_COUNT proxies the settings trust.

Outside a request the actor is `system`, unless a job or command says who it
acts for: `with acting_as(user): ...`, or the `--as-user` option that
`as_user_option` adds to a click command.
"""

import contextvars
import functools
from contextlib import contextmanager

import click
from flask import g, has_app_context, has_request_context

from project.auth import AuthenticationFailed, current_user

SYSTEM = "system"

_acting_as = contextvars.ContextVar("audit_acting_as", default=None)


class Actor:
    """The (id, username) pair an entry records; both None for an anonymous caller."""

    __slots__ = ("id", "username")

    def __init__(self, id=None, username=None):
        self.id = id
        self.username = username

    @classmethod
    def of(cls, user):
        if user is None:
            return cls()
        return cls(getattr(user, "id", None), getattr(user, "username", None) or str(user))


@contextmanager
def acting_as(user):
    """Entries written inside the block name `user` (or "system") as their actor."""
    actor = Actor(None, SYSTEM) if user in (None, SYSTEM) else Actor.of(user)
    token = _acting_as.set(actor)
    try:
        yield actor
    finally:
        _acting_as.reset(token)


def current_actor():
    """The actor of the code running now: an override, the request's user, else system."""
    override = _acting_as.get()
    if override is not None:
        return override
    if has_request_context():
        try:
            return Actor.of(current_user())
        except AuthenticationFailed:
            return Actor()
    if has_app_context() and g.get("user") is not None:  # a job that set its user
        return Actor.of(g.user)
    return Actor(None, SYSTEM)


def as_user_option(command):
    """Add `--as-user USERNAME` to a click command: its entries name that user."""

    @click.option(
        "--as-user",
        "as_user",
        default=None,
        metavar="USERNAME",
        help="Record this user (not `system`) as the actor in the audit log.",
    )
    @functools.wraps(command)
    def wrapper(*args, as_user=None, **kwargs):
        if as_user is None:
            return command(*args, **kwargs)
        with acting_as(find_user(as_user)):
            return command(*args, **kwargs)

    return wrapper


def find_user(username):
    """The user named `username`; a click error if there is none."""
    from apps.accounts.models import User
    from project.extensions import db

    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"No user is named {username!r}.", param_hint="--as-user")
    return user
