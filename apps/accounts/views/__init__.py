"""The accounts app's routes: the JSON API, the staff's admin API and the pages."""

from . import admin, api, pages

__all__ = ["admin", "api", "pages"]
