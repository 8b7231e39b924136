"""Read plans: what a schema dumps, read as rows in a constant number of queries.

For a model and its output schema, a plan decides once which columns to
select and how to turn each row into the dumped dict:

- scalar fields are columns of the model;
- a `Nested` to-one relationship (the author) is a LEFT OUTER JOIN whose
  columns ride along in the same row (an outer join, so MariaDB pages the base
  table instead of sorting the join; see PITFALLS, performance notes);
- `RelatedCount` is a correlated COUNT subquery in the same row;
- a to-many relationship (`Pluck` or `Nested(many=True)`) is one more query
  for all rows of the page at once (`WHERE parent_id IN (...)`); a `Pluck` of
  names rides in the row instead where the database can (see `aggregate`).

So a page costs at most 1 + (number of to-many fields) statements, whatever its size,
and no ORM object is built. A schema the plan cannot express (Method fields,
deeper nesting, dump hooks) falls back to ORM objects with eager loading
derived from the same nested fields, which is also constant in queries.
"""

import itertools

import orjson
import sqlalchemy as sa
from marshmallow import fields
from sqlalchemy.orm import joinedload, selectinload

from project.db import adopt, column_attributes, snapshot
from project.extensions import db

from .aggregate import aggregates, can_aggregate, names_column
from .dump import _value_expression, dumper_for, has_dump_hooks
from .fields import RelatedCount

_counter = itertools.count()

#: The bound parameter a one-object read adds for its lookup value.
_LOOKUP = "plan_lookup_value"


#: SQLAlchemy re-keys a cached statement's result columns to each new statement
#: object (~0.2 ms for a wide row); its ORM turns that off with this option, and
#: so do we: plans read rows by position only. An unknown option is ignored,
#: so a SQLAlchemy without it is merely slower.
_POSITIONAL_ROWS = {"_result_disable_adapt_to_context": True}


def execute_rows(statement, parameters=None):
    """Run a column query on the session's connection (same transaction).

    `Session.execute` would route it through the ORM's loading layer, which
    costs ~75 us per statement and builds nothing we use: rows are rows.
    """
    return db.session.connection().execute(
        statement, parameters, execution_options=_POSITIONAL_ROWS
    )


class StatementTemplates:
    """Final statements memoized per shape of the entity query they are built from.

    Every request builds a fresh statement (`select(Article).where(...)`), and
    SQLAlchemy then walks the whole final statement (twenty columns, joins,
    subqueries) to find its compiled form again: about as much work as the
    query itself. The entity query is small; its cache key names its shape and
    lists its bound values in a fixed order. So the final statement is built
    once per shape and run again with the new values, matched to the compiled
    parameter names by that order (SQLAlchemy's own cache relies on the same
    order). A shape whose values cannot be matched is simply built every time.
    """

    MAX_SHAPES = 512

    def __init__(self):
        self._entries = {}

    def execute(self, variant, entity_query, build, extra=None):
        """Run `build(entity_query)`; `extra`: values of bind parameters `build` adds by name."""
        key = entity_query._generate_cache_key()
        if key is None:
            return execute_rows(build(entity_query), extra)
        connection = db.session.connection()
        shape = (connection.dialect.name, variant, key.key)
        entry = self._entries.get(shape)
        if entry is None:
            entry = self._entries[shape] = self._template(build(entity_query), key, connection)
            if len(self._entries) > self.MAX_SHAPES:
                self._entries.pop(next(iter(self._entries)))
        final, names = entry
        if final is None:
            return execute_rows(build(entity_query), extra)
        values = {
            name: bind.effective_value for name, bind in zip(names, key.bindparams, strict=True)
        }
        if extra:
            values.update(extra)
        return execute_rows(final, values)

    @staticmethod
    def _template(final, key, connection):
        compiled = final.compile(dialect=connection.dialect)
        names = [compiled.bind_names.get(bind) for bind in key.bindparams]
        if None in names:
            return None, None
        return final, names


class Unplannable(Exception):
    """The schema needs ORM objects; the reason says which field."""


