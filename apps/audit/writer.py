"""Where an entry is written: with the change it describes, or on its own.

- `write_with(session, entries)`: in the session's transaction, on its
  connection. Kept if and only if that transaction commits: the rule for
  model changes, so a rolled-back change leaves no entry. The entries wait in
  the session until its outermost transaction commits, and are appended then,
  all at once, just before the COMMIT (`before_commit`). So the chain head is
  locked only for the append and the commit, never while the request goes on
  reading, rendering or flushing more: the shorter that window, the more
  writers the chain lets through. Entries queued inside a savepoint that is
  rolled back are dropped with it.
- `write_alone(entries)`: in a transaction of its own, committed at once. For
  what must stay although the request fails (a failed login, a refused
  access). If the request's session holds write locks at that moment (it has
  flushed rows, or appended to the chain), a second connection would wait on
  them (on SQLite for the whole database), so the entries are written as soon
  as that session's transaction ends, whichever way it ends.
"""

import logging

from flask import current_app

from project.extensions import db
from project.model_events import ChangeNotRecorded, has_flushed_writes
from project.signals import request_meta

from . import chain, indexing, pending
from .context import current_actor

logger = logging.getLogger("apps.audit")

_LOCKED = "audit.locked"
_DEFERRED = "audit.deferred"
_QUEUED = "audit.queued"
_COMMITTING = "audit.committing"

FIELDS = chain.CONTENT_FIELDS


def enabled():
    """True when the current app has the audit app installed."""
    return "audit" in current_app.extensions


def new_entry(
    action,
    *,
    outcome="success",
    actor=None,
    meta=None,
    object_type=None,
    object_id=None,
    object_repr=None,
    changes=None,
    extra=None,
):
    """An entry ready for `chain.append`; actor and request data default to the current ones."""
    actor = actor if actor is not None else current_actor()
    meta = meta if meta is not None else request_meta()
    return {
        "action": action,
        "outcome": outcome,
        "actor_id": actor.id,
        "actor_username": actor.username,
        "ip": meta.get("ip"),
        "user_agent": meta.get("user_agent"),
        "request_id": meta.get("request_id"),
        "method": meta.get("method"),
        "path": meta.get("path"),
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "object_repr": object_repr,
        "changes": chain.json_text(changes or {}),
        "extra": chain.json_text(extra or {}),
    }


def with_context(entries, actor=None, meta=None):
    """Fill actor and request fields of entries built without them (once per batch)."""
    actor = actor if actor is not None else current_actor()
    meta = meta if meta is not None else request_meta()
    for entry in entries:
        entry["actor_id"] = actor.id
        entry["actor_username"] = actor.username
        for key in ("ip", "user_agent", "request_id", "method", "path"):
            entry[key] = meta.get(key)
    return entries


def write_with(session, entries, actions=()):
    """Append `entries` in `session`'s transaction, when its outermost transaction commits.

    `actions`: the `pending.PendingAction`s whose entries open `entries`; they
    are marked written once appended (or free again if a rollback drops them).
    While the commit is under way (its own flushes run after `before_commit`),
    entries are appended at once.
    """
    if not entries:
        return
    pending.mark_queued(actions)
    if session.info.get(_COMMITTING):
        _append(session, [(entries, actions)])
        return
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_QUEUED, []).append((transaction, entries, actions))


def _append(session, batches):
    """One chain append for [(entries, actions), ...]; each batch's actions marked written.

    A single entry that no action waits on (a plain audited write) takes the
    cheaper `append_one`, which does not hand its row back; except on SQLite,
    where `append_one` is `append` and the row tells whether it completes a
    batch for the indexes (`apps.audit.indexing`).
    """
    new_entries = [e for entries, _ in batches for e in entries]
    session.info[_LOCKED] = True
    connection = session.connection()
    single = len(new_entries) == 1 and not any(actions for _, actions in batches)
    if single and not indexing.applies(connection):
        chain.append_one(connection, new_entries[0])
        return
    rows = _append_and_file(connection, new_entries)
    start = 0
    for entries, actions in batches:
        pending.mark_written(actions, rows[start : start + len(entries)])
        start += len(entries)


def before_commit(session):
    """Session listener: append what the transaction queued, just before its COMMIT."""
    if session.in_nested_transaction():
        return  # a savepoint's release: its entries wait for the outermost commit
    if not session.info.get(_QUEUED) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # the commit's own flush would come after this listener
    queued = session.info.pop(_QUEUED, [])
    session.info[_COMMITTING] = True
    if not queued:
        return
    try:
        _append(session, [(entries, actions) for _, entries, actions in queued])
    except Exception as exc:
        # The commit stops here, so the changes go with their entries (a 503).
        logger.exception("Audit entries could not be appended; the transaction is not committed.")
        raise ChangeNotRecorded() from exc


def after_soft_rollback(session, previous_transaction):
    """Session listener: entries queued inside a rolled-back (sub)transaction go with it."""
    queued = session.info.get(_QUEUED)
    if not queued:
        return
    kept = []
    for item in queued:
        if _inside(item[0], previous_transaction):
            pending.mark_dropped(item[2])
        else:
            kept.append(item)
    session.info[_QUEUED] = kept


def _inside(transaction, ancestor):
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def holds_locks(session):
    return bool(session.info.get(_LOCKED)) or has_flushed_writes(session)


def has_queued(session):
    """True while entries wait in `session` for its transaction to commit."""
    return bool(session.info.get(_QUEUED))


def write_alone(entries):
    """Append in a transaction of its own (after the request's one if that holds locks)."""
    session = db.session()
    if session.in_transaction() and holds_locks(session):
        session.info.setdefault(_DEFERRED, []).extend(entries)
        return None
    return _commit_alone(entries)


def _commit_alone(entries):
    with db.engine.begin() as connection:
        return _append_and_file(connection, entries)


def _append_and_file(connection, entries):
    """`chain.append`; on SQLite, with the batch of entries its append completes filed."""
    rows = chain.append(connection, entries)
    if indexing.completes_batch(rows):
        indexing.catch_up(connection)  # nothing to do but on SQLite
    return rows


def after_transaction_end(session, transaction):
    """Session listener: once the outermost transaction ends, write what waited for it."""
    if transaction.parent is not None:
        return
    session.info.pop(_LOCKED, None)
    session.info.pop(_COMMITTING, None)
    session.info.pop(_QUEUED, None)
    deferred = session.info.pop(_DEFERRED, None)
    if not deferred:
        return
    try:
        _commit_alone(deferred)
    except Exception:
        # The request is over; raising here would only hide the entries. Log them whole.
        logger.exception("Audit entries could not be written and are lost: %r", deferred)
