"""CPU milliseconds per request, in-process: the WSGI app called directly.

No server, no sockets, no load generator competing for the two cores: the
figure that varies least on a shared machine. It is the CPU time of the Python
process (for SQLite that includes SQLite's own work; a MariaDB server's work
is not counted). The parent runs one child per stack, because each stack
needs its own imports and settings:

    python -m benchlib.inproc < spec.json   ->   INPROC_JSON {...}
"""

import importlib
import io
import json
import os
import statistics
import subprocess
import sys
import time

from benchlib import BENCH_DIR

WARMUP = 50  # requests before the measured ones, at most


def warmup(iterations: int) -> int:
    """How many requests the child sends before its `iterations` measured ones."""
    return min(WARMUP, iterations)


def run(stack, db_url: str, cases, token: str, iterations: int, rounds: int) -> dict:
    """{case name: {cpu_ms, wall_ms, failures}} for one stack (parent side)."""
    done = run_child(stack, db_url, cases, token, iterations, rounds)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("INPROC_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"in-process run of {stack.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(line.removeprefix("INPROC_JSON "))


def run_child(stack, db_url, cases, token, iterations, rounds, prefix=(), timeout=900):
    """The finished child process (`prefix`: a command to run it under, e.g. valgrind)."""
    spec = {
        "wsgi": stack.wsgi,
        "token": token,
        "iterations": iterations,
        "rounds": rounds,
        "cases": [
            {"name": c.name, "method": c.method, "paths": c.paths, "body": c.body, "auth": c.auth}
            for c in cases
        ],
    }
    env = stack.env(db_url)
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(BENCH_DIR)])
    return subprocess.run(
        [*prefix, sys.executable, "-m", "benchlib.inproc"],
        input=json.dumps(spec),
        env=env,
        cwd=stack.pythonpath[0],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ---- child side -------------------------------------------------------------


def _body(kind: str, n: int) -> bytes:
    if kind == "create":
        data = {
            "title": f"In-process article {os.getpid()} {n}",
            "body": "Written in-process.",
            "status": "draft",
            "tags": ["bench-a", "bench-b"],
        }
    elif kind == "update":
        data = {"title": f"In-process update {os.getpid()} {n}"}
    else:
        return b""
    return json.dumps(data).encode()


def _environs(case: dict, token: str) -> list[dict]:
    from werkzeug.test import EnvironBuilder

    headers = {"Authorization": f"Bearer {token}"} if case["auth"] else {}
    content_type = "application/json" if case["body"] else None
    environs = []
    for path in case["paths"]:
        builder = EnvironBuilder(
            path=path,
            method=case["method"],
            headers=headers,
            content_type=content_type,
            base_url="http://127.0.0.1:8000",
        )
        environs.append(builder.get_environ())
        builder.close()
    return environs


def _call(app, environ: dict) -> str:
    status = []

    def start_response(line, headers, exc_info=None):
        status.append(line)
        return lambda data: None

    result = app(environ, start_response)
    try:
        for _chunk in result:
            pass
    finally:
        if hasattr(result, "close"):
            result.close()
    return status[0]


def _measure(app, case: dict, token: str, iterations: int, rounds: int) -> dict:
    environs = _environs(case, token)
    sent = 0
    failures = []

    def one():
        nonlocal sent
        environ = dict(environs[sent % len(environs)])
        sent += 1
        body = _body(case["body"], sent)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        status = _call(app, environ)
        if not status.startswith("2"):
            failures.append(status)

    for _ in range(warmup(iterations)):  # warm caches, connections, imports
        one()
    failures.clear()
    cpu, wall = [], []
    for _ in range(rounds):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(iterations):
            one()
        cpu.append((time.process_time() - cpu0) * 1000 / iterations)
        wall.append((time.perf_counter() - wall0) * 1000 / iterations)
    return {
        "cpu_ms": statistics.median(cpu),
        "wall_ms": statistics.median(wall),
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
    }


def _main() -> None:
    spec = json.load(sys.stdin)
    module, _, attr = spec["wsgi"].partition(":")
    app = getattr(importlib.import_module(module), attr.removesuffix("()"))
    if attr.endswith("()"):  # gunicorn's factory syntax: module:create_app()
        app = app()
    out = {
        case["name"]: _measure(app, case, spec["token"], spec["iterations"], spec["rounds"])
        for case in spec["cases"]
    }
    print("INPROC_JSON " + json.dumps(out), flush=True)


if __name__ == "__main__":
    _main()
