"""bench/run: the framework against DRF and the bare-Flask floor, on SQLite and MariaDB.

For each database: create it, seed it with the project's commands, mint a
token, serve every stack with gunicorn, check they answer the same JSON, time
each case with wrk (stacks interleaved A,B,C,A,B,C; medians), measure CPU per
request in-process, measure a fresh worker's memory growth, print the table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    BENCH_DIR,
    check,
    client,
    cpusplit,
    databases,
    inproc,
    instructions,
    memory,
    procs,
    report,
    stacks,
    tools,
    wrk,
)
from benchlib import cases as cases_mod

STACK_ORDER = ["ours", "ours-noaudit", "drf", "core"]


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--db", choices=["sqlite", "mariadb", "both"], default="both")
    p.add_argument(
        "--stacks", default=",".join(STACK_ORDER), help="comma list of ours,ours-noaudit,drf,core"
    )
    p.add_argument(
        "--cases",
        default=",".join(cases_mod.ALL_CASES),
        help=f"comma list of {','.join(cases_mod.ALL_CASES)}",
    )
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved runs per case and stack")
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--connections", type=int, default=32, help="wrk connections")
    p.add_argument(
        "--iterations", type=int, default=300, help="in-process requests per round (3 rounds)"
    )
    p.add_argument(
        "--rss-stacks", default="ours", help="stacks whose worker RSS is measured ('' = none)"
    )
    p.add_argument("--rss-counts", default="1000,20000", help="requests after which RSS is read")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke check: 2 s runs, 1 repeat, 50 in-process iterations, RSS after 200/2000",
    )
    p.add_argument(
        "--seed-script",
        type=Path,
        help="stand-in for the project's db upgrade + articles seed (run with $DATABASE_URL)",
    )
    p.add_argument(
        "--keyset-start",
        default="/api/articles?cursor=",
        help="ours' first keyset page; deeper pages are reached by following `next`",
    )
    p.add_argument(
        "--ours-wsgi",
        default=stacks.OURS_WSGI,
        help="our WSGI app as gunicorn names it (module:attr or module:factory())",
    )
    p.add_argument(
        "--ours-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for our app (repeatable)",
    )
    p.add_argument("--ignore-mismatch", action="store_true", help="time even if the JSON differs")
    p.add_argument("--no-install", action="store_true", help="skip apt-get/pip")
    p.add_argument("--no-inproc", action="store_true")
    p.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions per request with callgrind (slow: 1-2 minutes "
        "per stack and case)",
    )
    p.add_argument("--keep-db", action="store_true", help="leave the seeded databases behind")
    p.add_argument(
        "--json",
        type=Path,
        help="where to write every raw figure (default bench/.results/run-<time>.json)",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.repeats, args.iterations = 2, 1, 50
        args.rss_counts = "200,2000"
    args.stacks = [s for s in STACK_ORDER if s in args.stacks.split(",")]
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(args.cases) - set(cases_mod.ALL_CASES)
    if unknown:
        p.error(f"unknown cases: {sorted(unknown)}")
    args.rss_stacks = [s for s in args.rss_stacks.split(",") if s]
    args.rss_counts = tuple(int(n) for n in args.rss_counts.split(","))
    args.ours_env = dict(item.split("=", 1) for item in args.ours_env)
    return args


def available_stacks(args) -> dict:
    chosen = {}
    for name, stack in stacks.all_stacks(args.ours_env, args.ours_wsgi).items():
        if name not in args.stacks:
            continue
        reason = stack.missing()
        if name == "drf" and not stacks.drf_installed():
            reason = "django/djangorestframework missing (pip install -r bench/requirements.txt)"
        if reason and name == "ours":
            reason += "; --ours-wsgi 'project:create_app()' serves the factory meanwhile"
        if reason:
            print(f"SKIP stack {name}: {reason}")
        else:
            chosen[name] = stack
    return chosen


def run_database(kind: str, args, chosen: dict, log_dir: Path) -> dict:
    """Everything for one database; returns the raw figures."""
    print(f"\n##### {kind} #####", flush=True)
    db = databases.create(kind)
    servers = {}
    try:
        # The project's commands run with the settings our server gets.
        ours = stacks.all_stacks(args.ours_env, args.ours_wsgi)["ours"]
        databases.seed(db, ours.env(db.url), args.seed_script)
        token = databases.make_token(db.url)
        ids = databases.pick_ids(db.url)
        print(
            f"  {ids.total} articles; {len(ids.detail)} detail ids, "
            f"{len(ids.own)} of user 1's to PATCH"
        )
        cases = cases_mod.build(args.cases, ids)

        probe = f"/api/articles/{ids.detail[0]}"
        for name, stack in chosen.items():
            try:
                servers[name] = stacks.serve(stack, db.url, log_dir, probe)
            except RuntimeError as exc:
                print(f"SKIP stack {name} on {kind}: {exc}")
        cases = _fill_keyset(cases, servers, args)

        ports = {name: server.port for name, server in servers.items()}
        ok = True
        if len(ports) > 1:
            print(f"  same JSON? {', '.join(ports)}", flush=True)
            ok = check.same_json(ports, ids, token)
            print("  same JSON: OK" if ok else "  same JSON: NO (see MISMATCH lines above)")
        if not ok and not args.ignore_mismatch:
            print(f"  not timing {kind}: the stacks disagree (--ignore-mismatch to time anyway)")
            return {"mismatch": True}

        runs = _time_cases(kind, cases, servers, token, args, probe)
        for server in servers.values():
            procs.stop(server.proc)

        cpu = {} if args.no_inproc else _cpu_per_request(servers, chosen, db, cases, token, args)
        counts = _instructions(servers, chosen, db, cases, token) if args.instructions else {}
        rss = _rss_growth(servers, chosen, db, ids, log_dir, args)
        report.print_table(kind, [c.name for c in cases], runs, cpu)
        report.print_cpu_split(kind, [c.name for c in cases], runs)
        if counts:
            report.print_instructions(kind, [c.name for c in cases], counts)
        for name, snapshots in rss.items():
            report.print_rss(kind, name, snapshots)
        return {"runs": runs, "cpu": cpu, "instructions": counts, "rss": rss}
    finally:
        for server in servers.values():
            procs.stop(server.proc)
        if not args.keep_db:
            db.drop()
        else:
            print(f"  kept {db.url}")


def _cpu_per_request(servers, chosen, db, cases, token, args, rounds=3) -> dict:
    """cpu[stack][case] from the in-process runner; a stack that fails is reported, not fatal.

    One child per stack and round, the stacks taking turns (A B, B A, ...), so
    a slow spell of the shared machine lands on every stack's rounds alike;
    each figure is the median of its rounds.
    """
    names = list(servers)
    print(f"  in-process {', '.join(names)} ({args.iterations} x {rounds} per case)", flush=True)
    rounds_of = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            if rounds_of[name] is None:
                continue
            mine = [c for c in cases if c.applies_to(name)]
            try:
                rounds_of[name].append(
                    inproc.run(chosen[name], db.url, mine, token, args.iterations, rounds=1)
                )
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"  WARNING in-process {name} skipped: {exc}")
                rounds_of[name] = None
    cpu = {}
    for name, results in rounds_of.items():
        if not results:
            continue
        cpu[name] = {case: _median_round([r[case] for r in results]) for case in results[0]}
        for case, result in cpu[name].items():
            if result["failures"]:
                print(
                    f"  WARNING in-process {name} {case}: {result['failures']} failures "
                    f"({result['first_failure']})"
                )
    return cpu


def _median_round(results: list[dict]) -> dict:
    failed = [r["first_failure"] for r in results if r["first_failure"]]
    return {
        "cpu_ms": statistics.median(r["cpu_ms"] for r in results),
        "wall_ms": statistics.median(r["wall_ms"] for r in results),
        "failures": sum(r["failures"] for r in results),
        "first_failure": failed[0] if failed else None,
    }


def _instructions(servers, chosen, db, cases, token) -> dict:
    """counts[stack][case] from callgrind; a stack that fails is reported, not fatal."""
    if not instructions.available():
        print("  WARNING instruction counts skipped: valgrind is not installed")
        return {}
    counts = {}
    for name in servers:
        mine = [c for c in cases if c.applies_to(name)]
        print(f"  instructions {name} (callgrind, {len(mine)} cases)", flush=True)
        try:
            counts[name] = instructions.per_request(chosen[name], db.url, mine, token)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"  WARNING instructions {name} skipped: {exc}")
    return counts


def _rss_growth(servers, chosen, db, ids, log_dir, args) -> dict:
    """rss[stack] = snapshots after each of args.rss_counts requests, on a fresh server."""
    paths = [
        "/api/articles?page=1&size=20",
        "/api/articles?page=400&size=20",
        *(f"/api/articles/{i}" for i in ids.detail[:98]),
    ]
    rss = {}
    for name in args.rss_stacks:
        if name not in servers:
            continue
        print(f"  RSS {name}: fresh server, {args.rss_counts} requests", flush=True)
        try:
            rss[name] = memory.measure(
                chosen[name],
                db.url,
                log_dir,
                paths,
                args.rss_counts,
                time_cap=60 if args.quick else 300,
            )
        except RuntimeError as exc:
            print(f"  WARNING RSS {name} skipped: {exc}")
    return rss


def _fill_keyset(cases, servers, args):
    """Find ours' keyset pages, or drop the keyset cases saying why."""
    wanted = [c for c in cases if c.name.startswith("keyset_")]
    if not wanted:
        return cases
    reason = None if "ours" in servers else "only ours serves keyset pages and it is not running"
    if reason is None:
        try:
            first, deep = cases_mod.discover_keyset(servers["ours"].port, args.keyset_start)
        except RuntimeError as exc:
            reason = f"keyset pagination not ready: {exc}"
        else:
            for case in wanted:
                case.paths = [first if case.name == "keyset_first" else deep]
            print(f"  keyset pages: {first} and {deep}")
    if reason:
        print(f"  SKIP keyset cases: {reason}")
        return [c for c in cases if c not in wanted]
    return cases


