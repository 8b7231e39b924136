"""Real users: JSON logs, HSTS, and no unsafe defaults."""

from settings.base import *
from settings.base import SECRET_KEY as _DEFAULT_SECRET_KEY

DEBUG = False
LOG_FORMAT = "json"
SECURE_HSTS_SECONDS = 31536000
# `manage.py check` fails if the audit log is not installed.
REQUIRED_APPS = ["apps.audit"]
# The session cookie of the pages travels over HTTPS only.
SESSION_COOKIE_SECURE = True
MAIL_BACKEND = "smtp"


def validate(config):
    """Return the problems that make this configuration unsafe to serve."""
    problems = []
    if config["SECRET_KEY"] == _DEFAULT_SECRET_KEY or len(config["SECRET_KEY"]) < 16:
        problems.append(
            "SECRET_KEY is the development default (or shorter than 16 characters). "
            "Set the SECRET_KEY environment variable to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    if config["DATABASE_URL"].startswith("sqlite") and not config["ALLOW_SQLITE_IN_PRODUCTION"]:
        problems.append(
            "DATABASE_URL points at SQLite. Set DATABASE_URL to your MySQL/MariaDB server "
            "(mysql+pymysql://user:pass@host:3306/db?charset=utf8mb4), or set "
            "ALLOW_SQLITE_IN_PRODUCTION=true for a throwaway run."
        )
    return problems
