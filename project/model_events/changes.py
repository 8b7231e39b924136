"""What one change looks like in a signal: the model's policy, readable values.

Policy, read from class attributes of the model (inherited like any attribute):

    class Token(Model):
        __audit__ = False                 # no change signals at all for this model
        __audit_exclude__ = {"last_used_at"}   # these fields never appear in `changes`
        __audit_mask__ = {"key_hash"}     # appear as "***": that they changed, never the value
        __audit_label__ = "codename"      # how a row is named in another's collection (`name`)

Fields whose name contains one of the fragments in the AUDIT_MASK_FIELDS
setting ("password", "token", "secret", ...) are masked too, so a new model
with a `reset_token` column is safe without anyone remembering to say so.

Values are made JSON-safe here (datetimes as ISO 8601, Decimals as strings,
...), so every receiver sees the same thing, and a many-to-many collection is
a sorted list of its members' `name` (else their primary key).
"""

import datetime as dt
import decimal
import enum
import logging
import math
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app, has_app_context

logger = logging.getLogger("project.model_events")

MASK = "***"
#: Used when the settings do not say (outside an app, or an old settings module).
DEFAULT_MASK_FIELDS = ("password", "token", "secret", "key_hash", "api_key", "private_key")
_REPR_LENGTH = 200
_LIBRARY_MODULES = ("sqlalchemy", "flask_sqlalchemy")


@dataclass(frozen=True)
class Policy:
    """How changes of one model are reported; built once per model and settings."""

    audited: bool
    #: Column attribute keys reported, in mapper order.
    columns: tuple
    #: Many-to-many relationship keys reported (one-to-many changes show on the child's FK).
    collections: tuple
    masked: frozenset


@dataclass
class Change:
    """One row created, updated or deleted; what the model signals carry."""

    model: type
    #: "create", "update" or "delete".
    action: str
    #: The primary key as text ("12"; "3,7" for a composite key); None when not known.
    object_id: str | None
    object_repr: str
    #: {field: [old, new]}, JSON-safe, policy applied.
    changes: dict
    #: The ORM object, or None for rows changed by a bulk statement or a database cascade.
    instance: object = None
    #: True for rows changed by a bulk statement or an ON DELETE rule of the database.
    bulk: bool = False


@dataclass
class ChangeBatch:
    """The changes of one flush or one bulk statement, sent together.

    `info` is scratch space for receivers that prefer one write per batch:
    collect into it from the per-change signals, act on `model_changes_flushed`.
    """

    changes: list = field(default_factory=list)
    info: dict = field(default_factory=dict)


def mask_fragments():
    if has_app_context():
        return _lowered(tuple(current_app.config.get("AUDIT_MASK_FIELDS", ())))
    return DEFAULT_MASK_FIELDS


@lru_cache(maxsize=32)
def _lowered(fragments):
    return tuple(f.lower() for f in fragments)


def policy_for(model):
    """The Policy of `model` under the current settings."""
    return _policy(
        model,
        bool(getattr(model, "__audit__", True)),
        frozenset(getattr(model, "__audit_exclude__", ()) or ()),
        frozenset(getattr(model, "__audit_mask__", ()) or ()),
        mask_fragments(),
    )


@lru_cache(maxsize=512)
def _policy(model, audited, exclude, mask, fragments):
    mapper = sa.inspect(model)
    columns = tuple(p.key for p in mapper.column_attrs if p.key not in exclude)
    collections = tuple(
        r.key
        for r in mapper.relationships
        if r.secondary is not None and not r.viewonly and r.key not in exclude
    )
    masked = frozenset(
        key
        for key in columns + collections
        if key in mask or any(fragment in key.lower() for fragment in fragments)
    )
    return Policy(audited, columns, collections, masked)


def jsonable(value):
    """`value` as something JSON can hold, the same way for every receiver."""
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value) if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


def masked_value(key, value, policy):
    if key in policy.masked:
        return None if value is None else MASK
    return jsonable(value)


def identity_text(values):
    """(1,) -> "1"; (3, 7) -> "3,7"; None anywhere -> None (not known yet)."""
    if values is None or any(v is None for v in values):
        return None
    return ",".join(str(v) for v in values)


def object_id_of(obj):
    values = sa.inspect(obj).dict
    return identity_text([values.get(key) for key in _primary_key_attributes(type(obj))])


@lru_cache(maxsize=512)
def _primary_key_attributes(cls):
    mapper = sa.inspect(cls)
    return tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


@lru_cache(maxsize=512)
def _defines_repr(cls):
    """True when the model (not SQLAlchemy or Flask-SQLAlchemy) says how to show itself."""
    for name in ("__str__", "__repr__"):
        owner = next(k for k in cls.__mro__ if name in vars(k))
        if owner is not object and not owner.__module__.startswith(_LIBRARY_MODULES):
            return True
    return False


def repr_of(obj, object_id=None):
    """str(obj) when the model defines a repr; else "Model <id>". At most 200 characters."""
    cls = type(obj)
    if _defines_repr(cls):
        try:
            return str(obj)[:_REPR_LENGTH]
        except Exception:  # a repr that reads what a bare row lacks: fall back to the key
            logger.debug("repr of %s failed", cls.__name__, exc_info=True)
    return f"{cls.__name__} {object_id if object_id is not None else '?'}"[:_REPR_LENGTH]


def row_repr(model, values, object_id):
    """The repr a row would have as an object, built without calling __init__."""
    mapper = sa.inspect(model)
    obj = mapper.class_manager.new_instance()
    for key, value in values.items():
        sa.orm.attributes.set_committed_value(obj, key, value)
    return repr_of(obj, object_id)


def label_of(obj):
    """How a member of a collection is named in `changes`: its `__audit_label__` field
    (default `name`) when that is text, else its primary key."""
    name = getattr(obj, getattr(type(obj), "__audit_label__", "name"), None)
    if isinstance(name, str):
        return name
    return object_id_of(obj)


def labels(objects):
    return sorted((label_of(o) for o in objects), key=lambda v: (v is None, str(v)))
