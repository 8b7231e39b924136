"""The framework core: `create_app()` builds a configured Flask app.

    app = create_app()                    # APP_SETTINGS, else development
    app = create_app("testing", DATABASE_URL="sqlite://")

`project/` knows no app by name: apps come from INSTALLED_APPS.
"""

from pathlib import Path

import sqlalchemy as sa
from flask import Flask, request

from .apps import Apps
from .auth import load_backends
from .conf import load_settings
from .errors import register_error_handlers
from .exceptions import ImproperlyConfigured
from .extensions import cache, csrf, db, migrate
from .extensions import mail as mail_extension  # `mail` alone would be the project.mail module
from .health import health
from .logs import configure_logging
from .middleware import MiddlewareChain, load_middleware
from .pool import ping_idle_connections, roll_back_only_open_transactions
from .rest.aggregate import GROUP_CONCAT_MAX_LEN
from .routing import register_converters
from .sessions import CookieSessionInterface
from .sqlite_gate import GatedConnection

__all__ = ["create_app"]


def create_app(settings=None, **overrides):
    """Build the app from the settings module `settings` (a name) plus overrides."""
    config = load_settings(settings, overrides)
    app = Flask(__name__, instance_path=config["INSTANCE_DIR"], instance_relative_config=False)
    app.config.update(config)
    app.session_interface = CookieSessionInterface()
    register_converters(app)
    configure_logging(app.config)
    register_proxy_fix(app)
    register_database(app)
    register_extensions(app)
    register_error_handlers(app)
    register_middleware(app)
    register_csrf(app)
    app.register_blueprint(health)
    register_api_docs(app)
    register_apps(app)
    register_model_events(app)
    load_backends(app)
    register_commands(app)
    register_jobs(app)
    register_operations(app)
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
    before its wait_timeout, ping those that sat idle before use (see
    project.pool), and keep the session in UTC.
    A SQLite file's folder is created so a fresh checkout just runs.
    """
    url = database_url(app.config)
    # Connections are reset on return by project.pool, only when they need it.
    options = {"pool_reset_on_return": None}
    # A pool of connections hands out the one handed back last: in a worker
    # serving one request at a time that is always the same one, so SQLite's
    # page cache of it stays warm (FIFO alternates between two cold ones), and
    # the connections idling at the bottom are those a server may drop.
    lifo = {"pool_use_lifo": True}
    if url.get_backend_name() == "mysql":
        options |= lifo | {
            "pool_recycle": app.config["DATABASE_POOL_RECYCLE"],
            # UTC sessions; aggregated lists never cut short (see project.rest.aggregate).
            "connect_args": {
                "init_command": f"SET time_zone = '+00:00', "
                f"SESSION group_concat_max_len = {GROUP_CONCAT_MAX_LEN}"
            },
        }
    elif url.get_backend_name() == "sqlite":
        # Writers wait for SQLite's one write lock up to this long (the driver's
        # default, 5 s, fails busy moments with "database is locked").
        connect_args = {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]}
        if app.config["SQLITE_WRITE_GATE"]:
            connect_args["factory"] = GatedConnection
        options |= {"connect_args": connect_args}
        if url.database not in (None, "", ":memory:"):  # in memory: one connection, no pool
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            options |= lifo
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["SQLALCHEMY_ECHO"] = app.config["DATABASE_ECHO"]


def register_extensions(app):
    """Bind the extension singletons to this app."""
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    configure_cache(app.config)
    cache.init_app(app)
    mail_extension.init_app(app)
    _configure_connections(app)


def configure_cache(config):
    """RedisCache on REDIS_URL, so every worker shares it; SimpleCache (one process) otherwise.

    An explicit CACHE_TYPE in the settings wins.
    """
    if "CACHE_TYPE" in config:
        return
    if config.get("REDIS_URL"):
        # A RedisCache that serves without the cache while Redis is down.
        config["CACHE_TYPE"] = "project.rediscache.ResilientRedisCache"
        config.setdefault("CACHE_REDIS_URL", config["REDIS_URL"])
    else:
        config["CACHE_TYPE"] = "SimpleCache"


def _configure_connections(app):
    """Set up connections for their database.

    Every database: a connection returned to the pool is rolled back only
    when its transaction may still be open (see project.pool). SQLite:
    SQLITE_PRAGMAS on each new connection, and a BEGIN before a savepoint
    that would otherwise be the transaction's first statement. MySQL, which closes idle
    connections: a ping for those that sat idle a while (see project.pool).
    """
    with app.app_context():
        engine = db.engine
    roll_back_only_open_transactions(engine)
    if engine.dialect.name == "sqlite":
        _run_pragmas_on_connect(engine, app.config["SQLITE_PRAGMAS"])
        _begin_before_a_first_savepoint(engine)
    elif engine.dialect.name == "mysql":
        ping_idle_connections(engine, app.config["DATABASE_PING_IDLE_SECONDS"])


def _run_pragmas_on_connect(engine, pragmas):
    statements = [f"PRAGMA {name}={value}" for name, value in pragmas.items()]

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()


def _begin_before_a_first_savepoint(engine):
    """Keep a savepoint inside its transaction on SQLite.

    pysqlite sends BEGIN only before a write, so a SAVEPOINT sent first (a
    `begin_nested()` before any write) would open the transaction itself, and
    its RELEASE would COMMIT what it wrote, whatever the transaction around it
    does later. A BEGIN sent first makes it an ordinary savepoint.
    """

    @sa.event.listens_for(engine, "savepoint")
    def _begin_first(connection, _name):
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            dbapi_connection.execute("BEGIN")


def register_middleware(app):
    """Load MIDDLEWARE and hook it onto the request cycle."""
    chain = MiddlewareChain(app, load_middleware(app.config["MIDDLEWARE"], app))
    chain.install()
    app.extensions["middleware"] = chain


def register_csrf(app):
    """A CSRF token on every state-changing request outside the JSON API.

    Pages authenticate with the session cookie, which a browser sends by
    itself, so their forms carry `{{ csrf_token() }}`. The API under
    API_PREFIX authenticates with bearer tokens only (the session backend
    ignores API paths), so a cross-site form cannot act there and it needs
    no CSRF token. Runs after the middleware, so a refusal has a request id.
    """
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, by path
    csrf.init_app(app)
    prefix = app.config["API_PREFIX"]

    @app.before_request
    def _protect_pages():
        path = request.path
        if app.config["WTF_CSRF_ENABLED"] and path != prefix and not path.startswith(prefix + "/"):
            csrf.protect(apply_exemptions=True)


def register_api_docs(app):
    """The OpenAPI document, its docs page and `manage.py openapi`, under API_PREFIX."""
    from .rest.docs import init_app

    init_app(app)


def register_proxy_fix(app):
    """Trust X-Forwarded-For/-Proto from exactly TRUSTED_PROXY_COUNT proxies (0: none).

    Behind nginx (one proxy) set 1: `request.remote_addr` is then the client's
    address nginx saw, and a client cannot forge it by sending the header itself.
    """
    count = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def register_model_events(app):
    """Send model_created/updated/deleted from every flush (project/model_events)."""
    from .model_events import register_model_events as register

    register(app)


def register_apps(app):
    """Import INSTALLED_APPS, register their blueprints and commands, call ready()."""
    apps = Apps(app.config["INSTALLED_APPS"])
    app.extensions["apps"] = apps
    apps.wire(app)


def register_commands(app):
    """The project's own manage.py commands."""
    from .cli import register_core_commands

    register_core_commands(app)


def register_jobs(app):
    """Background jobs: the queue settings and `manage.py worker` / `jobs failed`."""
    from .jobs import init_app

    init_app(app)


def register_operations(app):
    """Production plumbing: Redis failures as 503, /metrics, `manage.py scheduler`."""
    from . import metrics, redis, scheduler

    redis.init_app(app)
    metrics.init_app(app)
    scheduler.init_app(app)
