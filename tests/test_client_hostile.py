"""Both clients against a hostile loopback server: every failure ends in the error tree.

Every test runs on the blocking and the awaitable client (the ``client`` fixture gives a
blocking view of either).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import gzip
import inspect
import os
import ssl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import trustme
from _hostile import (
    EXECUTIONS_PATH,
    HostileServer,
    broken_status_line,
    corrupt_gzip,
    drip,
    drip_head,
    echo_token,
    endless,
    gzip_body,
    gzip_bomb,
    ignore_filters,
    json,
    max_in_window,
    page,
    rate_limited,
    redirect,
    repeated_pages,
    reset,
    respond,
)

import plannr_nb as pnb
from plannr_nb import (
    ApiError,
    AsyncPlannrClient,
    ConfigurationError,
    PlannrClient,
    PlannrError,
    RateLimitError,
    RequestTimeoutError,
    ResponseFormatError,
    TransportError,
)
from plannr_nb._ratelimit import RateLimiter
from plannr_nb.testing import fake_executions

TOKEN = "hostile-token-0123456789"
EXECUTIONS = fake_executions(1000, seed=21)
UUIDS = [e["uuid"] for e in EXECUTIONS]
FAST: dict[str, Any] = {"retry_wait": (0.0005, 0.002), "rate_limit": None}
MiB = 1024 * 1024


pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer({e["uuid"]: e for e in EXECUTIONS}) as s:
        yield s


@pytest.fixture
def hostile(server: HostileServer) -> HostileServer:
    server.clear()
    return server


class Blocking:
    """The awaitable client's methods, run to completion on one event loop."""

    def __init__(self, client: AsyncPlannrClient, runner: asyncio.Runner) -> None:
        self._client = client
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if inspect.iscoroutinefunction(value):

            @functools.wraps(value)
            def run(*args: Any, **kwargs: Any) -> Any:
                return self._runner.run(value(*args, **kwargs))

            return run
        return value


Maker = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def make(request: pytest.FixtureRequest, server: HostileServer) -> Iterator[Maker]:
    """Build a client of either kind on the hostile server (options as for PlannrClient)."""
    runner = asyncio.Runner()
    closers: list[Callable[[], None]] = []

    def factory(token: str | None = TOKEN, **options: Any) -> Any:
        options = {"base_url": server.url, **FAST, **options}
        if request.param == "sync":
            sync = PlannrClient(token, **options)
            closers.append(sync.close)
            return sync
        client = AsyncPlannrClient(token, **options)
        closers.append(lambda: runner.run(client.aclose()))
        return Blocking(client, runner)

    yield factory
    for close in closers:
        close()
    runner.close()


@pytest.fixture
def client(make: Maker, hostile: HostileServer) -> Any:
    return make()


def one(client: Any) -> dict[str, Any]:
    result: dict[str, Any] = client.get_execution(UUIDS[0])
    return result


# -- decoding and size ------------------------------------------------------------------------


def test_gzip_bodies_are_read(client: Any, hostile: HostileServer) -> None:
    """A well-formed gzip body is inflated (we ask for gzip and deflate only)."""
    hostile.misbehave(gzip_body(gzip.compress(orjson.dumps(EXECUTIONS[0]))))
    assert one(client)["uuid"] == UUIDS[0]
    assert hostile.requests[-1].headers["accept-encoding"] == "gzip, deflate"


def test_corrupt_gzip_is_a_response_format_error(client: Any, hostile: HostileServer) -> None:
    """A corrupt gzip body: ResponseFormatError saying so, not httpx.DecodingError."""
    hostile.misbehave(corrupt_gzip())
    with pytest.raises(ResponseFormatError, match="gzip encoding is corrupt"):
        one(client)


