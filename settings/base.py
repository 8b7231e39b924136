"""Settings every environment starts from.

Each UPPERCASE name here can be overridden by an environment variable of the
same name (or a line in `.env`), parsed to the type of the default below.
"""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = str(BASE_DIR / "instance")

DEBUG = False
TESTING = False
SECRET_KEY = "insecure-development-key-change-me"

# Dotted packages, in dependency order: an app may rely on the ones above it.
INSTALLED_APPS = [
    "apps.accounts",
    "apps.articles",
]

# Django-style middleware, by dotted path. Request hooks run top-down,
# response hooks bottom-up.
MIDDLEWARE = [
    "project.middleware.RequestIdMiddleware",
    "project.middleware.RequestLogMiddleware",
    "project.middleware.SecurityHeadersMiddleware",
]

# Callables `backend(request) -> user | None` tried in order (see project/auth.py).
AUTHENTICATION_BACKENDS = [
    "apps.accounts.auth.bearer_token",
    "apps.accounts.auth.session_user",
]

DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'development.sqlite3'}"
# Seconds after which a pooled MySQL connection is replaced; below MySQL's
# default wait_timeout so a worker never hands out a connection the server closed.
DATABASE_POOL_RECYCLE = 280
DATABASE_ECHO = False

API_PREFIX = "/api"

HOST = "127.0.0.1"
PORT = 8000

LOG_LEVEL = "INFO"
LOG_FORMAT = "text"  # "text" for people, "json" for log collectors

# Headers added by SecurityHeadersMiddleware. HSTS is off unless > 0.
SECURE_HSTS_SECONDS = 0
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Set to true only for a throwaway production-like run (benchmarks, demos).
ALLOW_SQLITE_IN_PRODUCTION = False
