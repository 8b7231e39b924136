"""Conditional requests: ETag / If-None-Match for reads, If-Match for writes.

A model with a version column (`__mapper_args__ = {"version_id_col": ...}`)
gets the ETag `"<version>"`; SQLAlchemy then adds `WHERE version = <read>` to
its UPDATE, so of two writers holding the same version only one can win.
Other models get an ETag hashed from the body.
"""

import hashlib

import sqlalchemy as sa
from flask import request

from project.errors import APIError


def version_of(obj):
    mapper = sa.inspect(type(obj))
    column = mapper.version_id_col
    if column is None:
        return None
    return getattr(obj, mapper.get_property_by_column(column).key)


def bump_version(obj):
    """Give a write that changed only relationships (an article's tags) a new version too.

    SQLAlchemy moves the version only when it UPDATEs the row, and a change of
    a many-to-many collection alone does not: the ETag would stay the same
    for a changed resource and If-Match would not guard that change. Setting
    the next version makes the flush UPDATE the row (checking the version read,
    as ever, and moving `onupdate` columns such as `updated_at`).
    """
    state = sa.inspect(obj)
    mapper = state.mapper
    column = mapper.version_id_col
    if column is None or mapper.version_id_generator is False or state.key is None:
        return
    changed = state.committed_state.keys()
    if not changed or any(key in mapper.column_attrs for key in changed):
        return
    key = mapper.get_property_by_column(column).key
    setattr(obj, key, mapper.version_id_generator(getattr(obj, key)))


def etag_for(obj, body=None):
    """The entity tag of `obj` (without quotes)."""
    version = version_of(obj)
    if version is not None:
        return f"v{version}"
    return hashlib.sha256(body).hexdigest()[:32]


def not_modified(etag):
    """True when the client's If-None-Match already holds this ETag."""
    return bool(request.if_none_match) and request.if_none_match.contains_weak(etag)


def require_match(etag):
    """412 when If-Match is given and names another version."""
    if_match = request.if_match
    if not if_match:
        return
    if if_match.star_tag or if_match.contains(etag):
        return
    raise APIError(
        412,
        "precondition_failed",
        "The resource was changed since you read it (If-Match does not match). "
        "Fetch it again and retry.",
    )
