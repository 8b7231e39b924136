"""The databases the bench runs on: create, seed, a token, ids to request, drop.

Seeding is the project's job (`manage.py db upgrade` + `manage.py articles
seed`), so every stack reads exactly the tables the framework's migrations make.
"""

import random
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select

from benchlib import REPO_DIR

MARIADB_SERVER = "mysql+pymysql://root:@127.0.0.1:3306/"
MARIADB_NAME = "bench"
SEED_ARGS = ["--articles", "10000", "--users", "100", "--tags", "50", "--tags-per-article", "3"]
SERVICES_SH = REPO_DIR.parent / "shared" / "services.sh"


@dataclass
class Database:
    kind: str  # "sqlite" | "mariadb"
    url: str
    tmpdir: Path | None = None

    def drop(self) -> None:
        if self.kind == "mariadb":
            _mariadb_admin(f"DROP DATABASE IF EXISTS `{MARIADB_NAME}`")
        elif self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def create(kind: str) -> Database:
    if kind == "sqlite":
        tmpdir = Path(tempfile.mkdtemp(prefix="bench-sqlite-"))
        return Database("sqlite", f"sqlite:///{tmpdir}/bench.db", tmpdir)
    _ensure_mariadb()
    _mariadb_admin(f"DROP DATABASE IF EXISTS `{MARIADB_NAME}`")
    _mariadb_admin(f"CREATE DATABASE `{MARIADB_NAME}` CHARACTER SET utf8mb4")
    return Database("mariadb", f"{MARIADB_SERVER}{MARIADB_NAME}?charset=utf8mb4")


def _mariadb_admin(sql: str) -> None:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _ensure_mariadb() -> None:
    """Start MariaDB with the shared services script if it is not answering."""
    import pymysql

    try:
        _mariadb_admin("SELECT 1")
        return
    except pymysql.err.OperationalError:
        if not SERVICES_SH.exists():
            raise
    print(f"MariaDB is not answering; running {SERVICES_SH} mariadb", flush=True)
    subprocess.run(["bash", str(SERVICES_SH), "mariadb"], timeout=300, check=False)
    _mariadb_admin("SELECT 1")


def seed(db: Database, env: dict, seed_script: Path | None, timeout: float = 900) -> None:
    """Create the tables and the data: the project's commands, or a stand-in script."""
    env = dict(env, DATABASE_URL=db.url)
    if seed_script is not None:
        commands = [[sys.executable, str(seed_script)]]
    elif (REPO_DIR / "manage.py").exists():
        manage = [sys.executable, "manage.py"]
        commands = [[*manage, "db", "upgrade"], [*manage, "articles", "seed", *SEED_ARGS]]
    else:
        raise RuntimeError(
            "manage.py does not exist yet, so the project cannot create and seed the tables. "
            "Pass --seed-script PATH (a script that creates the contract's tables and data "
            "at $DATABASE_URL) to develop the peers meanwhile."
        )
    for cmd in commands:
        print("  $", " ".join(cmd[1:]), flush=True)
        done = subprocess.run(
            cmd, cwd=REPO_DIR, env=env, timeout=timeout, capture_output=True, text=True
        )
        if done.returncode != 0:
            output = done.stdout[-2000:] + done.stderr[-4000:]
            raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{output}")


def make_token(db_url: str, user_id: int = 1) -> str:
    """A bearer token for user 1, inserted with SQL; returns the raw token.

    Hook: this belongs in a project command (e.g. `manage.py tokens create`);
    until it exists the row is written directly, hashed as the contract says.
    """
    from peers.contract import token_hash, utcnow
    from peers.core.tables import tokens

    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = {
        "user_id": user_id,
        "key_hash": token_hash(raw),
        "created_at": now,
        "expires_at": now + timedelta(days=1),
        "last_used_at": None,
    }
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(tokens).values(row))
    finally:
        engine.dispose()
    return raw


@dataclass
class Ids:
    detail: list[int]  # a spread of published article ids for GET detail
    own: list[int]  # articles by user 1, for PATCH
    total: int


def pick_ids(db_url: str, user_id: int = 1, spread: int = 1000) -> Ids:
    from peers.core.tables import articles

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            # Anonymous readers see published articles only (drafts answer 404).
            published = select(articles.c.id).where(articles.c.status == "published")
            all_ids = conn.execute(published).scalars().all()
            own = (
                conn.execute(
                    select(articles.c.id)
                    .where(articles.c.author_id == user_id)
                    .order_by(articles.c.id)
                )
                .scalars()
                .all()
            )
            total = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    finally:
        engine.dispose()
    if not all_ids or not own:
        raise RuntimeError(
            f"the seeded tables have {len(all_ids)} published articles, "
            f"{len(own)} by user {user_id}"
        )
    rng = random.Random(20260102)  # the same spread for every stack and run
    return Ids(rng.sample(all_ids, min(spread, len(all_ids))), own[:200], total)
