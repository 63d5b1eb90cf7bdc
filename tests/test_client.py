"""PlannrClient: requests, headers, UUIDs, errors, retries, pagination, filters, batches."""

from __future__ import annotations

import asyncio
import logging
import uuid as uuid_module
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import CLIENT_BASE, CLIENT_TOKEN, FAST_RETRIES, Twin, TwinClient, run_python
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plannr_nb import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    FetchResult,
    InvalidUUIDError,
    NotFoundError,
    PermissionDeniedError,
    PlannrClient,
    PlannrError,
    RateLimitError,
    RequestTimeoutError,
    ResponseFormatError,
    ServerError,
    TransportError,
    ValidationError,
    normalize_uuid,
)
from plannr_nb._errors import parse_retry_after
from plannr_nb.testing import SimAPI, SimServer, SimTransport, fake_executions

EXECUTIONS = fake_executions(60, seed=7)
UUIDS = [e["uuid"] for e in EXECUTIONS]
TOKEN = CLIENT_TOKEN
BASE = CLIENT_BASE
FAST = FAST_RETRIES

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def api() -> SimAPI:
    return SimAPI(EXECUTIONS, token=TOKEN)


@pytest.fixture
def client(api: SimAPI, twin: Twin) -> Iterator[TwinClient]:
    """A client of each twin over ``api`` (tests taking it run twice)."""
    with twin(TOKEN, base_url=BASE, api=api, **FAST) as c:
        yield c


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer(EXECUTIONS, token=TOKEN) as s:
        yield s


def on_server(twin: Twin, server: SimServer, **options: Any) -> TwinClient:
    return twin(TOKEN, base_url=server.url, **{**FAST, **options})