class _ToMany:
    """One extra query: the children of every row of the page, grouped by parent id.

    Each child is dumped by `dump_child(columns)`, or is its one column's value
    when there is none (a `Pluck` field).
    """

    def __init__(self, prop, column_names, dump_child=None):
        columns = [prop.mapper.columns[name] for name in column_names]
        self.key = prop.key
        self.dump_child = dump_child
        #: True when the parent's row carries the values too (`aggregate.names_column`).
        self.aggregated = False
        (_, link_column) = prop.synchronize_pairs[0]
        query = sa.select(link_column, *columns)
        if prop.secondary is not None:
            (target_column, secondary_target) = prop.secondary_synchronize_pairs[0]
            query = query.select_from(prop.secondary).join(
                prop.mapper.local_table, secondary_target == target_column
            )
        # Built once: executing the same statement object lets SQLAlchemy reuse
        # its cache key instead of walking a fresh statement on every request.
        self.statement = query.where(link_column.in_(sa.bindparam("ids", expanding=True))).order_by(
            *(prop.order_by or ())
        )

    def load(self, ids):
        """{parent id: [dumped child, ...]} for the given parent ids; {} when the rows hold them."""
        if not ids or (self.aggregated and aggregates(db.session.get_bind().dialect)):
            return {}
        return self.query(ids)

    @staticmethod
    def children(aggregated, parent_id, loaded):
        """A parent's plucked values: its row's JSON array, else `loaded` (see aggregate)."""
        if aggregated is None:
            return loaded.get(parent_id, [])
        return orjson.loads(aggregated)

    def query(self, ids):
        """{parent id: [dumped child, ...]}: the children of `ids`, read with one query."""
        grouped = {}
        rows = execute_rows(self.statement, {"ids": ids}).all()
        dump = self.dump_child
        if dump is None:
            for parent_id, value in rows:
                grouped.setdefault(parent_id, []).append(value)
        else:
            for row in rows:
                grouped.setdefault(row[0], []).append(dump(row[1:]))
        return grouped


