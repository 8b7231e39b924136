"""Exceptions the framework raises at start-up."""


class ImproperlyConfigured(Exception):
    """The project is set up wrongly; the message says what to change.

    `manage.py` prints the message alone (one paragraph, no traceback) unless
    `--traceback` is given, so the message must name the cause and the fix.
    """
