"""Batch fetch vs the naive way, against the simulated Plannr API on loopback.

Both run in the same process against the same server (``plannr_nb.testing.SimServer``) with the
same latency per request (50 ms by default):

* naive: one ``GET /api/v1/automation-executions/{uuid}`` per UUID, one after the other
  (a plain ``httpx.Client`` with keep-alive: the best a hand-written loop does);
* batch: ``PlannrClient.fetch_executions(uuids)`` with its defaults (list requests of 100 UUIDs,
  8 in flight, the 500-a-minute limiter on; single GETs for UUIDs the list did not return).

A few of the UUIDs asked for do not exist, so the fallback path is part of the figure.

    .venv/bin/python benchmarks/bench_fetch.py            # 1,000 UUIDs (the naive way takes ~1 min)
    .venv/bin/python benchmarks/bench_fetch.py --quick    # 100 UUIDs, a few seconds
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid as uuid_module

import httpx

from plannr_nb import PlannrClient
from plannr_nb.testing import SimServer, fake_executions

TOKEN = "bench-token"


def naive(server: SimServer, uuids: list[str]) -> tuple[float, int, int]:
    server.api.clear_log()
    found = 0
    start = time.perf_counter()
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as client:
        for uuid in uuids:
            response = client.get(f"/api/v1/automation-executions/{uuid}")
            found += response.status_code == 200
    return time.perf_counter() - start, len(server.requests), found


def batch(server: SimServer, uuids: list[str]) -> tuple[float, int, int, int]:
    server.api.clear_log()
    start = time.perf_counter()
    with PlannrClient(TOKEN, base_url=server.url) as client:
        result = client.fetch_executions(uuids)
    elapsed = time.perf_counter() - start
    singles = sum(1 for r in server.requests if not r.path.endswith("automation-executions"))
    return elapsed, len(server.requests), len(result.executions), singles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 UUIDs instead of 1,000")
    parser.add_argument("--count", type=int, help="number of UUIDs asked for")
    parser.add_argument("--missing", type=int, default=None, help="how many do not exist")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--repeat", type=int, default=3, help="batch runs (median reported)")
    args = parser.parse_args()
    count = args.count or (100 if args.quick else 1000)
    missing = args.missing if args.missing is not None else max(1, count // 100)
    present = count - missing

    executions = fake_executions(present + 500, seed=1)
    uuids = [e["uuid"] for e in executions[:present]]
    uuids += [str(uuid_module.UUID(int=n + 1, version=4)) for n in range(missing)]
    # No server-side limit here: the naive loop alone would exceed 500 a minute.
    with SimServer(executions, token=TOKEN, latency=args.latency, rate_limit=None) as server:
        runs = [batch(server, uuids) for _ in range(args.repeat)]
        naive_time, naive_requests, naive_found = naive(server, uuids)

    batch_time = statistics.median(run[0] for run in runs)
    _, batch_requests, batch_found, singles = runs[0]
    lists = batch_requests - singles
    print(
        f"# Batch fetch: {count} UUIDs ({missing} missing), {args.latency * 1000:.0f} ms a "
        f"request; Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print()
    print("| method | requests | time (s) | found |")
    print("| --- | --- | --- | --- |")
    naive_row = f"{naive_requests} | {naive_time:.2f} | {naive_found}"
    print(f"| naive: one GET per UUID, sequential | {naive_row} |")
    print(
        f"| `fetch_executions` (median of {args.repeat}) | {batch_requests} "
        f"({lists} list + {singles} fallback) | {batch_time:.2f} | {batch_found} |"
    )
    print()
    speedup = naive_time / batch_time
    print(f"speed-up: {speedup:.1f}x; requests: {naive_requests / batch_requests:.1f}x fewer")
    ok = lists <= -(-count // 100) and singles <= missing and speedup >= 20
    verdict = "met" if ok else "MISSED"
    print(f"targets (<= 1 list request per 100 UUIDs + fallbacks, >= 20x): {verdict}")
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
