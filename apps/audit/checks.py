"""System checks of the audit app (`python manage.py check`)."""

from project.checks import Error

PRODUCTION_LIKE = ("production", "staging")


def check_checkpoint_key(app):
    """In production, a log without signed checkpoints cannot show a rewrite or a cut tail."""
    if app.config.get("AUDIT_CHECKPOINT_KEY") or app.config["SETTINGS_NAME"] not in PRODUCTION_LIKE:
        return []
    return [
        Error(
            "audit.E001",
            "AUDIT_CHECKPOINT_KEY is not set: audit checkpoints cannot be signed.",
            "Set AUDIT_CHECKPOINT_KEY to a long random secret kept outside the database "
            "(not in settings files in the repository), and run `manage.py audit checkpoint` "
            "regularly.",
        )
    ]
