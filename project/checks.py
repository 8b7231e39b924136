"""System checks, as Django's: `python manage.py check` runs them all.

A check is a function `check(app) -> list[Message]`, registered with
`@register_check`. Apps register theirs in their modules; the core's are below.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .migrations import migration_state

ERROR = "ERROR"
WARNING = "WARNING"

_checks = []


@dataclass(frozen=True)
class Message:
    level: str
    id: str
    text: str
    hint: str = ""

    def __str__(self):
        hint = f"\n\tHINT: {self.hint}" if self.hint else ""
        return f"({self.id}) {self.text}{hint}"


def Error(id, text, hint=""):  # noqa: N802 - reads like Django's class
    return Message(ERROR, id, text, hint)


def Warning(id, text, hint=""):  # noqa: N802
    return Message(WARNING, id, text, hint)


def register_check(func):
    """Add `func(app)` to the checks `manage.py check` runs."""
    if func not in _checks:
        _checks.append(func)
    return func


def run_checks(app=None):
    app = app or current_app
    messages = []
    for check in _checks:
        messages.extend(check(app))
    return messages


@register_check
def check_database(app):
    try:
        state = migration_state()
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", exc)
        url = db.engine.url.render_as_string(hide_password=True)
        return [
            Error(
                "database.E001",
                f"Cannot reach the database at {url}: {reason}",
                "Is the database server running? Check DATABASE_URL.",
            )
        ]
    advice = state.advice()
    if advice:
        return [Error("database.E002", "The database schema is not at the migration head.", advice)]
    return []


@register_check
def check_required_apps(app):
    """Apps the settings require (REQUIRED_APPS; production: the audit log) must be installed.

    An app cannot check its own absence (it is not loaded then), so the core does.
    """
    installed = set(app.config["INSTALLED_APPS"])
    return [
        Error(
            "apps.E001",
            f"{name!r} is in REQUIRED_APPS but not in INSTALLED_APPS.",
            f"Add {name!r} to INSTALLED_APPS; the {app.config['SETTINGS_NAME']!r} settings "
            f"may not run without it.",
        )
        for name in app.config.get("REQUIRED_APPS", [])
        if name not in installed
    ]


@register_check
def check_debug(app):
    if app.config["DEBUG"] and app.config["SETTINGS_NAME"] in ("production", "staging"):
        return [
            Warning(
                "settings.W001", "DEBUG is on in a production-like environment.", "Set DEBUG=false."
            )
        ]
    return []


@register_check
def check_shadowed_templates(app):
    """A blueprint template hidden by another source of the same name is a silent bug."""
    seen = {}
    messages = []
    loaders = [("the project", app.jinja_loader)] + [
        (f"blueprint {bp.name!r}", bp.jinja_loader) for bp in app.iter_blueprints()
    ]
    for owner, loader in loaders:
        if loader is None:
            continue
        for template in loader.list_templates():
            if template in seen and seen[template] != owner:
                messages.append(
                    Warning(
                        "templates.W001",
                        f"Template {template!r} of {owner} is shadowed by {seen[template]}.",
                        "Put app templates under templates/<app_label>/ so names cannot collide.",
                    )
                )
            seen.setdefault(template, owner)
    return messages


@register_check
def check_shared_state(app):
    """Several web processes without REDIS_URL each keep their own cache, limits and tokens."""
    from .serving import web_processes

    if app.config["SETTINGS_NAME"] not in ("production", "staging") or app.config.get("REDIS_URL"):
        return []
    try:
        processes = web_processes(app.config)
    except ValueError as exc:
        return [Error("deploy.E001", str(exc), "Set WEB_CONCURRENCY to a whole number >= 1.")]
    if processes <= 1:
        return []
    return [
        Warning(
            "deploy.W001",
            f"{processes} web processes (WEB_CONCURRENCY x WEB_INSTANCES) run without REDIS_URL: "
            f"each keeps its own cache, login limits and one-time tokens, and jobs run "
            f"inside the web process.",
            "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0), or WEB_CONCURRENCY=1 for one process.",
        )
    ]
