"""The flush of a single-row write, done with Core statements instead of the unit of work.

An API write usually changes one object: a new article whose author and
tags are already loaded, or an article whose title changed. For that,
SQLAlchemy's unit of work (sorting dependencies, per-mapper action records,
post-fetch bookkeeping) costs more Python time than the INSERT or UPDATE it
issues. `flush(session)` issues the same statements itself:

- one new object: an INSERT of its columns (Core applies the columns'
  defaults), foreign keys copied from its many-to-one objects, then the
  association rows of its many-to-many collections;
- one changed object: an UPDATE of the changed columns (and `onupdate`
  ones) `WHERE` the primary key and, for a versioned mapper, the version read,
  raising `StaleDataError` when no row matched, exactly as the ORM does.

Then it does what a flush does after its statements: session listeners get
`after_flush` with a flush context naming the object (so model signals and
the audit log see what an ordinary flush shows them), the object becomes
persistent with its history committed, and `after_flush_postexec` follows.

Anything else goes through `session.flush()`: several objects, a delete,
a savepoint, related objects that are not yet in the database, an
inheriting or multi-table mapper, mapper-level insert/update listeners, a
`before_flush` listener not known to ignore inserts and updates, values
that are SQL expressions, a collection changed on an existing object. If a
statement or a listener fails, the transaction is rolled back, as a failed
flush does.
"""

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipDirection, scoped_session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.unitofwork import UOWTransaction

_NEUTRAL_BEFORE_FLUSH = set()
_PK_PARAM, _VERSION_PARAM = "direct_flush_pk", "direct_flush_version"
_update_statements = {}
_plain_shapes = {}


def ignores_inserts_and_updates(listener):
    """Mark a `before_flush` listener as doing nothing for new or changed objects.

    Such a listener does not stop `flush` from taking the direct path, which
    does not call it.
    """
    _NEUTRAL_BEFORE_FLUSH.add(listener)
    return listener


def flush(session):
    """Flush `session`: directly when it holds one new or one changed object, else as usual."""
    if isinstance(session, scoped_session):
        session = session()
    write = _single_write(session)
    if write is None:
        session.flush()
        return
    state, run = write
    try:
        with session.no_autoflush:
            unread = run(session.connection(), state)
            flush_context = UOWTransaction(session)
            flush_context.states[state] = (False, False)
            session.dispatch.after_flush(session, flush_context)
            # What the unit of work's last step calls; SQLAlchemy has no public
            # equivalent. It gives the object its identity key and a place in the
            # identity map, commits its history and takes it out of `session.new`.
            # tests/project/test_direct_flush.py checks each of these.
            session._register_persistent({state})
            if unread:
                session.expire(state.obj(), unread)
            session.dispatch.after_flush_postexec(session, flush_context)
    except BaseException:
        session.rollback()
        raise


def _single_write(session):
    """(state, statement runner) when the session's only change can go direct, else None."""
    if session.deleted or session.in_nested_transaction():
        return None
    if any(fn not in _NEUTRAL_BEFORE_FLUSH for fn in session.dispatch.before_flush):
        return None
    new = list(session.new)
    if new:
        if len(new) != 1 or session.dirty:
            return None
        state = sa.inspect(new[0])
        if _plain_mapper(state.mapper) and _insertable(state):
            return state, _insert
        return None
    dirty = list(session.dirty)
    if len(dirty) != 1:
        return None
    state = sa.inspect(dirty[0])
    if _plain_mapper(state.mapper) and _updatable(state):
        return state, _update
    return None


def _plain_mapper(mapper):
    """True for a one-table mapper without insert/update listeners (those can come later)."""
    dispatch = mapper.dispatch
    return _plain_shape(mapper) and not (
        dispatch.before_insert
        or dispatch.after_insert
        or dispatch.before_update
        or dispatch.after_update
    )


def _plain_shape(mapper):
    """One table, one primary key column, every column attribute one of its columns (cached)."""
    plain = _plain_shapes.get(mapper)
    if plain is None:
        table = mapper.local_table
        plain = _plain_shapes[mapper] = (
            mapper.inherits is None
            and mapper.polymorphic_on is None
            and isinstance(table, sa.Table)
            and len(mapper.primary_key) == 1
            and not mapper._delete_orphans
            and all(
                len(attr.columns) == 1 and attr.columns[0].table is table
                for attr in mapper.column_attrs
            )
        )
    return plain


def _persistent(obj):
    state = sa.inspect(obj, raiseerr=False)
    return state is not None and state.key is not None and not state.deleted


