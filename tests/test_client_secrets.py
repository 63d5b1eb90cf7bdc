"""The canary token: never in repr, errors (str, repr, .request, causes) or log records."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import _hostile as hostile
import pytest
from conftest import FAST_RETRIES

import plannr_nb as pnb
from plannr_nb import AsyncPlannrClient, PlannrClient, PlannrError, _connect
from plannr_nb.testing import AsyncSimTransport, SimAPI, SimServer, SimTransport, fake_executions

CANARY = "canary-7f3a9c1e-DO-NOT-LEAK"
EXECUTIONS = fake_executions(10, seed=2)
UUIDS = [e["uuid"] for e in EXECUTIONS]
MISSING = "00000000-0000-4000-8000-000000000000"
FAST = FAST_RETRIES


pytestmark = pytest.mark.usefixtures("clean_env")


def chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def assert_clean(error: BaseException) -> None:
    for link in chain(error):
        assert CANARY not in str(link)
        assert CANARY not in repr(link)
        if hasattr(link, "__dict__"):
            assert CANARY not in repr(vars(link))
        for attribute in ("request", "_request"):
            request = getattr(link, attribute, None)
            if request is not None:
                assert CANARY not in str(dict(request.headers.items())), type(link)
        response = getattr(link, "response", None)
        if response is not None and getattr(response, "_request", None) is not None:
            assert CANARY not in str(dict(response.request.headers.items()))


def provoke(client: PlannrClient, api: SimAPI) -> list[PlannrError]:
    errors: list[PlannrError] = []
    faults = [
        lambda: api.faults.status(404),
        lambda: api.faults.status(422),
        lambda: api.faults.status(403),
        lambda: api.faults.status(*[503] * 3),
        lambda: api.faults.status(*[429] * 3, retry_after="0"),
        lambda: api.faults.reset(times=3),
        lambda: api.faults.latency(0.6, times=3),
        lambda: api.faults.html(),
        lambda: api.faults.truncated(),
    ]
    for inject in faults:
        inject()
        with pytest.raises(PlannrError) as info:
            client.get_execution(UUIDS[0])
        errors.append(info.value)
        api.faults.clear()
    result = client.fetch_executions([MISSING, "../etc/passwd"])
    errors.extend(result.errors.values())
    api.faults.status(*[503] * 3)
    errors.extend(client.fetch_executions(UUIDS[:3]).errors.values())
    return errors


def test_canary_token_never_leaks_sync(caplog: pytest.LogCaptureFixture) -> None:
    """Every kind of failure, over a socket: the token is in no error and no log record."""
    with SimServer(EXECUTIONS, token=CANARY) as server, caplog.at_level(logging.DEBUG):
        client = PlannrClient(CANARY, base_url=server.url, timeout=0.25, max_retries=2, **FAST)
        with client:
            assert CANARY not in repr(client)
            assert CANARY not in str(client)
            errors = provoke(client, server.api)
            assert server.requests[0].headers["Authorization"] == f"Bearer {CANARY}"
        with PlannrClient("wrong-" + CANARY, base_url=server.url) as wrong:
            with pytest.raises(PlannrError) as info:
                wrong.get_execution(UUIDS[0])
            errors.append(info.value)
            assert CANARY not in repr(wrong)
        with PlannrClient(CANARY, base_url="http://127.0.0.1:9", max_retries=0) as dead:
            with pytest.raises(PlannrError) as info:
                dead.get_execution(UUIDS[0])
            errors.append(info.value)
    kinds = {type(e).__name__ for e in errors}
    assert {
        "NotFoundError",
        "ValidationError",
        "PermissionDeniedError",
        "ServerError",
        "RateLimitError",
        "TransportError",
        "RequestTimeoutError",
        "ResponseFormatError",
        "InvalidUUIDError",
        "AuthenticationError",
    } <= kinds
    for error in errors:
        assert_clean(error)
    assert CANARY not in caplog.text
    for record in caplog.records:
        assert CANARY not in repr(record.args)


def test_canary_token_never_leaks_async(caplog: pytest.LogCaptureFixture) -> None:
    """The async client keeps the token out of repr, errors and logs too."""
    api = SimAPI(EXECUTIONS, token=CANARY)

    async def main() -> list[BaseException]:
        errors: list[BaseException] = []
        async with AsyncPlannrClient(
            CANARY, base_url="https://plannr.test", transport=AsyncSimTransport(api), **FAST
        ) as client:
            assert CANARY not in repr(client)
            for inject in (
                lambda: api.faults.status(404),
                lambda: api.faults.reset(times=5),
                lambda: api.faults.status(*[502] * 5),
            ):
                inject()
                try:
                    await client.get_execution(UUIDS[1])
                except PlannrError as exc:
                    errors.append(exc)
            errors.extend((await client.fetch_executions([MISSING])).errors.values())
        return errors

    with caplog.at_level(logging.DEBUG):
        errors = asyncio.run(main())
    assert len(errors) == 4
    for error in errors:
        assert_clean(error)
    assert CANARY not in caplog.text


def test_sync_transport_errors_do_not_chain_httpx_exceptions() -> None:
    """Our TransportError is raised fresh: no httpx exception (holding the request) behind it."""
    api = SimAPI(EXECUTIONS, token=CANARY)
    api.faults.reset(times=5)
    transport = SimTransport(api)
    client = PlannrClient(CANARY, base_url="https://plannr.test", transport=transport, **FAST)
    with client, pytest.raises(PlannrError) as info:
        client.get_execution(UUIDS[0])
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (400, "application/json", b'{"message": "bad header: Bearer ' + CANARY.encode() + b'"}'),
        (200, "text/html", b"<html>Authorization: Bearer " + CANARY.encode() + b"</html>"),
        (200, "application/json", b'{"uuid": "' + CANARY.encode() + b'", '),
    ],
)
def test_a_server_echoing_the_token_does_not_leak_it(
    status: int, content_type: str, body: bytes
) -> None:
    """Error messages quote bodies; a body that echoes the token has it masked."""
    import httpx

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": content_type})

    with (
        PlannrClient(
            CANARY, base_url="https://plannr.test", transport=httpx.MockTransport(echo)
        ) as c,
        pytest.raises(PlannrError) as info,
    ):
        c.get_execution(UUIDS[0])
    assert_clean(info.value)
    assert "[redacted]" in str(info.value)


def assert_traceback_clean(error: BaseException) -> None:
    """The traceback formatted with every frame's locals does not hold the token either."""
    text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    assert CANARY not in text
    assert_clean(error)


