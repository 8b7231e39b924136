"""Rows the database changes by itself when a row is deleted (ON DELETE rules).

The ORM never sees these: deleting a user makes MySQL delete the user's tokens
(`ondelete="CASCADE"`), null a `SET NULL` key, or drop many-to-many links that
another model's collection shows. So that no change goes unreported, the rows
such a rule will touch are read before the delete runs (one SELECT per rule
and deleted row; deletes are rare) and reported as bulk changes.
"""

from functools import lru_cache

import sqlalchemy as sa

from .changes import Change, identity_text, masked_value, policy_for, row_repr

_INTERNAL = {"model_events_internal": True}


def cascaded_changes(session, objects):
    """Changes the database will make when `objects` (about to be deleted) go."""
    pending = []
    for obj in objects:
        mapper = sa.inspect(type(obj))
        pending.append((mapper, _column_values(mapper, obj)))
    return rows_changes(session, pending)


def _column_values(mapper, obj):
    state = sa.inspect(obj)
    result = {}
    for prop in mapper.column_attrs:
        for column in prop.columns:
            if column.table is mapper.local_table:
                result[column.key] = state.dict.get(prop.key)
    return result


def rows_changes(session, pending):
    """Follow ON DELETE rules from rows about to be deleted: [(mapper, {column key: value})]."""
    result = []
    links = {}
    visited = {(m.local_table, _pk(m, v)) for m, v in pending}
    while pending:
        mapper, values = pending.pop()
        for rule in _rules(mapper.local_table, mapper.registry):
            kind, target, pairs, ondelete = rule
            condition = sa.and_(*(child == values[parent.key] for child, parent in pairs))
            if kind == "links":
                _collect_links(session, target, condition, mapper, values, links)
                continue
            rows = session.execute(
                sa.select(target.local_table).where(condition), execution_options=_INTERNAL
            )
            for row in rows.mappings():
                child_values = dict(row)
                key = (target.local_table, _pk(target, child_values))
                if key in visited:
                    continue
                visited.add(key)
                if ondelete == "cascade":
                    pending.append((target, child_values))
                    result.append(row_change(target, "delete", child_values))
                else:
                    nulled = {child.key for child, _ in pairs}
                    change = row_change(target, "update", child_values, nulled=nulled)
                    if change is not None:
                        result.append(change)
    result.extend(links.values())
    return [c for c in result if c is not None]


def row_change(mapper, action, values, nulled=(), new_values=None):
    """A Change for a row given by column values (None if the model is not audited)."""
    model = mapper.class_
    policy = policy_for(model)
    if not policy.audited:
        return None
    by_key = _by_attribute(mapper, values)
    object_id = _pk(mapper, values)
    if action == "delete":
        changes = {k: [masked_value(k, by_key.get(k), policy), None] for k in policy.columns}
    elif action == "create":
        changes = {
            k: [None, masked_value(k, by_key[k], policy)] for k in policy.columns if k in by_key
        }
    else:
        after = dict(by_key)
        if new_values is not None:
            after.update(_by_attribute(mapper, new_values))
        shown = after  # an update is shown as it now is, like the ORM's updates
        for column_key in nulled:
            after[mapper.get_property_by_column(mapper.local_table.c[column_key]).key] = None
        changes = {}
        for key in policy.columns:
            old = masked_value(key, by_key.get(key), policy)
            new = masked_value(key, after.get(key), policy)
            if old != new or (key in policy.masked and by_key.get(key) != after.get(key)):
                changes[key] = [old, new]
        if not changes:
            return None
    shown = shown if action == "update" else by_key
    return Change(model, action, object_id, row_repr(model, shown, object_id), changes, bulk=True)


def _by_attribute(mapper, values):
    result = {}
    for column in mapper.local_table.c:
        if column.key in values and mapper.c.contains_column(column):
            result[mapper.get_property_by_column(column).key] = values[column.key]
    return result


def _pk(mapper, values):
    return identity_text([values.get(c.key) for c in mapper.primary_key])


