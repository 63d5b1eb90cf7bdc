"""ExecutionExplorer driven from Python, as the browser would: set traits, click, read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest
from _html import markdown_to_html, shown_text
from conftest import CANARY, MISSING, RUNNING, STORY

import plannr_nb as pnb
from plannr_nb.testing import SimAPI, SimTransport

pytestmark = pytest.mark.usefixtures("clean_env")  # no token: the demo unless a test sets one


def _texts(output: Any) -> str:
    """Everything an Output widget shows, as one string."""
    parts = []
    for item in output.outputs:
        for mime, value in item.get("data", {}).items():
            if mime == "text/markdown":  # as it reads once rendered (the source is escaped)
                value = shown_text(markdown_to_html(value))
            parts.append(json.dumps(value) if not isinstance(value, str) else value)
            parts.append(mime)
    return "\n".join(parts)


def test_without_client_or_token_it_runs_on_the_demo_and_says_so() -> None:
    """No client, no token: the demo client, and a banner that says so."""
    explorer = pnb.ExecutionExplorer()
    assert explorer.demo
    assert "Demo data" in explorer.banner.value
    assert explorer.client.is_demo


def test_with_a_token_it_uses_the_real_api(clean_env: pytest.MonkeyPatch) -> None:
    """A token in the environment: the real client, never the demo, and no token in the UI."""
    clean_env.setenv("PLANNR_ACCESS_TOKEN", CANARY)
    explorer = pnb.ExecutionExplorer()
    assert not explorer.demo
    assert "api.plannrcrm.com" in explorer.banner.value
    assert CANARY not in explorer.banner.value
    assert CANARY not in repr(explorer)


def test_validation_as_you_type() -> None:
    """Each bad entry gets its own message; valid ones are counted; Fetch waits for one."""
    explorer = pnb.ExecutionExplorer()
    assert explorer.fetch_button.disabled
    explorer.uuid_box.value = (
        f"{{{STORY.upper()}}}\nhttps://app.plannrcrm.com/automations/executions/{RUNNING}"
        f", not-a-uuid ../users {STORY}"
    )
    assert explorer.uuids == [STORY, RUNNING]
    assert set(explorer.invalid) == {"not-a-uuid", "../users"}
    assert "2 UUIDs ready" in explorer.validation.value
    assert "not-a-uuid" in explorer.validation.value
    assert "../users" in explorer.validation.value
    assert not explorer.fetch_button.disabled


def test_click_fetch_fills_frames_tabs_and_reports_each_failure() -> None:
    """Fetch: frames for the next cell, every tab filled, failures per input in words."""
    explorer = pnb.ExecutionExplorer(include_account=True)
    explorer.uuid_box.value = f"{STORY}\n{RUNNING}\n{MISSING}\nnope"
    explorer.fetch_button.click()

    assert set(explorer.executions["execution_uuid"]) == {STORY, RUNNING}
    assert explorer.steps.height == 24
    assert explorer.accounts.height == 2
    assert set(explorer.errors) == {MISSING, "nope"}
    assert isinstance(explorer.errors[MISSING], pnb.NotFoundError)
    assert isinstance(explorer.errors["nope"], pnb.InvalidUUIDError)
    assert "2 could not be fetched" in explorer.status.value
    assert "Traceback" not in explorer.status.value

    summary = _texts(explorer.outputs["Summary"])
    assert "2 executions" in summary
    assert "the account_uuid field is required" in summary
    timeline = _texts(explorer.outputs["Timeline"])
    assert "application/vnd.vegalite.v5+json" in timeline
    steps = _texts(explorer.outputs["Steps"])
    assert "Send SMS" in steps
    assert "the account_uuid field is required" in steps
    assert "application/vnd.vegalite.v5+json" in _texts(explorer.outputs["Statistics"])
    errors = _texts(explorer.outputs["Errors"])
    assert MISSING in errors
    assert "NotFoundError" in errors
    assert "check the uuid" in errors.lower()
    assert "Traceback" not in errors
    assert STORY in _texts(explorer.outputs["Raw JSON"])
    assert "Errors (2)" in explorer.tabs.titles


def test_fetch_returns_once_frames_are_there_and_parameters_prefill() -> None:
    """Initial values come from parameters; fetch=True fetches at construction."""
    explorer = pnb.ExecutionExplorer(uuids=[STORY], fetch=True, tz="UTC")
    assert explorer.executions["execution_uuid"].to_list() == [STORY]
    assert explorer.zone.value == "UTC"
    result = explorer.fetch()
    assert [item["uuid"] for item in result.executions] == [STORY]
    assert "failed" in _texts(explorer.outputs["Summary"])


def test_partial_batch_failure_is_shown_per_uuid() -> None:
    """A server error for one request: the others still arrive; the failure is in words."""
    api = SimAPI(pnb.load_demo_executions(), rate_limit=None)
    client = pnb.PlannrClient(
        "token",
        base_url="https://plannr.test",
        transport=SimTransport(api),
        max_retries=0,
        retry_wait=(0.0, 0.0),
    )
    api.faults.status(500, 500, 500, path=f"/api/v1/automation-executions/{MISSING}")
    explorer = pnb.ExecutionExplorer(client)
    explorer.uuid_box.value = f"{STORY} {MISSING}"
    explorer.fetch()
    assert explorer.executions["execution_uuid"].to_list() == [STORY]
    assert isinstance(explorer.errors[MISSING], pnb.ServerError)
    assert MISSING in _texts(explorer.outputs["Errors"])


def test_refresh_refetches_only_running_executions() -> None:
    """Refresh asks again only for executions that have not finished."""
    api = SimAPI(pnb.load_demo_executions(), rate_limit=None)
    client = pnb.PlannrClient("t", base_url="https://plannr.test", transport=SimTransport(api))
    explorer = pnb.ExecutionExplorer(client, uuids=f"{STORY} {RUNNING}", fetch=True)
    assert not explorer.refresh_button.disabled
    api.clear_log()
    explorer.refresh_button.click()
    asked = " ".join(f"{request.path} {request.query}" for request in api.requests)
    assert RUNNING in asked
    assert STORY not in asked
    assert "Refreshed 1 running execution" in explorer.status.value


def test_transport_failure_is_words_not_a_traceback() -> None:
    """A network failure during a click shows a message in the status line."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = pnb.PlannrClient(
        "t",
        base_url="https://plannr.test",
        transport=httpx.MockTransport(broken),
        max_retries=0,
        retry_wait=(0.0, 0.0),
    )
    explorer = pnb.ExecutionExplorer(client, uuids=STORY)
    explorer.fetch_button.click()
    assert explorer.executions.height == 0
    assert STORY in explorer.errors
    assert "Traceback" not in explorer.status.value + _texts(explorer.outputs["Errors"])


