"""The accounts JSON API: registration, activation, tokens and self-service.

    POST  /api/accounts/register                {email, username, password} -> 201
    POST  /api/accounts/activate                {token} -> 200
    POST  /api/accounts/login                   {login, password} -> {token, expires_at, user}
    POST  /api/accounts/logout                  -> 204, this token revoked
    POST  /api/accounts/logout-all              -> 204, every token of the user revoked
    GET   /api/accounts/me                      PATCH {username}
    POST  /api/accounts/password/change         {old_password, new_password} -> 204
    POST  /api/accounts/password/reset          {email} -> 202 whether or not it exists
    POST  /api/accounts/password/reset/confirm  {token, new_password} -> 204

Events are sent before the commit of the change they describe, so a receiver
(the audit log) writes in the same transaction.

Registration queues the activation mail *inside* its transaction: if the
queue cannot take the job, nothing is committed and the client gets a 503;
if the job runs before the commit is visible, it is retried with backoff.
"""

import logging

import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError

from project.auth import AuthenticationFailed, current_user, set_current_user
from project.errors import APIError, ValidationError
from project.extensions import db
from project.jobs import QueueUnavailable
from project.models import utcnow
from project.rest import json_response, marshal_with, use_schema
from project.rest.openapi import responds
from project.signals import (
    password_changed,
    password_reset_requested,
    send_event,
    user_activated,
    user_logged_in,
    user_logged_out,
    user_registered,
)

from .. import api, onetime, ratelimit
from ..emails import send_activation_email, send_password_reset_email
from ..models import Token, User
from ..passwords import check_password, validate_password
from ..schemas import (
    DetailSchema,
    LoginResultSchema,
    LoginSchema,
    PasswordChangeSchema,
    PasswordResetConfirmSchema,
    PasswordResetSchema,
    ProfileUpdateSchema,
    RegisterSchema,
    TokenSchema,
    UserSchema,
)
from ..services import (
    InvalidCredentials,
    authenticate,
    create_token,
    create_user,
    revoke_tokens,
    set_password,
)

logger = logging.getLogger("apps.accounts.views")

TAKEN = {
    "email": "A user with this e-mail address already exists.",
    "username": "A user with this username already exists.",
}


def require_user():
    """The authenticated user, else 401 with WWW-Authenticate."""
    user = current_user()
    if user is None:
        raise AuthenticationFailed()
    return user


def invalid_token():
    return APIError(400, "invalid_token", "This token is invalid, expired or already used.")


def taken(**values):
    """409 naming each field whose value another user already has (case-insensitively)."""
    fields = {}
    for name, value in values.items():
        column = getattr(User, name)
        if db.session.scalar(sa.select(User.id).where(column == value).limit(1)) is not None:
            fields[name] = [TAKEN[name]]
    return fields


def conflict(fields):
    return APIError(409, "conflict", "That account already exists.", fields=fields)


def no_content():
    return json_response(None, 204)


@api.post("/register")
@responds(409)
@use_schema(RegisterSchema)
@marshal_with(UserSchema, code=201)
def register(data):
    email, username = data["email"].strip().lower(), data["username"]
    problems = validate_password(data["password"], username, email)
    if problems:
        raise ValidationError({"password": problems})
    fields = taken(email=email, username=username)
    if fields:
        raise conflict(fields)
    try:
        user = create_user(email, username, data["password"], commit=False)
        send_event(user_registered, User, user=user)
        send_activation_email.delay(user.id)
        db.session.commit()
    except IntegrityError:
        # Another registration took the e-mail or username since our check:
        # the unique index refused this one.
        db.session.rollback()
        logger.info("registration refused by a unique index (a concurrent registration won)")
        raise conflict(taken(email=email, username=username) or {"email": [TAKEN["email"]]})
    except QueueUnavailable:
        db.session.rollback()
        raise APIError(
            503,
            "service_unavailable",
            "Registration is unavailable right now; nothing was saved. Try again shortly.",
            headers={"Retry-After": "30"},
        )
    return user, 201


