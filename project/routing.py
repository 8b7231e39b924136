"""URL converters the project installs on every app."""

from werkzeug.routing import IntegerConverter

#: The largest value a signed 64-bit integer column holds (BIGINT, SQLite INTEGER).
MAX_ID = 2**63 - 1


class BoundedIntegerConverter(IntegerConverter):
    """`<int:id>` that only matches ids a database column can hold.

    SQLite raises OverflowError for a bound integer of 2**63 or more; with the
    bound, such a URL is simply not found (404) on every route and database.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def register_converters(app):
    app.url_map.converters["int"] = BoundedIntegerConverter
