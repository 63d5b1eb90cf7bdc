"""Fleet analysis on the planted demo history: each function finds exactly what was planted."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

import polars as pl
import pytest
from fleet_data import NOW, frames, history

from plannr_nb._fleet import (
    changes,
    error_clusters,
    error_template,
    failure_trend,
    stalled,
    wait_from_name,
)
from plannr_nb._fleet_charts import clusters_chart, runs_heatmap, trend_chart
from plannr_nb._history import ERROR_TEMPLATES, WELCOME


def test_history_is_deterministic_and_big_enough() -> None:
    facts = history().facts
    again = history.__wrapped__()
    assert [e["uuid"] for e in again.executions] == [e["uuid"] for e in history().executions]
    assert len(history().executions) >= 5000
    runs = [e["uuid"] for e in again.executions]
    runs += [s["uuid"] for e in again.executions for s in e["steps"]]
    accounts = {e["account"]["uuid"] for e in again.executions}
    assert len(set(runs)) == len(runs)  # no execution or step UUID made twice
    # Random (version 4, RFC 4122) UUIDs, in their canonical text.
    for text in [*runs, *accounts]:
        made = uuid.UUID(text)
        assert (str(made), made.version, made.variant) == (text, 4, uuid.RFC_4122)
    assert facts.start <= facts.regression_at <= NOW
    before_runs, before_failed = facts.regression_before
    since_runs, since_failed = facts.regression_since
    assert before_failed / before_runs < 0.05
    assert since_failed / since_runs > 0.6


@pytest.mark.parametrize(
    ("text", "template"),
    [
        (
            "Client 6094a181-c8b6-4e60-88d3-337fafeddd37 has no primary email address",
            "Client <uuid> has no primary email address",
        ),
        (
            "Mail provider rejected the message: 550 mailbox unavailable for a.b9@example.com",
            ERROR_TEMPLATES["mailbox"],
        ),
        ("Template 'Welcome v2' not found", "Template <value> not found"),
        ('Status "Onboarded" does not exist', "Status <value> does not exist"),
        ("Review date 2025-06-01 is in the past", "Review date <date> is in the past"),
        ("Review due 01/06/2025 at 2025-06-01T09:00:00+01:00", "Review due <date> at <date>"),
        ("timed out after 30000 ms", "timed out after <number> ms"),
        ("the account_uuid field is required", "the account_uuid field is required"),
    ],
)
def test_error_template(text: str, template: str) -> None:
    frame = pl.DataFrame({"t": [text]})
    assert frame.select(error_template(pl.col("t")))["t"][0] == template


def test_error_clusters_find_the_planted_templates() -> None:
    facts = history().facts
    clusters = error_clusters(frames().steps)
    assert dict(zip(clusters["template"], clusters["errors"], strict=True)) == facts.templates
    assert (
        dict(zip(clusters["template"], clusters["executions"], strict=True))
        == facts.template_executions
    )
    sms = clusters.row(by_predicate=pl.col("template") == ERROR_TEMPLATES["sms_sender"], named=True)
    assert sms["first_seen"] >= facts.regression_at
    assert sms["blueprint_names"] == [WELCOME]
    assert sms["step_names"] == ["Send SMS"]
    account = clusters.row(
        by_predicate=pl.col("template") == ERROR_TEMPLATES["account"], named=True
    )
    assert account["blueprints"] > 1  # one cluster across blueprints and clients


def test_stalled_finds_exactly_the_planted_runs() -> None:
    facts = history().facts
    found = stalled(frames().executions, frames().steps, now=NOW)
    planted = {stall.execution_uuid: stall for stall in facts.stalled}
    assert set(found["execution_uuid"]) == set(planted)
    for row in found.iter_rows(named=True):
        stall = planted[row["execution_uuid"]]
        assert (row["name"], row["position"], row["next_step"]) == (
            stall.blueprint,
            stall.position,
            stall.step,
        )
        assert row["waiting_since"] == stall.waiting_since
        assert row["waited"] == NOW - stall.waiting_since
        assert row["overdue_by"] == row["waited"] - row["expected"]
        assert row["basis"] == "history"
        assert row["samples"] >= 20
    # Most overdue first; a "Wait 3 days" step is expected to take about 3 days.
    assert found["overdue_by"].is_sorted(descending=True)
    wait = found.row(by_predicate=pl.col("next_step") == "Wait 3 days", named=True)
    assert timedelta(days=3) <= wait["expected"] < timedelta(days=3, hours=1)
    # Nothing of the running fleet is flagged: in progress, but not overdue.
    running = frames().executions.filter(pl.col("status") == "in_progress").height
    assert running > 50


def test_stalled_reads_the_step_name_when_history_is_thin() -> None:
    facts = history().facts
    stall = next(s for s in facts.stalled if s.step == "Wait 3 days")
    one = frames().executions.filter(pl.col("execution_uuid") == stall.execution_uuid)
    steps = frames().steps.filter(pl.col("execution_uuid") == stall.execution_uuid)
    found = stalled(one, steps, now=NOW)
    assert found.height == 1
    assert found["basis"][0] == "step name"
    assert found["expected"][0] == timedelta(days=3)
    later = stalled(one, steps, now=stall.waiting_since + timedelta(days=3, hours=12))
    assert later.height == 0  # 3.5 days at a 3-day wait is within the 25% slack


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Wait 3 days", timedelta(days=3)),
        ("Wait 1 day", timedelta(days=1)),
        ("Wait 2 hours", timedelta(hours=2)),
        ("wait 30 minutes", timedelta(minutes=30)),
        ("Wait 2 weeks", timedelta(weeks=2)),
        ("Wait until 9am", None),
        ("Send SMS", None),
        (None, None),
    ],
)
def test_wait_from_name(name: str | None, expected: timedelta | None) -> None:
    assert wait_from_name(name) == expected


def test_changes_find_the_planted_regression_on_its_day() -> None:
    facts = history().facts
    found = changes(frames().steps)
    assert found.height == 1
    row = found.row(0, named=True)
    assert (row["execution_name"], row["position"], row["name"]) == facts.regression_step
    assert row["changed_at"] == facts.regression_at
    assert (row["runs_before"], row["failed_before"]) == facts.regression_before
    assert (row["runs_since"], row["failed_since"]) == facts.regression_since
    assert row["rate_since"] >= row["threshold"]


def test_failure_trend_counts_every_run_and_shows_the_rise() -> None:
    facts = history().facts
    trend = failure_trend(frames().executions, every="1w")
    assert trend["runs"].sum() == frames().executions.height
    failed = (
        frames()
        .executions.filter((pl.col("status") == "failed") | (pl.col("failed_step_count") > 0))
        .height
    )
    assert trend["failed"].sum() == failed
    welcome = trend.filter(pl.col("name") == WELCOME)
    late = welcome.filter(pl.col("period") >= facts.regression_at + timedelta(days=7))
    early = welcome.filter(pl.col("period") < facts.regression_at - timedelta(days=7))
    rate = pl.col("failed").sum() / pl.col("runs").sum()
    assert late.select(rate).item() > 0.6
    assert early.select(rate).item() < 0.1
    whole = failure_trend(frames().executions, every="1mo", by=None)
    assert whole.columns == ["period", "runs", "failed", "failure_rate"]
    assert whole["runs"].sum() == frames().executions.height


def test_lazy_and_eager_inputs_give_the_same_answers() -> None:
    ex, st = frames().executions, frames().steps
    assert failure_trend(ex.lazy()).equals(failure_trend(ex))
    assert error_clusters(st.lazy()).equals(error_clusters(st))
    assert stalled(ex.lazy(), st.lazy(), now=NOW).equals(stalled(ex, st, now=NOW))
    assert changes(st.lazy()).equals(changes(st))


def test_empty_frames() -> None:
    ex, st = frames().executions.clear(), frames().steps.clear()
    assert failure_trend(ex).height == 0
    assert error_clusters(st).height == 0
    assert stalled(ex, st, now=NOW).height == 0
    assert changes(st).height == 0
    for chart in (trend_chart(ex), clusters_chart(error_clusters(st)), runs_heatmap(st)):
        assert chart.to_dict()["mark"]["type"] == "text"


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    data = spec["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def test_charts_stay_small_and_carry_the_data() -> None:
    ex, st = frames().executions, frames().steps
    trend = trend_chart(failure_trend(ex, every="1w"))
    spec = trend.to_dict()
    assert {"period", "name", "runs", "failed", "failure_rate"} <= set(_values(spec)[0])
    assert _values(trend_chart(ex, every="1w").to_dict()) == _values(spec)
    clusters = clusters_chart(error_clusters(st), top=3).to_dict()
    assert len(_values(clusters)) == 3
    cases: list[tuple[Literal["day", "run"], Literal["wait", "outcome"]]] = [
        ("day", "outcome"),
        ("run", "wait"),
        ("run", "outcome"),
    ]
    for per, color in cases:
        heat = runs_heatmap(st, blueprint=WELCOME, per=per, color=color).to_dict()
        size = len(json.dumps(heat))
        assert size < 400_000, (per, color, size)
        rows = {value["row"] for value in _values(heat)}
        steps = {value["step"] for value in _values(heat)}
        assert len(steps) == 9
        if per == "run":
            assert len(rows) == 200
    # Ten thousand runs cost no more than five thousand per day: the cells are day x step.
    doubled = pl.concat([st, st.with_columns(pl.col("execution_uuid") + "-copy")])
    day = runs_heatmap(doubled, blueprint=WELCOME).to_dict()
    assert len(_values(day)) == len(_values(runs_heatmap(st, blueprint=WELCOME).to_dict()))


def test_the_demo_serves_its_history_anchored_with_todays_demo() -> None:
    """demo(): today's demo and the six-month history share one present, generated once."""
    from plannr_nb._demo import DEMO_SNAPSHOT, DEMO_STORY_UUID, demo_now, load_demo_executions
    from plannr_nb._history import demo_history, generate_history
    from plannr_nb.testing import demo_api

    anchor = demo_now()
    assert demo_history() is demo_history()  # cached per process
    again = generate_history(anchor)
    assert [e["uuid"] for e in demo_history().executions] == [e["uuid"] for e in again.executions]
    assert demo_history().facts == again.facts
    assert demo_history().facts.now == anchor
    story = next(e for e in load_demo_executions() if e["uuid"] == DEMO_STORY_UUID)
    on_file = next(
        e for e in load_demo_executions(now=DEMO_SNAPSHOT) if e["uuid"] == DEMO_STORY_UUID
    )
    moved = datetime.fromisoformat(story["created_at"]) - datetime.fromisoformat(
        on_file["created_at"]
    )
    assert moved == anchor - DEMO_SNAPSHOT
    served = demo_api().executions
    created = [datetime.fromisoformat(e["created_at"]) for e in served]
    assert created == sorted(created)
    assert max(created) <= anchor
    history_created = [datetime.fromisoformat(e["created_at"]) for e in again.executions]
    assert min(history_created) >= anchor - timedelta(days=183)  # six months before the anchor
