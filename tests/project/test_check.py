"""`python manage.py check`: what it says about the database, and its exit code."""

import sqlalchemy as sa

from project.extensions import db

from .support import UNREACHABLE_DATABASE_URL, manage


def check(app):
    return app.test_cli_runner().invoke(args=["check"])


def test_an_unmigrated_database_is_an_error_that_says_what_to_run(scratch_app):
    result = check(scratch_app("unmigrated"))

    assert result.exit_code == 1
    assert "(database.E002) The database schema is not at the migration head." in result.output
    assert "Run `python manage.py db upgrade` to create them." in result.output
    assert result.output.rstrip().endswith("System check identified 1 issue.")


def test_a_database_migrated_by_other_code_is_explained(migrated_app):
    """alembic_version drift: the revision in the database is in no script here."""
    with migrated_app.app_context():
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe1234'"))
        db.session.commit()

    result = check(migrated_app)

    assert result.exit_code == 1
    assert "The database is at revision f00dcafe1234, which no script in migrations/" in (
        result.output
    )
    assert "python manage.py db stamp head" in result.output


def test_a_database_at_the_head_has_no_issues(migrated_app):
    result = check(migrated_app)

    assert result.exit_code == 0
    assert result.output == "System check identified no issues.\n"


def test_an_unreachable_database_is_one_message_without_a_traceback():
    result = manage("check", DATABASE_URL=UNREACHABLE_DATABASE_URL)

    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert (
        "(database.E001) Cannot reach the database at mysql+pymysql://root:***@127.0.0.1:1/"
        in output
    )
    assert "Connection refused" in output
    assert "Check DATABASE_URL." in output
    assert "Traceback" not in output


def test_a_command_that_needs_the_database_explains_it_is_down():
    result = manage("db", "upgrade", DATABASE_URL=UNREACHABLE_DATABASE_URL)

    assert result.returncode == 2
    assert result.stderr.startswith("Error: Cannot connect to the database: (2003,")
    assert "Is the database server running, and is DATABASE_URL right?" in result.stderr
    assert "Traceback" not in result.stderr
