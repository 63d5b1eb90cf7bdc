"""One vocabulary of statuses: the Python function and the polars expression agree."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import plannr_nb as pnb
from plannr_nb._statuses import KNOWN_STATUSES, STATUS_ALIASES

SPELLINGS = [
    ("completed", "completed"),
    ("Completed", "completed"),
    (" COMPLETE ", "completed"),
    ("canceled", "cancelled"),
    ("Cancelled", "cancelled"),
    ("in progress", "in_progress"),
    ("In-Progress", "in_progress"),
    ("running", "in_progress"),
    ("errored", "failed"),
    ("error", "failed"),
    ("skipped", "skipped"),
    ("pending", "pending"),
    ("", "unknown"),
    ("  ", "unknown"),
    (None, "unknown"),
    ("On Hold", "on_hold"),
]


@pytest.mark.parametrize(("text", "expected"), SPELLINGS)
def test_normalize_status_folds_every_spelling(text: str | None, expected: str) -> None:
    """Case, spaces, hyphens and known aliases fold onto the one spelling; unknowns stay."""
    assert pnb.normalize_status(text) == expected


def test_status_expr_is_the_same_rule_as_normalize_status() -> None:
    """The polars expression gives what the Python function gives, value for value."""
    texts = [text for text, _ in SPELLINGS]
    got = pl.DataFrame({"status": texts}, schema={"status": pl.String}).select(pnb.status_expr())
    assert got.get_column("status").to_list() == [pnb.normalize_status(t) for t in texts]


@given(st.lists(st.text(alphabet="abcdeInPrOgS_- \t", max_size=12), max_size=20))
def test_status_expr_matches_normalize_status_on_any_text(texts: list[str]) -> None:
    """Property: any text normalises the same way in polars and in Python."""
    got = pl.DataFrame({"s": texts}, schema={"s": pl.String}).select(pnb.status_expr("s"))
    assert got.get_column("s").to_list() == [pnb.normalize_status(t) for t in texts]


def test_sets_hold_every_spelling_of_their_statuses() -> None:
    """A raw status can be checked against a set directly: aliases are members too."""
    assert {"canceled", "cancelled", "skipped", "completed", "failed"} <= pnb.FINISHED_STATUSES
    assert {"error", "errored", "failed"} <= pnb.FAILED_STATUSES
    assert {"running", "in_progress"} <= pnb.RUNNING_STATUSES
    assert "pending" in pnb.PENDING_STATUSES
    for alias, canonical in STATUS_ALIASES.items():
        assert canonical in KNOWN_STATUSES
        in_finished = alias in pnb.FINISHED_STATUSES
        assert in_finished == (canonical in pnb.FINISHED_STATUSES), alias
    assert not pnb.FINISHED_STATUSES & (pnb.RUNNING_STATUSES | pnb.PENDING_STATUSES)


def test_is_finished_and_is_failed_expressions() -> None:
    """is_finished() is false for running, pending and missing statuses; never null."""
    frame = pl.DataFrame(
        {"status": ["Canceled", "skipped", "in_progress", "pending", None, "ERRORED"]}
    )
    got = frame.select(finished=pnb.is_finished(), failed=pnb.is_failed("status"))
    assert got.get_column("finished").to_list() == [True, True, False, False, False, True]
    assert got.get_column("failed").to_list() == [False, False, False, False, False, True]


def test_steps_frame_marks_a_step_failed_by_any_spelling() -> None:
    """A step whose status is "Errored" is failed in the steps frame, like "failed"."""
    execution = {
        "uuid": "cc137447-a749-4b21-88a5-b27ef8b16878",
        "created_at": "2025-01-01T10:00:00Z",
        "updated_at": "2025-01-01T10:05:00Z",
        "status": "failed",
        "name": "Welcome",
        "steps": [
            {
                "uuid": "a",
                "name": "One",
                "status": "Errored",
                "executed_at": "2025-01-01T10:01:00Z",
            },
            {"uuid": "b", "name": "Two", "status": "completed", "executed_at": None},
        ],
    }
    steps = pnb.steps_frame(execution)
    assert steps.get_column("failed").to_list() == [True, False]
