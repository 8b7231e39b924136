"""The project's own manage.py commands (Flask-Migrate adds `db`, Flask adds `routes`)."""

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

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
    app = current_app._get_current_object()
    app.debug = debug
    # Not app.run(): under the Flask CLI it returns at once without serving
    # ("Ignoring a call to 'app.run()'..."); `flask run` calls run_simple too.
    run_simple(
        host or config["HOST"],
        port or config["PORT"],
        app,
        use_reloader=debug,
        use_debugger=debug,
        threaded=True,
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
    from .startapp import startapp

    for command in (runserver, check, startapp):
        app.cli.add_command(command)
    app.shell_context_processor(shell_context)