def recording(
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return httpx.MockTransport(record), seen


# -- get ---------------------------------------------------------------------------------------


def test_get_execution_unwraps_data_and_includes_account_on_request(
    client: TwinClient, api: SimAPI
) -> None:
    """get_execution returns the execution, unwrapped; include=account only when asked."""
    execution = client.get_execution(UUIDS[3])
    assert execution["uuid"] == UUIDS[3]
    assert "account" not in execution
    with_account = client.get_execution(UUIDS[3], include_account=True)
    assert with_account["account"] == EXECUTIONS[3]["account"]
    assert [r.query for r in api.requests] == [{}, {"include": "account"}]
    assert api.requests[0].path == f"/api/v1/automation-executions/{UUIDS[3]}"


def test_get_execution_accepts_bare_body(twin: Twin) -> None:
    """A bare execution object (no data wrapper) is returned as it is."""
    transport, _ = recording(lambda r: httpx.Response(200, json=EXECUTIONS[0]))
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        assert c.get_execution(UUIDS[0]) == EXECUTIONS[0]


def test_headers_sent_on_every_request(monkeypatch: pytest.MonkeyPatch, twin: Twin) -> None:
    """Authorization, Accept and X-PLANNR-ACCOUNT-UUID (from the environment) are sent."""
    monkeypatch.setenv("PLANNR_ACCESS_TOKEN", "env-token")
    monkeypatch.setenv("ACCESS_TOKEN", "other-token")
    monkeypatch.setenv("PLANNR_ACCOUNT_UUID", " {AAAAAAAA-1111-2222-3333-444444444444} ")
    transport, seen = recording(
        lambda r: httpx.Response(
            200, json={"data": EXECUTIONS[0] if UUIDS[0] in str(r.url) else []}
        )
    )
    with twin(base_url=BASE, transport=transport) as c:
        c.get_execution(UUIDS[0])
        c.list_executions()
    for request in seen:
        assert request.headers["authorization"] == "Bearer env-token"
        assert request.headers["accept"] == "application/json"
        assert request.headers["x-plannr-account-uuid"] == "aaaaaaaa-1111-2222-3333-444444444444"


def test_token_falls_back_to_access_token_and_account_header_is_optional(
    monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    """ACCESS_TOKEN (the docs' curl variable) is the fallback; no account header unless set."""
    monkeypatch.setenv("ACCESS_TOKEN", "Bearer curl-token")
    transport, seen = recording(lambda r: httpx.Response(200, json={"data": EXECUTIONS[0]}))
    with twin(base_url=BASE, transport=transport) as c:
        c.get_execution(UUIDS[0])
    assert seen[0].headers["authorization"] == "Bearer curl-token"
    assert "x-plannr-account-uuid" not in seen[0].headers


def test_missing_token_raises_before_sending(twin: Twin) -> None:
    """Without a token: AuthenticationError saying to set PLANNR_ACCESS_TOKEN; nothing sent."""
    transport, seen = recording(lambda r: httpx.Response(200))
    with twin(base_url=BASE, transport=transport) as c:
        with pytest.raises(AuthenticationError, match="PLANNR_ACCESS_TOKEN"):
            c.get_execution(UUIDS[0])
        assert "token=not set" in repr(c)
    assert seen == []


def test_token_with_line_break_is_refused_without_showing_it(twin: Twin) -> None:
    """A token that cannot be a header value is refused; the message does not quote it."""
    with pytest.raises(AuthenticationError, match="copy it again") as info:
        twin("abc\ndef", base_url=BASE)
    assert "abc" not in str(info.value)


# -- UUIDs -------------------------------------------------------------------------------------

CANONICAL = "cc137447-a749-4b21-88a5-b27ef8b16878"
ACCEPTED = [
    CANONICAL,
    CANONICAL.upper(),
    f"  {CANONICAL}  ",
    f"\t{CANONICAL}\n",
    f"{{{CANONICAL}}}",
    f'"{CANONICAL}"',
    f"'{CANONICAL}'",
    f"urn:uuid:{CANONICAL}",
    f"URN:UUID:{CANONICAL.upper()}",
    f" {{urn:uuid:{CANONICAL}}} ",
    f'"{{{CANONICAL.upper()}}}"',
    uuid_module.UUID(CANONICAL),
    CANONICAL.replace("-", ""),  # 32 digits: users paste those, and they are unambiguous
    CANONICAL.replace("-", "").upper(),
    f"https://app.plannrcrm.com/automations/executions/{CANONICAL.upper()}",
]
REJECTED: list[object] = [
    "",
    "   ",
    "../users",
    "../../api/v1/users",
    "1; DROP TABLE executions",
    "' OR 1=1 --",
    CANONICAL[:-1],  # 35 characters
    CANONICAL + "0",  # 37 characters
    CANONICAL.replace("c", "g"),
    CANONICAL + "/../users",
    CANONICAL + "?include=account",
    CANONICAL + "#x",
    f"{CANONICAL},{CANONICAL}",
    "%2e%2e%2fusers",
    "urn:uuid:",
    "null",
    None,
    123,
    b"cc137447a7494b2188a5b27ef8b16878",
    CANONICAL.replace("-", "")[:-1],  # 31 digits
    "https://app.plannrcrm.com/automations/executions/",  # a link naming no UUID
    f"{{{CANONICAL}",  # unbalanced brace
    f"({CANONICAL})",
]


@pytest.mark.parametrize("value", ACCEPTED, ids=repr)
def test_accepted_uuid_forms_reach_the_url_canonical(value: object, twin: Twin) -> None:
    """Spaces, braces, quotes, urn:uuid:, upper case, UUID objects: sent as canonical."""
    transport, seen = recording(
        lambda r: httpx.Response(200, json={"data": {**EXECUTIONS[0], "uuid": CANONICAL}})
    )
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        assert c.get_execution(value)["uuid"] == CANONICAL
    assert seen[0].url.path == f"/api/v1/automation-executions/{CANONICAL}"


@pytest.mark.parametrize("value", REJECTED, ids=repr)
def test_rejected_uuids_raise_and_send_nothing(value: object, twin: Twin) -> None:
    """Anything else raises InvalidUUIDError (also a ValueError) before any request."""
    transport, seen = recording(lambda r: httpx.Response(200, json={"data": EXECUTIONS[0]}))
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        with pytest.raises(InvalidUUIDError, match="check the UUID") as info:
            c.get_execution(value)
        assert isinstance(info.value, ValueError)
        with pytest.raises(InvalidUUIDError):
            c.list_executions(uuids=[UUIDS[0], value])
        if value is not None:  # None means "no blueprint"
            with pytest.raises(InvalidUUIDError):
                c.list_executions(blueprint_uuid=value)
        result = c.fetch_executions([value])
        assert result.executions == []
        assert list(result.errors) == [value if isinstance(value, str) else str(value)]
        assert isinstance(next(iter(result.errors.values())), InvalidUUIDError)
    assert seen == []


def test_uuid_table_is_large_enough() -> None:
    """The normalisation table covers at least 20 inputs."""
    assert len(ACCEPTED) + len(REJECTED) >= 20


def test_invalid_account_uuid_is_refused(twin: Twin) -> None:
    """account_uuid goes into a header, so it is validated too."""
    with pytest.raises(InvalidUUIDError):
        twin(TOKEN, base_url=BASE, account_uuid="me\r\nX-Evil: 1")


# -- errors through real responses -------------------------------------------------------------


def test_401_wrong_token(api: SimAPI, twin: Twin) -> None:
    """A wrong token: AuthenticationError with the status, the URL and the advice."""
    with (
        twin("wrong", base_url=BASE, api=api) as c,
        pytest.raises(AuthenticationError) as info,
    ):
        c.get_execution(UUIDS[0])
    error = info.value
    assert error.status_code == 401
    assert "PLANNR_ACCESS_TOKEN" in str(error)
    assert "Unauthenticated." in str(error)
    assert UUIDS[0] in str(error)
    assert error.response is not None
    assert error.request is not None
    assert error.request.headers["authorization"] == "[redacted]"
    assert len(api.requests) == 1


def test_403_other_account(twin: Twin) -> None:
    """An acting account the token may not use: PermissionDeniedError."""
    api = SimAPI(EXECUTIONS, token=TOKEN, account_uuid="11111111-1111-1111-1111-111111111111")
    account = "22222222-2222-2222-2222-222222222222"
    transport = twin.sim(api)
    with (
        twin(TOKEN, base_url=BASE, transport=transport, account_uuid=account) as c,
        pytest.raises(PermissionDeniedError, match="PLANNR_ACCOUNT_UUID") as info,
    ):
        c.list_executions()
    assert info.value.status_code == 403
    assert len(api.requests) == 1


def test_404_unknown_execution(client: TwinClient, api: SimAPI) -> None:
    """An unknown UUID: NotFoundError (also a LookupError) naming the UUID; not retried."""
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFoundError, match="Check the UUID") as info:
        client.get_execution(missing)
    assert missing in str(info.value)
    assert isinstance(info.value, LookupError)
    assert len(api.requests) == 1


def test_422_bad_sort_has_field_errors(client: TwinClient, api: SimAPI) -> None:
    """A sort the API refuses: ValidationError with the field errors; not retried."""
    with pytest.raises(ValidationError) as info:
        client.list_executions(sort="name")
    assert "sort" in info.value.field_errors
    assert "sort:" in str(info.value)
    assert len(api.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500])
