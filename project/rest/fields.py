"""marshmallow's fields, plus the few a REST layer over SQLAlchemy needs."""

from marshmallow import fields as _fields
from marshmallow.fields import *  # noqa: F403 - `from project.rest import fields` is the one import

from project.extensions import db


class RelatedCount(_fields.Integer):
    """How many rows a to-many relationship holds, e.g. an article's comments.

        comment_count = RelatedCount("comments")

    Lists read it with a correlated COUNT subquery in the same statement as
    the rows, so a page costs no extra query per item.
    """

    def __init__(self, relationship, **kwargs):
        kwargs.setdefault("dump_only", True)
        super().__init__(**kwargs)
        self.relationship = relationship

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self._serialize(count_related(obj, attr, self.relationship), attr, obj)


def count_related(obj, attr, relationship):
    """The count for `obj`: precomputed on the object, from a loaded collection, or a query."""
    state = db.inspect(obj)
    if attr in state.dict:
        return state.dict[attr]
    if relationship in state.dict:
        return len(state.dict[relationship])
    if state.pending or state.transient:
        return 0
    prop = state.mapper.relationships[relationship]
    parent_column, child_column = prop.synchronize_pairs[0]
    parent_key = prop.parent.get_property_by_column(parent_column).key
    source = prop.secondary if prop.secondary is not None else prop.mapper.local_table
    query = (
        db.select(db.func.count())
        .select_from(source)
        .where(child_column == getattr(obj, parent_key))
    )
    return db.session.execute(query).scalar_one()
