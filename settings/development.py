"""A laptop: SQLite under instance/, debug pages, readable logs."""

from settings.base import *

DEBUG = True
LOG_LEVEL = "DEBUG"
