"""The audit log: every change, login and refused access, chained so edits show.

    from apps import audit

    audit.record("report_sent", target=report, recipients=3)   # a custom event

    @audit.audited("publish")                                   # on a resource method
    def post(self, id): ...

    with audit.acting_as(user): ...                             # jobs and commands

Entries come from signals: the core's model signals (every flush; appended
when its transaction commits, in that transaction) and the accounts events.
`python manage.py audit verify` checks the chain and the signed checkpoints;
see `chain.py` for how appenders are serialized, and `cli.py` for
checkpoint, export and archive.

Removing "apps.audit" from INSTALLED_APPS turns all of this off: `record` and
`audited` then do nothing, so apps that use them keep working.
"""

from flask import Blueprint

from project.apps import AppConfig

from .context import acting_as, as_user_option
from .recording import audited, record

__all__ = ["AuditConfig", "acting_as", "as_user_option", "audited", "record"]

api = Blueprint("audit_api", __name__, url_prefix="/api/audit")

DEFAULTS = {
    "AUDIT_MASK_FIELDS": ["password", "token", "secret", "key_hash", "api_key", "private_key"],
    "AUDIT_ALLOW_SUPERUSER": False,
    "AUDIT_RETENTION_DAYS": 180,
    "AUDIT_CHECKPOINT_KEY": "",
    "AUDIT_CHECKPOINT_DIR": None,  # instance/audit-checkpoints
}

_listening = False


class AuditConfig(AppConfig):
    label = "audit"
    blueprints = [api]

    def ready(self, app):
        import sqlalchemy as sa

        from project.checks import register_check
        from project.extensions import db

        from . import checks, signals, writer

        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        if not app.config["AUDIT_CHECKPOINT_DIR"]:
            app.config["AUDIT_CHECKPOINT_DIR"] = f"{app.instance_path}/audit-checkpoints"
        app.extensions["audit"] = self
        signals.connect()
        global _listening
        if not _listening:
            sa.event.listen(db.session, "before_commit", writer.before_commit)
            sa.event.listen(db.session, "after_soft_rollback", writer.after_soft_rollback)
            sa.event.listen(db.session, "after_transaction_end", writer.after_transaction_end)
            _listening = True
        register_check(checks.check_checkpoint_key)
