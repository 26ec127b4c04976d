"""QuoteHub: the latest snapshot per symbol and fan-out of tick batches to listeners."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from core.domain.ticks import Tick
from core.util.listeners import Listeners

TickListener = Callable[[Sequence[Tick]], None]
_RATE_WINDOW_S = 5.0


class QuoteHub:
    """Receives tick batches from a market-data source and hands them to every listener.

    A listener that raises is logged and skipped; it never stops the feed or the other listeners.
    The hub is not thread-safe by design: sources publish on the event-loop thread.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._latest: dict[str, Tick] = {}
        self._listeners: Listeners[Sequence[Tick]] = Listeners("quote")
        self._clock = clock
        self._arrivals: deque[tuple[float, int]] = deque()
        self.ticks_total = 0

    def add_listener(self, listener: TickListener) -> Callable[[], None]:
        """Register `listener`; returns a function that removes it again."""
        return self._listeners.add(listener)

    def publish(self, ticks: Sequence[Tick]) -> None:
        if not ticks:
            return
        for tick in ticks:
            self._latest[tick.symbol] = tick
        now = self._clock()
        self._arrivals.append((now, len(ticks)))
        self.ticks_total += len(ticks)
        self._trim(now)
        self._listeners.emit(ticks)  # one broken view must not starve the others

    def latest(self, symbol: str) -> Tick | None:
        return self._latest.get(symbol)

    def snapshot(self, symbols: Iterable[str] | None = None) -> list[Tick]:
        if symbols is None:
            return list(self._latest.values())
        return [self._latest[s] for s in symbols if s in self._latest]

    def ticks_per_second(self) -> float:
        now = self._clock()
        self._trim(now)
        return sum(n for _, n in self._arrivals) / _RATE_WINDOW_S

    def _trim(self, now: float) -> None:
        while self._arrivals and self._arrivals[0][0] < now - _RATE_WINDOW_S:
            self._arrivals.popleft()
