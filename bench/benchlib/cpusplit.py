"""Where the CPU of a timed run goes: the stack's workers, the database server, the rest.

wrk reports what a client sees; this says why. Around each wrk run the CPU
time of the gunicorn workers and of the database server process (from
/proc/<pid>/stat) and of the whole machine (/proc/stat, all but idle and
iowait) is read, and each is divided by the requests served. "rest" is the
machine's busy time less the two: wrk, the kernel's network work, gunicorn's
arbiter and whatever else runs on the shared cores. On SQLite the database
works inside the workers, so it has no column of its own.
"""

import os
import subprocess

from benchlib import procs

_TICKS = os.sysconf("SC_CLK_TCK")


def database_pid(kind: str) -> int | None:
    """The MariaDB/MySQL server's pid on this machine; None for SQLite or when not found."""
    if kind != "mariadb":
        return None
    for name in ("mariadbd", "mysqld"):
        found = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout
        if found.split():
            return int(found.split()[0])
    return None


def _process_seconds(pid: int) -> float:
    fields = procs.stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _busy_seconds() -> float:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / _TICKS  # all but idle and iowait


class Meter:
    """meter = Meter(server_pid, db_pid); meter.start(); ...; meter.stop(requests)."""

    def __init__(self, server_pid: int, db_pid: int | None):
        self.workers = procs.children(server_pid)
        self.db_pid = db_pid

    def _read(self) -> tuple[float, float, float]:
        workers = sum(_process_seconds(pid) for pid in self.workers)
        database = _process_seconds(self.db_pid) if self.db_pid else 0.0
        return workers, database, _busy_seconds()

    def start(self) -> None:
        self._before = self._read()

    def stop(self, requests: int) -> dict | None:
        """{workers_ms, db_ms, rest_ms} per request, or None when nothing was served."""
        if not requests:
            return None
        workers, database, busy = (b - a for a, b in zip(self._before, self._read(), strict=True))
        per = 1000 / requests
        return {
            "workers_ms": workers * per,
            "db_ms": database * per if self.db_pid else None,
            "rest_ms": max(busy - workers - database, 0.0) * per,
        }