def test_unknown_content_encoding_is_refused(client: Any, hostile: HostileServer) -> None:
    """A coding we did not ask for is refused, not passed through as if it were JSON."""
    hostile.misbehave(respond(200, b"\x00\x01", [("Content-Encoding", "br")]))
    with pytest.raises(ResponseFormatError, match="Content-Encoding 'br'"):
        one(client)


def test_gzip_bomb_stops_at_the_decoded_cap(client: Any, hostile: HostileServer) -> None:
    """0.5 MB of gzip inflating to 512 MB: stopped at max_response_bytes, once decoded."""
    hostile.misbehave(gzip_body(bomb()))
    with pytest.raises(ResponseFormatError, match="inflates to more than") as info:
        one(client)
    assert "max_response_bytes=..." in str(info.value)


@pytest.mark.parametrize("declare", [False, True])
def test_huge_body_stops_at_the_wire_cap(
    make: Maker, hostile: HostileServer, declare: bool
) -> None:
    """100 MB, declared or not: stopped at the cap, and the message says how to raise it."""
    hostile.misbehave(endless(100 * MiB, declare=declare))
    client = make(max_response_bytes=MiB)
    needle = "declares" if declare else "sends more than"
    with pytest.raises(ResponseFormatError, match=needle) as info:
        one(client)
    assert "1,048,576 bytes" in str(info.value)
    assert "PlannrClient(max_response_bytes=...)" in str(info.value)


@functools.cache
def bomb() -> bytes:
    return gzip_bomb(512 * MiB)


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_memory_stays_bounded_for_huge_and_compressed_bodies(
    make: Maker, hostile: HostileServer
) -> None:
    """Peak RSS grows far less than the bodies: 100 MB plain and 512 MB of inflated gzip."""
    payload = bomb()
    if not _reset_peak():
        pytest.skip("cannot reset the peak RSS (/proc/self/clear_refs)")
    before = _peak_rss()
    client = make()
    hostile.misbehave(gzip_body(payload))
    with pytest.raises(ResponseFormatError):
        one(client)
    hostile.misbehave(endless(100 * MiB))
    with pytest.raises(ResponseFormatError):
        make(max_response_bytes=8 * MiB).get_execution(UUIDS[0])
    growth = _peak_rss() - before
    print(f"peak RSS growth: {growth / MiB:.1f} MiB (cap 64 MiB; bodies 512 MB and 100 MB)")
    assert growth < 200 * MiB  # the whole bomb decoded would be 512 MiB


# -- time -------------------------------------------------------------------------------------


def test_a_dripping_server_cannot_hold_a_call(make: Maker, hostile: HostileServer) -> None:
    """A byte every 100 ms: timeout=0.5 ends the attempt, not the server's pace (5 s)."""
    hostile.misbehave(drip(orjson.dumps({"data": EXECUTIONS[0]})[:50], every=0.1))
    client = make(timeout=0.5, max_retries=0)
    start = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"0\.5 s timeout"):
        one(client)
    assert time.monotonic() - start < 2.5


def test_a_server_dripping_its_headers_cannot_hold_a_call(
    make: Maker, hostile: HostileServer
) -> None:
    """Status line and headers a byte every 100 ms (5 s and more): timeout=1 ends it anyway."""
    hostile.misbehave(drip_head(every=0.1, seconds=5))
    client = make(timeout=1, max_retries=0)
    start = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"1 s timeout"):
        one(client)
    assert time.monotonic() - start < 4  # the head alone takes 5 s and more to arrive


def test_the_deadline_also_bounds_an_injected_http_transport(hostile: HostileServer) -> None:
    """transport=httpx.HTTPTransport(...) (own TLS settings, say) keeps the whole deadline."""
    hostile.misbehave(drip_head(every=0.1, seconds=5))
    with PlannrClient(
        TOKEN, base_url=hostile.url, timeout=1, max_retries=0, transport=httpx.HTTPTransport()
    ) as client:
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            one(client)
        assert time.monotonic() - start < 4
        assert one(client)["uuid"] == UUIDS[0]  # and the next call goes through