def hostile_faults() -> dict[str, Callable[[], hostile.Behaviour]]:
    return {
        "corrupt gzip": hostile.corrupt_gzip,
        "gzip over the cap": lambda: hostile.gzip_body(hostile.gzip_bomb(8 * 1024 * 1024)),
        "huge body": lambda: hostile.endless(20 * 1024 * 1024),
        "drip": lambda: hostile.drip(b'{"data": {"uuid": "x"}}', every=0.1),
        "broken status line": hostile.broken_status_line,
        "reset": hostile.reset,
        "redirect": lambda: hostile.redirect(301, "https://elsewhere.example/"),
        "retry after a day": lambda: hostile.rate_limited("86400"),
        "echo 400": hostile.echo_token,
        "echo 422": lambda: hostile.echo_token(422),
        "echo 200": lambda: hostile.echo_token(200),
        "malformed next": lambda: hostile.page(EXECUTIONS[:1], "http://[::1"),
    }


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_canary_never_leaks_from_hostile_servers(kind: str) -> None:
    """Each new failure kind, both twins: repr, str, .request, .response, traceback locals."""
    errors: list[BaseException] = []
    with hostile.HostileServer({e["uuid"]: e for e in EXECUTIONS}) as server:
        options: dict[str, Any] = {
            "base_url": server.url,
            "timeout": 0.4,
            "max_retries": 1,
            "max_response_bytes": 2 * 1024 * 1024,
            "rate_limit": None,
            **FAST,
        }
        for name, fault in hostile_faults().items():
            server.misbehave(fault(), times=2)
            if kind == "sync":
                with PlannrClient(CANARY, **options) as client:
                    call = (
                        client.list_executions
                        if name == "malformed next"
                        else functools.partial(client.get_execution, UUIDS[0])
                    )
                    try:
                        call()
                    except PlannrError as exc:
                        errors.append(exc)
                    errors.extend(client.fetch_executions(UUIDS[:3]).errors.values())
            else:

                async def main(name: str = name) -> None:
                    async with AsyncPlannrClient(CANARY, **options) as client:
                        try:
                            if name == "malformed next":
                                await client.list_executions()
                            else:
                                await client.get_execution(UUIDS[0])
                        except PlannrError as exc:
                            errors.append(exc)

                asyncio.run(main())
            server.clear()
    assert len(errors) >= len(hostile_faults())
    kinds = {type(error).__name__ for error in errors}
    assert {"ResponseFormatError", "RequestTimeoutError", "TransportError", "ApiError"} <= kinds
    for error in errors:
        assert_traceback_clean(error)


