"""Benchmark: execution response bodies -> polars frames, against pandas and the JSON floor.

Usage::

    python benchmarks/bench_frames.py [--sizes 10000 100000] [--repeat 3] [--quick]

For each size, in one run and interleaved (so a busy machine slows every method alike), in a
new (seeded) order each repeat, so that no method always follows the same one, the median of
``--repeat`` timings of:

* floor: ``orjson.loads`` of each body (reading JSON at all; results discarded);
* ``build_frames(bodies)``: the default call, accounts frame included (what users call);
* ``build_frames(bodies, accounts=False)``;
* ``build_frames(dicts)``: the same executions already decoded (what the client returns today);
* pandas on bytes: ``orjson.loads`` of each body, ``pandas.json_normalize`` for executions and
  ``json_normalize(record_path="steps", meta=["uuid"])`` for steps, then
  ``pd.to_datetime(utc=True, format="ISO8601")`` on the timestamp columns (what most users do);
* pandas on dicts: the same without the decoding, on the same dicts as ``build_frames(dicts)``.

Then the fixed cost of small inputs: one execution (a dict, and a body) to frames, median of
many calls after import, and the first call in a fresh interpreter.

``cpu s`` is process CPU time (all threads): arrow parses on both cores, so on a machine busy
with other work our wall time suffers more than the single-threaded floor's and pandas'.
Peak memory is measured per method in a child process: the RSS high-water mark while the method
runs, minus the RSS once the bodies are generated and a first call on 2,000 bodies is done
(``/proc/self/clear_refs`` resets the mark).
Correctness: our frames are checked against a slow reference (``json`` +
``datetime.fromisoformat``) on a sample and against pandas' row counts and timestamps in full.
Prints figures, not a pass/fail verdict; ``--quick`` (2,000 bodies, 1 repeat, 50 small calls,
one fresh interpreter) is a smoke test.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd  # type: ignore[import-untyped]
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bodies import make_bodies

from plannr_nb._frames import build_frames

METHODS = {
    "floor": "floor: orjson.loads each body",
    "default": "build_frames(bodies) (default, accounts)",
    "no_accounts": "build_frames(bodies, accounts=False)",
    "dicts": "build_frames(dicts) (default, accounts)",
    "pandas": "pandas on bytes: loads+json_normalize",
    "pandas_dicts": "pandas on dicts: json_normalize",
}


# A first call on this many bodies (about 10 MB: two read slices, so the reader threads exist,
# and more than the 256 dicts under which dicts are read as text) takes every path once before
# anything is timed or measured; one-off costs (lazy imports, threads, their allocator arenas)
# are then paid, as after a notebook's first call.
WARM = 2000


# --- the methods ----------------------------------------------------------------------------


def run_floor(bodies: list[bytes], dicts: list[Any]) -> Any:
    loads = orjson.loads
    for body in bodies:
        loads(body)
    return None


def run_default(bodies: list[bytes], dicts: list[Any]) -> Any:
    return build_frames(bodies)


def run_no_accounts(bodies: list[bytes], dicts: list[Any]) -> Any:
    return build_frames(bodies, accounts=False)


def run_dicts(bodies: list[bytes], dicts: list[Any]) -> Any:
    return build_frames(dicts)


def _normalize(decoded: list[Any]) -> tuple[Any, Any]:
    executions = pd.json_normalize(decoded)
    steps = pd.json_normalize(decoded, record_path="steps", meta=["uuid"], meta_prefix="execution_")
    for frame, columns in (
        (executions, ("created_at", "updated_at")),
        (steps, ("created_at", "updated_at", "executed_at")),
    ):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return executions, steps


def run_pandas(bodies: list[bytes], dicts: list[Any]) -> tuple[Any, Any]:
    return _normalize([orjson.loads(body) for body in bodies])


def run_pandas_dicts(bodies: list[bytes], dicts: list[Any]) -> tuple[Any, Any]:
    return _normalize(dicts)


RUNNERS: dict[str, Callable[[list[bytes], list[Any]], Any]] = {
    "floor": run_floor,
    "default": run_default,
    "no_accounts": run_no_accounts,
    "dicts": run_dicts,
    "pandas": run_pandas,
    "pandas_dicts": run_pandas_dicts,
}


# --- memory: one child process per method ---------------------------------------------------


def _status(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def child(method: str, size: int, warm: int = WARM) -> None:
    """Run one method once on freshly generated bodies; print its peak memory as JSON."""
    bodies = make_bodies(size)
    dicts = [orjson.loads(body) for body in bodies] if method in ("dicts", "pandas_dicts") else []
    RUNNERS[method](bodies[:warm], dicts[:warm])  # first-call costs are not the method's memory
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the RSS high-water mark to the current RSS
        reset = True
    except OSError:
        reset = False
    base = _status("VmRSS")
    start = time.perf_counter()
    result = RUNNERS[method](bodies, dicts)
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    del result
    over = None
    if base is not None and peak is not None and reset:
        over = max(0, peak - base)
    print(json.dumps({"method": method, "peak_over_input": over, "seconds": seconds}))


def measure_memory(method: str, size: int, warm: int = WARM) -> int | None:
    command = [sys.executable, __file__, "--child", method, "--size", str(size)]
    command += ["--warm", str(warm)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        print(f"  (memory child for {method} failed: {done.stderr.strip()[-300:]})")
        return None
    value = json.loads(done.stdout.strip().splitlines()[-1])["peak_over_input"]
    return None if value is None else int(value)


# --- correctness ----------------------------------------------------------------------------


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def check(bodies: list[bytes], results: dict[str, Any], sample: int = 500) -> list[str]:
    """Problems found (empty when ours agrees with itself, the reference and pandas)."""
    problems: list[str] = []
    frames, no_accounts, from_dicts = results["default"], results["no_accounts"], results["dicts"]
    executions, steps = frames.executions, frames.steps
    for name, other in (("accounts=False", no_accounts), ("dicts", from_dicts)):
        if not (executions.equals(other.executions) and steps.equals(other.steps)):
            problems.append(f"build_frames({name}) differs from build_frames(bodies)")
    if not frames.accounts.equals(from_dicts.accounts):
        problems.append("accounts from dicts differ from accounts from bodies")
    distinct = {(obj.get("account") or {}).get("uuid") for obj in map(orjson.loads, bodies)} - {
        None
    }
    if frames.accounts.height != len(distinct):
        problems.append(f"{frames.accounts.height} accounts, expected {len(distinct)}")
    for label in ("pandas", "pandas_dicts"):
        pd_executions, pd_steps = results[label]
        if executions.height != len(pd_executions):
            problems.append(f"executions rows {executions.height} != {label} {len(pd_executions)}")
        if steps.height != len(pd_steps):
            problems.append(f"step rows {steps.height} != {label} {len(pd_steps)}")
            continue
        # Every executed_at, against pandas' (same row order: execution, then position).
        theirs = pd_steps["executed_at"].dt.as_unit("us").astype("int64").to_numpy()
        nat = pd_steps["executed_at"].isna().to_numpy()
        mine = steps["executed_at"].to_physical()
        if not (mine.is_null().to_numpy() == nat).all():
            problems.append(f"executed_at nulls differ from {label}")
        elif not (mine.fill_null(0).to_numpy()[~nat] == theirs[~nat]).all():
            problems.append(f"executed_at values differ from {label}")
    # A slow reference on a sample: json + datetime.fromisoformat, row by row.
    step = max(1, len(bodies) // sample)
    by_uuid = steps.partition_by("execution_uuid", as_dict=True, maintain_order=True)
    exec_rows = {row["execution_uuid"]: row for row in executions.iter_rows(named=True)}
    account_rows = {row["account_uuid"]: row for row in frames.accounts.iter_rows(named=True)}
    for body in bodies[::step]:
        obj = json.loads(body)
        row = exec_rows.get(obj["uuid"])
        if row is None:
            problems.append(f"execution {obj['uuid']} missing")
            continue
        if row["created_at"] != _utc(obj["created_at"]):
            problems.append(f"execution {obj['uuid']}: created_at {row['created_at']}")
        executed = [_utc(s["executed_at"]) for s in obj["steps"]]
        done = [t for t in executed if t is not None]
        expected = {
            "step_count": len(obj["steps"]),
            "executed_step_count": len(done),
            "last_executed_at": max(done) if done else None,
            "account_uuid": (obj.get("account") or {}).get("uuid"),
        }
        for name, value in expected.items():
            if row[name] != value:
                problems.append(f"execution {obj['uuid']}: {name} {row[name]!r} != {value!r}")
        account = obj.get("account")
        if account:
            got = account_rows.get(account["uuid"], {})
            if got.get("created_at") != _utc(account["created_at"]) or got.get(
                "email"
            ) != account.get("email"):
                problems.append(f"account {account['uuid']} differs from its body")
        frame = by_uuid.get((obj["uuid"],))
        rows = [] if frame is None else list(frame.iter_rows(named=True))
        if len(rows) != len(obj["steps"]):
            problems.append(f"execution {obj['uuid']}: {len(rows)} step rows")
            continue
        for position, (got_step, want) in enumerate(zip(rows, obj["steps"], strict=True)):
            for name in ("created_at", "updated_at", "executed_at"):
                if got_step[name] != _utc(want[name]):
                    problems.append(f"{want['uuid']}: {name} {got_step[name]} != {want[name]}")
            if got_step["step_uuid"] != want["uuid"] or got_step["position"] != position:
                problems.append(f"{want['uuid']}: uuid or position differs")
    return problems[:10]


# --- the run --------------------------------------------------------------------------------


def _fmt_mb(value: int | None, size: int) -> str:
    if value is None:
        return "n/a"
    return f"{value / 1e6:,.0f} MB ({value / size:.2f}x)"


def bench(size: int, repeat: int, memory: bool, warm: int = WARM) -> dict[str, Any]:
    bodies = make_bodies(size)
    dicts = [orjson.loads(body) for body in bodies]
    total = sum(map(len, bodies))
    print(
        f"\n== {size:,} bodies: {total / 1e6:,.1f} MB of response bodies "
        f"(average {total / size / 1e3:.2f} KB); median of {repeat} interleaved run(s)"
    )
    for runner in RUNNERS.values():  # first-call costs (lazy imports, caches) are not timed
        runner(bodies[:warm], dicts[:warm])
    times: dict[str, list[float]] = {name: [] for name in RUNNERS}
    cpu: dict[str, list[float]] = {name: [] for name in RUNNERS}
    results: dict[str, Any] = {}
    shuffle = random.Random(size).shuffle
    for _ in range(repeat):
        # A new order each repeat (seeded): a method that always ran right after another (the
        # floor, say, whose Python objects are freed just before) would always pay for memory.
        names = list(RUNNERS)
        shuffle(names)
        for name in names:
            runner = RUNNERS[name]
            results.pop(name, None)
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            results[name] = runner(bodies, dicts)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    problems = check(bodies, results)
    frames = results["default"]
    del results, dicts
    gc.collect()
    median = {name: statistics.median(values) for name, values in times.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    peaks = {name: measure_memory(name, size) if memory else None for name in RUNNERS}
    floor = median["floor"]
    header = (
        f"{'method':<42} {'seconds':>8} {'cpu s':>6} {'MB/s':>7} {'x floor':>8} "
        f"{'vs pandas':>10}  peak memory over input"
    )
    print(header)
    print("-" * len(header))
    for name, label in METHODS.items():
        seconds = median[name]
        # Each of ours against pandas on the same input: bytes against bytes, dicts against dicts.
        baseline = median["pandas_dicts" if name in ("dicts", "pandas_dicts") else "pandas"]
        print(
            f"{label:<42} {seconds:>8.3f} {median_cpu[name]:>6.2f} "
            f"{total / 1e6 / seconds:>7.0f} {seconds / floor:>8.2f} "
            f"{baseline / seconds:>9.1f}x  {_fmt_mb(peaks[name], total)}"
        )
    if memory:
        # The first call that reads more than one slice starts the reader threads, whose
        # allocator arenas stay for the process: paid once, shown apart.
        cold = measure_memory("default", size, warm=1)
        first = _fmt_mb(cold, total)
        print(f"peak memory of build_frames(bodies) as the first call in a process: {first}")
    print(
        f"rows: {frames.executions.height:,} executions, {frames.steps.height:,} steps, "
        f"{frames.accounts.height:,} accounts"
    )
    for name, against in (
        ("default", "pandas"),
        ("no_accounts", "pandas"),
        ("dicts", "pandas_dicts"),
    ):
        print(
            f"ratio {name}: {median[name] / floor:.2f}x floor, "
            f"{median[against] / median[name]:.1f}x faster than {against}, "
            f"{total / 1e6 / median[name]:.0f} MB/s"
        )
    if problems:
        print("CORRECTNESS PROBLEMS:")
        for problem in problems:
            print("  " + problem)
    else:
        print(
            "correctness: ours == slow reference (sample), == pandas (counts, executed_at), "
            "bytes == dicts"
        )
    return {
        "size": size,
        "mb": total / 1e6,
        "median": median,
        "median_cpu": median_cpu,
        "peaks": peaks,
        "problems": problems,
    }


_FIRST_CALL = """
import time, orjson
start = time.perf_counter()
from plannr_nb._frames import build_frames
imported = time.perf_counter()
build_frames([orjson.loads(BODY)])
first = time.perf_counter()
build_frames([orjson.loads(BODY)])
second = time.perf_counter()
print(imported - start, first - imported, second - first)
"""


def small_inputs(calls: int = 200, fresh: int = 5) -> None:
    """Fixed costs: one execution to frames (what notebook 01 does on every run)."""
    body = make_bodies(1, seed=7)[0]
    obj = orjson.loads(body)
    print("\n== one execution to frames (fixed costs)")
    for label, call in (
        ("build_frames([dict]) (default)", lambda: build_frames([obj])),
        ("build_frames([body]) (default)", lambda: build_frames([body])),
        ("build_frames([dict], accounts=False)", lambda: build_frames([obj], accounts=False)),
    ):
        call()
        values = []
        for _ in range(calls):
            start = time.perf_counter()
            call()
            values.append(time.perf_counter() - start)
        print(
            f"{label:<40} median {statistics.median(values) * 1e3:6.2f} ms, "
            f"min {min(values) * 1e3:6.2f} ms ({calls} calls after import)"
        )
    runs = []
    for _ in range(fresh):
        done = subprocess.run(
            [sys.executable, "-c", f"BODY = {body!r}\n{_FIRST_CALL}"],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append([float(v) for v in done.stdout.split()])
    imported, first, second = (statistics.median(column) for column in zip(*runs, strict=True))
    print(
        f"fresh interpreter (median of {fresh}): import plannr_nb {imported * 1e3:.0f} ms, first "
        f"build_frames([dict]) {first * 1e3:.1f} ms, second {second * 1e3:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="2,000 bodies, 1 repeat, fewer small calls"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory children")
    parser.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=int, default=WARM, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.size, args.warm)
        return 0
    sizes, repeat = ([2_000], 1) if args.quick else (args.sizes, args.repeat)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, polars {pl.__version__}, "
        f"pyarrow {__import__('pyarrow').__version__}, "
        f"pandas {pd.__version__}, orjson {orjson.__version__}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    failed = False
    for size in sizes:
        warm = WARM // 10 if args.quick else WARM
        outcome = bench(size, repeat, memory=not args.no_memory, warm=warm)
        failed = failed or bool(outcome["problems"])
    small_inputs(*((50, 1) if args.quick else (200, 5)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
