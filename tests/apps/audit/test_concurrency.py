"""Concurrent writers: the chain never forks and never gaps.

Each thread has its own app context, so its own session and connection, as
each gunicorn worker would. On MariaDB the writers meet on the chain head's
row lock; on SQLite on the database's write lock. Both must give one entry per
write, numbered 1..400 without a gap, and a chain that verifies.
"""

import threading

import sqlalchemy as sa

from apps.articles.models import Tag
from apps.audit.chain import ensure_head
from apps.audit.models import AuditEntry
from project.extensions import db as _db

THREADS = 8
WRITES = 50


def test_concurrent_writers_make_one_unbroken_chain(app, db, manage):
    barrier = threading.Barrier(THREADS)
    errors = []

    def writer(n):
        try:
            with app.app_context():
                if _db.engine.dialect.name == "sqlite":
                    # SQLite's busy handler is unfair: with the driver's default 5 s a
                    # writer can lose every race for that long and fail. Writers queue.
                    _db.session.execute(sa.text("PRAGMA busy_timeout = 60000"))
                    _db.session.commit()
                barrier.wait()
                for i in range(WRITES):
                    _db.session.add(Tag(name=f"w{n}-{i}"))
                    _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # reported below; a thread's exception would vanish
            errors.append(exc)

    with db.engine.begin() as connection:
        ensure_head(connection)  # as after a migration: the tests empty every table
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    ids = db.session.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.id)).all()
    assert ids == list(range(1, THREADS * WRITES + 1))
    created = db.session.scalars(sa.select(AuditEntry.object_id)).all()
    tags = db.session.scalars(sa.select(Tag.id)).all()
    assert sorted(created, key=int) == [str(i) for i in sorted(tags)]
    result = manage("audit", "verify")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith(f"OK {THREADS * WRITES} entries, head {THREADS * WRITES} ")
