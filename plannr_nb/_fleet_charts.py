"""Charts of the fleet analysis: failure trend, error clusters and a runs heatmap.

Each builder aggregates in polars first (with :mod:`plannr_nb._fleet`), so the Vega-Lite spec
stays small however many runs the frames hold: a heatmap of 10,000 runs per day is a few
thousand cells at most. Times are drawn in UTC with UTC scales, so every viewer sees the same.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import altair as alt
import polars as pl

from ._charts import inline_values
from ._fleet import Frame, failure_trend

__all__ = ["HEATMAP_MAX_RUNS", "clusters_chart", "runs_heatmap", "trend_chart"]

#: Most runs a per-run heatmap draws (the most recent ones); more go per day.
HEATMAP_MAX_RUNS: Final = 200
_UTC_MINUTES: Final = "utcyearmonthdatehoursminutes"


def _inline(frame: pl.DataFrame) -> dict[str, Any]:
    """Plain values: datetimes as ISO-8601 UTC text, durations never (convert first)."""
    columns = [
        pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(dtype, pl.Datetime)
        else pl.col(name)
        for name, dtype in frame.schema.items()
    ]
    return inline_values(frame.select(columns))


def _empty(title: str, message: str) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=[{"text": message}]), title=title)
        .mark_text(size=14)
        .encode(text="text:N")
        .properties(width=400, height=60)
    )
    return chart


def trend_chart(
    trend: Frame,
    *,
    every: str = "1d",
    by: str | None = "name",
    width: int = 640,
) -> alt.TopLevelMixin:
    """Failure rate per period (one line per blueprint), with runs in the tooltip.

    Parameters
    ----------
    trend : pl.DataFrame | pl.LazyFrame
        The result of :func:`failure_trend`, or an executions frame (then aggregated here with
        ``every`` and ``by``).
    every : str, optional
        As for :func:`failure_trend`, when ``trend`` is an executions frame.
    by : str | None, optional
        As for :func:`failure_trend`, when ``trend`` is an executions frame.
    width : int, optional
        Chart width in pixels.

    """
    if "period" not in trend.collect_schema().names():
        trend = failure_trend(trend, every=every, by=by)
    frame = trend.collect() if isinstance(trend, pl.LazyFrame) else trend
    title = "Failure rate per period"
    if frame.height == 0:
        return _empty(title, "No executions")
    series = by if by is not None and by in frame.columns else None
    tooltip: list[Any] = [
        alt.Tooltip("period:T", title="period (UTC)", timeUnit=_UTC_MINUTES),
        alt.Tooltip("runs:Q"),
        alt.Tooltip("failed:Q", title="failed runs"),
        alt.Tooltip("failure_rate:Q", title="failure rate", format=".0%"),
    ]
    encoding: dict[str, Any] = {
        "x": alt.X("period:T", title="period (UTC)", timeUnit=_UTC_MINUTES),
        "y": alt.Y("failure_rate:Q", title="failure rate", axis=alt.Axis(format="%")),
    }
    if series is not None:
        encoding["color"] = alt.Color(f"{series}:N", title=series)
        tooltip.insert(0, alt.Tooltip(f"{series}:N"))
    keep = [series] if series else []
    chart: alt.TopLevelMixin = (
        alt.Chart(
            _inline(frame.select("period", *keep, "runs", "failed", "failure_rate")), title=title
        )
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=60), strokeWidth=2.5)
        .encode(**encoding, tooltip=tooltip)
        .properties(width=width, height=260)
    )
    return chart


def clusters_chart(clusters: pl.DataFrame, *, top: int = 10, width: int = 480) -> alt.TopLevelMixin:
    """The ``top`` error templates of :func:`error_clusters` as bars of their error counts.

    Tooltips give executions, blueprints, steps, first and last seen and an example.
    """
    title = f"Most frequent errors (top {top}, by template)"
    if clusters.height == 0:
        return _empty(title, "No errors")
    frame = clusters.head(top).select(
        "template",
        "errors",
        "executions",
        "blueprints",
        "steps",
        "first_seen",
        "last_seen",
        "example",
    )
    bars: alt.TopLevelMixin = (
        alt.Chart(_inline(frame), title=title)
        .mark_bar()
        .encode(
            x=alt.X("errors:Q", title="errors"),
            y=alt.Y("template:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
            tooltip=[
                alt.Tooltip("template:N"),
                alt.Tooltip("errors:Q"),
                alt.Tooltip("executions:Q"),
                alt.Tooltip("blueprints:Q"),
                alt.Tooltip("steps:Q"),
                alt.Tooltip("first_seen:T", title="first seen (UTC)", timeUnit=_UTC_MINUTES),
                alt.Tooltip("last_seen:T", title="last seen (UTC)", timeUnit=_UTC_MINUTES),
                alt.Tooltip("example:N"),
            ],
        )
        .properties(width=width)
    )
    return bars


def runs_heatmap(
    steps: Frame,
    *,
    blueprint: str | None = None,
    per: Literal["day", "run"] = "day",
    color: Literal["wait", "outcome"] = "outcome",
    max_runs: int = HEATMAP_MAX_RUNS,
) -> alt.TopLevelMixin:
    """Many runs of one blueprint at once: a row per day (or per run), a column per step.

    Colour by ``"outcome"`` (share of the step's runs that failed; per run: failed, ran or
    not run) or by ``"wait"`` (median time since the previous step, in hours, log scale).
    Aggregated in polars: per day, at most one cell per day and step; per run, the
    ``max_runs`` most recent runs.

    Parameters
    ----------
    steps : pl.DataFrame | pl.LazyFrame
        Steps frame or the store's ``steps``.
    blueprint : str, optional
        The blueprint (``execution_name``) to draw; default the one with the most runs.
    per : {"day", "run"}, optional
        A row per day, or per run.
    color : {"wait", "outcome"}, optional
        What a cell's colour shows, as above.
    max_runs : int, optional
        Most runs drawn with ``per="run"`` (the most recent).

    """
    lazy = steps.lazy() if isinstance(steps, pl.DataFrame) else steps
    if blueprint is None:
        top = (
            lazy.group_by("execution_name")
            .agg(runs=pl.len())
            .sort(["runs", "execution_name"], descending=[True, False])
            .head(1)
            .collect()
        )
        if top.height == 0:
            return _empty("Runs heatmap", "No steps")
        blueprint = str(top["execution_name"][0])
    lazy = lazy.filter(pl.col("execution_name") == blueprint)
    if per == "run":
        recent = (
            lazy.select("execution_uuid", "execution_created_at")
            .unique()
            .sort("execution_created_at", descending=True)
            .head(max_runs)
            .select("execution_uuid")
        )
        lazy = lazy.join(recent, on="execution_uuid", how="semi")
        row = pl.col("execution_created_at").dt.strftime("%Y-%m-%d %H:%M ") + pl.col(
            "execution_uuid"
        ).str.slice(0, 8)
    else:
        row = pl.col("execution_created_at").dt.strftime("%Y-%m-%d")
    ran = pl.col("executed_at").is_not_null() | pl.col("failed").fill_null(False)
    cells = (
        lazy.select(
            row=row,
            step=pl.format(
                "{} {}", (pl.col("position") + 1).cast(pl.String).str.zfill(2), pl.col("name")
            ),
            failed=pl.col("failed").fill_null(False),
            ran=ran,
            hours=pl.col("gap").dt.total_seconds(fractional=True) / 3600,
        )
        .group_by("row", "step")
        .agg(
            runs=pl.col("ran").sum().cast(pl.Int64),
            failed=pl.col("failed").sum().cast(pl.Int64),
            wait_hours=pl.col("hours").median(),
        )
        .with_columns(
            failure_rate=pl.when(pl.col("runs") > 0).then(pl.col("failed") / pl.col("runs")),
            outcome=pl.when(pl.col("failed") > 0)
            .then(pl.lit("failed"))
            .when(pl.col("runs") > 0)
            .then(pl.lit("ran"))
            .otherwise(pl.lit("not run")),
        )
        .with_columns(pl.col("failure_rate", "wait_hours").round(3))
        .sort("row", "step")
        .collect()
    )
    if per == "day":
        cells = cells.drop("outcome")  # the per-run colour only: keep the spec small
    title = f"{blueprint}: {'each run' if per == 'run' else 'runs per day'}, by step"
    if cells.height == 0:
        return _empty(title, "No steps")
    if color == "wait":
        colour = alt.Color(
            "wait_hours:Q",
            title="median wait (h)",
            scale=alt.Scale(type="symlog", scheme="viridis"),
        )
    elif per == "run":
        colour = alt.Color(
            "outcome:N",
            scale=alt.Scale(
                domain=["failed", "ran", "not run"], range=["#d62728", "#2ca02c", "#dddddd"]
            ),
        )
    else:
        colour = alt.Color(
            "failure_rate:Q",
            title="failure rate",
            scale=alt.Scale(domain=[0, 1], scheme="reds"),
            legend=alt.Legend(format="%"),
        )
    rows = cells["row"].n_unique()
    heatmap: alt.TopLevelMixin = (
        alt.Chart(_inline(cells), title=title)
        .mark_rect()
        .encode(
            x=alt.X("step:N", title="step", sort="ascending", axis=alt.Axis(labelAngle=-40)),
            y=alt.Y(
                "row:O",
                title="run" if per == "run" else "day (UTC)",
                sort="descending",
                axis=alt.Axis(labelOverlap="greedy"),
            ),
            color=colour,
            tooltip=[
                alt.Tooltip("row:N", title="run" if per == "run" else "day"),
                alt.Tooltip("step:N"),
                alt.Tooltip("runs:Q"),
                alt.Tooltip("failed:Q"),
                alt.Tooltip("failure_rate:Q", format=".0%"),
                alt.Tooltip("wait_hours:Q", title="median wait (h)", format=".1f"),
            ],
        )
        .properties(height=min(900, max(120, 4 * rows)))
    )
    return heatmap
