"""The one Alembic history in migrations/: it builds the schema, undoes it, and matches the models.

These run on whatever TEST_DATABASE_URL names (SQLite by default, MariaDB in
CI), each on a scratch database of its own.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from project.extensions import db

from .conftest import migrate
from .support import MIGRATIONS, table_names


def model_tables():
    return set(db.metadata.tables)


def test_upgrade_then_downgrade_to_base_then_upgrade_again(scratch_app):
    app = scratch_app("cycle")
    url = app.config["DATABASE_URL"]
    assert model_tables()

    first = migrate(app, "upgrade")
    assert first.exit_code == 0, first.output
    assert table_names(url) == model_tables() | {"alembic_version"}

    down = migrate(app, "downgrade", "base")
    assert down.exit_code == 0, down.output
    assert table_names(url) == {"alembic_version"}

    again = migrate(app, "upgrade")
    assert again.exit_code == 0, again.output
    assert table_names(url) == model_tables() | {"alembic_version"}


def schema_differences(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_the_models_and_the_migrations_agree(migrated_app):
    result = migrate(migrated_app, "check")

    assert result.exit_code == 0, (
        "The models differ from what migrations/ builds. Write the missing migration with "
        '`python manage.py db migrate -m "what changed"`, review it and commit it. '
        f"Differences: {schema_differences(migrated_app)}"
    )


def test_db_check_fails_for_a_model_change_without_a_migration(migrated_app):
    table = sa.Table(
        "scratch_unmigrated", db.metadata, sa.Column("id", sa.Integer, primary_key=True)
    )
    try:
        result = migrate(migrated_app, "check")
        differences = schema_differences(migrated_app)
    finally:
        db.metadata.remove(table)

    assert result.exit_code == 1
    added = [diff[1].name for diff in differences if diff[0] == "add_table"]
    assert "scratch_unmigrated" in added


def test_migration_scripts_run_without_the_project_code():
    """A script that imports project code breaks when that code later moves or changes."""
    scripts = sorted(Path(MIGRATIONS, "versions").glob("*.py"))

    assert scripts, "migrations/versions/ is empty: run `make migration-reset`"
    for script in scripts:
        text = script.read_text()
        assert "import project" not in text and "from project" not in text, script.name
        assert "apps." not in text, script.name


def test_migrated_timestamps_have_a_server_default_and_keep_microseconds(migrated_app):
    """Rows inserted outside the ORM get timestamps; MySQL's plain DATETIME would drop µs."""
    engine = sa.create_engine(migrated_app.config["DATABASE_URL"])
    inspector = sa.inspect(engine)
    timestamps = [
        (table, column)
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
        if column["name"] in ("created_at", "updated_at")
    ]
    engine.dispose()

    assert timestamps
    for table, column in timestamps:
        assert "CURRENT_TIMESTAMP" in str(column["default"]).upper(), (table, column)
        if engine.dialect.name == "mysql":
            assert column["type"].fsp == 6, (table, column)
