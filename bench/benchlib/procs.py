"""Servers we start, and the guarantee that they stop.

Every server runs in its own session (process group = its pid), so stopping
it signals exactly the processes this driver started, never anything by name.
stop_all() runs from main's finally, from atexit, and on SIGTERM/SIGHUP.
"""

import atexit
import contextlib
import os
import signal
import subprocess
import time

_running: list[subprocess.Popen] = []


def start(cmd: list[str], *, env: dict, cwd, log_path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _running.append(proc)
    return proc


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group (gunicorn stops its workers), then SIGKILL."""
    if proc in _running:
        _running.remove(proc)
    if proc.poll() is not None:
        return
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=grace)


def stop_all() -> None:
    for proc in list(_running):
        stop(proc)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through main's finally


def install_cleanup() -> None:
    atexit.register(stop_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first); None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """Pids whose parent is pid (gunicorn's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = stat_fields(int(entry))
        if fields is not None and int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
