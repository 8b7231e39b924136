"""project.jobs: `@job` functions run inline (eager) or through RQ on Redis, in an app
context that carries the request id and the user of the request that queued them."""

import json
import signal
import uuid

import pytest
import redis
from flask import current_app, g

from apps.accounts.services import create_user
from project import create_app
from project.auth import current_user, set_current_user
from project.extensions import db as _db
from project.jobs import QueueUnavailable, _queue, is_eager, job

REDIS_URL = "redis://127.0.0.1:6379/2"  # this suite's own Redis database
store = redis.Redis.from_url(REDIS_URL)


def seen(key):
    """What the jobs recorded under `key`, oldest first."""
    return [json.loads(item) for item in store.lrange(key, 0, -1)]


@job(retry=2)
def remember(key, note):
    user = current_user()
    store.rpush(
        key,
        json.dumps(
            {
                "note": note,
                "request_id": g.request_id,
                "actor_id": getattr(user, "id", None),
                "settings": current_app.config["SETTINGS_NAME"],
                "outer_g": g.get("outer_marker"),
            }
        ),
    )


@job(retry=2)
def flaky(key, failures):
    attempt = store.incr(f"{key}:attempts")
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} failed")
    store.rpush(key, json.dumps({"note": f"succeeded on attempt {attempt}"}))


@job(retry=1)
def broken(key):
    store.incr(f"{key}:attempts")
    raise ValueError("the reason it broke")


@pytest.fixture
def key():
    name = f"test-jobs:{uuid.uuid4().hex}"
    yield name
    store.delete(name, f"{name}:attempts")


@pytest.fixture
def actor(app, db):
    return create_user("actor@example.com", "actor", None, is_active=True)


# -- eager ------------------------------------------------------------------------------


def test_eager_is_the_default_without_redis(app):
    assert app.config["REDIS_URL"] == ""
    assert is_eager(app)


def test_an_eager_job_runs_at_once_in_its_own_context_with_the_request_id_and_actor(
    app, key, actor
):
    with app.test_request_context():
        g.request_id = "req-eager-1"
        g.outer_marker = "the caller's g"
        set_current_user(actor)
        assert remember.delay(key, "hello") is None
        assert seen(key) != []  # already done: nothing was waiting for a commit
    [record] = seen(key)
    assert record == {
        "note": "hello",
        "request_id": "req-eager-1",
        "actor_id": actor.id,
        "settings": "testing",
        "outer_g": None,  # a fresh app context, as a worker's
    }


def test_an_eager_job_queued_with_uncommitted_writes_runs_after_the_commit(app, key, db):
    create_user("pending@example.com", "pending", None, commit=False)
    remember.delay(key, "after commit")
    assert seen(key) == []
    db.session.commit()
    assert [r["note"] for r in seen(key)] == ["after commit"]


def test_an_eager_job_queued_by_a_rolled_back_transaction_never_runs(app, key, db):
    create_user("doomed@example.com", "doomed", None, commit=False)
    remember.delay(key, "never")
    db.session.rollback()
    db.session.commit()
    assert seen(key) == []


def test_an_eager_job_failing_at_once_raises_to_the_caller(app, key):
    with app.app_context(), pytest.raises(RuntimeError, match="attempt 1 failed"):
        flaky.delay(key, failures=1)


def test_arguments_must_survive_json_in_both_modes(app, key, actor):
    with app.app_context(), pytest.raises(TypeError, match="JSON serializable"):
        remember.delay(key, actor)
    assert seen(key) == []


def test_a_job_must_be_defined_at_module_level():
    def local():
        pass

    with pytest.raises(TypeError, match="module level"):
        job()(local)


# -- RQ on Redis ------------------------------------------------------------------------


@pytest.fixture
def rq_app(database_url, db):
    """An app that queues its jobs on Redis; the queues are emptied afterwards."""
    app = create_app(
        "testing",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        JOBS_EAGER=False,
        JOBS_RETRY_INTERVALS=[0, 0, 0],  # retry at once: the test waits for no one
    )
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield app
    for sig, handler in handlers.items():  # the worker installs its own
        signal.signal(sig, handler)
    for name in store.scan_iter("rq:*"):  # this database is this suite's alone
        store.delete(name)
    with app.app_context():
        _db.engine.dispose()


def delay_from_a_request(app, actor, decorated, *args):
    """`decorated.delay(*args)` as a view would call it: request id and user known."""
    with app.test_request_context():
        g.request_id = "req-from-web"
        set_current_user(actor)
        return decorated.delay(*args)


def work_burst(app):
    """Run every queued job in this process, as `manage.py worker --burst` would."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    with app.app_context():
        queue = _queue("default")
        worker = SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer)
        worker.work(burst=True, with_scheduler=True)
        return queue


def test_delay_queues_the_call_and_a_worker_runs_it_with_the_request_context(rq_app, key, actor):
    queued = delay_from_a_request(rq_app, actor, remember, key, "via rq")
    with rq_app.app_context():
        assert _queue("default").count == 1
    assert seen(key) == []
    work_burst(rq_app)
    [record] = seen(key)
    assert record["note"] == "via rq"
    assert record["request_id"] == "req-from-web"
    assert record["actor_id"] == actor.id
    assert queued.meta["job"] == "tests.project.test_jobs.remember"
    assert "via rq" not in queued.description  # RQ logs descriptions: no arguments there


def test_a_failing_job_is_retried_until_it_succeeds(rq_app, key, actor):
    delay_from_a_request(rq_app, actor, flaky, key, 2)
    work_burst(rq_app)
    assert int(store.get(f"{key}:attempts")) == 3
    assert [r["note"] for r in seen(key)] == ["succeeded on attempt 3"]


def test_a_job_out_of_retries_is_listed_by_jobs_failed(rq_app, key, actor):
    queued = delay_from_a_request(rq_app, actor, broken, key)
    queue = work_burst(rq_app)
    assert int(store.get(f"{key}:attempts")) == 2  # the first try and one retry
    with rq_app.app_context():
        assert queue.failed_job_registry.get_job_ids() == [queued.id]
    with rq_app.app_context():  # the `db` fixture holds the suite app's context
        result = rq_app.test_cli_runner().invoke(args=["jobs", "failed"])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if queued.id in line]
    assert "tests.project.test_jobs.broken" in line
    assert "ValueError: the reason it broke" in line
    assert "1 failed job." in result.output


def test_manage_py_worker_burst_runs_the_queue_in_forked_children(rq_app, key, actor):
    delay_from_a_request(rq_app, actor, remember, key, "forked")
    delay_from_a_request(rq_app, actor, remember, key, "forked again")
    with rq_app.app_context():
        result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    records = seen(key)
    assert [r["note"] for r in records] == ["forked", "forked again"]
    assert {r["actor_id"] for r in records} == {actor.id}


def test_an_unreachable_queue_raises_queue_unavailable(database_url, db, key):
    app = create_app(
        "testing", DATABASE_URL=database_url, REDIS_URL="redis://127.0.0.1:1/0", JOBS_EAGER=False
    )
    with app.app_context(), pytest.raises(QueueUnavailable):
        remember.delay(key, "lost")


def test_the_worker_explains_that_it_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