class _RowsChildren:
    """The source of a row's column of plucked children (`aggregate`): relationship `key`."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key


class ReadPlan:
    """How to read rows of `model` as `schema` dumps them. Build once per resource."""

    def __init__(self, model, schema):
        self.model = model
        self.schema = schema
        self.mapper = sa.inspect(model)
        self.columns = []
        #: Per column: the attribute key it reads from the model's own row, or
        #: the attribute keys it depends on (a joined row, a count).
        self.sources = []
        self.joins = []
        self.to_many = []
        self.templates = StatementTemplates()
        self.loader_options = _loader_options(model, schema)
        try:
            if has_dump_hooks(schema):
                raise Unplannable(f"{type(schema).__name__} has pre_dump/post_dump hooks")
            pk = self.mapper.primary_key[0]
            self._pk_index = self._add_column(pk, self.mapper.get_property_by_column(pk).key)
            self.dump_row = self._compile(schema)
            self.reason = None
        except Unplannable as exc:
            self.dump_row = None
            self.reason = str(exc)
        self._plan_one_object()

    def _plan_one_object(self):
        """What a read of one object adds: the model's columns the plan does not select yet.

        The object (a snapshot, or adopted for a write) needs every column
        attribute; most are the plan's own columns already, so only the others
        are selected after them, and each attribute's value is found by index.
        """
        self._extra_columns = []
        self._value_indexes = []
        for key, column in zip(*column_attributes(self.model), strict=True):
            index = self._index_of(column)
            if index is None:
                index = len(self.columns) + len(self._extra_columns)
                self._extra_columns.append(column)
            self._value_indexes.append((key, index))

    @property
    def plannable(self):
        return self.dump_row is not None

    def _add_column(self, column, source):
        """The column's index in the row, selecting it unless it is selected already."""
        index = self._index_of(column)
        if index is not None:
            return index
        self.columns.append(column)
        self.sources.append(source)
        return len(self.columns) - 1

    def _index_of(self, column):
        return next((i for i, selected in enumerate(self.columns) if selected is column), None)

    def _compile(self, schema):
        namespace = {}
        items = []
        for name, field in schema.dump_fields.items():
            key = field.data_key or name
            attr = field.attribute or name
            items.append(f"        {key!r}: {self._expression(field, attr, namespace)},")
        source = "def dump_row(r, many):\n    return {\n" + "\n".join(items) + "\n    }\n"
        exec(compile(source, f"<rows {type(schema).__name__}>", "exec"), namespace)  # noqa: S102
        dump_row = namespace["dump_row"]
        dump_row.source = source
        return dump_row

    def _expression(self, field, attr, namespace):
        field_name = f"_f{next(_counter)}"
        namespace[field_name] = field
        if isinstance(field, (fields.Method, fields.Function)):
            raise Unplannable(f"field {attr!r} is computed in Python")
        if isinstance(field, RelatedCount):
            prop = self._relationship(field.relationship)
            count = _count_subquery(self.model, prop).label(attr)
            return f"r[{self._add_column(count, frozenset([prop.key]))}]"
        if attr in self.mapper.column_attrs:
            index = self._add_column(_column_of(self.mapper, attr), attr)
            return _value(field, field_name, f"r[{index}]", namespace)
        if attr in self.mapper.relationships:
            prop = self.mapper.relationships[attr]
            if isinstance(field, fields.Pluck):
                return self._pluck(field, prop, attr, namespace)
            if type(field) is fields.Nested:
                if prop.uselist:
                    return self._nested_many(field, prop, attr, namespace)
                return self._nested_one(field, prop, attr, namespace)
        raise Unplannable(f"field {attr!r} of {type(self.schema).__name__} is not a column")

    def _relationship(self, name):
        if name not in self.mapper.relationships:
            raise Unplannable(f"{self.model.__name__} has no relationship {name!r}")
        return self.mapper.relationships[name]

    def _nested_one(self, field, prop, attr, namespace):
        target = prop.mapper.local_table.alias(f"{attr}_{next(_counter)}")
        onclause = sa.and_(
            *[target.c[remote.key] == local for local, remote in prop.local_remote_pairs]
        )
        self.joins.append((target, onclause))
        # The joined row is stale once the relationship or its foreign key changes.
        foreign_keys = [local for local, _ in prop.local_remote_pairs]
        depends = frozenset(
            [prop.key, *(self.mapper.get_property_by_column(c).key for c in foreign_keys)]
        )
        presence = self._add_column(target.c[prop.mapper.primary_key[0].key], depends)

        def source(column):
            return f"r[{self._add_column(target.c[column.key], depends)}]"

        items = _nested_items(field.schema, prop.mapper, attr, namespace, source)
        return f"(None if r[{presence}] is None else {{{items}}})"

    def _pluck(self, field, prop, attr, namespace):
        if not prop.uselist or not field.many:
            raise Unplannable(f"{attr!r}: only to-many Pluck fields are planned")
        inner = field.schema.fields[field.field_name]
        name = inner.attribute or field.field_name
        child = _ToMany(prop, [name])
        if not can_aggregate(prop.mapper.columns[name]):
            return self._add_to_many(child)
        child.aggregated = True
        names = names_column(prop, prop.mapper.columns[name]).label(f"{attr}_names")
        index = self._add_column(names, _RowsChildren(prop.key))
        loaded = self._add_to_many(child)
        child_name = f"_many{next(_counter)}"
        namespace[child_name] = child
        return f"{child_name}.children(r[{index}], r[{self._pk_index}], {loaded})"

    def _nested_many(self, field, prop, attr, namespace):
        names = []
        child_namespace = {}

        def source(column):
            names.append(column.key)
            return f"c[{len(names) - 1}]"

        items = _nested_items(field.schema, prop.mapper, attr, child_namespace, source)
        code = f"def dump_child(c):\n    return {{{items}}}\n"
        exec(compile(code, f"<rows {attr}>", "exec"), child_namespace)  # noqa: S102
        return self._add_to_many(_ToMany(prop, names, child_namespace["dump_child"]))

    def _add_to_many(self, child):
        """The generated code for `child`'s values of row `r`: `many[n]` when aggregated."""
        self.to_many.append(child)
        loaded = f"many[{len(self.to_many) - 1}]"
        return loaded if child.aggregated else f"{loaded}.get(r[{self._pk_index}], [])"

    def select(self, query, extra_columns=()):
        """Turn an entity query (`select(Model).where(...)`) into this plan's row query."""
        columns = [*self.columns, *extra_columns]
        query = query.with_only_columns(*columns, maintain_column_froms=False)
        query = query.select_from(self.mapper.local_table)
        for target, onclause in self.joins:
            query = query.outerjoin(target, onclause)
        return query

    def fetch(self, query):
        """Run the plan over `query`; return the dumped dicts in the query's order."""
        rows = self.templates.execute("rows", query, self.select).all()
        return self.dump_rows(rows)

    def fetch_one(self, query, lookup=None):
        """(dumped dict, snapshot) of the first row, or (None, None).

        `lookup`, when given, is `(name, column, value)`: the row of `query`
        whose `column` equals `value` (see `_one_row`). The snapshot is a
        transient instance of the model holding the row's column values:
        object permissions and ETags read it like the real object, without
        the ORM loading it into the session.
        """
        found = self._one_row(query, lookup)
        if found is None:
            return None, None
        row, values = found
        return self.dump_rows([row])[0], snapshot(self.model, values)

    def read_for_write(self, query, lookup=None):
        """The object `query` names, in the session and ready to change, as a `Prior`; or None.

        One read serves both the write and its answer: the plan's row (with
        every column of the model) and its to-many reads, the object adopted
        from that row instead of loaded again by the ORM. `lookup` as for
        `fetch_one`.
        """
        found = self._one_row(query, lookup)
        if found is None:
            return None
        row, values = found
        many = self._load_many([row[self._pk_index]])
        return Prior(self, row, many, adopt(db.session, self.model, values))

    def _one_row(self, query, lookup=None):
        """(row, {attribute: value} of every column attribute) of the first row, or None.

        With a `lookup` `(name, column, value)` the condition on `column` is
        added to the final statement as a bound parameter instead of to
        `query`: a query the resource builds once (`get_query` returning a
        constant) then keeps its memoized cache key, and finding the final
        statement again costs a dictionary lookup per request.
        """
        if lookup is None:
            variant, extra = "one", None
            query = query.limit(1)

            def build(entity):
                return self.select(entity, self._extra_columns)
        else:
            name, column, value = lookup
            variant, extra = ("one", name), {_LOOKUP: value}

            def build(entity):
                entity = entity.where(column == sa.bindparam(_LOOKUP)).limit(1)
                return self.select(entity, self._extra_columns)

        row = self.templates.execute(variant, query, build, extra).first()
        if row is None:
            return None
        return row, {key: row[i] for key, i in self._value_indexes}

    def dump_rows(self, rows):
        if not rows:
            return []
        many = self._load_many([row[self._pk_index] for row in rows])
        dump_row = self.dump_row
        return [dump_row(row, many) for row in rows]

    def _load_many(self, ids):
        """Per to-many field, {parent id: [child, ...]} for the parents `ids`: one query each."""
        return [child.load(ids) for child in self.to_many]

    def load_objects(self, query):
        """ORM objects with eager loading derived from the schema's nested fields.

        Counts ride along as extra columns and are set on each object, where
        `RelatedCount` finds them, so this path is constant in queries too.
        """
        counts = [
            (attr, _count_subquery(self.model, self.mapper.relationships[field.relationship]))
            for attr, field in _related_counts(self.schema)
        ]
        query = query.options(*self.loader_options).add_columns(*(c for _, c in counts))
        objects = []
        for row in db.session.execute(query).unique():
            obj = row[0]
            for (attr, _), value in zip(counts, row[1:], strict=True):
                obj.__dict__[attr] = value
            objects.append(obj)
        return objects

    def fetch_objects(self, query):
        """The fallback for schemas a plan cannot express: ORM objects, compiled dump."""
        dump = dumper_for(self.schema)
        return [dump(obj) for obj in self.load_objects(query)]