def our_frames_clean(error: BaseException) -> None:
    """No frame of plannr_nb, in ``error`` or its chain, holds the canary in a local.

    The test's own frames hold CANARY as a constant, not as a local of ours: only frames in
    the package count (their locals as a traceback formatted with locals shows them).
    """
    for link in chain(error):
        summary = traceback.TracebackException.from_exception(link, capture_locals=True)
        ours = [frame for frame in summary.stack if "plannr_nb" in frame.filename]
        assert ours, "the error was not raised inside plannr_nb"
        for frame in ours:
            assert CANARY not in repr(frame.locals), (frame.filename, frame.name)
        text = "".join(summary.format())
        assert CANARY not in text.split("plannr_nb", 1)[-1]


def test_canary_never_leaks_from_refused_construction() -> None:
    """Refused at construction (plain http, bad token): no frame local shows the token."""
    cases: list[Callable[[], object]] = [
        lambda: PlannrClient(CANARY, base_url="http://api.example.com"),
        lambda: AsyncPlannrClient(CANARY, base_url="https://u:p@api.example.com"),
        lambda: PlannrClient(CANARY + " \n", max_retries=-1),
        lambda: PlannrClient(CANARY + "\u00e9x"),
        lambda: PlannrClient(CANARY, timeout="soon"),  # type: ignore[arg-type]
    ]
    for case in cases:
        with pytest.raises((ValueError, PlannrError)) as info:
            case()
        assert_clean(info.value)
        our_frames_clean(info.value)


@pytest.mark.parametrize(
    ("env", "options"),
    [
        ({"PLANNR_BASE_URL": "http://example.invalid"}, {"token": CANARY}),
        ({"PLANNR_BASE_URL": "http://example.invalid"}, {"token": f"Bearer {CANARY}"}),
        ({"PLANNR_BASE_URL": "http://example.invalid", "PLANNR_ACCESS_TOKEN": CANARY}, {}),
        ({}, {"token": CANARY, "base_url": "https://u:p@example.invalid"}),
        ({}, {"token": CANARY, "max_retries": -1}),
        ({}, {"token": CANARY, "demo": False, "rate_limit": "lots"}),
        ({}, {"token": CANARY + "\u00e9"}),
    ],
)
def test_canary_never_leaks_from_connect(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], options: dict[str, Any]
) -> None:
    """connect(token=...) that raises: not in the error, its chain or our frames' locals."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises((PlannrError, TypeError)) as info:
        pnb.connect(**options)
    assert_clean(info.value)
    our_frames_clean(info.value)
    frames = traceback.TracebackException.from_exception(info.value, capture_locals=True).stack
    assert any(frame.name == "connect" for frame in frames)


def test_connect_keeps_the_token_out_of_its_locals_while_it_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even mid-call (a debugger, a profiler), connect's frame shows the masked holder only."""
    seen: list[str] = []

    def spy(*args: Any, **kwargs: Any) -> PlannrClient:
        caller = sys._getframe(1)
        seen.append(repr(caller.f_locals))
        return real(*args, **kwargs)

    real = PlannrClient
    monkeypatch.setattr(_connect, "PlannrClient", spy)
    with pnb.connect(token=CANARY, base_url="https://plannr.test") as client:
        assert client.base_url == "https://plannr.test"
    assert seen
    assert CANARY not in seen[0]
    assert "_Token([redacted])" in seen[0]


def test_the_client_and_its_http_client_do_not_show_the_token() -> None:
    """repr of the client, its httpx client, its auth and its core's attributes are clean."""
    client = PlannrClient(CANARY, base_url="https://plannr.test")
    with client:
        for thing in (client, client._http, client._http.auth, client._core.token):
            assert CANARY not in repr(thing)
        assert CANARY not in repr(vars(client._core))
        assert CANARY not in str(dict(client._http.headers))
