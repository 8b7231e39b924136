"""`python manage.py scheduler`: SCHEDULED_JOBS, each tick once across every process.

Only this command schedules. A gunicorn worker never does (`gunicorn.conf.py`
forbids it in every worker it forks), which is what removes the classic "the
job ran once per worker" bug of an in-process scheduler under `gunicorn -w N`.

How "once" is kept when several schedulers run (two hosts, or one started by
mistake):

1. Leadership. The schedulers compete for a lease in Redis
   (`project.redis.Lease`: SET NX PX with a random token, renewed every
   SCHEDULER_LOCK_TTL/3 seconds, released on exit). The holder schedules; the
   others log that they are on standby and try again every second, so one of
   them takes over at most SCHEDULER_LOCK_TTL seconds after the holder dies.
2. Claims. Before queueing a tick, the leader claims it: SET NX on
   `<prefix>:fired:<job name>:<tick>`. A leader paused past its lease (GC,
   SIGSTOP) that wakes up next to its successor loses the claim instead of
   queueing the tick a second time.

A tick is queued through `project.jobs` (`run_scheduled.delay`), so it runs
in a worker (`manage.py worker`), with retries and the failed-jobs list, not
inside the scheduler. The callable reads its tick with `current_tick()`.

Without REDIS_URL there is nothing to coordinate on: the scheduler runs
alone, jobs run inline (eager), and it says so at start.
"""

import logging
import os
import signal
import threading
import time
import uuid
from datetime import UTC, datetime

import click
from flask import current_app, g
from flask.cli import with_appcontext
from werkzeug.utils import import_string

from .jobs import QueueUnavailable, job
from .redis import Lease, RedisError, get_redis, process_name
from .schedule import describe, load_schedule

__all__ = ["Scheduler", "current_tick", "forbid_in_this_process", "run_scheduled"]

logger = logging.getLogger("project.scheduler")

#: Set (to the reason) in a process that must never schedule: every gunicorn worker.
FORBIDDEN_ENV = "PROJECT_SCHEDULER_FORBIDDEN"


def forbid_in_this_process(reason):
    """Make any later attempt to run a scheduler in this process fail (gunicorn workers)."""
    os.environ[FORBIDDEN_ENV] = reason


class SchedulerForbidden(RuntimeError):
    pass


@job(queue="default", retry=2)
def run_scheduled(name, path, args, kwargs, tick):
    """What a worker runs for one tick: the scheduled callable, with its tick in `g`."""
    g.scheduled_tick = tick
    g.scheduled_job = name
    return import_string(path)(*args, **kwargs)


def current_tick():
    """The tick (ISO 8601, UTC) the running scheduled job is for; None outside one."""
    return g.get("scheduled_tick")


