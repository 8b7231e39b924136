"""Background jobs on RQ (Redis Queue), with an eager mode that runs them inline.

    from project.jobs import job

    @job(queue="default", retry=3)
    def send_welcome(user_id):
        ...

    send_welcome.delay(user.id)

Why RQ rather than Celery: its only dependency is Redis, which the project
already runs for the cache and rate limits; Retry with intervals, a
FailedJobRegistry and a burst worker are built in; and the whole library is
small enough for an operator to read. Celery's broker choice, canvas and beat
are more than this project needs.

How `delay()` runs a job:

- Queued (REDIS_URL set, JOBS_EAGER false): the call goes onto the RQ queue
  at once and `python manage.py worker` runs it. A failure is retried `retry`
  times, after JOBS_RETRY_INTERVALS seconds, then the job lands in RQ's
  failed-job registry, which `python manage.py jobs failed` lists.
- Eager (JOBS_EAGER true, or no REDIS_URL): the job runs in this process,
  once, with the same API. If the caller's database session holds writes
  that are not committed yet, the job runs right after that commit and is
  dropped on rollback (Django's `transaction.on_commit`): a worker would not
  see uncommitted rows either. Otherwise it runs at once and its exception
  reaches the caller; a job run after a commit logs its exception instead,
  since the commit it followed has already succeeded.

Either way the job runs in a fresh app context (its own `g` and database
session) with `g.request_id` and the current user restored from the request
that queued it, so its log lines and audit entries link back to it. Its
arguments go through JSON in both modes: pass ids, not ORM objects, so the
job reads the row as it is when it runs.
"""

import contextlib
import functools
import json
import logging
import os
import uuid

import click
import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from flask.cli import AppGroup, with_appcontext
from werkzeug.utils import import_string

from .auth import AuthenticationFailed, current_user, load_user, set_current_user
from .extensions import db

__all__ = ["QueueUnavailable", "is_eager", "is_last_attempt", "job"]

logger = logging.getLogger("project.jobs")

_ON_COMMIT = "jobs.on_commit"
_WROTE = "jobs.wrote"


class QueueUnavailable(Exception):
    """The job could not be queued (Redis unreachable). Nothing was queued."""


def job(queue="default", retry=3):
    """Make a module-level function a job: `fn.delay(*args, **kwargs)` queues a call.

    `retry` is how many times a failing job is tried again (queued mode only).
    """

    def decorator(fn):
        name = f"{fn.__module__}.{fn.__qualname__}"
        if "<locals>" in name:
            raise TypeError(f"{name}: define jobs at module level, where a worker can import them")

        @functools.wraps(fn)
        def delay(*args, **kwargs):
            return _delay(fn, name, queue, retry, args, kwargs)

        fn.delay = delay
        fn.job_name = name
        return fn

    return decorator


def is_eager(app=None):
    """True when jobs run in this process (JOBS_EAGER, or no REDIS_URL)."""
    config = (app or current_app).config
    return bool(config["JOBS_EAGER"] or not config.get("REDIS_URL"))


def is_last_attempt():
    """True unless this is a queued job that RQ will retry if it fails now."""
    from rq import get_current_job

    running = get_current_job()
    return running is None or not running.retries_left


# -- queueing ---------------------------------------------------------------------


def _delay(fn, name, queue, retry, args, kwargs):
    context = {"request_id": g.get("request_id"), "actor_id": _actor_id()}
    args, kwargs = json.loads(json.dumps([list(args), kwargs]))  # the same rule in both modes
    if not is_eager():
        return _enqueue(name, queue, retry, args, kwargs, context)
    _install_session_hooks()
    session = db.session()
    if session.in_transaction() and (session.info.get(_WROTE) or _has_changes(session)):
        session.info.setdefault(_ON_COMMIT, []).append((fn, name, args, kwargs, context))
        return None
    return _perform(fn, name, args, kwargs, context)


def _actor_id():
    """The id of the user the current request (or job) acts for, or None."""
    if has_request_context():
        try:
            user = current_user()
        except AuthenticationFailed:
            return None
        return getattr(user, "id", None)
    return g.get("user_id") if has_app_context() else None


def _has_changes(session):
    return bool(session.new or session.dirty or session.deleted)


def _enqueue(name, queue_name, retry, args, kwargs, context):
    from redis.exceptions import RedisError
    from rq import Retry

    config = current_app.config
    intervals = list(config["JOBS_RETRY_INTERVALS"])
    try:
        queued = _queue(queue_name).enqueue(
            _run,
            args=(name, args, kwargs, context),
            retry=Retry(max=retry, interval=intervals) if retry else None,
            job_timeout=config["JOBS_TIMEOUT"],
            description=name,  # RQ would log the arguments otherwise
            meta={"job": name, **context},
        )
    except RedisError as exc:
        logger.error("job %s could not be queued on %r: %s", name, queue_name, exc)
        raise QueueUnavailable(f"the job queue is unreachable: {exc}") from exc
    logger.info("job %s queued on %r as %s", name, queue_name, queued.id)
    return queued


def redis_connection(app=None):
    """The app's Redis client for the queue (one per app); REDIS_URL must be set."""
    from redis import Redis

    app = app or current_app
    connection = app.extensions.get("jobs_redis")
    if connection is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise click.ClickException(
                "REDIS_URL is not set, so jobs run eagerly inside the web process and there is "
                "no queue. Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to use a worker."
            )
        # Bounded waits: a Redis that stops answering fails the enqueue (503), it does
        # not hang the request. The worker raises socket_timeout for its blocking pops.
        timeout = app.config.get("REDIS_SOCKET_TIMEOUT", 2.0)
        connection = app.extensions["jobs_redis"] = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
    return connection


