"""A to-many list of names read in the parent's own row, where the database can.

On MariaDB a page's tags cost a round trip of their own: about a sixth of
the CPU of a detail read, most of it in the driver and SQLAlchemy, not in
the server. `JSON_ARRAYAGG(name ORDER BY name)` in a correlated subquery
hands the same list in the parent's row instead. Only MariaDB (10.5 and
later) orders inside JSON_ARRAYAGG; elsewhere the column compiles to NULL
and the plan keeps its one extra query, so the same plan serves every
database.

The list is JSON text made by the server, which cuts it, silently and still
valid JSON, at the connection's `group_concat_max_len` (1 MB by default). So
every MySQL connection is opened with that limit at its maximum (the
engine's `init_command`, project/__init__.py): a longer list is then bounded
by `max_allowed_packet`, which fails the query loudly instead.
"""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

_MARIADB_ORDERED_ARRAYAGG = (10, 5)
GROUP_CONCAT_MAX_LEN = 1 << 30  # 1 GiB: max_allowed_packet's own maximum


def aggregates(dialect):
    """True when `dialect` reads plucked names in the parent's row (MariaDB 10.5+)."""
    version = getattr(dialect, "server_version_info", None) or ()
    return getattr(dialect, "is_mariadb", False) and tuple(version[:2]) >= (
        _MARIADB_ORDERED_ARRAYAGG
    )


class _WhereAggregating(FunctionElement):
    """Its one clause (a scalar subquery) where `aggregates(dialect)`, else NULL."""

    name = "where_aggregating"
    type = sa.Text()
    inherit_cache = True


@compiles(_WhereAggregating)
def _compile_where_aggregating(element, compiler, **kw):
    if not aggregates(compiler.dialect):
        return "NULL"
    (subquery,) = element.clauses.clauses
    return compiler.process(subquery, **kw)


def names_column(prop, column):
    """The names of `prop`'s children (`column`) as one JSON array per parent row, or NULL."""
    parent_column, link_column = prop.synchronize_pairs[0]
    names = sa.func.json_arrayagg(column, type_=sa.Text())
    if prop.order_by:
        names = names.aggregate_order_by(*prop.order_by)  # JSON_ARRAYAGG(name ORDER BY name)
    query = sa.select(names)
    if prop.secondary is not None:
        target_column, secondary_target = prop.secondary_synchronize_pairs[0]
        query = query.select_from(prop.secondary).join(
            prop.mapper.local_table, secondary_target == target_column
        )
    else:
        query = query.select_from(prop.mapper.local_table)
    subquery = (
        query.where(link_column == parent_column).correlate(prop.parent.local_table)
    ).scalar_subquery()
    return _WhereAggregating(subquery)


def can_aggregate(column):
    """Names only: text survives the trip through JSON as it is (an Enum would not)."""
    return isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)
