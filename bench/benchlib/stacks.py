"""The three stacks under test and how each is served by gunicorn."""

import importlib.util
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import BENCH_DIR, REPO_DIR, client, procs

WORKERS = 2
WORKER_CLASS = "sync"  # the same for every stack


@dataclass
class Stack:
    name: str
    wsgi: str  # "module:attribute", for gunicorn and for the in-process runner
    pythonpath: list[Path]
    env_vars: dict[str, str] = field(default_factory=dict)

    def env(self, db_url: str) -> dict[str, str]:
        env = {**os.environ, "DATABASE_URL": db_url, **self.env_vars}
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in self.pythonpath)
        return env

    def missing(self) -> str | None:
        """Why this stack cannot run here, or None."""
        module = self.wsgi.split(":")[0]
        base = self.pythonpath[0] / module.replace(".", "/")
        if not (base.with_suffix(".py").exists() or (base / "__init__.py").exists()):
            return f"{module} not found under {self.pythonpath[0]} (not written yet?)"
        return None


OURS_WSGI = "project.wsgi:app"


def all_stacks(ours_env: dict[str, str], ours_wsgi: str = OURS_WSGI) -> dict[str, Stack]:
    """ours is served as the project will be in production; the peers as theirs are."""
    ours = {
        "APP_SETTINGS": "production",
        "SECRET_KEY": "bench-only-secret",
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "LOG_LEVEL": "WARNING",
        **ours_env,
    }
    # The audit case: the same project with apps.audit removed, to price the log.
    unaudited = {**ours, "INSTALLED_APPS": "apps.accounts,apps.articles"}
    return {
        "ours": Stack("ours", ours_wsgi, [REPO_DIR], ours),
        "ours-noaudit": Stack("ours-noaudit", ours_wsgi, [REPO_DIR], unaudited),
        "drf": Stack(
            "drf",
            "peers.drf.wsgi:application",
            [BENCH_DIR],
            {"DJANGO_SETTINGS_MODULE": "peers.drf.settings"},
        ),
        "core": Stack("core", "peers.core.app:app", [BENCH_DIR]),
    }


def drf_installed() -> bool:
    return all(importlib.util.find_spec(m) for m in ("django", "rest_framework"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    stack: Stack
    port: int
    proc: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def serve(stack: Stack, db_url: str, log_dir: Path, probe_path: str, timeout: float = 60) -> Server:
    """Start gunicorn for the stack on a free loopback port and wait until it answers."""
    port = free_port()
    log_path = log_dir / f"{stack.name}-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        WORKER_CLASS,
        "--log-level",
        "warning",
        # The same (empty) gunicorn settings for every stack: without this, the
        # stack served from the repository root would pick up gunicorn.conf.py.
        "--config",
        os.devnull,
        "--chdir",
        str(stack.pythonpath[0]),
        stack.wsgi,
    ]
    proc = procs.start(cmd, env=stack.env(db_url), cwd=stack.pythonpath[0], log_path=log_path)
    server = Server(stack, port, proc, log_path)

    def answers() -> bool:
        if proc.poll() is not None:
            return True
        try:
            client.call(port, "GET", probe_path, timeout=5)
        except OSError:
            return False
        return True

    ready = procs.wait_until(answers, timeout)
    if not ready or proc.poll() is not None:
        procs.stop(proc)
        raise RuntimeError(f"{stack.name} did not start; its log ends:\n{server.log_tail()}")
    return server
