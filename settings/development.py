"""A laptop: SQLite under instance/, debug pages, readable logs."""

from settings.base import *

DEBUG = True
LOG_LEVEL = "DEBUG"
JOBS_EAGER = True
METRICS_ENABLED = True  # from 127.0.0.1 only (METRICS_ALLOWED_IPS)
