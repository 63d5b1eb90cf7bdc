"""Benchmark: 1,000 UUIDs from the loopback simulated API to frames, three ways.

All four run in one process against the same ``plannr_nb.testing.SimServer`` (a real HTTP server on
127.0.0.1, ``include=account``, no rate limit on the server), interleaved, medians of
``--repeat`` runs:

* naive (what a user writes by hand): an ``httpx.Client`` loop of single
  ``GET /api/v1/automation-executions/{uuid}?include=account``, ``response.json()["data"]``, then
  ``pandas.json_normalize`` (executions, and ``record_path="steps"``) and
  ``pd.to_datetime(utc=True, format="ISO8601")`` on the timestamp columns;
* client, dicts: ``PlannrClient.fetch_executions(uuids, include_account=True)`` (list requests
  of 100 UUIDs, 8 in flight), then ``build_frames(result.executions)`` on the dicts it returns;
* client, as users call it: the same fetch, then ``build_frames(result)``: the frames are read
  from the bodies the API sent, which the ``FetchResult`` keeps (no dict serialised again);
* raw pages: the same list requests made with ``httpx`` (sequentially), the page bodies kept as
  bytes, then ``plannr_nb._frames.frames_from_bodies(bodies, uuids=uuids)``: the floor of the
  frames part.

Each row says how the time splits between the network part and the frames part. Prints
figures, not a verdict; ``--quick`` asks for 100 UUIDs once.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from polars.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_frames import _normalize

from plannr_nb import PlannrClient
from plannr_nb._frames import build_frames, frames_from_bodies
from plannr_nb.testing import SimServer, fake_executions

TOKEN = "bench-token"
PATH = "/api/v1/automation-executions"


def naive(server: SimServer, uuids: list[str]) -> tuple[float, float, Any]:
    start = time.perf_counter()
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as client:
        found = [
            client.get(f"{PATH}/{uuid}", params={"include": "account"}).json()["data"]
            for uuid in uuids
        ]
    fetched = time.perf_counter()
    frames = _normalize(found)
    return fetched - start, time.perf_counter() - fetched, frames


def client_dicts(server: SimServer, uuids: list[str]) -> tuple[float, float, Any]:
    start = time.perf_counter()
    with PlannrClient(TOKEN, base_url=server.url) as client:
        result = client.fetch_executions(uuids, include_account=True)
    fetched = time.perf_counter()
    frames = build_frames(result.executions)
    return fetched - start, time.perf_counter() - fetched, frames


def client_result(server: SimServer, uuids: list[str]) -> tuple[float, float, Any]:
    start = time.perf_counter()
    with PlannrClient(TOKEN, base_url=server.url) as client:
        result = client.fetch_executions(uuids, include_account=True)
    fetched = time.perf_counter()
    frames = build_frames(result)
    return fetched - start, time.perf_counter() - fetched, frames


def raw_pages(server: SimServer, uuids: list[str]) -> tuple[float, float, Any]:
    start = time.perf_counter()
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as client:
        bodies = []
        for i in range(0, len(uuids), 100):
            chunk = uuids[i : i + 100]
            params = {"filter[uuid]": ",".join(chunk), "per_page": "100", "include": "account"}
            response = client.get(PATH, params=params)
            response.raise_for_status()
            bodies.append(response.content)
    fetched = time.perf_counter()
    frames = frames_from_bodies(bodies, uuids=uuids)
    return fetched - start, time.perf_counter() - fetched, frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="UUIDs asked for")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 UUIDs, one run")
    args = parser.parse_args(argv)
    count, repeat = (100, 1) if args.quick else (args.count, args.repeat)
    executions = fake_executions(count + 200, seed=3)
    uuids = [e["uuid"] for e in executions[:count]]
    size = sum(len(orjson.dumps(e)) for e in executions[:count])
    ways = {
        "naive: httpx loop of GETs + pandas.json_normalize": naive,
        "client: fetch_executions + build_frames(result.executions) (dicts)": client_dicts,
        "client: fetch_executions + build_frames(result) (its bodies)": client_result,
        "raw pages: httpx list pages + frames_from_bodies": raw_pages,
    }
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    results: dict[str, Any] = {}
    with SimServer(executions, token=TOKEN, latency=args.latency, rate_limit=None) as server:
        for way in ways.values():  # first-call costs (imports, connections) are not timed
            way(server, uuids[:20])
        for _ in range(repeat):
            for name, way in ways.items():
                network, frames_s, results[name] = way(server, uuids)
                timings[name].append((network, frames_s))
    names = list(ways)
    ours_raw = results[names[-1]]
    for name in names[1:-1]:
        for left, right in zip(results[name], ours_raw, strict=True):
            assert_frame_equal(left, right)
    pd_executions, pd_steps = results[names[0]]
    assert len(pd_executions) == ours_raw.executions.height == count
    assert len(pd_steps) == ours_raw.steps.height
    print(
        f"# {count:,} UUIDs to frames over loopback ({size / 1e6:.1f} MB of executions as JSON, "
        f"{args.latency * 1000:.0f} ms latency a request, include=account); median of {repeat}; "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print()
    print("| way | total s | network s | frames s | x faster than naive |")
    print("| --- | --- | --- | --- | --- |")
    totals = {name: statistics.median(n + f for n, f in runs) for name, runs in timings.items()}
    for name, runs in timings.items():
        network = statistics.median(n for n, _ in runs)
        frames_s = statistics.median(f for _, f in runs)
        print(
            f"| {name} | {totals[name]:.3f} | {network:.3f} | {frames_s:.4f} | "
            f"{totals[names[0]] / totals[name]:.1f} |"
        )
    print()
    print(
        f"frames: {ours_raw.executions.height:,} executions, {ours_raw.steps.height:,} steps, "
        f"{ours_raw.accounts.height} accounts; client dicts == raw page bodies (every frame)"
    )
    for name in names[1:]:
        print(f"ratio {name}: {totals[names[0]] / totals[name]:.1f}x faster than naive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
