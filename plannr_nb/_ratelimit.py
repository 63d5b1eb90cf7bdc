"""A client-side rate limiter that keeps us under Plannr's 500 requests a minute.

Pure bookkeeping (no sleeping): :meth:`RateLimiter.reserve` books a send time and says how long
to wait for it, so the synchronous and the asynchronous clients share it and tests can drive it
with a fake clock.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Mapping


class RateLimiter:
    """At most ``limit`` requests in any ``period`` seconds, slowing down when the API says so.

    A sliding window of booked send times guarantees the limit. On top, :meth:`observe` reads
    ``X-Ratelimit-Remaining``: once fewer than a tenth of the limit remain (other notebooks may
    share the token), requests are spaced out, more the closer the count gets to zero.
    """

    def __init__(
        self,
        limit: int,
        period: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or period <= 0:
            msg = f"rate limit must be at least 1 request per positive period, got {limit}/{period}"
            raise ValueError(msg)
        self.limit = limit
        self.period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._booked: collections.deque[float] = collections.deque(maxlen=limit)
        self._spacing = 0.0
        self.remaining: int | None = None

    @property
    def low_water(self) -> int:
        """Below this many remaining requests (per the API), requests are spaced out."""
        return max(1, self.limit // 10)

    @property
    def spacing(self) -> float:
        """The extra gap, in seconds, currently kept between two requests."""
        return self._spacing

    def reserve(self) -> float:
        """Book the next send time; return the seconds to wait before sending (0 = now)."""
        with self._lock:
            now = self._clock()
            when = now
            if len(self._booked) == self.limit:
                when = max(when, self._booked[0] + self.period)
            if self._booked and self._spacing:
                when = max(when, self._booked[-1] + self._spacing)
            self._booked.append(when)
            return when - now

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
