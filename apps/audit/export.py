"""Streaming the log out: JSON lines or CSV, constant memory, whatever its size.

Entries are read by id in chunks. Timestamps never go back along the chain,
so a time range is an id range: two indexed lookups find it, and the walk
never scans outside it. Every row carries its hashes, so an export can be
checked against the chain (see the hash recipe in `chain.py`).
"""

import csv

import orjson
import sqlalchemy as sa

from .chain import CONTENT_FIELDS, canonical_time, entries
from .indexing import INDEXED

CHUNK = 5_000
FIELDS = (*CONTENT_FIELDS, "hash")
_COLUMNS = [entries.c[name] for name in FIELDS]


def id_range(connection, since=None, until=None, until_inclusive=True):
    """(first id, last id) of the entries in [since, until]; (None, None) if there are none.

    With a bound, through the time index: on SQLite, `indexing.file_all` first.
    """
    low = sa.select(sa.func.min(entries.c.id))
    high = sa.select(sa.func.max(entries.c.id))
    if since is not None or until is not None:
        low, high = low.where(INDEXED), high.where(INDEXED)
    if since is not None:
        low = low.where(entries.c.timestamp >= since)
        high = high.where(entries.c.timestamp >= since)
    if until is not None:
        condition = entries.c.timestamp <= until if until_inclusive else entries.c.timestamp < until
        low, high = low.where(condition), high.where(condition)
    first = connection.execute(low).scalar()
    last = connection.execute(high).scalar()
    return (first, last) if first is not None else (None, None)


def rows_between(connection, first, last, chunk=CHUNK):
    """Each entry with first <= id <= last, as a dict, in id order, `chunk` rows per query."""
    after = first - 1
    while after < last:
        query = (
            sa.select(*_COLUMNS)
            .where(entries.c.id > after, entries.c.id <= last)
            .order_by(entries.c.id)
            .limit(chunk)
        )
        rows = connection.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield dict(zip(FIELDS, row, strict=True))
        after = rows[-1][0]


def as_jsonl(row, raw_json=False):
    """One line of JSON. `changes`/`extra` as objects, or as the stored text (`raw_json`)."""
    out = dict(row, timestamp=canonical_time(row["timestamp"]))
    if not raw_json:
        out["changes"] = orjson.loads(row["changes"])
        out["extra"] = orjson.loads(row["extra"])
    return orjson.dumps(out) + b"\n"


class CsvWriter:
    """CSV with a header row; `changes` and `extra` as their JSON text."""

    def __init__(self, handle):
        self.writer = csv.writer(handle)
        self.writer.writerow(FIELDS)

    def write(self, row):
        values = dict(row, timestamp=canonical_time(row["timestamp"]))
        self.writer.writerow(["" if values[f] is None else values[f] for f in FIELDS])
