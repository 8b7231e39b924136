"""The project's own manage.py commands (Flask-Migrate adds `db`, Flask adds `routes`)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .checks import ERROR, run_checks
from .extensions import db


@click.command("runserver")
@click.option("--host", default=None, help="Interface to bind (default: HOST setting).")
@click.option("--port", default=None, type=int, help="Port (default: PORT setting).")
@click.option("--debug/--no-debug", default=None, help="Debugger and reloader (default: DEBUG).")
@with_appcontext
def runserver(host, port, debug):
    """Run the development server (use gunicorn in production)."""
    config = current_app.config
    debug = config["DEBUG"] if debug is None else debug
    current_app.run(
        host=host or config["HOST"],
        port=port or config["PORT"],
        debug=debug,
        use_reloader=debug,
    )


@click.command("check")
@with_appcontext
def check():
    """Run the system checks: settings, database, migrations, templates."""
    messages = run_checks()
    if not messages:
        click.echo("System check identified no issues.")
        return
    for level in (ERROR, "WARNING"):
        selected = [m for m in messages if m.level == level]
        if selected:
            click.echo(f"{level}S:")
            for message in selected:
                click.echo(f"  {message}")
    count = len(messages)
    click.echo(f"System check identified {count} issue{'s' if count != 1 else ''}.")
    if any(m.level == ERROR for m in messages):
        raise SystemExit(1)


def shell_context():
    """What `manage.py shell` preloads: db and every model of every installed app."""
    from .apps import get_apps

    context = {"db": db, "app": current_app}
    for model in get_apps().models():
        context[model.__name__] = model
    return context


def register_core_commands(app):
    for command in (runserver, check):
        app.cli.add_command(command)
    app.shell_context_processor(shell_context)
