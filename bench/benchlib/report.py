"""Medians of the interleaved runs, printed as one table per database."""

import statistics

RATIO_PAIRS = [("ours", "drf"), ("ours", "core"), ("drf", "core"), ("ours", "ours-noaudit")]
STACK_ORDER = ["ours", "ours-noaudit", "drf", "core"]


def median_run(runs: list[dict]) -> dict:
    """Median of each figure across the repeats; non-2xx and socket errors summed.

    spread is (max - min) / median of req/s: how far to trust the median.
    """
    rps = [r["rps"] for r in runs]
    median_rps = statistics.median(rps)
    return {
        "rps": median_rps,
        "spread": (max(rps) - min(rps)) / median_rps if len(rps) > 1 and median_rps else None,
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "first_failure": next((r["first_failure"] for r in runs if r.get("first_failure")), None),
        "repeats": len(runs),
    }


def _fmt(value, spec: str) -> str:
    """The value formatted, or '-' right-aligned to the same width."""
    if value is None:
        return "-".rjust(int("".join(c for c in spec.split(".")[0] if c.isdigit()) or 1))
    return format(value, spec)


def print_table(db: str, case_names: list[str], runs: dict, cpu: dict) -> None:
    """runs[case][stack] = [wrk result, ...]; cpu[stack][case] = in-process result.

    req/s ratio a/b > 1: a serves more; cpu ratio a/b < 1: a spends less CPU per request.
    """
    print(f"\n=== {db}: wrk req/s and latency (median of repeats), in-process CPU ms/request ===")
    header = (
        f"{'case':<13} {'stack':<12} {'req/s':>9} {'spread':>7} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'cpu ms':>8} {'non-2xx':>8}"
    )
    print(header)
    print("-" * len(header))
    for case in case_names:
        medians = {stack: median_run(r) for stack, r in runs.get(case, {}).items() if r}
        cpus = {stack: cpu.get(stack, {}).get(case, {}).get("cpu_ms") for stack in cpu}
        first = True
        for stack in sorted(
            set(medians) | {s for s, v in cpus.items() if v is not None},
            key=STACK_ORDER.index,
        ):
            m = medians.get(stack, {})
            cells = [
                _fmt(m.get("rps"), "9.1f"),
                _fmt(m.get("spread"), "7.0%"),
                _fmt(m.get("p50_ms"), "8.2f"),
                _fmt(m.get("p99_ms"), "8.2f"),
                _fmt(cpus.get(stack), "8.3f"),
                _fmt(m.get("non2xx"), "8d"),
            ]
            print(f"{case if first else '':<13} {stack:<12} " + " ".join(cells))
            first = False
        rps = {stack: m["rps"] for stack, m in medians.items()}
        for label, values in (("req/s", rps), ("cpu", cpus)):
            ratios = _ratios(values)
            if ratios:
                print(f"{'':<13} {label + ' ratio':<11} " + "   ".join(ratios))
        paired = paired_ratios(runs.get(case, {}))
        if paired:
            print(f"{'':<13} {'paired':<11} " + "   ".join(paired))
        for stack, m in medians.items():
            if m["non2xx"] or m["socket_errors"]:
                print(
                    f"{'':<13} WARNING {stack}: {m['non2xx']} non-2xx responses, "
                    f"{m['socket_errors']} socket errors over {m['repeats']} runs"
                    + (f"; first: {m['first_failure']}" if m["first_failure"] else "")
                )
    deep = runs.get("keyset_deep", {}).get("ours")
    first_page = runs.get("keyset_first", {}).get("ours")
    if deep and first_page:
        ratio = median_run(deep)["rps"] / median_run(first_page)["rps"]
        print(
            f"keyset: deep page req/s / first page req/s = {ratio:.2f}x "
            "(1.00 = depth costs nothing)"
        )


