"""The simulated Plannr API: routes, filters, pagination, errors, faults, transports, server."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fleet_data import history

from plannr_nb._demo import load_demo_executions
from plannr_nb.testing import (
    AsyncSimTransport,
    Fault,
    SimAPI,
    SimServer,
    SimTransport,
    execution_payload,
    fake_executions,
    step_payload,
)

DOCUMENTED = json.loads(
    (Path(__file__).parent / "fixtures" / "documented_execution.json").read_text()
)
BASE = "https://sim.test"
EXECUTIONS = fake_executions(40, seed=3)


def call(api: SimAPI, path: str, **headers: str) -> tuple[int, dict[str, str], Any]:
    answer = api.handle("GET", BASE + path, headers)
    body = orjson.loads(answer.body) if answer.body else None
    return answer.status, answer.headers, body


def test_get_wraps_in_data_and_strips_account_unless_included() -> None:
    """A single GET answers {"data": ...}; `account` only with include=account."""
    api = SimAPI(EXECUTIONS)
    uuid = EXECUTIONS[0]["uuid"]
    status, headers, body = call(api, f"/api/v1/automation-executions/{uuid}")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body["data"]["uuid"] == uuid
    assert "account" not in body["data"]
    _, _, body = call(api, f"/api/v1/automation-executions/{uuid.upper()}?include=account")
    assert body["data"]["account"] == EXECUTIONS[0]["account"]


def test_unknown_execution_and_route_are_404() -> None:
    """Unknown UUIDs, malformed path segments and unknown routes give 404 with a message."""
    api = SimAPI(EXECUTIONS)
    for path in (
        "/api/v1/automation-executions/00000000-0000-0000-0000-000000000000",
        "/api/v1/automation-executions/..",
        "/api/v1/nothing-here",
        "/elsewhere",
        "/api/v1/automation-blueprints/00000000-0000-0000-0000-000000000000/executions",
    ):
        status, _, body = call(api, path)
        assert status == 404, path
        assert body["message"]


def test_token_required_when_configured() -> None:
    """With a token, a missing or wrong Authorization gives 401 Unauthenticated."""
    api = SimAPI(EXECUTIONS, token="secret")
    path = "/api/v1/automation-executions"
    assert call(api, path)[0] == 401
    assert call(api, path, Authorization="Bearer wrong")[2] == {"message": "Unauthenticated."}
    assert call(api, path, Authorization="Bearer secret")[0] == 200


def test_account_header_mismatch_is_403() -> None:
    """A simulation bound to an account answers 403 to another acting account."""
    api = SimAPI(EXECUTIONS, account_uuid="11111111-1111-1111-1111-111111111111")
    path = "/api/v1/automation-executions"
    other = {"X-PLANNR-ACCOUNT-UUID": "22222222-2222-2222-2222-222222222222"}
    assert api.handle("GET", BASE + path, other).status == 403
    same = {"X-PLANNR-ACCOUNT-UUID": "11111111-1111-1111-1111-111111111111"}
    assert api.handle("GET", BASE + path, same).status == 200
    assert api.handle("POST", BASE + path, same).status == 405


def test_more_executions_are_made_only_when_a_request_needs_them() -> None:
    """``more`` is called once, by the first list or the first GET of a UUID it alone holds;
    from then on the API serves every execution, oldest first, to concurrent requests too."""
    import threading

    first, rest = EXECUTIONS[:10], EXECUTIONS[10:]
    calls: list[int] = []

    def more() -> list[dict[str, Any]]:
        calls.append(1)
        return rest

    api = SimAPI(first, more=more)
    assert call(api, f"/api/v1/automation-executions/{first[3]['uuid']}")[0] == 200
    # A list of UUIDs all among the first: the answer the whole set would give, made without it.
    expected = sorted(EXECUTIONS, key=lambda e: datetime.fromisoformat(e["created_at"]))
    whole = SimAPI(expected)
    for query in ("", "&sort=-created_at", "&sort=created_at&per_page=1&page=2"):
        path = f"/api/v1/automation-executions?filter[uuid]={first[5]['uuid']},{first[2]['uuid']}"
        assert call(api, path + query)[2] == call(whole, path + query)[2]
    assert calls == []
    assert call(api, "/api/v1/automation-executions/00000000-0000-4000-8000-000000000000")[0] == (
        404
    )
    assert calls == [1]  # the unknown UUID had to be looked for among the rest
    api = SimAPI(first, more=more)
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: statuses.append(
                call(api, f"/api/v1/automation-executions/{rest[0]['uuid']}")[0]
            )
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert calls == [1, 1]
    status, _, body = call(api, "/api/v1/automation-executions?per_page=100")
    assert status == 200
    served = [item["uuid"] for item in body["data"]]
    assert served == [e["uuid"] for e in expected]
    assert len(api.executions) == len(EXECUTIONS)


def test_list_paginates_laravel_style() -> None:
    """per_page defaults to 15; links/meta describe the pages; next is null on the last."""
    api = SimAPI(EXECUTIONS)
    status, _, body = call(api, "/api/v1/automation-executions")
    assert status == 200
    assert len(body["data"]) == 15
    assert body["meta"]["total"] == 40
    assert body["meta"]["last_page"] == 3
    assert body["links"]["prev"] is None
    assert body["links"]["next"].startswith(BASE + "/api/v1/automation-executions?")
    seen: list[str] = []
    url: str | None = BASE + "/api/v1/automation-executions?per_page=15"
    while url:
        body = orjson.loads(api.handle("GET", url, {}).body)
        seen.extend(item["uuid"] for item in body["data"])
        url = body["links"]["next"]
    assert seen == [e["uuid"] for e in EXECUTIONS]


def test_list_per_page_capped_by_max_per_page() -> None:
    """A server cap below the asked per_page still paginates."""
    api = SimAPI(EXECUTIONS, max_per_page=7)
    _, _, body = call(api, "/api/v1/automation-executions?per_page=500")
    assert len(body["data"]) == 7
    assert body["meta"]["last_page"] == 6


@pytest.mark.parametrize(
    "query",
    [
        "per_page=0",
        "per_page=501",
        "per_page=x",
        "page=0",
        "sort=name",
        "filter[status]=failed",
        "include=steps",
    ],
)
def test_bad_parameters_are_422(query: str) -> None:
    """Parameters outside the documented ones give 422 with Laravel's field errors."""
    status, _, body = call(SimAPI(EXECUTIONS), f"/api/v1/automation-executions?{query}")
    assert status == 422
    assert body["message"] == "The given data was invalid."
    assert body["errors"]


