"""`audit export` and `audit archive`: the log leaves the database whole and checkable."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import orjson
import sqlalchemy as sa

from apps.articles.models import Tag
from apps.audit.chain import entries as entry_table
from apps.audit.checkpoints import read_records

from .conftest import entries


def add_tags(db, *names):
    for name in names:
        db.session.add(Tag(name=name))
        db.session.commit()


def recompute(row):
    """The documented recipe, with the standard library only."""
    content = {k: v for k, v in row.items() if k != "hash"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_export_jsonl_streams_every_entry_with_hashes_anyone_can_check(db, manage, tmp_path):
    add_tags(db, "a", "b", "c")
    out = tmp_path / "log.jsonl"
    result = manage("audit", "export", "--format", "jsonl", "--output", str(out))

    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == [1, 2, 3]
    assert lines[0]["changes"]["name"] == [None, "a"]
    for line in lines:  # the stored JSON text is what was hashed
        line["changes"] = json.dumps(line["changes"], sort_keys=True, separators=(",", ":"))
        line["extra"] = json.dumps(line["extra"], sort_keys=True, separators=(",", ":"))
        assert recompute(line) == line["hash"]
    assert "Exporting" in result.stderr


def test_export_csv_with_a_time_range_and_it_is_recorded_with_the_given_actor(
    db, manage, make_user, tmp_path
):
    make_user("officer")
    add_tags(db, "a")
    now = datetime.now(UTC)
    out = tmp_path / "log.csv"
    since = (now - timedelta(minutes=5)).isoformat()
    result = manage(
        "audit", "export", "--format", "csv", "--since", since, "--output", str(out),
        "--as-user", "officer",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[-1]["object_repr"] == "<Tag a>"
    assert set(rows[0]) >= {"id", "timestamp", "action", "changes", "prev_hash", "hash"}
    exported = entries(db, action="audit_export")[0]
    assert exported["actor_username"] == "officer"
    assert exported["extra"]["count"] == len(rows)
    assert exported["extra"]["format"] == "csv"

    empty = manage("audit", "export", "--until", "2000-01-01", "--output", str(tmp_path / "e"))
    assert empty.exit_code == 0
    assert (tmp_path / "e").read_text() == ""
    assert manage("audit", "export", "--since", "soon").exit_code == 2


def backdate(db, first, last, when):
    with db.engine.begin() as connection:
        rows = connection.execute(entry_table.select().order_by("id")).mappings().all()
        previous = None
        from apps.audit.chain import content_hash

        for row in rows:
            row = dict(row)
            if first <= row["id"] <= last:
                row["timestamp"] = when + timedelta(seconds=row["id"])
            if previous is not None:
                row["prev_hash"] = previous
            row["hash"] = previous = content_hash(row)
            connection.execute(
                entry_table.update().where(entry_table.c.id == row["id"]).values(**row)
            )
        connection.execute(sa.text("UPDATE audit_audit_chain_head SET hash = :h"), {"h": previous})


def test_archive_moves_old_entries_to_a_file_and_the_rest_still_verifies(db, manage, tmp_path):
    add_tags(db, "old-1", "old-2", "new-1")
    backdate(
        db, 1, 2, datetime(2020, 1, 1, tzinfo=UTC)
    )  # a test-only rewrite, before any checkpoint
    out = tmp_path / "audit-2020.jsonl"

    result = manage("audit", "archive", "--before", "2021-01-01", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert "Archived entries 1 to 2 (2)" in result.stdout
    remaining = [e["id"] for e in entries(db)]
    assert remaining[0] == 3 and 1 not in remaining
    archived = entries(db, action="audit_archive")[0]
    assert (archived["extra"]["first"], archived["extra"]["last"]) == (1, 2)
    header = orjson.loads(out.read_bytes().splitlines()[0])
    assert header["prev_hash"] == "0" * 64 and header["count"] == 2
    assert [r["kind"] for r in read_records()] == ["archive"]

    verified = manage("audit", "verify")
    assert verified.exit_code == 0, verified.stdout
    assert verified.stdout.startswith(f"OK {len(remaining)} entries, head {remaining[-1]} ")
    checked = manage("audit", "verify-archive", str(out))
    assert checked.exit_code == 0, checked.stdout
    assert checked.stdout.startswith("OK 2 entries, 1 to 2")


def test_an_edited_archive_fails_and_deleting_entries_without_archive_is_caught(
    db, manage, tmp_path
):
    add_tags(db, "old", "new")
    backdate(db, 1, 1, datetime(2020, 1, 1, tzinfo=UTC))
    out = tmp_path / "a.jsonl"
    assert manage("audit", "archive", "--before", "2021-01-01", "--output", str(out)).exit_code == 0
    header, entry = out.read_bytes().splitlines()
    out.write_bytes(header + b"\n" + entry.replace(b"old", b"odd") + b"\n")
    assert manage("audit", "verify-archive", str(out)).exit_code == 1

    with db.engine.begin() as connection:
        connection.execute(entry_table.delete().where(entry_table.c.id == 2))
    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert "sequence fault" in result.stdout


def test_archive_without_the_checkpoint_key_deletes_nothing(db, manage, app, monkeypatch, tmp_path):
    add_tags(db, "old")
    backdate(db, 1, 1, datetime(2020, 1, 1, tzinfo=UTC))
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_KEY", "")

    result = manage("audit", "archive", "--before", "2021-01-01", "--output", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "AUDIT_CHECKPOINT_KEY is not set" in result.stderr
    assert [e["id"] for e in entries(db)] == [1]
    assert not (tmp_path / "x").exists()


def test_archive_defaults_to_the_retention_setting(db, manage, app, tmp_path):
    add_tags(db, "recent")
    assert app.config["AUDIT_RETENTION_DAYS"] == 180
    result = manage("audit", "archive", "--output", str(tmp_path / "x"))

    assert result.exit_code == 0
    assert result.stdout.startswith("No entries were written before ")
    assert len(entries(db)) == 1


def test_the_scheduled_retention_job_archives_what_is_past_retention(
    db, manage, app, monkeypatch, tmp_path
):
    from apps.audit.tasks import retention_archive

    add_tags(db, "old-1", "new-1")
    backdate(db, 1, 1, datetime(2020, 1, 1, tzinfo=UTC))
    monkeypatch.setitem(app.config, "AUDIT_ARCHIVE_DIR", str(tmp_path / "archives"))

    done = retention_archive()

    assert (done["first"], done["last"], done["count"]) == (1, 1, 1)
    (archived_file,) = (tmp_path / "archives").iterdir()
    assert archived_file.name.startswith("audit-before-")
    assert manage("audit", "verify-archive", str(archived_file)).exit_code == 0
    assert manage("audit", "verify").exit_code == 0
    assert entries(db, action="audit_archive")[0]["extra"]["count"] == 1
    assert retention_archive() is None  # nothing old is left
