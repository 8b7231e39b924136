"""`manage.py scheduler`: SCHEDULED_JOBS queued once per tick, however many schedulers run.

Real Redis (database 8, this file's alone) and real time: the schedulers run
in threads for a couple of seconds with a 1-second job and a 1-second lease.
"""

import itertools
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from apps.accounts.models import Token
from apps.accounts.services import create_token, create_user
from project import create_app
from project.exceptions import ImproperlyConfigured
from project.extensions import db as _db
from project.jobs import _queue
from project.schedule import ScheduledJob, load_schedule
from project.scheduler import Scheduler, SchedulerForbidden, current_tick, run_scheduled

REDIS_URL = "redis://127.0.0.1:6379/8"
store = redis.Redis.from_url(REDIS_URL)
BEATS = "test-scheduler:beats"


def beat():
    """The scheduled job of these tests: note which tick it ran for."""
    store.rpush(BEATS, current_tick())


EVERY_SECOND = [{"name": "beat", "job": "tests.project.test_scheduler.beat", "interval": 1}]


@pytest.fixture(autouse=True)
def clean_redis():
    store.flushdb()
    yield
    store.flushdb()


@pytest.fixture
def make_app(database_url):
    made = []

    def make(**overrides):
        settings = {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "JOBS_EAGER": False,
            "SCHEDULED_JOBS": EVERY_SECOND,
            "SCHEDULER_LOCK_TTL": 1,
            **overrides,
        }
        made.append(create_app("testing", **settings))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            _db.engine.dispose()


def start(scheduler):
    thread = threading.Thread(target=scheduler.run, daemon=True)
    thread.start()
    return thread


def stop(*pairs):
    for scheduler, _ in pairs:
        scheduler.stop()
    for _, thread in pairs:
        thread.join(timeout=5)
        assert not thread.is_alive()


def queued_ticks(app):
    """The ticks of the scheduled jobs waiting in the queue, in queueing order."""
    with app.app_context():
        jobs = _queue("default").get_jobs()
    return [job.args[1][4] for job in jobs]


def as_time(tick):
    return datetime.fromisoformat(tick)


# -- once per tick ------------------------------------------------------------------------


def test_two_schedulers_queue_each_tick_once_and_the_second_stands_by(make_app, caplog):
    caplog.set_level(logging.INFO, logger="project.scheduler")
    app = make_app()
    first, second = Scheduler(app, owner="host-a:1"), Scheduler(app, owner="host-b:2")
    running = [(first, start(first))]
    time.sleep(0.3)
    running.append((second, start(second)))
    time.sleep(2.6)
    stop(*running)

    ticks = queued_ticks(app)
    assert 2 <= len(ticks) <= 4
    assert len(set(ticks)) == len(ticks), f"a tick was queued twice: {ticks}"
    spacing = {(as_time(b) - as_time(a)).total_seconds() for a, b in itertools.pairwise(ticks)}
    assert spacing == {1.0}
    assert "scheduler host-a:1 is the leader" in caplog.text
    assert "scheduler host-b:2 on standby: host-a:1 holds the lease" in caplog.text
    assert "scheduler host-b:2 is the leader" not in caplog.text


def test_a_standby_takes_over_when_the_leader_dies_without_a_tick_twice(make_app, caplog):
    caplog.set_level(logging.INFO, logger="project.scheduler")
    app = make_app()
    leader, standby = Scheduler(app, owner="host-a:1"), Scheduler(app, owner="host-b:2")
    leader_thread = start(leader)
    time.sleep(0.3)
    standby_thread = start(standby)
    time.sleep(1.2)
    leader.crash()  # killed: its lease is not released, it just stops being renewed
    leader_thread.join(timeout=5)
    died_at = datetime.now(UTC)
    time.sleep(3.0)
    stop((standby, standby_thread))

    ticks = queued_ticks(app)
    assert len(set(ticks)) == len(ticks), f"a tick was queued twice: {ticks}"
    assert "scheduler host-b:2 is the leader" in caplog.text
    after = [t for t in ticks if as_time(t) > died_at]
    assert after, f"nothing was queued after the leader died: {ticks}"
    assert as_time(after[0]) - died_at <= timedelta(seconds=2.5)  # within the 1 s lease + a try


def test_a_scheduler_that_stops_releases_its_lease_at_once(make_app):
    app = make_app()
    first = Scheduler(app, owner="host-a:1")
    thread = start(first)
    time.sleep(0.3)
    assert store.get("scheduler:leader").decode().startswith("host-a:1:")
    stop((first, thread))

    assert store.get("scheduler:leader") is None
    second = Scheduler(app, owner="host-b:2")
    assert second.lease.acquire()


def test_two_schedulers_that_both_think_they_lead_still_queue_a_tick_once(make_app):
    """A leader paused past its lease (GC, SIGSTOP) wakes up next to its successor."""
    app = make_app()
    now = 1_900_000_000.4
    paused, successor = (Scheduler(app, owner=o, clock=lambda: now) for o in ("a:1", "b:2"))
    with app.app_context():
        paused._fire_due()
        successor._fire_due()

    assert queued_ticks(app) == ["2030-03-17T17:46:40+00:00"]


# -- what a tick does ---------------------------------------------------------------------


def test_a_queued_tick_runs_in_a_worker_and_knows_its_tick(make_app):
    app = make_app()
    scheduler = Scheduler(app, owner="host-a:1")
    thread = start(scheduler)
    time.sleep(1.5)
    stop((scheduler, thread))
    ticks = queued_ticks(app)
    assert store.lrange(BEATS, 0, -1) == []  # queued, not run by the scheduler

    with app.app_context():
        queue = _queue("default")
        SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(
            burst=True
        )

    assert [b.decode() for b in store.lrange(BEATS, 0, -1)] == ticks


