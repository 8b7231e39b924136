"""Run wrk for one case against one server and parse what bench.lua prints."""

import json
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from benchlib.cases import Case

LUA = Path(__file__).with_name("bench.lua")


def run(
    port: int, case: Case, token: str, *, duration: int, threads: int, connections: int
) -> dict:
    """One timed run: {rps, p50_ms, p99_ms, requests, non2xx, socket_errors, first_failure}.

    `first_failure`: the status and start of the body of the first non-2xx
    answer (one per wrk thread, the first of them), or None.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as paths:
        paths.write("\n".join(case.paths) + "\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "WRK_PATHS_FILE": paths.name,
        "WRK_METHOD": case.method,
        "WRK_BODY": case.body,
        "WRK_TOKEN": token if case.auth else "",
        "WRK_NONCE": uuid.uuid4().hex[:8],
    }
    cmd = [
        shutil.which("wrk") or "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
    ]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60)
    finally:
        Path(paths.name).unlink(missing_ok=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        output = done.stdout[-1000:] + done.stderr[-1000:]
        raise RuntimeError(f"wrk failed ({done.returncode}): {output}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    failures = [
        ln.removeprefix("WRK_FAILURE ")
        for ln in done.stdout.splitlines()
        if ln.startswith("WRK_FAILURE ")
    ]
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "non2xx": raw["non2xx"],
        "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        "first_failure": failures[0] if failures else None,
    }
