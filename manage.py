#!/usr/bin/env python
"""The project's command line: `python manage.py <command>` (`--help` lists them).

It is Flask's CLI built on `create_app`, so every command runs with the app
configured by APP_SETTINGS (or `--settings NAME`). Start-up errors print as one
paragraph; `--traceback` shows the full traceback.
"""

import os
import sys

import click
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import OperationalError

from project import create_app
from project.exceptions import ImproperlyConfigured


def _select_settings(ctx, param, value):
    if value:
        os.environ["APP_SETTINGS"] = value
    return value


class ManageGroup(FlaskGroup):
    """FlaskGroup that lets start-up errors reach `main` instead of printing a traceback."""

    def list_commands(self, ctx):
        ctx.ensure_object(ScriptInfo).load_app()
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        if name not in self.commands:
            ctx.ensure_object(ScriptInfo).load_app()
        return super().get_command(ctx, name)


cli = ManageGroup(
    create_app=lambda: create_app(),
    add_version_option=False,
    params=[
        click.Option(
            ["--settings"],
            callback=_select_settings,
            expose_value=False,
            is_eager=True,
            help="Settings module to use (development, testing, staging, production).",
        ),
        click.Option(
            ["--traceback"],
            is_flag=True,
            expose_value=False,
            help="Show full tracebacks on errors.",
        ),
    ],
    help="Manage the project: run it, migrate it, check it, add apps.",
)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    try:
        return cli.main(args=argv, prog_name="manage.py")
    except (ImproperlyConfigured, OperationalError) as exc:
        if show_traceback:
            raise
        message = _database_message(exc) if isinstance(exc, OperationalError) else str(exc)
        click.secho(f"Error: {message}", err=True, fg="red")
        return 2


def _database_message(exc):
    """A failed connection (no statement was sent) is told apart from a refused statement."""
    if exc.statement is None:
        return (
            f"Cannot connect to the database: {exc.orig}. Is the database server running, "
            f"and is DATABASE_URL right?"
        )
    statement = " ".join(exc.statement.split())[:200]
    return (
        f"The database refused a statement: {exc.orig}. The statement was: {statement}. "
        f"Run with --traceback for the full traceback."
    )


if __name__ == "__main__":
    sys.exit(main())
