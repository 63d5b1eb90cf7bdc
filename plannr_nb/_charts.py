"""Altair charts of executions and steps: honest timelines that survive sharing.

Every builder is pure: a polars frame in, an altair chart out; nothing is read or written
(except by :func:`save_chart`) and the input frame is never mutated. The builders select only the
columns they encode before handing data to altair, and inline it as plain values.

The Gantt lives in :mod:`plannr_nb._gantt` (built from the shared pieces here); the frames the
statistics chart draws come from :mod:`plannr_nb._analysis`. Only Vega-Lite features that
Vega-Lite 5 supports are used, since JupyterLab draws the spec with Vega-Lite 5.

Size strategy
-------------
:func:`step_stats_chart` and :func:`status_chart` aggregate in polars first, so their size does
not grow with the input. The data is inlined as plain values, so altair's 5,000-row
``MaxRowsError`` never applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, cast

import altair as alt
import polars as pl

from ._analysis import OUTLIER_FACTOR, StatsPer, step_stats
from ._durations import duration_expr
from ._render import use_plannr_renderer
from ._schemas import require_columns
from ._statuses import (
    CANCELLED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    SKIPPED,
    status_expr,
)

# Charts must show offline in any notebook that imported plannr-nb, not only in ours.
use_plannr_renderer()

__all__ = [
    "STATUS_COLORS",
    "UNKNOWN_STATUS_COLOR",
    "inline_values",
    "save_chart",
    "status_chart",
    "status_legend",
    "status_palette",
    "step_stats_chart",
]


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
_FONT: Final = "Helvetica, Arial, sans-serif"

# --------------------------------------------------------------------------------------------
# small helpers


def status_palette(statuses: Sequence[str]) -> tuple[list[str], list[str]]:
    """Colour domain and range for the given (normalised) statuses.

    Known statuses come first in :data:`STATUS_COLORS` order, in their fixed colours; any other
    status follows, sorted, in :data:`UNKNOWN_STATUS_COLOR`. The same status always gets the same
    colour, whatever else the chart holds.

    Parameters
    ----------
    statuses : Sequence[str]
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


#: A legend entry's symbol and gaps, and one label character (font size 12), in pixels.
_LEGEND_ENTRY_PX: Final = 30
_LEGEND_CHAR_PX: Final = 7
#: The longest label a legend entry shows (Vega's default), and room for the legend's title.
_LEGEND_LABEL_LIMIT: Final = 160
_LEGEND_TITLE_PX: Final = 60


def status_legend(domain: Sequence[str], width: int) -> alt.Legend:
    """A status legend above the chart, in as many columns as fit the chart's width.

    Statuses the API makes up are shown under their own names, so a chart may carry many; in one
    row they would widen the chart (and its PNG) without bound. They wrap into rows instead,
    each label cut at :data:`_LEGEND_LABEL_LIMIT` pixels.

    Parameters
    ----------
    domain : Sequence[str]
        The statuses in the legend, in order (from :func:`status_palette`).
    width : int
        The chart's plot width in pixels.

    Returns
    -------
    altair.Legend
        One row when every entry fits in it, else a grid of equal-width columns.
    """
    entries = [
        _LEGEND_ENTRY_PX + min(_LEGEND_LABEL_LIMIT, _LEGEND_CHAR_PX * len(status))
        for status in domain
    ]
    room = max(width - _LEGEND_TITLE_PX, 1)
    widest = max(entries, default=_LEGEND_ENTRY_PX)
    columns = len(entries) if sum(entries) <= room else max(1, room // widest)
    return alt.Legend(
        orient="top",
        direction="horizontal",
        columns=max(columns, 1),
        labelLimit=_LEGEND_LABEL_LIMIT,
        labelFontSize=12,
        symbolOpacity=1,
        symbolStrokeWidth=0,
    )


def inline_values(frame: pl.DataFrame) -> dict[str, Any]:
    """Inline the frame as plain JSON values (numbers, strings, booleans, nulls).

    A plain ``{"values": ...}``, which altair takes as data as it is: an ``alt.InlineData``
    is checked against the schema row by row when it is made (1.3 s for 6,000 steps), and
    again with the whole chart when it is drawn.
    """
    return {"values": frame.to_dicts()}


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
    steps : pl.DataFrame
        A steps frame from :func:`plannr_nb.steps_frame` (not modified); any number of rows.
    per : {"name", "step"}, optional
        ``"name"`` (a row per step name) or ``"step"`` (a row per blueprint step, repeated
        names apart), as in :func:`step_stats`.
    width : int, optional
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
    chart = alt.layer(spread, median, worst, summary, data=inline_values(data)).properties(
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
    executions : pl.DataFrame
        An executions frame from :func:`plannr_nb.executions_frame` (not modified); any number
        of rows (counted in polars first).
    width : int, optional
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
        .group_by("blueprint", "state", maintain_order=True)  # the same spec every run
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
        alt.Chart(inline_values(counts))
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
                legend=status_legend(domain, width),
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
    chart : alt.TopLevelMixin | Mapping[str, Any]
        An altair chart, or a Vega-Lite spec as a dict.
    path : str | Path
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
