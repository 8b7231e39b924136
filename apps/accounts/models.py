"""Users, groups, permissions and the bearer tokens that authenticate users.

Permissions are Django's: one row per codename `<app_label>.<action>_<model>`
(`articles.change_article`), created for every model of every installed app
by `sync_permissions()` (see permissions.py). A user holds a permission
directly or through one of its groups; an active superuser holds them all.

E-mails are stored lower-cased, and usernames compare without regard to case
(a case-insensitive collation), so the unique indexes refuse `Ann@x.org`
next to `ann@x.org` and `Ann` next to `ann` even when two requests race.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from project.models import Model, UTCDateTime, db, utcnow

#: Case-insensitive on both databases, so the unique index itself decides.
CaseInsensitiveName = (
    sa.String(150)
    .with_variant(sa.String(150, collation="NOCASE"), "sqlite")
    .with_variant(mysql.VARCHAR(150, collation="utf8mb4_unicode_ci"), "mysql", "mariadb")
)


def _link_table(name, left, right):
    """A many-to-many table `accounts_<name>` of two foreign keys, deleted with either side."""
    return sa.Table(
        f"accounts_{name}",
        db.metadata,
        *(
            sa.Column(
                f"{side}_id",
                sa.ForeignKey(f"accounts_{side}.id", ondelete="CASCADE"),
                primary_key=True,
            )
            for side in (left, right)
        ),
    )


user_groups = _link_table("user_groups", "user", "group")
user_permissions = _link_table("user_permissions", "user", "permission")
group_permissions = _link_table("group_permissions", "group", "permission")


class Permission(Model):
    """The right to do one action to one model: `articles.change_article`."""

    __audit__ = False  # rows derived from the code by sync_permissions, not user actions

    codename: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))

    def __repr__(self):
        return f"<Permission {self.codename}>"


class Group(Model):
    name: Mapped[str] = mapped_column(CaseInsensitiveName, unique=True)
    permissions: Mapped[list[Permission]] = relationship(
        secondary=group_permissions, order_by=Permission.codename
    )

    def __repr__(self):
        return f"<Group {self.name}>"


class User(Model):
    __audit_mask__ = {"password_hash"}

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    username: Mapped[str] = mapped_column(CaseInsensitiveName, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    is_active: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_superuser: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    date_joined: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP")
    )
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime())

    groups: Mapped[list[Group]] = relationship(secondary=user_groups, order_by=Group.name)
    user_permissions: Mapped[list[Permission]] = relationship(
        secondary=user_permissions, order_by=Permission.codename
    )

    @validates("email")
    def _lower_email(self, _key, value):
        return value.strip().lower() if isinstance(value, str) else value

    def get_all_permissions(self):
        """The codenames this user holds, directly or through its groups (one query, cached).

        The cache lives on this instance, which lives as long as the request's
        session: a change made in another request is seen by the next one.
        """
        cached = self.__dict__.get("_perm_cache")
        if cached is None:
            cached = self._perm_cache = frozenset(db.session.scalars(_codenames_of(self.id)))
        return cached

    def has_perm(self, codename):
        """True if this user may act under `codename`; an active superuser may do anything."""
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return codename in self.get_all_permissions()

    def forget_permissions(self):
        """Drop the cached permissions after changing this user's groups or permissions."""
        self.__dict__.pop("_perm_cache", None)

    def __repr__(self):
        return f"<User {self.username}>"


def _codenames_of(user_id):
    direct = (
        sa.select(Permission.codename)
        .join(user_permissions, user_permissions.c.permission_id == Permission.id)
        .where(user_permissions.c.user_id == user_id)
    )
    through_groups = (
        sa.select(Permission.codename)
        .join(group_permissions, group_permissions.c.permission_id == Permission.id)
        .join(user_groups, user_groups.c.group_id == group_permissions.c.group_id)
        .where(user_groups.c.user_id == user_id)
    )
    return sa.union(direct, through_groups)


class Token(Model):
    """A bearer token; only the SHA-256 of the raw value is stored.

    Not audited as rows: logins and logouts are audited as events (signals),
    and purging expired tokens is a bulk delete.
    """

    __audit__ = False

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts_user.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
