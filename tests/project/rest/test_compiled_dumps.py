"""The compiled dumper and the read plan give exactly what marshmallow's dump gives."""

import datetime as dt

import pytest
import sqlalchemy as sa
from marshmallow import fields, post_dump

from apps.accounts.models import User
from apps.articles.models import Article, Comment, Tag
from apps.articles.schemas import ArticleSchema, AuthorSchema
from project.rest import Schema
from project.rest import fields as rest_fields
from project.rest.dump import dumper_for
from project.rest.plan import ReadPlan


@pytest.fixture
def articles(db):
    alice = User(email="a@example.com", username="alice", is_active=True)
    python, flask = Tag(name="python"), Tag(name="flask")
    rows = [
        Article(
            title="One",
            slug="one",
            body="b",
            status="published",
            author=alice,
            tags=[python, flask],
        ),
        Article(title="Two", slug="two", body="", status="draft", author=alice, tags=[]),
    ]
    db.session.add_all(rows)
    db.session.flush()
    db.session.add(Comment(article_id=rows[0].id, author_id=alice.id, body="c"))
    db.session.commit()
    return rows


class EverythingSchema(Schema):
    id = fields.Integer()
    title = fields.String(data_key="headline")
    version = fields.Integer(as_string=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(format="%Y-%m-%d")
    status = fields.Raw()
    author = fields.Nested(AuthorSchema)
    tags = fields.Pluck("TagNameSchema", "name", many=True)
    comment_count = rest_fields.RelatedCount("comments")
    shout = fields.Method("get_shout")

    def get_shout(self, obj):
        return obj.title.upper()


class TagNameSchema(Schema):
    name = fields.String()


def reference(schema, objects):
    """What marshmallow gives, with the counts filled in the way the plan does."""
    return [schema.dump(obj) for obj in objects]


def test_compiled_dumper_equals_marshmallow(db, articles):
    schema = EverythingSchema()
    for article in articles:
        assert dumper_for(schema)(article) == schema.dump(article)


def test_compiled_dumper_handles_dicts_and_missing_attributes(db):
    schema = AuthorSchema()
    assert dumper_for(schema)({"id": 1, "username": "x"}) == {"id": 1, "username": "x"}

    class Partial:
        id = 3

    assert dumper_for(schema)(Partial()) == schema.dump(Partial()) == {"id": 3}


def test_a_value_of_another_type_is_converted_as_marshmallow_would(db):
    class Loose:
        id = "7"
        username = 42

    assert dumper_for(AuthorSchema())(Loose()) == {"id": 7, "username": "42"}


def test_read_plan_rows_equal_marshmallow_dump_of_objects(db, articles):
    schema = ArticleSchema()
    plan = ReadPlan(Article, schema)
    assert plan.plannable, plan.reason
    query = sa.select(Article).order_by(Article.id)
    rows = plan.fetch(query)
    db.session.expire_all()
    objects = db.session.scalars(query).all()
    assert rows == reference(schema, objects)
    assert rows[0]["comment_count"] == 1 and rows[1]["tags"] == []


def test_a_schema_the_plan_cannot_express_falls_back_to_objects(db, articles, count_queries):
    schema = EverythingSchema()
    plan = ReadPlan(Article, schema)
    assert not plan.plannable
    assert "shout" in plan.reason
    query = sa.select(Article).order_by(Article.id)
    db.session.expire_all()  # a request starts with an empty session
    with count_queries() as counter:
        dumped = plan.fetch_objects(query)
    assert counter.count == 2  # article + author + counts, then tags (select-in)
    db.session.expire_all()
    assert dumped == reference(schema, db.session.scalars(query).all())


def test_schemas_with_dump_hooks_use_marshmallow_itself(db, articles):
    class Hooked(Schema):
        title = fields.String()

        @post_dump
        def wrap(self, data, **kwargs):
            return {"wrapped": data}

    schema = Hooked()
    assert dumper_for(schema)(articles[0]) == {"wrapped": {"title": "One"}}
    assert not ReadPlan(Article, schema).plannable


def test_datetimes_are_aware_utc_with_microseconds(db, articles):
    row = ReadPlan(Article, ArticleSchema()).fetch(sa.select(Article).limit(1))[0]
    parsed = dt.datetime.fromisoformat(row["created_at"])
    assert parsed.utcoffset() == dt.timedelta(0)
    stored = db.session.get(Article, row["id"]).created_at
    assert parsed == stored and stored.microsecond == articles[0].created_at.microsecond


def test_a_nested_list_with_dump_hooks_is_not_compiled_without_them(db, articles):
    class LoudComment(Schema):
        body = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {"body": data["body"].upper()}

    class WithComments(Schema):
        id = fields.Integer()
        comments = fields.Nested(LoudComment, many=True)

    schema = WithComments()
    plan = ReadPlan(Article, schema)
    assert not plan.plannable
    assert "dump hooks" in plan.reason
    db.session.expire_all()
    dumped = plan.fetch_objects(sa.select(Article).order_by(Article.id))
    assert dumped[0]["comments"] == [{"body": "C"}]


def test_a_lookup_read_equals_the_query_narrowed_by_hand(db, articles):
    """`fetch_one(query, lookup)` adds the lookup to `query`: same rows, same snapshot."""
    plan = ReadPlan(Article, ArticleSchema())
    published = sa.select(Article).where(Article.status == "published")
    for article in articles:
        by_hand = plan.fetch_one(published.where(Article.id == article.id))
        looked_up = plan.fetch_one(published, ("id", Article.id, article.id))
        assert looked_up[0] == by_hand[0]
        assert (looked_up[1] and looked_up[1].version) == (by_hand[1] and by_hand[1].version)
    assert plan.fetch_one(published, ("id", Article.id, articles[0].id))[0]["title"] == "One"
    assert plan.fetch_one(published, ("id", Article.id, articles[1].id)) == (None, None)
    assert plan.fetch_one(published, ("id", Article.id, 10**9)) == (None, None)


def test_a_snapshot_reads_like_the_object_and_is_in_no_session(db, articles):
    _body, snapshot = ReadPlan(Article, ArticleSchema()).fetch_one(
        sa.select(Article), ("id", Article.id, articles[0].id)
    )
    assert (snapshot.id, snapshot.title, snapshot.author_id) == (
        articles[0].id,
        "One",
        articles[0].author_id,
    )
    assert sa.inspect(snapshot).transient
    assert snapshot not in db.session
