"""The user model other apps point at, and the bearer tokens that authenticate it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from project.models import Model, UTCDateTime, utcnow


class User(Model):
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    username: Mapped[str] = mapped_column(sa.String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    is_active: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_superuser: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    date_joined: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP")
    )
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self):
        return f"<User {self.username}>"


class Token(Model):
    """A bearer token; only the SHA-256 of the raw value is stored."""

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts_user.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
