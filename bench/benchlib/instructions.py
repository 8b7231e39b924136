"""Instructions per request, counted by valgrind's callgrind: a figure a shared machine cannot blur.

wrk's req/s on two shared cores moves 20-50% between runs; an instruction
count is the same twice for the same code and data. Each stack's WSGI app
runs in-process (the `inproc` child) under `valgrind --tool=callgrind`, once
with FEW requests of a case and once with MANY; the difference divided by
the extra requests is what one request costs, start-up and imports
cancelling out. Counted: user-space instructions of the Python process, so
SQLite's own work is in them and a MariaDB server's is not. Time per
instruction differs between stacks (cache misses, system calls), so this
ranks Python-side cost; req/s stays the figure the targets are set in.
"""

import re
import shutil

from benchlib import inproc

FEW, MANY = 20, 120
_COLLECTED = re.compile(r"Collected : (\d+)")


def available() -> bool:
    return shutil.which("valgrind") is not None


def _count(stack, db_url, case, token, iterations) -> int:
    done = inproc.run_child(
        stack,
        db_url,
        [case],
        token,
        iterations,
        rounds=1,
        prefix=["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"],
        timeout=1800,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None or "INPROC_JSON " not in done.stdout:
        tail = done.stderr[-2000:]
        raise RuntimeError(f"callgrind run of {stack.name} {case.name} failed:\n{tail}")
    return int(found.group(1))


def per_request(stack, db_url, cases, token) -> dict:
    """{case name: instructions per request} for one stack."""
    extra = (inproc.warmup(MANY) + MANY) - (inproc.warmup(FEW) + FEW)
    counts = {}
    for case in cases:
        few = _count(stack, db_url, case, token, FEW)
        many = _count(stack, db_url, case, token, MANY)
        counts[case.name] = (many - few) / extra
    return counts
