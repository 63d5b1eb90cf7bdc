"""Execution and step statuses: the one vocabulary, its aliases, and the sets built on them.

Plannr writes statuses in ``snake_case`` (``completed``, ``in_progress``...); other spellings
seen in the wild ("Canceled", "in progress", "errored") fold onto those by one table,
:data:`STATUS_ALIASES`. :func:`normalize_status` (Python) and :func:`status_expr` (polars) are
built from that same table, and every set below holds each spelling that folds onto its
statuses, so a raw status can be checked directly. Nothing else in the package spells a status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # polars is imported by the expression builders only: the client needs none
    import polars as pl

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "FAILED",
    "FAILED_STATUSES",
    "FINISHED_STATUSES",
    "IN_PROGRESS",
    "KNOWN_STATUSES",
    "PENDING",
    "PENDING_STATUSES",
    "RUNNING_STATUSES",
    "SKIPPED",
    "STATUS_ALIASES",
    "UNKNOWN",
    "is_failed",
    "is_finished",
    "normalize_status",
    "status_expr",
]

COMPLETED: Final = "completed"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
SKIPPED: Final = "skipped"
IN_PROGRESS: Final = "in_progress"
PENDING: Final = "pending"
#: What a missing or blank status normalises to.
UNKNOWN: Final = "unknown"

#: The statuses Plannr is known to use, in the order charts and legends list them.
KNOWN_STATUSES: Final = (COMPLETED, FAILED, IN_PROGRESS, PENDING, SKIPPED, CANCELLED)

#: Other spellings (lower case, ``snake_case``) -> the status they mean.
STATUS_ALIASES: Final[Mapping[str, str]] = {
    "canceled": CANCELLED,
    "complete": COMPLETED,
    "succeeded": COMPLETED,
    "success": COMPLETED,
    "error": FAILED,
    "errored": FAILED,
    "running": IN_PROGRESS,
    "inprogress": IN_PROGRESS,
}


def _spellings(*statuses: str) -> frozenset[str]:
    return frozenset(statuses) | {alias for alias, to in STATUS_ALIASES.items() if to in statuses}


#: Execution statuses that will not change any more (every spelling).
FINISHED_STATUSES: Final = _spellings(COMPLETED, FAILED, CANCELLED, SKIPPED)
#: Statuses that say a step or execution failed (a step's ``info`` may add more: see ``failed``).
FAILED_STATUSES: Final = _spellings(FAILED)
#: Statuses of work under way.
RUNNING_STATUSES: Final = _spellings(IN_PROGRESS)
#: Statuses of work not run yet.
PENDING_STATUSES: Final = _spellings(PENDING)

# Only ASCII whitespace: Python's and polars' ideas of Unicode whitespace differ.
_SPACE: Final = " \t\n\r\f\v"
_SEPARATORS: Final = r"[ \t\n\r\f\v\-]+"
_SEPARATORS_RE: Final = re.compile(_SEPARATORS)


def normalize_status(status: str | None) -> str:
    """A status in its one spelling: trimmed, lower case, ``snake_case``, aliases folded.

    Parameters
    ----------
    status : str | None
        A status as the API (or a person) wrote it: ``"Canceled"``, ``"in progress"``...

    Returns
    -------
    str
        ``"cancelled"``, ``"in_progress"``...; ``"unknown"`` for ``None`` or blank text; any
        other status in its cleaned form (never dropped).
    """
    if status is None:
        return UNKNOWN
    cleaned = _SEPARATORS_RE.sub("_", str(status).strip(_SPACE).lower())
    if not cleaned:
        return UNKNOWN
    return STATUS_ALIASES.get(cleaned, cleaned)


def status_expr(column: str | pl.Expr = "status") -> pl.Expr:
    """:func:`normalize_status` as a polars expression, from the same alias table.

    Parameters
    ----------
    column : str | pl.Expr, optional
        A column name (default ``"status"``) or an expression.

    Returns
    -------
    polars.Expr
        The normalised status; a null or blank status becomes ``"unknown"``.
    """
    import polars as pl

    expr = pl.col(column) if isinstance(column, str) else column
    cleaned = (
        expr.cast(pl.String)
        .str.strip_chars(_SPACE)
        .str.to_lowercase()
        .str.replace_all(_SEPARATORS, "_")
        .replace(dict(STATUS_ALIASES))
    )
    # ``cleaned`` first, so the result keeps the column's name.
    return pl.when(cleaned.is_not_null() & (cleaned != "")).then(cleaned).otherwise(pl.lit(UNKNOWN))


def is_finished(column: str | pl.Expr = "status") -> pl.Expr:
    """True where the status is finished (completed, failed, cancelled, skipped, any spelling).

    A missing status is not finished: the execution may still change.

    Parameters
    ----------
    column : str | pl.Expr, optional
        A column name (default ``"status"``; ``"execution_status"`` in a steps frame) or an
        expression.

    Returns
    -------
    polars.Expr
        A Boolean expression, never null: ``executions.filter(~pnb.is_finished())`` keeps the
        runs that have not finished.
    """
    return status_expr(column).is_in(sorted(FINISHED_STATUSES))


def is_failed(column: str | pl.Expr = "status") -> pl.Expr:
    """True where the status says failed (``failed``, ``error``, ``errored``, any case).

    In a steps frame the ``failed`` column says more: a step is also failed when its ``info``
    carries errors whatever its status.

    Parameters
    ----------
    column : str | pl.Expr, optional
        A column name (default ``"status"``) or an expression.

    Returns
    -------
    polars.Expr
        A Boolean expression, never null.
    """
    return status_expr(column) == FAILED