def _insertable(state):
    """True when every relationship the new object holds points at rows that exist."""
    values = state.dict
    for prop in state.mapper.relationships:
        if prop.viewonly or prop.key not in values:
            continue
        value = values[prop.key]
        if prop.direction is RelationshipDirection.MANYTOONE:
            if value is None or not _persistent(value) or prop.secondary is not None:
                return False
        elif prop.direction is RelationshipDirection.ONETOMANY:
            if value:
                return False
        elif not all(map(_persistent, value)) or len(set(map(id, value))) != len(value):
            return False
    attrs = state.mapper.column_attrs
    return not any(isinstance(values.get(attr.key), sa.ClauseElement) for attr in attrs)


def _updatable(state):
    """True when only columns of a loaded object changed, to plain values."""
    mapper = state.mapper
    if state.key is None or state.deleted:
        return False
    changed = state.committed_state
    if not changed or any(key not in mapper.column_attrs for key in changed):
        return False
    (pk_column,) = mapper.primary_key
    if mapper._columntoproperty[pk_column].key in changed:
        return False
    version = mapper.version_id_col
    if version is not None and mapper._columntoproperty[version].key not in state.dict:
        return False
    return not any(isinstance(state.dict.get(key), sa.ClauseElement) for key in changed)


def _insert(connection, state):
    mapper, values = state.mapper, state.dict
    table = mapper.local_table
    params = {}
    for attr in mapper.column_attrs:
        if attr.key in values:
            params[attr.columns[0].key] = values[attr.key]
    version = mapper.version_id_col
    if version is not None and mapper.version_id_generator and version.key not in params:
        params[version.key] = mapper.version_id_generator(None)
    secondary_rows = []
    for prop in mapper.relationships:
        if prop.viewonly or prop.key not in values:
            continue
        if prop.direction is RelationshipDirection.MANYTOONE:
            related = values[prop.key]
            for remote, local in prop.synchronize_pairs:
                params[local.key] = _column_value(related, remote)
        elif prop.secondary is not None:
            secondary_rows.append((prop, values[prop.key]))
    result = connection.execute(table.insert(), params)
    inserted = result.last_inserted_params()
    (pk_column,) = mapper.primary_key
    inserted[pk_column.key] = result.inserted_primary_key[0]
    unread = []  # columns the server filled in: loaded when first read, as the ORM does
    for attr in mapper.column_attrs:
        column_key = attr.columns[0].key
        if column_key in inserted:
            values[attr.key] = inserted[column_key]
        else:
            unread.append(attr.key)
    for prop, items in secondary_rows:
        if items:
            connection.execute(prop.secondary.insert(), _association_rows(prop, state, items))
    return unread


def _association_rows(prop, state, items):
    own = {
        secondary.key: _column_value(state.obj(), column)
        for column, secondary in prop.synchronize_pairs
    }
    rows = []
    for item in items:
        row = dict(own)
        for column, secondary in prop.secondary_synchronize_pairs:
            row[secondary.key] = _column_value(item, column)
        rows.append(row)
    return rows


def _column_value(obj, column):
    mapper = sa.inspect(obj).mapper
    return getattr(obj, mapper.get_property_by_column(column).key)


def _update(connection, state):
    mapper, values = state.mapper, state.dict
    committed = state.committed_state
    params = {}
    for key in committed:
        if state.manager[key].impl.is_equal(values[key], committed[key]) is not True:
            params[mapper.column_attrs[key].columns[0].key] = values[key]
    if not params:
        return None  # set back to what it was: no UPDATE, as with the ORM
    params[_PK_PARAM] = state.key[1][0]
    version = mapper.version_id_col
    if version is not None:
        version_key = mapper._columntoproperty[version].key
        old_version = committed.get(version_key, values[version_key])
        params[_VERSION_PARAM] = old_version
        if version.key not in params and mapper.version_id_generator:
            params[version.key] = mapper.version_id_generator(old_version)
    result = connection.execute(_update_statement(mapper), params)
    if connection.dialect.supports_sane_rowcount and result.rowcount != 1:
        raise StaleDataError(
            f"UPDATE statement on table '{mapper.local_table.name}' expected to update 1 row(s); "
            f"{result.rowcount} were matched."
        )
    for column_key, value in result.last_updated_params().items():
        if column_key in mapper.local_table.c:
            values[mapper._columntoproperty[mapper.local_table.c[column_key]].key] = value
    return None


def _update_statement(mapper):
    statement = _update_statements.get(mapper)
    if statement is None:
        table = mapper.local_table
        (pk_column,) = mapper.primary_key
        statement = table.update().where(pk_column == sa.bindparam(_PK_PARAM))
        if mapper.version_id_col is not None:
            statement = statement.where(mapper.version_id_col == sa.bindparam(_VERSION_PARAM))
        _update_statements[mapper] = statement
    return statement
