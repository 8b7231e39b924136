"""What the audit API answers: every field of an entry, `changes` and `extra` as JSON."""

import orjson

from project.rest import Schema, fields


class JSONText(fields.Raw):
    """A column holding canonical JSON text, served as the JSON value it encodes."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else orjson.loads(value)


class AuditEntrySchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"description": "Sequence number in the chain."})
    timestamp = fields.DateTime(dump_only=True)
    action = fields.String(dump_only=True)
    outcome = fields.String(dump_only=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    actor_username = fields.String(dump_only=True, allow_none=True)
    ip = fields.String(dump_only=True, allow_none=True)
    user_agent = fields.String(dump_only=True, allow_none=True)
    request_id = fields.String(dump_only=True, allow_none=True)
    method = fields.String(dump_only=True, allow_none=True)
    path = fields.String(dump_only=True, allow_none=True)
    object_type = fields.String(dump_only=True, allow_none=True)
    object_id = fields.String(dump_only=True, allow_none=True)
    object_repr = fields.String(dump_only=True, allow_none=True)
    changes = JSONText(dump_only=True, metadata={"description": "{field: [old, new]}"})
    extra = JSONText(dump_only=True)
    prev_hash = fields.String(dump_only=True)
    hash = fields.String(dump_only=True)