@pytest.mark.parametrize("form", ["seconds", "date"])
def test_retry_after_beyond_the_cap_fails_at_once(
    client: Any, hostile: HostileServer, form: str
) -> None:
    """Retry-After of an hour (either form): RateLimitError at once, retry_after set."""
    later = datetime.now(UTC) + timedelta(hours=1)
    value = "3600" if form == "seconds" else email.utils.format_datetime(later, usegmt=True)
    hostile.misbehave(rate_limited(value), times=5)
    with pytest.raises(RateLimitError, match="longer than the client waits") as info:
        one(client)
    assert info.value.retry_after == pytest.approx(3600, abs=5)
    assert len(hostile.requests) == 1


def test_short_retry_after_date_is_waited_for(client: Any, hostile: HostileServer) -> None:
    """An HTTP-date Retry-After a moment away is honoured, then the call succeeds."""
    soon = email.utils.format_datetime(datetime.now(UTC), usegmt=True)
    hostile.misbehave(rate_limited(soon))
    assert one(client)["uuid"] == UUIDS[0]
    assert len(hostile.requests) == 2


# -- protocol ---------------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", [broken_status_line, reset])
def test_protocol_errors_and_resets_are_transport_errors(
    make: Maker, hostile: HostileServer, behaviour: Callable[[], Any]
) -> None:
    """A broken status line or a reset, every attempt: TransportError after the retries."""
    hostile.misbehave(behaviour(), times=3)
    with pytest.raises(TransportError) as info:
        make(max_retries=2).get_execution(UUIDS[0])
    assert "3 attempts" in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_redirect_is_reported_with_its_location(client: Any, hostile: HostileServer) -> None:
    """A 301 is never followed nor read as data: ApiError naming the Location."""
    hostile.misbehave(redirect(301, "https://elsewhere.example/api"))
    with pytest.raises(ApiError, match=r"answered 301 to https://elsewhere\.example/api") as info:
        one(client)
    assert info.value.status_code == 301
    assert "base_url" in str(info.value)
    assert len(hostile.requests) == 1


def test_redirect_loop_on_a_list_is_one_request(client: Any, hostile: HostileServer) -> None:
    """A redirect to itself does not loop: the first 302 is the answer."""
    hostile.misbehave(redirect(302, EXECUTIONS_PATH), times=10)
    with pytest.raises(ApiError, match="answered 302"):
        client.list_executions()
    assert len(hostile.requests) == 1


# -- lists ------------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["http://[::1", "https://exa mple.com:99999/", 42, ["x"]])
def test_malformed_next_link_is_a_response_format_error(
    client: Any, hostile: HostileServer, link: object
) -> None:
    """links.next that is no URL: ResponseFormatError, not httpx.InvalidURL."""
    hostile.misbehave(page(EXECUTIONS[:2], link))
    with pytest.raises(ResponseFormatError):
        client.list_executions()


def test_next_link_to_another_port_is_refused(client: Any, hostile: HostileServer) -> None:
    """A next page on another port (or scheme) of the same host is another server."""
    hostile.misbehave(page(EXECUTIONS[:2], "https://127.0.0.1:1/api/v1/automation-executions"))
    with pytest.raises(ResponseFormatError, match="another server"):
        client.list_executions()


def test_pages_repeating_the_same_items_stop(client: Any, hostile: HostileServer) -> None:
    """A server ignoring `page` stops paging at the second page, with a clear error."""
    hostile.misbehave(repeated_pages(EXECUTIONS[:3]), times=100)
    with pytest.raises(ResponseFormatError, match="repeats only items"):
        client.list_executions()
    assert len(hostile.requests) == 2