def print_cpu_split(db: str, case_names: list[str], runs: dict) -> None:
    """CPU ms per request under load, by process (benchlib/cpusplit.py), median of repeats."""
    print(f"\n=== {db}: CPU ms per request under load, by process (median of repeats) ===")
    header = f"{'case':<13} {'stack':<12} {'workers':>8} {'database':>9} {'rest':>7} {'total':>7}"
    print(header)
    print("-" * len(header))
    for case in case_names:
        first = True
        for stack in sorted(runs.get(case, {}), key=STACK_ORDER.index):
            splits = [r["cpu_split"] for r in runs[case][stack] if r.get("cpu_split")]
            if not splits:
                continue
            cells = {
                key: None if splits[0][key] is None else statistics.median(s[key] for s in splits)
                for key in ("workers_ms", "db_ms", "rest_ms")
            }
            total = statistics.median(
                s["workers_ms"] + (s["db_ms"] or 0.0) + s["rest_ms"] for s in splits
            )
            print(
                f"{case if first else '':<13} {stack:<12} {_fmt(cells['workers_ms'], '8.3f')} "
                f"{_fmt(cells['db_ms'], '9.3f')} {_fmt(cells['rest_ms'], '7.3f')} {total:7.3f}"
            )
            first = False


def print_rss(db: str, stack: str, snapshots: list[dict]) -> None:
    print(f"\n=== {db}: {stack} worker RSS (fresh server, mixed reads) ===")
    for snap in snapshots:
        workers = ", ".join(f"{kib / 1024:.1f}" for kib in snap["rss_kib"])
        print(
            f"after {snap['requests']:>6} requests ({snap['seconds']:>5.1f} s, "
            f"{snap['errors']} errors): workers {workers} MiB, "
            f"total {sum(snap['rss_kib']) / 1024:.1f} MiB"
        )
    if len(snapshots) >= 2 and sum(snapshots[0]["rss_kib"]):
        ratio = sum(snapshots[-1]["rss_kib"]) / sum(snapshots[0]["rss_kib"])
        print(
            f"RSS ratio after {snapshots[-1]['requests']} / after "
            f"{snapshots[0]['requests']} requests: {ratio:.3f}"
        )


def print_instructions(db: str, case_names: list[str], counts: dict) -> None:
    """counts[stack][case] = instructions per request; ratio a/b < 1: a executes fewer."""
    print(f"\n=== {db}: instructions per request, in-process (callgrind; millions) ===")
    stacks = [s for s in STACK_ORDER if s in counts]
    print(f"{'case':<13} " + " ".join(f"{s:>12}" for s in stacks))
    for case in case_names:
        values = {s: counts[s].get(case) for s in stacks}
        if not any(values.values()):
            continue
        cells = [_fmt(v / 1e6 if v else None, "12.2f") for v in values.values()]
        print(f"{case:<13} " + " ".join(cells) + "   " + "   ".join(_ratios(values)))


def paired_ratios(stacks: dict) -> list[str]:
    """ "a/b 1.23x": the median over repeats of a's req/s over b's in the same repeat.

    The two runs of a repeat follow each other within seconds, so a machine
    whose speed drifts over minutes (a shared host) moves both alike; the
    ratio of the medians above can pair a fast minute of one stack with a
    slow one of the other. Only for pairs with one run per repeat each.
    """
    found = []
    for a, b in RATIO_PAIRS:
        runs_a, runs_b = stacks.get(a), stacks.get(b)
        if not runs_a or not runs_b or len(runs_a) != len(runs_b) or len(runs_a) < 2:
            continue
        ratios = [x["rps"] / y["rps"] for x, y in zip(runs_a, runs_b, strict=True) if y["rps"]]
        if ratios:
            found.append(f"{a}/{b} {statistics.median(ratios):5.2f}x")
    return found


def _ratios(values: dict) -> list[str]:
    """ "a/b 1.23x" for each pair of RATIO_PAIRS that both have a value."""
    return [
        f"{a}/{b} {values[a] / values[b]:5.2f}x"
        for a, b in RATIO_PAIRS
        if values.get(a) and values.get(b)
    ]
