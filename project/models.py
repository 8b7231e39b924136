"""What app models inherit: `Model` gives an integer key and timestamps.

from project.models import Model, db

class Poll(Model):
    question: Mapped[str] = mapped_column(String(200))
"""

from sqlalchemy.orm import Mapped, mapped_column

from .db import TimestampMixin, UTCDateTime, utcnow
from .extensions import db

__all__ = ["Model", "TimestampMixin", "UTCDateTime", "db", "utcnow"]


class Model(TimestampMixin, db.Model):
    """An abstract model: integer primary key, created_at, updated_at."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
