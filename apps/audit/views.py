"""The read-only audit API, for staff auditors. Reading it is itself recorded.

    GET /api/audit/entries                          newest first, filtered, paginated
    GET /api/audit/entries/<id>
    GET /api/audit/history/<object_type>/<object_id>    one object's life, oldest first

Filters: action, outcome, actor_id, object_type, object_id, request_id, since,
until (ISO 8601 dates or date-times; `until` with a bare date includes that
day). There is no write method: POST, PUT, PATCH and DELETE answer 405, for
superusers too.
"""

import sqlalchemy as sa
from flask import current_app, request

from project.auth import current_user
from project.errors import ValidationError
from project.extensions import db
from project.rest import Api, CursorPagination, IsStaff, ListResource, RetrieveResource

from . import api, indexing
from .models import AuditEntry
from .recording import record
from .schemas import AuditEntrySchema
from .timeparse import parse_bound
from .writer import holds_locks

VIEW_PERMISSION = "audit.view_auditentry"

#: Actions the framework writes; apps add theirs by recording them.
BUILTIN_ACTIONS = frozenset(
    {
        "create",
        "update",
        "delete",
        "login",
        "login_failed",
        "logout",
        "permission_denied",
        "password_changed",
        "password_reset_requested",
        "register",
        "activate",
        "audit_view",
        "audit_export",
        "audit_archive",
    }
)
OUTCOMES = ("success", "failure")

rest = Api(api)


def can_read_log(user):
    """Staff holding audit.view_auditentry. A superuser only through an explicit grant
    (a group such as `auditor`), unless AUDIT_ALLOW_SUPERUSER: separation of duties."""
    if user is None or not user.is_active or not user.is_staff:
        return False
    if user.is_superuser and not current_app.config.get("AUDIT_ALLOW_SUPERUSER", False):
        explicit = getattr(user, "get_all_permissions", None)
        return explicit is not None and VIEW_PERMISSION in explicit()
    return user.has_perm(VIEW_PERMISSION)


class CanReadAuditLog(IsStaff):
    message = "Only auditors may read the audit log."

    def has_permission(self, request, view):
        return can_read_log(current_user())


def _known_action(name):
    if name in BUILTIN_ACTIONS:
        return True
    query = sa.select(AuditEntry.id).where(AuditEntry.action == name).limit(1)
    return db.session.execute(query).first() is not None


class _AuditRead:
    """What every audit read shares: who may, and that the read is recorded."""

    model = AuditEntry
    schema = AuditEntrySchema
    permission_classes = [CanReadAuditLog]

    def recorded(self, response, target=None):
        record("audit_view", target=target, query=request.args.to_dict(flat=False))
        return response

    def indexed_entries(self):
        """SELECT of the entries, through the indexes once they hold every entry (SQLite)."""
        session = db.session()
        if holds_locks(session):  # a second connection would wait for this one's lock
            indexing.catch_up(session.connection())
        else:
            indexing.file_all(db.engine)
        return sa.select(AuditEntry).where(indexing.INDEXED)


class EntryList(_AuditRead, ListResource):
    cursor_pagination_class = CursorPagination
    filter_fields = {
        "action": ["eq"],
        "outcome": ["eq"],
        "actor_id": ["eq"],
        "object_type": ["eq"],
        "object_id": ["eq"],
        "request_id": ["eq"],
    }
    ordering_fields = ["timestamp"]
    ordering = ["-id"]

    def get_query(self):
        return self.indexed_entries()

    def allowed_parameters(self):
        return super().allowed_parameters() | {"since", "until"}

    def filter_query(self, query):
        errors = {}
        action = request.args.get("action")
        if action is not None and not _known_action(action):
            errors["action"] = [f"Unknown action {action[:64]!r}."]
        outcome = request.args.get("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            errors["outcome"] = [f"outcome must be one of: {', '.join(OUTCOMES)}."]
        if errors:
            raise ValidationError(errors, "Invalid filter.")
        for name, upper in (("since", False), ("until", True)):
            raw = request.args.get(name)
            if raw is None:
                continue
            try:
                value, inclusive = parse_bound(raw, upper)
            except ValueError as exc:
                raise ValidationError({name: [f"{name} {exc}."]}, "Invalid filter.") from None
            column = AuditEntry.timestamp
            if upper:
                query = query.where(column <= value if inclusive else column < value)
            else:
                query = query.where(column >= value)
        return super().filter_query(query)

    def get(self):
        return self.recorded(self.list())


class EntryDetail(_AuditRead, RetrieveResource):
    def get(self, id):
        return self.recorded(self.retrieve(id=id), (AuditEntry, id))


class ObjectHistory(_AuditRead, ListResource):
    ordering = ["id"]

    def get(self, object_type, object_id):
        self.object_type, self.object_id = object_type, object_id
        return self.recorded(self.list(), None)

    def get_query(self):
        return self.indexed_entries().where(
            AuditEntry.object_type == self.object_type, AuditEntry.object_id == self.object_id
        )


rest.add_resource(EntryList, "/entries")
rest.add_resource(EntryDetail, "/entries/<int:id>")
rest.add_resource(ObjectHistory, "/history/<string:object_type>/<path:object_id>")
