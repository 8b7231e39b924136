"""Fixtures of the foundation's tests: apps on scratch databases, migrated or empty."""

import io
import logging
import sys
import textwrap
from contextlib import ExitStack

import pytest

from project import create_app
from project.extensions import db
from project.logs import TEXT_FORMAT

from .support import MIGRATIONS, scratch_database, unique_name


def dispose(app):
    """Close the app's connections, so MySQL lets the database be dropped."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def migrate(app, *args):
    """Run `manage.py db <args>` in-process on `app`; the click Result."""
    return app.test_cli_runner().invoke(args=["db", *args, "-d", MIGRATIONS])


@pytest.fixture
def scratch_app(tmp_path):
    """`scratch_app(suffix, **settings)`: a testing app on an empty database of its own."""
    with ExitStack() as stack:

        def make(suffix, **overrides):
            url = stack.enter_context(scratch_database(tmp_path, suffix))
            overrides.setdefault("AUTHENTICATION_BACKENDS", [])
            app = create_app("testing", DATABASE_URL=url, **overrides)
            stack.callback(dispose, app)
            return app

        yield make


@pytest.fixture
def migrated_app(scratch_app):
    """A testing app whose database `db upgrade` brought to the head."""
    app = scratch_app("migrated")
    result = migrate(app, "upgrade")
    assert result.exit_code == 0, result.output
    return app


def project_log_handler():
    """The handler `configure_logging` installs on the root logger (None before any app)."""
    return next((h for h in logging.getLogger().handlers if h.get_name() == "project"), None)


@pytest.fixture
def preserve_logging():
    """Undo what an app built in the test did to the process-wide logging set-up."""
    root = logging.getLogger()
    level = root.level
    handler = project_log_handler()
    saved = (handler.formatter, handler.stream) if handler else None
    yield
    root.setLevel(level)
    handler = project_log_handler()
    if handler is not None:
        formatter, stream = saved or (logging.Formatter(TEXT_FORMAT), handler.stream)
        handler.setFormatter(formatter)
        handler.setStream(stream)


@pytest.fixture
def log_output(preserve_logging):
    """`log_output(app)`: from now on, what the app's log handler writes, as a StringIO."""

    def capture(app):
        stream = io.StringIO()
        project_log_handler().setStream(stream)
        return stream

    return capture


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """`packages({"blog/__init__.py": "..."})` writes a package tree; returns its top name.

    The top-level name is unique per test and is removed from sys.modules after it.
    """
    top = unique_name("throwaway")
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(files):
        (tmp_path / top).mkdir(exist_ok=True)
        (tmp_path / top / "__init__.py").touch()
        for path, text in files.items():
            target = tmp_path / top / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text))
        return top

    yield write
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]
