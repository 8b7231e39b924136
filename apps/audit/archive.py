"""Moving old entries out of the database into a file that still verifies.

    python manage.py audit archive --before 2026-01-01 --output audit-2025.jsonl

Never a silent delete. In this order:

1. the whole chain is verified (a damaged chain is not archived);
2. entries from the first one up to the last one written before `--before`
   are streamed to `FILE.part`: a header (boundaries: the hash before the
   first entry and the hash of the last), then one JSON line per entry with
   `changes`/`extra` as the exact stored text, so every hash recomputes;
3. the file is fsynced, renamed to FILE, read back and verified;
4. a signed line of kind "archive" is appended to the checkpoint log: where
   the chain now starts (`first_kept`, the `prev_hash` it links to) and the
   file's SHA-256; `verify` accepts a chain starting there only because of it;
5. the archived entries are deleted in one transaction;
6. an `audit_archive` entry records who archived what.

A crash before 5 leaves every entry in place (the file is then a copy); the
signed line only ever allows a start the file accounts for.
"""

import hashlib
import os
from pathlib import Path

import orjson
import sqlalchemy as sa

from .chain import content_hash, entries
from .checkpoints import append_record, checkpoints_and_archives, read_records, signing_key
from .export import as_jsonl, rows_between
from .indexing import INDEXED, file_all
from .models import GENESIS
from .verify import bounds, walk

FORMAT = "audit-archive/1"


class ArchiveError(Exception):
    """Archiving was refused or failed; nothing was deleted."""


def last_before(connection, before):
    """The last entry id written before `before` (exclusive), or None.

    Through the time index: on SQLite, `indexing.file_all` first.
    """
    query = sa.select(sa.func.max(entries.c.id)).where(INDEXED, entries.c.timestamp < before)
    return connection.execute(query).scalar()


def archive(engine, before, output, progress=None):
    """Archive the entries written before `before` into `output`; returns the header."""
    output = Path(output)
    if output.exists():
        raise ArchiveError(f"{output} exists; choose a new file (an archive is never overwritten).")
    signing_key()  # without it the archive line cannot be signed: refuse before any work
    file_all(engine)
    records = read_records()
    pins, starts = checkpoints_and_archives(records)
    with engine.connect() as connection:
        result = walk(connection, pins, starts)
        if result.fault is not None:
            raise ArchiveError(f"The chain does not verify ({result.fault}); not archiving it.")
        first, _ = bounds(connection)
        last = last_before(connection, before)
        if first is None or last is None:
            return None
        prev_hash = _prev_hash(connection, first, starts)
        last_hash = connection.execute(
            sa.select(entries.c.hash).where(entries.c.id == last)
        ).scalar_one()
        header = {
            "format": FORMAT,
            "first": first,
            "last": last,
            "count": last - first + 1,
            "prev_hash": prev_hash,
            "last_hash": last_hash,
            "before": before.isoformat(),
        }
        digest = _write(connection, output, header, first, last, progress)
    checked = verify_file(output)
    if checked != header:
        raise ArchiveError(f"{output} does not verify after writing; nothing was deleted.")
    append_record(
        {
            "kind": "archive",
            "first_kept": last + 1,
            "prev_hash": last_hash,
            "archived_first": first,
            "archived_last": last,
            "file": output.name,
            "sha256": digest,
        }
    )
    with engine.begin() as connection:
        connection.execute(entries.delete().where(entries.c.id <= last))
    return dict(header, sha256=digest, file=str(output))


def _prev_hash(connection, first, starts):
    if first == 1:
        return GENESIS
    return starts[first]


def _write(connection, output, header, first, last, progress):
    partial = output.with_name(output.name + ".part")
    digest = hashlib.sha256()
    with partial.open("wb") as handle:
        for chunk in _lines(connection, header, first, last, progress):
            digest.update(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    partial.rename(output)
    return digest.hexdigest()


def _lines(connection, header, first, last, progress):
    yield orjson.dumps(header, option=orjson.OPT_SORT_KEYS) + b"\n"
    for row in rows_between(connection, first, last):
        yield as_jsonl(row, raw_json=True)
        if progress is not None:
            progress(1)


def verify_file(path):
    """The header of an archive file whose every entry verifies; ArchiveError otherwise."""
    with Path(path).open("rb") as handle:
        try:
            header = orjson.loads(handle.readline())
        except orjson.JSONDecodeError:
            raise ArchiveError(f"{path} is not an audit archive (no header).") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ArchiveError(f"{path} is not an audit archive ({FORMAT}).")
        expected, previous, count = header["first"], header["prev_hash"], 0
        for line in handle:
            row = orjson.loads(line)
            problem = _problem(row, expected, previous)
            if problem:
                raise ArchiveError(f"{path}: entry {row.get('id')}: {problem}.")
            previous, expected, count = row["hash"], expected + 1, count + 1
    if count != header["count"] or previous != header["last_hash"]:
        raise ArchiveError(f"{path}: holds {count} entries ending in {previous}, not the header's.")
    return header


def _problem(row, expected, previous):
    if row.get("id") != expected:
        return f"sequence fault (expected id {expected})"
    if content_hash(row) != row.get("hash"):
        return "content fault (fields do not match the hash)"
    if row.get("prev_hash") != previous:
        return "link fault (prev_hash is not the previous entry's hash)"
    return None


def signed_line_for(digest):
    """The archive line of the checkpoint log that names this file's SHA-256, or None."""
    for record in read_records():
        if record.get("kind") == "archive" and record.get("sha256") == digest:
            return record
    return None


def file_digest(path):
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