def test_statuses_never_retried(client: TwinClient, api: SimAPI, status: int) -> None:
    """400/401/403/404/422 (and 500) are answered at once, in one request."""
    api.faults.status(status)
    with pytest.raises(ApiError) as info:
        client.list_executions()
    assert info.value.status_code == status
    assert len(api.requests) == 1


def test_500_is_server_error(client: TwinClient, api: SimAPI) -> None:
    """500 maps to ServerError."""
    api.faults.status(500)
    with pytest.raises(ServerError):
        client.get_execution(UUIDS[0])


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retried_statuses_then_success(client: TwinClient, api: SimAPI, status: int) -> None:
    """429/502/503/504 are retried; two failures then success = three requests."""
    api.faults.status(status, status)
    assert client.get_execution(UUIDS[1])["uuid"] == UUIDS[1]
    assert [r.status for r in api.requests] == [status, status, 200]


def test_retries_bounded_by_max_retries(api: SimAPI, twin: Twin) -> None:
    """After max_retries retries the last status becomes the error, with the attempt count."""
    transport = twin.sim(api)
    with twin(TOKEN, base_url=BASE, transport=transport, max_retries=2, **FAST) as c:
        api.faults.status(503, 503, 503, 503)
        with pytest.raises(ServerError, match="after 3 attempts"):
            c.get_execution(UUIDS[0])
        assert len(api.requests) == 3
    with twin(TOKEN, base_url=BASE, transport=transport, max_retries=0, **FAST) as c:
        api.faults.clear()
        api.faults.status(429)
        with pytest.raises(RateLimitError) as info:
            c.get_execution(UUIDS[0])
        assert info.value.status_code == 429
        assert len(api.requests) == 4


def test_rate_limit_error_after_retries_keeps_retry_after(
    client: TwinClient, api: SimAPI, twin: Twin
) -> None:
    """429 on every attempt: RateLimitError with .retry_after; Retry-After is what we slept."""
    slept = client.record_sleeps()
    api.faults.status(429, 429, 429, 429, 429, retry_after=7)
    with pytest.raises(RateLimitError, match="500 requests a minute") as info:
        client.get_execution(UUIDS[0])
    assert info.value.retry_after == 7.0
    assert slept == [7.0, 7.0, 7.0, 7.0]
    assert len(api.requests) == 5


def test_backoff_is_jittered_exponential_and_capped(api: SimAPI, twin: Twin) -> None:
    """Without Retry-After the waits grow (randomly) and never exceed the cap."""
    transport = twin.sim(api)
    with twin(TOKEN, base_url=BASE, transport=transport, max_retries=6, retry_wait=(1.0, 4.0)) as c:
        slept = c.record_sleeps()
        api.faults.status(503, 503, 503, 503, 503, 503)
        c.get_execution(UUIDS[0])
    assert len(slept) == 6
    assert all(0 <= s <= 4.0 for s in slept)
    assert slept[0] <= 1.0
    assert slept[1] <= 2.0


