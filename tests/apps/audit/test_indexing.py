"""On SQLite new entries join the log's indexes in batches; every read still finds them all."""

import orjson
import pytest
import sqlalchemy as sa

from apps.audit import chain, indexing
from apps.audit.models import AuditEntry
from project import extensions

from .entries import an_entry, migrated_app
from .test_api import add_tags


def _outside_the_indexes(db):
    with db.engine.connect() as connection:
        query = sa.select(AuditEntry.id).where(AuditEntry.in_indexes.is_(False))
        return connection.execute(query.order_by(AuditEntry.id)).scalars().all()


def _last_id(db):
    with db.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(AuditEntry.id))).scalar()


def test_entries_wait_outside_the_indexes_until_their_batch_is_complete(db, monkeypatch):
    monkeypatch.setattr(indexing, "BATCH", 3)
    indexing.file_all(db.engine)
    outside = []
    for name in ("a", "b", "c", "d", "e", "f", "g"):
        add_tags(db, name)
        outside.append(_outside_the_indexes(db))
    last = _last_id(db)
    if db.engine.dialect.name == "sqlite":
        # Appended outside; the commit that reaches a multiple of 3 files its batch.
        expected = [
            list(range(last_id // 3 * 3 + 1, last_id + 1)) for last_id in range(last - 6, last + 1)
        ]
        assert outside == expected
        assert [] in outside and any(len(ids) == 2 for ids in outside)
    else:  # MySQL/MariaDB: whole indexes, every entry in them from the start
        assert outside == [[]] * 7


def test_every_read_finds_the_entries_still_outside_the_indexes(
    client, db, auditor, manage, monkeypatch, tmp_path
):
    monkeypatch.setattr(indexing, "BATCH", 10**9)
    add_tags(db, "fresh")
    created = _last_id(db)
    if db.engine.dialect.name == "sqlite":
        assert _outside_the_indexes(db)[-1] == created  # not filed yet: the reads must do it
    listed = client.get(
        "/api/audit/entries?action=create&object_type=articles.Tag", headers=auditor.headers
    ).json["items"]
    history = client.get(
        f"/api/audit/history/articles.Tag/{listed[0]['object_id']}", headers=auditor.headers
    ).json["items"]
    out = tmp_path / "since.jsonl"
    export = manage("audit", "export", "--since", "2000-01-01", "--output", str(out))

    assert [item["id"] for item in listed] == [created]
    assert [item["id"] for item in history] == [created]
    assert export.exit_code == 0
    exported = [orjson.loads(line) for line in out.read_text().splitlines()]
    assert created in [row["id"] for row in exported]
    assert all("in_indexes" not in row for row in exported)
    assert "in_indexes" not in listed[0]


@pytest.fixture
def sqlite_log(tmp_path):
    with migrated_app(f"sqlite:///{tmp_path / 'log.sqlite3'}") as app:
        yield app


@pytest.mark.parametrize(
    "condition, index",
    [
        (AuditEntry.action == "login", "ix_audit_audit_entry_action_id"),
        (AuditEntry.actor_id == 7, "ix_audit_audit_entry_actor_id_id"),
        (AuditEntry.request_id == "req-1", "ix_audit_audit_entry_request_id"),
        (AuditEntry.object_type == "articles.Tag", "ix_audit_audit_entry_object"),
        (AuditEntry.timestamp >= sa.func.datetime("now"), "ix_audit_audit_entry_timestamp"),
    ],
)
def test_on_sqlite_reads_of_the_filed_entries_use_the_partial_indexes(sqlite_log, condition, index):
    with extensions.db.engine.begin() as connection:
        chain.append(connection, [an_entry() for _ in range(3)])
        query = sa.select(AuditEntry.id).where(indexing.INDEXED, condition)
        compiled = query.compile(connection)
        plan = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())
        ).all()
        indexes = connection.exec_driver_sql("PRAGMA index_list(audit_audit_entry)").all()
    assert index in " ".join(str(step) for step in plan)
    partial = {row[1] for row in indexes if row[4] == 1}  # the `partial` column
    assert index in partial
