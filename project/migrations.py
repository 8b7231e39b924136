"""Where the database stands against the migration scripts, in plain words.

Used by `/readyz` and `manage.py check`, so that "Target database is not up to
date" becomes a sentence that says which command to run.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from .extensions import db


class _QuietContextSetup(logging.Filter):
    """Drop the two lines alembic logs whenever a MigrationContext is made.

    `/readyz` makes one per probe, so a load balancer checking every few
    seconds would fill an INFO log with "Context impl MySQLImpl." lines.
    """

    def filter(self, record):
        return record.msg not in ("Context impl %s.", "Will assume %s DDL.")


logging.getLogger("alembic.runtime.migration").addFilter(_QuietContextSetup())


@dataclass(frozen=True)
class MigrationState:
    current: tuple
    heads: tuple

    @property
    def at_head(self):
        return bool(self.heads) and set(self.current) == set(self.heads)

    def advice(self):
        """A sentence saying what is wrong and what to run, or None when at head."""
        if not self.heads:
            return (
                "There are no migration scripts. Run `python manage.py db migrate` to create one."
            )
        if self.at_head:
            return None
        if not self.current:
            return (
                "The database has no tables yet (no migration applied). "
                "Run `python manage.py db upgrade` to create them."
            )
        unknown = set(self.current) - set(self._all_revisions)
        if unknown:
            return (
                f"The database is at revision {', '.join(sorted(unknown))}, which no script in "
                f"migrations/ knows: it was migrated by other code. Check out that code, or run "
                f"`python manage.py db stamp head` if you are sure the schema matches."
            )
        return (
            f"The database is at {', '.join(self.current)} but the scripts are at "
            f"{', '.join(self.heads)}. Run `python manage.py db upgrade`."
        )

    _all_revisions: tuple = ()


def migrations_directory(app=None):
    app = app or current_app
    return str(Path(app.root_path).parent / "migrations")


def script_directory(app=None):
    app = app or current_app
    cache = app.extensions.setdefault("project_migration_scripts", {})
    if "scripts" not in cache:
        directory = migrations_directory(app)
        cache["scripts"] = (
            ScriptDirectory(directory) if Path(directory, "env.py").exists() else None
        )
    return cache["scripts"]


def migration_state(connection=None):
    """Compare the revision stamped in the database with the scripts' heads."""
    scripts = script_directory()
    heads = tuple(scripts.get_heads()) if scripts else ()
    revisions = tuple(r.revision for r in scripts.walk_revisions()) if scripts else ()
    if connection is None:
        with db.engine.connect() as conn:
            current = tuple(MigrationContext.configure(conn).get_current_heads())
    else:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
    return MigrationState(current=current, heads=heads, _all_revisions=revisions)
