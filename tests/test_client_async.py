"""AsyncPlannrClient, and the demo clients (sync and async) on the bundled dataset."""

from __future__ import annotations

import asyncio
import uuid as uuid_module
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST_RETRIES

from plannr_nb import (
    AsyncPlannrClient,
    FetchResult,
    InvalidUUIDError,
    NotFoundError,
    PlannrClient,
    RequestTimeoutError,
    ServerError,
    ValidationError,
)
from plannr_nb._demo import load_demo_executions
from plannr_nb.testing import AsyncSimTransport, SimAPI, SimServer, demo_api, fake_executions

EXECUTIONS = fake_executions(150, seed=13)
UUIDS = [e["uuid"] for e in EXECUTIONS]
TOKEN = "async-token"
BASE = "https://plannr.test"
FAST = FAST_RETRIES
MISSING = [str(uuid_module.UUID(int=n, version=4)) for n in range(1, 4)]


pytestmark = pytest.mark.usefixtures("clean_env")


def make(api: SimAPI, **options: Any) -> AsyncPlannrClient:
    return AsyncPlannrClient(
        TOKEN, base_url=BASE, transport=AsyncSimTransport(api), **{**FAST, **options}
    )


def test_async_get_list_and_errors() -> None:
    """The awaitable methods mirror the blocking ones, errors included."""
    api = SimAPI(EXECUTIONS, token=TOKEN, max_per_page=40)

    async def main() -> None:
        async with make(api) as client:
            assert (await client.get_execution(UUIDS[0].upper()))["uuid"] == UUIDS[0]
            listed = await client.list_executions(sort="-created_at")
            assert len(listed) == 150
            with pytest.raises(NotFoundError):
                await client.get_execution(MISSING[0])
            with pytest.raises(InvalidUUIDError):
                await client.get_execution("../users")
            with pytest.raises(ValidationError):
                await client.list_executions(sort="nope")
            api.faults.status(503, 503)
            assert (await client.get_execution(UUIDS[1]))["uuid"] == UUIDS[1]
            api.faults.status(*[502] * 5)
            with pytest.raises(ServerError, match="after 5 attempts"):
                await client.get_execution(UUIDS[1])

    asyncio.run(main())
    assert [r.query.get("page", "1") for r in api.requests[1:5]] == ["1", "2", "3", "4"]


def test_async_fetch_accounts_for_every_input() -> None:
    """Async batch: list requests of 100, a single GET per missing UUID, every input placed."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    inputs = [*UUIDS, "not-a-uuid", MISSING[0], UUIDS[3].upper()]

    async def main() -> FetchResult:
        async with make(api) as client:
            return await client.fetch_executions(inputs, include_account=True, progress=False)

    result = asyncio.run(main())
    assert [e["uuid"] for e in result] == UUIDS
    assert all("account" in e for e in result)
    assert set(result.errors) == {"not-a-uuid", MISSING[0]}
    assert isinstance(result.errors[MISSING[0]], NotFoundError)
    assert len(api.requests) == 3  # two list requests, one fallback GET


def test_async_concurrency_bounded_over_socket() -> None:
    """The async batch keeps at most `concurrency` requests in flight."""
    with SimServer(EXECUTIONS, token=TOKEN, latency=0.03) as server:
        missing = [str(uuid_module.UUID(int=n + 50, version=4)) for n in range(16)]

        async def main() -> FetchResult:
            async with AsyncPlannrClient(
                TOKEN, base_url=server.url, concurrency=4, **FAST
            ) as client:
                return await client.fetch_executions(missing)

        result = asyncio.run(main())
        assert len(result.errors) == 16
        assert 1 < server.max_in_flight <= 4


def test_async_timeout_over_socket() -> None:
    """A slow server gives RequestTimeoutError after retries, asynchronously too."""
    with SimServer(EXECUTIONS, token=TOKEN) as server:
        server.faults.latency(2.0, times=2)  # a timeout each request outlives on a busy machine

        async def main() -> None:
            async with AsyncPlannrClient(
                TOKEN, base_url=server.url, timeout=0.5, max_retries=1, **FAST
            ) as client:
                await client.get_execution(UUIDS[0])

        with pytest.raises(RequestTimeoutError):
            asyncio.run(main())
        assert len(server.requests) == 2


# -- the demo ----------------------------------------------------------------------------------


def test_demo_serves_the_bundled_dataset_through_the_request_path() -> None:
    """PlannrClient.demo(): no token, no network, real requests to the simulated API."""
    demo = load_demo_executions()
    served = demo_api().executions  # today's demo executions and six months of history
    assert len(served) > len(demo) + 5000
    assert {e["uuid"] for e in demo} < {e["uuid"] for e in served}
    with PlannrClient.demo() as client:
        assert "demo" in repr(client)
        listed = client.list_executions()
        assert {e["uuid"] for e in listed} == {e["uuid"] for e in served}
        assert all("account" not in e for e in listed)
        uuids = [e["uuid"] for e in demo]
        result = client.fetch_executions([*uuids, MISSING[0]], include_account=True)
        assert [e["uuid"] for e in result] == uuids
        assert isinstance(result.errors[MISSING[0]], NotFoundError)
        with_account = [e for e in result if "account" in e]
        assert len(with_account) == sum("account" in e for e in demo)
        one = client.get_execution(uuids[0], include_account=True)
        assert one == demo[0]
        api: SimAPI = client._http._transport.api  # type: ignore[attr-defined]
        assert api.requests[0].path == "/api/v1/automation-executions"
        assert any(r.uuid_filter for r in api.requests)


def test_demo_filters_and_blueprints() -> None:
    """The demo honours client filters and the blueprint route."""
    demo = demo_api().executions
    blueprint = demo[0]["blueprint_uuid"]
    account = next(e["account"]["uuid"] for e in demo if e.get("account"))
    with PlannrClient.demo() as client:
        by_blueprint = client.list_executions(blueprint_uuid=blueprint)
        assert {e["uuid"] for e in by_blueprint} == {
            e["uuid"] for e in demo if e["blueprint_uuid"] == blueprint
        }
        by_client = client.list_executions(client_uuids=[account], include_account=True)
        assert by_client
        assert {e["account"]["uuid"] for e in by_client} == {account}


def test_demo_with_own_executions_and_cache(tmp_path: Path) -> None:
    """demo(executions=...) serves given data; a cache works with it as with a real API."""
    with PlannrClient.demo(EXECUTIONS[:5], cache=tmp_path) as client:
        assert len(client.fetch_executions(UUIDS[:5])) == 5
    assert len(list(tmp_path.glob("*.json"))) == 5


def test_async_demo() -> None:
    """AsyncPlannrClient.demo() is the awaitable twin."""

    async def main() -> int:
        async with AsyncPlannrClient.demo() as client:
            listed = await client.list_executions()
            result = await client.fetch_executions([e["uuid"] for e in listed])
            return len(result)

    assert asyncio.run(main()) == len(demo_api().executions)


def test_frames_accept_what_the_client_returns() -> None:
    """get/list/fetch results go straight into the frame builders."""
    from plannr_nb import executions_frame, steps_frame

    with PlannrClient.demo() as client:
        listed = client.list_executions()
        result = client.fetch_executions([e["uuid"] for e in listed[:20]], include_account=True)
        one = client.get_execution(listed[0]["uuid"])
    assert executions_frame(listed).height == len(listed)
    assert executions_frame(result).height == 20
    assert executions_frame(one).height == 1
    assert steps_frame(result).height == sum(len(e["steps"]) for e in result)
