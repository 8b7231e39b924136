"""A real gunicorn for the deployment tests: our gunicorn.conf.py on a free loopback port.

`probe_app:app` is the project's WSGI app (project.wsgi) plus three routes a
test needs: a slow request, an attempt to start the scheduler inside a
worker, and the client address as the app sees it.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from .support import REPO_ROOT, clean_env

PROBE_APP = """
import os
import time

from project.scheduler import Scheduler, SchedulerForbidden
from project.wsgi import app


@app.get("/_probe/slow")
def slow():
    time.sleep(float(os.environ.get("PROBE_SLOW_SECONDS", "2")))
    return {"done": True, "pid": os.getpid()}


@app.get("/_probe/schedule")
def schedule():
    try:
        Scheduler(app).run()
    except SchedulerForbidden as exc:
        return {"refused": str(exc)}
    return {"refused": None}
"""


def fetch(url, headers=None, timeout=10):
    """GET `url`: (status, headers, body text), errors included (no exception for a 4xx/5xx)."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(tmp_path, **extra):
    """A production configuration on a scratch SQLite file, as an operator's .env would hold."""
    return {
        "APP_SETTINGS": "production",
        "SECRET_KEY": "a-long-random-secret-for-the-tests-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
        "MAIL_BACKEND": "memory",
        "WEB_CONCURRENCY": "2",
        **extra,
    }


class Server:
    def __init__(self, process, url, log_path):
        self.process = process
        self.url = url
        self.log_path = log_path

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def workers(self):
        """The pids of the master's worker processes."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


@contextmanager
def gunicorn(tmp_path, env, app="probe_app:app", ready_timeout=30):
    """Start gunicorn with gunicorn.conf.py; yield a Server; always stop it."""
    (tmp_path / "probe_app.py").write_text(textwrap.dedent(PROBE_APP))
    port = free_port()
    full_env = clean_env(**env)
    full_env["BIND"] = f"127.0.0.1:{port}"
    full_env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO_ROOT)])
    log_path = tmp_path / f"gunicorn-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
            [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "gunicorn.conf.py"), app],
            cwd=REPO_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_serving(server, ready_timeout)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(server, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gunicorn exited at start:\n{server.log()}")
        try:
            if fetch(f"{server.url}/healthz", timeout=1)[0] == 200:
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not serve within {timeout}s:\n{server.log()}")
