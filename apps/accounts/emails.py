"""The mails accounts sends, as background jobs: activation and password reset.

Each job makes its one-time token itself, so the raw token exists only in
the mail: not in the request, not in the queue's payload, not in a log.

A job queued inside the transaction that creates the user may start before
that commit is visible: it then fails and RQ retries it with backoff. If the
user never appears (the transaction rolled back), the last attempt gives up
quietly: there is nobody to write to.
"""

import logging

from flask import current_app, render_template

from project.extensions import db
from project.jobs import is_last_attempt, job
from project.mail import send_mail

from . import onetime
from .models import User

logger = logging.getLogger("apps.accounts.emails")


class UserNotVisibleYet(Exception):
    """The user's transaction has not committed yet (or rolled back)."""


def _user(user_id):
    user = db.session.get(User, user_id)
    if user is None and not is_last_attempt():
        raise UserNotVisibleYet(f"user {user_id} is not visible yet; retrying")
    if user is None:
        logger.warning("no user %s after every retry: nothing sent", user_id)
    return user


def _link(path, token):
    # The token rides in the fragment, which browsers never send to a server:
    # it stays out of access logs and Referer headers.
    return f"{current_app.config['SITE_URL'].rstrip('/')}{path}#token={token}"


@job(queue="default", retry=3)
def send_activation_email(user_id):
    user = _user(user_id)
    if user is None or user.is_active:
        return
    token = onetime.issue("activate", user)
    context = {"user": user, "token": token, "link": _link("/accounts/activate", token)}
    send_mail(
        "Activate your account",
        [user.email],
        render_template("accounts/mail/activation.txt", **context),
    )


@job(queue="default", retry=3)
def send_password_reset_email(user_id):
    user = _user(user_id)
    if user is None or not user.is_active:
        return
    token = onetime.issue("reset", user)
    context = {"user": user, "token": token, "link": _link("/accounts/password/reset", token)}
    send_mail(
        "Reset your password",
        [user.email],
        render_template("accounts/mail/password_reset.txt", **context),
    )
