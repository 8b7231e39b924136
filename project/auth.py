"""Who is making the request: the protocol between the core and an accounts app.

The core never imports an accounts app. Settings list authentication backends
by dotted path (AUTHENTICATION_BACKENDS); each is a callable
`backend(request) -> user | None` that may raise `AuthenticationFailed` for
credentials that are present but wrong. The first user returned wins, and is
cached on `g` for the rest of the request. No backend: anonymous (None).

A user object needs: `id`, `is_active`, `is_staff`, `is_superuser` and
`has_perm(codename) -> bool` (codenames as Django's: `articles.change_article`).

Outside a request (jobs, commands) there are no credentials to read: the
USER_LOADER setting names a callable `load(user_id) -> user | None` through
which `load_user()` finds the user a job runs for.
"""

from flask import current_app, g, request
from werkzeug.utils import import_string

from .errors import APIError
from .exceptions import ImproperlyConfigured

_UNSET = object()


class AuthenticationFailed(APIError):
    """401 with `WWW-Authenticate: Bearer`: credentials missing, malformed, unknown or expired."""

    def __init__(
        self, code="not_authenticated", message="Authentication credentials were not provided."
    ):
        super().__init__(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def load_backends(app):
    """Import AUTHENTICATION_BACKENDS once per app; a clear error names a bad entry."""
    backends = []
    for path in app.config.get("AUTHENTICATION_BACKENDS", []):
        try:
            backends.append(import_string(path))
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"AUTHENTICATION_BACKENDS entry {path!r} cannot be imported: {exc}. "
                f"Fix or remove it in your settings."
            ) from exc
    app.extensions["auth_backends"] = backends


def current_user():
    """The authenticated user of this request, or None for an anonymous one.

    Backends run at most once per request, on first use, so endpoints that
    never ask pay nothing for authentication.
    """
    user = g.get("user", _UNSET)
    if user is _UNSET:
        user = None
        for backend in current_app.extensions.get("auth_backends", ()):
            user = backend(request)
            if user is not None:
                break
        set_current_user(user)
    return user


def load_user(user_id):
    """The user with this id through USER_LOADER, or None (no loader, no id, no such user)."""
    path = current_app.config.get("USER_LOADER")
    if user_id is None or not path:
        return None
    return import_string(path)(user_id)


def is_api_request():
    """True for paths under API_PREFIX: bearer tokens only there, never the session cookie."""
    prefix = current_app.config["API_PREFIX"]
    return request.path == prefix or request.path.startswith(prefix + "/")


def set_current_user(user):
    """Make `user` the request's user (after a login, or from a backend)."""
    g.user = user
    g.user_id = getattr(user, "id", None)
