"""The framework core: `create_app()` builds a configured Flask app.

    app = create_app()                    # APP_SETTINGS, else development
    app = create_app("testing", DATABASE_URL="sqlite://")

`project/` knows no app by name: apps come from INSTALLED_APPS.
"""

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from .apps import Apps
from .auth import load_backends
from .conf import load_settings
from .errors import register_error_handlers
from .exceptions import ImproperlyConfigured
from .extensions import cache, db, migrate
from .health import health
from .logs import configure_logging
from .middleware import MiddlewareChain, load_middleware

__all__ = ["create_app"]


def create_app(settings=None, **overrides):
    """Build the app from the settings module `settings` (a name) plus overrides."""
    config = load_settings(settings, overrides)
    app = Flask(__name__, instance_path=config["INSTANCE_DIR"], instance_relative_config=False)
    app.config.update(config)
    configure_logging(app.config)
    register_database(app)
    register_extensions(app)
    register_error_handlers(app)
    register_middleware(app)
    app.register_blueprint(health)
    register_apps(app)
    load_backends(app)
    register_commands(app)
    return app


def database_url(config):
    """DATABASE_URL parsed; a clear error when it is not a database URL."""
    raw = config["DATABASE_URL"]
    try:
        return sa.engine.make_url(raw)
    except sa.exc.ArgumentError:
        raise ImproperlyConfigured(
            f"DATABASE_URL={raw!r} is not a database URL. Use sqlite:///path/to/file.sqlite3 "
            f"or mysql+pymysql://user:pass@host:3306/db?charset=utf8mb4."
        ) from None


def register_database(app):
    """Derive Flask-SQLAlchemy's settings from DATABASE_URL.

    MySQL closes idle connections and loses them on restarts: recycle them
    before its wait_timeout, ping before use, and keep the session in UTC.
    A SQLite file's folder is created so a fresh checkout just runs.
    """
    url = database_url(app.config)
    options = {}
    if url.get_backend_name() == "mysql":
        options = {
            "pool_pre_ping": True,
            "pool_recycle": app.config["DATABASE_POOL_RECYCLE"],
            "connect_args": {"init_command": "SET time_zone = '+00:00'"},
        }
    elif url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["SQLALCHEMY_ECHO"] = app.config["DATABASE_ECHO"]


def register_extensions(app):
    """Bind the extension singletons to this app."""
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    cache.init_app(app)
    _enforce_sqlite_foreign_keys(app)


def _enforce_sqlite_foreign_keys(app):
    """SQLite ignores foreign keys unless asked, per connection; MySQL always checks."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_middleware(app):
    """Load MIDDLEWARE and hook it onto the request cycle."""
    chain = MiddlewareChain(app, load_middleware(app.config["MIDDLEWARE"], app))
    chain.install()
    app.extensions["middleware"] = chain


def register_apps(app):
    """Import INSTALLED_APPS, register their blueprints and commands, call ready()."""
    apps = Apps(app.config["INSTALLED_APPS"])
    app.extensions["apps"] = apps
    apps.wire(app)


def register_commands(app):
    """The project's own manage.py commands."""
    from .cli import register_core_commands

    register_core_commands(app)
