"""Durations in words: one wording for charts, tables and stories.

The rules live in :data:`_UNITS` and :func:`_text_us`; :func:`human_duration` (Python) and
:func:`duration_expr` (polars) both follow them, so a wait reads the same everywhere:

* ``0 ms``; under a millisecond ``<1 ms``; under a second whole milliseconds (``850 ms``);
* under 10 s, seconds with tenths (``4.2 s``, ``4 s``); under a minute whole seconds (``12 s``);
* beyond, two units at most (``4 min 12 s``, ``3 h 5 min``, ``2 d 3 h``; ``4 min`` when the
  second unit is zero);
* every figure is truncated, never rounded up; a negative duration gets a minus sign.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # polars is imported by the expression builder only
    import polars as pl

__all__ = ["duration_expr", "human_duration"]

_MS: Final = 1_000
_S: Final = 1_000_000
#: (unit, microseconds), largest first: a duration is written in the largest unit it reaches
#: (from a minute up) and the next one down.
_UNITS: Final = (("d", 86_400 * _S), ("h", 3_600 * _S), ("min", 60 * _S), ("s", _S))
#: Below this many microseconds, seconds are written with tenths.
_TENTHS_BELOW: Final = 10 * _S


def _text_us(us: int) -> str:
    """The wording of ``us`` microseconds (the rule; :func:`duration_expr` mirrors it)."""
    a = abs(us)
    if a == 0:
        text = "0 ms"
    elif a < _MS:
        text = "<1 ms"
    elif a < _S:
        text = f"{a // _MS} ms"
    elif a < _TENTHS_BELOW:
        tenths = (a % _S) // 100_000
        text = f"{a // _S}.{tenths} s" if tenths else f"{a // _S} s"
    elif a < _UNITS[2][1]:
        text = f"{a // _S} s"
    else:
        (big, size), (small, small_size) = next(
            (unit, _UNITS[i + 1]) for i, unit in enumerate(_UNITS) if a >= unit[1]
        )
        n, m = a // size, (a % size) // small_size
        text = f"{n} {big} {m} {small}" if m else f"{n} {big}"
    return f"-{text}" if us < 0 else text


def human_duration(value: timedelta | None) -> str:
    """A duration in words a person reads at a glance: ``2 d 3 h``, ``4 min 12 s``, ``4.2 s``.

    The same wording as every chart, table and story of plannr-nb: two units at most, tenths
    of a second under 10 s, milliseconds under a second; figures truncated, never rounded up.

    Parameters
    ----------
    value : timedelta | None
        A duration (negative ones get a minus sign), or ``None``.

    Returns
    -------
    str
        The words; ``"unknown"`` for ``None``.
    """
    if value is None:
        return "unknown"
    return _text_us(value // timedelta(microseconds=1))


def duration_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`human_duration` as a polars expression (null stays null), by the same rules."""
    import polars as pl

    us = expr.cast(pl.Duration("us")).dt.total_microseconds()
    a = us.abs()

    def two(index: int) -> pl.Expr:
        (big, size), (small, small_size) = _UNITS[index], _UNITS[index + 1]
        n, m = a // size, (a % size) // small_size
        return (
            pl.when(m == 0)
            .then(pl.format("{} " + big, n))
            .otherwise(pl.format("{} " + big + " {} " + small, n, m))
        )

    tenths = (a % _S) // 100_000
    text = (
        pl.when(a == 0)
        .then(pl.lit("0 ms"))
        .when(a < _MS)
        .then(pl.lit("<1 ms"))
        .when(a < _S)
        .then(pl.format("{} ms", a // _MS))
        .when(a < _TENTHS_BELOW)
        .then(
            pl.when(tenths == 0)
            .then(pl.format("{} s", a // _S))
            .otherwise(pl.format("{}.{} s", a // _S, tenths))
        )
        .when(a < _UNITS[2][1])
        .then(pl.format("{} s", a // _S))
        .when(a < _UNITS[1][1])
        .then(two(2))
        .when(a < _UNITS[0][1])
        .then(two(1))
        .otherwise(two(0))
    )
    return pl.when(us.is_null()).then(None).when(us < 0).then("-" + text).otherwise(text)