def test_next_link_back_to_a_read_page_stops(client: Any, hostile: HostileServer) -> None:
    """links.next pointing at a page already read: an error, not a loop."""
    hostile.misbehave(page(EXECUTIONS[:2], f"{hostile.url}{EXECUTIONS_PATH}?page=2"))
    hostile.misbehave(page(EXECUTIONS[2:4], f"{hostile.url}{EXECUTIONS_PATH}?page=2"))
    with pytest.raises(ResponseFormatError, match="page already read"):
        client.list_executions()


def test_list_returns_only_what_was_asked(client: Any, hostile: HostileServer) -> None:
    """A server ignoring filter[uuid] still yields only the UUIDs asked for."""
    hostile.misbehave(ignore_filters())
    got = client.list_executions(uuids=[UUIDS[5], UUIDS[7]])
    assert sorted(e["uuid"] for e in got) == sorted([UUIDS[5], UUIDS[7]])


# -- batches ----------------------------------------------------------------------------------

CHUNK_FAULTS: dict[str, Callable[[], Any]] = {
    "corrupt gzip": corrupt_gzip,
    "gzip bomb": lambda: gzip_body(bomb()),
    "huge body": lambda: endless(100 * MiB),
    "malformed next": lambda: page(EXECUTIONS[:1], "http://[::1"),
    "truncated json": lambda: respond(200, b'{"data": [{"uuid": '),
    "html": lambda: respond(200, b"<html>proxy</html>", [("Content-Type", "text/html")]),
    "broken status line": broken_status_line,
    "reset": reset,
    "redirect": lambda: redirect(301, "https://elsewhere.example/"),
    "retry after a day": lambda: rate_limited("86400"),
    "item without uuid": lambda: json({"data": [{"id": 1}]}),
    "unicode garbage": lambda: respond(200, b"\xff\xfe\x00garbage"),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CHUNK_FAULTS))
def test_one_bad_chunk_never_loses_a_batch(make: Maker, hostile: HostileServer, fault: str) -> None:
    """1,000 UUIDs, one list request misbehaving (every attempt): every input is answered."""
    marker = UUIDS[300]  # the first UUID of the fourth chunk
    hostile.misbehave(CHUNK_FAULTS[fault](), match=marker, times=3)
    client = make(max_retries=2, max_response_bytes=4 * MiB, concurrency=8)
    result = client.fetch_executions(UUIDS)
    assert set(result.errors) | {e["uuid"] for e in result.executions} == set(UUIDS)
    assert len(result.errors) + len(result.executions) == len(UUIDS)
    assert all(isinstance(error, PlannrError) for error in result.errors.values())
    assert len(result.executions) >= 900


# -- the rate limiter over a socket -------------------------------------------------------------


def test_limiter_holds_over_a_socket_with_threads_and_tasks(hostile: HostileServer) -> None:
    """8 threads, then 8 tasks, share one limiter: the server never sees more than the limit."""
    limit, window = 8, 0.25
    limiter = RateLimiter(limit, window, margin=0.1)

    with (
        PlannrClient(TOKEN, base_url=hostile.url, rate_limit=limiter) as sync,
        ThreadPoolExecutor(8) as pool,
    ):
        list(pool.map(sync.get_execution, UUIDS[:16]))

    async def tasks() -> None:
        async with AsyncPlannrClient(TOKEN, base_url=hostile.url, rate_limit=limiter) as client:
            await asyncio.gather(*(client.get_execution(u) for u in UUIDS[16:32]))

    asyncio.run(tasks())
    times = [seen.at for seen in hostile.requests]
    assert len(times) == 32
    assert max_in_window(times, window) <= limit
    assert max_in_window(times, window) >= 2  # the window was used, not one at a time


