"""The core's model signals: what a receiver gets, when, and what a failing one does."""

from contextlib import ExitStack

import pytest
import sqlalchemy as sa

from apps.accounts.models import Token, User
from apps.articles.models import Article, Tag
from project.model_events import (
    ChangeNotRecorded,
    UnrecordableStatement,
    model_changes_flushed,
)
from project.signals import model_created, model_deleted, model_updated


@pytest.fixture
def received():
    """Every model signal sent while the test runs, as (signal name, sender, payload)."""
    calls = []

    def receiver(name):
        def receive(sender, **payload):
            calls.append((name, sender, payload))

        return receive

    with ExitStack() as stack:
        for name, signal in [
            ("created", model_created),
            ("updated", model_updated),
            ("deleted", model_deleted),
            ("flushed", model_changes_flushed),
        ]:
            stack.enter_context(signal.connected_to(receiver(name)))
        yield calls


def author(db):
    user = User(email="a@example.com", username="a", password_hash="x", is_active=True)
    db.session.add(user)
    db.session.commit()
    return user


def test_a_create_is_sent_before_commit_with_every_field(db, received):
    tag = Tag(name="python")
    db.session.add(tag)

    def check_inside_transaction(sender, **payload):
        assert payload["session"].in_transaction()
        with db.engine.connect() as other:  # another connection does not see it yet
            assert other.execute(sa.select(sa.func.count()).select_from(Tag)).scalar() == 0

    with model_created.connected_to(check_inside_transaction):
        db.session.commit()

    (name, sender, payload), flushed = received[0], received[1]
    assert (name, sender, payload["instance"]) == ("created", Tag, tag)
    assert payload["changes"]["name"] == [None, "python"]
    assert payload["changes"]["id"] == [None, tag.id]
    assert (payload["object_id"], payload["object_repr"], payload["bulk"]) == (
        str(tag.id),
        "<Tag python>",
        False,
    )
    assert flushed[0] == "flushed"
    assert flushed[2]["batch"].changes[0].instance is tag


def test_an_update_carries_only_what_changed_old_values_even_after_expiry(db, received):
    tag = Tag(name="old")
    db.session.add(tag)
    db.session.commit()
    received.clear()
    db.session.expire(tag)  # the old value is not in memory any more
    tag.name = "new"
    db.session.commit()

    updates = [(n, p["changes"]) for n, _, p in received if n == "updated"]
    assert updates == [("updated", {"name": ["old", "new"]})]


def test_setting_the_same_value_sends_nothing(db, received):
    tag = Tag(name="same")
    db.session.add(tag)
    db.session.commit()
    received.clear()
    tag.name = "same"
    db.session.commit()
    assert received == []


def test_many_to_many_changes_are_a_field_of_the_owner(db, received):
    article = Article(title="T", slug="t", author_id=author(db).id, tags=[Tag(name="a")])
    db.session.add(article)
    db.session.commit()
    received.clear()
    article.tags = [Tag(name="b"), article.tags[0]]
    db.session.commit()

    changes = [p["changes"] for n, s, p in received if n == "updated" and s is Article]
    assert changes == [{"tags": [["a"], ["a", "b"]]}]


def test_a_delete_carries_the_last_values(db, received):
    tag = Tag(name="gone")
    db.session.add(tag)
    db.session.commit()
    received.clear()
    db.session.delete(tag)
    db.session.commit()

    (name, sender, payload) = received[0]
    assert (name, sender) == ("deleted", Tag)
    assert payload["changes"]["name"] == ["gone", None]


def test_policy_opt_out_exclude_mask_and_the_mask_setting(db, received, app, monkeypatch):
    user = author(db)
    db.session.add(Token(user_id=user.id, key_hash="h" * 64, expires_at=user.date_joined))
    monkeypatch.setattr(Tag, "__audit_exclude__", {"created_at", "updated_at"}, raising=False)
    monkeypatch.setattr(Tag, "__audit_mask__", {"name"}, raising=False)
    monkeypatch.setitem(app.config, "AUDIT_MASK_FIELDS", [*app.config["AUDIT_MASK_FIELDS"], "slug"])
    db.session.add(Tag(name="secret-name"))
    db.session.add(Article(title="T", slug="hidden", author_id=user.id))
    db.session.commit()

    senders = [s for n, s, _ in received if n != "flushed"]
    assert Token not in senders  # __audit__ = False
    tag = next(p["changes"] for n, s, p in received if s is Tag)
    assert tag == {"id": [None, tag["id"][1]], "name": [None, "***"]}
    article = next(p["changes"] for n, s, p in received if s is Article)
    assert article["slug"] == [None, "***"]
    assert next(p["changes"] for n, s, p in received if s is User)["password_hash"] == [
        None,
        "***",
    ]


def test_a_receiver_may_write_in_the_same_transaction(db):
    def shadow(sender, *, session, instance, **payload):
        if sender is Tag and not instance.name.startswith("shadow-"):
            session.add(Tag(name=f"shadow-{instance.name}"))

    with model_created.connected_to(shadow):
        db.session.add(Tag(name="x"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalars(sa.select(Tag.name)).all() == []
        db.session.add(Tag(name="y"))
        db.session.commit()

    assert sorted(db.session.scalars(sa.select(Tag.name))) == ["shadow-y", "y"]


def test_a_failing_receiver_aborts_the_flush(db):
    def broken(sender, **payload):
        raise KeyError("bug")

    with model_updated.connected_to(broken):
        tag = Tag(name="a")
        db.session.add(tag)
        db.session.commit()
        tag.name = "b"
        with pytest.raises(ChangeNotRecorded) as raised:
            db.session.commit()
        db.session.rollback()

    assert raised.value.code == 503
    assert isinstance(raised.value.__cause__, KeyError)
    assert db.session.scalars(sa.select(Tag.name)).all() == ["a"]


def test_bulk_statements_are_sent_row_by_row(db, received):
    db.session.add_all([Tag(name="a"), Tag(name="b")])
    db.session.commit()
    received.clear()
    db.session.execute(sa.update(Tag).values(name=Tag.name + "!"))
    db.session.commit()

    updates = sorted(
        (p["object_repr"], p["changes"]["name"], p["bulk"], p["instance"])
        for n, _, p in received
        if n == "updated"
    )
    assert updates == [
        ("<Tag a!>", ["a", "a!"], True, None),
        ("<Tag b!>", ["b", "b!"], True, None),
    ]


def test_bulk_statements_that_cannot_be_described_are_refused(db):
    user = author(db)
    joined = sa.update(Article).where(Article.author_id == User.id).values(title="x")
    with pytest.raises(UnrecordableStatement, match="reads other tables"):
        db.session.execute(joined)
    with pytest.raises(UnrecordableStatement, match="primary key"):
        db.session.execute(sa.update(Tag).values(id=5))
    db.session.rollback()
    # A table whose model opted out is left alone: tokens are purged in bulk.
    db.session.execute(sa.delete(Token).where(Token.user_id == user.id))


def test_a_failing_receiver_of_a_bulk_statement_rolls_the_transaction_back(db):
    db.session.add(Tag(name="kept"))
    db.session.commit()

    def broken(sender, **payload):
        raise RuntimeError("no room")

    db.session.add(Tag(name="same-transaction"))
    db.session.flush()
    with model_updated.connected_to(broken), pytest.raises(ChangeNotRecorded):
        db.session.execute(sa.update(Tag).values(name=Tag.name + "?"))
    db.session.commit()  # nothing left to commit: the whole transaction was rolled back

    assert db.session.scalars(sa.select(Tag.name)).all() == ["kept"]