@api.post("/activate")
@use_schema(TokenSchema)
@marshal_with(UserSchema)
def activate(data):
    try:
        user = onetime.consume("activate", data["token"])
    except onetime.InvalidToken:
        raise invalid_token()
    if not user.is_active:
        user.is_active = True
        send_event(user_activated, User, user=user)
    db.session.commit()
    return user


@api.post("/login")
@responds(429)
@use_schema(LoginSchema)
@marshal_with(LoginResultSchema)
def login(data):
    try:
        user = authenticate(data["login"], data["password"])
    except InvalidCredentials:
        raise AuthenticationFailed(
            "invalid_credentials", "Unable to log in with the provided credentials."
        )
    raw, token = create_token(user)
    user.last_login = utcnow()
    set_current_user(user)
    send_event(user_logged_in, User, user=user, method="token")
    db.session.commit()
    return {"token": raw, "expires_at": token.expires_at, "user": user}


@api.post("/logout")
def logout():
    user = require_user()
    token_id = g.get("auth_token_id")
    if token_id is not None:
        db.session.execute(sa.delete(Token).where(Token.id == token_id))
    send_event(user_logged_out, User, user=user, scope="token")
    db.session.commit()
    return no_content()


@api.post("/logout-all")
def logout_all():
    user = require_user()
    revoke_tokens(user, commit=False)
    send_event(user_logged_out, User, user=user, scope="all")
    db.session.commit()
    return no_content()


@api.get("/me")
@marshal_with(UserSchema)
def me():
    return require_user()


@api.patch("/me")
@responds(409)
@use_schema(ProfileUpdateSchema)
@marshal_with(UserSchema)
def update_me(data):
    user = require_user()
    username = data["username"]
    if username.lower() != user.username.lower():
        fields = taken(username=username)
        if fields:
            raise conflict(fields)
    user.username = username
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict({"username": [TAKEN["username"]]})
    return user


@api.post("/password/change")
@responds(204, 429)
@use_schema(PasswordChangeSchema)
def change_password(data):
    """Needs the old password (failures count as failed logins); other tokens are revoked."""
    user = require_user()
    ratelimit.check(user.username)
    if not check_password(user, data["old_password"]):
        ratelimit.record_failure(user.username)
        raise ValidationError({"old_password": ["The password is not correct."]})
    problems = validate_password(data["new_password"], user.username, user.email)
    if problems:
        raise ValidationError({"new_password": problems})
    set_password(user, data["new_password"])
    revoke_tokens(user, keep_id=g.get("auth_token_id"), commit=False)
    send_event(password_changed, User, user=user)
    db.session.commit()
    return no_content()


@api.post("/password/reset")
@use_schema(PasswordResetSchema)
@marshal_with(DetailSchema, code=202)
def request_password_reset(data):
    """202 whatever the address: the answer never tells whether an account exists."""
    email = data["email"].strip().lower()
    user = db.session.scalars(sa.select(User).where(User.email == email)).first()
    send_event(password_reset_requested, User, email=email, user=user)
    db.session.commit()
    if user is not None and user.is_active:
        try:
            send_password_reset_email.delay(user.id)
        except QueueUnavailable:
            logger.error("password reset mail for user %s not queued", user.id)
    return {"detail": "If an active account uses this address, a reset link is on its way."}, 202


@api.post("/password/reset/confirm")
@responds(204)
@use_schema(PasswordResetConfirmSchema)
def confirm_password_reset(data):
    """Sets the new password, revokes every token; the token is used only if all is well."""
    try:
        user = onetime.peek("reset", data["token"])
    except onetime.InvalidToken:
        raise invalid_token()
    problems = validate_password(data["new_password"], user.username, user.email)
    if problems:
        raise ValidationError({"new_password": problems})
    try:
        onetime.consume("reset", data["token"])
    except onetime.InvalidToken:
        raise invalid_token()
    set_password(user, data["new_password"])
    revoke_tokens(user, commit=False)
    send_event(password_changed, User, user=user)
    db.session.commit()
    return no_content()
