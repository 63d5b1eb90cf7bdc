"""Frames as readable tables: times in a named zone, waits in words, errors as text."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from ._durations import human_duration
from ._markup import NO_MATH, escape_html
from ._options import check_zone, resolve_tz

__all__ = ["Table", "table"]

_STYLE = (
    "<style>"
    ".plannr-table{border-collapse:collapse;font-size:13px;margin:4px 0 12px}"
    ".plannr-table th{text-align:left !important;border-bottom:2px solid #888;padding:4px 10px}"
    ".plannr-table td{border-bottom:1px solid #ddd;padding:3px 10px;vertical-align:top;"
    "text-align:left !important}"
    ".plannr-table tr.failed td{background:#fdecea}"
    ".plannr-table caption{caption-side:bottom;text-align:left;color:#666;font-size:12px}"
    "</style>"
)


class Table:
    """A frame shown as a plain HTML table (see :func:`table`); ``.frame`` is the data."""

    def __init__(self, frame: pl.DataFrame, *, tz: str, max_rows: int, caption: str | None):
        self.frame = frame
        self.tz = tz
        self.max_rows = max_rows
        self.caption = caption
        self._zone = check_zone(tz)

    def _cell(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                local = value.astimezone(self._zone)
                return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"
            return f"{value:%Y-%m-%d %H:%M:%S}"
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, timedelta):
            return human_duration(value)
        if isinstance(value, list):
            return "; ".join(self._cell(item) for item in value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    def rows(self) -> list[list[str]]:
        """The shown rows as text, as they appear in the table."""
        return [
            [self._cell(value) for value in row]
            for row in self.frame.head(self.max_rows).iter_rows()
        ]

    def _repr_html_(self) -> str:
        # Column names, cells and the caption are text: escaped here, for every caller.
        columns = self.frame.columns
        failed_at = columns.index("failed") if "failed" in columns else None
        head = "".join(f"<th>{escape_html(name)}</th>" for name in columns)
        body = []
        for raw, row in zip(self.frame.head(self.max_rows).iter_rows(), self.rows(), strict=True):
            css = " class='failed'" if failed_at is not None and raw[failed_at] else ""
            cells = "".join(f"<td>{escape_html(cell)}</td>" for cell in row)
            body.append(f"<tr{css}>{cells}</tr>")
        notes = []
        if self.frame.height > self.max_rows:
            notes.append(f"First {self.max_rows} of {self.frame.height} rows.")
        if any(dtype == pl.Datetime for dtype in self.frame.dtypes):
            notes.append(f"Times in {self.tz}.")
        if self.caption:
            notes.insert(0, self.caption)
        caption = f"<caption>{escape_html(' '.join(notes))}</caption>" if notes else ""
        return (
            f"{_STYLE}<table class='plannr-table {NO_MATH}'>{caption}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def __repr__(self) -> str:
        widths = [len(name) for name in self.frame.columns]
        rows = self.rows()
        for row in rows:
            widths = [max(w, min(len(cell), 40)) for w, cell in zip(widths, row, strict=True)]
        lines = [
            "  ".join(n.ljust(w) for n, w in zip(self.frame.columns, widths, strict=True)),
            *("  ".join(c[:40].ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows),
        ]
        if self.frame.height > self.max_rows:
            lines.append(f"... {self.frame.height - self.max_rows} more rows")
        return "\n".join(lines)


def table(
    frame: pl.DataFrame,
    *,
    tz: str | None = None,
    max_rows: int = 100,
    caption: str | None = None,
) -> Table:
    """Show a frame as a plain, readable HTML table: for notebooks and static reports.

    Timestamps are written in ``tz`` with their zone abbreviation (GMT/BST), durations in
    words (``3 d 2 h``), lists joined with "; ", nulls left blank; rows whose ``failed`` column
    is true are shaded. The frame is not changed (it is ``.frame``).

    Parameters
    ----------
    frame:
        Any polars frame.
    tz:
        IANA zone for timestamps; by default ``pnb.options.tz`` (``PLANNR_NB_TZ``, else
        Europe/London). The caption names it.
    max_rows:
        Most rows shown; a caption says how many were left out.
    caption:
        Text under the table.

    """
    if not isinstance(frame, pl.DataFrame):
        msg = f"table() shows a polars DataFrame, not {type(frame).__name__}: pl.from_pandas(df)"
        raise TypeError(msg)
    # Fail early, with a message that says what a zone name looks like.
    return Table(frame, tz=resolve_tz(tz), max_rows=max_rows, caption=caption)
