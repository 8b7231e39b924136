"""`manage.py audit verify` and `audit checkpoint`: any edit of the log is named."""

import itertools

import orjson
import pytest
import sqlalchemy as sa

from apps.articles.models import Tag
from apps.audit.chain import content_hash, entries, head
from apps.audit.checkpoints import log_path

_names = itertools.count()


def make_entries(db, count=5):
    """`count` entries, one per committed change."""
    for _ in range(count):
        db.session.add(Tag(name=f"tag-{next(_names)}"))
        db.session.commit()


def sql(db, statement, **params):
    with db.engine.begin() as connection:
        connection.execute(sa.text(statement), params)


def rows(db):
    with db.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(entries.select().order_by("id"))]


def rehash_from(db, first):
    """What an insider with database access does: recompute every hash from `first` on."""
    previous = None
    with db.engine.begin() as connection:
        for row in rows(db):
            if row["id"] < first:
                previous = row["hash"]
                continue
            row["prev_hash"] = previous
            row["hash"] = previous = content_hash(row)
            connection.execute(
                entries.update()
                .where(entries.c.id == row["id"])
                .values(prev_hash=row["prev_hash"], hash=row["hash"])
            )
        connection.execute(head.update().values(seq=row["id"], hash=previous))


def test_an_intact_log_verifies_with_its_head(db, manage):
    make_entries(db)
    result = manage("audit", "verify")

    assert result.exit_code == 0, result.stdout
    last = rows(db)[-1]
    assert result.stdout == f"OK 5 entries, head 5 {last['hash']}\n"
    assert "Verifying" in result.stderr


def test_an_empty_log_verifies(db, manage):
    result = manage("audit", "verify")
    assert result.exit_code == 0
    assert result.stdout == f"OK 0 entries, head 0 {'0' * 64}\n"


def test_editing_an_entry_with_raw_sql_is_a_content_fault(db, manage):
    make_entries(db)
    sql(
        db, "UPDATE audit_audit_entry SET changes = :c WHERE id = 3", c='{"name":[null,"innocent"]}'
    )

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 3: content fault")


def test_editing_an_entry_and_its_hash_breaks_the_next_link(db, manage):
    make_entries(db)
    row = rows(db)[2]
    row["actor_username"] = "someone-else"
    sql(
        db,
        "UPDATE audit_audit_entry SET actor_username = 'someone-else', hash = :h WHERE id = 3",
        h=content_hash(row),
    )

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 4: link fault")


def test_deleting_an_entry_is_a_sequence_fault(db, manage):
    make_entries(db)
    sql(db, "DELETE FROM audit_audit_entry WHERE id = 3")

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 4: sequence fault: entry 3 is missing")


def test_swapping_two_entries_is_an_order_fault(db, manage):
    make_entries(db)
    sql(db, "UPDATE audit_audit_entry SET id = 1000 WHERE id = 2")
    sql(db, "UPDATE audit_audit_entry SET id = 2 WHERE id = 3")
    sql(db, "UPDATE audit_audit_entry SET id = 3 WHERE id = 1000")

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 2: order fault: it holds the entry written as 3")


def test_cutting_off_the_tail_is_caught_by_the_head_row(db, manage):
    make_entries(db)
    sql(db, "DELETE FROM audit_audit_entry WHERE id > 3")

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 4: sequence fault")


def test_cutting_off_the_tail_and_fixing_the_head_is_caught_by_a_checkpoint(db, manage):
    make_entries(db)
    assert manage("audit", "checkpoint").exit_code == 0
    third = rows(db)[2]
    sql(db, "DELETE FROM audit_audit_entry WHERE id > 3")
    sql(db, "UPDATE audit_audit_chain_head SET seq = 3, hash = :h", h=third["hash"])

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 4: checkpoint fault")
    assert "covers entry 5 but the log ends at 3" in result.stdout


def test_rewriting_the_whole_log_with_recomputed_hashes_is_caught_by_a_checkpoint(db, manage):
    make_entries(db)
    assert manage("audit", "checkpoint").exit_code == 0
    sql(db, "UPDATE audit_audit_entry SET changes = :c WHERE id = 2", c='{"name":[null,"forged"]}')
    rehash_from(db, 2)

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 5: checkpoint fault")


def test_a_checkpoint_is_signed_and_checkpoints_only_grow(db, manage):
    make_entries(db, 2)
    first = manage("audit", "checkpoint")
    make_entries(db, 1)
    second = manage("audit", "checkpoint")

    assert first.exit_code == second.exit_code == 0
    assert second.stdout.startswith(f"Checkpoint 3 {rows(db)[-1]['hash']} signed")
    lines = [orjson.loads(line) for line in log_path().read_bytes().splitlines()]
    assert [line["seq"] for line in lines] == [2, 3]
    assert lines[1]["prev_mac"] == lines[0]["mac"]
    assert len(lines[0]["mac"]) == 64


def test_a_checkpoint_is_refused_on_a_damaged_chain(db, manage):
    make_entries(db)
    sql(db, "UPDATE audit_audit_entry SET object_repr = 'x' WHERE id = 4")

    result = manage("audit", "checkpoint")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL entry 4: content fault")
    assert not log_path().exists()


@pytest.mark.parametrize(
    ("damage", "reported"),
    [("edit", "line 2 of the checkpoint log has a bad signature"), ("drop_first_line", "line 1")],
)
def test_a_damaged_checkpoint_log_fails_verification(db, manage, damage, reported):
    make_entries(db, 1)
    manage("audit", "checkpoint")
    make_entries(db, 1)
    manage("audit", "checkpoint")
    lines = log_path().read_bytes().splitlines()
    if damage == "edit":
        lines[1] = lines[1].replace(b'"seq":2', b'"seq":1')
    else:
        lines = lines[1:]
    log_path().write_bytes(b"\n".join(lines) + b"\n")

    result = manage("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"FAIL checkpoint log: {reported}")


def test_a_checkpoint_needs_the_key_and_says_how_to_set_it(db, manage, app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_KEY", "")
    result = manage("audit", "checkpoint")
    assert result.exit_code == 2
    assert "AUDIT_CHECKPOINT_KEY is not set" in result.stderr
