"""Signed checkpoints of the chain, kept outside the database.

The hash chain shows an edited or deleted entry, but not an insider who
rewrites the whole table recomputing every hash, nor one who cuts off the
tail. A checkpoint pins the chain: `(seq, hash of entry seq, time)` signed with
HMAC-SHA256 under AUDIT_CHECKPOINT_KEY, a key the database never holds, and
appended to `AUDIT_CHECKPOINT_DIR/checkpoints.jsonl`. Verification then
requires entry `seq` to exist with that hash, for every checkpoint.

Each line also carries the MAC of the line before it, so lines cannot be
removed from the middle or reordered, and seq never decreases ("checkpoints
only grow"). An archive (`archive.py`) appends a signed line of kind
"archive" saying where the chain now starts. Copy the file elsewhere too
(another host, WORM storage): whoever can delete its last lines can hide a
truncation that happened after them.
"""

import fcntl
import hashlib
import hmac
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
from flask import current_app

LOG_NAME = "checkpoints.jsonl"


class CheckpointError(Exception):
    """Checkpoints cannot be written or read as configured; the message says what to set."""


def signing_key():
    key = current_app.config.get("AUDIT_CHECKPOINT_KEY") or ""
    if not key:
        raise CheckpointError(
            "AUDIT_CHECKPOINT_KEY is not set. Set it (environment variable or settings) to a "
            "long random secret kept outside the database, e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`, and keep it where the database's admins "
            "cannot read it."
        )
    return key.encode()


def log_path():
    return Path(current_app.config["AUDIT_CHECKPOINT_DIR"]) / LOG_NAME


def sign(record, key):
    body = {k: v for k, v in record.items() if k != "mac"}
    return hmac.new(
        key, orjson.dumps(body, option=orjson.OPT_SORT_KEYS), hashlib.sha256
    ).hexdigest()


def now_text():
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def read_records(path=None):
    """Every line of the checkpoint log, parsed; [] when there is none yet.

    A line that is not JSON comes back as {"kind": "unreadable", "line": n}, which
    `check_records` reports.
    """
    path = path or log_path()
    if not path.exists():
        return []
    records = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
                if not isinstance(record, dict):
                    raise ValueError
            except ValueError:
                record = {"kind": "unreadable"}
            record["_line"] = number
            records.append(record)
    return records


def check_records(records, key):
    """The first problem with the log itself, as text; None when every line is sound."""
    previous_mac, previous_seq, previous_time = "", 0, ""
    for record in records:
        line = record.pop("_line", "?")
        if record.get("kind") not in ("checkpoint", "archive"):
            return f"line {line} of the checkpoint log is not a checkpoint"
        if not hmac.compare_digest(str(record.get("mac", "")), sign(record, key)):
            return f"line {line} of the checkpoint log has a bad signature (edited, or another key)"
        if record.get("prev_mac", "") != previous_mac:
            return f"line {line} of the checkpoint log does not follow the line before it"
        seq = record.get("seq", previous_seq) if record["kind"] == "checkpoint" else previous_seq
        if seq < previous_seq or record.get("time", "") < previous_time:
            return f"line {line} of the checkpoint log goes back (seq {seq} after {previous_seq})"
        previous_mac, previous_seq, previous_time = record["mac"], seq, record.get("time", "")
    return None


@contextmanager
def _locked_log():
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one appender at a time: each line chains the last
        try:
            yield path, handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def append_record(record):
    """Sign `record`, chain it to the last line and append it durably; returns it."""
    key = signing_key()
    with _locked_log() as (path, handle):
        records = read_records(path)
        problem = check_records([dict(r) for r in records], key)
        if problem:
            raise CheckpointError(f"Not appending to a damaged checkpoint log: {problem}.")
        last = records[-1] if records else {}
        pinned = max((r["seq"] for r in records if r.get("kind") == "checkpoint"), default=0)
        if record["kind"] == "checkpoint" and record["seq"] < pinned:
            raise CheckpointError(
                f"The chain is at {record['seq']} but a checkpoint is at {pinned}: "
                f"entries were removed. Run `manage.py audit verify`."
            )
        record = dict(record, time=now_text(), prev_mac=last.get("mac", ""))
        record["mac"] = sign(record, key)
        handle.write(orjson.dumps(record) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return record


def checkpoints_and_archives(records):
    """({seq: (hash, time)} of checkpoints, {first kept id: prev_hash} of archives)."""
    pins, starts = {}, {}
    for record in records:
        if record.get("kind") == "checkpoint":
            pins[record["seq"]] = (record["hash"], record["time"])
        elif record.get("kind") == "archive":
            starts[record["first_kept"]] = record["prev_hash"]
    return pins, starts