def _queue(name, app=None):
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(name, connection=redis_connection(app), serializer=JSONSerializer)


# -- running ------------------------------------------------------------------------

_worker_app = None
_pool_pid = os.getpid()


def _run(name, args, kwargs, context):
    """What RQ calls in the worker: import the job by name and perform it."""
    return _perform(import_string(name), name, args, kwargs, context)


def _job_app():
    """The app jobs run in: the current one, else one built from APP_SETTINGS."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from project import create_app

        _worker_app = create_app()
    return _worker_app


def _perform(fn, name, args, kwargs, context):
    app = _job_app()
    with app.app_context():
        _fresh_pool_after_fork()
        request_id = context.get("request_id") or uuid.uuid4().hex
        g.request_id = request_id
        set_current_user(load_user(context.get("actor_id")))
        extra = {"request_id": request_id, "user_id": context.get("actor_id"), "job": name}
        logger.info("job %s started", name, extra=extra)
        try:
            result = fn(*args, **kwargs)
        except Exception:
            db.session.rollback()
            logger.exception("job %s failed", name, extra=extra)
            raise
        logger.info("job %s done", name, extra=extra)
        return result


def _fresh_pool_after_fork():
    """A forked worker child must not reuse the parent's database connections."""
    global _pool_pid
    if os.getpid() != _pool_pid:
        db.engine.dispose(close=False)
        _pool_pid = os.getpid()


def _run_after_commit(session):
    pending = session.info.pop(_ON_COMMIT, [])
    session.info.pop(_WROTE, None)
    for fn, name, args, kwargs, context in pending:
        # _perform logs a failure; the commit it followed has succeeded regardless.
        with contextlib.suppress(Exception):
            _perform(fn, name, args, kwargs, context)


def _forget(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended: committed or not
        dropped = session.info.pop(_ON_COMMIT, [])
        session.info.pop(_WROTE, None)
        for _, name, *_rest in dropped:
            logger.info("job %s dropped: the transaction that queued it rolled back", name)


def _note_flush(session, _flush_context):
    session.info[_WROTE] = True


def _note_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _install_session_hooks():
    """Track, per session, whether its transaction wrote (for eager on-commit jobs)."""
    if getattr(_install_session_hooks, "done", False):
        return
    sa.event.listen(db.session, "after_flush", _note_flush)
    sa.event.listen(db.session, "do_orm_execute", _note_statement)
    sa.event.listen(db.session, "after_commit", _run_after_commit)
    sa.event.listen(db.session, "after_transaction_end", _forget)
    _install_session_hooks.done = True


# -- commands -------------------------------------------------------------------------


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@click.option("--queue", "queues", multiple=True, help="Queue to work on (default: JOBS_QUEUES).")
@with_appcontext
def worker(burst, queues):
    """Run queued jobs (RQ). Start one per core; each runs a job at a time."""
    from rq import Worker
    from rq.serializers import JSONSerializer

    config = current_app.config
    if config["JOBS_EAGER"]:
        click.echo("Note: JOBS_EAGER is true, so this app runs its jobs inline, not here.")
    names = list(queues or config["JOBS_QUEUES"])
    connection = redis_connection()
    db.engine.dispose()  # each forked job opens its own connections
    where = connection.connection_pool.connection_kwargs  # no password in what is printed
    click.echo(f"Working on {', '.join(names)} at {where.get('host')}:{where.get('port')}.")
    Worker([_queue(name) for name in names], connection=connection, serializer=JSONSerializer).work(
        burst=burst, with_scheduler=True, logging_level=str(config["LOG_LEVEL"]).upper()
    )


jobs_cli = AppGroup("jobs", help="Background jobs: inspect the queue.")


@jobs_cli.command("failed")
@click.option("--queue", "queues", multiple=True, help="Queue to look at (default: JOBS_QUEUES).")
def failed(queues):
    """List failed jobs: id, function, when it was queued, and its last exception line."""
    from rq.job import Job
    from rq.serializers import JSONSerializer

    connection = redis_connection()
    count = 0
    for name in queues or current_app.config["JOBS_QUEUES"]:
        queue = _queue(name)
        ids = queue.failed_job_registry.get_job_ids()
        for found in Job.fetch_many(ids, connection=connection, serializer=JSONSerializer):
            if found is None:
                continue
            count += 1
            enqueued = f"{found.enqueued_at:%Y-%m-%d %H:%M:%S}" if found.enqueued_at else "-"
            function = found.meta.get("job") or found.description
            click.echo(f"{found.id}  {name}  {function}  {enqueued}  {_exception_line(found)}")
    click.echo(f"{count} failed job{'s' if count != 1 else ''}.")


def _exception_line(found):
    result = found.latest_result()
    text = (result.exc_string if result is not None else None) or ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no exception recorded)"


def init_app(app):
    """Add `worker` and `jobs` to manage.py; in eager mode, watch commits for on-commit jobs.

    (A queued-mode app installs no session hooks: its every query stays as cheap as it was.)
    """
    if is_eager(app):
        _install_session_hooks()
    app.cli.add_command(worker)
    app.cli.add_command(jobs_cli)