def test_the_default_schedule_purges_expired_tokens(app, db):
    [purge] = [j for j in load_schedule(app.config) if j.name == "purge-expired-tokens"]
    user = create_user("old@example.com", "old", None, is_active=True)
    _, expired = create_token(user)
    _, fresh = create_token(user)
    expired.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()

    run_scheduled.delay(purge.name, purge.job, [], {}, "2026-01-01T03:17:00+00:00")

    assert db.session.scalars(db.select(Token.id)).all() == [fresh.id]


def test_without_redis_the_scheduler_runs_jobs_inline_and_warns(make_app, caplog):
    caplog.set_level(logging.INFO, logger="project.scheduler")
    app = make_app(REDIS_URL="", JOBS_EAGER=True)
    scheduler = Scheduler(app, owner="laptop:1")
    thread = start(scheduler)
    time.sleep(1.3)
    stop((scheduler, thread))

    assert store.llen(BEATS) >= 1
    assert "nothing stops a second scheduler" in caplog.text


def test_with_redis_down_the_scheduler_waits_instead_of_crashing(make_app, caplog):
    caplog.set_level(logging.INFO, logger="project.scheduler")
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.2)
    scheduler = Scheduler(app, owner="host-a:1")
    thread = start(scheduler)
    time.sleep(1.2)
    assert thread.is_alive()
    stop((scheduler, thread))
    assert "is the leader" not in caplog.text
    assert caplog.text.count("Redis is unreachable") == 1  # once per outage, not every second
    assert store.llen(BEATS) == 0


def test_a_gunicorn_worker_refuses_to_run_a_scheduler(make_app, monkeypatch):
    monkeypatch.setenv("PROJECT_SCHEDULER_FORBIDDEN", "gunicorn worker 4242")
    scheduler = Scheduler(make_app(), owner="web:4242")

    with pytest.raises(SchedulerForbidden, match=r"Run `python manage\.py scheduler`"):
        scheduler.run()
    assert store.get("scheduler:leader") is None


# -- SCHEDULED_JOBS -------------------------------------------------------------------------


def test_scheduler_list_prints_each_job_with_its_next_run(make_app):
    app = make_app(
        SCHEDULED_JOBS=[
            *EVERY_SECOND,
            {"job": "tests.project.test_scheduler.beat", "cron": "0 4 * * *"},
        ]
    )
    result = app.test_cli_runner().invoke(args=["scheduler", "--list"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("beat ") and "every 1s" in lines[0]
    assert lines[1].startswith("tests.project.test_scheduler.beat ")
    assert "cron '0 4 * * *'" in lines[1] and "T04:00:00+00:00" in lines[1]
    assert lines[-1] == "2 scheduled job(s)."


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"job": "tests.project.test_scheduler.beat"}, "exactly one of 'interval'"),
        (
            {"job": "tests.project.test_scheduler.beat", "interval": 5, "cron": "* * * * *"},
            "exactly one",
        ),
        ({"job": "tests.project.test_scheduler.beat", "interval": 0}, "seconds >= 1"),
        (
            {"job": "tests.project.test_scheduler.beat", "cron": "61 * * * *"},
            "not a cron expression",
        ),
        (
            {"job": "tests.project.nope.beat", "interval": 5},
            "cannot import 'tests.project.nope.beat'",
        ),
        ({"job": "tests.project.test_scheduler.BEATS", "interval": 5}, "is not callable"),
        ({"job": "tests.project.test_scheduler.beat", "every": 5}, "unknown key(s) ['every']"),
        ({"interval": 5}, "needs 'job'"),
    ],
)
def test_a_bad_entry_is_refused_with_a_message_naming_it(entry, message):
    with pytest.raises(ImproperlyConfigured) as raised:
        load_schedule({"SCHEDULED_JOBS": [entry]})
    assert "SCHEDULED_JOBS[0]" in str(raised.value)
    assert message in str(raised.value)


def test_two_entries_with_one_name_are_refused():
    entry = {"name": "x", "job": "tests.project.test_scheduler.beat", "interval": 5}
    with pytest.raises(ImproperlyConfigured, match="two entries named 'x'"):
        load_schedule({"SCHEDULED_JOBS": [entry, entry]})


def test_interval_ticks_are_the_same_in_every_process():
    """Multiples of the interval since the epoch, whenever a scheduler started."""
    job = ScheduledJob(name="j", job="m.f", interval=300)
    now = datetime(2026, 5, 1, 10, 7, 12, tzinfo=UTC).timestamp()

    assert job.last_tick(now) == datetime(2026, 5, 1, 10, 5, tzinfo=UTC).timestamp()
    assert job.next_tick(now) == datetime(2026, 5, 1, 10, 10, tzinfo=UTC).timestamp()


def test_cron_ticks_follow_the_scheduler_time_zone():
    job = ScheduledJob(name="j", job="m.f", cron="30 2 * * *", timezone="Europe/Berlin")
    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC).timestamp()

    assert job.last_tick(now) == datetime(2026, 1, 10, 1, 30, tzinfo=UTC).timestamp()
    assert job.next_tick(now) == datetime(2026, 1, 11, 1, 30, tzinfo=UTC).timestamp()
    on_the_tick = datetime(2026, 1, 11, 1, 30, tzinfo=UTC).timestamp()
    assert job.last_tick(on_the_tick) == on_the_tick


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ImproperlyConfigured, match="SCHEDULER_TIMEZONE='Mars/Base'"):
        load_schedule({"SCHEDULER_TIMEZONE": "Mars/Base", "SCHEDULED_JOBS": []})
