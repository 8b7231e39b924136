"""How many web processes a deployment runs; shared by gunicorn.conf.py and `manage.py check`."""

import os


def cpu_count():
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(environ=None):
    """gunicorn workers: WEB_CONCURRENCY when set, else gunicorn's advice, 2 x CPUs + 1."""
    environ = os.environ if environ is None else environ
    raw = environ.get("WEB_CONCURRENCY", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"WEB_CONCURRENCY={raw!r} is not a whole number of workers") from None
        if value < 1:
            raise ValueError(f"WEB_CONCURRENCY={raw!r} must be at least 1")
        return value
    return 2 * cpu_count() + 1


def web_processes(config, environ=None):
    """Web processes serving one deployment: workers per instance x WEB_INSTANCES."""
    return worker_count(environ) * max(1, int(config.get("WEB_INSTANCES", 1)))


#: Set by gunicorn.conf.py's post_fork in every web worker it starts.
WEB_WORKER_ENV = "PROJECT_WEB_WORKER"


def mark_web_worker():
    os.environ[WEB_WORKER_ENV] = str(os.getpid())


def is_web_worker():
    """True in a gunicorn worker started with gunicorn.conf.py (not in its children)."""
    return os.environ.get(WEB_WORKER_ENV) == str(os.getpid())
