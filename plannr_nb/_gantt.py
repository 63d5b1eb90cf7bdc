"""The Gantt of executions: the timeline of their steps, in small named pieces.

:func:`gantt` composes them: :func:`_limit_steps` picks what fits, :func:`_gantt_frame` turns
the steps frame into the plot frame (one row per step: lane, row, x positions, state, texts),
:func:`_subtitle` writes the legend's notes, :func:`_x_axes` and :func:`_status_scales` set the
encodings, and one function per mark draws the waits, the steps, the failure rings, the steps
not run, the "now" line and the labels, which :func:`_compose` lays out in one chart or a facet
per execution.

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

Size strategy
-------------
A Gantt needs one row per step, and a spec costs a few hundred bytes a row. :func:`gantt` therefore
keeps at most ``max_steps`` steps (default :data:`GANTT_MAX_STEPS`): whole executions, the most
recently created first, and says so in a visible note under the title (how many executions and
steps are shown out of how many). A single execution longer than the limit is cut to its first
``max_steps`` steps, also with a note. ``max_steps=None`` draws everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import altair as alt
import polars as pl

from ._charts import (
    _WIDTH,
    STATUS_COLORS,
    _empty_chart,
    _finish,
    inline_values,
    status_legend,
    status_palette,
)
from ._durations import duration_expr, human_duration
from ._options import resolve_tz
from ._schemas import STEP_COLUMNS, require_columns
from ._statuses import CANCELLED, FAILED, PENDING, is_finished, status_expr

__all__ = ["GANTT_MAX_STEPS", "gantt"]

#: Most steps a Gantt draws by default (whole executions, most recent first).
GANTT_MAX_STEPS: Final = 150

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
#: Characters of the UUID in a lane's label, unless two lanes' labels would collide.
_LANE_UUID_CHARS: Final = 8

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

# Units of the relative axis: (name, microseconds), largest first.
_UNITS: Final = (
    ("days", 86_400_000_000),
    ("hours", 3_600_000_000),
    ("minutes", 60_000_000),
    ("seconds", 1_000_000),
)


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


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------------------------
# what to draw: steps frame -> plot frame


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


def _time_formats(steps: pl.DataFrame) -> tuple[str, str]:
    """Tooltip formats (zone, UTC): with milliseconds only when some step has them."""
    has_ms = steps.select(
        (pl.col("executed_at").dt.microsecond() != 0).any().fill_null(False)
    ).item()
    seconds = "%S%.3f" if has_ms else "%S"
    return f"%Y-%m-%d %H:%M:{seconds} %Z", f"%Y-%m-%d %H:%M:{seconds} UTC"


def _lane(base: pl.DataFrame, tz: str) -> pl.Expr:
    """Each execution's lane label: blueprint, short UUID, status and creation time.

    Two executions whose short labels collide (same blueprint, status, minute and UUID prefix)
    would share a lane and mix their steps: then every label carries the full UUID.
    """

    def label(uuid_chars: int) -> pl.Expr:
        return pl.format(
            "{} · {} · {} · created {}",
            pl.col("execution_name").cast(pl.String).fill_null("(unnamed blueprint)"),
            pl.col("execution_uuid").cast(pl.String).str.slice(0, uuid_chars),
            pl.col("execution_status").cast(pl.String).fill_null("(no status)"),
            _zone_text(pl.col("execution_created_at"), tz, "%Y-%m-%d %H:%M %Z").fill_null("?"),
        )

    short = label(_LANE_UUID_CHARS)
    lanes = base.select("execution_uuid", short.alias("lane")).unique()
    if lanes.get_column("lane").n_unique() < lanes.height:
        return label(36)
    return short


def _wait_texts(frame: pl.DataFrame) -> pl.Expr:
    """The ongoing wait of each unfinished run in words ("waiting 2 d 3 h so far"), else null.

    Worded by :func:`human_duration` itself, one call per unfinished run.
    """
    waits = frame.filter(pl.col("_waiting")).select(
        pl.int_range(pl.len()).alias("_i"), (pl.col("_end") - pl.col("_start")).alias("_wait")
    )
    wait_text = {i: f"waiting {human_duration(wait)} so far" for i, wait in waits.iter_rows()}
    return pl.when(pl.col("_waiting")).then(
        pl.col("_waiting")
        .cum_sum()
        .sub(1)
        .cast(pl.Int64)
        .replace_strict(wait_text, default=None, return_dtype=pl.String)
    )


def _x_columns(
    frame: pl.DataFrame, tz: str, relative: bool, now: pl.Expr
) -> tuple[list[pl.Expr], list[pl.Expr], str]:
    """The x positions (start, end, now), the relative-only columns, and the relative unit."""
    if not relative:
        x_cols = [
            _wall_ms(pl.col("_start"), tz).alias("x_start"),
            _wall_ms(pl.col("_end"), tz).alias("x_end"),
            _wall_ms(now, tz).alias("x_now"),
        ]
        return x_cols, [], ""
    rel_end = pl.col("_end") - pl.col("execution_created_at")
    unit, size = _pick_unit(frame.select(rel_end.dt.total_microseconds().max()).item())
    x_start = (pl.col("_start") - pl.col("execution_created_at")).dt.total_microseconds()
    now_rel = (now - pl.col("execution_created_at")).dt.total_microseconds()
    x_cols = [
        (x_start / size).alias("x_start"),
        (rel_end.dt.total_microseconds() / size).alias("x_end"),
        (now_rel / size).alias("x_now"),
    ]
    since = duration_expr(pl.col("executed_at") - pl.col("execution_created_at"))
    return x_cols, [since.fill_null(pl.col("_not_executed")).alias("since_created")], unit


def _errors_text() -> pl.Expr:
    """A step's errors joined with "; ", cut to :data:`_ERRORS_CHARS`; "none" without any."""
    errors = pl.col("errors").list.eval(pl.element().cast(pl.String)).list.join("; ")
    errors = (
        pl.when(errors.str.len_chars() > _ERRORS_CHARS)
        .then(errors.str.slice(0, _ERRORS_CHARS - 1) + "…")
        .otherwise(errors)
    )
    return pl.when(errors == "").then(pl.lit("none")).otherwise(errors).fill_null("none")


