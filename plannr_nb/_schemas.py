"""The frames' schemas, declared once: columns, their order and their types.

:func:`plannr_nb.steps_frame`, :func:`plannr_nb.executions_frame` and
:func:`plannr_nb.accounts_frame` return exactly these schemas (column order included); charts,
widgets, the tests and the store read them from here rather than spelling columns again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

__all__ = [
    "ACCOUNT_DATES",
    "ACCOUNT_DATETIMES",
    "ACCOUNT_RELATIONS",
    "ACCOUNT_SCHEMA",
    "ACCOUNT_TEXT",
    "EXECUTION_COLUMNS",
    "EXECUTION_SCHEMA",
    "STEP_COLUMNS",
    "STEP_SCHEMA",
    "UTC_DT",
    "require_columns",
]

#: Every timestamp of every frame: microseconds, tz-aware UTC.
UTC_DT: Final = pl.Datetime("us", "UTC")

# The contract columns first, in its order; what users also need after them.
STEP_SCHEMA: dict[str, pl.DataType] = {
    "execution_uuid": pl.String(),
    "position": pl.Int64(),
    "step_uuid": pl.String(),
    "name": pl.String(),
    "status": pl.String(),
    "info": pl.String(),
    "errors": pl.List(pl.String()),
    "created_at": UTC_DT,
    "updated_at": UTC_DT,
    "executed_at": UTC_DT,
    "previous_at": UTC_DT,
    "gap": pl.Duration("us"),
    "failed": pl.Boolean(),
    "execution_name": pl.String(),
    "execution_status": pl.String(),
    "execution_created_at": UTC_DT,
    "execution_updated_at": UTC_DT,
}

EXECUTION_SCHEMA: dict[str, pl.DataType] = {
    "execution_uuid": pl.String(),
    "name": pl.String(),
    "status": pl.String(),
    "triggered_by": pl.String(),
    "created_at": UTC_DT,
    "updated_at": UTC_DT,
    "step_count": pl.Int64(),
    "failed_step_count": pl.Int64(),
    "first_executed_at": UTC_DT,
    "last_executed_at": UTC_DT,
    "next_step_name": pl.String(),
    "previous_step_name": pl.String(),
    "account_uuid": pl.String(),
    "account_name": pl.String(),
    "executed_step_count": pl.Int64(),
    "span": pl.Duration("us"),
    "first_failed_step": pl.String(),
    "errors": pl.List(pl.String()),
}

#: Account fields kept as text (``uuid`` becomes ``account_uuid``).
ACCOUNT_TEXT: Final = ("uuid", "name", "first_name", "last_name", "email", "type", "role")
#: Account timestamps: UTC datetimes.
ACCOUNT_DATETIMES: Final = (
    "created_at",
    "updated_at",
    "terms_of_business_at",
    "client_agreement_at",
    "last_interaction_at",
)
# The *_date fields are calendar dates (a review is due on a day) that the API writes as
# timestamps, at local midnight in real data ("2026-06-08T00:00:00+01:00"): in UTC that is the
# evening before. They are dates, read as written in their own offset; inactive_at is
# documented as a date alone.
ACCOUNT_DATES: Final = (
    "first_contact_date",
    "next_review_date",
    "previous_review_date",
    "anniversary_review_date",
    "inactive_at",
)
#: Account fields that are related records, kept as their JSON text.
ACCOUNT_RELATIONS: Final = (
    "firm",
    "primary_phone_number",
    "primary_email",
    "assigned_adviser",
    "assigned_administrator",
    "assigned_paraplanner",
    "introduced_by",
    "business_unit",
    "groups",
    "tags",
    "owners",
    "circles",
    "joint_account_circle",
)

ACCOUNT_SCHEMA: dict[str, pl.DataType] = {
    "account_uuid": pl.String(),
    **{name: pl.String() for name in ACCOUNT_TEXT[1:]},
    **{name: UTC_DT for name in ACCOUNT_DATETIMES},
    **{name: pl.Date() for name in ACCOUNT_DATES},
    **{name: pl.String() for name in ACCOUNT_RELATIONS},
    "with_login": pl.Boolean(),
    "has_joint_account": pl.Boolean(),
    "can_be_deleted": pl.Boolean(),
    "ownership_percentage": pl.Int64(),
    "referral_code": pl.String(),
    "photo_url": pl.String(),
}

#: The steps frame's columns, in order.
STEP_COLUMNS: Final = tuple(STEP_SCHEMA)
#: The executions frame's columns, in order.
EXECUTION_COLUMNS: Final = tuple(EXECUTION_SCHEMA)


def require_columns(frame: pl.DataFrame, needed: Sequence[str], what: str, maker: str) -> None:
    """Refuse anything but a polars frame holding ``needed``, saying which function makes one.

    Raises
    ------
    TypeError
        ``frame`` is not a polars DataFrame.
    ValueError
        Columns are missing (each is named).
    """
    if not isinstance(frame, pl.DataFrame):
        msg = (
            f"{what} needs a polars DataFrame from plannr_nb.{maker}(), got {type(frame).__name__}"
        )
        raise TypeError(msg)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = (
            f"{what} needs a frame from plannr_nb.{maker}(); missing columns: {', '.join(missing)}."
        )
        raise ValueError(msg)
