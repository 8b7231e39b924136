"""Work the scheduler (or a command) runs: `take_checkpoint`, `retention_archive`.

SCHEDULED_JOBS = [
    {"name": "audit-checkpoint", "job": "apps.audit.tasks.take_checkpoint", "interval": 3600},
    {"name": "audit-archive", "job": "apps.audit.tasks.retention_archive", "cron": "7 4 * * *"},
]
"""

import datetime as dt
from pathlib import Path

from flask import current_app

from project.extensions import db

from . import archive, checkpoints, indexing
from .recording import record
from .verify import bounds, walk


class ChainBroken(Exception):
    """The chain does not verify; `fault` says where and how."""

    def __init__(self, fault):
        super().__init__(str(fault))
        self.fault = fault


def take_checkpoint():
    """Verify the entries since the last checkpoint, then sign and append a new one.

    Returns the appended record. Raises CheckpointError (no key, damaged log)
    or ChainBroken: a damaged chain is never signed.
    """
    checkpoints.signing_key()
    records = checkpoints.read_records()
    if records:
        problem = checkpoints.check_records([dict(r) for r in records], checkpoints.signing_key())
        if problem:
            raise checkpoints.CheckpointError(f"the checkpoint log is damaged: {problem}")
    pins, starts = checkpoints.checkpoints_and_archives(records)
    with db.engine.connect() as connection:
        result = walk(connection, pins, starts, start=_incremental_start(connection, pins))
    if result.fault is not None:
        raise ChainBroken(result.fault)
    return checkpoints.append_record(
        {"kind": "checkpoint", "seq": result.head_id, "hash": result.head_hash}
    )


def _incremental_start(connection, pins):
    """From the last checkpoint on, when its entry is still in the table; else everything."""
    if not pins:
        return None
    seq = max(pins)
    first, _ = bounds(connection)
    if first is None or seq < first:
        return None
    return seq + 1, pins[seq][0]


def retention_archive(now=None):
    """Move entries older than AUDIT_RETENTION_DAYS to a new file in AUDIT_ARCHIVE_DIR.

    The file carries the chain's boundary hashes (see `archive.archive`), so the
    entries left in the table still verify; the move is itself an audit entry.
    Returns what was archived, or None when no entry is old enough.
    """
    config = current_app.config
    now = now or dt.datetime.now(dt.UTC)
    before = now - dt.timedelta(days=config["AUDIT_RETENTION_DAYS"])
    indexing.file_all(db.engine)
    with db.engine.connect() as connection:
        if archive.last_before(connection, before) is None:
            return None
    directory = Path(config["AUDIT_ARCHIVE_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    output = directory / f"audit-before-{before:%Y%m%dT%H%M%SZ}.jsonl"
    done = archive.archive(db.engine, before, str(output))
    if done is not None:
        record(
            "audit_archive", **{k: done[k] for k in ("first", "last", "count", "file", "sha256")}
        )
    return done
