"""SCHEDULED_JOBS: what runs when. The loop that runs them is `project.scheduler`.

    SCHEDULED_JOBS = [
        {"name": "purge-expired-tokens",
         "job": "apps.accounts.services.purge_expired_tokens",
         "cron": "17 3 * * *"},                         # 03:17 every day
        {"name": "heartbeat", "job": "myapp.jobs.beat", "interval": 60,
         "args": [], "kwargs": {}},
    ]

Each entry names a module-level callable by dotted path and either an
`interval` in seconds or a `cron` string (5 fields, or 6 with seconds last;
`@daily` and friends too), evaluated in SCHEDULER_TIMEZONE.

Ticks are absolute, not relative to when a scheduler started: an interval
job's ticks are the multiples of its interval since the epoch, a cron job's
the times its expression names. So every scheduler process computes the same
ticks, and a tick can be claimed once across all of them.

Cron parsing is croniter's: a maintained library (under pallets-eco, the
Flask organisation) already installed as RQ's own dependency. It only answers
"when is the next/previous time", which is all we need. APScheduler's
triggers would bring a second scheduler framework whose job stores and
executors we would not use: running is the job queue's business.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from werkzeug.utils import import_string

from .exceptions import ImproperlyConfigured

_KEYS = {"name", "job", "interval", "cron", "args", "kwargs", "misfire_grace"}
#: A scheduler that learns of a tick later than this (seconds) skips it.
DEFAULT_GRACE = 60.0


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    job: str
    interval: float | None = None
    cron: str | None = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    misfire_grace: float = DEFAULT_GRACE
    timezone: str = "UTC"

    @property
    def when(self):
        return f"every {self.interval:g}s" if self.interval else f"cron {self.cron!r}"

    def last_tick(self, now):
        """The latest tick at or before `now` (epoch seconds)."""
        if self.interval:
            return math.floor(now / self.interval) * self.interval
        base = datetime.fromtimestamp(now, ZoneInfo(self.timezone))
        # croniter's get_prev is strictly before its base: nudge so `now` itself counts.
        return croniter(self.cron, base).get_prev(float) if not self._on_tick(base) else now

    def next_tick(self, now):
        """The first tick strictly after `now` (epoch seconds)."""
        if self.interval:
            return (math.floor(now / self.interval) + 1) * self.interval
        base = datetime.fromtimestamp(now, ZoneInfo(self.timezone))
        return croniter(self.cron, base).get_next(float)

    def _on_tick(self, moment):
        return moment.microsecond == 0 and croniter.match(self.cron, moment)

    def grace(self):
        """How late a tick may still be fired: the grace, and never a whole interval."""
        if self.interval:
            return min(self.misfire_grace, self.interval)
        return self.misfire_grace


def load_schedule(config):
    """SCHEDULED_JOBS as ScheduledJob objects; ImproperlyConfigured names a bad entry."""
    timezone = config.get("SCHEDULER_TIMEZONE", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"SCHEDULER_TIMEZONE={timezone!r} is not a time zone; use e.g. 'UTC' or "
            f"'Europe/Berlin'."
        ) from None
    jobs, names = [], set()
    for position, entry in enumerate(config.get("SCHEDULED_JOBS") or []):
        job = _entry(position, entry, timezone)
        if job.name in names:
            raise ImproperlyConfigured(
                f"SCHEDULED_JOBS has two entries named {job.name!r}; names must be unique "
                f"(they key the once-per-tick claims)."
            )
        names.add(job.name)
        jobs.append(job)
    return jobs


def _entry(position, entry, timezone):
    where = f"SCHEDULED_JOBS[{position}]"
    if not isinstance(entry, dict):
        raise ImproperlyConfigured(f"{where} must be a dict with 'job' and 'interval' or 'cron'.")
    unknown = set(entry) - _KEYS
    if unknown:
        raise ImproperlyConfigured(
            f"{where} has unknown key(s) {sorted(unknown)}; the keys are {sorted(_KEYS)}."
        )
    path = entry.get("job")
    if not isinstance(path, str) or "." not in path:
        raise ImproperlyConfigured(f"{where} needs 'job': the dotted path of a callable.")
    name = str(entry.get("name") or path)
    where = f"{where} ({name!r})"
    interval, cron = entry.get("interval"), entry.get("cron")
    if (interval is None) == (cron is None):
        raise ImproperlyConfigured(f"{where} needs exactly one of 'interval' (seconds) or 'cron'.")
    if interval is not None and (not isinstance(interval, int | float) or interval < 1):
        raise ImproperlyConfigured(f"{where}: 'interval' must be a number of seconds >= 1.")
    if cron is not None and (not isinstance(cron, str) or not croniter.is_valid(cron)):
        raise ImproperlyConfigured(
            f"{where}: 'cron' {cron!r} is not a cron expression (e.g. '*/15 * * * *')."
        )
    try:
        target = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{where}: cannot import {path!r}: {exc}") from None
    if not callable(target):
        raise ImproperlyConfigured(f"{where}: {path!r} is not callable.")
    return ScheduledJob(
        name=name,
        job=path,
        interval=float(interval) if interval is not None else None,
        cron=cron,
        args=tuple(entry.get("args") or ()),
        kwargs=dict(entry.get("kwargs") or {}),
        misfire_grace=float(entry.get("misfire_grace", DEFAULT_GRACE)),
        timezone=timezone,
    )


def describe(job, now):
    """One line for `manage.py scheduler --list`."""
    upcoming = datetime.fromtimestamp(job.next_tick(now), UTC).isoformat(timespec="seconds")
    return f"{job.name:<28} {job.when:<22} next {upcoming}  {job.job}"
