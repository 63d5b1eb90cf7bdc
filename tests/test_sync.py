"""Sync into the store from the simulated API: incremental, idempotent, resumed after faults."""

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from fleet_data import NOW, history

from plannr_nb._client import AsyncPlannrClient, PlannrClient
from plannr_nb._demo import load_demo_executions
from plannr_nb._errors import InvalidUUIDError, ServerError
from plannr_nb._store import Store, open_store
from plannr_nb._sync import SyncSummary, async_sync, sync
from plannr_nb.testing import SimAPI, SimServer, SimTransport, demo_api

TOKEN = "canary-token-for-sync-tests-0123456789"
LIST = "/api/v1/automation-executions"


class Recording(SimTransport):
    """The simulated API, with a hook that may answer a request instead (a fault)."""

    def __init__(
        self, api: SimAPI, fault: Callable[[httpx.Request, int], httpx.Response | None]
    ) -> None:
        super().__init__(api)
        self.fault = fault
        self.lists = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == LIST and "filter[uuid]" not in request.url.params:
            self.lists += 1
            answer = self.fault(request, self.lists)
            if answer is not None:
                return answer
        return super().handle_request(request)


def _client(executions: list[dict[str, Any]], fault: Any = None) -> tuple[PlannrClient, SimAPI]:
    api = SimAPI(executions, rate_limit=None)
    transport = Recording(api, fault or (lambda request, n: None))
    client = PlannrClient(
        TOKEN, base_url="https://plannr.test", transport=transport, retry_wait=(0.0, 0.0)
    )
    return client, api


def _exact(store: Store, executions: list[dict[str, Any]]) -> None:
    """The store holds each execution once, with its steps, and nothing else."""
    stored = store.executions.collect()
    assert stored.height == len(executions)
    assert set(stored["execution_uuid"]) == {e["uuid"] for e in executions}
    steps = store.steps.collect()
    assert steps.height == sum(len(e["steps"]) for e in executions)
    assert steps.select("execution_uuid", "position").is_duplicated().sum() == 0


