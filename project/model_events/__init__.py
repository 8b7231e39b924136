"""Model change signals, sent from SQLAlchemy session events for every model.

For each row a flush (or a bulk statement) creates, updates or deletes, the
core sends `model_created`, `model_updated` or `model_deleted` (declared in
`project.signals`) **before commit, inside the transaction**:

    sender   the model class
    instance the ORM object (None for rows of a bulk statement or of a
             database cascade)
    changes  {field: [old, new]}, JSON-safe, the model's policy applied
             (`__audit__`, `__audit_exclude__`, `__audit_mask__`, AUDIT_MASK_FIELDS;
             see `project.model_events.changes`)
    object_id, object_repr, bulk
    session  the session doing the work: a receiver may write in it (or on
             `session.connection()`), atomically with the change
    batch    the `ChangeBatch` of this flush; after the per-row signals,
             `model_changes_flushed` is sent once with `batch=` so receivers can
             write once per flush

A receiver that raises aborts the flush: the transaction must roll back, so
no change is ever kept without what its receivers wrote. The error reaches the
caller as `ChangeNotRecorded`, which the API answers with 503 and the request id.
When nobody listens, none of this work is done.
"""

import logging

import sqlalchemy as sa

from project.direct_flush import ignores_inserts_and_updates
from project.errors import APIError
from project.extensions import db
from project.signals import model_created, model_deleted, model_updated, signals

from . import bulk, flush
from .bulk import UnrecordableStatement
from .changes import MASK, Change, ChangeBatch, policy_for

__all__ = [
    "MASK",
    "Change",
    "ChangeBatch",
    "ChangeNotRecorded",
    "UnrecordableStatement",
    "has_flushed_writes",
    "model_changes_flushed",
    "policy_for",
    "register_model_events",
]

logger = logging.getLogger("project.model_events")

#: Sent once per flush or bulk statement after its per-row signals: sender is
#: the session, `batch=` the ChangeBatch. Inside the transaction, like them.
model_changes_flushed = signals.signal("model-changes-flushed")

_SIGNALS = {"create": model_created, "update": model_updated, "delete": model_deleted}
_WROTE = "model_events.wrote"
_registered = False
_targets = {}


class ChangeNotRecorded(APIError):
    """A receiver of a model signal failed, so the change was rolled back: 503."""

    def __init__(self):
        super().__init__(
            503,
            "service_unavailable",
            "The change could not be recorded, so it was not made. Try again shortly.",
            headers={"Retry-After": "5"},
        )


def register_model_events(app):
    """Hook the session events (once per process) and track old values of every model."""
    global _registered
    if not _registered:
        sa.event.listen(db.session, "before_flush", _before_flush)
        sa.event.listen(db.session, "after_flush", _after_flush)
        sa.event.listen(db.session, "do_orm_execute", _on_orm_execute)
        sa.event.listen(db.session, "after_transaction_end", _after_transaction_end)
        sa.event.listen(sa.orm.Mapper, "mapper_configured", _on_mapper_configured)
        _registered = True
    sa.orm.configure_mappers()
    for mapper in db.Model.registry.mappers:
        flush.track_old_values(mapper)
    _targets.clear()


def has_flushed_writes(session):
    """True while `session`'s transaction holds rows it wrote (and so their locks)."""
    return bool(session.info.get(_WROTE))


def listening():
    return bool(
        model_created.receivers
        or model_updated.receivers
        or model_deleted.receivers
        or model_changes_flushed.receivers
    )


def send(session, changes):
    """Send the signals for `changes`; a receiver's error becomes ChangeNotRecorded."""
    if not changes:
        return
    batch = ChangeBatch(changes)
    try:
        for change in changes:
            _SIGNALS[change.action].send(
                change.model,
                instance=change.instance,
                changes=change.changes,
                object_id=change.object_id,
                object_repr=change.object_repr,
                bulk=change.bulk,
                session=session,
                batch=batch,
            )
        model_changes_flushed.send(session, batch=batch)
    except ChangeNotRecorded:
        raise
    except Exception as exc:
        logger.exception("A model signal receiver failed; the change is rolled back.")
        raise ChangeNotRecorded() from exc


def _on_mapper_configured(mapper, cls):
    flush.track_old_values(mapper)
    _targets.clear()


@ignores_inserts_and_updates  # it snapshots objects about to be deleted, nothing else
def _before_flush(session, flush_context, instances):
    if listening():
        flush.before_flush(session)


def _after_flush(session, flush_context):
    session.info[_WROTE] = True
    if listening():
        send(session, flush.collect(session, flush_context))


def _after_transaction_end(session, transaction):
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def _on_orm_execute(orm_state):
    if not (orm_state.is_update or orm_state.is_delete or orm_state.is_insert):
        return None
    session = orm_state.session
    session.info[_WROTE] = True  # recorded or not, its rows are now locked by this transaction
    if orm_state.execution_options.get("model_events_internal") or not listening():
        return None
    if not _targets:
        _targets.update(bulk.targets_of(db.Model.registry))
    outcome = bulk.run(orm_state, _targets)
    if outcome is None:
        return None
    result, changes = outcome
    try:
        send(session, [c for c in changes if c is not None])
    except ChangeNotRecorded:
        session.rollback()  # the statement ran: nothing of this transaction may be kept
        raise
    return result
