"""What goes in and out of the articles API: one schema per use case."""

from marshmallow import validate

from project.rest import Schema, fields

from .models import Status

TITLE = validate.Length(min=1, max=200)
TAG_NAME = fields.String(validate=[validate.Length(min=1, max=50), validate.Regexp(r"^\S(.*\S)?$")])


class AuthorSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)


class TagSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=TAG_NAME.validators)


class ArticleSchema(Schema):
    """The public shape of an article."""

    id = fields.Integer(dump_only=True)
    title = fields.String()
    slug = fields.String(dump_only=True)
    body = fields.String()
    status = fields.String()
    author = fields.Nested(AuthorSchema, dump_only=True)
    tags = fields.Pluck(TagSchema, "name", many=True)
    comment_count = fields.RelatedCount("comments")
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ArticleCreateSchema(Schema):
    title = fields.String(required=True, validate=TITLE)
    body = fields.String(load_default="", validate=validate.Length(max=100_000))
    status = fields.String(
        load_default=Status.DRAFT.value, validate=validate.OneOf([s.value for s in Status])
    )
    tags = fields.List(
        fields.String(validate=TAG_NAME.validators),
        load_default=list,
        validate=validate.Length(max=20),
    )


class ArticleUpdateSchema(ArticleCreateSchema):
    """PUT replaces every field; PATCH (partial) any subset."""


class CommentSchema(Schema):
    id = fields.Integer(dump_only=True)
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    author = fields.Nested(AuthorSchema, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