def _time_cases(kind, cases, servers, token, args, probe: str) -> dict:
    """runs[case][stack] = [wrk result per repeat], stacks interleaved."""
    load = {"threads": args.threads, "connections": args.connections}
    warmup = cases_mod.Case("warmup", "GET", [probe])
    for server in servers.values():
        wrk.run(server.port, warmup, token, duration=1, **load)
        _settle(server.port, probe)
    runs = {}
    db_pid = cpusplit.database_pid(kind)
    meters = {name: cpusplit.Meter(server.proc.pid, db_pid) for name, server in servers.items()}
    for case in cases:
        for repeat in range(1, args.repeats + 1):
            # A B, B A, A B, ...: a drift of the machine's speed during a case
            # favours no stack (see report.paired_ratios).
            order = list(servers.items()) if repeat % 2 else list(servers.items())[::-1]
            for name, server in order:
                if not case.applies_to(name):
                    continue
                meters[name].start()
                result = wrk.run(server.port, case, token, duration=args.duration, **load)
                _settle(server.port, probe)
                result["cpu_split"] = meters[name].stop(result["requests"])
                runs.setdefault(case.name, {}).setdefault(name, []).append(result)
                flag = f"  non-2xx {result['non2xx']}" if result["non2xx"] else ""
                if result["first_failure"]:
                    flag += f" (first: {result['first_failure'][:160]})"
                print(
                    f"  [{kind}] {case.name:<12} #{repeat} {name:<4} {result['rps']:8.1f} req/s "
                    f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms{flag}",
                    flush=True,
                )
    return runs


