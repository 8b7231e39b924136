"""`python manage.py ...` commands of the accounts app.

    createsuperuser [--noinput]   interactive, or from SUPERUSER_EMAIL/_USERNAME/_PASSWORD
    changepassword USER           USER is a username or an e-mail address
    tokens purge                  delete expired bearer tokens
    permissions sync              create the permission rows of every installed model

`db upgrade` also runs `permissions sync` once it has migrated (see
`sync_permissions_after_upgrade`), so a fresh deployment has its rows.
"""

import copy
import os

import click
from flask.cli import AppGroup, with_appcontext

from project.extensions import db

from .passwords import validate_password
from .permissions import sync_permissions
from .services import create_user, find_by_login, purge_expired_tokens, revoke_tokens, set_password


def _check_password(password, username, email, noinput=False):
    problems = validate_password(password, username, email)
    if not problems:
        return True
    click.echo("\n".join(problems), err=True)
    if noinput:
        raise click.ClickException("The password is refused; set a stronger SUPERUSER_PASSWORD.")
    return click.confirm("Bypass password validation and use it anyway?", default=False)


def _taken(email, username):
    for value in (email, username):
        if find_by_login(value) is not None:
            return value
    return None


@click.command("createsuperuser")
@click.option(
    "--noinput",
    is_flag=True,
    help="Read SUPERUSER_EMAIL, SUPERUSER_USERNAME and SUPERUSER_PASSWORD from the environment.",
)
@with_appcontext
def createsuperuser(noinput):
    """Create an active staff superuser."""
    if noinput:
        values = {}
        for name in ("EMAIL", "USERNAME", "PASSWORD"):
            values[name] = os.environ.get(f"SUPERUSER_{name}", "").strip()
            if not values[name]:
                raise click.ClickException(f"--noinput needs the SUPERUSER_{name} variable set.")
        email, username, password = values["EMAIL"], values["USERNAME"], values["PASSWORD"]
        _check_password(password, username, email, noinput=True)
    else:
        email = click.prompt("E-mail address").strip()
        username = click.prompt("Username").strip()
        while True:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            if _check_password(password, username, email):
                break
    if "@" not in email or "@" in username:
        raise click.ClickException("Give an e-mail address with an @ and a username without one.")
    existing = _taken(email.lower(), username)
    if existing:
        raise click.ClickException(f"A user with {existing!r} already exists.")
    create_user(email, username, password, is_active=True, is_staff=True, is_superuser=True)
    click.echo(f"Superuser {username!r} created.")


@click.command("changepassword")
@click.argument("login")
@with_appcontext
def changepassword(login):
    """Set a new password for the user LOGIN (username or e-mail); ends its tokens."""
    user = find_by_login(login)
    if user is None:
        raise click.ClickException(f"No user with the username or e-mail address {login!r}.")
    while True:
        password = click.prompt(
            f"New password for {user.username}", hide_input=True, confirmation_prompt=True
        )
        if _check_password(password, user.username, user.email):
            break
    set_password(user, password)
    revoked = revoke_tokens(user, commit=False)
    db.session.commit()
    click.echo(f"Password changed for {user.username!r}; {revoked} token(s) revoked.")


tokens = AppGroup("tokens", help="Bearer tokens.")


@tokens.command("purge")
def purge():
    """Delete every expired token."""
    count = purge_expired_tokens()
    click.echo(f"Deleted {count} expired token{'s' if count != 1 else ''}.")


permissions = AppGroup("permissions", help="Permission rows (Django-style codenames).")


@permissions.command("sync")
def sync():
    """Create the permission rows of every model of every installed app."""
    created = sync_permissions()
    for codename in created:
        click.echo(f"  + {codename}")
    click.echo(f"{len(created)} permission(s) created.")


commands = [createsuperuser, changepassword, tokens, permissions]


def sync_permissions_after_upgrade(app):
    """Make this app's `db upgrade` run `permissions sync` after migrating.

    Flask-Migrate's `db` group is shared by every app; this app gets its own
    copy of the group whose `upgrade` calls the original, then syncs.
    """
    group = app.cli.commands.get("db")
    if not isinstance(group, click.Group) or "upgrade" not in group.commands:
        return
    original = group.commands["upgrade"]

    def upgrade_then_sync(*args, **kwargs):
        result = original.callback(*args, **kwargs)
        if not kwargs.get("sql"):
            created = sync_permissions()
            click.echo(f"Permissions in sync ({len(created)} created).")
        return result

    upgrade = copy.copy(original)
    upgrade.callback = upgrade_then_sync
    wrapped = copy.copy(group)
    wrapped.commands = {**group.commands, "upgrade": upgrade}
    app.cli.add_command(wrapped, "db")