def test_parse_retry_after_forms() -> None:
    """Retry-After in seconds or as an HTTP date; garbage is ignored."""
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("nan") is None
    now = datetime(2015, 10, 21, 7, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 1680.0


@pytest.mark.parametrize(
    ("body", "content_type", "needle"),
    [
        (b"<html><body>Login</body></html>", "text/html; charset=utf-8", "instead of JSON"),
        (b'{"data": {"uuid": "cc137447', "application/json", "truncated or invalid JSON"),
        (b"", "application/json", "an empty body"),
        (b'"just a string"', "application/json", "not an execution"),
        (b'{"data": [1, 2]}', "application/json", "not an execution"),
    ],
)
def test_unexpected_bodies_are_response_format_errors(
    client: TwinClient, api: SimAPI, body: bytes, content_type: str, needle: str
) -> None:
    """HTML pages, truncated JSON, empty bodies and wrong shapes: ResponseFormatError."""
    api.faults.body(body, content_type=content_type)
    with pytest.raises(ResponseFormatError, match=needle) as info:
        client.get_execution(UUIDS[0])
    assert isinstance(info.value, ValueError)
    assert len(api.requests) == 1


def test_wrong_execution_returned_is_a_format_error(client: TwinClient, api: SimAPI) -> None:
    """A body describing another execution is not silently accepted."""
    api.faults.body(orjson.dumps({"data": EXECUTIONS[1]}))
    with pytest.raises(ResponseFormatError, match="instead"):
        client.get_execution(UUIDS[0])


def test_list_body_without_data_is_a_format_error(client: TwinClient, api: SimAPI) -> None:
    """A list answer that is not {"data": [...]} is a ResponseFormatError."""
    api.faults.body(b'{"message": "ok"}')
    with pytest.raises(ResponseFormatError, match="'data' list"):
        client.list_executions()


# -- over a real socket ------------------------------------------------------------------------


def test_timeouts_retried_then_request_timeout_error(server: SimServer, twin: Twin) -> None:
    """A server slower than the timeout: retried, then RequestTimeoutError (a TimeoutError)."""
    # A timeout long enough for each request to reach the server on a busy machine (at 50 ms
    # the async twin sometimes gave up before the server had read it), far below the latency.
    server.faults.latency(2.0, times=2)
    with (
        on_server(twin, server, timeout=0.5, max_retries=1) as c,
        pytest.raises(RequestTimeoutError, match="timed out") as info,
    ):
        c.get_execution(UUIDS[0])
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, TransportError)
    assert UUIDS[0] in str(info.value)
    assert len(server.requests) == 2


def test_slow_answer_then_success(server: SimServer, twin: Twin) -> None:
    """One slow answer (timeout) then a quick one: success in two requests."""
    server.faults.latency(0.6)
    with on_server(twin, server, timeout=0.25) as c:
        assert c.get_execution(UUIDS[2])["uuid"] == UUIDS[2]
    assert len(server.requests) == 2


def test_resets_and_cut_bodies_are_retried(server: SimServer, twin: Twin) -> None:
    """Connection resets and bodies cut mid-way are retried; then the answer comes."""
    server.faults.reset().disconnect()
    with on_server(twin, server) as c:
        assert c.get_execution(UUIDS[0])["uuid"] == UUIDS[0]
    assert len(server.requests) == 3


def test_persistent_resets_become_transport_error(server: SimServer, twin: Twin) -> None:
    """Resets on every attempt: TransportError naming the URL and what to check."""
    server.faults.reset(times=3)
    with (
        on_server(twin, server, max_retries=2) as c,
        pytest.raises(TransportError, match="network connection") as info,
    ):
        c.list_executions()
    assert not isinstance(info.value, RequestTimeoutError)
    assert info.value.url is not None
    assert len(server.requests) == 3


def test_connection_refused_is_transport_error(twin: Twin) -> None:
    """Nothing listening: TransportError after retries."""
    with (
        twin(TOKEN, base_url="http://127.0.0.1:9", max_retries=1, **FAST) as c,
        pytest.raises(TransportError, match="ConnectError"),
    ):
        c.get_execution(UUIDS[0])


def test_html_502_page_is_server_error_after_retries(server: SimServer, twin: Twin) -> None:
    """A proxy's HTML 502 page is retried, then ServerError (not a format error)."""
    server.faults.html(502, times=3)
    with on_server(twin, server, max_retries=2) as c, pytest.raises(ServerError, match="502"):
        c.get_execution(UUIDS[0])


