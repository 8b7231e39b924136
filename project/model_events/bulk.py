"""Bulk statements: `session.execute(update(...) / delete(...) / insert(...))`.

They skip the unit of work, so no flush event sees them. While anyone listens
to the model signals, such a statement on a model's table, or on a
many-to-many link table, is recorded row by row:

- UPDATE / DELETE ... WHERE: the matching rows are read first (FOR UPDATE, so
  they cannot change in between), the statement runs, updated rows are read
  again by primary key; a DELETE also follows the database's ON DELETE rules;
- INSERT of values: each row as given, with its key when the database says it;
- link-table rows: the owners' collections before and after.

What cannot be recorded faithfully (INSERT ... SELECT, upserts, an UPDATE that
reads other tables or changes a primary key, Core executemany UPDATE/DELETE) is
refused with `UnrecordableStatement` before it runs. Raw SQL on a connection
(`text()`, `connection.execute`) and the legacy `Session.bulk_*` methods are
not seen at all.
"""

import sqlalchemy as sa
from sqlalchemy.sql.elements import BindParameter

from .cascades import collection_labels_many, row_change, rows_changes
from .changes import Change, identity_text, policy_for

_INTERNAL = {"model_events_internal": True}
_CHUNK = 500


class UnrecordableStatement(Exception):
    """A bulk statement on an audited table that the model signals could not describe."""


def run(orm_state, targets):
    """Run the statement; return (result, [Change]). None when it is not ours to record."""
    statement = orm_state.statement
    target = targets.get(_table_name(statement.table))
    if target is None:
        return None
    kind, what = target
    if kind == "model":
        if not policy_for(what.class_).audited:
            return None
        return _run_on_model(orm_state, what)
    return _run_on_links(orm_state, what)


def _table_name(table):
    return getattr(table, "fullname", None) or getattr(table, "name", None)


def _refuse(statement, reason):
    raise UnrecordableStatement(
        f"This bulk statement on {_table_name(statement.table)!r} cannot be recorded for the model "
        f"signals (the audit log): {reason}. Change the rows through the ORM, or with "
        f"update()/delete() ... where(...) on that table alone."
    )


def _rows_given(orm_state, mapper):
    """The rows an INSERT carries, as {column key: value}."""
    statement = orm_state.statement
    if statement.select is not None:
        _refuse(statement, "INSERT ... SELECT does not say which rows it adds")
    if getattr(statement, "_post_values_clause", None) is not None:
        _refuse(statement, "an upsert may update rows instead of inserting them")
    if getattr(statement, "_multi_values", ()):
        _refuse(statement, "multi-row values() is not supported; pass a list of parameters")
    fixed = {}
    for key, value in (statement._values or {}).items():
        if not isinstance(value, BindParameter):
            _refuse(statement, f"the value of {key} is a SQL expression")
        fixed[_column_key(mapper, key)] = value.value
    params = orm_state.parameters
    if isinstance(params, dict):
        params = [params]
    rows = [dict(fixed, **{_column_key(mapper, k): v for k, v in p.items()}) for p in params or []]
    return rows or [fixed]


def _column_key(mapper, key):
    key = getattr(key, "key", key)
    if mapper is not None and key in mapper.attrs:
        prop = mapper.attrs[key]
        if isinstance(prop, sa.orm.ColumnProperty):
            return prop.columns[0].key
    return key


def _where(orm_state, table, mapper):
    """The rows an UPDATE/DELETE touches, as a WHERE clause on `table` alone."""
    statement = orm_state.statement
    if orm_state.is_executemany:
        if mapper is None:
            _refuse(statement, "executemany UPDATE/DELETE on a link table")
        keys = [prop.key for prop in (mapper.get_property_by_column(c) for c in mapper.primary_key)]
        params = orm_state.parameters
        if not all(all(k in p for k in keys) for p in params):
            _refuse(statement, "an executemany UPDATE/DELETE must give each row's primary key")
        ids = [tuple(p[k] for k in keys) for p in params]
        return _in_keys(mapper, ids)
    whereclause = statement.whereclause
    if whereclause is None:
        return sa.true()
    others = {_table_name(t) for t in sa.sql.util.find_tables(whereclause, check_columns=True)} - {
        _table_name(table)
    }
    if others:
        _refuse(statement, f"its WHERE reads other tables ({', '.join(sorted(others))})")
    return whereclause