def _collect_links(session, relationship, condition, deleted_mapper, deleted_values, links):
    """A deleted row leaves other objects' many-to-many collections: update those owners."""
    owner = relationship.parent
    secondary = relationship.secondary
    owner_pairs = [(s, p) for p, s in relationship.synchronize_pairs]
    owner_rows = session.execute(
        sa.select(*(s for s, _ in owner_pairs)).select_from(secondary).where(condition).distinct(),
        execution_options=_INTERNAL,
    ).all()
    for row in owner_rows:
        owner_values = {p.key: v for (_, p), v in zip(owner_pairs, row, strict=True)}
        object_id = _pk(owner, owner_values)
        key = (owner.class_, object_id, relationship.key)
        change = links.get(key)
        if change is None:
            before = collection_labels(session, relationship, owner_values)
            change = Change(
                owner.class_,
                "update",
                object_id,
                f"{owner.class_.__name__} {object_id}",
                {relationship.key: [before, list(before)]},
                bulk=True,
            )
            links[key] = change
        removed = _label_from_values(deleted_mapper, deleted_values)
        after = change.changes[relationship.key][1]
        if removed in after:
            after.remove(removed)


def collection_labels(session, relationship, owner_values):
    """Sorted labels of one owner's many-to-many collection, read with Core."""
    key = tuple(owner_values[p.key] for p, _ in relationship.synchronize_pairs)
    return collection_labels_many(session, relationship, [key])[key]


def collection_labels_many(session, relationship, owner_keys, chunk=500):
    """{owner key: sorted labels} for many owners, a query per `chunk` of them.

    An owner key is the tuple of the owner's values for `relationship.synchronize_pairs`.
    """
    target = relationship.mapper
    label = _label_column(target)
    links = [s for _, s in relationship.synchronize_pairs]
    onclause = sa.and_(*(s == t for t, s in relationship.secondary_synchronize_pairs))
    source = relationship.secondary.join(target.local_table, onclause)
    found = {key: [] for key in owner_keys}
    keys = list(found)
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        if len(links) == 1:
            where = links[0].in_([k[0] for k in part])
        else:
            where = sa.tuple_(*links).in_(part)
        query = sa.select(*links, label).select_from(source).where(where)
        for row in session.execute(query, execution_options=_INTERNAL):
            found[tuple(row[: len(links)])].append(row[-1])
    policy = policy_for(relationship.parent.class_)
    for key, names in found.items():
        names = sorted((n if isinstance(n, str) else str(n) for n in names), key=str)
        if relationship.key in policy.masked:
            names = [masked_value(relationship.key, n, policy) for n in names]
        found[key] = names
    return found


def _label_column(mapper):
    prop = mapper.attrs.get(getattr(mapper.class_, "__audit_label__", "name"))
    if isinstance(prop, sa.orm.ColumnProperty):
        return prop.columns[0]
    return mapper.primary_key[0]


def _label_from_values(mapper, values):
    column = _label_column(mapper)
    value = values.get(column.key)
    return value if isinstance(value, str) else str(value)


@lru_cache(maxsize=256)
def _rules(table, registry):
    """What deleting a row of `table` makes the database do, as (kind, target, pairs, ondelete)."""
    rules = []
    for mapper in registry.mappers:
        child = mapper.local_table
        for fk in child.foreign_keys:
            ondelete = (fk.ondelete or "").lower()
            if fk.column.table is table and ondelete in ("cascade", "set null"):
                pairs = [(fk.parent, fk.column)]
                rules.append(("rows", mapper, tuple(pairs), ondelete))
        for relationship in mapper.relationships:
            secondary = relationship.secondary
            if (
                secondary is None
                or relationship.viewonly
                or relationship.mapper.local_table is not table
            ):
                continue
            for fk in secondary.foreign_keys:
                if fk.column.table is table and (fk.ondelete or "").lower() == "cascade":
                    rules.append(("links", relationship, ((fk.parent, fk.column),), "cascade"))
    return tuple(rules)
