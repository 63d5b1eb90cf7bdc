"""A client-side rate limiter that keeps us under Plannr's 500 requests a minute.

Pure bookkeeping (no sleeping): :meth:`RateLimiter.acquire` either books a request for *now*
(the moment it is sent) or says how long to wait before asking again, so the synchronous and the
asynchronous clients share it (threads and tasks alike) and tests can drive it with a fake
clock.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable, Mapping

from ._config import RATE_LIMIT_PERIOD
from ._errors import ConfigurationError


class RateLimiter:
    """At most ``limit`` requests in any ``period`` seconds, minus a margin, slowing when told.

    A rolling window guarantees the limit as the server counts it: a request is booked at the
    moment :meth:`acquire` lets it go (never earlier) and counts until ``period`` after
    :meth:`release` (its answer), since it reaches the server somewhere in between.
    ``margin`` (a share of ``limit``) is left unused for clock differences and other users of
    the token: ``RateLimiter(500, margin=0.04)`` sends at most 480 a minute (:attr:`allowed`).
    On top, :meth:`observe` reads ``X-Ratelimit-Remaining``: once fewer than a tenth of the
    limit remain (other notebooks may share the token), requests are spaced out, more the
    closer the count gets to zero.

    One limiter may be shared by several clients (``PlannrClient(rate_limit=limiter)``).
    """

    def __init__(
        self,
        limit: int,
        period: float = RATE_LIMIT_PERIOD,
        *,
        margin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1 or not period > 0:
            msg = (
                f"RateLimiter needs at least 1 request per positive period, got {limit!r:.40} "
                f"per {period!r:.40} s. For no client-side limit, pass rate_limit=None to the "
                "client instead of a RateLimiter."
            )
            raise ConfigurationError(msg, option="rate_limit")
        if not 0.0 <= margin < 1.0:
            msg = f"RateLimiter margin must be a share in [0, 1), got {margin!r:.40}"
            raise ConfigurationError(msg, option="rate_limit")
        self.limit = limit
        self.period = period
        self.margin = margin
        self.allowed = max(1, math.floor(limit * (1.0 - margin) + 1e-9))
        self._clock = clock
        self._lock = threading.Lock()
        # A request may reach the server any time between its send and its answer, so it
        # counts against the window from when it is sent until ``period`` after its answer.
        self._in_flight = 0
        self._done: collections.deque[float] = collections.deque()
        self._last: float | None = None
        self._poll = min(0.05, self.period / self.allowed)
        self._spacing = 0.0
        self.remaining: int | None = None

    def __repr__(self) -> str:
        return f"RateLimiter({self.allowed} of {self.limit} per {self.period:g} s)"

    @property
    def low_water(self) -> int:
        """Below this many remaining requests (per the API), requests are spaced out."""
        return max(1, self.limit // 10)

    @property
    def spacing(self) -> float:
        """The extra gap, in seconds, currently kept between two requests."""
        return self._spacing

    def acquire(self) -> float:
        """Book a request sent now and return 0.0, or return the seconds to wait first.

        Nothing is booked when a wait is returned: call again after waiting. Every booking
        must be ended by :meth:`release` once its exchange is over (answered or failed).
        """
        with self._lock:
            now = self._clock()
            while self._done and self._done[0] <= now - self.period:
                self._done.popleft()
            wait = 0.0
            if self._in_flight + len(self._done) >= self.allowed:
                # Full: the oldest finished request leaves the window first; when all are still
                # in flight, look again shortly.
                wait = self._done[0] + self.period - now if self._done else self._poll
            if self._last is not None and self._spacing:
                wait = max(wait, self._last + self._spacing - now)
            if wait > 0:
                return wait
            self._in_flight += 1
            self._last = now
            return 0.0

    def release(self) -> None:
        """End a booking: its request has surely reached the server by now."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._done.append(self._clock())

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to a response's ``X-Ratelimit-Remaining`` header (ignored when absent)."""
        raw = headers.get("x-ratelimit-remaining")
        if raw is None:
            return
        try:
            remaining = max(0, int(raw))
        except ValueError:
            return
        with self._lock:
            self.remaining = remaining
            if remaining >= self.low_water:
                self._spacing = 0.0
            else:
                base = self.period / self.limit
                self._spacing = base * self.low_water / (remaining + 1)