class Scheduler:
    """The leader/standby loop. `run()` blocks until `stop()` (or SIGTERM/SIGINT)."""

    def __init__(self, app, jobs=None, clock=time.time, owner=None):
        self.app = app
        self.config = app.config
        self.jobs = load_schedule(app.config) if jobs is None else jobs
        self.clock = clock
        self.owner = owner or process_name()
        self.prefix = self.config.get("SCHEDULER_KEY_PREFIX", "scheduler")
        self.ttl = float(self.config.get("SCHEDULER_LOCK_TTL", 10))
        self.redis = get_redis(app)
        self.lease = (
            Lease(self.redis, f"{self.prefix}:leader", self.ttl, owner=self.owner)
            if self.redis is not None
            else None
        )
        self.leading = False
        self.fired = {}  # job name -> last tick this process handled
        self._stopping = threading.Event()
        self._standby_logged = False
        self._crashed = False
        self._redis_down = False

    # -- lifecycle ------------------------------------------------------------------

    def run(self):
        forbidden = os.environ.get(FORBIDDEN_ENV)
        if forbidden:
            raise SchedulerForbidden(
                f"This process is {forbidden}; it must not run scheduled jobs. "
                f"Run `python manage.py scheduler` as its own process instead."
            )
        if self.lease is None:
            logger.warning(
                "scheduler %s: no REDIS_URL, so nothing stops a second scheduler from running "
                "the same jobs; jobs run inline. Run exactly one, or set REDIS_URL.",
                self.owner,
            )
        logger.info("scheduler %s started with %d job(s)", self.owner, len(self.jobs))
        with self.app.app_context():
            self._loop()
        logger.info("scheduler %s stopped", self.owner)

    def _loop(self):
        next_renew = 0.0
        try:
            while not self._stopping.is_set():
                try:
                    if not self._lead(next_renew):
                        self._stopping.wait(1.0)
                        continue
                    if time.monotonic() >= next_renew:
                        next_renew = time.monotonic() + self.ttl / 3
                    if self._crashed:
                        break
                    self._fire_due()
                except RedisError as exc:
                    self._lost(f"Redis is unreachable ({exc})")
                    if not self._redis_down:
                        logger.warning(
                            "scheduler %s: Redis is unreachable (%s); trying again every second",
                            self.owner,
                            exc,
                        )
                    self._redis_down = True
                    self._stopping.wait(1.0)
                    continue
                self._redis_down = False
                self._stopping.wait(self._sleep(next_renew))
        finally:
            self._release()

    def stop(self):
        self._stopping.set()

    def crash(self):
        """Stop without releasing the lease, as a killed process would (tests)."""
        self._crashed = True
        self.stop()

    def _lead(self, next_renew):
        """True while this process holds the lease (taking or renewing it as needed)."""
        if self.lease is None:
            self.leading = True
            return True
        if self.leading:
            if time.monotonic() < next_renew or self.lease.renew():
                return True
            self._lost("its lease expired or was taken over")
            return False
        if self.lease.acquire():
            self.leading = True
            self._standby_logged = False
            logger.info(
                "scheduler %s is the leader: scheduling %s",
                self.owner,
                ", ".join(f"{j.name} ({j.when})" for j in self.jobs) or "nothing",
            )
            return True
        if not self._standby_logged:
            logger.info(
                "scheduler %s on standby: %s holds the lease; taking over if it stops renewing",
                self.owner,
                self._holder(),
            )
            self._standby_logged = True
        return False

    def _holder(self):
        holder = self.lease.holder()
        return holder.rsplit(":", 1)[0] if holder else "another scheduler"

    def _lost(self, why):
        if self.leading:
            logger.warning("scheduler %s stops scheduling: %s", self.owner, why)
        self.leading = False
        self._standby_logged = False

    def _release(self):
        if self.lease is not None and self.leading and not self._crashed:
            try:
                self.lease.release()
            except RedisError as exc:
                logger.warning("scheduler %s could not release its lease: %s", self.owner, exc)
        self.leading = False

    def _sleep(self, next_renew):
        now = self.clock()
        upcoming = [j.next_tick(now) - now for j in self.jobs]
        renew_in = next_renew - time.monotonic() if self.lease is not None else 60.0
        return max(0.01, min([*upcoming, renew_in, 1.0]))

    # -- ticks ----------------------------------------------------------------------

    def _fire_due(self):
        now = self.clock()
        for scheduled in self.jobs:
            tick = scheduled.last_tick(now)
            if self.fired.get(scheduled.name) == tick or now - tick > scheduled.grace():
                continue
            self.fired[scheduled.name] = tick
            if self._claim(scheduled, tick):
                self._enqueue(scheduled, tick)

    def _claim(self, scheduled, tick):
        if self.redis is None:
            return True
        key = f"{self.prefix}:fired:{scheduled.name}:{tick:.0f}"
        ttl = int(max(60, 2 * scheduled.grace()))
        return bool(self.redis.set(key, self.owner, nx=True, ex=ttl))

    def _enqueue(self, scheduled, tick):
        when = datetime.fromtimestamp(tick, UTC).isoformat(timespec="seconds")
        g.request_id = f"sched-{uuid.uuid4().hex}"
        try:
            run_scheduled.delay(
                scheduled.name, scheduled.job, list(scheduled.args), scheduled.kwargs, when
            )
        except QueueUnavailable as exc:
            logger.error("scheduled job %s for %s not queued: %s", scheduled.name, when, exc)
            return
        except Exception:  # an eager job's own failure must not stop the scheduler
            logger.exception("scheduled job %s for %s failed", scheduled.name, when)
            return
        logger.info(
            "scheduled job %s queued for tick %s",
            scheduled.name,
            when,
            extra={"job": scheduled.name, "tick": when},
        )


@click.command("scheduler")
@click.option("--list", "list_only", is_flag=True, help="Print the schedule and exit.")
@with_appcontext
def scheduler_command(list_only):
    """Run SCHEDULED_JOBS: each tick queued once, whatever number of schedulers run."""
    app = current_app._get_current_object()
    scheduler = Scheduler(app)
    if list_only:
        now = time.time()
        for scheduled in scheduler.jobs:
            click.echo(describe(scheduled, now))
        click.echo(f"{len(scheduler.jobs)} scheduled job(s).")
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: scheduler.stop())
    click.echo(f"Scheduler {scheduler.owner}: {len(scheduler.jobs)} job(s); Ctrl-C to stop.")
    scheduler.run()


def init_app(app):
    app.cli.add_command(scheduler_command)
