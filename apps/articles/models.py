"""Articles with tags (many-to-many) and comments, written by accounts' users."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from apps.accounts.models import User
from project.models import Model, db

article_tags = sa.Table(
    "articles_article_tags",
    db.metadata,
    sa.Column(
        "article_id", sa.ForeignKey("articles_article.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("tag_id", sa.ForeignKey("articles_tag.id", ondelete="CASCADE"), primary_key=True),
)


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Tag(Model):
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)

    def __repr__(self):
        return f"<Tag {self.name}>"


class Article(Model):
    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(220), unique=True)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=Status.DRAFT.value, index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts_user.id"), index=True)
    #: Bumped by every update; the UPDATE checks it, so two racing writers cannot both win.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    author: Mapped[User] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=article_tags, order_by=Tag.name)
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (sa.Index("ix_articles_article_created_at", "created_at"),)

    def __repr__(self):
        return f"<Article {self.slug}>"


class Comment(Model):
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles_article.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts_user.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)

    article: Mapped[Article] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()
