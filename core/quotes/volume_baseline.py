"""VolumeBaseline: each symbol's average daily volume over its last few sessions, learnt from the tick stream (量比)."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable

from core.domain.ticks import Tick

_BEIJING = dt.timezone(dt.timedelta(hours=8))


class VolumeBaseline:
    """Keeps the final cumulative volume of each symbol's last `days` sessions seen in the feed.

    A session's volume is final once a tick of a later day arrives; the average of those finals is
    the reference that 量比 (volume ratio) divides today's volume-per-minute by.
    """

    def __init__(self, days: int = 5) -> None:
        self._days = days
        self._last: dict[str, tuple[dt.date, float]] = {}
        self._finals: dict[str, deque[float]] = {}

    def update(self, ticks: Iterable[Tick]) -> dict[str, float]:
        """Record `ticks`; returns the new average of every symbol whose history just gained a day."""
        changed: dict[str, float] = {}
        for tick in ticks:
            moment = tick.time.astimezone(_BEIJING) if tick.time.tzinfo is not None else tick.time
            day = moment.date()
            seen = self._last.get(tick.symbol)
            if seen is not None and day > seen[0] and seen[1] > 0:
                finals = self._finals.setdefault(tick.symbol, deque(maxlen=self._days))
                finals.append(seen[1])
                changed[tick.symbol] = sum(finals) / len(finals)
            if seen is None or day >= seen[0]:
                self._last[tick.symbol] = (day, tick.volume)
        return changed

    def average(self, symbol: str) -> float:
        """The current reference for `symbol` (0.0 before a first session has finished)."""
        finals = self._finals.get(symbol)
        return sum(finals) / len(finals) if finals else 0.0
