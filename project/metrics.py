"""`GET /metrics` in Prometheus' text format, for every gunicorn worker at once.

    http_requests_total{method, route, status}       counter; route is the URL rule
    http_request_duration_seconds{method, route}     histogram
    db_pool_checked_out, db_pool_size                connections in use / pool size
    jobs{queue, state}                               RQ's counts (queued, started,
                                                     failed, deferred, scheduled)
    redis_up                                         1 if REDIS_URL answered the scrape

`route` is the rule (`/api/articles/<int:id>`), never the raw path, so the
number of series stays bounded; URLs that match no rule count as "<unmatched>".

Under gunicorn each worker is a process with its own counters. With
PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it before any worker
starts) prometheus_client writes them to files there and a scrape, answered
by any one worker, adds them all up. Two gunicorn instances on one host may
share the directory; the counts are then the host's. Without it (tests,
`runserver`) the numbers are this process's.

Access: off unless METRICS_ENABLED. Then a scrape needs
`Authorization: Bearer <METRICS_TOKEN>` (when a token is set) or to come from
METRICS_ALLOWED_IPS, as ProxyFix reports the client (TRUSTED_PROXY_COUNT).
"""

import hmac
import ipaddress
import logging
import os
import time

import sqlalchemy as sa
from flask import g, request, request_finished, request_started
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .errors import envelope
from .extensions import db
from .redis import RedisError, get_redis
from .serving import is_web_worker

logger = logging.getLogger("project.metrics")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_JOB_STATES = ("queued", "started", "failed", "deferred", "scheduled")

# This process's metrics. Not on prometheus_client's global registry, so that
# building several apps in one process (tests) never registers a name twice.
_own = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, URL rule and status.",
    ["method", "route", "status"],
    registry=_own,
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the start of Flask's dispatch to the response, by method and URL rule.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=_own,
)
POOL_CHECKED_OUT = Gauge(
    "db_pool_checked_out",
    "Database connections checked out of the pool (all live processes).",
    multiprocess_mode="livesum",
    registry=_own,
)
POOL_SIZE = Gauge(
    "db_pool_size",
    "Configured database pool size (all live processes).",
    multiprocess_mode="livesum",
    registry=_own,
)


def multiprocess_dir():
    """PROMETHEUS_MULTIPROC_DIR when it names a directory (gunicorn), else None."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return path if path and os.path.isdir(path) else None


class _Own:
    """This process's registry as a collector of a scrape registry."""

    def collect(self):
        return _own.collect()


class JobsCollector:
    """RQ's counts, read from Redis when scraped (any worker sees the same queues)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        client = get_redis(self.app)
        if client is None:  # no queue: jobs run inline
            return
        up = GaugeMetricFamily("redis_up", "1 if Redis answered this scrape.")
        jobs = GaugeMetricFamily(
            "jobs", "Background jobs by queue and state.", labels=["queue", "state"]
        )
        try:
            for name in self.app.config["JOBS_QUEUES"]:
                for state, count in _job_counts(client, name).items():
                    jobs.add_metric([name, state], count)
        except RedisError as exc:
            logger.warning("metrics: Redis does not answer, no job counts this scrape: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield jobs


def _job_counts(client, name):
    from rq import Queue

    queue = Queue(name, connection=client)
    return {
        "queued": queue.count,
        "started": queue.started_job_registry.count,
        "failed": queue.failed_job_registry.count,
        "deferred": queue.deferred_job_registry.count,
        "scheduled": queue.scheduled_job_registry.count,
    }


def scrape(app):
    """The metrics text of this host's workers (or this process) plus the job counts."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry, path=multiprocess_dir())
    else:
        registry.register(_Own())
    registry.register(JobsCollector(app))
    return generate_latest(registry)


# -- recording ------------------------------------------------------------------------


def _started(sender, **extra):
    g._metrics_started = time.perf_counter()


def _finished(sender, response, **extra):
    started = g.get("_metrics_started")
    method = request.method if request.method in _METHODS else "OTHER"
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(method, route).observe(time.perf_counter() - started)


def _watch_pool(app):
    """Follow the pool's checkouts. With a shared metrics directory only in web workers:
    a job worker's forked children or a scheduler would leave their values behind."""
    if multiprocess_dir() and not is_web_worker():
        return
    with app.app_context():
        engine = db.engine
    size = getattr(engine.pool, "size", None)
    if callable(size):
        POOL_SIZE.set(size())
    sa.event.listen(engine, "checkout", lambda *_: POOL_CHECKED_OUT.inc())
    sa.event.listen(engine, "checkin", lambda *_: POOL_CHECKED_OUT.dec())
    # A detached connection leaves the pool for good without a checkin.
    sa.event.listen(engine, "detach", lambda *_: POOL_CHECKED_OUT.dec())


# -- the endpoint ---------------------------------------------------------------------


def _allowed_networks(config):
    return [ipaddress.ip_network(raw, strict=False) for raw in config["METRICS_ALLOWED_IPS"]]


def _client_allowed(networks):
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def _token_ok(token):
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


def init_app(app):
    """When METRICS_ENABLED: count every request and serve /metrics. Off costs nothing."""
    if not app.config.get("METRICS_ENABLED"):
        return
    request_started.connect(_started, app, weak=False)
    request_finished.connect(_finished, app, weak=False)
    _watch_pool(app)
    token = app.config.get("METRICS_TOKEN") or ""
    networks = _allowed_networks(app.config)

    def metrics():
        if not (_token_ok(token) or _client_allowed(networks)):
            if token:
                return envelope(
                    401,
                    "not_authenticated",
                    "A valid METRICS_TOKEN bearer token is required.",
                    headers=[("WWW-Authenticate", 'Bearer realm="metrics"')],
                )
            return envelope(403, "permission_denied", "Metrics are not served to this address.")
        return app.response_class(scrape(app), mimetype=None, content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
