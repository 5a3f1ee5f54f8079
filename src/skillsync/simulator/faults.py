"""Seeded fault injection: latency, failed requests and version conflicts.

One `random.Random` seeded from `--seed` draws every fault, so a run against
the same requests in the same order fails the same way again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

Failure = Literal[502, 503, 504, "drop"]
FAILURES: tuple[Failure, ...] = (502, 503, 504, "drop")


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """How often and how the simulator misbehaves; all zero means never."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    conflict_rate: float = 0.0
    expand_drop_rate: float = 0.0
    seed: int = 0


class Faults:
    """Draws faults from one seeded generator."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self.random = random.Random(settings.seed)

    def latency(self) -> float:
        """Seconds to wait before answering: the mean, give or take half."""
        mean = self.settings.latency_ms / 1000
        if mean <= 0:
            return 0.0

        return mean * self.random.uniform(0.5, 1.5)

    def failure(self) -> Failure | None:
        """A failure to answer with instead of serving the request, or None."""
        rate = self.settings.error_rate
        if rate <= 0 or self.random.random() >= rate:
            return None

        return self.random.choice(FAILURES)

    def conflict(self) -> bool:
        """Whether to refuse this write with a version conflict."""
        rate = self.settings.conflict_rate
        return rate > 0 and self.random.random() < rate

    def drop_expansion(self) -> bool:
        """Whether to leave one expansion out of one user, as the API may."""
        rate = self.settings.expand_drop_rate
        return rate > 0 and self.random.random() < rate
