"""Every change to a model is an entry, written in the change's own transaction."""

import pytest
import sqlalchemy as sa

from apps.accounts.services import set_password
from apps.articles.models import Article, Comment, Tag
from apps.articles.services import tags_named
from apps.audit import chain
from apps.audit.models import AuditEntry
from apps.audit.writer import has_queued
from project.model_events import ChangeNotRecorded, UnrecordableStatement
from project.signals import model_created

from .conftest import entries, summary


def stamp(value):
    return value.isoformat()


def test_create_update_delete_give_exact_entries_and_diffs(db):
    tag = Tag(name="python")
    db.session.add(tag)
    db.session.commit()
    created = (tag.id, stamp(tag.created_at), stamp(tag.updated_at))
    tag.name = "py"
    db.session.commit()
    db.session.delete(tag)
    db.session.commit()

    tag_id, created_at, updated_at = created
    assert summary(db) == [
        (
            "create",
            "articles.Tag",
            str(tag_id),
            {
                "id": [None, tag_id],
                "name": [None, "python"],
                "created_at": [None, created_at],
                "updated_at": [None, updated_at],
            },
        ),
        ("update", "articles.Tag", str(tag_id), {"name": ["python", "py"]}),
        (
            "delete",
            "articles.Tag",
            str(tag_id),
            {
                "id": [tag_id, None],
                "name": ["py", None],
                "created_at": [created_at, None],
                "updated_at": [stamp(tag.updated_at), None],
            },
        ),
    ]
    log = entries(db)
    assert [e["object_repr"] for e in log] == ["<Tag python>", "<Tag py>", "<Tag py>"]
    assert {(e["actor_id"], e["actor_username"], e["outcome"]) for e in log} == {
        (None, "system", "success")
    }


def test_insert_then_update_in_one_transaction_gives_both_entries(db):
    tag = Tag(name="draft-name")
    db.session.add(tag)
    db.session.flush()
    tag.name = "final-name"
    db.session.commit()

    assert [(a, c.get("name")) for a, _, _, c in summary(db)] == [
        ("create", [None, "draft-name"]),
        ("update", ["draft-name", "final-name"]),
    ]


def test_several_flushes_in_one_transaction_each_give_their_entries(db):
    first = Tag(name="one")
    db.session.add(first)
    db.session.flush()
    db.session.add(Tag(name="two"))
    db.session.flush()
    db.session.delete(first)
    db.session.commit()

    assert [(a, t) for a, t, _, _ in summary(db)] == [
        ("create", "articles.Tag"),
        ("create", "articles.Tag"),
        ("delete", "articles.Tag"),
    ]
    assert [e["id"] for e in entries(db)] == [1, 2, 3]


