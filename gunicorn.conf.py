"""gunicorn's settings for this project: `gunicorn -c gunicorn.conf.py` (`make serve`).

Every value can be changed without editing this file:

    BIND (or HOST + PORT)  where to listen             default 127.0.0.1:8000
    WEB_CONCURRENCY        worker processes            default 2 x CPUs + 1
    GUNICORN_TIMEOUT       seconds a request may take  default 30, then the worker is killed
    GUNICORN_GRACEFUL_TIMEOUT  seconds in-flight requests get after SIGTERM/HUP  default 30
    GUNICORN_MAX_REQUESTS  recycle a worker after this many requests (+ jitter)  default 20000
    PROMETHEUS_MULTIPROC_DIR  where workers keep their metrics  default: a temp dir

SIGTERM stops accepting, lets in-flight requests finish (graceful_timeout), then
exits; SIGHUP reloads the code with new workers, the same way (a graceful reload).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from dotenv import load_dotenv  # noqa: E402

load_dotenv(ROOT / ".env")  # gunicorn does not read .env itself (PITFALLS P13)

from project.conf import settings_name  # noqa: E402
from project.serving import worker_count  # noqa: E402

wsgi_app = "project.wsgi:app"
bind = [
    os.environ.get("BIND")
    or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
]
workers = worker_count()
threads = int(os.environ.get("GUNICORN_THREADS", "1"))  # > 1 switches to the gthread worker
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# A worker is replaced after this many requests, so a slow leak cannot grow
# forever; the jitter keeps the workers from all restarting at once. It is
# insurance (bench/run measures no leak), not a routine: each recycle
# re-imports the app, and at 1,000 requests a thousand would be every second.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max(1, max_requests // 10)
# Code reload is for a laptop only; production restarts with SIGHUP.
reload = settings_name() == "development"
# Each worker imports the app after the fork: no database connection or Redis
# socket is shared between processes, and nothing forked holds a scheduler.
preload_app = False
forwarded_allow_ips = "127.0.0.1,::1"  # gunicorn's own wsgi.url_scheme; the app uses ProxyFix

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "project.accesslog.ProjectLogger"
# Text mode (LOG_FORMAT=text): the request line with the request id the app answered with.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s] "%(a)s"'
proc_name = os.environ.get("GUNICORN_PROC_NAME", "project")


def on_starting(server):
    """Give the workers a metrics directory before any of them imports prometheus_client."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        return
    path = tempfile.mkdtemp(prefix="gunicorn-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    server._project_metrics_dir = path


def when_ready(server):
    server.log.info(
        "serving %s with %d workers; scheduled jobs run only in `manage.py scheduler`",
        ", ".join(server.cfg.bind),
        server.cfg.workers,
    )


def post_fork(server, worker):
    """A web worker never runs scheduled jobs (project.scheduler refuses in it), and is
    the only kind of process that reports pool usage to the shared metrics directory."""
    from project.scheduler import forbid_in_this_process
    from project.serving import mark_web_worker

    forbid_in_this_process(f"gunicorn worker {os.getpid()}")
    mark_web_worker()


def child_exit(server, worker):
    """Drop a dead worker's gauges (its counters still count)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    path = getattr(server, "_project_metrics_dir", None)
    if path:
        shutil.rmtree(path, ignore_errors=True)