# -- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[HostileServer, trustme.CA]]:
    """The hostile server over https://, its certificate issued by a CA of its own."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with HostileServer({e["uuid"]: e for e in EXECUTIONS[:3]}, tls=context) as served:
        yield served, authority


def test_https_is_verified_against_the_trust_store_in_force(
    make: Maker,
    tls_server: tuple[HostileServer, trustme.CA],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A certificate from a CA the client does not trust: a TransportError that says so, and
    no request (so no token) sent. Once $SSL_CERT_FILE names that CA, a new client is served;
    a client keeps the trust store it was made with."""
    server, authority = tls_server
    server.clear()
    untrusting = make(base_url=server.url, max_retries=0)
    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED") as info:
        untrusting.get_execution(UUIDS[0])
    assert TOKEN not in str(info.value)
    assert server.requests == []
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    trusting = make(base_url=server.url)
    assert trusting.get_execution(UUIDS[0])["uuid"] == UUIDS[0]
    assert [seen.headers["authorization"] for seen in server.requests] == [f"Bearer {TOKEN}"]
    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusting.get_execution(UUIDS[1])
    assert len(server.requests) == 1


# -- what is refused before anything is sent ---------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.plannrcrm.com", "http://10.0.0.5:8080", "http://a.b"])
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    """Plain http:// beyond loopback: refused at construction, naming URL and the opt-in."""
    for cls in (PlannrClient, AsyncPlannrClient):
        with pytest.raises(ConfigurationError, match="allow_insecure_http=True") as info:
            cls(TOKEN, base_url=url)
        assert url in str(info.value)
        assert info.value.option == "base_url"
        assert isinstance(info.value, PlannrError | ValueError)
    PlannrClient(TOKEN, base_url=url, allow_insecure_http=True).close()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1", "http://127.9.9.9", "http://[::1]:8000", "http://localhost:1"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    """Loopback (127.0.0.0/8, ::1, localhost) may use plain http (tests, local proxies)."""
    PlannrClient(TOKEN, base_url=url).close()


def test_credentials_in_base_url_are_refused_without_showing_them() -> None:
    """user:password@ in base_url is refused; the password is not repeated."""
    with pytest.raises(ConfigurationError, match="user name or password") as info:
        PlannrClient(TOKEN, base_url="https://me:s3cret-pw@api.plannrcrm.com")
    assert "s3cret-pw" not in str(info.value)
    with pytest.raises(ConfigurationError, match="not an http"):
        PlannrClient(TOKEN, base_url="ftp://api.plannrcrm.com")
    with pytest.raises(TypeError, match="allow_insecure_http"):
        PlannrClient(TOKEN, allow_insecure_http="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("option", "value", "advice"),
    [
        ("max_retries", -1, "0 or more"),
        ("max_retries", 2.5, "whole number"),
        ("concurrency", 0, "1 or more"),
        ("max_response_bytes", 0, "1 or more"),
        ("max_response_bytes", "64 MiB", "whole number of bytes"),
        ("timeout", 0, "more than 0"),
        ("timeout", "30", "number of seconds"),
        ("timeout", httpx.Timeout(5.0, read=-1.0), "more than 0"),
        ("retry_wait", (30.0, 1.0), "first <= largest"),
        ("retry_wait", (-1.0, 1.0), "0 or more"),
        ("rate_limit", -500, "0 or more"),
    ],
)
def test_invalid_options_are_configuration_errors(option: str, value: Any, advice: str) -> None:
    """Every option the client refuses is one ConfigurationError naming it and what to pass."""
    for cls in (PlannrClient, AsyncPlannrClient):
        with pytest.raises(ConfigurationError, match=advice) as info:
            cls(TOKEN, base_url="https://plannr.test", **{option: value})
        assert info.value.option == option
        assert option in str(info.value)


