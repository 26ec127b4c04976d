"""Exponential backoff with jitter, shared by the QMT reconnect loop, the bridge client and the live broker."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delay before retry number `attempt` (0-based): exponential up to `maximum`, with equal jitter.

    Half of each delay is fixed and half random, so many clients that lost the same bridge do not all
    come back in the same instant, and no retry comes sooner than half the nominal delay.
    """

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.factor < 1 or self.maximum < self.initial:
            raise ValueError("backoff needs initial > 0, factor >= 1 and maximum >= initial")

    def nominal(self, attempt: int) -> float:
        # Capped exponent: factor ** attempt would overflow a float after a long outage.
        return min(self.maximum, self.initial * self.factor ** min(attempt, 64))

    def delay(self, attempt: int) -> float:
        base = self.nominal(attempt)
        return base / 2 + self.rng.uniform(0.0, base / 2)
