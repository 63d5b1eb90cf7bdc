"""One duration wording: the same wait reads the same in a chart, a table and a story."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

import plannr_nb as pnb
from plannr_nb._durations import duration_expr

US = [0, 400, 850_000, 999_999, 4_000_000, 4_200_000, 4_250_000, 12_000_000, 252_000_000]
US += [240_000_000, 11_100_000_000, 183_600_000_000, 172_800_000_000, -3_000_000]
WORDS = [
    "0 ms",
    "<1 ms",
    "850 ms",
    "999 ms",
    "4 s",
    "4.2 s",
    "4.2 s",
    "12 s",
    "4 min 12 s",
    "4 min",
    "3 h 5 min",
    "2 d 3 h",
    "2 d",
    "-3 s",
]


def test_human_duration_words() -> None:
    """Two units at most, tenths under 10 s, milliseconds under a second, truncated."""
    got = [pnb.human_duration(dt.timedelta(microseconds=us)) for us in US]
    assert got == WORDS
    assert pnb.human_duration(None) == "unknown"


def test_duration_expr_words_and_null() -> None:
    """The polars expression gives the same words; null stays null."""
    frame = pl.DataFrame({"g": [dt.timedelta(microseconds=u) for u in US] + [None]})
    assert frame.select(duration_expr(pl.col("g"))).to_series().to_list() == [*WORDS, None]


@given(st.lists(st.integers(min_value=-(10**15), max_value=10**15), max_size=30))
def test_duration_expr_is_human_duration(values: list[int]) -> None:
    """Property: for any duration, polars and Python word it identically."""
    deltas = [dt.timedelta(microseconds=v) for v in values]
    frame = pl.DataFrame({"g": deltas}, schema={"g": pl.Duration("us")})
    got = frame.select(duration_expr(pl.col("g"))).to_series().to_list()
    assert got == [pnb.human_duration(d) for d in deltas]


def test_the_same_wait_is_worded_the_same_in_a_chart_a_table_and_a_story() -> None:
    """A wait of 4.25 s reads "4.2 s" in the Gantt, step statistics, pnb.table and pnb.explain."""
    uuid = "cc137447-a749-4b21-88a5-b27ef8b16878"
    execution = {
        "uuid": uuid,
        "created_at": "2025-03-03T10:00:00.000Z",
        "updated_at": "2025-03-03T10:00:05.250Z",
        "status": "completed",
        "name": "Welcome pack",
        "steps": [
            {"uuid": "s1", "name": "Create task", "status": "completed",
             "executed_at": "2025-03-03T10:00:01.000Z"},
            {"uuid": "s2", "name": "Send e-mail", "status": "completed",
             "executed_at": "2025-03-03T10:00:05.250Z"},
        ],
    }  # fmt: skip
    executions, steps, _ = pnb.build_frames([execution])
    wait = "4.2 s"

    chart_rows = pnb.gantt(steps).to_dict()["datasets"]
    rows = next(iter(chart_rows.values()))
    second = next(r for r in rows if r["step"] == "Send e-mail")
    assert second["gap"] == wait
    assert second["label"] == f"+{wait}"

    stats_rows = next(iter(pnb.step_stats_chart(steps).to_dict()["datasets"].values()))
    assert next(r for r in stats_rows if r["row"] == "Send e-mail")["max_text"] == wait

    shown = pnb.table(steps.select("name", "gap")).rows()
    assert ["Send e-mail", wait] in shown

    story = pnb.explain(uuid, executions, steps)
    # Markdown source: the wait is escaped like every value, and reads "4.2 s" once rendered.
    assert f"**Longest wait:** {pnb.escape_markdown(wait)} before step 2" in story