def _settle(port: int, probe: str) -> None:
    """Wait until the requests wrk left queued are served, so the next run starts clean.

    When wrk stops, requests it had sent still sit in the listen backlog and the
    workers serve them; a probe sent now is answered only after them.
    """
    client.call(port, "GET", probe, timeout=180)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    procs.install_cleanup()
    if not args.no_install:
        tools.ensure_wrk()
        tools.ensure_requirements()
    chosen = available_stacks(args)
    if not chosen:
        print("no stack can run")
        return 1
    print(f"{tools.versions()}; {os.cpu_count()} cores")
    print(
        f"gunicorn --workers {stacks.WORKERS} --worker-class {stacks.WORKER_CLASS}; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s x {args.repeats} repeats"
    )
    kinds = ["sqlite", "mariadb"] if args.db == "both" else [args.db]
    results, status = {}, 0
    log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    try:
        for kind in kinds:
            try:
                results[kind] = run_database(kind, args, chosen, log_dir)
            except Exception as exc:  # one database failing must not hide the other's figures
                print(f"\nFAILED on {kind}: {type(exc).__name__}: {exc}")
                results[kind] = {"error": str(exc)}
            if "runs" not in results[kind]:
                status = 1
    except KeyboardInterrupt:
        print("\ninterrupted")
        status = 130
    finally:
        procs.stop_all()
    print(f"\nserver logs: {log_dir}")
    out = args.json or BENCH_DIR / ".results" / time.strftime("run-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=1, default=str))
    print(f"raw figures: {out}")
    return status
