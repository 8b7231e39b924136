"""Walking the chain: the first entry that is wrong, and what kind of wrong.

Entries are read in id order, in chunks (keyset: `WHERE id > last LIMIT n`,
constant memory). For each entry, in this order:

- sequence: its id is the one after the previous (else entries are missing);
  the first id is 1, or the first kept after a signed archive;
- content:  its hash is the hash of its own fields (else it was edited); when
            the fields hash correctly under another id, the fault is *order*
            (entries were moved or swapped);
- link:     its prev_hash is the previous entry's hash (else the previous entry
            was replaced, hashes recomputed);
- order:    its time is not before the previous entry's;
- checkpoint: where a signed checkpoint pins this id, the hash matches it.

After the walk: the head row and the last checkpoint must not be beyond the
last entry (else the tail was cut off).
"""

from dataclasses import dataclass

import sqlalchemy as sa

from .chain import CONTENT_FIELDS, content_hash, entries, head
from .models import GENESIS

CHUNK = 20_000
_COLUMNS = [entries.c[name] for name in (*CONTENT_FIELDS, "hash")]
_HASH = len(CONTENT_FIELDS)
_ID = CONTENT_FIELDS.index("id")
_PREV = CONTENT_FIELDS.index("prev_hash")
_TIME = CONTENT_FIELDS.index("timestamp")


@dataclass
class Fault:
    entry_id: int
    kind: str
    message: str

    def __str__(self):
        return f"entry {self.entry_id}: {self.kind} fault: {self.message}"


@dataclass
class Result:
    count: int = 0
    head_id: int = 0
    head_hash: str = GENESIS
    fault: Fault | None = None


def bounds(connection):
    """(first id, last id) of the table; (None, None) when it is empty."""
    return tuple(
        connection.execute(sa.select(sa.func.min(entries.c.id), sa.func.max(entries.c.id))).one()
    )


def walk(connection, pins=None, starts=None, progress=None, chunk=CHUNK, start=None):
    """Verify the table; `pins` {seq: (hash, time)}, `starts` {first id: prev_hash}.

    `start=(id, prev_hash)` verifies only from that id on (after a checkpoint).
    """
    pins, starts = pins or {}, starts or {}
    result = Result()
    head_row = connection.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).first()
    first, _ = bounds(connection)
    if start is not None:
        expected, previous = start
    elif first is None:
        expected, previous = _empty_start(starts, head_row)
    elif first == 1:
        expected, previous = 1, GENESIS
    elif first in starts:
        expected, previous = first, starts[first]
    else:
        result.fault = Fault(
            first,
            "sequence",
            f"entries before {first} are missing and no signed archive holds them",
        )
        return result
    result.head_id, result.head_hash = expected - 1, previous
    previous_time = None
    last = expected - 1
    while True:
        query = sa.select(*_COLUMNS).where(entries.c.id > last).order_by(entries.c.id).limit(chunk)
        rows = connection.execute(query).all()
        if not rows:
            break
        for row in rows:
            fault = _check(connection, row, expected, previous, previous_time, pins, head_row)
            if fault is not None:
                result.fault = fault
                return result
            previous, previous_time = row[_HASH], row[_TIME]
            expected += 1
            result.count += 1
        last = rows[-1][_ID]
        result.head_id, result.head_hash = last, previous
        if progress is not None:
            progress(len(rows))
    result.fault = _tail_fault(result, head_row, pins)
    return result


def _empty_start(starts, head_row):
    seq = head_row[0] if head_row else 0
    if seq and seq + 1 in starts:
        return seq + 1, starts[seq + 1]
    return 1, GENESIS


def _check(connection, row, expected, previous, previous_time, pins, head_row):
    entry_id = row[_ID]
    if entry_id != expected:
        missing = expected if entry_id == expected + 1 else f"{expected} to {entry_id - 1}"
        return Fault(entry_id, "sequence", f"entry {missing} is missing before it")
    fields = dict(zip(CONTENT_FIELDS, row, strict=False))
    if content_hash(fields) != row[_HASH]:
        moved_from = _written_as(connection, fields, row[_HASH], head_row)
        if moved_from is not None:
            return Fault(
                entry_id, "order", f"it holds the entry written as {moved_from} (moved or swapped)"
            )
        return Fault(entry_id, "content", "its fields do not match its hash (edited)")
    if row[_PREV] != previous:
        return Fault(
            entry_id,
            "link",
            f"its prev_hash is not the hash of entry {entry_id - 1} "
            f"(that one was replaced or rehashed)",
        )
    if previous_time is not None and row[_TIME] < previous_time:
        return Fault(entry_id, "order", "its time is before the previous entry's")
    pin = pins.get(entry_id)
    if pin is not None and pin[0] != row[_HASH]:
        return Fault(
            entry_id,
            "checkpoint",
            f"its hash differs from the checkpoint signed at {pin[1]} (the log was rewritten)",
        )
    return None


def _written_as(connection, fields, digest, head_row):
    """The id under which these fields were hashed, if they were: the entry moved."""
    successor = connection.execute(
        sa.select(entries.c.id).where(entries.c.prev_hash == digest).limit(1)
    ).first()
    if successor is not None:
        candidate = successor[0] - 1
    elif head_row is not None and head_row[1] == digest:
        candidate = head_row[0]
    else:
        return None
    if content_hash(dict(fields, id=candidate)) == digest:
        return candidate
    return None


def _tail_fault(result, head_row, pins):
    last = result.head_id
    if head_row is not None and head_row[0] > last:
        return Fault(
            last + 1,
            "sequence",
            f"the chain head says {head_row[0]} entries were written but the log ends at {last} "
            f"(the tail was cut off)",
        )
    beyond = [seq for seq in pins if seq > last]
    if beyond:
        seq = max(beyond)
        return Fault(
            last + 1,
            "checkpoint",
            f"the checkpoint signed at {pins[seq][1]} covers entry {seq} but the log ends at "
            f"{last} (the tail was cut off)",
        )
    return None
