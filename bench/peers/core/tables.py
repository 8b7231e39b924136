"""The contract's tables as SQLAlchemy Core objects.

The project's migrations create the real tables; this mirrors them (types,
keys, indexes) so the core peer can bind and parse values, and so a throwaway
script can create look-alike tables while the project is not ready yet.
"""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql

# Naive UTC; microseconds kept on MariaDB too (plain DATETIME drops them).
UTCDateTime = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

metadata = MetaData()

users = Table(
    "accounts_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("is_staff", Boolean, nullable=False),
    Column("is_superuser", Boolean, nullable=False),
    Column("date_joined", UTCDateTime, nullable=False),
    Column("last_login", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

tokens = Table(
    "accounts_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("accounts_user.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
)

articles = Table(
    "articles_article",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("slug", String(220), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("author_id", Integer, ForeignKey("accounts_user.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

tags = Table(
    "articles_tag",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

article_tags = Table(
    "articles_article_tags",
    metadata,
    Column("article_id", Integer, ForeignKey("articles_article.id"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("articles_tag.id"), primary_key=True),
)

comments = Table(
    "articles_comment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles_article.id"), nullable=False),
    Column("author_id", Integer, ForeignKey("accounts_user.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
# Not in the contract's list: MariaDB indexes every FK by itself, SQLite does
# not, and without it every comment_count scans the whole comment table.
Index("ix_articles_comment_article_id", comments.c.article_id)
