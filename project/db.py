"""The declarative base, column types and the model mixin every app uses.

Why these choices:
- A naming convention on the metadata gives every constraint a name, so that
  Alembic's batch mode on SQLite can drop it and MySQL and SQLite agree.
- Table names follow Django: `<app_label>_<model>` (`articles_article`), with
  the app label taken from the module, so two apps can each have a `Tag`.
- Timestamps are stored as naive UTC with microseconds (DATETIME(6) on MySQL,
  which otherwise drops them) and handed back as aware UTC datetimes.
"""

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    declared_attr,
    make_transient_to_detached,
    mapped_column,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def utcnow():
    """The current time, aware, in UTC. A callable: pass it, never call it, as a default."""
    return datetime.now(UTC)


def app_label_of(module_name):
    """`apps.articles.models` -> `articles`; `apps.articles` -> `articles`."""
    parts = module_name.split(".")
    if len(parts) > 1 and parts[-1] == "models":
        parts = parts[:-1]
    return parts[-1]


class UTCDateTime(sa.TypeDecorator):
    """A datetime stored as naive UTC and returned as aware UTC."""

    impl = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """What `db.Model` is built on."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    @declared_attr.directive
    def __tablename__(cls):  # noqa: N805 - a declared_attr receives the class
        model = _CAMEL.sub("_", cls.__name__).lower()
        return f"{app_label_of(cls.__module__)}_{model}"


class TimestampMixin:
    """`created_at` / `updated_at`, filled by the ORM and by the database.

    `server_default` covers rows inserted outside the ORM (raw SQL, other
    programs); `onupdate` refreshes `updated_at` on every ORM update.
    """

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        default=utcnow,
        onupdate=utcnow,
        server_default=sa.text("CURRENT_TIMESTAMP"),
        nullable=False,
    )


def column_attributes(model):
    """`([attribute key, ...], [table column, ...])` of every column attribute of `model`.

    What a Core query selects to hand a row to `adopt`.
    """
    attrs = sa.inspect(model).column_attrs
    return [attr.key for attr in attrs], [attr.columns[0] for attr in attrs]


def snapshot(model, values):
    """A transient `model` instance holding `values` (attribute key -> value), built cheaply.

    What `model(**values)` gives, without the constructor's attribute events:
    a stand-in that object permissions and ETags read like the real object.
    It is in no session, so it never flushes; relationships read as empty.
    """
    obj = sa.inspect(model).class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


def adopt(session, model, values):
    """The persistent `model` instance for a row read without the ORM, as if a query had loaded it.

    `values` maps attribute keys to the row's values (every column attribute,
    or the missing ones load on first access). Reading a row through Core and
    adopting it skips the ORM's loading pipeline, which costs more than the
    query on a short request; what comes out is an ordinary persistent object:
    its changes flush, relationships lazy-load. An instance the session
    already holds for that primary key wins, as with a query.
    """
    mapper = sa.inspect(model)
    identity = mapper.identity_key_from_primary_key(
        [values[mapper.get_property_by_column(column).key] for column in mapper.primary_key]
    )
    existing = session.identity_map.get(identity)
    if existing is not None:
        return existing
    obj = snapshot(model, values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def refresh_statistics(connection, tables):
    """Have the database measure `tables` again, for its query planner: after a bulk load.

    InnoDB measures a table in the background once a tenth of it has changed
    since its last measurement, so a table filled in batches can keep figures
    from part-way through the load (an index of 30,000 entries counted as one
    page). With those, MariaDB joined a page's tags through the tag index and
    read every link of every tag: 2.5 ms instead of 0.3. `ANALYZE` is what a
    DBA runs after a load; PostgreSQL's autovacuum is as late. SQLite plans
    without statistics until ANALYZE is first run, so it is left as it is.
    """
    dialect = connection.dialect
    names = ", ".join(dialect.identifier_preparer.format_table(table) for table in tables)
    if not names:
        return
    if dialect.name == "mysql":
        connection.exec_driver_sql(f"ANALYZE TABLE {names}").fetchall()
    elif dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {names}")
