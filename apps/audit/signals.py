"""The receivers that turn signals into entries; connected once by `AuditConfig.ready`.

Model changes are collected per flush (`batch.info`) and queued in the
session when `model_changes_flushed` arrives; the transaction's commit appends
everything queued at once (`writer.before_commit`): one lock, one multi-row
INSERT per transaction. Authentication events follow the rule of `recording.record`:
failures on their own (they must stay although the request fails), the rest
with the session's changes when it has any, else on their own.
"""

from project import signals
from project.db import app_label_of
from project.model_events import model_changes_flushed

from . import pending
from .context import Actor
from .writer import (
    enabled,
    has_queued,
    holds_locks,
    new_entry,
    with_context,
    write_alone,
    write_with,
)

_BATCH_KEY = "audit"
_connected = False


def object_type_of(model):
    """`apps.articles.models.Article` -> "articles.Article"."""
    return f"{app_label_of(model.__module__)}.{model.__name__}"


def _model_receiver(action):
    def receive(sender, *, changes, object_id, object_repr, batch, bulk=False, **_):
        if not enabled():
            return
        extra = {"bulk": True} if bulk else None
        entry = new_entry(
            action,
            actor=Actor(),
            meta={},
            object_type=object_type_of(sender),
            object_id=object_id,
            object_repr=object_repr,
            changes=changes,
            extra=extra,
        )
        batch.info.setdefault(_BATCH_KEY, []).append(entry)

    receive.__name__ = f"audit_{action}"
    return receive


def on_changes_flushed(session, *, batch, **_):
    """Queue the flush's entries (and any decorated action waiting for it) in its transaction."""
    if not enabled():
        return
    entries = with_context(batch.info.pop(_BATCH_KEY, []))
    waiting = pending.take()
    write_with(session, [p.entry() for p in waiting] + entries, actions=waiting)


def _user_target(user):
    if user is None:
        return {}
    return {
        "object_type": object_type_of(type(user)),
        "object_id": getattr(user, "id", None),
        "object_repr": str(user)[:200],
    }


def record_event(action, *, outcome="success", actor=None, meta=None, extra=None, **target):
    """Write an event under the rule of `recording.record`."""
    from project.extensions import db

    entry = new_entry(action, outcome=outcome, actor=actor, meta=meta, extra=extra, **target)
    session = db.session()
    if outcome != "success" or not _has_changes(session):
        return write_alone([entry])
    write_with(session, [entry])
    return None


def _has_changes(session):
    return bool(session.new or session.dirty or session.deleted) or (
        session.in_transaction() and (holds_locks(session) or has_queued(session))
    )


def on_logged_in(sender, *, user, meta=None, method=None, **_):
    if enabled():
        extra = {"method": method} if method else None
        record_event("login", actor=Actor.of(user), meta=meta, extra=extra, **_user_target(user))


def on_login_failed(sender, *, login=None, reason=None, meta=None, **_):
    if enabled():
        extra = {"login": (login or "")[:150], "reason": reason}
        record_event("login_failed", outcome="failure", actor=Actor(), meta=meta, extra=extra)


def on_logged_out(sender, *, user, meta=None, scope=None, **_):
    if enabled():
        extra = {"scope": scope} if scope else None
        record_event("logout", actor=Actor.of(user), meta=meta, extra=extra, **_user_target(user))


def on_permission_denied(
    sender, *, user=None, permission=None, view=None, obj=None, meta=None, **_
):
    if not enabled():
        return
    target = {}
    if obj is not None:
        from project.model_events.changes import object_id_of, repr_of

        object_id = object_id_of(obj) if hasattr(type(obj), "__mapper__") else None
        target = {
            "object_type": object_type_of(type(obj)),
            "object_id": object_id,
            "object_repr": repr_of(obj, object_id),
        }
    record_event(
        "permission_denied",
        outcome="failure",
        actor=Actor.of(user),
        meta=meta,
        extra={"permission": permission, "view": view},
        **target,
    )


def _user_event(action):
    def receive(sender, *, user=None, meta=None, **_):
        if enabled():
            record_event(action, meta=meta, **_user_target(user))

    receive.__name__ = f"audit_{action}"
    return receive


def on_password_reset_requested(sender, *, email=None, user=None, meta=None, **_):
    if enabled():
        extra = {"email": (email or "")[:254]}
        record_event("password_reset_requested", meta=meta, extra=extra, **_user_target(user))


def connect():
    """Connect every receiver (once per process; each checks that its app has audit)."""
    global _connected
    if _connected:
        return
    pairs = [
        (signals.model_created, _model_receiver("create")),
        (signals.model_updated, _model_receiver("update")),
        (signals.model_deleted, _model_receiver("delete")),
        (model_changes_flushed, on_changes_flushed),
        (signals.user_logged_in, on_logged_in),
        (signals.user_login_failed, on_login_failed),
        (signals.user_logged_out, on_logged_out),
        (signals.permission_denied, on_permission_denied),
        (signals.password_changed, _user_event("password_changed")),
        (signals.user_registered, _user_event("register")),
        (signals.user_activated, _user_event("activate")),
        (signals.password_reset_requested, on_password_reset_requested),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, weak=False)
    _connected = True