def test_truncated_json_over_socket_is_response_format_error(server: SimServer, twin: Twin) -> None:
    """Half a JSON body (consistent length) is a ResponseFormatError."""
    server.faults.truncated()
    with on_server(twin, server) as c, pytest.raises(ResponseFormatError):
        c.get_execution(UUIDS[0])


# -- list --------------------------------------------------------------------------------------


def test_list_follows_pages_to_the_end(twin: Twin) -> None:
    """links.next is followed until null; every execution comes once, in order."""
    api = SimAPI(EXECUTIONS, token=TOKEN, max_per_page=7)
    with twin(TOKEN, base_url=BASE, api=api) as c:
        got = c.list_executions()
    assert [e["uuid"] for e in got] == UUIDS
    assert len(api.requests) == 9  # ceil(60 / 7)
    assert [r.query.get("page", "1") for r in api.requests] == [str(n) for n in range(1, 10)]


def test_list_without_links_is_one_page_and_empty_page_stops(twin: Twin) -> None:
    """A body without links/meta is one page; a page with no data ends the listing."""
    transport, seen = recording(lambda r: httpx.Response(200, json={"data": EXECUTIONS[:3]}))
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        assert len(c.list_executions()) == 3
    assert len(seen) == 1

    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        data = EXECUTIONS[:2] if page == 1 else []
        nxt = str(request.url.copy_set_param("page", str(page + 1)))
        return httpx.Response(200, json={"data": data, "links": {"next": nxt}})

    transport, seen = recording(endless)
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        assert len(c.list_executions()) == 2
    assert len(seen) == 2


