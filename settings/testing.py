"""The test suite: its own database (TEST_DATABASE_URL), no outside services."""

from settings.base import *
from settings.base import BASE_DIR

TESTING = True
SECRET_KEY = "testing-secret-key"
DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'testing.sqlite3'}"
LOG_LEVEL = "WARNING"
