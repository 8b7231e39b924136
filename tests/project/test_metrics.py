"""GET /metrics: Prometheus text with requests, latency, pool usage and job counts.

The counters belong to the process, so tests compare before and after.
(Adding up several gunicorn workers is tested on a real gunicorn in test_wsgi.)
"""

import logging

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from project import create_app
from project.extensions import db as _db
from project.jobs import _queue, job

REDIS_URL = "redis://127.0.0.1:6379/9"
store = redis.Redis.from_url(REDIS_URL)
OUTSIDER = {"REMOTE_ADDR": "203.0.113.9"}


@job(retry=0)
def noop():
    return None


@job(retry=0)
def explode():
    raise RuntimeError("boom")


@pytest.fixture
def make_app(app, database_url):
    """Apps on the suite's database (its tables made by `app`), disposed afterwards."""
    made = []

    def make(**overrides):
        settings = {"DATABASE_URL": database_url, "METRICS_ENABLED": True, **overrides}
        made.append(create_app("testing", **settings))
        return made[-1]

    yield make
    for built in made:
        with built.app_context():
            _db.engine.dispose()


@pytest.fixture
def clean_redis():
    store.flushdb()
    yield
    store.flushdb()


def scrape(app, **kwargs):
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def value(text, name, **labels):
    """The sample `name` with exactly these labels, or 0 when there is none yet."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0


def metrics_text(app):
    return scrape(app).get_data(as_text=True)


# -- access ---------------------------------------------------------------------------------


def test_metrics_are_not_served_unless_enabled(make_app):
    app = make_app(METRICS_ENABLED=False)
    response = app.test_client().get("/metrics", headers={"Accept": "application/json"})
    assert response.status_code == 404


def test_the_local_host_may_scrape_in_prometheus_text_format(make_app):
    response = scrape(make_app())
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE http_requests_total counter" in response.get_data(as_text=True)


def test_another_address_is_refused_without_a_token(make_app):
    response = make_app().test_client().get("/metrics", environ_base=OUTSIDER)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"


def test_with_a_token_anyone_holding_it_may_scrape_and_nobody_else(make_app):
    app = make_app(METRICS_TOKEN="s3cret-metrics-token", METRICS_ALLOWED_IPS=[])
    client = app.test_client()

    missing = client.get("/metrics", environ_base=OUTSIDER)
    wrong = client.get("/metrics", environ_base=OUTSIDER, headers={"Authorization": "Bearer no"})
    right = client.get(
        "/metrics", environ_base=OUTSIDER, headers={"Authorization": "Bearer s3cret-metrics-token"}
    )
    local_without_token = client.get("/metrics")

    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert local_without_token.status_code == 401  # METRICS_ALLOWED_IPS is empty


def test_allowed_ips_take_networks(make_app):
    app = make_app(METRICS_ALLOWED_IPS=["203.0.113.0/24"])
    assert app.test_client().get("/metrics", environ_base=OUTSIDER).status_code == 200
    assert app.test_client().get("/metrics").status_code == 403


# -- what is counted ---------------------------------------------------------------------------


def test_requests_are_counted_by_url_rule_and_status_not_by_raw_path(make_app):
    app = make_app()
    client = app.test_client()
    rule = {"method": "GET", "route": "/api/articles/<int:id>", "status": "404"}
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    before = metrics_text(app)

    for article_id in (9001, 9002, 9003):
        assert client.get(f"/api/articles/{article_id}").status_code == 404
    client.get("/no/such/page/at/all")

    after = metrics_text(app)
    assert (
        value(after, "http_requests_total", **rule) - value(before, "http_requests_total", **rule)
        == 3
    )
    assert (
        value(after, "http_requests_total", **unmatched)
        - value(before, "http_requests_total", **unmatched)
        == 1
    )
    assert "/api/articles/9001" not in after


def test_latency_is_a_histogram_per_rule(make_app):
    app = make_app()
    labels = {"method": "GET", "route": "/healthz"}
    before = metrics_text(app)
    app.test_client().get("/healthz")
    after = metrics_text(app)

    count = "http_request_duration_seconds_count"
    assert value(after, count, **labels) - value(before, count, **labels) == 1
    assert value(after, "http_request_duration_seconds_bucket", le="10.0", **labels) >= 1
    assert value(after, "http_request_duration_seconds_sum", **labels) > 0


def test_pool_usage_shows_connections_in_use_and_the_pool_size(make_app):
    app = make_app()
    idle = metrics_text(app)
    with app.app_context(), _db.engine.connect():
        busy = metrics_text(app)
    after = metrics_text(app)

    assert value(idle, "db_pool_size") >= 5  # QueuePool's default, on SQLite files and MySQL
    assert value(busy, "db_pool_checked_out") - value(idle, "db_pool_checked_out") == 1
    assert value(after, "db_pool_checked_out") == value(idle, "db_pool_checked_out")


def test_job_counts_come_from_the_queue(make_app, clean_redis):
    app = make_app(REDIS_URL=REDIS_URL, JOBS_EAGER=False)
    with app.app_context():
        explode.delay()
        queue = _queue("default")
        SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(
            burst=True
        )
        noop.delay()
        noop.delay()

    text = metrics_text(app)
    assert value(text, "redis_up") == 1
    assert value(text, "jobs", queue="default", state="queued") == 2
    assert value(text, "jobs", queue="default", state="failed") == 1
    assert value(text, "jobs", queue="default", state="started") == 0


def test_with_redis_down_metrics_still_answer_and_say_so(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="project.metrics")
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.2)

    text = metrics_text(app)

    assert value(text, "redis_up") == 0
    assert "jobs{" not in text
    assert "http_requests_total" in text
    assert "metrics: Redis does not answer" in caplog.text


def test_without_redis_there_are_no_job_series(make_app):
    text = metrics_text(make_app(REDIS_URL=""))
    assert "redis_up" not in text
    assert "jobs{" not in text
