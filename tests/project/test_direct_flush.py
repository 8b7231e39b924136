"""`direct_flush.flush`: one new or changed object written by Core, as the ORM's flush would."""

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from apps.accounts.models import User
from apps.articles.models import Article, Tag, article_tags
from project import direct_flush
from project.model_events import ChangeNotRecorded
from project.signals import model_created, model_updated


@pytest.fixture
def author(db):
    user = User(email="a@example.com", username="a", password_hash="x", is_active=True)
    tags = [Tag(name="python"), Tag(name="sql")]
    db.session.add_all([user, *tags])
    db.session.commit()
    return user


def _tags(db):
    return db.session.scalars(sa.select(Tag).order_by(Tag.name)).all()


def _new_article(db, author, slug):
    article = Article(title=slug, slug=slug, body="b", author=author, tags=_tags(db), comments=[])
    db.session.add(article)
    return article


def _signals(signal):
    sent = []
    return sent, signal.connected_to(lambda sender, **payload: sent.append(payload))


def _without(changes, *keys):
    return {key: value for key, value in changes.items() if key not in keys}


def test_a_new_object_is_inserted_with_its_defaults_links_and_signal(db, author, count_queries):
    article = _new_article(db, author, "direct")
    direct_sent, connected = _signals(model_created)
    with connected, count_queries() as counter:
        direct_flush.flush(db.session)
    statements = [s.split()[0] for s in counter.statements]

    assert statements == ["INSERT", "INSERT"]  # the row, then both association rows at once
    state = sa.inspect(article)
    assert state.persistent and not db.session.new and not db.session.dirty
    assert (article.version, article.author_id) == (1, author.id)
    assert article.created_at is not None
    db.session.commit()
    row = db.session.execute(sa.select(Article.__table__).where(Article.id == article.id)).one()
    assert (row.slug, row.version, row.status, row.author_id) == ("direct", 1, "draft", author.id)
    links = db.session.execute(sa.select(article_tags.c.tag_id).order_by(article_tags.c.tag_id))
    assert [tag_id for (tag_id,) in links] == [tag.id for tag in _tags(db)]

    # What receivers get is what the unit of work's flush sends for the same object.
    orm_sent, connected = _signals(model_created)
    _new_article(db, author, "through-the-orm")
    with connected:
        db.session.flush()
    volatile = ("id", "slug", "title", "created_at", "updated_at")
    assert _without(direct_sent[0]["changes"], *volatile) == _without(
        orm_sent[0]["changes"], *volatile
    )
    assert direct_sent[0]["changes"]["tags"] == [None, ["python", "sql"]]
    assert direct_sent[0]["object_id"] == str(article.id)


def test_a_changed_column_is_updated_with_the_version_check_and_signal(db, author, count_queries):
    article = _new_article(db, author, "v1")
    db.session.commit()
    before = article.updated_at
    article.title = "second"
    sent, connected = _signals(model_updated)
    with connected, count_queries() as counter:
        direct_flush.flush(db.session)

    (statement,) = counter.statements
    assert statement.startswith("UPDATE") and "version" in statement.split("WHERE")[1]
    assert article.version == 2 and article.updated_at >= before
    assert not db.session.dirty
    assert sent[0]["changes"] == {"title": ["v1", "second"]}  # as the ORM's flush sends it
    db.session.commit()
    stored = db.session.execute(sa.select(Article.title, Article.version)).one()
    assert tuple(stored) == ("second", 2)


def test_an_update_of_a_row_changed_meanwhile_is_stale_and_rolled_back(db, author):
    article = _new_article(db, author, "raced")
    db.session.commit()
    assert article.version == 1  # read: the write below will check this version
    with db.engine.begin() as other:  # another writer moves the version first
        other.execute(sa.update(Article).values(version=Article.version + 1, body="theirs"))
    article.title = "mine"

    with pytest.raises(StaleDataError):
        direct_flush.flush(db.session)

    assert not db.session().in_transaction()
    stored = db.session.execute(sa.select(Article.title, Article.body)).one()
    assert tuple(stored) == ("raced", "theirs")


def test_a_value_set_back_to_what_it_was_sends_no_statement(db, author, count_queries):
    article = _new_article(db, author, "same")
    db.session.commit()
    article.title = "same"
    with count_queries() as counter:
        direct_flush.flush(db.session)
    assert counter.count == 0
    assert not db.session.dirty and article.version == 1


def test_a_failing_receiver_leaves_neither_the_row_nor_the_session_half_written(db, author):
    _new_article(db, author, "refused")

    def fail(sender, **payload):
        raise RuntimeError("receiver down")

    with model_created.connected_to(fail), pytest.raises(ChangeNotRecorded):
        direct_flush.flush(db.session)

    assert not db.session.new
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_a_duplicate_key_rolls_back_and_the_session_works_again(db, author):
    _new_article(db, author, "taken")
    db.session.commit()
    _new_article(db, author, "taken")

    with pytest.raises(sa.exc.IntegrityError):
        direct_flush.flush(db.session)

    assert not db.session.new
    _new_article(db, author, "free")
    direct_flush.flush(db.session)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 2


def test_other_writes_go_through_the_unit_of_work(db, author):
    """A new related object, two objects, or an unknown before_flush listener: the ORM flushes."""
    calls = []

    def listener(session, flush_context, instances):
        calls.append(sorted(type(obj).__name__ for obj in session.new))

    article = _new_article(db, author, "with-a-new-tag")
    article.tags.append(Tag(name="new"))
    sa.event.listen(db.session, "before_flush", listener)
    try:
        direct_flush.flush(db.session)
    finally:
        sa.event.remove(db.session, "before_flush", listener)

    assert calls == [["Article", "Tag"]]
    db.session.commit()
    assert sorted(tag.name for tag in article.tags) == ["new", "python", "sql"]
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(article_tags))
    assert stored == 3