def test_connect_names_a_refused_plannr_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """PLANNR_BASE_URL=http://... with a token: the error names the variable, not base_url."""
    monkeypatch.setenv("PLANNR_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("PLANNR_BASE_URL", "http://api.example.com")
    with pytest.raises(ConfigurationError, match="PLANNR_BASE_URL") as info:
        pnb.connect()
    assert "http://api.example.com" in str(info.value)
    assert "allow_insecure_http=True" in str(info.value)
    with pnb.connect(allow_insecure_http=True) as client:  # the opt-in reaches the client
        assert client.base_url == "http://api.example.com"
    with pnb.connect(base_url="https://plannr.test") as client:  # an explicit base_url wins
        assert client.base_url == "https://plannr.test"
    monkeypatch.setenv("PLANNR_BASE_URL", "https://sandbox.plannr.test/")
    with pnb.connect() as client:
        assert (client.base_url, client.is_demo) == ("https://sandbox.plannr.test", False)
    with pytest.raises(ConfigurationError, match="max_retries") as info:
        pnb.connect(max_retries=-1)  # another option's refusal is passed on as it is
    assert "PLANNR_BASE_URL" not in str(info.value)


def test_connect_takes_a_blank_token_for_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """connect() uses the client's token rule: blank is none (the demo), "Bearer x" is x."""
    monkeypatch.setenv("PLANNR_ACCESS_TOKEN", "   ")
    with pnb.connect() as client:
        assert client.is_demo
    with pnb.connect(token="  ") as client:
        assert client.is_demo
    with pnb.connect(token="Bearer abc-123") as client:
        assert not client.is_demo
        assert client._core.token is not None
        assert client._core.token.reveal() == "abc-123"


def test_bearer_prefix_and_blank_tokens(make: Maker, hostile: HostileServer) -> None:
    """ "Bearer abc" is sent as `Bearer abc`; a blank token is no token (nothing sent)."""
    one(make("  Bearer abc-123-token  "))
    assert hostile.requests[-1].headers["authorization"] == "Bearer abc-123-token"
    count = len(hostile.requests)
    with pytest.raises(PlannrError, match="no Plannr access token"):
        one(make("   "))
    assert len(hostile.requests) == count


@pytest.mark.parametrize("value", ["false", "true", 0, 1, None])
def test_flags_take_booleans_only(client: Any, hostile: HostileServer, value: object) -> None:
    """include_account="false" is a TypeError, not a yes; so is progress="no"."""
    with pytest.raises(TypeError, match="include_account must be True or False"):
        client.get_execution(UUIDS[0], include_account=value)
    with pytest.raises(TypeError, match="include_account"):
        client.list_executions(include_account=value)
    with pytest.raises(TypeError, match="include_account"):
        client.fetch_executions(UUIDS[:1], include_account=value)
    with pytest.raises(TypeError, match="progress"):
        client.fetch_executions(UUIDS[:1], progress=value)
    assert hostile.requests == []


def test_next_link_from_https_to_http_is_refused() -> None:
    """links.next may not downgrade https to http (same host): the token stays on TLS."""
    body = {"data": EXECUTIONS[:1], "links": {"next": "http://plannr.test/api?page=2"}}
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
    with (
        PlannrClient(TOKEN, base_url="https://plannr.test", transport=transport) as c,
        pytest.raises(ResponseFormatError, match="another server"),
    ):
        c.list_executions()


def test_error_bodies_are_kept_as_a_short_excerpt(client: Any, hostile: HostileServer) -> None:
    """An error keeps at most 1 KiB of the body in .response, never the whole body."""
    hostile.misbehave(json({"message": "x" * 200_000}, 404))
    with pytest.raises(ApiError) as info:
        one(client)
    assert info.value.response is not None
    assert len(info.value.response.content) <= 1024
    assert len(str(info.value)) < 1000


def test_echoed_token_is_masked_everywhere(client: Any, hostile: HostileServer) -> None:
    """A server echoing the Authorization header: masked in message, body and headers."""
    hostile.misbehave(echo_token(422))
    with pytest.raises(ApiError) as info:
        one(client)
    error = info.value
    assert TOKEN not in str(error)
    assert error.response is not None
    assert TOKEN not in error.response.text
    assert TOKEN not in str(error.response.headers)
    assert "[redacted]" in error.response.headers["x-echo"]
