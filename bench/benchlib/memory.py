"""Worker memory after N requests: does a worker grow as it serves?

A fresh server for the stack, a mixed read load from a few client threads
(bounded by count and by time), and each worker's RSS after 1,000 and after
20,000 requests.
"""

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from benchlib import client, procs, stacks


def measure(
    stack,
    db_url: str,
    log_dir,
    paths: list[str],
    counts: tuple[int, ...],
    time_cap: float,
    clients: int = 4,
) -> list[dict]:
    """[{requests, errors, seconds, rss_kib: [per worker]}] after each count."""
    server = stacks.serve(stack, db_url, log_dir, paths[0])
    lock = threading.Lock()
    state = {"sent": 0, "errors": 0}
    deadline = time.monotonic() + time_cap
    started = time.monotonic()

    def worker(target: int) -> None:
        while time.monotonic() < deadline:
            with lock:
                if state["sent"] >= target:
                    return
                n = state["sent"]
                state["sent"] += 1
            try:
                status, _ = client.call(server.port, "GET", paths[n % len(paths)], timeout=30)
            except (OSError, http.client.HTTPException):
                status = 0
            if status != 200:
                with lock:
                    state["errors"] += 1

    snapshots = []
    try:
        for target in counts:
            with ThreadPoolExecutor(clients) as pool:
                for _ in range(clients):
                    pool.submit(worker, target)
            workers = procs.children(server.proc.pid)
            snapshots.append(
                {
                    "requests": state["sent"],
                    "errors": state["errors"],
                    "seconds": round(time.monotonic() - started, 1),
                    "rss_kib": [procs.rss_kib(pid) for pid in workers],
                }
            )
            if state["sent"] < target:
                break  # time cap reached
    finally:
        procs.stop(server.proc)
    return snapshots
