"""The test suite: its own database (TEST_DATABASE_URL), no outside services."""

from settings.base import *
from settings.base import BASE_DIR

TESTING = True
SECRET_KEY = "testing-secret-key"
DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'testing.sqlite3'}"
LOG_LEVEL = "WARNING"
MAIL_BACKEND = "memory"
JOBS_EAGER = True
# Cheap argon2 parameters: the suite hashes hundreds of passwords.
ARGON2_TIME_COST = 1
ARGON2_MEMORY_COST = 1024
ARGON2_PARALLELISM = 1
# Every suite's client is 127.0.0.1: one suite's failed logins must not lock
# out the next. tests/apps/accounts puts the real limit back for its tests.
LOGIN_FAILURE_LIMIT = "1000 per 15 minutes"
AUDIT_CHECKPOINT_KEY = "testing-checkpoint-key"
