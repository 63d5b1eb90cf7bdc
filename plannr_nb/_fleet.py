"""Fleet analysis: trends, error clusters, stalled runs and changes across many executions.

A layer between the frames and the charts. Every function takes the frames of
:func:`plannr_nb.build_frames` or the store's lazy frames (``DataFrame`` or ``LazyFrame``),
builds one lazy query, and returns a ``DataFrame``: over a store, polars pushes the column
selection and filters down to the Parquet files and streams.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final, TypeAlias

import polars as pl

from ._statuses import is_failed, is_finished

__all__ = [
    "PLACEHOLDERS",
    "changes",
    "error_clusters",
    "error_template",
    "failure_trend",
    "stalled",
    "wait_from_name",
]

Frame: TypeAlias = pl.DataFrame | pl.LazyFrame

_STEP_KEY: Final = ("execution_name", "position", "name")

#: What :func:`error_clusters` replaces, in this order, and with what.
PLACEHOLDERS: Final[tuple[tuple[str, str], ...]] = (
    (r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>"),
    (r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "<email>"),
    (
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
        r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
        "<date>",
    ),
    ("'[^']*'|\"[^\"]*\"|\u2018[^\u2019]*\u2019|\u201c[^\u201d]*\u201d", "<value>"),
    (r"\b\d+(?:[.,:]\d+)*\b", "<number>"),
)

_WAIT_NAME: Final = re.compile(
    r"\bwait\b.*?\b(\d+(?:\.\d+)?)\s*(min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?)\b", re.I
)
_UNITS: Final = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def _lazy(frame: Frame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _collect(query: pl.LazyFrame) -> pl.DataFrame:
    return query.collect(engine="streaming")


def _failed_run() -> pl.Expr:
    """A run failed when its status says so or any of its steps failed (info included)."""
    return is_failed("status") | (pl.col("failed_step_count").fill_null(0) > 0)


def failure_trend(executions: Frame, every: str = "1d", by: str | None = "name") -> pl.DataFrame:
    """Runs, failed runs and failure rate per period (of ``created_at``) and per ``by``.

    A run counts as failed when its status is a failure or any of its steps failed (a step's
    info may carry an error under a "completed" status).

    Parameters
    ----------
    executions : pl.DataFrame | pl.LazyFrame
        Executions frame (or the store's ``executions``).
    every : str, optional
        Period length as polars writes it: ``"1h"``, ``"1d"``, ``"1w"``, ``"1mo"``. Periods
        start at UTC boundaries.
    by : str | None, optional
        Column to split by (default the blueprint ``name``); None for the fleet as a whole.

    Returns
    -------
    polars.DataFrame
        ``period, <by>, runs, failed, failure_rate``, by period then ``by``.

    """
    keys = ["period"] if by is None else ["period", by]
    query = (
        _lazy(executions)
        .select(
            period=pl.col("created_at").dt.truncate(every),
            failed=_failed_run(),
            **({} if by is None else {by: pl.col(by)}),
        )
        .group_by(keys)
        .agg(runs=pl.len().cast(pl.Int64), failed=pl.col("failed").sum().cast(pl.Int64))
        .with_columns(failure_rate=pl.col("failed") / pl.col("runs"))
        .sort(keys)
    )
    return _collect(query)


def error_template(text: pl.Expr) -> pl.Expr:
    """``text`` with UUIDs, e-mails, dates, quoted values and numbers as placeholders."""
    for pattern, placeholder in PLACEHOLDERS:
        text = text.str.replace_all(pattern, placeholder)
    return text.str.replace_all(r"\s+", " ").str.strip_chars()


def error_clusters(steps: Frame) -> pl.DataFrame:
    """Errors grouped by template, most frequent first.

    A template is the error text with UUIDs (``<uuid>``), e-mail addresses (``<email>``),
    dates and times (``<date>``), quoted values (``<value>``) and numbers (``<number>``)
    replaced, in that order (see :data:`PLACEHOLDERS`): "the account_uuid field is required"
    for many clients is one cluster, as is "Template 'Welcome v2' not found" for any template.

    Parameters
    ----------
    steps : pl.DataFrame | pl.LazyFrame
        Steps frame (or the store's ``steps``); its ``errors`` lists are what is clustered.

    Returns
    -------
    polars.DataFrame
        ``template, errors, executions, blueprints, steps, first_seen, last_seen, example,
        blueprint_names, step_names``: how many errors, distinct executions, blueprints and
        step names, when first and last seen (the step's ``executed_at``, else its
        ``updated_at``), one raw message, and the blueprint and step names, sorted.

    """
    query = (
        _lazy(steps)
        .filter(pl.col("errors").list.len() > 0)
        .select(
            "execution_uuid",
            "execution_name",
            "name",
            seen=pl.coalesce("executed_at", "updated_at"),
            error=pl.col("errors"),
        )
        .explode("error")
        .filter(pl.col("error").is_not_null())
        .with_columns(template=error_template(pl.col("error")))
        .group_by("template")
        .agg(
            errors=pl.len().cast(pl.Int64),
            executions=pl.col("execution_uuid").n_unique().cast(pl.Int64),
            blueprints=pl.col("execution_name").n_unique().cast(pl.Int64),
            steps=pl.col("name").n_unique().cast(pl.Int64),
            first_seen=pl.col("seen").min(),
            last_seen=pl.col("seen").max(),
            example=pl.col("error").min(),
            blueprint_names=pl.col("execution_name").unique().sort(),
            step_names=pl.col("name").unique().sort(),
        )
        .sort(["errors", "template"], descending=[True, False])
    )
    return _collect(query)


def wait_from_name(name: str | None) -> timedelta | None:
    """The wait a step's name announces: "Wait 3 days" is 3 days; None when it names none."""
    if not name:
        return None
    match = _WAIT_NAME.search(name)
    if match is None:
        return None
    amount, unit = float(match.group(1)), match.group(2).lower()
    if unit.startswith("w"):
        return timedelta(weeks=amount)
    return amount * _UNITS[unit[0]]


def stalled(
    executions: Frame,
    steps: Frame,
    *,
    now: datetime | None = None,
    percentile: float = 0.9,
    min_samples: int = 20,
    slack: float = 0.25,
    fallback: timedelta = timedelta(days=1),
) -> pl.DataFrame:
    """Unfinished executions waiting at their next step longer than that step usually takes.

    The rule, step by step:

    1. An execution is unfinished when its status is not one of ``FINISHED_STATUSES``; its next
       step is its first step, by position, that has not run (no ``executed_at``, not failed).
    2. It has been waiting since its last executed step (``last_executed_at``), or since its
       creation when no step ran; ``waited = now - waiting_since``.
    3. What is expected at that step (same blueprint name, same position) is learned from the
       finished executions: the ``percentile`` of that step's ``gap`` (time since the previous
       step) over at least ``min_samples`` of them (basis ``"history"``). With fewer samples,
       the step's name is read ("Wait 3 days" expects 3 days; basis ``"step name"``); failing
       that, ``fallback`` (basis ``"default"``).
    4. It is stalled when ``waited > expected * (1 + slack)``; ``overdue_by = waited -
       expected``.

    Parameters
    ----------
    executions, steps : pl.DataFrame | pl.LazyFrame
        The frames (or the store's lazy frames).
    now : datetime, optional
        The present (default: the clock).
    percentile : float, optional
        Quantile of a step's past gaps taken as its expected wait (rule 3).
    min_samples : int, optional
        Fewest finished runs of a step for its history to count (rule 3).
    slack : float, optional
        Margin over the expected wait before an execution counts as stalled (rule 4).
    fallback : timedelta, optional
        Expected wait when neither history nor the step's name tells (rule 3).

    Returns
    -------
    polars.DataFrame
        ``execution_uuid, name, account_name, status, position, next_step, waiting_since,
        waited, expected, overdue_by, basis, samples``, most overdue first.

    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    ex = _lazy(executions)
    st = _lazy(steps)
    unfinished = ex.filter(~is_finished("status")).select(
        "execution_uuid",
        "name",
        "account_name",
        "status",
        waiting_since=pl.coalesce("last_executed_at", "created_at"),
    )
    next_steps = (
        st.filter(
            pl.col("executed_at").is_null()
            & ~pl.col("failed").fill_null(False)
            & ~is_finished("execution_status")
        )
        .select("execution_uuid", "position", "name")
        .group_by("execution_uuid")
        .agg(
            next_step=pl.col("name").sort_by("position").first(),
            position=pl.col("position").min(),
        )
    )
    learned = (
        st.filter(is_finished("execution_status") & pl.col("gap").is_not_null())
        .group_by("execution_name", "position")
        .agg(
            learned=pl.col("gap").quantile(percentile, interpolation="higher"),
            samples=pl.len().cast(pl.Int64),
        )
        .rename({"execution_name": "name"})
    )
    waiting = _collect(
        unfinished.join(next_steps, on="execution_uuid", how="inner")
        .join(learned, on=["name", "position"], how="left")
        .with_columns(
            waited=pl.lit(now, dtype=pl.Datetime("us", "UTC")) - pl.col("waiting_since"),
            samples=pl.col("samples").fill_null(0),
        )
    )
    by_name = pl.Series(
        "by_name",
        [wait_from_name(name) for name in waiting["next_step"].to_list()],
        dtype=pl.Duration("us"),
    )
    enough = pl.col("samples") >= min_samples
    basis = (
        pl.when(enough)
        .then(pl.lit("history"))
        .when(pl.col("by_name").is_not_null())
        .then(pl.lit("step name"))
        .otherwise(pl.lit("default"))
    )
    expected = (
        pl.when(enough)
        .then(pl.col("learned"))
        .otherwise(pl.coalesce("by_name", pl.lit(fallback, dtype=pl.Duration("us"))))
    )
    return (
        waiting.with_columns(by_name)
        .with_columns(expected=expected, basis=basis)
        .with_columns(overdue_by=pl.col("waited") - pl.col("expected"))
        .filter(
            pl.col("waited").dt.total_microseconds()
            > pl.col("expected").dt.total_microseconds() * (1 + slack)
        )
        .select(
            "execution_uuid",
            "name",
            "account_name",
            "status",
            "position",
            "next_step",
            "waiting_since",
            "waited",
            "expected",
            "overdue_by",
            "basis",
            "samples",
        )
        .sort(["overdue_by", "execution_uuid"], descending=[True, False])
    )


def changes(
    steps: Frame,
    *,
    every: str = "1d",
    window: int = 7,
    min_runs: int = 10,
    min_baseline: int = 30,
    factor: float = 3.0,
    rise: float = 0.3,
) -> pl.DataFrame:
    """For each step, the first period where its failure rate rose well above its own past.

    The rule, for each step (blueprint name, position, step name) and each period:

    * runs are the step's executions that ran (an ``executed_at``, or failed), in the period of
      their ``executed_at``; failures are those with ``failed``;
    * the baseline is the failure rate over every earlier period, and needs at least
      ``min_baseline`` runs;
    * the threshold is ``max(factor * baseline, baseline + rise)``;
    * the period is a change when its own failure rate and the rate over it and the next
      ``window - 1`` periods both reach the threshold, with at least ``min_runs`` runs in those
      ``window`` periods.

    Only the first such period of each step is returned. Before and since counts are over the
    whole history ("38 of 41 runs failed since, 1 of 230 before").

    Parameters
    ----------
    steps : pl.DataFrame | pl.LazyFrame
        Steps frame (or the store's ``steps``).
    every : str, optional
        Period length (``"1d"``, ``"1w"``, ...), UTC boundaries.
    window : int, optional
        Periods over which a rise must hold, the first included.
    min_runs : int, optional
        Fewest runs in those ``window`` periods.
    min_baseline : int, optional
        Fewest runs in the earlier periods for a baseline.
    factor, rise : float, optional
        The threshold is ``max(factor * baseline, baseline + rise)``.

    Returns
    -------
    polars.DataFrame
        ``execution_name, position, name, changed_at, runs_before, failed_before,
        rate_before, runs_since, failed_since, rate_since, runs_window, failed_window,
        threshold``, by ``changed_at``.

    """
    key = list(_STEP_KEY)
    per_period = _collect(
        _lazy(steps)
        .filter(pl.col("executed_at").is_not_null() | pl.col("failed").fill_null(False))
        .select(
            *key,
            period=pl.coalesce("executed_at", "updated_at").dt.truncate(every),
            failed=pl.col("failed").fill_null(False),
        )
        .group_by(*key, "period")
        .agg(runs=pl.len().cast(pl.Int64), failures=pl.col("failed").sum().cast(pl.Int64))
    )
    # Every period of the history, so that a window counts periods, not rows.
    if per_period.height == 0:
        periods = pl.DataFrame(schema={"period": pl.Datetime("us", "UTC")})
    else:
        first, last = per_period["period"].min(), per_period["period"].max()
        assert isinstance(first, datetime)
        assert isinstance(last, datetime)
        periods = pl.DataFrame(
            {
                "period": pl.datetime_range(
                    first,
                    last,
                    interval=every,
                    eager=True,
                    time_zone="UTC",
                )
            }
        )
    grid = (
        per_period.select(key)
        .unique()
        .join(periods, how="cross")
        .join(per_period, on=[*key, "period"], how="left")
        .with_columns(pl.col("runs", "failures").fill_null(0))
        .sort([*key, "period"])
    )
    total_runs = pl.col("runs").sum().over(key)
    total_failures = pl.col("failures").sum().over(key)
    before_runs = pl.col("runs").cum_sum().over(key) - pl.col("runs")
    before_failures = pl.col("failures").cum_sum().over(key) - pl.col("failures")
    ahead = pl.col("runs").reverse().rolling_sum(window, min_samples=1).reverse().over(key)
    ahead_failures = (
        pl.col("failures").reverse().rolling_sum(window, min_samples=1).reverse().over(key)
    )
    frame = grid.with_columns(
        runs_before=before_runs,
        failed_before=before_failures,
        runs_since=total_runs - before_runs,
        failed_since=total_failures - before_failures,
        runs_window=ahead,
        failed_window=ahead_failures,
    ).with_columns(
        rate_before=pl.col("failed_before") / pl.col("runs_before"),
        rate_since=pl.col("failed_since") / pl.col("runs_since"),
        rate=pl.col("failures") / pl.col("runs"),
        rate_window=pl.col("failed_window") / pl.col("runs_window"),
    )
    threshold = pl.max_horizontal(pl.col("rate_before") * factor, pl.col("rate_before") + rise)
    return (
        frame.with_columns(threshold=threshold)
        .filter(
            (pl.col("runs_before") >= min_baseline)
            & (pl.col("runs") > 0)
            & (pl.col("runs_window") >= min_runs)
            & (pl.col("rate") >= pl.col("threshold"))
            & (pl.col("rate_window") >= pl.col("threshold"))
        )
        .group_by(key, maintain_order=True)
        .first()
        .select(
            *key,
            changed_at=pl.col("period"),
            runs_before="runs_before",
            failed_before="failed_before",
            rate_before="rate_before",
            runs_since="runs_since",
            failed_since="failed_since",
            rate_since="rate_since",
            runs_window="runs_window",
            failed_window="failed_window",
            threshold="threshold",
        )
        .sort(["changed_at", *key])
    )
