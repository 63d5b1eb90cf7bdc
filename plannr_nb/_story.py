"""The story of an execution in words: what ran, what failed, where it waited, what to check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from ._durations import human_duration
from ._markup import Markdown, code, join, markdown
from ._options import check_zone, resolve_tz
from ._statuses import FAILED_STATUSES, FINISHED_STATUSES, normalize_status
from ._uuids import normalize_uuid

__all__ = ["explain", "next_checks"]

# Known error texts -> what a support person should check next. Order matters: first match wins.
_ADVICE: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"account_uuid.*required|account.*(missing|not found)", re.I),
        "The step ran without a client account: check that the client record has an account "
        "linked, and that the blueprint's trigger fires after the account is created.",
    ),
    (
        re.compile(r"e-?mail.*(invalid|valid e-?mail|bounced|undeliverable)", re.I),
        "Check the client's e-mail address on their record, then re-run the step.",
    ),
    (
        re.compile(r"phone|mobile|sms.*(invalid|number)", re.I),
        "Check the client's mobile number (UK format) on their record.",
    ),
    (
        re.compile(r"template.*(not found|missing|deleted)|not found.*template", re.I),
        "A template the step uses is missing or renamed: check the blueprint's step settings.",
    ),
    (
        re.compile(r"timed? ?out|timeout|temporar|unavailable|try again|rate limit", re.I),
        "A provider was slow or unavailable: usually transient. Re-run the step; if it keeps "
        "failing, check the provider's status.",
    ),
    (
        re.compile(r"unauthori[sz]ed|unauthenticated|forbidden|permission|denied|token", re.I),
        "An integration's credentials were refused: reconnect the integration in Plannr.",
    ),
    (
        re.compile(r"required|must be|invalid|validation", re.I),
        "A field the step needs is missing or invalid on the client record: fill it in and "
        "re-run the step.",
    ),
]
_GENERIC = "Open the step in Plannr and check its configuration and the client's record."
STALL_AFTER = timedelta(days=2)


def next_checks(errors: list[str]) -> list[str]:
    """What to check next for these error messages, most specific advice first, no repeats."""
    advice: list[str] = []
    for error in errors:
        for pattern, text in _ADVICE:
            if pattern.search(error):
                advice.append(text)
                break
        else:
            advice.append(_GENERIC)
    return list(dict.fromkeys(advice))


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return "not yet"
    local = value.astimezone(zone)
    return f"{local:%a %d %b %Y %H:%M:%S} {local.tzname()}"


def explain(
    execution_uuid: str,
    executions: pl.DataFrame,
    steps: pl.DataFrame,
    *,
    tz: str | None = None,
    now: datetime | None = None,
) -> Markdown:
    """The story of one execution, as Markdown: status, progress, failures, waits, next checks.

    Every value from the API (names, status, ``triggered_by``, the account's name, errors) is
    escaped, so it shows as text and never becomes markup; Jupyter displays the result as
    Markdown (it is a :class:`str` of Markdown source, ``print`` shows the source).

    Parameters
    ----------
    execution_uuid : str
        The execution to tell, in any form :func:`plannr_nb.normalize_uuid` accepts.
    executions, steps : pl.DataFrame
        Frames from :func:`plannr_nb.executions_frame` and :func:`plannr_nb.steps_frame`.
    tz : str, optional
        IANA zone the times are written in (each time names its zone); by default
        ``pnb.options.tz`` (``PLANNR_NB_TZ``, else Europe/London).
    now : datetime, optional
        The present, to tell a stalled run from a running one (default: the clock).

    Returns
    -------
    Markdown
        A ``str`` subclass with ``_repr_markdown_``.

    Raises
    ------
    InvalidUUIDError
        When ``execution_uuid`` is not an execution UUID.
    KeyError
        When the execution is not in ``executions``.

    """
    zone = check_zone(resolve_tz(tz))
    execution_uuid = normalize_uuid(execution_uuid, kind="execution")
    now = now or datetime.now(UTC)
    rows = executions.filter(pl.col("execution_uuid") == execution_uuid)
    if rows.height == 0:
        msg = f"execution {execution_uuid} is not in the executions frame"
        raise KeyError(msg)
    ex = rows.row(0, named=True)
    own = steps.filter(pl.col("execution_uuid") == execution_uuid).sort("position")
    # Every value from the API goes through markdown()/code()/join(): escaped, never markup.
    lines = [
        markdown("### {}", ex["name"] or "Unnamed automation"),
        "",
        markdown(
            "Execution {} is **{}**. It was triggered by {} on {}",
            code(execution_uuid),
            ex["status"] or "unknown",
            code(ex["triggered_by"] or "unknown"),
            _when(ex["created_at"], zone),
        )
        + (markdown(" for **{}**.", ex["account_name"]) if ex["account_name"] else "."),
        "",
    ]
    total = own.height
    executed = own.filter(pl.col("executed_at").is_not_null()).height
    lines.append(f"- **Progress:** {executed} of {total} steps executed.")
    if ex["previous_step_name"]:
        lines.append(markdown("- **Last step run:** {}.", ex["previous_step_name"]))
    finished = normalize_status(ex["status"]) in FINISHED_STATUSES
    if ex["next_step_name"] and not finished:
        lines.append(markdown("- **Next step:** {}.", ex["next_step_name"]))
    last_activity = max(
        (t for t in (ex["last_executed_at"], ex["updated_at"], ex["created_at"]) if t),
        default=None,
    )
    if not finished and last_activity is not None:
        idle = now - last_activity
        if idle > STALL_AFTER:
            lines.append(
                markdown(
                    "- **Stalled?** No activity for {}, since {}.",
                    human_duration(idle),
                    _when(last_activity, zone),
                )
            )
    gaps = own.filter(pl.col("gap").is_not_null())
    if gaps.height:
        longest = gaps.sort("gap", descending=True).row(0, named=True)
        lines.append(
            markdown(
                "- **Longest wait:** {} before step {} *{}* (time since the previous step).",
                human_duration(longest["gap"]),
                longest["position"] + 1,
                longest["name"],
            )
        )
    failed = own.filter(pl.col("failed"))
    if failed.height == 0:
        lines += ["", "No step failed and no step's info carries an error."]
        return _lines(lines)
    lines += ["", f"**{failed.height} failing step{'s' if failed.height > 1 else ''}:**", ""]
    all_errors: list[str] = []
    for step in failed.iter_rows(named=True):
        errors = step["errors"] or []
        all_errors.extend(errors)
        note = Markdown("")
        if normalize_status(step["status"]) not in FAILED_STATUSES:
            note = markdown(" (status says *{}*, but its info carries an error)", step["status"])
        detail = join("; ", errors) if errors else "no error text"
        lines.append(
            markdown(
                "- Step {}, **{}**, at {}{}: {}",
                step["position"] + 1,
                step["name"],
                _when(step["executed_at"], zone),
                note,
                detail,
            )
        )
    lines += ["", "**What to check next:**", ""]
    lines += [f"- {advice}" for advice in next_checks(all_errors or ["failed"])]
    return _lines(lines)


def _lines(lines: list[str]) -> Markdown:
    # Plain str items are our own literal text; values reached them only through markdown().
    return Markdown("\n".join(lines))
