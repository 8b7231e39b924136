"""Savepoints belong to their transaction on every database, SQLite included.

pysqlite opens a transaction only before a write, so on SQLite a SAVEPOINT
sent first would open one itself, and its RELEASE would COMMIT: what the
savepoint wrote would stay although the transaction around it is rolled back.
"""

import sqlalchemy as sa

from apps.articles.models import Tag


def names(db):
    return db.session.scalars(sa.select(Tag.name).order_by(Tag.name)).all()


def test_a_savepoint_opened_before_any_write_is_rolled_back_with_its_transaction(db):
    with db.session.begin_nested():
        db.session.add(Tag(name="inside"))
    db.session.rollback()
    assert names(db) == []


def test_a_savepoint_opened_before_any_write_is_committed_with_its_transaction(db):
    with db.session.begin_nested():
        db.session.add(Tag(name="inside"))
    db.session.add(Tag(name="after"))
    db.session.commit()
    assert names(db) == ["after", "inside"]


def test_a_rolled_back_first_savepoint_leaves_the_transaction_going(db):
    savepoint = db.session.begin_nested()
    db.session.add(Tag(name="dropped"))
    db.session.flush()
    savepoint.rollback()
    db.session.add(Tag(name="kept"))
    db.session.commit()
    assert names(db) == ["kept"]