def test_a_rolled_back_transaction_leaves_no_entry(db):
    db.session.add(Tag(name="never"))
    db.session.flush()
    assert has_queued(db.session())  # its entry waits for the commit
    db.session.rollback()

    assert entries(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 0
    db.session.add(Tag(name="later"))
    db.session.commit()  # the next transaction does not carry the dropped entry
    assert [c["name"][1] for _, _, _, c in summary(db)] == ["later"]


def test_entries_are_appended_at_commit_so_the_chain_is_locked_only_then(db):
    db.session.add(Tag(name="first"))
    db.session.flush()
    db.session.add(Tag(name="second"))
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    db.session.commit()

    assert [c["name"][1] for _, _, _, c in summary(db)] == ["first", "second"]
    assert [e["id"] for e in entries(db)] == [1, 2]


def test_a_rolled_back_savepoint_takes_only_its_own_entries(db):
    db.session.add(Tag(name="kept"))
    db.session.flush()
    savepoint = db.session.begin_nested()
    db.session.add(Tag(name="dropped"))
    db.session.flush()
    savepoint.rollback()
    db.session.add(Tag(name="kept-too"))
    db.session.commit()

    names = [c["name"][1] for _, _, _, c in summary(db)]
    assert names == ["kept", "kept-too"]
    assert [e["id"] for e in entries(db)] == [1, 2]  # no gap where the savepoint was


def test_a_savepoint_before_any_write_is_rolled_back_with_its_entries(db):
    with db.session.begin_nested():
        db.session.add(Tag(name="inside"))
    db.session.rollback()
    assert db.session.scalars(sa.select(Tag.name)).all() == []
    assert entries(db) == []


def test_a_tag_another_transaction_made_meanwhile_is_shared_and_logged_once(db):
    db.session.scalars(sa.select(Tag)).all()  # on MariaDB, this transaction's snapshot
    with db.engine.begin() as other:  # raw SQL: the racer's own entry is not this test's
        other.execute(Tag.__table__.insert().values(name="late"))
    tags = tags_named(["late", "fresh"])
    db.session.commit()

    assert [tag.name for tag in tags] == ["fresh", "late"]
    assert [(action, kind, changes["name"]) for action, kind, _, changes in summary(db)] == [
        ("create", "articles.Tag", [None, "fresh"])
    ]
    assert [e["id"] for e in entries(db)] == [1]


def test_a_failing_receiver_keeps_neither_the_change_nor_an_entry(db):
    def broken(sender, **payload):
        raise RuntimeError("the log is full")

    db.session.add(Tag(name="earlier"))
    db.session.commit()
    with model_created.connected_to(broken), pytest.raises(ChangeNotRecorded):
        db.session.add(Tag(name="unrecorded"))
        db.session.commit()
    db.session.rollback()

    assert db.session.scalars(sa.select(Tag.name)).all() == ["earlier"]
    assert [c["name"][1] for _, _, _, c in summary(db)] == ["earlier"]


def test_the_api_answers_503_with_the_request_id_when_the_change_cannot_be_recorded(
    client, db, make_user
):
    author = make_user()

    def broken(sender, **payload):
        raise RuntimeError("disk full")

    before = len(entries(db))
    with model_created.connected_to(broken):
        response = client.post("/api/articles", json={"title": "Lost"}, headers=author.headers)

    assert response.status_code == 503
    error = response.json["error"]
    assert error["code"] == "service_unavailable"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0
    assert len(entries(db)) == before


def test_an_append_that_fails_at_commit_keeps_the_change_out_too(
    client, db, make_user, monkeypatch
):
    author = make_user()
    before = len(entries(db))

    def full_disk(connection, new_entries):
        raise RuntimeError("disk full")

    monkeypatch.setattr(chain, "append", full_disk)
    monkeypatch.setattr(chain, "append_one", full_disk)  # one entry, on MySQL
    response = client.post("/api/articles", json={"title": "Lost"}, headers=author.headers)

    assert response.status_code == 503
    assert response.json["error"]["request_id"] == response.headers["X-Request-ID"]
    monkeypatch.undo()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0
    assert len(entries(db)) == before


def test_tag_changes_are_recorded_on_the_article_with_the_token_user_as_actor(
    client, db, make_user
):
    author = make_user("writer")
    created = client.post(
        "/api/articles", json={"title": "Tagged", "tags": ["b", "a"]}, headers=author.headers
    )
    article_id = created.json["id"]
    changed = client.patch(
        f"/api/articles/{article_id}", json={"tags": ["a", "c"]}, headers=author.headers
    )
    assert changed.status_code == 200

    updates = entries(db, action="update", object_type="articles.Article")
    assert [e["changes"] for e in updates] == [{"tags": [["a", "b"], ["a", "c"]]}]
    update = updates[0]
    assert (update["actor_id"], update["actor_username"]) == (author.id, "writer")
    assert update["request_id"] == changed.headers["X-Request-ID"]
    assert (update["method"], update["path"]) == ("PATCH", f"/api/articles/{article_id}")
    assert update["ip"] == "127.0.0.1"
    create = entries(db, action="create", object_type="articles.Article")[0]
    assert create["changes"]["tags"] == [None, ["a", "b"]]
    assert create["request_id"] == created.headers["X-Request-ID"]


def test_password_hashes_are_masked_in_every_entry(db, make_user):
    user = make_user("masked")
    set_password(user, "another-long-passphrase")
    db.session.commit()

    log = entries(db, object_type="accounts.User")
    assert log[0]["changes"]["password_hash"] == [None, "***"]
    assert log[-1]["changes"] == {"password_hash": ["***", "***"]}
    raw = db.session.scalars(sa.select(AuditEntry.changes)).all()
    assert not any(user.password_hash in text for text in raw)


def test_models_that_opt_out_or_exclude_fields_are_honoured(db, make_user, monkeypatch):
    user = make_user()  # its Token row is __audit__ = False
    assert entries(db, object_type="accounts.Token") == []
    monkeypatch.setattr(Tag, "__audit_exclude__", {"updated_at", "created_at"}, raising=False)
    db.session.add(Tag(name="quiet"))
    db.session.commit()

    tag = entries(db, object_type="articles.Tag")[0]
    assert set(tag["changes"]) == {"id", "name"}
    assert user.token not in str(entries(db))


def test_a_deleted_article_takes_its_comments_which_are_recorded_too(db, make_user):
    author = make_user()
    article = Article(title="T", slug="t", author_id=author.id)
    db.session.add(article)
    db.session.flush()
    db.session.add(Comment(article_id=article.id, author_id=author.id, body="hi"))
    db.session.commit()
    comment_id = db.session.scalar(sa.select(Comment.id))
    db.session.expunge_all()

    db.session.delete(db.session.get(Article, article.id))
    db.session.commit()

    deleted = [(t, i) for a, t, i, _ in summary(db) if a == "delete"]
    assert deleted == [("articles.Article", str(article.id)), ("articles.Comment", str(comment_id))]
    comment = entries(db, action="delete", object_type="articles.Comment")[0]
    assert comment["changes"]["body"] == ["hi", None]
    assert comment["extra"] == {"bulk": True}


def test_bulk_update_and_delete_are_recorded_row_by_row(db):
    db.session.add_all([Tag(name="a"), Tag(name="b"), Tag(name="keep")])
    db.session.commit()

    db.session.execute(sa.update(Tag).where(Tag.name.in_(["a", "b"])).values(name=Tag.name + "2"))
    db.session.execute(sa.delete(Tag).where(Tag.name == "a2"))
    db.session.commit()

    bulk = [(a, c.get("name")) for a, _, _, c in summary(db)[3:]]
    assert bulk == [
        ("update", ["a", "a2"]),
        ("update", ["b", "b2"]),
        ("delete", ["a2", None]),
    ]
    assert {e["extra"]["bulk"] for e in entries(db)[3:]} == {True}


def test_bulk_inserts_and_link_rows_are_recorded(db, make_user):
    author = make_user()
    db.session.execute(sa.insert(Tag), [{"name": "x"}, {"name": "y"}])
    article = Article(title="T", slug="t", author_id=author.id)
    db.session.add(article)
    db.session.flush()
    tag_ids = db.session.scalars(sa.select(Tag.id).order_by(Tag.name)).all()
    links = Article.tags.property.secondary
    db.session.execute(sa.insert(links), [{"article_id": article.id, "tag_id": i} for i in tag_ids])
    db.session.commit()

    assert [c["name"] for a, t, _, c in summary(db) if t == "articles.Tag"] == [
        [None, "x"],
        [None, "y"],
    ]
    link_update = entries(db, action="update", object_type="articles.Article")
    assert [e["changes"] for e in link_update] == [{"tags": [[], ["x", "y"]]}]


def test_a_bulk_statement_that_cannot_be_recorded_is_refused_before_it_runs(db):
    db.session.add(Tag(name="source"))
    db.session.commit()
    copy = sa.insert(Tag).from_select(["name"], sa.select(Tag.name + "-copy"))

    with pytest.raises(UnrecordableStatement, match=r"INSERT \.\.\. SELECT"):
        db.session.execute(copy)
    db.session.rollback()

    assert db.session.scalars(sa.select(Tag.name)).all() == ["source"]
