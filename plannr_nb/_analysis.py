"""Frames into frames: the analysis between the frames and the charts.

Functions here take the frames of :mod:`plannr_nb._frames` and return new polars frames (never
charts, never I/O; the input is not modified). Charts, tables and widgets draw what they return.
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

from ._schemas import STEP_COLUMNS, require_columns

__all__ = ["OUTLIER_FACTOR", "OUTLIER_MIN_COUNT", "StatsPer", "step_stats"]

StatsPer = Literal["name", "step"]

#: A step name's slowest gap is flagged when it exceeds this many times its p90 gap.
OUTLIER_FACTOR: Final = 3.0
#: Gaps needed before a step name can be flagged as having an outlier.
OUTLIER_MIN_COUNT: Final = 5


def step_stats(steps: pl.DataFrame, *, per: StatsPer = "name") -> pl.DataFrame:
    """Per step name across executions: counts, failures and gap statistics.

    Parameters
    ----------
    steps : pl.DataFrame
        A steps frame from :func:`plannr_nb.steps_frame` (not modified).
    per : {"name", "step"}, optional
        ``"name"`` (default): one row per step name, across executions and blueprints.
        ``"step"``: one row per blueprint step, i.e. per ``(execution_name, name,
        occurrence)``, so a name that repeats within a run ("Send reminder email" twice) and
        the same name in two blueprints stay apart.

    Returns
    -------
    polars.DataFrame
        In step order, with ``execution_name`` (the blueprint; with ``per="name"``, the
        blueprints joined when the name occurs in several), ``name``, ``occurrence`` (1 for the
        first step of that name in a run, 2 for the second, ...; null with ``per="name"``),
        ``position`` (the first position seen, counted from 1 as everywhere steps are shown),
        ``executions`` (distinct executions that have the step; with ``per="step"`` each run
        has a blueprint step at most once, so it equals ``count``), ``count`` (step rows),
        ``executed``, ``failures``, ``gap_median``, ``gap_p90``, ``gap_max`` (Duration; gaps
        are the time since the previous step) and ``outlier`` (the slowest gap is more than
        :data:`OUTLIER_FACTOR` times the p90, over at least :data:`OUTLIER_MIN_COUNT` gaps).
    """
    if per not in ("name", "step"):
        msg = f"per must be 'name' or 'step', not {per!r}"
        raise ValueError(msg)
    require_columns(steps, STEP_COLUMNS, "step_stats()", "steps_frame")
    gap = pl.col("gap").cast(pl.Duration("us"))
    # A name that repeats within a blueprint ("Send reminder email" twice) is a different step
    # each time: keep them apart by their occurrence, robust to steps missing in some runs.
    occurrence = pl.int_range(pl.len()).over("execution_uuid", "name", order_by="position") + 1
    keys = ["execution_name", "name", "occurrence"] if per == "step" else ["name"]
    blueprints = (
        []
        if per == "step"
        else [
            pl.col("execution_name")
            .drop_nulls()
            .unique(maintain_order=True)
            .str.join(", ")
            .alias("execution_name"),
            pl.lit(None, dtype=pl.Int64).alias("occurrence"),
        ]
    )
    stats = (
        steps.with_columns(occurrence.cast(pl.Int64).alias("occurrence"))
        .group_by(keys)
        .agg(
            *blueprints,
            (pl.col("position").min() + 1).alias("position"),
            pl.col("execution_uuid").n_unique().cast(pl.Int64).alias("executions"),
            pl.len().cast(pl.Int64).alias("count"),
            pl.col("executed_at").is_not_null().sum().cast(pl.Int64).alias("executed"),
            pl.col("failed").fill_null(False).sum().cast(pl.Int64).alias("failures"),
            gap.count().cast(pl.Int64).alias("gaps"),
            gap.median().cast(pl.Duration("us")).alias("gap_median"),
            gap.quantile(0.9, "nearest").cast(pl.Duration("us")).alias("gap_p90"),
            gap.max().alias("gap_max"),
        )
        .with_columns(
            (
                (pl.col("gaps") >= OUTLIER_MIN_COUNT)
                & (
                    pl.col("gap_max").dt.total_microseconds()
                    > OUTLIER_FACTOR * pl.col("gap_p90").dt.total_microseconds()
                )
                & (pl.col("gap_max") - pl.col("gap_p90") >= pl.duration(seconds=1))
            )
            .fill_null(False)
            .alias("outlier")
        )
        .sort("execution_name", "position", "name", "occurrence", nulls_last=True)
    )
    return stats.select(
        "execution_name",
        "name",
        "occurrence",
        "position",
        "executions",
        "count",
        "executed",
        "failures",
        "gap_median",
        "gap_p90",
        "gap_max",
        "outlier",
    )
