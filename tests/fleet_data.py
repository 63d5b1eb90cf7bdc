"""A fleet history built once per test session (shared by the store, sync and fleet tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from plannr_nb._frames import Frames, build_frames
from plannr_nb._history import History, generate_history

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@cache
def history() -> History:
    return generate_history(NOW, count=5000)


@cache
def frames() -> Frames:
    return build_frames(history().executions)
