"""Benchmark: fleet analysis over a Parquet store, beside DuckDB, and a sync over loopback.

Usage::

    python benchmarks/bench_fleet.py [--executions 100000] [--store DIR] [--sync 100000]
                                     [--skip-queries] [--skip-sync]

1. Writes a generated store of ``--executions`` executions (about ten steps each) straight to
   Parquet: vectorised generation in polars (numpy random numbers), a month at a time, through
   ``Store.upsert`` (no JSON anywhere). Reuses ``--store`` if it already holds that many.
2. Times ``failure_trend``, ``error_clusters`` and ``stalled`` over the store's lazy frames and the
   same queries in DuckDB over the same files, each in a fresh child process (so the peak RSS,
   ``ru_maxrss``, is that query's alone), and prints the ratio.
3. Syncs ``--sync`` executions of the generated demo history from a ``SimServer`` on loopback
   into an empty store: requests made, time, and requests a minute.

Prints figures, not a verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from plannr_nb._history import HISTORY_BLUEPRINTS
from plannr_nb._schemas import EXECUTION_SCHEMA, STEP_SCHEMA
from plannr_nb._store import open_store

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAYS = 182
ERRORS = [
    "the account_uuid field is required",
    "Mail provider rejected the message: 550 mailbox unavailable for client{n}@example.com",
    "Template 'Welcome v{n}' not found",
    "Client 00000000-0000-4000-8000-{n:012d} has no primary email address",
    "SMS gateway rejected message {n}: sender ID 'PLANNR' is not registered",
]


def _gap_seconds(name: str) -> tuple[float, float]:
    """(base, jitter) seconds of a step, as in plannr_nb._history."""
    if name.startswith("Wait until"):
        return 3600.0, 9 * 3600.0
    if name.startswith("Wait "):
        return int(name.split()[1]) * 86400.0, 1200.0
    return 5.0, 115.0


def generate_month(
    rng: np.random.Generator, count: int, start: datetime, span_s: float, offset: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    names = list(HISTORY_BLUEPRINTS)
    weights = np.array([HISTORY_BLUEPRINTS[n][1] for n in names], dtype=float)
    blueprint = rng.choice(len(names), size=count, p=weights / weights.sum())
    created_us = (start.timestamp() + rng.uniform(0, span_s, count)) * 1e6
    step_table = pl.DataFrame(
        [
            {
                "blueprint": b,
                "position": p,
                "name": step,
                "base": _gap_seconds(step)[0],
                "jitter": _gap_seconds(step)[1],
            }
            for b, bp in enumerate(names)
            for p, step in enumerate(HISTORY_BLUEPRINTS[bp][2])
        ]
    )
    ex = pl.DataFrame(
        {
            "n": np.arange(offset, offset + count),
            "blueprint": blueprint,
            "created_us": created_us.astype(np.int64),
        }
    ).with_columns(
        execution_uuid=pl.format(
            "{}-0000-4000-8000-{}",
            pl.col("n").cast(pl.String).str.zfill(8),
            pl.col("n").cast(pl.String).str.zfill(12),
        ),
        execution_name=pl.col("blueprint").replace_strict(dict(enumerate(names))),
    )
    steps = ex.join(step_table, on="blueprint").sort("n", "position")
    size = steps.height
    fail_draw = rng.random(size)
    steps = steps.with_columns(
        gap_us=((pl.col("base") + pl.Series(rng.random(size)) * pl.col("jitter")) * 1e6).cast(
            pl.Int64
        ),
        fail=pl.Series(fail_draw < 0.004) & ~pl.col("name").str.starts_with("Wait"),
        # One run in 500 gets stuck for 40 days before its second step: stalls to find.
        stuck=pl.Series(rng.random(size) < 0.002) & (pl.col("position") == 1),
        err=pl.Series(rng.integers(0, len(ERRORS), size)),
        num=pl.Series(rng.integers(1, 10**6, size)),
    ).with_columns(
        executed_us=pl.col("created_us")
        + (pl.col("gap_us") + pl.col("stuck").cast(pl.Int64) * 40 * 86_400_000_000)
        .cum_sum()
        .over("n"),
        failed_before=pl.col("fail").cast(pl.Int32).cum_sum().over("n") - pl.col("fail"),
    )
    now_us = int(NOW.timestamp() * 1e6)
    ran = (pl.col("executed_us") <= now_us) & (pl.col("failed_before") == 0)
    texts = pl.Series([t.replace("{n:012d}", "{}").replace("{n}", "{}") for t in ERRORS])
    steps = steps.with_columns(ran=ran).with_columns(
        failed=pl.col("ran") & pl.col("fail"),
        executed_at=pl.when(pl.col("ran")).then(pl.col("executed_us")),
    )
    error_text = pl.col("err").replace_strict(dict(enumerate(texts)))
    error_text = error_text.str.replace("{}", pl.col("num").cast(pl.String), literal=True)
    utc = pl.Datetime("us", "UTC")
    steps = steps.with_columns(
        errors=pl.when(pl.col("failed"))
        .then(pl.concat_list(error_text))
        .otherwise(pl.lit([], dtype=pl.List(pl.String))),
        executed_at=pl.col("executed_at").cast(utc),
        created_at=pl.col("created_us").cast(utc),
    ).with_columns(
        info=pl.when(pl.col("failed"))
        .then(pl.format('[{{"errors": "{}"}}]', pl.col("errors").list.first()))
        .otherwise(pl.lit("Done")),
        previous_at=pl.when(pl.col("position") == 0)
        .then(pl.col("created_at"))
        .otherwise(pl.col("executed_at").shift(1).over("n")),
    )
    per = steps.group_by("n", maintain_order=True).agg(
        step_count=pl.len().cast(pl.Int64),
        failed_step_count=pl.col("failed").sum().cast(pl.Int64),
        executed_step_count=pl.col("executed_at").is_not_null().sum().cast(pl.Int64),
        first_executed_at=pl.col("executed_at").min(),
        last_executed_at=pl.col("executed_at").max(),
        next_step_name=pl.col("name").filter(pl.col("executed_at").is_null()).first(),
        previous_step_name=pl.col("name").filter(pl.col("executed_at").is_not_null()).last(),
        first_failed_step=pl.col("name").filter(pl.col("failed")).first(),
        errors=pl.col("errors").list.explode(keep_nulls=False, empty_as_null=False),
    )
    executions = ex.join(per, on="n").with_columns(
        name=pl.col("execution_name"),
        created_at=pl.col("created_us").cast(utc),
        status=pl.when(pl.col("failed_step_count") > 0)
        .then(pl.lit("failed"))
        .when(pl.col("executed_step_count") < pl.col("step_count"))
        .then(pl.lit("in_progress"))
        .otherwise(pl.lit("completed")),
        triggered_by=pl.col("blueprint").replace_strict(
            {b: HISTORY_BLUEPRINTS[n][0] for b, n in enumerate(names)}
        ),
        account_uuid=pl.lit(None, pl.String),
        account_name=pl.lit(None, pl.String),
    )
    executions = executions.with_columns(
        updated_at=pl.coalesce("last_executed_at", "created_at"),
        span=pl.col("last_executed_at") - pl.col("created_at"),
    ).select([pl.col(c).cast(t) for c, t in EXECUTION_SCHEMA.items()])
    status = executions.select("execution_uuid", "status", "updated_at")
    steps = (
        steps.join(status, on="execution_uuid")
        .with_columns(
            step_uuid=pl.format("{}-{}", pl.col("execution_uuid"), pl.col("position")),
            status=pl.when(pl.col("failed"))
            .then(pl.lit("failed"))
            .when(pl.col("executed_at").is_not_null())
            .then(pl.lit("completed"))
            .otherwise(pl.lit("pending")),
            updated_at=pl.coalesce("executed_at", "created_at"),
            gap=pl.col("executed_at") - pl.col("previous_at"),
            execution_status=pl.col("status"),
            execution_created_at=pl.col("created_at"),
            execution_updated_at=pl.col("updated_at"),
        )
        .select([pl.col(c).cast(t) for c, t in STEP_SCHEMA.items()])
    )
    return executions, steps


def build_store(path: Path, count: int) -> None:
    store = open_store(path)
    have = store.executions.select(pl.len()).collect().item()
    if have == count:
        print(f"store {path}: reusing {count:,} executions")
        return
    if have:
        raise SystemExit(f"{path} holds {have:,} executions, not {count:,}: use another --store")
    rng = np.random.default_rng(14)
    start = NOW - timedelta(days=DAYS)
    months = 6
    span = DAYS * 86400 / months
    t0 = time.perf_counter()
    written = 0
    for m in range(months):
        n = count // months + (1 if m < count % months else 0)
        ex, steps = generate_month(rng, n, start + timedelta(seconds=span * m), span, written)
        store.upsert(ex, steps)
        written += n
        print(f"  month {m + 1}: {n:,} executions, {steps.height:,} steps", flush=True)
    store.compact()
    size = sum(p.stat().st_size for p in store.iter_files())
    steps_count = store.steps.select(pl.len()).collect().item()
    print(
        f"store {path}: {count:,} executions, {steps_count:,} steps, {size / 1e6:,.0f} MB, "
        f"written in {time.perf_counter() - t0:.1f} s"
    )


# -- the queries, run one per child process ----------------------------------------------------

DUCK = {
    "failure_trend": """
        select date_trunc('day', created_at) as period, name, count(*) as runs,
               sum(case when lower(status) in ('failed', 'error', 'errored')
                         or failed_step_count > 0 then 1 else 0 end) as failed,
               failed / runs as failure_rate
        from read_parquet('{root}/executions/*/*.parquet', hive_partitioning = true)
        group by all order by period, name""",
    "error_clusters": """
        with errors as (
            select execution_uuid, execution_name, name,
                   coalesce(executed_at, updated_at) as seen, unnest(errors) as error
            from read_parquet('{root}/steps/*/*.parquet', hive_partitioning = true)
            where len(errors) > 0
        ), templated as (
            select *, trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                regexp_replace(error,
                  '(?i)\\b[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}\\b',
                  '<uuid>', 'g'),
                '[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+', '<email>', 'g'),
                '\\b\\d{{4}}-\\d{{2}}-\\d{{2}}\\b|\\b\\d{{1,2}}/\\d{{1,2}}/\\d{{2,4}}\\b',
                '<date>', 'g'),
                '''[^'']*''|"[^"]*"', '<value>', 'g'),
                '\\b\\d+(?:[.,:]\\d+)*\\b', '<number>', 'g')) as template
            from errors
        )
        select template, count(*) as errors, count(distinct execution_uuid) as executions,
               count(distinct execution_name) as blueprints, count(distinct name) as steps,
               min(seen) as first_seen, max(seen) as last_seen
        from templated group by template order by errors desc""",
    "stalled": """
        with ex as (
            select * from read_parquet('{root}/executions/*/*.parquet', hive_partitioning = true)
        ), st as (
            select * from read_parquet('{root}/steps/*/*.parquet', hive_partitioning = true)
        ), waiting as (
            select execution_uuid, name, status,
                   coalesce(last_executed_at, created_at) as waiting_since
            from ex where status not in ('completed', 'failed', 'cancelled', 'canceled', 'skipped')
        ), next_step as (
            select execution_uuid, min(position) as position, arg_min(name, position) as next_step
            from st
            where executed_at is null and not failed and execution_status
                not in ('completed', 'failed', 'cancelled', 'canceled', 'skipped')
            group by execution_uuid
        ), learned as (
            select execution_name as name, position,
                   quantile_disc(gap, 0.9) as expected, count(*) as samples
            from st
            where execution_status in ('completed', 'failed', 'cancelled', 'canceled', 'skipped')
              and gap is not null
            group by all
        )
        -- Durations are int64 microseconds in Parquet (it has no duration type).
        select w.execution_uuid, w.name, n.position, n.next_step, w.waiting_since,
               timestamptz '{now}' - w.waiting_since as waited, l.samples,
               to_microseconds(l.expected) as expected_interval,
               (timestamptz '{now}' - w.waiting_since) - to_microseconds(l.expected) as overdue_by
        from waiting w join next_step n using (execution_uuid)
        join learned l on l.name = w.name and l.position = n.position
        where l.samples >= 20
          and epoch_us(timestamptz '{now}') - epoch_us(w.waiting_since) > l.expected * 1.25
        order by overdue_by desc""",
}


def child(engine: str, query: str, root: str) -> None:
    start = time.perf_counter()
    if engine == "polars":
        from plannr_nb._fleet import error_clusters, failure_trend, stalled

        store = open_store(root)
        if query == "failure_trend":
            rows = failure_trend(store.executions).height
        elif query == "error_clusters":
            rows = error_clusters(store.steps).height
        else:
            rows = stalled(store.executions, store.steps, now=NOW).height
    else:
        import duckdb

        with duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            sql = DUCK[query].format(root=root, now=NOW.isoformat())
            rows = len(con.sql(sql).fetchall())
    seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent.
    status = Path("/proc/self/status").read_text()
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    peak = kib / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))


def run_child(engine: str, query: str, root: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", engine, query, str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench_queries(root: Path, repeat: int) -> None:
    print(
        "\n| query | polars s | polars peak RSS | DuckDB s | DuckDB peak RSS | polars / DuckDB "
        "| rows |"
    )
    print("|---|---|---|---|---|---|---|")
    for query in DUCK:
        best: dict[str, dict[str, float]] = {}
        for _ in range(repeat):
            for engine in ("polars", "duckdb"):  # interleaved: a busy machine slows both
                result = run_child(engine, query, root)
                if engine not in best or result["seconds"] < best[engine]["seconds"]:
                    best[engine] = result
        p, d = best["polars"], best["duckdb"]
        print(
            f"| `{query}` | {p['seconds']:.2f} | {p['peak_mb']:,.0f} MB | {d['seconds']:.2f} | "
            f"{d['peak_mb']:,.0f} MB | {p['seconds'] / d['seconds']:.2f} | "
            f"{int(p['rows']):,} / {int(d['rows']):,} |",
            flush=True,
        )


def bench_sync(count: int) -> None:
    from plannr_nb._client import PlannrClient
    from plannr_nb._history import generate_history
    from plannr_nb._sync import sync
    from plannr_nb.testing import SimServer

    t0 = time.perf_counter()
    executions = generate_history(NOW, count=count).executions
    print(f"\nsync: {len(executions):,} executions generated in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as folder, SimServer(executions, token="bench") as server:
        store = open_store(folder)
        for run in ("first", "second"):
            server.api.clear_log()
            with PlannrClient("bench", base_url=server.url) as client:
                start = time.perf_counter()
                summary = sync(client, store, progress=False)
                seconds = time.perf_counter() - start
            requests = server.requests
            lists = sum(1 for r in requests if not r.uuid_filter)
            times = sorted(r.at for r in requests)
            busiest = max(
                sum(1 for t in times[i:] if t < start_at + 60) for i, start_at in enumerate(times)
            )
            print(
                f"{run} sync over loopback: {summary.new:,} new, {summary.updated:,} updated in "
                f"{seconds:.1f} s; {len(requests)} requests ({lists} list pages, "
                f"{len(requests) - lists} refresh batches for {summary.refreshed:,} unfinished), "
                f"at most {busiest} in any minute; {summary.still_unfinished:,} still unfinished"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--sync", type=int, default=100_000)
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "QUERY", "ROOT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(
        f"bench_fleet on {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, polars {pl.__version__}"
    )
    if not args.skip_queries:
        root = args.store or Path(tempfile.gettempdir()) / f"plannr-fleet-{args.executions}"
        build_store(root, args.executions)
        bench_queries(root, args.repeat)
    if not args.skip_sync:
        bench_sync(args.sync)


if __name__ == "__main__":
    main()
