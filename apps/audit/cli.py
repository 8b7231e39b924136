"""`python manage.py audit ...`: verify, checkpoint, export, archive, verify-archive.

Progress bars go to stderr, results to stdout. Exit status 1 means the log
(or an archive) failed verification; 2 means the command could not run as
configured (the message says what to set).
"""

import contextlib
import datetime as dt
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from project.extensions import db

from . import archive as archiving
from . import checkpoints, export, indexing, tasks
from .context import as_user_option
from .recording import record
from .timeparse import parse_bound
from .verify import bounds, walk

cli = AppGroup("audit", help="The audit log: verify, checkpoint, export, archive.")


def _stderr():
    return sys.stderr  # looked up per call: the test runner swaps it


def _fail(message, code=2):
    click.secho(f"Error: {message}", err=True, fg="red")
    raise SystemExit(code)


def _checkpoint_state():
    """(pins, starts, records) from the checkpoint log, refusing a damaged log (exit 1)."""
    records = checkpoints.read_records()
    if records:
        try:
            key = checkpoints.signing_key()
        except checkpoints.CheckpointError as exc:
            _fail(f"there are checkpoints to check, but {exc}")
        problem = checkpoints.check_records(records, key)
        if problem:
            click.echo(f"FAIL checkpoint log: {problem}")
            raise SystemExit(1)
    pins, starts = checkpoints.checkpoints_and_archives(records)
    return pins, starts, records


@cli.command("verify")
@click.option("--chunk-size", default=20_000, show_default=True, type=click.IntRange(100))
def verify_command(chunk_size):
    """Check every entry's hash, link and sequence, and every signed checkpoint."""
    pins, starts, records = _checkpoint_state()
    with db.engine.connect() as connection:
        first, last = bounds(connection)
        total = 0 if first is None else last - first + 1
        with click.progressbar(length=total, label="Verifying", file=_stderr()) as bar:
            result = walk(connection, pins, starts, progress=bar.update, chunk=chunk_size)
    if result.fault is not None:
        click.echo(f"FAIL {result.fault}")
        raise SystemExit(1)
    click.echo(f"OK {result.count} entries, head {result.head_id} {result.head_hash}")
    if not records:
        click.echo(
            "Warning: no signed checkpoints yet; a rewrite of the whole log or a cut tail would "
            "not show. Run `manage.py audit checkpoint` regularly.",
            err=True,
        )


@cli.command("checkpoint")
def checkpoint_command():
    """Verify the entries since the last checkpoint, then sign and store a new one."""
    _checkpoint_state()  # a damaged log fails like `verify` does
    try:
        written = tasks.take_checkpoint()
    except tasks.ChainBroken as exc:
        click.echo(f"FAIL {exc.fault}")
        raise SystemExit(1) from None
    except checkpoints.CheckpointError as exc:
        _fail(str(exc))
    path = checkpoints.log_path()
    click.echo(f"Checkpoint {written['seq']} {written['hash']} signed and written to {path}")


def _bound(name, raw, upper):
    if raw is None:
        return None, True
    try:
        return parse_bound(raw, upper)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{name}") from None


@cli.command("export")
@click.option("--since", help="From this date or ISO 8601 date-time (inclusive).")
@click.option("--until", help="Up to this date (the whole day) or date-time (inclusive).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default="-")
@as_user_option
def export_command(since, until, fmt, output):
    """Stream entries as JSON lines or CSV (constant memory); the export itself is recorded."""
    since_value, _ = _bound("since", since, False)
    until_value, inclusive = _bound("until", until, True)
    described = {
        "since": since,
        "until": until,
        "format": fmt,
        "output": None if output == "-" else str(Path(output).resolve()),
    }
    count = 0
    try:
        indexing.file_all(db.engine)
        with db.engine.connect() as connection:
            first, last = export.id_range(connection, since_value, until_value, inclusive)
            total = 0 if first is None else last - first + 1
            with (
                _open_output(output, fmt) as handle,
                click.progressbar(length=total, label="Exporting", file=_stderr()) as bar,
            ):
                writer = export.CsvWriter(handle) if fmt == "csv" else None
                for row in export.rows_between(connection, first, last) if first else ():
                    if writer is not None:
                        writer.write(row)
                    else:
                        handle.write(export.as_jsonl(row))
                    count += 1
                    bar.update(1)
    except BaseException as exc:  # an interrupted export is recorded too, with what got out
        failure = dict(described, count=count, error=type(exc).__name__)
        record("audit_export", outcome="failure", **failure)
        raise
    record("audit_export", count=count, **described)
    click.echo(f"Exported {count} entries.", err=True)


@contextlib.contextmanager
def _open_output(output, fmt):
    if output == "-":
        stream = sys.stdout if fmt == "csv" else sys.stdout.buffer
        yield stream
        stream.flush()
        return
    mode = "w" if fmt == "csv" else "wb"
    options = {"newline": "", "encoding": "utf-8"} if fmt == "csv" else {}
    with open(output, mode, **options) as handle:
        yield handle


@cli.command("archive")
@click.option(
    "--before",
    help="Archive entries written before this date or date-time "
    "(default: AUDIT_RETENTION_DAYS ago).",
)
@click.option("--output", required=True, type=click.Path(dir_okay=False))
@as_user_option
def archive_command(before, output):
    """Move old entries to a verifiable archive file; the rest of the chain still verifies."""
    if before is None:
        days = current_app.config["AUDIT_RETENTION_DAYS"]
        before_value = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    else:
        before_value, _ = _bound("before", before, False)
    indexing.file_all(db.engine)
    with db.engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.count()).where(
                indexing.INDEXED, archiving.entries.c.timestamp < before_value
            )
        ).scalar()
    try:
        with click.progressbar(length=total, label="Archiving", file=_stderr()) as bar:
            done = archiving.archive(db.engine, before_value, output, progress=bar.update)
    except (archiving.ArchiveError, checkpoints.CheckpointError) as exc:
        _fail(str(exc), 1)
    if done is None:
        click.echo(f"No entries were written before {before_value.isoformat()}; nothing to do.")
        return
    record("audit_archive", **{k: done[k] for k in ("first", "last", "count", "file", "sha256")})
    click.echo(
        f"Archived entries {done['first']} to {done['last']} ({done['count']}) into "
        f"{done['file']} (sha256 {done['sha256']}); the chain now starts at {done['last'] + 1}."
    )


@cli.command("verify-archive")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify_archive_command(path):
    """Check an archive file's entries, and that a signed archive line names it."""
    try:
        header = archiving.verify_file(path)
    except archiving.ArchiveError as exc:
        click.echo(f"FAIL {exc}")
        raise SystemExit(1) from None
    _checkpoint_state()
    signed = archiving.signed_line_for(archiving.file_digest(path))
    if signed is None:
        click.echo(f"FAIL {path}: no signed archive line in the checkpoint log names this file.")
        raise SystemExit(1)
    click.echo(
        f"OK {header['count']} entries, {header['first']} to {header['last']}, "
        f"head {header['last']} {header['last_hash']}"
    )
