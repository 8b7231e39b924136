"""Changes made through the ORM: what each flush inserted, updated and deleted.

1. `before_flush`: the objects about to be deleted are read while their rows
   still exist (expired attributes and many-to-many collections are loaded),
   and rows the database itself will delete or null through ON DELETE rules
   are looked up (see `cascades`).
2. `after_flush`: the statements have run, in the transaction, not committed.
   New rows have their primary keys; attribute history still holds the old
   values. Every object the unit of work processed becomes a `Change`.

Old values are always known: every column attribute has active history, so
setting an attribute whose value was expired loads the old value first.
"""

import sqlalchemy as sa
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE

from .cascades import cascaded_changes
from .changes import (
    Change,
    jsonable,
    labels,
    masked_value,
    object_id_of,
    policy_for,
    repr_of,
)

_DELETED = "model_events.deleted"


def before_flush(session):
    """Snapshot the objects `session.delete()` was called on, and their database cascades."""
    snapshots = {}
    for obj in list(session.deleted):
        policy = policy_for(type(obj))
        if not policy.audited:
            continue
        state = sa.inspect(obj)
        for key in policy.columns:
            getattr(obj, key)  # loads expired columns while the row exists
        values = {key: state.dict.get(key) for key in policy.columns}
        for key in policy.collections:
            values[key] = labels(getattr(obj, key))
        object_id = object_id_of(obj)
        snapshots[state] = (values, object_id, repr_of(obj, object_id))
    cascades = cascaded_changes(session, [state.obj() for state in snapshots])
    session.info[_DELETED] = (snapshots, cascades)


def collect(session, flush_context):
    """The Changes of the flush that just ran (called from `after_flush`)."""
    snapshots, cascades = session.info.pop(_DELETED, ({}, []))
    result = []
    seen = set()
    for state, (is_delete, list_only) in list(flush_context.states.items()):
        if list_only:
            continue
        obj = state.obj()
        if obj is None:
            continue
        policy = policy_for(type(obj))
        if not policy.audited:
            continue
        if is_delete:
            change = _deleted(obj, state, policy, snapshots.get(state))
        elif state.key is None:
            change = _created(obj, state, policy)
        else:
            change = _updated(obj, state, policy)
        if change is not None:
            seen.add((change.model, change.object_id))
            result.append(change)
    result.extend(c for c in cascades if (c.model, c.object_id) not in seen)
    return result


def _created(obj, state, policy):
    changes = {}
    for key in policy.columns:
        value = state.dict[key] if key in state.dict else getattr(obj, key)
        changes[key] = [None, masked_value(key, value, policy)]
    for key in policy.collections:
        added = state.get_history(key, PASSIVE_NO_INITIALIZE).added
        if added:
            changes[key] = [None, _masked_labels(key, added, policy)]
    object_id = object_id_of(obj)
    return Change(type(obj), "create", object_id, repr_of(obj, object_id), changes, obj)


def _changed_histories(state, keys):
    """(key, history) of each attribute among `keys` that this flush changed.

    An attribute that was set holds its old value in `committed_state` until
    the flush ends; attributes not in it have no history to look at.
    """
    modified = state.committed_state
    for key in keys:
        if key in modified:
            # What `state.attrs[key].history` returns, without building every attribute's state.
            history = state.get_history(key, PASSIVE_NO_INITIALIZE)
            if history.added or history.deleted:
                yield key, history


def _updated(obj, state, policy):
    changes = {}
    for key, history in _changed_histories(state, policy.columns):
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if jsonable(old) == jsonable(new):
            continue
        changes[key] = [masked_value(key, old, policy), masked_value(key, new, policy)]
    for key, history in _changed_histories(state, policy.collections):
        old = _masked_labels(key, [*history.unchanged, *history.deleted], policy)
        new = _masked_labels(key, [*history.unchanged, *history.added], policy)
        if old != new:
            changes[key] = [old, new]
    if not changes:
        return None
    object_id = object_id_of(obj)
    return Change(type(obj), "update", object_id, repr_of(obj, object_id), changes, obj)


def _deleted(obj, state, policy, snapshot):
    if snapshot is None:  # deleted by an ORM cascade during the flush: what was loaded
        object_id = object_id_of(obj)
        values = {key: state.dict.get(key) for key in policy.columns}
        loaded = [k for k in policy.collections if k in state.dict]
        values.update({k: labels(state.dict[k]) for k in loaded})
        snapshot = (values, object_id, repr_of(obj, object_id))
    values, object_id, text = snapshot
    changes = {}
    for key, value in values.items():
        if key in policy.collections:
            changes[key] = [_masked_labels(key, value, policy, already=True), None]
        else:
            changes[key] = [masked_value(key, value, policy), None]
    return Change(type(obj), "delete", object_id, text, changes, obj)


def _masked_labels(key, objects, policy, already=False):
    names = objects if already else labels(objects)
    if key in policy.masked:
        return [masked_value(key, name, policy) for name in names]
    return names


_tracked = set()


def track_old_values(mapper):
    """Give each column attribute of `mapper` active history (once per attribute)."""
    for prop in mapper.column_attrs:
        key = (mapper.class_, prop.key)
        if key in _tracked:
            continue
        sa.event.listen(getattr(mapper.class_, prop.key), "set", _noop, active_history=True)
        _tracked.add(key)


def _noop(target, value, oldvalue, initiator):
    """A listener whose only purpose is `active_history=True`."""
