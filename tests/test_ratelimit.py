"""The request budget and the retry backoff, on a virtual clock."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import VirtualClock
from skillsync.ratelimit import RequestBudget, RetryPolicy


def most_overlapping(spans: list[tuple[float, float]]) -> int:
    """The most half-open spans that hold one moment in common."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = held = 0
    for _, step in edges:
        held += step
        most = max(most, held)

    return most


def run_requests(
    limit: int, durations: list[float], workers: int
) -> list[tuple[float, float]]:
    """Send requests lasting `durations` through one budget from `workers`
    concurrent tasks; returns each request's span from sending to a minute
    after its answer."""
    clock = VirtualClock()
    spans: list[tuple[float, float]] = []

    async def worker(queue: list[float], budget: RequestBudget) -> None:
        while queue:
            duration = queue.pop()
            await budget.acquire()
            sent = clock.now()
            await clock.sleep(duration)
            budget.release()
            spans.append((sent, clock.now() + 60.0))

    async def main() -> None:
        budget = RequestBudget(limit, clock)
        queue = list(durations)
        await asyncio.gather(*(worker(queue, budget) for _ in range(workers)))

    asyncio.run(main())
    return spans


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 8),
    durations=st.lists(st.floats(0.0, 90.0), min_size=1, max_size=40),
    workers=st.integers(1, 12),
)
def test_the_budget_never_holds_more_than_its_limit(
    limit: int, durations: list[float], workers: int
) -> None:
    """However long answers take, no moment sees more than `limit` requests
    between their sending and a minute after their answer: so no rolling
    minute on the server, wherever in that span it saw each one, exceeds it."""
    spans = run_requests(limit, durations, workers)
    assert len(spans) == len(durations)
    assert most_overlapping(spans) <= limit


def test_a_pause_holds_back_every_request_until_it_ends() -> None:
    """After a 429's pause of 17 s, the next request waits those 17 s."""
    clock = VirtualClock()
    budget = RequestBudget(100, clock)

    async def main() -> float:
        budget.pause(17.0)
        await budget.acquire()
        return clock.now()

    assert asyncio.run(main()) - 1_000.0 >= 17.0


@given(attempt=st.integers(1, 30), seed=st.integers(0, 2**32))
def test_backoff_grows_is_capped_and_jittered(attempt: int, seed: int) -> None:
    """Each wait lies between half and all of base * 2**(attempt-1), capped."""
    policy = RetryPolicy(base=0.5, cap=30.0, rng=random.Random(seed))
    ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
    assert ceiling / 2 <= policy.backoff(attempt) <= ceiling