def test_first_sync_pages_newest_first_then_nothing_to_do(tmp_path: Path) -> None:
    executions = history().executions
    client, api = _client(executions)
    store = open_store(tmp_path)
    with client:
        summary = sync(client, store, progress=False)
    _exact(store, executions)
    pages = -(-len(executions) // 500)
    lists = [r for r in api.requests if r.path == LIST and not r.uuid_filter]
    assert len(lists) == pages == summary.pages
    assert all(r.query["sort"] == "-created_at" and r.query["per_page"] == "500" for r in lists)
    assert summary.new == len(executions)
    unfinished = store.executions.filter(pl.col("status") == "in_progress").collect().height
    assert summary.still_unfinished == unfinished > 0
    assert not summary.not_fetched
    assert "pass" not in store.sync_state
    # Idempotent: a second sync lists one page (the overlap), refreshes the unfinished runs.
    api.clear_log()
    client, api = _client(executions)
    with client:
        again = sync(client, store, progress=False)
    _exact(store, executions)
    assert (again.new, again.updated, again.pages) == (0, 0, 1)
    batches = [r for r in api.requests if r.uuid_filter]
    assert sum(len(r.uuid_filter) for r in batches) == again.refreshed
    assert len(batches) == -(-again.refreshed // 100)


def test_sync_is_incremental(tmp_path: Path) -> None:
    executions = copy.deepcopy(history().executions)
    cut = NOW - timedelta(days=20)
    old = [e for e in executions if e["created_at"] < cut.isoformat()]
    store = open_store(tmp_path)
    client, _ = _client(old)
    with client:
        sync(client, store, progress=False)
    _exact(store, old)
    # Later: new executions arrived, and one that was running has finished.
    running = next(e for e in old if e["status"] == "in_progress")
    running["status"] = "completed"
    running["updated_at"] = NOW.isoformat()
    client, api = _client(executions)
    with client:
        summary = sync(client, store, progress=False)
    _exact(store, executions)
    assert summary.new == len(executions) - len(old)
    assert summary.updated >= 1
    stored = store.executions.filter(pl.col("execution_uuid") == running["uuid"]).collect()
    assert stored["status"].item() == "completed"
    lists = [r for r in api.requests if r.path == LIST and not r.uuid_filter]
    assert len(lists) < -(-len(executions) // 500)  # stopped at what was stored


def test_since_bounds_the_first_sync(tmp_path: Path) -> None:
    executions = history().executions
    since = NOW - timedelta(days=10)
    client, _ = _client(executions)
    store = open_store(tmp_path)
    with client:
        summary = sync(client, store, since=since, progress=False)
    expected = [e for e in executions if e["created_at"] >= since.isoformat()]
    assert summary.new == len(expected)
    assert store.executions.select(pl.col("created_at").min()).collect().item() >= since
    assert summary.pages == 1


def test_a_fault_mid_way_is_resumed_without_duplicates(tmp_path: Path) -> None:
    executions = history().executions

    def fail_fifth(request: httpx.Request, n: int) -> httpx.Response | None:
        return httpx.Response(500, json={"message": "Server Error"}) if n == 5 else None

    client, _ = _client(executions, fail_fifth)
    store = open_store(tmp_path)
    with client, pytest.raises(ServerError):
        sync(client, store, progress=False)
    # Consistent: the four newest pages, each execution once, and the pass recorded.
    stored = store.executions.collect()
    assert stored.height == 4 * 500
    assert stored["execution_uuid"].n_unique() == stored.height
    assert store.sync_state["pass"] == {"floor": None}
    assert TOKEN not in str(store.sync_state)
    # Meanwhile new executions arrive; the next sync still goes all the way down.
    client, _ = _client(executions)
    with client:
        summary = sync(client, store, progress=False)
    assert summary.resumed
    _exact(store, executions)
    assert "pass" not in store.sync_state


def test_a_crash_inside_a_store_write_is_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executions = history().executions
    store = open_store(tmp_path)
    real = os.replace
    calls = {"n": 0}

    def crash(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 40:
            raise KeyboardInterrupt  # as if the kernel were interrupted mid-write
        real(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    client, _ = _client(executions)
    with client, pytest.raises(KeyboardInterrupt):
        sync(client, store, progress=False)
    monkeypatch.setattr(os, "replace", real)
    reopened = open_store(tmp_path)
    partial = reopened.executions.collect()
    assert 0 < partial.height < len(executions)
    assert partial["execution_uuid"].n_unique() == partial.height
    client, _ = _client(executions)
    with client:
        sync(client, reopened, progress=False)
    _exact(reopened, executions)


def test_refresh_errors_are_reported_per_execution(tmp_path: Path) -> None:
    executions = copy.deepcopy(history().executions[-600:])
    store = open_store(tmp_path)
    client, _ = _client(executions)
    with client:
        sync(client, store, progress=False)
    unfinished = store.executions.filter(pl.col("status") == "in_progress").collect()
    gone = unfinished["execution_uuid"][0]
    # It disappeared from the API (deleted): the refresh cannot fetch it.
    remaining = [e for e in executions if e["uuid"] != gone]
    client, _ = _client(remaining)
    with client:
        summary = sync(client, store, progress=False, overlap=timedelta(0))
    assert set(summary.not_fetched) == {gone}
    assert "not found" in summary.not_fetched[gone].lower() or "404" in summary.not_fetched[gone]
    assert gone in str(summary)


def test_sync_over_loopback_http_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    executions = history().executions[:1200]
    store = open_store(tmp_path)
    with (
        SimServer(executions, token=TOKEN) as server,
        PlannrClient(TOKEN, base_url=server.url) as client,
    ):
        summary = sync(client, store, include_account=True, progress=True)
        assert all(r.query.get("include") == "account" for r in server.requests)
    _exact(store, executions)
    accounts = store.accounts.collect()
    assert accounts.height == len({e["account"]["uuid"] for e in executions})
    out = capsys.readouterr().out
    assert f"{summary.new} new" in out
    assert TOKEN not in out


def test_async_sync_matches(tmp_path: Path) -> None:
    executions = history().executions[:1500]

    async def main() -> Any:
        async with AsyncPlannrClient.demo(executions) as client:
            return await async_sync(client, open_store(tmp_path), progress=False)

    summary = asyncio.run(main())
    assert summary.new == 1500
    _exact(open_store(tmp_path), executions)
    again = asyncio.run(main())
    assert (again.new, again.updated) == (0, 0)


# -- the client's public face: list_pages and client.sync ---------------------------------------


def test_list_pages_yields_each_page_as_it_arrives() -> None:
    executions = history().executions[:1200]
    client, api = _client(executions)
    with client:
        pages = client.list_pages(sort="-created_at")
        assert api.requests == []  # nothing sent until the first page is asked for
        first = next(pages)
        assert len(first) == 500
        assert len([r for r in api.requests if r.path == LIST]) == 1
        rest = list(pages)
    assert [len(p) for p in rest] == [500, 200]
    listed = [e["uuid"] for page in [first, *rest] for e in page]
    newest_first = sorted(executions, key=lambda e: e["created_at"], reverse=True)
    assert listed == [e["uuid"] for e in newest_first]


def test_list_pages_filters_like_list_executions() -> None:
    executions = history().executions[:1200]
    wanted = [e["uuid"] for e in executions[::7]]
    blueprint = executions[0]["blueprint_uuid"]
    client, _ = _client(executions)
    with client:
        by_uuid = [e["uuid"] for page in client.list_pages(uuids=wanted) for e in page]
        assert sorted(by_uuid) == sorted(wanted)
        by_blueprint = [
            e
            for page in client.list_pages(blueprint_uuid=blueprint, include_account=True)
            for e in page
        ]
        assert {e["uuid"] for e in by_blueprint} == {
            e["uuid"] for e in executions if e["blueprint_uuid"] == blueprint
        }
        assert all("account" in e for e in by_blueprint)
        with pytest.raises(InvalidUUIDError):
            client.list_pages(uuids=["not-a-uuid"])  # refused at the call, nothing sent


def test_client_sync_is_the_module_sync(tmp_path: Path) -> None:
    executions = history().executions
    client, _ = _client(executions)
    store = open_store(tmp_path)
    with client:
        summary = client.sync(store, since=NOW - timedelta(days=40), progress=False)
    expected = [e for e in executions if e["created_at"] >= (NOW - timedelta(days=40)).isoformat()]
    assert isinstance(summary, SyncSummary)
    assert summary.new == len(expected)
    _exact(store, expected)
    client, _ = _client(executions)
    with client:
        again = client.sync(store, progress=False)
    assert (again.new, again.updated) == (0, 0)


def test_async_client_sync_and_pages(tmp_path: Path) -> None:
    executions = history().executions[:1300]

    async def main() -> tuple[list[int], SyncSummary]:
        async with AsyncPlannrClient.demo(executions) as client:
            sizes = [len(page) async for page in client.list_pages(sort="created_at")]
            summary = await client.sync(open_store(tmp_path), include_account=True, progress=False)
            return sizes, summary

    sizes, summary = asyncio.run(main())
    assert sizes == [500, 500, 300]
    assert summary.new == 1300
    _exact(open_store(tmp_path), executions)
    assert open_store(tmp_path).accounts.collect().height > 0


# -- plannr-nb sync ------------------------------------------------------------------------------


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PLANNR_", "ACCESS_TOKEN"))}
    return subprocess.run(
        [sys.executable, "-m", "plannr_nb._cli", "sync", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, **env},
        check=False,
    )


def test_cli_sync_on_the_demo_into_a_store(tmp_path: Path) -> None:
    """plannr-nb sync --demo: the demo's history lands in --store; the token never shows."""
    target = tmp_path / "store"
    first = _cli("--demo", "--store", str(target), "--quiet", PLANNR_ACCESS_TOKEN=TOKEN)
    assert first.returncode == 0, first.stderr
    served = len(demo_api().executions)  # the count does not depend on the anchor
    assert f"Synced into {target}: {served} new, 0 updated" in first.stdout
    store = open_store(target)
    stored = store.executions.collect()
    assert stored.height == served > 6000
    demo = {e["uuid"] for e in load_demo_executions()}
    assert demo <= set(stored["execution_uuid"])
    second = _cli("--demo", "--store", str(target), "--quiet")
    assert second.returncode == 0, second.stderr
    assert ": 0 new," in second.stdout
    assert open_store(target).executions.collect().height == served  # reopened: files moved
    for out in (first, second):
        assert TOKEN not in out.stdout + out.stderr
        assert "Traceback" not in out.stderr


def test_cli_sync_keeps_demo_data_out_of_your_store(tmp_path: Path) -> None:
    """Without --store, demo data goes to a temporary store, never to $PLANNR_NB_STORE."""
    yours = tmp_path / "yours"
    done = _cli("--since", "2000-01-01", "--quiet", PLANNR_NB_STORE=str(yours))  # no token
    assert done.returncode == 0, done.stderr
    assert "temporary store" in done.stdout
    assert not yours.exists()
    temporary = Path(done.stdout.split("Synced into ", 1)[1].split(":", 1)[0])
    assert not temporary.exists()  # removed as the command exited


def test_cli_sync_refuses_a_bad_date_in_words() -> None:
    bad = _cli("--demo", "--since", "last tuesday")
    assert bad.returncode == 2
    assert "--since takes a date such as 2026-06-01" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert "--include-account" in _cli("--help").stdout
