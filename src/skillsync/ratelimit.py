"""Request budgets, waits and retries: how skillsync stays inside the API's limits.

Genesys Cloud allows each access token a number of requests per rolling minute.
`RequestBudget` keeps a token under that number on the client side, so that a
steady run never sees a 429; `RetryPolicy` says which failures are worth another
attempt and how long to back off before it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import httpx

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
DEFAULT_RATE_LIMIT = 300

# What is worth another attempt: gateway errors, timeouts and dropped connections.
RETRIED_STATUSES = frozenset({502, 503, 504})
RETRIED_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class Clock(Protocol):
    """Time as skillsync reads it; tests pass one that never really sleeps."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        ...


class SystemClock:
    """The real monotonic clock and `asyncio.sleep`."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(seconds)


class RequestBudget:
    """At most `limit` requests in any rolling window of `window` seconds.

    A request holds a slot from the moment it is sent until `window` seconds
    after its answer arrived. The server saw it somewhere in between, so a slot
    freed this way is free on the server too, whatever the network's delays.
    """

    def __init__(
        self, limit: int, clock: Clock, window: float = WINDOW_SECONDS, name: str = ""
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.name = name
        self.in_flight = 0
        self.finished: deque[float] = deque()
        self.paused_until = 0.0
        self.released = asyncio.Event()
        self.pacing_since: float | None = None
        self.waited = 0.0  # seconds spent with requests held back

    def used(self) -> int:
        """Slots held now: requests in flight plus those answered within the window."""
        horizon = self.clock.now() - self.window
        while self.finished and self.finished[0] <= horizon:
            self.finished.popleft()

        return self.in_flight + len(self.finished)

    def wait_needed(self) -> float | None:
        """Seconds until a slot frees; 0 when one is free now; None when only an
        answer to a request in flight can free one."""
        now = self.clock.now()
        if self.paused_until > now:
            return self.paused_until - now

        if self.used() < self.limit:
            return 0.0

        if self.finished:
            return max(self.finished[0] + self.window - now, 0.001)

        return None

    async def acquire(self) -> None:
        """Wait until a slot is free, then hold it."""
        while (wait := self.wait_needed()) != 0.0:
            self.note_pacing(wait)
            if wait is None:
                self.released.clear()
                await self.released.wait()
            else:
                await self.clock.sleep(wait)

        if self.pacing_since is not None:
            self.waited += self.clock.now() - self.pacing_since
            self.pacing_since = None

        self.in_flight += 1

    def release(self) -> None:
        """The held request was answered (or failed): its slot frees in a window."""
        self.in_flight -= 1
        self.finished.append(self.clock.now())
        self.released.set()

    def pause(self, seconds: float) -> None:
        """Send nothing more for `seconds`: the server said so with a 429."""
        self.paused_until = max(self.paused_until, self.clock.now() + seconds)

    def note_pacing(self, wait: float | None) -> None:
        """Log, once per stretch of waiting, that the budget is spent."""
        if self.pacing_since is not None:
            return

        self.pacing_since = self.clock.now()
        logger.info(
            "skillsync.ratelimit.wait: %s has spent its %d requests a minute; pacing",
            self.name or "the token",
            self.limit,
            extra={
                "event": "skillsync.ratelimit.wait",
                "route": "*",
                "wait": wait,
                "reason": "budget",
            },
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds and backoff for retrying failed requests.

    Retries stop after `attempts` tries in all or once `max_seconds` have passed
    since the first; the wait before try n is up to `base * 2**(n-2)` seconds,
    capped at `cap`, drawn between half of that and all of it, so that concurrent
    requests spread out.
    A 429 waits its `Retry-After` instead, unless that exceeds `max_retry_after`.
    """

    attempts: int = 8
    max_seconds: float = 300.0
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 180.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return self.rng.uniform(ceiling / 2, ceiling)


def retry_after(answer: httpx.Response) -> float:
    """Seconds a 429 asks to wait: its `Retry-After`, else 3, at least 1."""
    raw = answer.headers.get("Retry-After", "")
    try:
        return max(1.0, float(raw))
    except ValueError:
        return 3.0


def describe_transport_error(error: Exception) -> str:
    """A short cause for a failed exchange: a timeout or a dropped connection."""
    if isinstance(error, httpx.TimeoutException):
        return "timeout"

    return "connection dropped"


def log_retry(method: str, route: str, attempt: int, wait: float, cause: str) -> None:
    """The `skillsync.retry` event."""
    logger.info(
        "skillsync.retry: %s %s failed (%s); attempt %d, retrying in %.1f s",
        method,
        route,
        cause,
        attempt,
        wait,
        extra={
            "event": "skillsync.retry",
            "attempt": attempt,
            "wait": wait,
            "cause": cause,
        },
    )
