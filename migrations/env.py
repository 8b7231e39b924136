"""Alembic's environment for `python manage.py db ...` (Flask-Migrate).

- The metadata is flask-sqlalchemy's `db.metadata`. `create_app()` imports
  every installed app's models before this runs, so autogenerate sees them all.
- The options `migrate.init_app()` was given (`render_as_batch` for SQLite's
  limited ALTER TABLE, `compare_type`) are passed to `context.configure`.
- Column types of the project's own (TypeDecorators such as `UTCDateTime`) are
  written as the database types they store, e.g.
  `sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')`, so a
  script imports nothing from `project/` and runs on SQLite and MySQL alike,
  even after the Python class has moved or changed.
- Logging is left as the project configured it (no `fileConfig`): alembic's
  progress lines go through the project's handler.
"""

import logging

from alembic import context
from alembic.autogenerate import render
from alembic.operations.ops import DropIndexOp, DropTableOp, ModifyTableOps
from flask import current_app
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator

logging.getLogger("alembic").setLevel(logging.INFO)
logging.getLogger("flask_migrate").setLevel(logging.INFO)
logger = logging.getLogger("alembic.env")

config = context.config
migrate_config = current_app.extensions["migrate"]
target_db = migrate_config.db


def get_engine():
    return target_db.engine


def get_metadata():
    return target_db.metadata


def render_item(kind, obj, autogen_context):
    """Render a script the same whichever database it was generated against.

    - A TypeDecorator becomes its underlying type. (`_repr_type` is alembic's
      own type renderer: it renders variants and adds the dialect imports.)
    - A `server_default=sa.text(...)` is written as the model spells it; the
      SQLite backend would otherwise wrap it as `(CURRENT_TIMESTAMP)`.
    """
    if kind == "type" and isinstance(obj, TypeDecorator):
        return render._repr_type(obj.impl_instance, autogen_context)
    if kind == "server_default" and isinstance(getattr(obj, "arg", None), TextClause):
        return f"sa.text({obj.arg.text!r})"
    return False


def configure_args():
    args = dict(migrate_config.configure_args)
    args.setdefault("render_item", render_item)
    args.setdefault("process_revision_directives", process_revision_directives)
    return args


def process_revision_directives(context, revision, directives):
    """Tidy what autogenerate wrote before it becomes a script.

    `db migrate` with nothing changed writes no empty script. An index of a
    table that is dropped anyway is not dropped first: MySQL refuses to drop
    an index a foreign key needs ("Cannot drop index ...: needed in a foreign
    key constraint"), and DROP TABLE takes its indexes with it.
    """
    if not getattr(config.cmd_opts, "autogenerate", False):
        return
    script = directives[0]
    if script.upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")
        return
    for ops in (script.upgrade_ops, script.downgrade_ops):
        _skip_index_drops_of_dropped_tables(ops)


def _skip_index_drops_of_dropped_tables(container):
    dropped = {op.table_name for op in container.ops if isinstance(op, DropTableOp)}
    kept = []
    for op in container.ops:
        if isinstance(op, ModifyTableOps) and op.table_name in dropped:
            op.ops = [sub for sub in op.ops if not isinstance(sub, DropIndexOp)]
            if not op.ops:
                continue
        elif isinstance(op, DropIndexOp) and op.table_name in dropped:
            continue
        kept.append(op)
    container.ops = kept


def run_migrations_offline():
    """`db upgrade --sql`: print the SQL instead of running it."""
    url = get_engine().url.render_as_string(hide_password=False)
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True, **configure_args()
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **configure_args())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
