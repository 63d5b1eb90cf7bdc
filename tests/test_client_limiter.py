"""The client-side rate limiter: a sliding window, slowing down as the API's count runs low."""

from __future__ import annotations

import time

import pytest

from plannr_nb import ConfigurationError, PlannrClient
from plannr_nb._ratelimit import RateLimiter
from plannr_nb.testing import SimAPI, SimTransport, fake_executions

EXECUTIONS = fake_executions(30, seed=4)
UUIDS = [e["uuid"] for e in EXECUTIONS]


def send(limiter: RateLimiter) -> float:
    """Ask to send; when allowed, the exchange is over at once (released)."""
    wait = limiter.acquire()
    if wait == 0.0:
        limiter.release()
    return wait


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_window_allows_limit_then_waits_for_the_oldest() -> None:
    """`limit` requests go at once; the next waits until the first leaves the window."""
    clock = FakeClock()
    limiter = RateLimiter(5, period=10.0, clock=clock)
    assert [send(limiter) for _ in range(5)] == [0.0] * 5
    assert send(limiter) == pytest.approx(10.0)
    assert send(limiter) == pytest.approx(10.0)  # nothing booked by a refusal
    clock.now += 4.0
    assert send(limiter) == pytest.approx(6.0)
    clock.now += 6.0
    assert send(limiter) == 0.0


def test_requests_in_flight_count_until_answered() -> None:
    """A request counts from its send until `period` after its answer (it may arrive late)."""
    clock = FakeClock()
    limiter = RateLimiter(2, period=10.0, clock=clock)
    assert limiter.acquire() == limiter.acquire() == 0.0
    clock.now += 30.0
    assert 0 < limiter.acquire() <= 0.05  # both still in flight: look again shortly
    limiter.release()
    assert limiter.acquire() == pytest.approx(10.0)  # answered just now: counts 10 s more
    clock.now += 10.0
    assert limiter.acquire() == 0.0


def test_margin_keeps_480_of_500() -> None:
    """The margin is a share of the limit left unused: 500 a minute allows 480."""
    clock = FakeClock()
    limiter = RateLimiter(500, margin=0.04, clock=clock)
    assert limiter.allowed == 480
    assert [send(limiter) for _ in range(480)] == [0.0] * 480
    assert send(limiter) == pytest.approx(60.0)
    with pytest.raises(ConfigurationError, match="margin"):
        RateLimiter(10, margin=1.0)


def test_no_window_ever_holds_more_than_the_limit() -> None:
    """Send times never put more than `allowed` requests in any period."""
    clock = FakeClock()
    limiter = RateLimiter(7, period=3.0, clock=clock)
    times = []
    for step in range(60):
        clock.now += 0.05 * (step % 3)
        while (pause := send(limiter)) > 0:
            clock.now += pause
        times.append(clock.now)
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t < start + 3.0) <= 7


def test_slows_down_as_remaining_nears_zero() -> None:
    """X-Ratelimit-Remaining below a tenth of the limit spaces requests, more near zero."""
    clock = FakeClock()
    limiter = RateLimiter(500, clock=clock)
    limiter.observe({"x-ratelimit-remaining": "400"})
    assert limiter.spacing == 0.0
    limiter.observe({"x-ratelimit-remaining": "40"})
    some = limiter.spacing
    limiter.observe({"x-ratelimit-remaining": "0"})
    assert 0 < some < limiter.spacing <= 60.0
    assert send(limiter) == 0.0
    assert send(limiter) == pytest.approx(limiter.spacing)
    limiter.observe({"x-ratelimit-remaining": "499"})
    assert limiter.spacing == 0.0
    limiter.observe({"x-ratelimit-remaining": "garbage"})
    limiter.observe({})
    assert limiter.remaining == 499


@pytest.mark.parametrize("limit", [0, -1, 2.5, True])
def test_rejects_nonsense(limit: object) -> None:
    """A limit that is not a whole number of at least 1 is a ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match="at least 1 request") as caught:
        RateLimiter(limit)  # type: ignore[arg-type]
    assert caught.value.option == "rate_limit"
    assert "rate_limit=None" in str(caught.value)


def test_client_limiter_keeps_a_strict_server_happy() -> None:
    """Against a server allowing 5 requests per 0.4 s, a matching limiter never meets a 429."""
    api = SimAPI(EXECUTIONS, rate_limit=5, rate_window=0.4)
    limiter = RateLimiter(5, period=0.5)
    with PlannrClient(
        "t", base_url="https://plannr.test", transport=SimTransport(api), rate_limit=limiter
    ) as c:
        start = time.perf_counter()
        for uuid in UUIDS[:12]:
            c.get_execution(uuid)
        elapsed = time.perf_counter() - start
    assert [r.status for r in api.requests] == [200] * 12
    assert elapsed >= 1.0  # 12 requests at 5 per 0.5 s need two full windows


def test_default_limit_is_480_of_500_a_minute_and_can_be_disabled() -> None:
    """The default client limiter keeps a margin under 500 a minute; None turns it off."""
    with PlannrClient("t", base_url="https://plannr.test") as c:
        assert c._core.limiter is not None
        limiter = c._core.limiter
        assert (limiter.limit, limiter.allowed, limiter.period) == (500, 480, 60.0)
    with PlannrClient("t", base_url="https://plannr.test", rate_limit=None) as c:
        assert c._core.limiter is None
    with pytest.raises(TypeError, match="rate_limit"):
        PlannrClient("t", rate_limit="500")  # type: ignore[arg-type]


def test_client_slows_down_when_the_api_says_few_remain() -> None:
    """Each response's X-Ratelimit-Remaining reaches the limiter; pauses grow as it falls."""
    api = SimAPI(EXECUTIONS, rate_limit=30)
    clock = FakeClock()
    limiter = RateLimiter(500, clock=clock)  # the API says 30 remain: under a tenth of 500
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    with PlannrClient(
        "t", base_url="https://plannr.test", transport=SimTransport(api), rate_limit=limiter
    ) as c:
        c._sleep = sleep
        for uuid in UUIDS[:10]:
            c.get_execution(uuid)
        assert limiter.remaining == 20
    assert len(slept) == 9  # the first request went at once
    assert slept == sorted(slept)
    assert slept[0] > 0
