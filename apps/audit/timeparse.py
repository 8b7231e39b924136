"""`since` / `until` bounds, shared by the API filters and `audit export`."""

import datetime as dt


def parse_bound(raw, upper):
    """(aware datetime, inclusive) for an ISO 8601 date or date-time; ValueError if neither.

    A bare date as an upper bound means the whole of that day: the bound is the
    next midnight, exclusive. Date-times without a zone are UTC.
    """
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            if upper:
                if day == dt.date.max:
                    return dt.datetime.max.replace(tzinfo=dt.UTC), True
                return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC), False
            return dt.datetime.combine(day, dt.time(), dt.UTC), True
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)  # year 1 at +14:00 is not a UTC date-time
    except (ValueError, OverflowError):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD) or date-time") from None
    return value, True
