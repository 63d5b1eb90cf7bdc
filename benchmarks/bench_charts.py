"""Benchmarks of the chart builders and the ``plannr`` renderer.

For Gantt charts of 1,000, 10,000 and 50,000 steps: time to build the chart, to serialise its
spec (``to_dict`` + JSON), to draw its PNG through the renderer, and the size of the notebook
output the renderer produces (spec + PNG as stored in the .ipynb). Also ``step_stats_chart`` on
the same frames. Prints a Markdown table.

    .venv/bin/python benchmarks/bench_charts.py            # 1k, 10k, 50k steps, best of 3
    .venv/bin/python benchmarks/bench_charts.py --quick    # 1k and 10k steps, one run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import polars as pl

from plannr_nb import gantt, step_stats_chart
from plannr_nb._render import plannr_renderer

STEP_NAMES = [
    "Create client record",
    "Send welcome email",
    "Wait for ID check",
    "Assign adviser",
    "Create fact-find task",
    "Send reminder",
    "Wait 2 days",
    "Send reminder",
    "Book review meeting",
    "Close onboarding",
]


def synthetic_steps(n_steps: int, *, seed: int = 0) -> pl.DataFrame:
    """A steps frame of ``n_steps`` rows (10 steps an execution), built vectorised."""
    per = len(STEP_NAMES)
    n_exec = max(1, n_steps // per)
    idx = pl.int_range(0, n_exec * per, eager=True)
    base = pl.DataFrame({"i": idx}).with_columns(
        (pl.col("i") // per).alias("e"), (pl.col("i") % per).cast(pl.Int64).alias("position")
    )
    start = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
    # Deterministic pseudo-random numbers from a hash of the row index.
    rnd = (pl.col("i").hash(seed) % 10_000).cast(pl.Float64) / 10_000
    erand = (pl.col("e").hash(seed + 1) % 10_000).cast(pl.Float64) / 10_000
    frame = base.with_columns(
        pl.format("{}-a749-4b21-88a5-b27ef8b16878", pl.col("e").cast(pl.String).str.zfill(8)).alias(
            "execution_uuid"
        ),
        pl.lit("Client onboarding").alias("execution_name"),
        (pl.lit(start) + pl.duration(minutes=pl.col("e") * 17)).alias("execution_created_at"),
        (pl.lit(per) - (erand * 8).floor().cast(pl.Int64) * (erand > 0.6)).alias("stop"),
        (pl.duration(milliseconds=(rnd * rnd * 600_000).cast(pl.Int64))).alias("g"),
        pl.lit(STEP_NAMES).list.get(pl.col("position")).alias("name"),
        (rnd > 0.98).alias("has_error"),
    )
    frame = frame.with_columns(
        (pl.col("execution_created_at") + pl.col("g").cum_sum().over("e")).alias("t"),
    )
    executed = pl.col("position") < pl.col("stop")
    frame = frame.with_columns(
        pl.when(executed).then(pl.col("t")).otherwise(None).alias("executed_at"),
    ).with_columns(
        pl.col("t").max().over("e").alias("execution_updated_at"),
        pl.when(pl.col("stop") < per)
        .then(pl.lit("in_progress"))
        .otherwise(pl.lit("completed"))
        .alias("execution_status"),
        pl.when(executed)
        .then(pl.when(pl.col("has_error")).then(pl.lit("failed")).otherwise(pl.lit("completed")))
        .otherwise(pl.lit("pending"))
        .alias("status"),
        pl.when(pl.col("has_error") & executed)
        .then(pl.lit(["Mailbox unavailable"]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias("errors"),
        pl.col("executed_at")
        .shift(1)
        .over("e", order_by="position")
        .fill_null(pl.when(pl.col("position") == 0).then(pl.col("execution_created_at")))
        .alias("previous_at"),
    )
    frame = frame.with_columns(
        (pl.col("executed_at") - pl.col("previous_at")).alias("gap"),
        (pl.col("status") == "failed").alias("failed"),
        pl.format("{}-{}", pl.col("e"), pl.col("position")).alias("step_uuid"),
        pl.lit("").alias("info"),
    )
    ts = pl.Datetime("us", "UTC")
    return frame.select(
        "execution_uuid",
        "execution_name",
        "execution_status",
        pl.col("execution_created_at").cast(ts),
        pl.col("execution_updated_at").cast(ts),
        "position",
        "step_uuid",
        "name",
        "status",
        "info",
        "errors",
        "failed",
        pl.col("execution_created_at").cast(ts).alias("created_at"),
        pl.col("execution_updated_at").cast(ts).alias("updated_at"),
        pl.col("executed_at").cast(ts),
        pl.col("previous_at").cast(ts),
        pl.col("gap").cast(pl.Duration("us")),
    ).head(n_steps)


def _spec_json(chart: Any) -> str:
    return json.dumps(chart.to_dict())


def _stats_spec_json(steps: pl.DataFrame) -> str:
    return _spec_json(step_stats_chart(steps))


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def run(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        steps = synthetic_steps(n)
        t_build, chart = _best(partial(gantt, steps, tz="Europe/London"), repeat)
        t_spec, spec_json = _best(partial(_spec_json, chart), repeat)
        spec = json.loads(spec_json)
        t_png, out = _best(partial(plannr_renderer, spec), repeat)
        bundle, meta = out
        output = {"output_type": "display_data", "data": bundle, "metadata": meta}
        t_stats, _ = _best(partial(_stats_spec_json, steps), repeat)
        rows.append(
            {
                "steps": n,
                "drawn": len(spec["datasets"][next(iter(spec["datasets"]))])
                if "datasets" in spec
                else _count_values(spec),
                "build_s": t_build,
                "spec_s": t_spec,
                "png_s": t_png,
                "spec_kb": len(spec_json) / 1024,
                "png_kb": len(bundle.get("image/png", "")) * 3 / 4 / 1024,
                "output_kb": len(json.dumps(output)) / 1024,
                "png_px": f"{meta['image/png']['width']}x{meta['image/png']['height']}",
                "stats_s": t_stats,
            }
        )
    return rows


def _count_values(spec: dict[str, Any]) -> int:
    data = spec.get("data") or {}
    return len(data.get("values", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k steps, one run each")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 50_000]
    repeat = 1 if args.quick else 3
    rows = run(sizes, repeat)
    print(f"python {platform.python_version()}, polars {pl.__version__}, best of {repeat}")
    print(
        "| steps in frame | steps drawn | build gantt s | to_dict+json s | PNG (renderer) s "
        "| spec KB | PNG KB | notebook output KB | PNG display px | step_stats_chart s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['steps']:,} | {r['drawn']:,} | {r['build_s']:.3f} | {r['spec_s']:.3f} "
            f"| {r['png_s']:.2f} | {r['spec_kb']:.0f} | {r['png_kb']:.0f} | {r['output_kb']:.0f} "
            f"| {r['png_px']} | {r['stats_s']:.3f} |"
        )


if __name__ == "__main__":
    main()