class Prior:
    """An object as a plan read it just before a write: the write's answer without a second read.

    After the change (`note_changes`, before the flush forgets it), the answer
    is the plan's row again with the object's own columns taken from the
    object as written (so `updated_at` and the version are the new ones);
    joined rows and counts are reused while the write left their
    relationship and foreign key alone, and the to-many read of a changed
    relationship runs again. When it cannot tell (another object changed too,
    or a joined row or count may be stale), `body_after` answers None and the
    caller reads the object back.
    """

    def __init__(self, plan, row, many, obj):
        self.plan = plan
        self.row = row
        self.many = many
        self.obj = obj
        self.changed = None

    def note_changes(self, session):
        """Record which attributes of the object the write changed; call it before the flush."""
        obj = self.obj
        others = itertools.chain(session.new, session.deleted, session.dirty)
        if any(other is not obj for other in others):
            self.changed = None
        else:
            self.changed = frozenset(sa.inspect(obj).committed_state)

    def body_after(self):
        """The object dumped as written, or None when only a second read can tell."""
        if self.changed is None:
            return None
        plan, obj, changed = self.plan, self.obj, self.changed
        values = list(self.row[: len(plan.columns)])
        for index, source in enumerate(plan.sources):
            if isinstance(source, str):
                values[index] = getattr(obj, source)
            elif isinstance(source, _RowsChildren):
                if source.key in changed:
                    values[index] = None  # read again below, with the other to-many fields
            elif not changed.isdisjoint(source):
                return None
        pk = values[plan._pk_index]
        many = [
            child.query([pk]) if child.key in changed else loaded
            for child, loaded in zip(plan.to_many, self.many, strict=True)
        ]
        return plan.dump_row(values, many)


