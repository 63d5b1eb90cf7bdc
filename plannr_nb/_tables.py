"""Frames as readable tables: times in a named zone, waits in words, errors as text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from ._durations import human_duration
from ._markup import NO_MATH, escape_html
from ._options import check_zone, resolve_tz
from ._uuids import _CANONICAL

__all__ = ["Table", "table"]

#: Class of the block around every table: it scrolls sideways, so no column is ever hidden.
WRAP_CLASS = "plannr-table-wrap"
#: Cells longer than this many characters wrap (within a readable width); shorter ones never do.
SHORT_CELL = 40
#: Characters of a UUID shown in repeated rows (the full one is the cell's title).
SHORT_UUID = 8
_STYLE = (
    "<style>"
    f".{WRAP_CLASS}{{overflow-x:auto;max-width:100%}}"
    ".plannr-table{border-collapse:collapse;font-size:13px;margin:4px 0 12px}"
    ".plannr-table th{text-align:left !important;border-bottom:2px solid #888;padding:4px 10px;"
    "white-space:nowrap}"
    ".plannr-table td{border-bottom:1px solid #ddd;padding:3px 10px;vertical-align:top;"
    "text-align:left !important}"
    ".plannr-table td.plannr-short{white-space:nowrap}"
    ".plannr-table td.plannr-long{white-space:normal;min-width:18em;max-width:40em;"
    "overflow-wrap:anywhere}"
    ".plannr-table tr.failed td{background:#fdecea}"
    ".plannr-table caption{caption-side:bottom;text-align:left;color:#666;font-size:12px}"
    "</style>"
)
# The scroll inline too, for viewers that drop <style> blocks but keep style attributes.
_WRAP_STYLE = "overflow-x:auto;max-width:100%"


class Table:
    """A frame shown as a plain HTML table (see :func:`table`); ``.frame`` is the data."""

    def __init__(
        self,
        frame: pl.DataFrame,
        *,
        tz: str,
        max_rows: int,
        caption: str | None,
        short_uuids: bool | None = None,
    ):
        self.frame = frame
        self.tz = tz
        self.max_rows = max_rows
        self.caption = caption
        self.short_uuids = short_uuids
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

    def _shortened(self, rows: list[list[str]]) -> list[bool]:
        """Columns whose UUIDs are shown short: all UUIDs, and (by default) repeated."""
        if self.short_uuids is False:
            return [False] * len(self.frame.columns)
        found = []
        for i in range(len(self.frame.columns)):
            values = [row[i] for row in rows if row[i]]
            uuids = bool(values) and all(_CANONICAL.fullmatch(v) for v in values)
            repeated = len(set(values)) < len(values)
            found.append(uuids and (repeated or self.short_uuids is True))
        return found

    def _repr_html_(self) -> str:
        # Column names, cells and the caption are text: escaped here, for every caller.
        columns = self.frame.columns
        failed_at = columns.index("failed") if "failed" in columns else None
        rows = self.rows()
        short = self._shortened(rows)
        widths = [
            max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(columns)
        ]
        kinds = [
            "plannr-short" if is_short or width <= SHORT_CELL else "plannr-long"
            for is_short, width in zip(short, widths, strict=True)
        ]
        head = "".join(f"<th>{escape_html(name)}</th>" for name in columns)
        body = []
        for raw, row in zip(self.frame.head(self.max_rows).iter_rows(), rows, strict=True):
            css = " class='failed'" if failed_at is not None and raw[failed_at] else ""
            cells = []
            for cell, kind, is_short in zip(row, kinds, short, strict=True):
                attrs = f"class='{kind}'"
                if is_short and cell:
                    shown = cell[:SHORT_UUID] + "\N{HORIZONTAL ELLIPSIS}"
                    cells.append(f"<td {attrs} title='{escape_html(cell)}'>{shown}</td>")
                else:
                    cells.append(f"<td {attrs}>{escape_html(cell)}</td>")
            body.append(f"<tr{css}>{''.join(cells)}</tr>")
        notes = []
        if self.frame.height > self.max_rows:
            notes.append(f"First {self.max_rows} of {self.frame.height} rows.")
        if any(dtype == pl.Datetime for dtype in self.frame.dtypes):
            notes.append(f"Times in {self.tz}.")
        if self.caption:
            notes.insert(0, self.caption)
        caption = f"<caption>{escape_html(' '.join(notes))}</caption>" if notes else ""
        return (
            f"{_STYLE}<div class='{WRAP_CLASS} {NO_MATH}' style='{_WRAP_STYLE}'>"
            f"<table class='plannr-table {NO_MATH}'>{caption}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
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
    short_uuids: bool | None = None,
) -> Table:
    """Show a frame as a plain, readable HTML table: for notebooks and static reports.

    Timestamps are written in ``tz`` with their zone abbreviation (GMT/BST), durations in
    words (``3 d 2 h``), lists joined with "; ", nulls left blank; rows whose ``failed`` column
    is true are shaded. The frame is not changed (it is ``.frame``).

    The table scrolls sideways inside its own block, so no column is ever hidden. Short cells
    never wrap; long text wraps within a readable width. A column of UUIDs that repeat (an
    execution's UUID on each of its steps) shows their first 8 characters and "…"; the full
    UUID is the cell's title (hover it).

    Parameters
    ----------
    frame : pl.DataFrame
        Any polars frame.
    tz : str, optional
        IANA zone for timestamps; by default ``pnb.options.tz`` (``PLANNR_NB_TZ``, else
        Europe/London). The caption names it.
    max_rows : int, optional
        Most rows shown; a caption says how many were left out.
    caption : str, optional
        Text under the table.
    short_uuids : bool, optional
        Shorten UUID columns: ``None`` (default) when their values repeat, ``True`` always,
        ``False`` never.

    """
    if not isinstance(frame, pl.DataFrame):
        msg = f"table() shows a polars DataFrame, not {type(frame).__name__}: pl.from_pandas(df)"
        raise TypeError(msg)
    # Fail early, with a message that says what a zone name looks like.
    return Table(
        frame, tz=resolve_tz(tz), max_rows=max_rows, caption=caption, short_uuids=short_uuids
    )


def errors_frame(errors: Mapping[str, object], *, mask: Callable[[str], str] = str) -> pl.DataFrame:
    """Inputs that could not be fetched, one row each: ``input``, ``error``, ``what happened``.

    ``error`` is the exception's class name (empty for a reason given as text); ``mask``
    rewrites the explanation (a redactor's ``text``).
    """
    return pl.DataFrame(
        {
            "input": [str(key) for key in errors],
            "error": [
                "" if isinstance(err, str) else type(err).__name__ for err in errors.values()
            ],
            "what happened": [mask(str(err)) for err in errors.values()],
        },
        schema={"input": pl.String, "error": pl.String, "what happened": pl.String},
    )
