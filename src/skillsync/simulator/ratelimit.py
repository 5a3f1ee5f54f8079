"""The per-token request limit the simulator enforces, over a rolling minute."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class RollingLimit:
    """At most `limit` events per key in any rolling window of `window` seconds."""

    def __init__(
        self, limit: int, clock: Callable[[], float], window: float = WINDOW_SECONDS
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.window = window
        self.events: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> int:
        """Record an event for `key`, or refuse it.

        Returns 0 when the event is allowed, else the whole seconds (at least 1)
        until the oldest event in the window expires and a slot frees.
        """
        now = self.clock()
        events = self.events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()

        if len(events) >= self.limit:
            return max(1, math.ceil(events[0] + self.window - now))

        events.append(now)
        return 0