def test_filters_and_sort() -> None:
    """filter[uuid], filter[client_uuids], filter[account_uuids] and sort select as documented."""
    api = SimAPI(EXECUTIONS)
    wanted = [EXECUTIONS[5]["uuid"], EXECUTIONS[2]["uuid"].upper()]
    _, _, body = call(api, f"/api/v1/automation-executions?filter[uuid]={','.join(wanted)}")
    assert [item["uuid"] for item in body["data"]] == [EXECUTIONS[2]["uuid"], EXECUTIONS[5]["uuid"]]

    client = next(e["account"] for e in EXECUTIONS if e["account"]["type"] == "client")
    adviser = next(e["account"] for e in EXECUTIONS if e["account"]["type"] != "client")
    query = f"filter[client_uuids]={client['uuid']},{adviser['uuid']}&per_page=500"
    _, _, body = call(api, f"/api/v1/automation-executions?{query}&include=account")
    assert body["data"]
    assert {item["account"]["uuid"] for item in body["data"]} == {client["uuid"]}
    query = f"filter[account_uuids]={adviser['uuid']}&per_page=500&include=account"
    _, _, body = call(api, f"/api/v1/automation-executions?{query}")
    assert body["data"]
    assert {item["account"]["uuid"] for item in body["data"]} == {adviser["uuid"]}

    _, _, body = call(api, "/api/v1/automation-executions?sort=-created_at&per_page=500")
    created = [item["created_at"] for item in body["data"]]
    assert created == sorted(created, reverse=True)


def test_blueprint_route() -> None:
    """/automation-blueprints/{uuid}/executions lists that blueprint's executions only."""
    api = SimAPI(EXECUTIONS)
    blueprint = EXECUTIONS[0]["blueprint_uuid"]
    _, _, body = call(api, f"/api/v1/automation-blueprints/{blueprint}/executions?per_page=500")
    expected = [e["uuid"] for e in EXECUTIONS if e["blueprint_uuid"] == blueprint]
    assert [item["uuid"] for item in body["data"]] == expected


