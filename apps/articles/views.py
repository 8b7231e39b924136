"""The articles API: a dozen declarations per resource, the layer does the rest."""

import sqlalchemy as sa

from apps import audit
from project.auth import current_user
from project.errors import APIError
from project.extensions import db
from project.rest import (
    Api,
    CursorPagination,
    Filter,
    GenericResource,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
    ListCreateResource,
    RetrieveUpdateDestroyResource,
    marshal_with,
)

from . import api
from .models import Article, Comment, Status, Tag
from .permissions import IsAuthorOrStaff
from .schemas import (
    ArticleCreateSchema,
    ArticleSchema,
    ArticleUpdateSchema,
    CommentSchema,
    TagSchema,
)
from .services import tags_named, unique_slug

rest = Api(api)


# Built once: a statement object that is used again keeps its memoized cache
# key, which the read plans look their final statements up by.
_ALL_ARTICLES = sa.select(Article)
_PUBLISHED_ARTICLES = _ALL_ARTICLES.where(Article.status == Status.PUBLISHED.value)


def visible_articles():
    """Published articles, plus the caller's own drafts; staff see everything."""
    user = current_user()
    if user is None:
        return _PUBLISHED_ARTICLES
    if user.is_staff:
        return _ALL_ARTICLES
    return _ALL_ARTICLES.where(
        sa.or_(Article.status == Status.PUBLISHED.value, Article.author_id == user.id)
    )


class ArticleList(ListCreateResource):
    model = Article
    schema = ArticleSchema
    create_schema = ArticleCreateSchema
    permission_classes = [IsAuthenticatedOrReadOnly]
    cursor_pagination_class = CursorPagination
    filter_fields = {
        "status": ["eq"],
        "author_id": ["eq"],
        "tag": Filter("tags.name", ["eq"]),
        "created_at": ["gte", "lte"],
    }
    ordering_fields = ["created_at", "title"]
    ordering = ["-id"]
    search_fields = ["title", "body"]

    def get_query(self):
        return visible_articles()

    def perform_create(self, data):
        article = Article(
            title=data["title"],
            slug=unique_slug(data["title"]),
            body=data["body"],
            status=data["status"],
            author=current_user(),
            tags=tags_named(data["tags"]),
            comments=[],
        )
        db.session.add(article)
        return article


class ArticleDetail(RetrieveUpdateDestroyResource):
    model = Article
    schema = ArticleSchema
    update_schema = ArticleUpdateSchema
    permission_classes = [IsAuthenticatedOrReadOnly & IsAuthorOrStaff]

    def get_query(self):
        return visible_articles()

    def perform_update(self, article, data):
        if "tags" in data:
            article.tags = tags_named(data.pop("tags"))
        for key, value in data.items():
            setattr(article, key, value)
        return article


class CommentList(ListCreateResource):
    model = Comment
    schema = CommentSchema
    permission_classes = [IsAuthenticatedOrReadOnly]
    ordering = ["id"]

    def article(self, article_id):
        found = db.session.execute(
            visible_articles().with_only_columns(Article.id).where(Article.id == article_id)
        ).first()
        if found is None:
            raise APIError(404, "not_found", "No article matches that id.")
        return article_id

    def get(self, article_id):
        self.article_id = self.article(article_id)
        return self.list()

    def post(self, article_id):
        self.article_id = self.article(article_id)
        return self.create()

    def get_query(self):
        return sa.select(Comment).where(Comment.article_id == self.article_id)

    def perform_create(self, data):
        comment = Comment(body=data["body"], article_id=self.article_id, author=current_user())
        db.session.add(comment)
        return comment


class TagList(ListCreateResource):
    model = Tag
    schema = TagSchema
    ordering_fields = ["name"]
    ordering = ["name"]
    search_fields = ["name"]


rest.add_resource(ArticleList, "/articles")
rest.add_resource(ArticleDetail, "/articles/<int:id>")
rest.add_resource(CommentList, "/articles/<int:article_id>/comments")
rest.add_resource(TagList, "/tags")


class ArticlePublish(GenericResource):
    """POST /api/articles/<id>/publish: the author (or staff) publishes an article.

    A custom audit event (see apps/audit): publishing is recorded as "publish",
    in the same transaction as the status change. Without the audit app it does
    nothing.
    """

    model = Article
    schema = ArticleSchema
    permission_classes = [IsAuthenticated & IsAuthorOrStaff]

    def get_query(self):
        return visible_articles()

    @audit.audited("publish")
    @marshal_with(ArticleSchema)
    def post(self, id):
        article = self.get_object(id=id)
        article.status = Status.PUBLISHED.value
        db.session.commit()
        return article


rest.add_resource(ArticlePublish, "/articles/<int:id>/publish")

# The pages read through the resources above, so they are imported after them.
from . import page_views  # noqa: E402, F401
