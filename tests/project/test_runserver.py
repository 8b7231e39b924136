"""`python manage.py runserver` serves the app (what `make run` ends with)."""

import http.client
import json
import socket
import subprocess
import sys
import time

from .support import REPO_ROOT, clean_env


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(port, path, timeout):
    """GET http://127.0.0.1:<port><path>, retrying until the server is up or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            connection.close()


def test_runserver_answers_on_the_given_port(tmp_path):
    port = free_port()
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", "runserver", "--port", str(port), "--no-debug"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status, body = get_json(port, "/healthz", timeout=30)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)

    assert (status, body) == (200, {"status": "ok"}), errors
    assert f"Running on http://127.0.0.1:{port}" in errors
