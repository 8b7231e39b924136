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
    "apps.audit",
    "apps.articles",  # uses audit.record for its custom "publish" event
]
# Apps `manage.py check` insists on (production: the audit log).
REQUIRED_APPS = []

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
# `load(user_id) -> user | None`: who a background job or command acts for.
USER_LOADER = "apps.accounts.auth.load_user"

DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'development.sqlite3'}"
# Seconds after which a pooled MySQL connection is replaced; below MySQL's
# default wait_timeout so a worker never hands out a connection the server closed.
DATABASE_POOL_RECYCLE = 280
# A pooled MySQL connection idle this many seconds is pinged before use (one
# round trip); busier ones are used as they are (see project/pool.py).
DATABASE_PING_IDLE_SECONDS = 1.0
DATABASE_ECHO = False
# Seconds a SQLite writer waits for the database's single write lock.
SQLITE_BUSY_TIMEOUT = 30.0
# PRAGMAs run on every new SQLite connection. foreign_keys: SQLite ignores them
# otherwise. WAL: readers go on while a writer writes, and a commit appends to
# the log instead of rewriting pages; with synchronous=NORMAL it does so without
# an fsync per commit (a power cut can lose the last commits, never corrupt the
# file or keep half a transaction). Rails has defaulted to the same since 7.1.
SQLITE_PRAGMAS = {"foreign_keys": "ON", "journal_mode": "WAL", "synchronous": "NORMAL"}
# Writers to a SQLite file queue on a file lock beside it (`<file>-writegate`)
# instead of sleeping in SQLite's busy handler (see project/sqlite_gate.py).
SQLITE_WRITE_GATE = True

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

# Redis, shared by every process of a deployment: cache (one-time tokens),
# login rate limits and the job queue. Empty: in-process defaults, one process.
REDIS_URL = ""
# Where links in e-mails point (jobs have no request to take the host from).
SITE_URL = "http://127.0.0.1:8000"

# Cookies of the server-rendered pages (the JSON API uses bearer tokens only).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False

# Accounts (apps/accounts).
TOKEN_TTL_SECONDS = 7 * 24 * 3600  # bearer tokens
TOKEN_TOUCH_SECONDS = 60  # last_used_at is written at most this often per token
ONE_TIME_TOKEN_TTL_SECONDS = 24 * 3600  # activation and password-reset links
LOGIN_FAILURE_LIMIT = "5 per 15 minutes"  # per IP and per login; `limits` notation
PASSWORD_MIN_LENGTH = 10
# argon2id cost (argon2-cffi's defaults, RFC 9106 low-memory); changing them
# rehashes each password at its owner's next login.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536  # KiB
ARGON2_PARALLELISM = 4

# Mail (project/mail.py): "smtp", "console" (print + write under
# instance/mail/), "file" (write under MAIL_FILE_DIR only) or "memory" (tests).
MAIL_BACKEND = "console"
MAIL_DEFAULT_SENDER = "webmaster@localhost"
MAIL_FILE_DIR = str(BASE_DIR / "instance" / "mail")
MAIL_SERVER = "localhost"
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = ""
MAIL_PASSWORD = ""

# Background jobs (project/jobs.py). Eager: run inline, in this process, with
# the same API; also the case whenever REDIS_URL is empty.
JOBS_EAGER = False
JOBS_QUEUES = ["default"]
JOBS_RETRY_INTERVALS = [10, 60, 300]  # seconds before the 1st, 2nd, 3rd retry
JOBS_TIMEOUT = 300  # seconds a job may run before the worker kills it

# Deployment (gunicorn.conf.py, deploy/). Each gunicorn instance runs
# WEB_CONCURRENCY workers (default 2 x CPUs + 1); WEB_INSTANCES is how many
# instances (hosts, or ports behind nginx) serve this deployment, which is what
# `manage.py check` weighs against a missing REDIS_URL.
WEB_INSTANCES = 1
# Proxies in front of the app whose X-Forwarded-For/-Proto are believed
# (ProxyFix). 0: none, the socket's peer is the client. Behind nginx: 1.
TRUSTED_PROXY_COUNT = 0
# Seconds a Redis command may take before it counts as "Redis is down".
REDIS_SOCKET_TIMEOUT = 2.0
# Cache keys that hold state, not cached values (one-time tokens): a Redis
# failure on them is a 503, never a miss (project/rediscache.py).
CACHE_STATE_KEY_PREFIXES = ["accounts:"]
# After a Redis failure the cache is skipped (a miss) for this many seconds.
CACHE_RETRY_SECONDS = 5

# Observability (project/metrics.py): GET /metrics in Prometheus' format.
# Served only when enabled, to a bearer METRICS_TOKEN or to METRICS_ALLOWED_IPS
# (addresses or networks, as ProxyFix reports the client).
METRICS_ENABLED = False
METRICS_TOKEN = ""
METRICS_ALLOWED_IPS = ["127.0.0.1", "::1"]

# Scheduled jobs (project/schedule.py): each {"name", "job": dotted path,
# "interval": seconds | "cron": "m h dom mon dow", "args", "kwargs"}, run by
# `python manage.py scheduler` (one leader across all hosts; see project/scheduler.py).
SCHEDULED_JOBS = [
    {
        "name": "purge-expired-tokens",
        "job": "apps.accounts.services.purge_expired_tokens",
        "cron": "17 3 * * *",
    },
    # Signed checkpoints need AUDIT_CHECKPOINT_KEY; without it the job fails loudly.
    {"name": "audit-checkpoint", "job": "apps.audit.tasks.take_checkpoint", "interval": 3600},
    {"name": "audit-archive", "job": "apps.audit.tasks.retention_archive", "cron": "7 4 * * *"},
]
SCHEDULER_TIMEZONE = "UTC"
SCHEDULER_LOCK_TTL = 10  # seconds before a dead scheduler's lease passes to a standby
SCHEDULER_KEY_PREFIX = "scheduler"

# Audit log (apps/audit).
# Fields whose name contains one of these is recorded as "***" (changed, never the value).
AUDIT_MASK_FIELDS = ["password", "token", "secret", "key_hash", "api_key", "private_key"]
# A superuser reads the log only through the auditor group, unless this is true.
AUDIT_ALLOW_SUPERUSER = False
# `manage.py audit archive` moves entries older than this (MLPS 2.0: six months minimum).
AUDIT_RETENTION_DAYS = 180
# Signs `manage.py audit checkpoint`; set it in the environment, never in the database.
AUDIT_CHECKPOINT_KEY = ""
# Where signed checkpoints are appended, outside the database; copy it off-host too.
AUDIT_CHECKPOINT_DIR = str(BASE_DIR / "instance" / "audit-checkpoints")
# Where the scheduled retention job writes archive files (keep them off this host too).
AUDIT_ARCHIVE_DIR = str(BASE_DIR / "instance" / "audit-archives")
