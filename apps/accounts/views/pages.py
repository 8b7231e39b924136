"""Server-rendered pages: the same credentials, in a cookie session.

    /accounts/login            form; POST logs in and redirects to ?next= (same site only)
    /accounts/logout           POST logs out (a GET shows the button)
    /accounts/                 who is logged in
    /accounts/activate         activation link target (token in the URL fragment)
    /accounts/password/reset   reset link target (token in the URL fragment)

Every form carries `csrf_token()`; create_app checks it on every POST outside
the API. The session cookie is HttpOnly and SameSite=Lax, and Secure in
production (settings). The one-time links carry their token in the fragment,
which never reaches a server log; a line of script copies it into the form.
"""

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for

from project.auth import current_user, set_current_user
from project.extensions import db
from project.models import utcnow
from project.signals import (
    password_changed,
    send_event,
    user_activated,
    user_logged_in,
    user_logged_out,
)

from .. import onetime, pages
from ..auth import session_auth_hash
from ..models import User
from ..passwords import validate_password
from ..services import InvalidCredentials, authenticate, revoke_tokens, set_password

MAX_FIELD = 256


def _field(name):
    return (request.form.get(name) or "")[:MAX_FIELD]


def _safe_next(target):
    """`target` if it is a path on this site, else the profile page (no open redirect)."""
    default = url_for("accounts.profile")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


@pages.get("/")
def profile():
    user = current_user()
    if user is None:
        return redirect(url_for("accounts.login", next=request.path))
    return render_template("accounts/profile.html", user=user)


@pages.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("accounts/login.html", next=next_url, error=None)
    login_tried, password = _field("login"), _field("password")
    if not login_tried or not password:
        error = "Enter your username or e-mail address and your password."
        return render_template("accounts/login.html", next=next_url, error=error), 400
    try:
        user = authenticate(login_tried, password)
    except InvalidCredentials:
        error = "Unable to log in with the provided credentials."
        return render_template("accounts/login.html", next=next_url, error=error), 401
    session.clear()
    session["user_id"] = user.id
    session["auth_hash"] = session_auth_hash(user)
    session.permanent = True
    user.last_login = utcnow()
    set_current_user(user)
    send_event(user_logged_in, User, user=user, method="session")
    db.session.commit()
    return redirect(_safe_next(next_url))


@pages.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        return render_template("accounts/logout.html", user=current_user())
    user = current_user()
    if user is not None:
        send_event(user_logged_out, User, user=user, scope="session")
        db.session.commit()
    session.clear()
    return redirect(url_for("accounts.login"))


@pages.route("/activate", methods=["GET", "POST"])
def activate():
    if request.method == "GET":
        return render_template("accounts/activate.html", done=False, error=None)
    try:
        user = onetime.consume("activate", _field("token"))
    except onetime.InvalidToken:
        error = "This activation link is invalid, expired or already used."
        return render_template("accounts/activate.html", done=False, error=error), 400
    if not user.is_active:
        user.is_active = True
        send_event(user_activated, User, user=user)
        db.session.commit()
    return render_template("accounts/activate.html", done=True, error=None)


@pages.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    if request.method == "GET":
        return render_template("accounts/reset.html", done=False, errors=[])
    token, new_password = _field("token"), _field("new_password")
    try:
        user = onetime.peek("reset", token)
    except onetime.InvalidToken:
        errors = ["This reset link is invalid, expired or already used."]
        return render_template("accounts/reset.html", done=False, errors=errors), 400
    errors = validate_password(new_password, user.username, user.email)
    if errors:
        return render_template("accounts/reset.html", done=False, errors=errors), 422
    try:
        onetime.consume("reset", token)
    except onetime.InvalidToken:
        errors = ["This reset link is invalid, expired or already used."]
        return render_template("accounts/reset.html", done=False, errors=errors), 400
    set_password(user, new_password)
    revoke_tokens(user, commit=False)
    send_event(password_changed, User, user=user)
    db.session.commit()
    return render_template("accounts/reset.html", done=True, errors=[])