def test_rate_limit_headers_and_429() -> None:
    """Remaining counts down per token; beyond the limit a 429 carries Retry-After."""
    now = [0.0]
    api = SimAPI(EXECUTIONS, rate_limit=3, rate_window=10.0, clock=lambda: now[0])
    path = "/api/v1/automation-executions"
    remaining = [call(api, path)[1]["X-Ratelimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    status, headers, _ = call(api, path)
    assert status == 429
    assert headers["Retry-After"] == "10"
    now[0] = 10.5
    assert call(api, path)[0] == 200


def test_faults_are_applied_in_order_and_logged() -> None:
    """Queued statuses, bodies and Retry-After apply to the next matching requests."""
    api = SimAPI(EXECUTIONS)
    api.faults.status(503, 429, retry_after=2).html().truncated()
    api.faults.add(Fault(status=500), times=1)
    path = "/api/v1/automation-executions"
    first = api.handle("GET", BASE + path, {})
    assert (first.status, first.headers["Retry-After"]) == (503, "2")
    assert api.handle("GET", BASE + path, {}).status == 429
    html = api.handle("GET", BASE + path, {})
    assert html.headers["Content-Type"] == "text/html"
    assert html.body.startswith(b"<!DOCTYPE html>")
    cut = api.handle("GET", BASE + path, {})
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(cut.body)
    assert api.handle("GET", BASE + path, {}).status == 500
    assert api.handle("GET", BASE + path, {}).status == 200
    assert [r.status for r in api.requests] == [503, 429, 200, 200, 500, 200]
    assert len(api.faults) == 0


def test_fault_path_matching() -> None:
    """A fault bound to a path waits for a request to that path."""
    api = SimAPI(EXECUTIONS)
    api.faults.status(404, path="/automation-blueprints/")
    assert api.handle("GET", BASE + "/api/v1/automation-executions", {}).status == 200
    assert len(api.faults) == 1


def test_sync_transport_serves_httpx_and_raises_faults() -> None:
    """SimTransport answers httpx requests and turns resets and timeouts into httpx errors."""
    api = SimAPI(EXECUTIONS)
    with httpx.Client(transport=SimTransport(api), base_url=BASE, timeout=0.05) as client:
        response = client.get("/api/v1/automation-executions", params={"per_page": 2})
        assert len(response.json()["data"]) == 2
        api.faults.reset()
        with pytest.raises(httpx.ReadError):
            client.get("/api/v1/automation-executions")
        api.faults.disconnect()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v1/automation-executions")
        api.faults.latency(0.2)
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/v1/automation-executions")


def test_async_transport_serves_httpx() -> None:
    """AsyncSimTransport answers an httpx.AsyncClient."""
    api = SimAPI(EXECUTIONS)

    async def main() -> int:
        async with httpx.AsyncClient(transport=AsyncSimTransport(api), base_url=BASE) as client:
            response = await client.get(f"/api/v1/automation-executions/{EXECUTIONS[1]['uuid']}")
            return response.status_code

    assert asyncio.run(main()) == 200


def test_server_on_loopback_serves_logs_and_stops() -> None:
    """SimServer listens on 127.0.0.1 only, logs requests with headers, and frees its port."""
    with SimServer(EXECUTIONS, token="t") as server:
        assert server.url.startswith("http://127.0.0.1:")
        response = httpx.get(
            server.url + "/api/v1/automation-executions",
            params={"per_page": "3"},
            headers={"Authorization": "Bearer t"},
        )
        assert response.status_code == 200
        assert response.headers["x-ratelimit-remaining"] == "499"
        assert len(response.json()["data"]) == 3
        assert server.requests[-1].query == {"per_page": "3"}
        assert server.requests[-1].headers["Authorization"] == "Bearer t"
        port = int(server.url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.settimeout(0.5)
        with pytest.raises(ConnectionRefusedError):
            probe.connect(("127.0.0.1", port))


def test_server_faults_reset_cut_and_html() -> None:
    """Over a socket: resets and cut bodies break the exchange; HTML comes back as HTML."""
    with SimServer(EXECUTIONS) as server, httpx.Client(base_url=server.url) as client:
        server.faults.reset()
        with pytest.raises(httpx.TransportError):
            client.get("/api/v1/automation-executions")
        server.faults.disconnect()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v1/automation-executions")
        server.faults.html(502)
        response = client.get("/api/v1/automation-executions")
        assert response.status_code == 502
        assert response.headers["content-type"] == "text/html"
        server.faults.latency(0.2)
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/v1/automation-executions", timeout=0.05)
        assert client.get("/api/v1/automation-executions").status_code == 200


def test_fake_executions_are_deterministic_and_documented_shape() -> None:
    """fake_executions gives the same data for a seed, with the documented keys."""
    assert fake_executions(5, seed=9) == fake_executions(5, seed=9)
    keys = {"uuid", "created_at", "updated_at", "status", "triggered_by", "steps", "name"}
    for execution in fake_executions(20):
        assert keys <= set(execution)
        assert execution["steps"]


def _step(uuid: str, executed_at: str | None, status: str = "completed") -> dict[str, Any]:
    return step_payload(
        uuid=uuid,
        name=f"Step {uuid}",
        status=status,
        created_at="2026-06-08T16:08:03+01:00",
        executed_at=executed_at,
        info=None if executed_at is None else "Done",
    )


def test_payload_builders_follow_the_documented_key_order() -> None:
    """Steps and executions come out with the documentation's keys, in its order."""
    account = DOCUMENTED["account"]
    built = execution_payload(
        uuid="e1",
        name="Welcome",
        status="in_progress",
        triggered_by="client.created",
        created_at="2026-06-08T16:08:03+01:00",
        steps=[_step("s1", "2026-06-08T16:08:05+01:00"), _step("s2", None, "pending")],
        account=account,
        blueprint_uuid="b1",
    )
    assert list(built) == [*DOCUMENTED, "blueprint_uuid"]
    for step in (*built["steps"], built["next_step"], built["previous_step"]):
        assert list(step) == list(DOCUMENTED["steps"][0])
    assert built["account"] == account
    assert built["account"]["permissions"] is not account["permissions"]  # a deep copy


def test_execution_payload_derives_next_and_previous_step_from_the_steps() -> None:
    """previous_step: the last step run; next_step: the first not run, whatever the status."""
    steps = [
        _step("s1", "2026-06-08T16:08:05+01:00"),
        _step("s2", "2026-06-08T16:09:00+01:00", "failed"),
        _step("s3", None, "pending"),
        _step("s4", None, "pending"),
    ]
    built = execution_payload(
        uuid="e1",
        name="Welcome",
        status="failed",
        triggered_by="client.created",
        created_at=datetime(2026, 6, 8, 15, 8, 3, tzinfo=UTC),
        steps=steps,
    )
    assert built["previous_step"] == steps[1]
    assert built["next_step"] == steps[2]
    assert built["next_step"] is not steps[2]
    assert built["created_at"] == "2026-06-08T15:08:03+00:00"
    assert built["updated_at"] == "2026-06-08T16:09:00+01:00"  # the last step run
    assert "account" not in built
    assert "blueprint_uuid" not in built
    waiting = execution_payload(
        uuid="e2",
        name="Welcome",
        status="pending",
        triggered_by="client.created",
        created_at="2026-06-08T16:08:03+01:00",
        steps=[_step("s5", None, "pending")],
    )
    assert waiting["previous_step"] is None
    assert waiting["next_step"] == waiting["steps"][0]
    assert waiting["updated_at"] == waiting["steps"][0]["updated_at"] == waiting["created_at"]


@pytest.mark.parametrize("source", ["fake_executions", "history", "demo"])
def test_every_generator_applies_the_same_step_rule(source: str) -> None:
    """Test data, fleet history and demo data all show next/previous step the same way."""
    executions = {
        "fake_executions": lambda: fake_executions(30, seed=5),
        "history": lambda: history().executions,
        "demo": load_demo_executions,
    }[source]()
    for execution in executions:
        ran = [s for s in execution["steps"] if s["executed_at"] is not None]
        waiting = [s for s in execution["steps"] if s["executed_at"] is None]
        assert list(execution)[:9] == list(DOCUMENTED)[:9]
        assert execution["previous_step"] == (ran[-1] if ran else None)
        assert execution["next_step"] == (waiting[0] if waiting else None)
