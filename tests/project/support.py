"""Helpers for the foundation's tests: run manage.py, copy the project, scratch databases.

A scratch database follows TEST_DATABASE_URL: a SQLite file by default; on
MySQL/MariaDB a database of its own, named after TEST_DATABASE_URL's with a
suffix, created empty and dropped afterwards, so it never touches the suite's.
"""

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

import settings.base

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = str(REPO_ROOT / "migrations")
#: A MySQL URL nothing listens on: "the database is down".
UNREACHABLE_DATABASE_URL = "mysql+pymysql://root:@127.0.0.1:1/nothing?charset=utf8mb4"
#: The machine's MariaDB, for tests that need one whatever the suite runs on.
MARIADB = "mysql+pymysql://root:@127.0.0.1:3306/test_prod?charset=utf8mb4"

_NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", "instance", ".env", "__pycache__", ".pytest_cache", ".ruff_cache"
)


def clean_env(**extra):
    """The environment minus anything that would choose settings, plus `extra`."""
    dropped = {name for name in vars(settings.base) if name.isupper()}
    dropped |= {"APP_SETTINGS", "TEST_DATABASE_URL"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith("FLASK_")
    }
    env.update(extra)
    return env


def run(args, cwd=REPO_ROOT, env=None, timeout=180):
    """Run `python <args>` with this interpreter; the completed process, text output."""
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=cwd,
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def manage(*args, cwd=REPO_ROOT, **env):
    """`python manage.py <args>` in `cwd` with the environment variables `env`."""
    return run([str(Path(cwd) / "manage.py"), *args], cwd=cwd, env=clean_env(**env))


def copy_project(destination):
    """A copy of the working tree (no .venv, .git, instance/ or .env) at `destination`."""
    shutil.copytree(REPO_ROOT, destination, ignore=_NOT_COPIED)
    return Path(destination)


def suite_database_url():
    return os.environ.get("TEST_DATABASE_URL", "")


def on_mysql():
    return suite_database_url().startswith("mysql")


@contextmanager
def scratch_database(tmp_path, suffix):
    """Yield the URL of an empty database of this test's own; drop it afterwards."""
    if not on_mysql():
        yield f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
        return
    url = sa.engine.make_url(suite_database_url())
    name = f"{url.database}_{suffix}"
    server = sa.create_engine(url.set(database=""), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
            connection.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


def table_names(url):
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def unique_name(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@contextmanager
def mariadb_database(name):
    """An empty MariaDB database of this test's own (not the suite's), dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    url = sa.engine.make_url(base if base.startswith("mysql") else MARIADB)
    url = url.set(database=f"{url.database}_{name}")
    server = sa.create_engine(url.set(database=""), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{url.database}`"))
        connection.execute(sa.text(f"CREATE DATABASE `{url.database}` CHARACTER SET utf8mb4"))
    try:
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{url.database}`"))
        server.dispose()
