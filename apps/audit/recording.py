"""Custom events for apps: `record()` from a view or a job, `@audited` on a resource method.

    from apps import audit

    audit.record("export_started", target=report, rows=120)

    class ArticlePublish(GenericResource):      # apps/articles/views.py
        @audit.audited("publish")
        def post(self, id): ...

Both do nothing when the audit app is not installed, so an app can use them
and still work without it.

Where `record()` writes:
- outcome "failure": on its own, so it stays although the request fails;
- when the session has changes (pending, or flushed in its open transaction):
  in that transaction, kept only if the changes are;
- otherwise: on its own, at once.
"""

import functools

import sqlalchemy as sa
from flask import current_app

from project.extensions import db
from project.model_events.changes import jsonable, object_id_of, repr_of

# Nothing here imports the audit models at import time: an app may decorate its
# resources with `audited` whether or not the audit app is installed.

SUCCESS = "success"
FAILURE = "failure"


def record(action, target=None, outcome=SUCCESS, **extra):
    """Write the event `action` about `target` (a model instance, or `(Model, id)`).

    `extra` is stored as JSON with the entry. Returns the written row, or None
    when the audit app is not installed or the entry waits for a transaction:
    the session's, to be appended at its commit (`writer.write_with`), or the
    request's, to end first (`writer.write_alone`).
    """
    if outcome not in (SUCCESS, FAILURE):
        raise ValueError(f"outcome must be {SUCCESS!r} or {FAILURE!r}, not {outcome!r}")
    if not enabled():
        return None
    from .signals import record_event

    rows = record_event(action, outcome=outcome, extra=jsonable(extra), **target_fields(target))
    return rows[0] if rows else None


def target_fields(target):
    """object_type / object_id / object_repr of a model instance or a `(Model, id)` pair."""
    from .signals import object_type_of

    if target is None:
        return {}
    if isinstance(target, tuple):
        model, object_id = target
        found = _in_session(model, object_id)
        text = repr_of(found, str(object_id)) if found is not None else None
        return {
            "object_type": object_type_of(model),
            "object_id": str(object_id),
            "object_repr": text or f"{model.__name__} {object_id}",
        }
    object_id = object_id_of(target)
    return {
        "object_type": object_type_of(type(target)),
        "object_id": object_id,
        "object_repr": repr_of(target, object_id),
    }


def _in_session(model, object_id):
    """The object if this request's session already holds it (no query)."""
    try:
        key = sa.orm.util.identity_key(model, object_id)
    except Exception:  # an id of the wrong shape for the model's key
        return None
    return db.session().identity_map.get(key)


def audited(action, target=None, **extra):
    """Record `action` each time the decorated resource method runs.

    The entry joins the transaction of the method's first audited write, so
    it is kept exactly when the change is. A method that writes nothing is
    recorded when it returns; one that raises before its change committed is
    recorded with outcome "failure" (on its own, so that it stays).

    target: None for the resource's `model` and the URL value of its
    `lookup_field`; a callable `target(view, *args, **kwargs)` returning an
    instance or `(Model, id)`; or such a value itself.
    """

    def decorator(method):
        @functools.wraps(method)
        def wrapper(view, *args, **kwargs):
            if not enabled():
                return method(view, *args, **kwargs)

            def fields():
                return target_fields(_resolve(target, view, args, kwargs))

            def build():
                from .writer import new_entry

                return new_entry(action, extra=jsonable(extra), **fields())

            from . import pending

            action_state = pending.PendingAction(build)
            pending.push(action_state)
            try:
                result = method(view, *args, **kwargs)
            except Exception as exc:
                pending.remove(action_state)
                if not action_state.committed():
                    failure = dict(extra, error=type(exc).__name__)
                    record(action, _resolve(target, view, args, kwargs), FAILURE, **failure)
                raise
            pending.remove(action_state)
            if not action_state.committed():
                record(action, _resolve(target, view, args, kwargs), SUCCESS, **extra)
            return result

        wrapper.__audit_action__ = action
        return wrapper

    return decorator


def enabled():
    """True when the current app has the audit app installed."""
    return "audit" in current_app.extensions


def _resolve(target, view, args, kwargs):
    if callable(target) and not isinstance(target, type):
        return target(view, *args, **kwargs)
    if target is not None:
        return target
    model = getattr(view, "model", None)
    lookup = getattr(view, "lookup_field", "id")
    if model is not None and lookup in kwargs:
        return (model, kwargs[lookup])
    return None