def test_list_bare_array_and_meta_only_pagination(twin: Twin) -> None:
    """A bare JSON array is one page; meta without links still pages by `page`."""
    transport, _ = recording(lambda r: httpx.Response(200, json=EXECUTIONS[:4]))
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        assert len(c.list_executions()) == 4

    def meta_only(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        data = EXECUTIONS[(page - 1) * 5 : page * 5]
        return httpx.Response(
            200, json={"data": data, "meta": {"current_page": page, "last_page": 3}}
        )

    transport, seen = recording(meta_only)
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        assert len(c.list_executions()) == 15
    assert len(seen) == 3


def test_next_link_to_another_host_is_refused(twin: Twin) -> None:
    """The token is never sent to a host other than the API's, even if links.next says so."""
    body = {"data": EXECUTIONS[:1], "links": {"next": "https://evil.example/steal?page=2"}}
    transport, seen = recording(lambda r: httpx.Response(200, json=body))
    with (
        twin(TOKEN, base_url=BASE, transport=transport) as c,
        pytest.raises(ResponseFormatError, match="another server"),
    ):
        c.list_executions()
    assert [r.url.host for r in seen] == ["plannr.test"]


def test_next_link_loop_stops(twin: Twin) -> None:
    """A server that ignores `page` (the same items again) stops paging with a clear error."""

    def loop(request: httpx.Request) -> httpx.Response:
        nxt = str(request.url.copy_set_param("page", "1"))
        return httpx.Response(200, json={"data": EXECUTIONS[:1], "links": {"next": nxt}})

    transport, seen = recording(loop)
    with (
        twin(TOKEN, base_url=BASE, transport=transport) as c,
        pytest.raises(ResponseFormatError, match="repeats only items"),
    ):
        c.list_executions()
    assert len(seen) == 2


def test_list_filters_become_query_parameters(client: TwinClient, api: SimAPI) -> None:
    """uuids, client_uuids, account_uuids, include and sort are sent as documented."""
    client_account = EXECUTIONS[0]["account"]["uuid"]
    got = client.list_executions(
        uuids=[UUIDS[0].upper(), UUIDS[2], UUIDS[4]],
        client_uuids=client_account,
        include_account=True,
        sort="-created_at",
    )
    query = api.requests[-1].query
    assert query["filter[uuid]"] == f"{UUIDS[0]},{UUIDS[2]},{UUIDS[4]}"
    assert query["filter[client_uuids]"] == client_account
    assert query["include"] == "account"
    assert query["sort"] == "-created_at"
    assert {e["account"]["uuid"] for e in got} == {client_account}
    created = [e["created_at"] for e in got]
    assert created == sorted(created, reverse=True)

    adviser = EXECUTIONS[1]["account"]["uuid"]
    got = client.list_executions(account_uuids=[adviser], include_account=True)
    assert api.requests[-1].query["filter[account_uuids]"] == adviser
    assert got
    assert {e["account"]["uuid"] for e in got} == {adviser}
    assert all("account" not in e for e in client.list_executions(uuids=UUIDS[:3]))


def test_list_by_blueprint(client: TwinClient, api: SimAPI) -> None:
    """blueprint_uuid uses /automation-blueprints/{uuid}/executions."""
    blueprint = EXECUTIONS[0]["blueprint_uuid"]
    got = client.list_executions(blueprint_uuid=blueprint.upper(), sort="created_at")
    assert api.requests[-1].path == f"/api/v1/automation-blueprints/{blueprint}/executions"
    assert [e["uuid"] for e in got] == [
        e["uuid"] for e in EXECUTIONS if e["blueprint_uuid"] == blueprint
    ]


def test_list_many_uuids_is_chunked_and_url_stays_short(twin: Twin) -> None:
    """A long uuids filter is split into requests whose URLs stay well under 8 KB."""
    many = fake_executions(450, seed=11)
    api = SimAPI(many, token=TOKEN)
    with twin(TOKEN, base_url=BASE, api=api) as c:
        got = c.list_executions(uuids=[e["uuid"] for e in many], sort="created_at")
    assert len(got) == 450
    assert len(api.requests) == 5
    created = [e["created_at"] for e in got]
    assert created == sorted(created)
    for request in api.requests:
        assert len(request.uuid_filter) <= 100


# -- batch fetch -------------------------------------------------------------------------------

MISSING = [str(uuid_module.UUID(int=n, version=4)) for n in range(1, 4)]


def test_fetch_executions_accounts_for_every_input(client: TwinClient, api: SimAPI) -> None:
    """Found, duplicated, invalid and missing inputs: each lands in exactly one place."""
    inputs = [UUIDS[5], "../users", UUIDS[1].upper(), MISSING[0], f"{{{UUIDS[5]}}}", UUIDS[1], ""]
    result = client.fetch_executions(inputs)
    assert isinstance(result, FetchResult)
    assert [e["uuid"] for e in result.executions] == [UUIDS[5], UUIDS[1]]
    assert set(result.errors) == {"../users", MISSING[0], ""}
    assert isinstance(result.errors["../users"], InvalidUUIDError)
    assert isinstance(result.errors[MISSING[0]], NotFoundError)
    assert MISSING[0] in str(result.errors[MISSING[0]])
    # one list request, then one single GET for the one the list did not return
    assert [r.path for r in api.requests] == [
        "/api/v1/automation-executions",
        f"/api/v1/automation-executions/{MISSING[0]}",
    ]
    assert api.requests[0].uuid_filter == [UUIDS[5], UUIDS[1], MISSING[0]]
    assert list(result) == result.executions
    assert len(result) == 2
    assert not result.ok
    assert repr(result) == "FetchResult(2 executions, 3 errors)"
    with pytest.raises(InvalidUUIDError):
        result.raise_for_errors()


def test_fetch_uses_100_uuids_a_request(twin: Twin) -> None:
    """250 UUIDs: 3 list requests, none of them with more than 100 UUIDs, URLs under 8 KB."""
    many = fake_executions(250, seed=5)
    api = SimAPI(many, token=TOKEN)
    transport = twin.sim(api)
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        result = c.fetch_executions([e["uuid"] for e in many], include_account=True)
    assert result.ok
    assert [e["uuid"] for e in result] == [e["uuid"] for e in many]
    assert all("account" in e for e in result)
    assert len(api.requests) == 3
    for request in api.requests:
        assert len(request.uuid_filter) <= 100
        assert request.query["include"] == "account"
        url = f"{BASE}{request.path}?{httpx.QueryParams(request.query)}"
        assert len(url) < 8000


def test_fetch_falls_back_to_single_gets_when_list_is_refused(
    client: TwinClient, api: SimAPI
) -> None:
    """A list endpoint answering 422 (filter unsupported): every UUID fetched one by one."""
    api.faults.status(422, path="/api/v1/automation-executions")
    result = client.fetch_executions([UUIDS[0], UUIDS[1], MISSING[1]])
    assert [e["uuid"] for e in result] == UUIDS[:2]
    assert isinstance(result.errors[MISSING[1]], NotFoundError)
    assert len(api.requests) == 4


def test_fetch_falls_back_when_the_filter_is_ignored(twin: Twin) -> None:
    """A server that ignores filter[uuid] is noticed; the rest is fetched one by one."""

    def ignore_filter(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/automation-executions":
            return httpx.Response(200, json={"data": EXECUTIONS[:5], "links": {"next": "?page=2"}})
        uuid = request.url.path.rsplit("/", 1)[1]
        match = [e for e in EXECUTIONS if e["uuid"] == uuid]
        if not match:
            return httpx.Response(404, json={"message": "Not Found."})
        return httpx.Response(200, json={"data": match[0]})

    transport, seen = recording(ignore_filter)
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        result = c.fetch_executions([UUIDS[1], UUIDS[20], MISSING[2]])
    assert [e["uuid"] for e in result] == [UUIDS[1], UUIDS[20]]
    assert isinstance(result.errors[MISSING[2]], NotFoundError)
    assert len(seen) == 3  # one list page, then the two it did not return


def test_fetch_with_bad_token_fails_each_input_without_fallback(api: SimAPI, twin: Twin) -> None:
    """401 on the list request: every UUID gets the AuthenticationError; no single GETs."""
    with twin("wrong", base_url=BASE, api=api) as c:
        result = c.fetch_executions(UUIDS[:10])
    assert result.executions == []
    assert len(result.errors) == 10
    assert all(isinstance(e, AuthenticationError) for e in result.errors.values())
    assert len(api.requests) == 1


def test_fetch_server_errors_after_retries_land_in_errors(client: TwinClient, api: SimAPI) -> None:
    """Persistent 503 on the list: ServerError for each UUID of that chunk, after retries."""
    api.faults.status(*[503] * 5)
    result = client.fetch_executions(UUIDS[:4])
    assert all(isinstance(e, ServerError) for e in result.errors.values())
    assert len(result.errors) == 4
    assert len(api.requests) == 5
    assert len(str(next(iter(result.errors.values())))) < 600


def test_fetch_single_string_and_empty_input(client: TwinClient, api: SimAPI) -> None:
    """A single string is one UUID, not 36 characters; an empty input sends nothing."""
    assert [e["uuid"] for e in client.fetch_executions(UUIDS[0])] == [UUIDS[0]]
    before = len(api.requests)
    empty = client.fetch_executions([])
    assert (empty.executions, empty.errors) == ([], {})
    assert len(api.requests) == before


def test_fetch_progress_bar_writes_to_stderr(
    client: TwinClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """progress=True shows a tqdm bar reaching the total."""
    client.fetch_executions(UUIDS[:30] + MISSING[:1], progress=True)
    err = capsys.readouterr().err
    assert "31/31" in err


def test_fetch_concurrency_is_bounded(twin: Twin) -> None:
    """At most `concurrency` requests are in flight during a batch (seen by the server)."""
    with SimServer(EXECUTIONS, token=TOKEN, latency=0.03) as server:
        missing = [str(uuid_module.UUID(int=n + 100, version=4)) for n in range(20)]
        with on_server(twin, server, concurrency=3) as c:
            result = c.fetch_executions(missing)
        assert len(result.errors) == 20
        assert 1 < server.max_in_flight <= 3


def test_fetch_works_inside_a_running_event_loop(api: SimAPI) -> None:
    """A blocking call from a coroutine (as in a Jupyter cell) works: no asyncio.run inside."""

    async def cell() -> FetchResult:
        with PlannrClient(TOKEN, base_url=BASE, transport=SimTransport(api)) as client:
            return client.fetch_executions(UUIDS[:12])

    assert len(asyncio.run(cell())) == 12


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(UUIDS),
            st.sampled_from(UUIDS).map(str.upper),
            st.sampled_from(MISSING),
            st.text(max_size=40),
        ),
        max_size=40,
    )
)
def test_batch_accounting_property(inputs: list[str]) -> None:
    """Whatever the inputs, each is either fetched or has an error, never both or neither."""
    api = SimAPI(EXECUTIONS, token=TOKEN)
    with PlannrClient(TOKEN, base_url=BASE, transport=SimTransport(api)) as c:
        result = c.fetch_executions(inputs)
    fetched = {e["uuid"] for e in result.executions}
    assert len(fetched) == len(result.executions)
    for value in inputs:
        try:
            canonical: str | None = normalize_uuid(value)
        except InvalidUUIDError:
            canonical = None
        in_executions = canonical in fetched
        in_errors = value in result.errors
        assert in_executions != in_errors, value
        if canonical in UUIDS:
            assert in_executions
    assert all(isinstance(e, PlannrError) for e in result.errors.values())


