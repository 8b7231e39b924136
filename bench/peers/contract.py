"""The few rules of the API contract that every stack must apply identically.

Kept in one place so the two peers cannot drift apart on a detail (a slug
rule, a datetime format) and produce different JSON.
"""

import hashlib
import re
from datetime import UTC, datetime

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
STATUSES = ("draft", "published")

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(title: str) -> str:
    """Lowercase, runs of non-alphanumerics to '-', stripped, at most 200 chars.

    Stripped again after the cut, and "article" when nothing is left: the
    framework's rule (apps/articles/services.py).
    """
    return _NOT_ALNUM.sub("-", title.lower()).strip("-")[:200].strip("-") or "article"


def iso_utc(value: datetime) -> str:
    """ISO 8601 of a naive-UTC (or aware) datetime, ending in +00:00.

    isoformat() omits the fraction when microsecond is 0; every stack does.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value.astimezone(UTC).isoformat()


def utcnow() -> datetime:
    """Naive UTC now, microsecond precision: what the tables store."""
    return datetime.now(UTC).replace(tzinfo=None)


def token_hash(raw_token: str) -> str:
    """accounts_token.key_hash: hex sha256 of the raw bearer token."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The raw token of an ``Authorization: Bearer <token>`` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def page_link(page: int, size: int) -> str:
    """next/previous links are path + query, not absolute URLs."""
    return f"/api/articles?page={page}&size={size}"