def test_zone_change_redraws_in_that_zone() -> None:
    """Switching the zone redraws the timeline with the zone named on its axis."""
    explorer = pnb.ExecutionExplorer(uuids=STORY, fetch=True, tz="Europe/London")
    assert "Europe/London" in _texts(explorer.outputs["Timeline"])
    explorer.zone.value = "UTC"
    assert "(UTC)" in _texts(explorer.outputs["Timeline"])


class FakeTimer:
    """threading.Timer on a clock the test moves: ``ring()`` is the interval having passed."""

    made: ClassVar[list[FakeTimer]] = []

    def __init__(self, interval: float, function: Callable[[], object]) -> None:
        self.interval, self.function = interval, function
        self.daemon = False
        self.started = self.cancelled = False
        self.made.append(self)

    def start(self) -> None:
        self.started = True

    def cancel(self) -> None:
        self.cancelled = True

    @classmethod
    def armed(cls) -> list[float]:
        """The intervals of the timers started and not cancelled."""
        return [t.interval for t in cls.made if t.started and not t.cancelled]

    @classmethod
    def ring(cls) -> None:
        (timer,) = [t for t in cls.made if t.started and not t.cancelled]
        timer.cancelled = True  # it has fired: a Timer runs once
        timer.function()


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> type[FakeTimer]:
    monkeypatch.setattr(FakeTimer, "made", [])
    monkeypatch.setattr("plannr_nb._widgets.threading.Timer", FakeTimer)
    return FakeTimer


def test_auto_refresh_refreshes_every_interval_until_off(timers: type[FakeTimer]) -> None:
    """Choosing an interval refreshes the running executions each time it passes; Off and
    close() stop it."""
    explorer = pnb.ExecutionExplorer(uuids=RUNNING, fetch=True)
    assert timers.armed() == []
    explorer.auto_refresh.value = 300
    assert timers.armed() == [300]
    explorer.status.value = ""
    timers.ring()  # five minutes later
    assert "Refreshed 1 running execution" in explorer.status.value
    assert timers.armed() == [300]  # and again in five minutes
    explorer.auto_refresh.value = 0
    assert timers.armed() == []
    explorer.auto_refresh.value = 60
    assert timers.armed() == [60]
    explorer.close()
    assert timers.armed() == []


def test_async_client_is_refused_with_a_clear_message() -> None:
    """The explorer needs the blocking client: a clear TypeError otherwise."""
    with pytest.raises(TypeError, match="blocking"):
        pnb.ExecutionExplorer(pnb.AsyncPlannrClient.demo())  # type: ignore[arg-type]


def test_initial_auto_refresh_and_zone_come_from_parameters(timers: type[FakeTimer]) -> None:
    """auto_refresh given at construction arms the timer; any interval is accepted."""
    explorer = pnb.ExecutionExplorer(uuids=RUNNING, fetch=True, auto_refresh=7)
    assert explorer.auto_refresh.value == 7
    assert timers.armed() == [7]
    explorer.close()
    with pytest.raises(ValueError, match="Unknown time zone 'Not/AZone'"):
        pnb.ExecutionExplorer(tz="Not/AZone")


def test_app_links_naming_a_blueprint_and_an_execution_give_the_execution() -> None:
    """A Plannr link with a blueprint UUID and an execution UUID yields the execution."""
    link = (
        "https://app.plannrcrm.com/automations/blueprints/"
        f"1e7f767b-ab86-450f-836b-4d467f51a856/executions/{STORY.upper()}"
    )
    (entry,) = pnb.parse_uuid_text(link)
    assert entry.uuid == STORY
