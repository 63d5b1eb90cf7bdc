"""Altair charts of executions and steps: honest timelines that survive sharing.

Every builder is pure: a polars frame in, an altair chart out; nothing is read or written
(except by :func:`save_chart`) and the input frame is never mutated. The builders select only the
columns they encode before handing data to altair, and inline it as plain values.

Honesty rules
-------------
* Steps only have an ``executed_at`` instant. The Gantt draws each step as a mark at that
  instant; the bar before it spans the time *since the previous step* and is labelled so. Nothing
  is ever drawn as a step's duration.
* Time zones are converted in polars. The chart then receives the zone's wall-clock time encoded
  as if it were UTC, and every temporal scale, axis and tooltip uses UTC scales and UTC formats, so
  the chart shows the same times on every viewer's machine whatever the browser's zone. The axis
  title names the zone; tooltips give the time in the chosen zone (with its abbreviation) and in
  UTC.
* Only Vega-Lite features that Vega-Lite 5 supports are used, since JupyterLab draws the spec
  with Vega-Lite 5.

Size strategy
-------------
A Gantt needs one row per step, and a spec costs a few hundred bytes a row. :func:`gantt` therefore
keeps at most ``max_steps`` steps (default :data:`GANTT_MAX_STEPS`): whole executions, the most
recently created first, and says so in a visible note under the title (how many executions and
steps are shown out of how many). A single execution longer than the limit is cut to its first
``max_steps`` steps, also with a note. ``max_steps=None`` draws everything. :func:`step_stats_chart`
and :func:`status_chart` aggregate in polars first, so their size does not grow with the input.
The data is inlined as plain values, so altair's 5,000-row ``MaxRowsError`` never applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

import altair as alt
import polars as pl

from ._analysis import OUTLIER_FACTOR, StatsPer, step_stats
from ._durations import duration_expr, human_duration
from ._options import resolve_tz
from ._render import use_plannr_renderer
from ._schemas import STEP_COLUMNS, require_columns
from ._statuses import (
    CANCELLED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    SKIPPED,
    is_finished,
    status_expr,
)

# Charts must show offline in any notebook that imported plannr-nb, not only in ours.
use_plannr_renderer()

__all__ = [
    "GANTT_MAX_STEPS",
    "STATUS_COLORS",
    "UNKNOWN_STATUS_COLOR",
    "gantt",
    "save_chart",
    "status_chart",
    "status_palette",
    "step_stats_chart",
]

#: Most steps a Gantt draws by default (whole executions, most recent first).
GANTT_MAX_STEPS: Final = 150

#: The fixed palette (Okabe-Ito, colour-blind safe) for the statuses Plannr is known to use.
STATUS_COLORS: Final[Mapping[str, str]] = {
    COMPLETED: "#009E73",
    FAILED: "#D62728",
    IN_PROGRESS: "#0072B2",
    PENDING: "#E69F00",
    SKIPPED: "#999999",
    CANCELLED: "#CC79A7",
}
#: Any other status (or a missing one) is drawn in this colour, under its own name.
UNKNOWN_STATUS_COLOR: Final = "#5B3A29"

#: What status_chart() reads of an executions frame (any subset of it with these will do).
_EXECUTIONS_COLUMNS: Final = ("name", "status")

_WIDTH: Final = 720
_ROW_STEP: Final = 20
_ROW_STEP_COMPACT: Final = 12
#: Above this many rows the Gantt uses compact rows and drops the per-row text labels.
_COMPACT_ROWS: Final = 120
#: Pixels kept left of the first instant, so a failure ring there is not cut by the axis.
_RING_ROOM_PX: Final = 12
#: The mark (and legend symbol) of a step not executed.
_PENDING_SHAPE: Final = "triangle-right"
#: Offset and width per character (font size 10) of the text right of each mark.
_LABEL_DX: Final = 14
_LABEL_CHAR_PX: Final = 5.6
_ERRORS_CHARS: Final = 300
_FONT: Final = "Helvetica, Arial, sans-serif"

#: The time axis in 24-hour clock, picked per tick like d3's multi-scale format (which would
#: say "06 PM"): a Vega expression over the tick's UTC fields, since the wall-clock time of the
#: chosen zone is drawn on a UTC scale. No ``format``/``formatType``: JupyterLab's Vega-Lite 5
#: drops a ``formatType`` of "utc" (and a format object) with a customFormatTypes warning.
_AXIS_TIME_LABEL: Final = (
    "utcmilliseconds(datum.value) ? utcFormat(datum.value, '%H:%M:%S.%L')"
    " : utcseconds(datum.value) ? utcFormat(datum.value, '%H:%M:%S')"
    " : utchours(datum.value) || utcminutes(datum.value) ? utcFormat(datum.value, '%H:%M')"
    " : utcdate(datum.value) == 1 && utcmonth(datum.value) == 0 ? utcFormat(datum.value, '%Y')"
    " : utcFormat(datum.value, '%a %d %b')"
)

# Units for relative and statistics axes: (name, microseconds, threshold to switch to it).
_UNITS: Final = (
    ("days", 86_400_000_000),
    ("hours", 3_600_000_000),
    ("minutes", 60_000_000),
    ("seconds", 1_000_000),
)


# --------------------------------------------------------------------------------------------
# small helpers


def status_palette(statuses: Sequence[str]) -> tuple[list[str], list[str]]:
    """Colour domain and range for the given (normalised) statuses.

    Known statuses come first in :data:`STATUS_COLORS` order, in their fixed colours; any other
    status follows, sorted, in :data:`UNKNOWN_STATUS_COLOR`. The same status always gets the same
    colour, whatever else the chart holds.

    Parameters
    ----------
    statuses
        The statuses present in the chart (duplicates are ignored).

    Returns
    -------
    tuple[list[str], list[str]]
        ``(domain, range)`` for ``alt.Scale(domain=..., range=...)``.
    """
    present = set(statuses)
    domain = [s for s in STATUS_COLORS if s in present]
    domain += sorted(present - set(STATUS_COLORS))
    colors = [STATUS_COLORS.get(s, UNKNOWN_STATUS_COLOR) for s in domain]
    return domain, colors


def _wall_ms(expr: pl.Expr, tz: str) -> pl.Expr:
    """The wall-clock time in ``tz`` as milliseconds since the epoch, read as if it were UTC."""
    return expr.dt.convert_time_zone(tz).dt.replace_time_zone("UTC").dt.epoch("ms").cast(pl.Float64)


def _zone_text(expr: pl.Expr, tz: str, fmt: str) -> pl.Expr:
    return expr.dt.convert_time_zone(tz).dt.strftime(fmt)


def _pick_unit(max_us: float | None) -> tuple[str, int]:
    """The largest unit in which ``max_us`` microseconds is at least 2."""
    value = max_us or 0
    for name, size in _UNITS:
        if value >= 2 * size:
            return name, size
    return _UNITS[-1]


def _values(frame: pl.DataFrame) -> alt.InlineData:
    """Inline the frame as plain JSON values (numbers, strings, booleans, nulls)."""
    return alt.InlineData(values=frame.to_dicts())


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _finish(chart: Any) -> alt.TopLevelMixin:
    """Apply the shared fonts and title style."""
    configured = chart.configure(font=_FONT).configure_title(
        fontSize=15, subtitleFontSize=11, subtitleColor="#555555", anchor="start"
    )
    return cast("alt.TopLevelMixin", configured)


def _empty_chart(message: str, title: str) -> alt.TopLevelMixin:
    chart = (
        alt.Chart(alt.InlineData(values=[{"message": message}]), title=title)
        .mark_text(fontSize=14, color="#555555")
        .encode(text=alt.Text("message:N"))
        .properties(width=_WIDTH, height=60)
    )
    return _finish(chart)


# --------------------------------------------------------------------------------------------
# Gantt


@dataclass(frozen=True)
class _Selection:
    frame: pl.DataFrame
    note: str | None


def _limit_steps(steps: pl.DataFrame, max_steps: int | None) -> _Selection:
    """Keep whole executions, most recently created first, up to ``max_steps`` steps."""
    total = steps.height
    if max_steps is None or total <= max_steps:
        return _Selection(steps, None)
    if max_steps < 1:
        msg = f"max_steps must be a positive number or None, got {max_steps!r}"
        raise ValueError(msg)
    per_exec = (
        steps.group_by("execution_uuid", maintain_order=True)
        .agg(pl.len().alias("n"), pl.col("execution_created_at").first().alias("created"))
        .sort("created", "execution_uuid", descending=[True, False], nulls_last=True)
        .with_columns(pl.col("n").cum_sum().alias("cum"))
    )
    n_exec = per_exec.height
    kept = per_exec.filter(pl.col("cum") <= max_steps)
    if kept.height == 0:  # the most recent execution alone is longer than the limit
        first = per_exec.row(0, named=True)
        cut = steps.filter(pl.col("execution_uuid") == first["execution_uuid"])
        cut = cut.sort("position").head(max_steps)
        note = (
            f"Showing the first {max_steps:,} of {first['n']:,} steps of the most recent "
            f"execution ({_plural(n_exec, 'execution')}, {total:,} steps in the frame): "
            "pass max_steps=None to draw all, or use step_stats_chart()."
        )
        return _Selection(cut, note)
    keep = kept.get_column("execution_uuid")
    shown = steps.filter(pl.col("execution_uuid").is_in(keep.implode()))
    note = (
        f"Showing the {kept.height:,} most recent of {n_exec:,} executions "
        f"({shown.height:,} of {total:,} steps; max_steps={max_steps:,}): "
        "filter the frame, raise max_steps, or use step_stats_chart() for all of them."
    )
    return _Selection(shown, note)


def _not_run(status: pl.Expr) -> pl.Expr:
    """Why a step of a finished execution never ran, in words."""
    state = status_expr(status)
    return (
        pl.when(state == FAILED)
        .then(pl.lit("not run: the execution failed"))
        .when(state == CANCELLED)
        .then(pl.lit("not run: the execution was cancelled"))
        .otherwise(pl.format("not run: the execution is {}", status.cast(pl.String)))
    )


def _gantt_frame(
    steps: pl.DataFrame, tz: str, relative: bool, now: datetime
) -> tuple[pl.DataFrame, str, int]:
    """The encoded columns of the Gantt, one row per step; plus the relative unit.

    A step not executed in an execution that has not finished is pending; the first of them
    after the last executed step is the wait still going on (``waiting``), drawn up to ``now``.
    Steps not executed in a finished execution never will be: they get no bar.
    """
    fmt_local = "%Y-%m-%d %H:%M:%S %Z"
    fmt_utc = "%Y-%m-%d %H:%M:%S UTC"
    has_ms = steps.select(
        (pl.col("executed_at").dt.microsecond() != 0).any().fill_null(False)
    ).item()
    if has_ms:
        fmt_local = "%Y-%m-%d %H:%M:%S%.3f %Z"
        fmt_utc = "%Y-%m-%d %H:%M:%S%.3f UTC"

    exec_key = ["execution_uuid"]
    base = steps.sort("execution_created_at", "execution_uuid", "position", nulls_last=True)
    executed = pl.col("executed_at").is_not_null()
    # Last instant known before this step: the previous executed step, else the creation time.
    last_known = (
        pl.col("executed_at")
        .shift(1)
        .forward_fill()
        .over(exec_key, order_by="position")
        .fill_null(pl.col("execution_created_at"))
    )
    finished = is_finished("execution_status")
    last_pos = pl.col("position").filter(executed).max().over(exec_key)
    after_last = ~executed & (last_pos.is_null() | (pl.col("position") > last_pos))
    waiting = (
        after_last
        & ~finished
        & (pl.col("position") == pl.col("position").filter(after_last).min().over(exec_key))
    )
    now_lit = pl.lit(now).cast(pl.Datetime("us", "UTC"))
    start = pl.when(executed).then(pl.col("previous_at")).otherwise(last_known)
    end = (
        pl.when(executed)
        .then(pl.col("executed_at"))
        .when(waiting)
        .then(pl.max_horizontal(now_lit, last_known))
        .otherwise(last_known)
    )
    errors = pl.col("errors").list.eval(pl.element().cast(pl.String)).list.join("; ")
    errors = (
        pl.when(errors.str.len_chars() > _ERRORS_CHARS)
        .then(errors.str.slice(0, _ERRORS_CHARS - 1) + "…")
        .otherwise(errors)
    )
    state = (
        pl.when(pl.col("failed").fill_null(False))
        .then(pl.lit(FAILED))
        .otherwise(status_expr("status"))
    )
    raw_status = pl.col("status").cast(pl.String).fill_null("(none)")
    status_text = (
        pl.when(pl.col("failed").fill_null(False) & (status_expr("status") != FAILED))
        .then(raw_status + " (has errors: shown as failed)")
        .otherwise(raw_status)
    )
    gap_human = duration_expr(pl.col("gap"))
    not_executed = (
        pl.when(finished)
        .then(_not_run(pl.col("execution_status")))
        .otherwise(pl.lit("not executed yet"))
    )
    gap_text = (
        pl.when(~executed)
        .then(not_executed)
        .when(pl.col("gap").is_null())
        .then(pl.lit("unknown (previous step not executed)"))
        .otherwise(gap_human)
    )
    label = (
        pl.when(~executed)
        .then(not_executed)
        .when(pl.col("gap").is_null())
        .then(pl.lit(""))
        .otherwise("+" + gap_human)
    )

    def lane_label(uuid_chars: int) -> pl.Expr:
        return pl.format(
            "{} · {} · {} · created {}",
            pl.col("execution_name").cast(pl.String).fill_null("(unnamed blueprint)"),
            pl.col("execution_uuid").cast(pl.String).str.slice(0, uuid_chars),
            pl.col("execution_status").cast(pl.String).fill_null("(no status)"),
            _zone_text(pl.col("execution_created_at"), tz, "%Y-%m-%d %H:%M %Z").fill_null("?"),
        )

    lane = lane_label(8)
    lanes = base.select("execution_uuid", lane.alias("lane")).unique()
    if lanes.get_column("lane").n_unique() < lanes.height:
        lane = lane_label(36)  # short labels collide: every execution keeps a lane of its own
    frame = base.with_columns(
        _start=start,
        _end=end,
        _executed=executed,
        _waiting=waiting,
        _not_executed=not_executed,
    )
    # The ongoing wait in words, by the one duration formatter (a row per unfinished run).
    waits = frame.filter(pl.col("_waiting")).select(
        pl.int_range(pl.len()).alias("_i"), (pl.col("_end") - pl.col("_start")).alias("_wait")
    )
    wait_text = {i: f"waiting {human_duration(wait)} so far" for i, wait in waits.iter_rows()}
    frame = frame.with_columns(
        pl.when(pl.col("_waiting"))
        .then(
            pl.col("_waiting")
            .cum_sum()
            .sub(1)
            .cast(pl.Int64)
            .replace_strict(wait_text, default=None, return_dtype=pl.String)
        )
        .alias("_wait_text")
    )
    if relative:
        rel_end = pl.col("_end") - pl.col("execution_created_at")
        max_us = frame.select(rel_end.dt.total_microseconds().max()).item()
        unit, size = _pick_unit(max_us)
        x_start = (pl.col("_start") - pl.col("execution_created_at")).dt.total_microseconds()
        x_end = rel_end.dt.total_microseconds()
        now_rel = (now_lit - pl.col("execution_created_at")).dt.total_microseconds()
        x_cols = [
            (x_start / size).alias("x_start"),
            (x_end / size).alias("x_end"),
            (now_rel / size).alias("x_now"),
        ]
        since = duration_expr(pl.col("executed_at") - pl.col("execution_created_at"))
        extra = [since.fill_null(pl.col("_not_executed")).alias("since_created")]
    else:
        unit, size = "", 0
        x_cols = [
            _wall_ms(pl.col("_start"), tz).alias("x_start"),
            _wall_ms(pl.col("_end"), tz).alias("x_end"),
            _wall_ms(now_lit, tz).alias("x_now"),
        ]
        extra = []
    return (
        frame.select(
            lane.alias("lane"),
            pl.format(
                "{}. {}", pl.col("position") + 1, pl.col("name").fill_null("(unnamed)")
            ).alias("row"),
            pl.col("position"),
            pl.col("_executed").alias("executed"),
            pl.col("_waiting").alias("waiting"),
            pl.col("failed").fill_null(False).alias("failed"),
            *x_cols,
            state.alias("state"),
            pl.col("name").cast(pl.String).fill_null("(unnamed)").alias("step"),
            status_text.alias("status"),
            _zone_text(pl.col("executed_at"), tz, fmt_local)
            .fill_null(pl.col("_not_executed"))
            .alias("executed_local"),
            _zone_text(pl.col("executed_at"), "UTC", fmt_utc)
            .fill_null(pl.col("_not_executed"))
            .alias("executed_utc"),
            pl.col("_wait_text").fill_null(gap_text).alias("gap"),
            pl.col("_wait_text").fill_null(label).alias("label"),
            *extra,
            pl.when(errors == "")
            .then(pl.lit("none"))
            .otherwise(errors)
            .fill_null("none")
            .alias("errors"),
        ),
        unit,
        size,
    )


def _dst_note(steps: pl.DataFrame, tz: str) -> str | None:
    """A note when the clocks of ``tz`` change within the drawn window."""
    cols = ("executed_at", "execution_created_at", "execution_updated_at")
    bounds = steps.select(
        pl.min_horizontal([pl.col(c).min() for c in cols]).alias("lo"),
        pl.max_horizontal([pl.col(c).max() for c in cols]).alias("hi"),
    ).row(0)
    lo, hi = bounds
    if lo is None or hi is None:
        return None
    local = pl.Series([lo, hi], dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(tz)
    offsets = (local.dt.base_utc_offset() + local.dt.dst_offset()).to_list()
    if offsets[0] == offsets[1]:
        return None
    return (
        f"The clocks of {tz} change within this window: the axis shows wall-clock time; "
        "tooltips give exact UTC times."
    )


def _far_apart(steps: pl.DataFrame) -> bool:
    """The runs' shared time range is over 20 times the longest run's own range."""
    end = pl.coalesce("executed_at", "execution_updated_at", "execution_created_at")
    spans = steps.group_by("execution_uuid").agg(
        pl.col("execution_created_at").min().alias("start"), end.max().alias("end")
    )
    longest = spans.select((pl.col("end") - pl.col("start")).max()).item()
    overall = spans.select(pl.col("end").max() - pl.col("start").min()).item()
    if longest is None or overall is None:
        return False
    return bool(overall > 20 * max(longest, timedelta(minutes=1)))


def gantt(
    steps: pl.DataFrame,
    *,
    tz: str | None = None,
    relative: bool = False,
    max_steps: int | None = GANTT_MAX_STEPS,
    width: int = _WIDTH,
    title: str | None = None,
    labels: bool | None = None,
    now: datetime | None = None,
) -> alt.TopLevelMixin:
    """Timeline of the steps of one or many executions, drawn only from what the API knows.

    Each step is a mark at its ``executed_at``. The bar before it spans from the previous step's
    ``executed_at`` (or the execution's ``created_at`` for the first step) and is labelled with
    that gap: the time *since the previous step*, never a duration of the step. There is one row
    per step in list order (repeated names stay separate rows). Several executions get a lane
    each, most recent last, unless ``relative=True`` aligns them on the time since each execution
    was created. A step not executed is a hollow triangle. For an execution that has not
    finished, the wait still going on is a hollow dashed bar from its last executed step to
    ``now``, labelled with how long it has been waiting, and a dotted line marks now; steps of a
    failed or cancelled execution that never ran are labelled so ("not run: the execution
    failed"). Colours come from :data:`STATUS_COLORS`; a step
    with errors is shown as failed even when its status says completed. Drag or scroll on the
    chart to pan or zoom the time axis; the step axis stays put.

    Parameters
    ----------
    steps
        A steps frame from :func:`plannr_nb.steps_frame` (not modified).
    tz
        IANA zone for the axis and tooltips, e.g. ``"UTC"``; by default ``pnb.options.tz``
        (``PLANNR_NB_TZ``, else Europe/London). Times are converted in polars and drawn with
        UTC scales and formats, so every viewer sees the same times; the axis names the zone.
    relative
        If true, the x axis is the time since each execution was created (in seconds, minutes,
        hours or days, whichever fits), so runs days apart line up.
    max_steps
        Most steps to draw (whole executions, most recent first); a note under the title says
        what was left out. ``None`` draws every step.
    width
        Width of the plot area in pixels.
    title
        Chart title; by default the execution (one) or the number of executions (several).
    labels
        Draw the gap text next to each step; by default only when the chart has at most 120
        rows.
    now
        The present, where the ongoing wait of an unfinished execution ends (default: the
        clock). A naive datetime is read as UTC.

    Returns
    -------
    altair.TopLevelMixin
        A layered chart (one execution) or a chart faceted by execution (several).

    Raises
    ------
    ValueError
        If ``steps`` lacks steps-frame columns, ``tz`` is not a known zone or ``max_steps`` is
        not positive.
    """
    require_columns(steps, STEP_COLUMNS, "gantt()", "steps_frame")
    tz = resolve_tz(tz)
    if steps.height == 0:
        return _empty_chart("No steps to show.", title or "Execution timeline")
    selection = _limit_steps(steps, max_steps)
    shown = selection.frame
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    data, unit, _ = _gantt_frame(shown, tz, relative, now.astimezone(UTC))
    n_exec = shown.get_column("execution_uuid").n_unique()
    many = n_exec > 1
    compact = data.height > _COMPACT_ROWS
    show_labels = (not compact) if labels is None else labels
    row_step = _ROW_STEP_COMPACT if compact else _ROW_STEP

    if title is None:
        if many:
            title = f"{_plural(n_exec, 'execution')}, {_plural(shown.height, 'step')}"
        else:
            title = data.get_column("lane")[0]
    subtitle = [
        "Marks: executed_at. Bars: time since the previous step, not how long a step ran.",
    ]
    any_waiting = bool(data.get_column("waiting").any())
    not_run = data.filter(~pl.col("executed")).get_column("label")
    if any_waiting:
        subtitle.append(
            "Hollow dashed bar: the wait still going on, from the last executed step to now "
            "(dotted line); hollow triangles: steps not executed yet."
        )
    elif not_run.str.starts_with("not executed").any():
        subtitle.append("Hollow triangles: steps not executed yet.")
    if not_run.str.starts_with("not run").any():
        subtitle.append('Hollow triangles labelled "not run": the execution ended before them.')
    if data.get_column("failed").any():
        subtitle.append(
            "Red ring: the step failed, or its info carries errors whatever its status."
        )
    if selection.note:
        subtitle.append(selection.note)
    dst = None if relative else _dst_note(shown, tz)
    if dst:
        subtitle.append(dst)
    if many and not relative and _far_apart(shown):
        subtitle.append(
            "These runs are far apart in time, so each looks short on the shared axis: "
            "gantt(..., relative=True) lines them up by time since creation."
        )

    domain, colors = status_palette(data.get_column("state").unique().to_list())
    color = alt.Color(
        "state:N",
        title="Status",
        scale=alt.Scale(domain=domain, range=colors),
        legend=alt.Legend(
            orient="top",
            direction="horizontal",
            labelFontSize=12,
            symbolOpacity=1,
            symbolStrokeWidth=0,
        ),
    )
    # The legend draws each status with the shape of its mark: pending steps are triangles.
    shape = alt.Shape(
        "state:N",
        title="Status",
        scale=alt.Scale(
            domain=domain,
            range=[_PENDING_SHAPE if s == PENDING else "diamond" for s in domain],
        ),
    )
    lo, hi = data.select(
        pl.min_horizontal(pl.col("x_start").min(), pl.col("x_end").min()), pl.col("x_end").max()
    ).row(0)
    if relative:
        lo = 0.0
    lo = hi if lo is None else lo
    if hi is None:  # pragma: no cover - every row has an end (updated_at or executed_at)
        lo = hi = 0.0
    span = (hi - lo) or (1.0 if relative else 60_000.0)
    # Room on the right for the gap labels, so the last marks are not clipped; on the left for
    # the failure ring of a step at the very start (its radius in pixels, as a share of width).
    longest = int(data.select(pl.col("label").str.len_chars().max().fill_null(0)).item())
    right_px = _LABEL_DX + _LABEL_CHAR_PX * longest if show_labels else 0.03 * width
    right_px = min(right_px, width / 2)
    right = span * right_px / (width - right_px - _RING_ROOM_PX)
    left = span * _RING_ROOM_PX / (width - right_px - _RING_ROOM_PX)
    domain_x = [lo - left, hi + right]
    # The domain is set on one layer only (Vega-Lite warns when a layer with x2 carries it).
    if relative:
        x_title = f"Time since the execution was created ({unit}); times in tooltips: {tz}"
        x = alt.X("x_start:Q", title=x_title)
        x_end = alt.X("x_end:Q", title=x_title)
        x_main = alt.X(
            "x_end:Q", title=x_title, scale=alt.Scale(domain=domain_x, nice=False, zero=False)
        )
    else:
        x_title = f"Time ({tz})"
        axis = alt.Axis(
            labelExpr=_AXIS_TIME_LABEL,
            # Vega's own description would spell the range in 12-hour UTC.
            description=f"Time axis, wall-clock time in {tz}, 24-hour clock",
            labelOverlap=True,
            # Few enough ticks that none is hidden (hiding every other one would drop dates).
            tickCount=max(2, width // 100),
            grid=True,
        )
        x = alt.X("x_start:T", title=x_title, scale=alt.Scale(type="utc"), axis=axis)
        x_end = alt.X("x_end:T", title=x_title, scale=alt.Scale(type="utc"), axis=axis)
        x_main = alt.X(
            "x_end:T",
            title=x_title,
            scale=alt.Scale(type="utc", domain=domain_x, nice=False),
            axis=axis,
        )
    y = alt.Y(
        "row:N",
        title=None,
        sort=alt.EncodingSortField(field="position", op="min", order="ascending"),
        axis=alt.Axis(labelLimit=280, labelFontSize=11 if not compact else 9, ticks=False),
        scale=alt.Scale(paddingInner=0.2),
    )
    tooltip = [
        alt.Tooltip("step:N", title="Step"),
        alt.Tooltip("status:N", title="Status"),
        alt.Tooltip("executed_local:N", title=f"Executed ({tz})"),
        alt.Tooltip("executed_utc:N", title="Executed (UTC)"),
        alt.Tooltip("gap:N", title="Since previous step"),
    ]
    if relative:
        tooltip.append(alt.Tooltip("since_created:N", title="Since execution created"))
    tooltip.append(alt.Tooltip("errors:N", title="Errors"))

    zoom = alt.selection_interval(encodings=["x"], bind="scales", name="zoom_time")
    base = alt.Chart().encode(y=y, tooltip=tooltip)
    executed = alt.datum.executed
    bar_size = 6 if compact else 9
    # The bars carry no ARIA description: Vega-Lite would format their x2 in local time.
    gap_bars = (
        base.transform_filter(executed)
        .mark_bar(size=bar_size, opacity=0.45, clip=True, aria=False)
        .encode(x=x, x2=alt.X2("x_end:Q" if relative else "x_end:T"), color=color)
    )
    waits = (
        base.transform_filter(alt.datum.waiting)
        .mark_bar(
            size=bar_size,
            filled=False,
            strokeDash=[4, 3],
            strokeWidth=1.5,
            clip=True,
            aria=False,
        )
        .encode(x=x_end, x2=alt.X2("x_start:Q" if relative else "x_start:T"), color=color)
    )
    open_ends = (
        base.transform_filter(~executed)
        .mark_point(filled=False, size=50 if not compact else 25, clip=True)
        .encode(x=x_end, color=color, shape=shape)
    )
    marks = (
        base.transform_filter(executed)
        .mark_point(
            filled=True,
            size=90 if not compact else 30,
            opacity=1,
            stroke="white",
            strokeWidth=0.8,
            clip=True,
        )
        .encode(x=x_main, color=color, shape=shape)
        .add_params(zoom)
    )
    rings = (
        base.transform_filter(executed & alt.datum.failed)
        .mark_point(
            shape="circle",
            filled=False,
            size=260 if not compact else 90,
            strokeWidth=1.5,
            color=STATUS_COLORS[FAILED],
            clip=True,
        )
        .encode(x=x_end)
    )
    layers: list[alt.Chart] = [gap_bars, waits, open_ends, rings, marks]
    if any_waiting:
        # No y encoding: the line spans every row. One row per unfinished execution has it.
        now_x = (
            alt.X("x_now:Q", title=x_title)
            if relative
            else alt.X("x_now:T", title=x_title, scale=alt.Scale(type="utc"), axis=axis)
        )
        now_rule = (
            alt.Chart()
            .transform_filter(alt.datum.waiting)
            .mark_rule(color="#555555", strokeDash=[2, 2], strokeWidth=1, clip=True, aria=False)
            .encode(x=now_x)
        )
        now_text = (
            alt.Chart()
            .transform_filter(alt.datum.waiting)
            .mark_text(text="now", align="left", baseline="top", dx=3, dy=2, fontSize=10, clip=True)
            .encode(x=now_x, y=alt.value(0), color=alt.value("#555555"))
        )
        layers += [now_rule, now_text]
    if show_labels:
        texts = base.mark_text(
            align="left", baseline="middle", dx=11, fontSize=10, color="#444444", clip=True
        ).encode(x=x_end, text=alt.Text("label:N"))
        layers.append(texts)

    layered = alt.layer(*layers)
    if many:
        order = data.get_column("lane").unique(maintain_order=True).to_list()
        chart: alt.TopLevelMixin = (
            layered.properties(width=width, height=alt.Step(row_step))
            .facet(
                data=_values(data),
                row=alt.Row(
                    "lane:N",
                    sort=order,
                    title=None,
                    header=alt.Header(
                        labelAngle=0,
                        labelOrient="top",
                        labelAnchor="start",
                        labelFontWeight="bold",
                        labelFontSize=12,
                        labelLimit=width + 280,
                        labelPadding=4,
                    ),
                ),
                spacing=14,
            )
            .resolve_scale(y="independent")
            .properties(title=alt.Title(title, subtitle=subtitle, anchor="start"))
        )
    else:
        chart = alt.layer(*layers, data=_values(data)).properties(
            width=width,
            height=alt.Step(row_step),
            title=alt.Title(title, subtitle=subtitle, anchor="start"),
        )
    return _finish(chart)


# --------------------------------------------------------------------------------------------
# Statistics


_MINUTE, _HOUR, _DAY = 60, 3600, 86400
#: Blueprint names in step_stats_chart row labels are cut to this many characters.
_BLUEPRINT_CHARS: Final = 22
#: Least distance between two tick labels of the statistics axis, in pixels.
_TICK_SPACING_PX: Final = 44
_GAP_TICKS = (
    0, 1, 10, _MINUTE, 10 * _MINUTE, _HOUR, 6 * _HOUR, _DAY, 3 * _DAY, 7 * _DAY, 30 * _DAY,
    90 * _DAY, 365 * _DAY,
)  # fmt: skip
# Vega expression: a tick value in seconds, in words.
_GAP_LABEL = (
    "datum.value >= 86400 ? format(datum.value / 86400, '~g') + ' d'"
    " : datum.value >= 3600 ? format(datum.value / 3600, '~g') + ' h'"
    " : datum.value >= 60 ? format(datum.value / 60, '~g') + ' min'"
    " : format(datum.value, '~g') + ' s'"
)


def _spaced_ticks(upper: float, width: int) -> list[float]:
    """The gap ticks up to ``upper`` seconds whose labels do not collide on a symlog axis.

    Vega-Lite's own overlap check does not see "0 s" and "1 s" touching when the axis spans
    days, so ticks closer than :data:`_TICK_SPACING_PX` to the last kept one are left out.
    """

    def x(value: float) -> float:  # the symlog transform, constant 1
        return math.log1p(value) / math.log1p(upper) * width

    kept: list[float] = []
    for tick in (t for t in _GAP_TICKS if t <= upper):
        if not kept or x(tick) - x(kept[-1]) >= _TICK_SPACING_PX:
            kept.append(tick)
    return kept


def step_stats_chart(
    steps: pl.DataFrame, *, per: StatsPer = "name", width: int = 560
) -> alt.TopLevelMixin:
    """Gap statistics per step name across executions, with outliers flagged.

    For each step name: a bar from the median to the p90 of the time since the previous step, a
    tick at the median, and a dot at the slowest gap, red and labelled when it is an outlier
    (see :func:`step_stats`). The text on the right gives the count and failures.

    Parameters
    ----------
    steps
        A steps frame from :func:`plannr_nb.steps_frame` (not modified); any number of rows.
    per
        ``"name"`` (a row per step name) or ``"step"`` (a row per blueprint step, repeated
        names apart), as in :func:`step_stats`.
    width
        Width of the plot area in pixels.

    Returns
    -------
    altair.LayerChart
        The chart; its data is one row per step name (or step), whatever the size of ``steps``.
    """
    stats = step_stats(steps, per=per)
    if stats.height == 0:
        return _empty_chart("No steps to show.", "Time since the previous step, per step")
    max_us = stats.select(pl.col("gap_max").dt.total_microseconds().max()).item()
    # Waits run from seconds to days: a symlog axis in seconds keeps both readable.
    size = 1_000_000
    max_s = (max_us or 0) / size
    upper = max(max_s * 2, 10)
    ticks = _spaced_ticks(upper, width)
    axis = alt.Axis(values=ticks, labelExpr=_GAP_LABEL, labelOverlap=True, grid=True)
    gap_scale = alt.Scale(type="symlog", constant=1, domain=[0, upper], nice=False)
    blueprints = stats.get_column("execution_name").n_unique()
    row = pl.format("{}. {}", pl.col("position"), pl.col("name").fill_null("(unnamed)"))
    if per == "name":
        row = pl.col("name").fill_null("(unnamed)")
    elif blueprints > 1:
        # The step name is what tells rows apart: shorten the blueprint, never the step.
        blueprint = pl.col("execution_name").fill_null("(unnamed)")
        short = (
            pl.when(blueprint.str.len_chars() > _BLUEPRINT_CHARS)
            .then(blueprint.str.slice(0, _BLUEPRINT_CHARS - 1).str.strip_chars_end() + "…")
            .otherwise(blueprint)
        )
        row = pl.format("{} / {}", short, row)
    us = {c: pl.col(c).dt.total_microseconds() for c in ("gap_median", "gap_p90", "gap_max")}
    data = stats.with_row_index("order").select(
        row.alias("row"),
        pl.col("order").cast(pl.Int64),
        (us["gap_median"] / size).alias("median"),
        (us["gap_p90"] / size).alias("p90"),
        (us["gap_max"] / size).alias("max"),
        duration_expr(pl.col("gap_median")).fill_null("n/a").alias("median_text"),
        duration_expr(pl.col("gap_p90")).fill_null("n/a").alias("p90_text"),
        duration_expr(pl.col("gap_max")).fill_null("n/a").alias("max_text"),
        pl.col("count"),
        pl.col("failures"),
        pl.col("outlier"),
        pl.format(
            "n={} · {} failed{}",
            pl.col("count"),
            pl.col("failures"),
            pl.when(pl.col("outlier")).then(pl.lit(" · outlier")).otherwise(pl.lit("")),
        ).alias("summary"),
    )
    y = alt.Y(
        "row:N",
        title=None,
        sort=alt.EncodingSortField(field="order", op="min"),
        axis=alt.Axis(labelLimit=320),
    )
    x_title = "Time since the previous step (log scale)"
    tooltip = [
        alt.Tooltip("row:N", title="Step"),
        alt.Tooltip("count:Q", title="Count"),
        alt.Tooltip("failures:Q", title="Failures"),
        alt.Tooltip("median_text:N", title="Median gap"),
        alt.Tooltip("p90_text:N", title="p90 gap"),
        alt.Tooltip("max_text:N", title="Max gap"),
        alt.Tooltip("outlier:N", title="Outlier"),
    ]
    base = alt.Chart().encode(y=y, tooltip=tooltip)
    x = alt.X("median:Q", title=x_title, scale=gap_scale, axis=axis)
    zoom = alt.selection_interval(encodings=["x"], bind="scales", name="zoom_gap")
    spread = base.mark_bar(size=10, color="#0072B2", opacity=0.35).encode(x=x, x2=alt.X2("p90:Q"))
    median = base.mark_tick(thickness=2, size=14, color="#0072B2").encode(x=x)
    worst = (
        base.mark_point(filled=True, size=60)
        .encode(
            x=alt.X("max:Q", title=x_title, scale=gap_scale, axis=axis),
            color=alt.condition(
                alt.datum.outlier, alt.value(STATUS_COLORS[FAILED]), alt.value("#777777")
            ),
            shape=alt.condition(alt.datum.outlier, alt.value("triangle-up"), alt.value("circle")),
        )
        .add_params(zoom)
    )
    summary = base.mark_text(align="left", dx=8, fontSize=10, clip=False).encode(
        x=alt.X("max:Q", title=x_title, scale=gap_scale, axis=axis),
        text=alt.Text("summary:N"),
        color=alt.condition(
            alt.datum.failures > 0, alt.value(STATUS_COLORS[FAILED]), alt.value("#444444")
        ),
    )
    chart = alt.layer(spread, median, worst, summary, data=_values(data)).properties(
        width=width,
        height=alt.Step(22),
        padding={"left": 5, "top": 5, "bottom": 5, "right": 170},  # the text right of a dot
        title=alt.Title(
            "Time since the previous step, per step",
            subtitle=[
                "Bar: median to p90. Tick: median. Dot: slowest; red triangle: outlier "
                f"(over {OUTLIER_FACTOR:g} times the p90).",
            ],
            anchor="start",
        ),
    )
    return _finish(chart)


def status_chart(executions: pl.DataFrame, *, width: int = 560) -> alt.TopLevelMixin:
    """Executions by status and blueprint, as stacked horizontal bars.

    Parameters
    ----------
    executions
        An executions frame from :func:`plannr_nb.executions_frame` (not modified); any number
        of rows (counted in polars first).
    width
        Width of the plot area in pixels.

    Returns
    -------
    altair.Chart
        One bar per blueprint, most executions first, stacked by status in the fixed palette.
    """
    require_columns(executions, _EXECUTIONS_COLUMNS, "status_chart()", "executions_frame")
    title = "Executions by status and blueprint"
    if executions.height == 0:
        return _empty_chart("No executions to show.", title)
    counts = (
        executions.select(
            pl.col("name").cast(pl.String).fill_null("(unnamed blueprint)").alias("blueprint"),
            status_expr("status").alias("state"),
        )
        .group_by("blueprint", "state")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .with_columns(pl.col("count").sum().over("blueprint").alias("total"))
    )
    domain, colors = status_palette(counts.get_column("state").unique().to_list())
    order = (
        counts.select("blueprint", "total")
        .unique()
        .sort(["total", "blueprint"], descending=[True, False])
        .get_column("blueprint")
        .to_list()
    )
    most = int(counts.select(pl.col("total").max().fill_null(0)).item())
    ticks = list(range(most + 1)) if most <= 10 else None
    rank = {s: i for i, s in enumerate(domain)}
    counts = counts.with_columns(
        pl.col("state").replace_strict(rank, return_dtype=pl.Int64).alias("state_order")
    )
    chart = (
        alt.Chart(_values(counts))
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            y=alt.Y("blueprint:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X(
                "count:Q",
                title="Executions",
                stack="zero",
                # Whole executions only: Vega-Lite ignores tickMinStep on small domains.
                axis=alt.Axis(format="d", values=ticks) if ticks else alt.Axis(format="d"),
            ),
            color=alt.Color(
                "state:N",
                title="Status",
                scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            order=alt.Order("state_order:Q"),
            tooltip=[
                alt.Tooltip("blueprint:N", title="Blueprint"),
                alt.Tooltip("state:N", title="Status"),
                alt.Tooltip("count:Q", title="Executions"),
                alt.Tooltip("total:Q", title="All statuses"),
            ],
        )
        .properties(width=width, height=alt.Step(24), title=alt.Title(title, anchor="start"))
    )
    return _finish(chart)


# --------------------------------------------------------------------------------------------
# Saving


def save_chart(chart: alt.TopLevelMixin | Mapping[str, Any], path: str | Path) -> Path:
    """Write a chart to ``.png``, ``.svg`` or self-contained offline ``.html``, by suffix.

    Everything is rendered locally by vl-convert: no network is needed to write the file, nor
    to open the HTML (its JavaScript is bundled in). PNGs are drawn at twice the chart's size.

    Parameters
    ----------
    chart
        An altair chart, or a Vega-Lite spec as a dict.
    path
        Where to write; the suffix (``.png``, ``.svg`` or ``.html``, any case) picks the format.
        Parent folders must exist.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If the suffix is not one of the three.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".png", ".svg", ".html"}:
        msg = f"save_chart() writes .png, .svg or .html files, not {target.name!r}"
        raise ValueError(msg)
    spec = dict(chart) if isinstance(chart, Mapping) else chart.to_dict()
    from ._render import _vl_convert, png_bytes

    vlc = _vl_convert()
    if suffix == ".png":
        target.write_bytes(png_bytes(spec, scale=2))
    elif suffix == ".svg":
        target.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
    else:
        target.write_text(vlc.vegalite_to_html(spec, bundle=True), encoding="utf-8")
    return target
