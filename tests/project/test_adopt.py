"""`adopt`: a row read through Core becomes an ordinary persistent object."""

import sqlalchemy as sa

from apps.articles.models import Tag
from project.db import adopt, column_attributes
from project.signals import model_updated


def _row_of(db, tag_id):
    keys, columns = column_attributes(Tag)
    row = db.session.connection().execute(sa.select(*columns).where(Tag.id == tag_id)).one()
    return dict(zip(keys, row, strict=True))


def _saved_tag(db, name):
    tag = Tag(name=name)
    db.session.add(tag)
    db.session.commit()
    tag_id = tag.id
    db.session.expunge_all()
    return tag_id


def test_an_adopted_row_is_persistent_and_its_changes_flush_with_their_history(db):
    tag_id = _saved_tag(db, "python")
    updates = []

    def receive(sender, **payload):
        updates.append(payload["changes"])

    tag = adopt(db.session, Tag, _row_of(db, tag_id))
    assert sa.inspect(tag).persistent and not db.session.dirty
    assert db.session.get(Tag, tag_id) is tag  # the identity map holds it: no second load
    tag.name = "rust"
    with model_updated.connected_to(receive):
        db.session.commit()

    assert updates[0]["name"] == ["python", "rust"]
    db.session.expunge_all()
    assert db.session.get(Tag, tag_id).name == "rust"


def test_the_instance_a_session_already_holds_wins(db):
    tag_id = _saved_tag(db, "python")
    held = db.session.get(Tag, tag_id)
    held.name = "changed in this session"

    assert adopt(db.session, Tag, _row_of(db, tag_id)) is held
    assert held.name == "changed in this session"


def test_attributes_missing_from_the_row_load_on_first_use(db):
    tag_id = _saved_tag(db, "python")
    values = _row_of(db, tag_id)
    del values["name"]

    tag = adopt(db.session, Tag, values)
    assert "name" not in tag.__dict__
    assert tag.name == "python"
