"""The permission rows: one per codename of every model of every installed app.

Codenames are Django's, `<app_label>.<action>_<model>` for the actions add,
change, delete and view, plus any a model declares itself:

    class Article(Model):
        __permissions__ = {"publish": "Can publish articles"}   # articles.publish

`sync_permissions()` adds the missing rows and leaves the others alone (a
permission of a removed model stays, as in Django, until deleted by hand).
It runs after every `python manage.py db upgrade`, on demand with
`python manage.py permissions sync`, and for the codenames `ensure_group()`
needs, so no one has to create rows by hand. Until it has run, a missing row
just means nobody but a superuser holds that permission.
"""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite

from project.apps import get_apps
from project.db import app_label_of
from project.extensions import db

from .models import Permission

ACTIONS = ("add", "change", "delete", "view")


def model_permissions(model):
    """{codename: name} for one model."""
    label = app_label_of(model.__module__)
    model_name = model.__name__.lower()
    verbose = model.__name__
    found = {f"{label}.{action}_{model_name}": f"Can {action} {verbose}" for action in ACTIONS}
    for action, name in getattr(model, "__permissions__", {}).items():
        found[f"{label}.{action}"] = name
    return found


def known_permissions():
    """{codename: name} for every model of every installed app."""
    found = {}
    for model in get_apps().models():
        found.update(model_permissions(model))
    return found


def sync_permissions(codenames=None, commit=True):
    """Create the missing Permission rows (all known, or just `codenames`).

    Returns the codenames it created. Unknown codenames raise LookupError
    naming them. Safe to run from several processes at once: a row another
    one inserted first is skipped by the database, not by a lock.
    """
    known = known_permissions()
    wanted = known if codenames is None else {c: known.get(c) for c in codenames}
    unknown = sorted(c for c, name in wanted.items() if name is None)
    if unknown:
        raise LookupError(
            f"Unknown permission codename(s) {', '.join(unknown)}: no installed model has them. "
            f"Codenames look like 'articles.change_article'."
        )
    existing = set(
        db.session.scalars(
            sa.select(Permission.codename).where(Permission.codename.in_(list(wanted)))
        )
    )
    missing = sorted(set(wanted) - existing)
    if missing:
        rows = [{"codename": codename, "name": wanted[codename]} for codename in missing]
        db.session.execute(_insert_skipping_duplicates(), rows)
    if commit:
        db.session.commit()
    return missing


def _insert_skipping_duplicates():
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(Permission).on_conflict_do_nothing()
    if dialect in ("mysql", "mariadb"):
        statement = mysql.insert(Permission)
        return statement.on_duplicate_key_update(codename=statement.inserted.codename)
    return sa.insert(Permission)


def permissions_named(codenames):
    """The Permission rows for `codenames`, created first when missing."""
    codenames = list(dict.fromkeys(codenames))
    if not codenames:
        return []
    sync_permissions(codenames, commit=False)
    rows = db.session.scalars(sa.select(Permission).where(Permission.codename.in_(codenames)))
    return sorted(rows, key=lambda permission: permission.codename)