def _nested_items(schema, mapper, attr, namespace, source):
    """`'key': value, ...` for a nested schema whose every field is a column of `mapper`.

    `source(column)` says where the column's value is in the generated code
    (and selects it); anything else makes the schema unplannable.
    """
    if has_dump_hooks(schema):
        raise Unplannable(f"nested schema of {attr!r} has dump hooks")
    items = []
    for name, inner in schema.dump_fields.items():
        inner_attr = inner.attribute or name
        if inner_attr not in mapper.column_attrs:
            raise Unplannable(f"{attr}.{inner_attr} is not a column")
        field_name = f"_f{next(_counter)}"
        namespace[field_name] = inner
        value = _value(inner, field_name, source(_column_of(mapper, inner_attr)), namespace)
        items.append(f"{(inner.data_key or name)!r}: {value}")
    return ", ".join(items)


def _value(field, field_name, source, namespace):
    return _value_expression(field, field_name, source, namespace) or (
        f"{field_name}._serialize({source}, None, None)"
    )


def _count_subquery(model, prop):
    parent_column, link_column = prop.synchronize_pairs[0]
    source = prop.secondary if prop.secondary is not None else prop.mapper.local_table
    return (
        sa.select(sa.func.count())
        .select_from(source)
        .where(link_column == parent_column)
        .correlate(prop.parent.local_table)
        .scalar_subquery()
    )


def _column_of(mapper, attr):
    """The table column behind a mapped attribute: plain Core, cheaper to build and run."""
    return mapper.column_attrs[attr].columns[0]


def _related_counts(schema):
    return [
        (field.attribute or name, field)
        for name, field in schema.dump_fields.items()
        if isinstance(field, RelatedCount)
    ]


def _loader_options(model, schema):
    """Eager loading for the ORM path: joined for to-one, select-in for to-many."""
    mapper = sa.inspect(model)
    options = []
    for name, field in schema.dump_fields.items():
        attr = field.attribute or name
        if attr not in mapper.relationships or not isinstance(field, fields.Nested):
            continue
        prop = mapper.relationships[attr]
        relationship = getattr(model, attr)
        options.append(selectinload(relationship) if prop.uselist else joinedload(relationship))
    return options