# -- logging -----------------------------------------------------------------------------------


def test_retries_are_logged_to_plannr_nb(
    client: TwinClient, api: SimAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """Each retry is a warning on the plannr_nb logger, saying what and when."""
    api.faults.status(503)
    with caplog.at_level(logging.WARNING, logger="plannr_nb"):
        client.get_execution(UUIDS[0])
    assert "HTTP 503; retry 1 of 4" in caplog.text
    assert all(r.name == "plannr_nb" for r in caplog.records)


def test_a_500_on_a_list_request_falls_back_to_single_gets(twin: Twin) -> None:
    """A plain 500 on filter[uuid] (perhaps one bad UUID): each UUID is fetched on its own."""
    api = SimAPI(EXECUTIONS[:5], rate_limit=None)
    api.faults.status(500, path="/api/v1/automation-executions")
    wanted = [e["uuid"] for e in EXECUTIONS[:5]]
    with twin("t", base_url=BASE, api=api, **FAST) as client:
        result = client.fetch_executions(wanted)
    assert [e["uuid"] for e in result.executions] == wanted
    assert not result.errors
    assert len(api.requests) == 1 + len(wanted)


# -- issue 11: UUID kinds, demo wording, refused options, test doubles out of the runtime ------


def test_uuid_errors_name_what_the_uuid_should_be(twin: Twin) -> None:
    """An execution UUID is checked as one, a blueprint UUID as one; nothing is sent."""
    transport, seen = recording(lambda r: httpx.Response(500))
    with twin(TOKEN, base_url=BASE, transport=transport) as c:
        with pytest.raises(InvalidUUIDError, match="is not an execution UUID"):
            c.get_execution("nope")
        with pytest.raises(InvalidUUIDError, match="is not an execution UUID"):
            c.list_executions(uuids=[UUIDS[0], "nope"])
        with pytest.raises(InvalidUUIDError, match="is not a blueprint UUID"):
            c.list_executions(blueprint_uuid="nope")
        result = c.fetch_executions(["nope"])
    assert "is not an execution UUID" in str(result.errors["nope"])
    assert seen == []


def test_demo_404_says_the_uuid_is_not_in_the_demo_dataset(twin: Twin) -> None:
    """In demo mode a 404 speaks of the bundled dataset and how to use a real token."""
    missing = MISSING[0]
    with twin.demo(EXECUTIONS[:3]) as demo:
        assert demo.raw.is_demo
        with pytest.raises(NotFoundError) as caught:
            demo.get_execution(missing)
        result = demo.fetch_executions([missing, UUIDS[0]])
    for message in (str(caught.value), str(result.errors[missing])):
        assert "demo dataset" in message
        assert "PLANNR_ACCESS_TOKEN" in message
        assert "firm this token can see" not in message
    real = twin(TOKEN, base_url=BASE, api=SimAPI(EXECUTIONS[:3], token=TOKEN))
    with real, pytest.raises(NotFoundError, match="firm this token can see") as caught:
        real.get_execution(missing)
    assert "demo dataset" not in str(caught.value)


def test_an_unusable_cache_path_is_a_configuration_error(twin: Twin, tmp_path: Path) -> None:
    """cache= naming a file, or a path below one, is refused with the tree's error."""
    a_file = tmp_path / "file"
    a_file.write_text("not a directory")
    for path in (a_file, a_file / "below"):
        with pytest.raises(ConfigurationError, match="cache=None") as caught:
            twin(TOKEN, base_url=BASE, cache=path)
        assert caught.value.option == "cache"
        assert not isinstance(caught.value, OSError)


@pytest.mark.parametrize(
    "code",
    [
        "import plannr_nb._client",
        "import plannr_nb; plannr_nb.PlannrClient; plannr_nb.AsyncPlannrClient",
        "import plannr_nb; plannr_nb.PlannrClient(token='t').close()",
    ],
)
def test_the_runtime_client_does_not_import_the_test_doubles(code: str) -> None:
    """plannr_nb.testing (the simulated API) is loaded only by demo() or by tests."""
    check = (
        f"{code}\nimport sys\n"
        "assert 'plannr_nb.testing' not in sys.modules, 'testing imported'\n"
        "import plannr_nb\n"
        "plannr_nb.PlannrClient.demo().close()\n"
        "assert 'plannr_nb.testing' in sys.modules\n"
        "print('ok')\n"
    )
    result = run_python(check)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_demo_makes_its_history_only_when_a_request_needs_it() -> None:
    """A notebook that asks the demo for today's executions never pays for the six months of
    history (0.3 s); the first list request makes it, once."""
    code = (
        "import plannr_nb as pnb, plannr_nb._history as history\n"
        "made = []\n"
        "real = history.generate_history\n"
        "history.generate_history = lambda now=None: made.append(now) or real(now)\n"
        "with pnb.PlannrClient.demo() as client:\n"
        "    client.get_execution(pnb.DEMO_STORY_UUID)\n"
        "    client.fetch_executions([pnb.DEMO_STORY_UUID, pnb.DEMO_RUNNING_UUID])\n"
        "    assert made == [], made\n"
        "    listed = client.list_executions()\n"
        "    client.get_execution(listed[0]['uuid'])\n"
        "    assert len(made) == 1 and len(listed) > 6000, (made, len(listed))\n"
        "print('ok')\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