def _gantt_frame(
    steps: pl.DataFrame, tz: str, relative: bool, now: datetime
) -> tuple[pl.DataFrame, str]:
    """The plot frame, one row per step; plus the relative unit.

    A step not executed in an execution that has not finished is pending; the first of them
    after the last executed step is the wait still going on (``waiting``), drawn up to ``now``.
    Steps not executed in a finished execution never will be: they get no bar.
    """
    fmt_local, fmt_utc = _time_formats(steps)
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
    has_errors = pl.col("failed").fill_null(False)
    state = pl.when(has_errors).then(pl.lit(FAILED)).otherwise(status_expr("status"))
    raw_status = pl.col("status").cast(pl.String).fill_null("(none)")
    status_text = (
        pl.when(has_errors & (status_expr("status") != FAILED))
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
    lane = _lane(base, tz)
    frame = base.with_columns(
        _start=start,
        _end=end,
        _executed=executed,
        _waiting=waiting,
        _not_executed=not_executed,
    )
    frame = frame.with_columns(_wait_texts(frame).alias("_wait_text"))
    x_cols, extra, unit = _x_columns(frame, tz, relative, now_lit)
    data = frame.select(
        lane.alias("lane"),
        pl.format("{}. {}", pl.col("position") + 1, pl.col("name").fill_null("(unnamed)")).alias(
            "row"
        ),
        pl.col("position"),
        pl.col("_executed").alias("executed"),
        pl.col("_waiting").alias("waiting"),
        has_errors.alias("failed"),
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
        _errors_text().alias("errors"),
    )
    return data, unit


# --------------------------------------------------------------------------------------------
# notes under the title


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


def _subtitle(
    data: pl.DataFrame,
    shown: pl.DataFrame,
    note: str | None,
    tz: str,
    relative: bool,
) -> list[str]:
    """What the marks mean (only those drawn), then what was left out and what to try."""
    subtitle = [
        "Marks: executed_at. Bars: time since the previous step, not how long a step ran.",
    ]
    not_run = data.filter(~pl.col("executed")).get_column("label")
    if data.get_column("waiting").any():
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
    if note:
        subtitle.append(note)
    dst = None if relative else _dst_note(shown, tz)
    if dst:
        subtitle.append(dst)
    many = shown.get_column("execution_uuid").n_unique() > 1
    if many and not relative and _far_apart(shown):
        subtitle.append(
            "These runs are far apart in time, so each looks short on the shared axis: "
            "gantt(..., relative=True) lines them up by time since creation."
        )
    return subtitle


# --------------------------------------------------------------------------------------------
# encodings


@dataclass(frozen=True)
class _Look:
    """How the marks are drawn: sizes, and the shared encodings every layer reuses."""

    compact: bool
    x: alt.X  # the bar's start
    x_end: alt.X  # the step's instant (the bar's end)
    x_main: alt.X  # the same, carrying the domain (set on one layer only)
    x_now: alt.X
    x2_start: alt.X2
    x2_end: alt.X2
    color: alt.Color
    shape: alt.Shape


def _status_scales(data: pl.DataFrame, width: int) -> tuple[alt.Color, alt.Shape]:
    """Colour by state in the fixed palette; the legend shows each state with its mark's shape."""
    domain, colors = status_palette(data.get_column("state").unique().to_list())
    color = alt.Color(
        "state:N",
        title="Status",
        scale=alt.Scale(domain=domain, range=colors),
        legend=status_legend(domain, width),
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
    return color, shape


def _x_domain(data: pl.DataFrame, relative: bool, width: int, show_labels: bool) -> list[float]:
    """The x range, with room right for the labels and left for a failure ring at the start."""
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
    return [lo - left, hi + right]


def _x_axes(
    domain_x: list[float], tz: str, relative: bool, unit: str, width: int
) -> tuple[alt.X, alt.X, alt.X, alt.X, str]:
    """The x encodings (bar start, instant, instant with the domain, now) and the axis title."""
    # The domain is set on one layer only (Vega-Lite warns when a layer with x2 carries it).
    if relative:
        title = f"Time since the execution was created ({unit}); times in tooltips: {tz}"
        return (
            alt.X("x_start:Q", title=title),
            alt.X("x_end:Q", title=title),
            alt.X("x_end:Q", title=title, scale=alt.Scale(domain=domain_x, nice=False, zero=False)),
            alt.X("x_now:Q", title=title),
            title,
        )
    title = f"Time ({tz})"
    axis = alt.Axis(
        labelExpr=_AXIS_TIME_LABEL,
        # Vega's own description would spell the range in 12-hour UTC.
        description=f"Time axis, wall-clock time in {tz}, 24-hour clock",
        labelOverlap=True,
        # Few enough ticks that none is hidden (hiding every other one would drop dates).
        tickCount=max(2, width // 100),
        grid=True,
    )
    utc = alt.Scale(type="utc")
    return (
        alt.X("x_start:T", title=title, scale=utc, axis=axis),
        alt.X("x_end:T", title=title, scale=utc, axis=axis),
        alt.X(
            "x_end:T",
            title=title,
            scale=alt.Scale(type="utc", domain=domain_x, nice=False),
            axis=axis,
        ),
        alt.X("x_now:T", title=title, scale=utc, axis=axis),
        title,
    )


def _rows(compact: bool) -> alt.Y:
    """One row per step, in list order."""
    return alt.Y(
        "row:N",
        title=None,
        sort=alt.EncodingSortField(field="position", op="min", order="ascending"),
        axis=alt.Axis(labelLimit=280, labelFontSize=11 if not compact else 9, ticks=False),
        scale=alt.Scale(paddingInner=0.2),
    )


def _tooltips(tz: str, relative: bool) -> list[alt.Tooltip]:
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
    return tooltip


# --------------------------------------------------------------------------------------------
# marks: one function each


def _gap_bars(base: alt.Chart, look: _Look) -> alt.Chart:
    """The time since the previous step, before each executed step."""
    # The bars carry no ARIA description: Vega-Lite would format their x2 in local time.
    mark: alt.Chart = (
        base.transform_filter(alt.datum.executed)
        .mark_bar(size=6 if look.compact else 9, opacity=0.45, clip=True, aria=False)
        .encode(x=look.x, x2=look.x2_end, color=look.color)
    )
    return mark


def _ongoing_waits(base: alt.Chart, look: _Look) -> alt.Chart:
    """Hollow dashed bars: the wait still going on, from the last executed step to now."""
    mark: alt.Chart = (
        base.transform_filter(alt.datum.waiting)
        .mark_bar(
            size=6 if look.compact else 9,
            filled=False,
            strokeDash=[4, 3],
            strokeWidth=1.5,
            clip=True,
            aria=False,
        )
        .encode(x=look.x_end, x2=look.x2_start, color=look.color)
    )
    return mark


def _not_executed_marks(base: alt.Chart, look: _Look) -> alt.Chart:
    """Hollow triangles: steps not executed (yet, or ever)."""
    mark: alt.Chart = (
        base.transform_filter(~alt.datum.executed)
        .mark_point(filled=False, size=50 if not look.compact else 25, clip=True)
        .encode(x=look.x_end, color=look.color, shape=look.shape)
    )
    return mark


def _step_marks(base: alt.Chart, look: _Look) -> alt.Chart:
    """A filled mark at each executed step's instant; drag or scroll pans and zooms time."""
    zoom = alt.selection_interval(encodings=["x"], bind="scales", name="zoom_time")
    mark: alt.Chart = (
        base.transform_filter(alt.datum.executed)
        .mark_point(
            filled=True,
            size=90 if not look.compact else 30,
            opacity=1,
            stroke="white",
            strokeWidth=0.8,
            clip=True,
        )
        .encode(x=look.x_main, color=look.color, shape=look.shape)
        .add_params(zoom)
    )
    return mark


def _failure_rings(base: alt.Chart, look: _Look) -> alt.Chart:
    """A red ring around each failed step (by status or by errors in its info)."""
    mark: alt.Chart = (
        base.transform_filter(alt.datum.executed & alt.datum.failed)
        .mark_point(
            shape="circle",
            filled=False,
            size=260 if not look.compact else 90,
            strokeWidth=1.5,
            color=STATUS_COLORS[FAILED],
            clip=True,
        )
        .encode(x=look.x_end)
    )
    return mark


def _now_line(look: _Look) -> list[alt.Chart]:
    """A dotted rule at now, across every row, labelled "now"."""
    # No y encoding: the line spans every row. One row per unfinished execution has it.
    rule = (
        alt.Chart()
        .transform_filter(alt.datum.waiting)
        .mark_rule(color="#555555", strokeDash=[2, 2], strokeWidth=1, clip=True, aria=False)
        .encode(x=look.x_now)
    )
    text = (
        alt.Chart()
        .transform_filter(alt.datum.waiting)
        .mark_text(text="now", align="left", baseline="top", dx=3, dy=2, fontSize=10, clip=True)
        .encode(x=look.x_now, y=alt.value(0), color=alt.value("#555555"))
    )
    return [rule, text]


def _labels(base: alt.Chart, look: _Look) -> alt.Chart:
    """The gap (or why a step did not run) in words, right of each mark."""
    mark: alt.Chart = base.mark_text(
        align="left", baseline="middle", dx=11, fontSize=10, color="#444444", clip=True
    ).encode(x=look.x_end, text=alt.Text("label:N"))
    return mark


def _compose(
    layers: list[alt.Chart],
    data: pl.DataFrame,
    title: alt.Title,
    width: int,
    row_step: int,
    many: bool,
) -> alt.TopLevelMixin:
    """One layered chart, or one facet row per execution (each its own rows)."""
    if not many:
        return alt.layer(*layers, data=inline_values(data)).properties(
            width=width, height=alt.Step(row_step), title=title
        )
    order = data.get_column("lane").unique(maintain_order=True).to_list()
    faceted: alt.TopLevelMixin = (
        alt.layer(*layers)
        .properties(width=width, height=alt.Step(row_step))
        .facet(
            data=inline_values(data),
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
        .properties(title=title)
    )
    return faceted


# --------------------------------------------------------------------------------------------
# the chart


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
    steps : pl.DataFrame
        A steps frame from :func:`plannr_nb.steps_frame` (not modified).
    tz : str, optional
        IANA zone for the axis and tooltips, e.g. ``"UTC"``; by default ``pnb.options.tz``
        (``PLANNR_NB_TZ``, else Europe/London). Times are converted in polars and drawn with
        UTC scales and formats, so every viewer sees the same times; the axis names the zone.
    relative : bool, optional
        If true, the x axis is the time since each execution was created (in seconds, minutes,
        hours or days, whichever fits), so runs days apart line up.
    max_steps : int | None, optional
        Most steps to draw (whole executions, most recent first); a note under the title says
        what was left out. ``None`` draws every step.
    width : int, optional
        Width of the plot area in pixels.
    title : str, optional
        Chart title; by default the execution (one) or the number of executions (several).
    labels : bool, optional
        Draw the gap text next to each step; by default only when the chart has at most 120
        rows.
    now : datetime, optional
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
    data, unit = _gantt_frame(shown, tz, relative, now.astimezone(UTC))
    n_exec = shown.get_column("execution_uuid").n_unique()
    many = n_exec > 1
    compact = data.height > _COMPACT_ROWS
    show_labels = (not compact) if labels is None else labels
    if title is None:
        if many:
            title = f"{_plural(n_exec, 'execution')}, {_plural(shown.height, 'step')}"
        else:
            title = data.get_column("lane")[0]
    subtitle = _subtitle(data, shown, selection.note, tz, relative)

    color, shape = _status_scales(data, width)
    domain_x = _x_domain(data, relative, width, show_labels)
    x, x_end, x_main, x_now, _ = _x_axes(domain_x, tz, relative, unit, width)
    kind = "Q" if relative else "T"
    look = _Look(
        compact=compact,
        x=x,
        x_end=x_end,
        x_main=x_main,
        x_now=x_now,
        x2_start=alt.X2(f"x_start:{kind}"),
        x2_end=alt.X2(f"x_end:{kind}"),
        color=color,
        shape=shape,
    )
    base = alt.Chart().encode(y=_rows(compact), tooltip=_tooltips(tz, relative))
    layers = [
        _gap_bars(base, look),
        _ongoing_waits(base, look),
        _not_executed_marks(base, look),
        _failure_rings(base, look),
        _step_marks(base, look),
    ]
    if data.get_column("waiting").any():
        layers += _now_line(look)
    if show_labels:
        layers.append(_labels(base, look))
    row_step = _ROW_STEP_COMPACT if compact else _ROW_STEP
    heading = alt.Title(title, subtitle=subtitle, anchor="start")
    return _finish(_compose(layers, data, heading, width, row_step, many))