def _in_keys(mapper, ids):
    columns = list(mapper.primary_key)
    if len(columns) == 1:
        return columns[0].in_([i[0] for i in ids])
    return sa.tuple_(*columns).in_(ids)


def _select_rows(session, table, where, lock=False):
    query = sa.select(table).where(where)
    if lock:
        query = query.with_for_update()
    return [dict(r) for r in session.execute(query, execution_options=_INTERNAL).mappings()]


def _key_of(mapper, row):
    return tuple(row[c.key] for c in mapper.primary_key)


def _run_on_model(orm_state, mapper):
    session = orm_state.session
    statement = orm_state.statement
    table = mapper.local_table
    if orm_state.is_insert:
        rows = _rows_given(orm_state, mapper)
        result = _invoke(orm_state)
        if len(rows) == 1 and not orm_state.is_executemany:
            inserted = getattr(result, "inserted_primary_key", None)
            if inserted is not None:
                rows[0].update(
                    {c.key: v for c, v in zip(mapper.primary_key, inserted, strict=False)}
                )
        return result, [row_change(mapper, "create", row) for row in rows]
    where = _where(orm_state, table, mapper)
    before = _select_rows(session, table, where, lock=True)
    if orm_state.is_delete:
        cascades = rows_changes(session, [(mapper, row) for row in before])
        result = _invoke(orm_state)
        return result, [row_change(mapper, "delete", row) for row in before] + cascades
    if not orm_state.is_executemany:
        changed = {_column_key(mapper, k) for k in statement._values or {}}
        if changed & {c.key for c in mapper.primary_key}:
            _refuse(statement, "it changes a primary key")
    result = _invoke(orm_state)
    ids = [_key_of(mapper, row) for row in before]
    after = {}
    for start in range(0, len(ids), _CHUNK):
        for row in _select_rows(session, table, _in_keys(mapper, ids[start : start + _CHUNK])):
            after[_key_of(mapper, row)] = row
    changes = [
        row_change(mapper, "update", row, new_values=after.get(_key_of(mapper, row), row))
        for row in before
    ]
    return result, changes


def _run_on_links(orm_state, relationships):
    """Rows of a many-to-many link table: each owner's collection before and after."""
    session = orm_state.session
    statement = orm_state.statement
    owners = {}
    for relationship in relationships:
        links = [s for _, s in relationship.synchronize_pairs]
        if orm_state.is_insert:
            rows = _rows_given(orm_state, None)
            if not all(all(s.key in row for s in links) for row in rows):
                _refuse(statement, "each link row must name its owner")
            found = [tuple(row[s.key] for s in links) for row in rows]
        else:
            where = _where(orm_state, relationship.secondary, None)
            query = sa.select(*links).where(where).distinct().with_for_update()
            found = [tuple(r) for r in session.execute(query, execution_options=_INTERNAL)]
        keys = list(dict.fromkeys(found))
        owners[relationship] = (keys, collection_labels_many(session, relationship, keys))
    result = _invoke(orm_state)
    changes = []
    for relationship, (keys, before) in owners.items():
        after = collection_labels_many(session, relationship, keys)
        owner = relationship.parent
        for key in keys:
            if before[key] == after[key]:
                continue
            object_id = identity_text(list(key))
            changes.append(
                Change(
                    owner.class_,
                    "update",
                    object_id,
                    f"{owner.class_.__name__} {object_id}",
                    {relationship.key: [before[key], after[key]]},
                    bulk=True,
                )
            )
    return result, changes


def _invoke(orm_state):
    result = orm_state.invoke_statement()
    if getattr(result, "returns_rows", False):  # rows to read later: buffer them first
        return result.freeze()()
    return result


def targets_of(registry):
    """{table name: ("model", mapper) | ("links", [relationship, ...])} for a registry."""
    targets = {}
    for mapper in registry.mappers:
        targets[_table_name(mapper.local_table)] = ("model", mapper)
    for mapper in registry.mappers:
        for relationship in mapper.relationships:
            if relationship.secondary is None or relationship.viewonly:
                continue
            name = _table_name(relationship.secondary)
            kind, found = targets.setdefault(name, ("links", []))
            if kind == "links" and relationship not in found:
                found.append(relationship)
    return targets
