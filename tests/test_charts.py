"""Chart builders: asserted on ``chart.to_dict()`` and on the Vega they compile to."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import pytest
import vl_convert
from polars.testing import assert_frame_equal

from plannr_nb import gantt, save_chart, status_chart, step_stats, step_stats_chart, steps_frame
from plannr_nb._charts import STATUS_COLORS, UNKNOWN_STATUS_COLOR
from plannr_nb._schemas import STEP_SCHEMA

UTC = dt.UTC
SCHEMA = STEP_SCHEMA  # the steps frame's one declaration
T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # 10:00 BST in London


def make_steps(executions: list[dict[str, Any]]) -> pl.DataFrame:
    """A steps frame with the documented schema, from compact descriptions.

    Each execution: ``uuid``, ``created``, ``updated``, ``status`` and ``steps``: a list of
    ``(name, status, seconds_after_created_or_None, errors)``.
    """
    rows = []
    for ex in executions:
        previous: dt.datetime | None = ex["created"]
        for i, (name, status, secs, errors) in enumerate(ex["steps"]):
            executed = None if secs is None else ex["created"] + dt.timedelta(seconds=secs)
            prev_at = ex["created"] if i == 0 else previous
            rows.append(
                {
                    "execution_uuid": ex["uuid"],
                    "execution_name": ex.get("name", "Client onboarding"),
                    "execution_status": ex["status"],
                    "execution_created_at": ex["created"],
                    "execution_updated_at": ex["updated"],
                    "position": i,
                    "step_uuid": f"{ex['uuid'][:8]}-{i}",
                    "name": name,
                    "status": status,
                    "info": "",
                    "errors": errors,
                    "failed": status == "failed" or bool(errors),
                    "created_at": ex["created"],
                    "updated_at": ex["updated"],
                    "executed_at": executed,
                    "previous_at": prev_at,
                    "gap": executed - prev_at if executed and prev_at else None,
                }
            )
            previous = executed
    return pl.DataFrame(rows, schema=SCHEMA)


EXEC_A = {
    "uuid": "aaaaaaaa-a749-4b21-88a5-b27ef8b16878",
    "created": T0,
    "updated": T0 + dt.timedelta(hours=5),
    "status": "in_progress",
    "steps": [
        ("Send welcome email", "completed", 2, []),
        ("Send SMS", "completed", 5, ["the account_uuid field is required"]),
        ("Wait 3 hours", "completed", 3 * 3600 + 5, []),
        ("Send reminder", "mystery_state", 3 * 3600 + 65, []),
        ("Send reminder", "pending", None, []),
        ("Close", "pending", None, []),
    ],
}
EXEC_B = {
    "uuid": "bbbbbbbb-a749-4b21-88a5-b27ef8b16878",
    "created": T0 + dt.timedelta(days=3),
    "updated": T0 + dt.timedelta(days=3, minutes=10),
    "status": "failed",
    "steps": [
        ("Send welcome email", "completed", 60, []),
        ("Send SMS", "failed", 90, ["SMTP 550"]),
    ],
}


@pytest.fixture
def one() -> pl.DataFrame:
    return make_steps([EXEC_A])


@pytest.fixture
def two() -> pl.DataFrame:
    return make_steps([EXEC_A, EXEC_B])


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a spec, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(node=value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def encodings(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for node in walk(spec):
        enc = node.get("encoding")
        if isinstance(enc, dict):
            for channel, definition in enc.items():
                if isinstance(definition, dict):
                    yield channel, definition
                elif isinstance(definition, list):
                    for item in definition:
                        yield channel, item


def values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    datasets = spec.get("datasets") or {}
    if datasets:
        return list(next(iter(datasets.values())))
    for node in walk(spec):
        data = node.get("data")
        if isinstance(data, dict) and "values" in data:
            return list(data["values"])
    raise AssertionError("no inline data")


def compile_v5(spec: dict[str, Any]) -> str:
    """The Vega JSON that Vega-Lite 5 compiles the spec to (raises if it cannot)."""
    return json.dumps(vl_convert.vegalite_to_vega(spec, vl_version="5.8"))


# --------------------------------------------------------------------------------------------


def test_gantt_encodes_executed_at_and_gap_bars(one: pl.DataFrame) -> None:
    """Marks sit at executed_at; bars run from previous_at; one row per step in list order."""
    spec = gantt(one, tz="UTC").to_dict()
    rows = values(spec)
    assert [r["row"] for r in rows] == [
        "1. Send welcome email",
        "2. Send SMS",
        "3. Wait 3 hours",
        "4. Send reminder",
        "5. Send reminder",
        "6. Close",
    ]
    first = rows[0]
    assert first["x_start"] == T0.timestamp() * 1000
    assert first["x_end"] == (T0 + dt.timedelta(seconds=2)).timestamp() * 1000
    assert rows[2]["label"] == "+3 h"
    assert rows[2]["gap"] == "3 h"
    marks = {layer["mark"]["type"] for layer in spec["layer"]}
    assert {"bar", "point", "text"} <= marks
    y_sorts = [d.get("sort") for ch, d in encodings(spec) if ch == "y" and "field" in d]
    assert all(s == {"field": "position", "op": "min", "order": "ascending"} for s in y_sorts)


def test_every_temporal_field_is_utc(two: pl.DataFrame) -> None:
    """Every temporal encoding has a UTC scale; compiled Vega formats with utcFormat only."""
    for chart in (gantt(two, tz="Europe/London"), gantt(two.head(6), tz="America/New_York")):
        spec = chart.to_dict()
        temporal = [d for _, d in encodings(spec) if d.get("type") == "temporal"]
        assert temporal
        for definition in temporal:
            assert definition["scale"]["type"] == "utc"
            assert "timeUnit" not in definition or definition["timeUnit"].startswith("utc")
        vega = compile_v5(spec)
        assert "utcFormat" in vega
        assert "timeFormat(" not in vega
        assert '"type": "time"' not in vega.replace('"type":"time"', '"type": "time"')


def test_zone_conversion_and_axis_title(one: pl.DataFrame) -> None:
    """Times are converted in polars: London wall clock on the axis, zone named in the title."""
    spec = gantt(one, tz="Europe/London").to_dict()
    first = values(spec)[0]
    bst = dt.datetime(2024, 5, 1, 10, 0, 2, tzinfo=UTC)  # 09:00:02 UTC shown as 10:00:02
    assert first["x_end"] == bst.timestamp() * 1000
    assert first["executed_local"] == "2024-05-01 10:00:02 BST"
    assert first["executed_utc"] == "2024-05-01 09:00:02 UTC"
    titles = {d.get("title") for ch, d in encodings(spec) if ch == "x"}
    assert titles == {"Time (Europe/London)"}


def test_tooltips(one: pl.DataFrame) -> None:
    """Tooltips give step, status, executed_at in the zone and in UTC, the gap and errors."""
    spec = gantt(one, tz="Europe/London").to_dict()
    tips = [d for ch, d in encodings(spec) if ch == "tooltip"]
    titles = {t["title"] for t in tips}
    assert {
        "Step",
        "Status",
        "Executed (Europe/London)",
        "Executed (UTC)",
        "Since previous step",
        "Errors",
    } <= titles
    assert {t["field"] for t in tips} >= {"step", "status", "executed_local", "executed_utc"}
    assert all(t["type"] != "temporal" for t in tips)
    sms = values(spec)[1]
    assert sms["errors"] == "the account_uuid field is required"
    assert values(spec)[0]["errors"] == "none"


def test_status_colours_known_unknown_and_errored(one: pl.DataFrame) -> None:
    """Fixed colours per status; unknown statuses get the neutral colour; errors mean failed."""
    spec = gantt(one).to_dict()
    rows = values(spec)
    assert rows[1]["state"] == "failed"  # status completed, but its info carries errors
    assert rows[1]["status"] == "completed (has errors: shown as failed)"
    assert rows[3]["state"] == "mystery_state"
    scales = [d["scale"] for ch, d in encodings(spec) if ch == "color" and "scale" in d]
    assert scales
    for scale in scales:
        mapping = dict(zip(scale["domain"], scale["range"], strict=True))
        assert mapping["completed"] == STATUS_COLORS["completed"]
        assert mapping["failed"] == STATUS_COLORS["failed"]
        assert mapping["pending"] == STATUS_COLORS["pending"]
        assert mapping["mystery_state"] == UNKNOWN_STATUS_COLOR


def test_the_ongoing_wait_runs_to_now(one: pl.DataFrame) -> None:
    """An unfinished run: its next step waits from the last executed step to `now`, in words."""
    now = T0 + dt.timedelta(days=2, hours=7)
    spec = gantt(one, now=now, tz="UTC").to_dict()
    pending = [r for r in values(spec) if not r["executed"]]
    assert len(pending) == 2
    last_executed = (T0 + dt.timedelta(seconds=3 * 3600 + 65)).timestamp() * 1000
    waiting, later = pending
    assert waiting["waiting"] is True
    assert later["waiting"] is False
    assert waiting["x_start"] == last_executed
    assert waiting["x_end"] == now.timestamp() * 1000
    assert waiting["x_now"] == now.timestamp() * 1000
    # 2 d 7 h minus 3 h 1 min 5 s, in the one duration wording of plannr_nb.human_duration
    assert waiting["label"] == "waiting 2 d 3 h so far"
    assert later["x_start"] == later["x_end"] == last_executed  # no bar: it has not started
    assert later["label"] == "not executed yet"
    assert later["executed_local"] == "not executed yet"
    dashed = [
        layer
        for layer in spec["layer"]
        if layer["mark"].get("strokeDash") and layer["mark"].get("filled") is False
    ]
    assert len(dashed) == 1
    assert dashed[0]["transform"] == [{"filter": "datum.waiting"}]
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert rules
    assert rules[0]["encoding"]["x"]["field"] == "x_now"
    assert "y" not in rules[0]["encoding"]  # the line crosses every row
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "the wait still going on, from the last executed step to now" in subtitle
    assert "last update" not in subtitle
    # The domain reaches now, so the ongoing wait is not cut off.
    domain = next(
        d["scale"]["domain"]
        for ch, d in encodings(spec)
        if ch == "x" and "domain" in d.get("scale", {})
    )
    assert domain[1] > now.timestamp() * 1000
    compile_v5(spec)


def test_steps_of_a_failed_run_are_not_run_not_pending() -> None:
    """Steps after a failure never ran: labelled so, with no wait and no now line."""
    failed = {**EXEC_A, "status": "failed"}
    cancelled = {**EXEC_A, "status": "cancelled", "uuid": "cccccccc-a749-4b21-88a5-b27ef8b16878"}
    for execution, words in ((failed, "failed"), (cancelled, "was cancelled")):
        spec = gantt(make_steps([execution]), now=T0 + dt.timedelta(days=9)).to_dict()
        pending = [r for r in values(spec) if not r["executed"]]
        assert [r["label"] for r in pending] == [f"not run: the execution {words}"] * 2
        assert [r["gap"] for r in pending] == [f"not run: the execution {words}"] * 2
        assert not any(r["waiting"] for r in pending)
        assert not [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
        assert "not executed yet" not in json.dumps(spec)


def test_legend_shows_pending_with_the_shape_of_its_mark(one: pl.DataFrame) -> None:
    """The legend's pending symbol is the hollow triangle's shape, the others diamonds."""
    spec = gantt(one, now=T0 + dt.timedelta(days=1)).to_dict()
    shapes = [d for ch, d in encodings(spec) if ch == "shape"]
    assert shapes
    for shape in shapes:
        mapping = dict(zip(shape["scale"]["domain"], shape["scale"]["range"], strict=True))
        assert mapping["pending"] == "triangle-right"
        assert mapping["completed"] == mapping["failed"] == "diamond"
    vega = json.loads(compile_v5(spec))
    assert len(vega["legends"]) == 1  # colour and shape merged into one Status legend


def test_failure_ring_at_the_start_is_not_clipped() -> None:
    """A failed first step sits far enough from the axis for its whole ring to show."""
    first_fails = {
        **EXEC_B,
        "steps": [("Send SMS", "failed", 0, ["SMTP 550"]), ("Next", "completed", 600, [])],
    }
    spec = gantt(make_steps([first_fails]), tz="UTC").to_dict()
    domain = next(
        d["scale"]["domain"]
        for ch, d in encodings(spec)
        if ch == "x" and "domain" in d.get("scale", {})
    )
    first = EXEC_B["created"].timestamp() * 1000  # type: ignore[attr-defined]
    width = spec["width"]
    px_per_ms = width / (domain[1] - domain[0])
    ring_radius = (260 / 3.14159) ** 0.5 + 1.5
    assert (first - domain[0]) * px_per_ms >= ring_radius


def test_time_axis_is_24_hour_in_spec_and_svg(one: pl.DataFrame) -> None:
    """The axis reads 18:00, never 06 PM, in the spec and in an SVG drawn by Vega."""
    import re

    spec = gantt(one, tz="Europe/London", now=T0 + dt.timedelta(hours=20)).to_dict()
    axes = [d["axis"] for ch, d in encodings(spec) if ch == "x" and d.get("type") == "temporal"]
    assert axes
    for axis in axes:
        # Lab's Vega-Lite 5 drops formatType "utc" or a format object (customFormatTypes)
        assert "formatType" not in axis
        assert "format" not in axis
        assert "utcFormat(" in axis["labelExpr"]
        assert "%H:%M" in axis["labelExpr"]
        assert "%I" not in json.dumps(axis)
        assert "%p" not in json.dumps(axis)
    assert "customFormatTypes" not in json.dumps(spec)
    svg = vl_convert.vegalite_to_svg(spec)
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    times = [t for t in labels if re.fullmatch(r"\d\d:\d\d", t)]
    assert times, labels
    assert "18:00" in times or "12:00" in times
    assert not [t for t in labels if re.search(r"\b[AP]M\b", t)]


def test_lanes_for_several_executions(two: pl.DataFrame) -> None:
    """Several executions: a lane each (row facet), independent step axes, shared time axis."""
    spec = gantt(two, tz="Europe/London").to_dict()
    assert spec["facet"]["row"]["field"] == "lane"
    assert spec["resolve"]["scale"]["y"] == "independent"
    lanes = spec["facet"]["row"]["sort"]
    assert lanes[0].startswith("Client onboarding · aaaaaaaa · in_progress · created 2024-05-01")
    assert len(lanes) == 2
    compile_v5(spec)


def test_relative_mode_offsets(two: pl.DataFrame) -> None:
    """relative=True puts every execution on the time since it was created."""
    spec = gantt(two, relative=True, now=T0 + dt.timedelta(hours=5)).to_dict()
    rows = values(spec)
    by_step = {(r["lane"].split(" · ")[1], r["row"]): r for r in rows}
    # Longest offset is 5 h (execution A's wait, up to now): unit hours.
    assert by_step[("aaaaaaaa", "1. Send welcome email")]["x_end"] == pytest.approx(2 / 3600)
    assert by_step[("bbbbbbbb", "1. Send welcome email")]["x_end"] == pytest.approx(60 / 3600)
    assert by_step[("bbbbbbbb", "1. Send welcome email")]["x_start"] == 0
    assert by_step[("aaaaaaaa", "5. Send reminder")]["x_end"] == pytest.approx(5.0)
    x_defs = [d for ch, d in encodings(spec) if ch == "x"]
    assert all(d["type"] == "quantitative" for d in x_defs)
    assert any("Time since the execution was created (hours)" in d.get("title", "") for d in x_defs)
    assert by_step[("bbbbbbbb", "2. Send SMS")]["since_created"] == "1 min 30 s"


def test_zoom_is_x_only(two: pl.DataFrame) -> None:
    """Zoom and pan bind the x scale only: the step axis stays put."""
    spec = gantt(two).to_dict()
    params = [p for node in walk(spec) for p in node.get("params", []) if isinstance(p, dict)]
    zoom = [p for p in params if p.get("bind") == "scales"]
    assert len(zoom) == 1
    assert zoom[0]["select"] == {"type": "interval", "encodings": ["x"]}


def test_input_not_mutated(two: pl.DataFrame) -> None:
    """Builders leave their input frame as it was: columns, dtypes (time zone included), values.

    A polars DataFrame can be changed in place (``insert_column``, ``replace_column``,
    ``columns = ...``, item assignment); ``clone()`` keeps the frame as it was, to compare.
    """
    before = two.clone()
    gantt(two, tz="Europe/London", relative=True)
    step_stats_chart(two)
    assert_frame_equal(two, before)


def test_only_encoded_columns_are_inlined(one: pl.DataFrame) -> None:
    """Raw columns (info, step_uuid, datetimes) never reach the spec."""
    row = values(gantt(one).to_dict())[0]
    assert not {"info", "step_uuid", "executed_at", "previous_at", "created_at"} & set(row)


def test_dst_note_when_clocks_change() -> None:
    """A window crossing a clock change says the axis is wall-clock time."""
    created = dt.datetime(2024, 10, 26, 23, 30, tzinfo=UTC)
    frame = make_steps(
        [
            {
                "uuid": "cccccccc-a749-4b21-88a5-b27ef8b16878",
                "created": created,
                "updated": created + dt.timedelta(hours=4),
                "status": "completed",
                "steps": [("A", "completed", 60, []), ("B", "completed", 3 * 3600, [])],
            }
        ]
    )
    subtitle = gantt(frame, tz="Europe/London").to_dict()["title"]["subtitle"]
    assert any("clocks of Europe/London change" in line for line in subtitle)
    utc = gantt(frame, tz="UTC").to_dict()["title"]["subtitle"]
    assert not any("clocks" in line for line in utc)


def test_bad_inputs_say_what_to_do(one: pl.DataFrame) -> None:
    """Unknown zones and foreign frames raise ValueError with a hint."""
    with pytest.raises(ValueError, match="IANA name"):
        gantt(one, tz="Europe/Londn")
    with pytest.raises(ValueError, match="steps_frame"):
        gantt(one.drop("gap"))
    with pytest.raises(ValueError, match="max_steps"):
        gantt(one, max_steps=0)


def test_empty_frame_gives_a_message() -> None:
    """No steps: a chart that says so, not an error."""
    spec = gantt(make_steps([])).to_dict()
    assert values(spec) == [{"message": "No steps to show."}]


def test_gantt_of_50000_steps_is_bounded() -> None:
    """50,000 steps: no MaxRowsError, a small spec, and a visible note of what was left out."""
    executions = []
    for e in range(5_000):
        created = T0 + dt.timedelta(minutes=7 * e)
        executions.append(
            {
                "uuid": f"{e:08x}-a749-4b21-88a5-b27ef8b16878",
                "created": created,
                "updated": created + dt.timedelta(minutes=30),
                "status": "completed",
                "steps": [(f"Step {i}", "completed", 30 * i + 1, []) for i in range(10)],
            }
        )
    frame = make_steps(executions)
    assert frame.height == 50_000
    spec = gantt(frame, tz="Europe/London").to_dict()
    text = json.dumps(spec)
    assert len(text) < 250_000
    assert len(values(spec)) == 150
    note = " ".join(spec["title"]["subtitle"])
    assert "15 most recent of 5,000 executions (150 of 50,000 steps" in note
    lanes = spec["facet"]["row"]["sort"]
    assert lanes[-1].startswith("Client onboarding · 00001387")  # the most recent, last
    everything = gantt(frame.head(6_000), max_steps=None).to_dict()  # beyond altair's 5,000
    assert len(values(everything)) == 6_000
    stats = step_stats_chart(frame).to_dict()
    assert len(values(stats)) == 10


def test_single_execution_longer_than_limit() -> None:
    """One execution longer than max_steps is cut to its first steps, with a note."""
    frame = make_steps(
        [
            {
                "uuid": "dddddddd-a749-4b21-88a5-b27ef8b16878",
                "created": T0,
                "updated": T0 + dt.timedelta(hours=1),
                "status": "completed",
                "steps": [(f"S{i}", "completed", i + 1, []) for i in range(30)],
            }
        ]
    )
    spec = gantt(frame, max_steps=10).to_dict()
    assert [r["position"] for r in values(spec)] == list(range(10))
    assert "first 10 of 30 steps" in " ".join(spec["title"]["subtitle"])


def test_step_stats_frame() -> None:
    """Per step name: counts, failures, median/p90/max gap and an outlier flag."""
    executions = []
    for e in range(10):
        gap = 3600 if e == 9 else 10 + e
        executions.append(
            {
                "uuid": f"{e:08x}-a749-4b21-88a5-b27ef8b16878",
                "created": T0 + dt.timedelta(days=e),
                "updated": T0 + dt.timedelta(days=e, hours=2),
                "status": "completed",
                "steps": [
                    ("First", "completed", 5, []),
                    ("Slow", "failed" if e < 2 else "completed", 5 + gap, []),
                ],
            }
        )
    stats = step_stats(make_steps(executions))
    assert stats.get_column("name").to_list() == ["First", "Slow"]
    slow = stats.row(1, named=True)
    assert slow["count"] == 10
    assert slow["failures"] == 2
    assert slow["gap_max"] == dt.timedelta(hours=1)
    assert slow["gap_p90"] == dt.timedelta(seconds=18)
    assert slow["outlier"] is True
    assert stats.row(0, named=True)["outlier"] is False
    spec = step_stats_chart(make_steps(executions)).to_dict()
    rows = values(spec)
    assert rows[1]["max_text"] == "1 h"
    assert "outlier" in rows[1]["summary"]
    compile_v5(spec)


def test_status_chart_counts_in_polars() -> None:
    """Executions by blueprint and status, aggregated first, unknown statuses included."""
    executions = pl.DataFrame(
        {
            "name": ["A"] * 3 + ["B"] * 2,
            "status": ["completed", "completed", "failed", "Weird", None],
        }
    )
    spec = status_chart(executions).to_dict()
    rows = {(r["blueprint"], r["state"]): r["count"] for r in values(spec)}
    assert rows == {
        ("A", "completed"): 2,
        ("A", "failed"): 1,
        ("B", "weird"): 1,
        ("B", "unknown"): 1,
    }
    scale = spec["encoding"]["color"]["scale"]
    mapping = dict(zip(scale["domain"], scale["range"], strict=True))
    assert mapping["weird"] == mapping["unknown"] == UNKNOWN_STATUS_COLOR
    assert mapping["failed"] == STATUS_COLORS["failed"]


def test_status_chart_is_the_same_spec_for_the_same_executions() -> None:
    """Many blueprints and statuses: the rows (and so the dataset's name) never change order,
    so a rerun notebook shows no spurious diff."""
    names = [f"Blueprint {i % 37}" for i in range(4000)]
    statuses = [
        ("completed", "failed", "in_progress", "cancelled", "Weird")[i % 5] for i in range(4000)
    ]
    executions = pl.DataFrame({"name": names, "status": statuses})
    first = status_chart(executions).to_dict()
    assert all(status_chart(executions).to_dict() == first for _ in range(5))


def test_charts_compile_with_vega_lite_5(two: pl.DataFrame) -> None:
    """JupyterLab draws with Vega-Lite 5: every chart compiles there."""
    compile_v5(gantt(two, relative=True).to_dict())
    compile_v5(gantt(two.head(3), tz="Asia/Tokyo").to_dict())
    compile_v5(status_chart(pl.DataFrame({"name": ["A"], "status": ["completed"]})).to_dict())


@pytest.mark.parametrize("suffix", [".png", ".svg", ".html"])
def test_save_chart_offline(one: pl.DataFrame, tmp_path: Path, suffix: str) -> None:
    """save_chart writes PNG, SVG or self-contained HTML, with no network."""
    path = save_chart(gantt(one, tz="Europe/London"), tmp_path / f"gantt{suffix}")
    data = path.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    elif suffix == ".svg":
        assert b"<svg" in data[:500]
        assert b"Europe/London" in data
    else:
        text = data.decode()
        assert "<script" in text
        assert "cdn.jsdelivr" not in text
        assert 'src="http' not in text
        assert len(text) > 200_000  # the libraries are bundled in


def test_save_chart_rejects_other_suffixes(one: pl.DataFrame, tmp_path: Path) -> None:
    """An unsupported suffix is refused before anything is written."""
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.html"):
        save_chart(gantt(one), tmp_path / "gantt.pdf")
    assert not list(tmp_path.iterdir())


def test_save_chart_accepts_a_spec_dict(tmp_path: Path) -> None:
    """A plain Vega-Lite dict can be saved too."""
    chart = alt.Chart(alt.InlineData(values=[{"a": 1}])).mark_point().encode(x="a:Q")
    assert save_chart(chart.to_dict(), tmp_path / "x.svg").exists()


def test_step_stats_per_name_or_per_step() -> None:
    """Default: one row per step name; per="step" keeps a repeated name's steps apart."""
    payloads = [
        {
            "uuid": f"e{i}",
            "name": "Chase",
            "created_at": "2026-01-05T09:00:00Z",
            "steps": [
                {"uuid": f"a{i}", "name": "Send reminder email",
                 "executed_at": "2026-01-05T09:00:05Z", "status": "completed"},
                {"uuid": f"b{i}", "name": "Wait 3 days",
                 "executed_at": "2026-01-08T09:00:05Z", "status": "completed"},
                {"uuid": f"c{i}", "name": "Send reminder email",
                 "executed_at": "2026-01-08T09:01:05Z", "status": "completed"},
            ],
        }
        for i in range(3)
    ]  # fmt: skip
    steps = steps_frame(payloads)
    by_name = step_stats(steps)
    assert by_name["name"].to_list() == ["Send reminder email", "Wait 3 days"]
    assert by_name["count"].to_list() == [6, 3]
    stats = step_stats(steps, per="step")
    reminders = stats.filter(pl.col("name") == "Send reminder email")
    assert reminders["occurrence"].to_list() == [1, 2]
    assert reminders["position"].to_list() == [1, 3]  # 1-based, as every step is shown
    assert reminders["count"].to_list() == [3, 3]
    assert reminders["gap_median"].to_list() == [dt.timedelta(seconds=5), dt.timedelta(minutes=1)]


def _all_x_scales(spec: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(spec, dict):
        x = spec.get("encoding", {}).get("x")
        if isinstance(x, dict) and "scale" in x:
            found.append(x["scale"])
        for value in spec.values():
            found += _all_x_scales(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _all_x_scales(value)
    return found


def test_step_stats_chart_reads_seconds_and_days_on_one_log_axis() -> None:
    """Waits of seconds and of days both stay readable: a symlog axis labelled in words."""
    from plannr_nb import load_demo_executions

    spec = step_stats_chart(steps_frame(load_demo_executions()[:40]), per="step").to_dict()
    scales = _all_x_scales(spec)
    assert scales
    assert all(scale["type"] == "symlog" for scale in scales)
    assert "' d'" in json.dumps(spec)


def test_far_apart_runs_suggest_relative_mode() -> None:
    """Absolute lanes for runs months apart carry a note pointing to relative=True."""
    from plannr_nb import load_demo_executions

    demo = load_demo_executions()
    far = [demo[0], demo[-1]]
    subtitle = json.dumps(gantt(steps_frame(far)).to_dict()["title"])
    assert "relative=True" in subtitle
    assert "relative=True" not in json.dumps(gantt(steps_frame(far), relative=True).to_dict())


def test_step_stats_counts_distinct_executions_and_shows_positions_from_1() -> None:
    """A name twice in a run: two step rows, one execution; positions count from 1."""
    run = {
        **EXEC_B,
        "status": "completed",
        "steps": [("Remind", "completed", 5, []), ("Remind", "completed", 60, [])],
    }
    other = {**run, "uuid": "dddddddd-a749-4b21-88a5-b27ef8b16878"}
    stats = step_stats(make_steps([run, other]))
    assert stats.row(0, named=True)["count"] == 4
    assert stats.row(0, named=True)["executions"] == 2
    assert stats.row(0, named=True)["position"] == 1


def test_step_stats_labels_keep_the_step_and_shorten_the_blueprint() -> None:
    """per="step" over several blueprints: the step name is whole, the blueprint cut with …."""
    long_name = "Send client welcome pack to newly created client"
    a = {**EXEC_B, "name": long_name, "status": "completed"}
    b = {**EXEC_A, "name": "Chase", "status": "completed"}
    spec = step_stats_chart(make_steps([a, b]), per="step").to_dict()
    rows = [r["row"] for r in values(spec)]
    assert "Send client welcome p… / 2. Send SMS" in rows
    assert "Chase / 1. Send welcome email" in rows


def test_step_stats_ticks_never_collide() -> None:
    """On an axis of days, "0 s" and "1 s" are not both drawn on top of each other."""
    import math

    from plannr_nb._charts import _TICK_SPACING_PX, _spaced_ticks

    for upper, width in ((30 * 86400, 560), (20, 560), (365 * 86400, 300)):
        ticks = _spaced_ticks(upper, width)
        xs = [math.log1p(t) / math.log1p(upper) * width for t in ticks]
        assert ticks[0] == 0
        assert all(b - a >= _TICK_SPACING_PX for a, b in itertools.pairwise(xs))
    assert 1 not in _spaced_ticks(30 * 86400, 560)
    assert 1 in _spaced_ticks(20, 560)


def test_executions_whose_lane_labels_collide_get_a_lane_each() -> None:
    """Same blueprint, status, minute and UUID prefix: lanes show full UUIDs, steps stay apart."""
    twins = [
        {
            "uuid": f"cccccccc-a749-4b21-88a5-b27ef8b1687{last}",
            "created": T0 + dt.timedelta(seconds=seconds),
            "updated": T0 + dt.timedelta(minutes=5),
            "status": "completed",
            "steps": [
                ("Send welcome email", "completed", 60, []),
                ("Send SMS", "completed", 90, []),
            ],
        }
        for last, seconds in (("1", 5), ("2", 20))
    ]
    frame = make_steps(twins)
    spec = gantt(frame, tz="UTC").to_dict()
    lanes = spec["facet"]["row"]["sort"]
    assert len(lanes) == 2
    assert [lane.split(" · ")[1] for lane in lanes] == [t["uuid"] for t in twins]
    rows = values(spec)
    for twin, lane in zip(twins, lanes, strict=True):
        own = [r for r in rows if r["lane"] == lane]
        assert [r["row"] for r in own] == ["1. Send welcome email", "2. Send SMS"]
        assert own[0]["x_start"] == twin["created"].timestamp() * 1000  # type: ignore[attr-defined]
    # Labels that do not collide keep the short UUID.
    short = gantt(make_steps([EXEC_A, EXEC_B]), tz="UTC").to_dict()["facet"]["row"]["sort"]
    assert [lane.split(" · ")[1] for lane in short] == ["aaaaaaaa", "bbbbbbbb"]


def test_many_invented_statuses_wrap_the_legend_not_widen_the_chart() -> None:
    """Thirty long statuses the API made up: the legend wraps into rows and cuts each label, so
    the drawn Gantt and status chart stay about as wide as their plots (one row of entries
    made them 8,000 px wide, and their PNGs slow to draw)."""
    import re

    statuses = [f"status_{i:02d}_{'x' * 40}" for i in range(30)]
    steps: list[tuple[str, str, int, list[str]]] = [
        (f"Step {i}", status, 60 * i, []) for i, status in enumerate(statuses)
    ]
    frame = make_steps([{**EXEC_A, "steps": steps}])
    executions = frame.select(
        pl.col("execution_name").alias("name"), pl.col("status")
    )  # one execution per status is enough for the bar chart
    for spec, plot_width in (
        (gantt(frame, tz="UTC").to_dict(), 720),
        (status_chart(executions).to_dict(), 560),
    ):
        svg = vl_convert.vegalite_to_svg(spec)
        match = re.search(r'<svg[^>]*?\swidth="([0-9.]+)"', svg)
        assert match, svg[:300]
        # The plot, its row labels (at most 280 px or 320 px) and margins, with no legend row.
        assert float(match.group(1)) < plot_width + 450, match.group(0)
        legend = next(d["legend"] for ch, d in encodings(spec) if ch == "color" and "legend" in d)
        assert 1 <= legend["columns"] < len(statuses)
        assert legend["labelLimit"] <= 200


def test_a_few_statuses_keep_their_legend_in_one_row(one: pl.DataFrame) -> None:
    """The statuses of a usual execution fit in one row: the legend does not wrap them."""
    spec = gantt(one, tz="UTC").to_dict()
    legend = next(d for ch, d in encodings(spec) if ch == "color" and "legend" in d)
    assert legend["legend"]["columns"] == len(legend["scale"]["domain"]) > 1
