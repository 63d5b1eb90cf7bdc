"""One time-zone default for every chart, table, story and explorer, settable once."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

import plannr_nb as pnb

STORY = pnb.DEMO_STORY_UUID


@pytest.fixture(autouse=True)
def _clean_options(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("PLANNR_NB_TZ", "PLANNR_ACCESS_TOKEN", "ACCESS_TOKEN", "PLANNR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    pnb.options.tz = None
    yield
    pnb.options.tz = None


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    payloads = [p for p in pnb.load_demo_executions() if p["uuid"] == STORY]
    executions, steps, _ = pnb.build_frames(payloads)
    return executions, steps


def zones_used(frames: tuple[pl.DataFrame, pl.DataFrame]) -> dict[str, str]:
    """The zone each output says it uses, as the user reads it."""
    executions, steps = frames
    gantt = pnb.gantt(steps).to_dict()
    axis = next(
        layer["encoding"]["x"]["title"]
        for layer in gantt["layer"]
        if "x" in layer.get("encoding", {})
    )
    caption = pnb.table(steps.select("name", "executed_at"))._repr_html_()
    story = pnb.explain(STORY, executions, steps)
    explorer = pnb.ExecutionExplorer(pnb.connect(demo=True))
    try:
        explorer_zone = str(explorer.zone.value)
    finally:
        explorer.close()
    return {
        "gantt": axis.removeprefix("Time (").removesuffix(")"),
        "table": caption.split("Times in ")[1].split(".")[0],
        "story": "GMT/BST" if (" GMT" in story or " BST" in story) else "UTC",
        "explorer": explorer_zone,
    }


def test_the_default_is_europe_london_everywhere(frames: tuple[pl.DataFrame, ...]) -> None:
    """Without a setting, the Gantt, a table, a story and the explorer all use UK time."""
    assert pnb.options.tz == "Europe/London"
    got = zones_used(frames)  # type: ignore[arg-type]
    assert got == {
        "gantt": "Europe/London",
        "table": "Europe/London",
        "story": "GMT/BST",
        "explorer": "Europe/London",
    }


def test_the_environment_variable_sets_it_for_every_output(
    frames: tuple[pl.DataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PLANNR_NB_TZ=UTC: every output switches, read at call time (after import)."""
    monkeypatch.setenv("PLANNR_NB_TZ", "UTC")
    assert pnb.options.tz == "UTC"
    got = zones_used(frames)  # type: ignore[arg-type]
    assert got == {"gantt": "UTC", "table": "UTC", "story": "UTC", "explorer": "UTC"}


def test_the_option_wins_over_the_environment_and_tz_wins_over_both(
    frames: tuple[pl.DataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pnb.options.tz beats PLANNR_NB_TZ; an explicit tz= beats the option; None resets."""
    monkeypatch.setenv("PLANNR_NB_TZ", "Europe/London")
    pnb.options.tz = "UTC"
    assert zones_used(frames)["gantt"] == "UTC"  # type: ignore[arg-type]
    _, steps = frames
    axis = pnb.gantt(steps, tz="America/New_York").to_dict()["layer"][0]["encoding"]["x"]
    assert axis["title"] == "Time (America/New_York)"
    pnb.options.tz = None
    assert pnb.options.tz == "Europe/London"
    assert "Europe/London" in repr(pnb.options)


def test_an_unknown_zone_is_refused_where_it_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad option fails when set; a bad variable fails when read, naming the variable."""
    with pytest.raises(pnb.ConfigurationError, match="Unknown time zone 'Mars/Olympus'"):
        pnb.options.tz = "Mars/Olympus"
    assert pnb.options.tz == "Europe/London"
    monkeypatch.setenv("PLANNR_NB_TZ", "Not/AZone")
    with pytest.raises(ValueError, match="PLANNR_NB_TZ") as info:
        pnb.table(pl.DataFrame({"a": [1]}))
    assert info.value.option == "tz"  # type: ignore[attr-defined]
