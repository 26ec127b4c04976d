"""Time and sales from Level-1 snapshots: the trades between two snapshots of a symbol, signed by the tick rule."""

from __future__ import annotations

from collections import deque

from core.domain.ticks import DOWN, FLAT, UP, TapeTrade, Tick


class TradeTape:
    """The day's trades of one symbol, newest first, kept to `size`; a new day, or a replay going back in
    time, starts a new tape."""

    def __init__(self, symbol: str, size: int = 200) -> None:
        self.symbol = symbol
        self.trades: deque[TapeTrade] = deque(maxlen=size)
        self._last: Tick | None = None
        self._price = 0.0
        self._direction = FLAT

    def update(self, tick: Tick) -> TapeTrade | None:
        """Take the next snapshot of the symbol; the trade it shows, or None when nothing traded."""
        if tick.symbol != self.symbol:
            return None
        last = self._last
        if last is not None and (tick.time.date() != last.time.date() or tick.time < last.time):
            self.trades.clear()  # a new day, or a replay that began the day again
            last = None
        if last is not None and tick.volume < last.volume:
            return None  # a snapshot overtaken by a newer one of the same second (seen in real SSE data)
        self._last = tick
        if last is None:
            self._price, self._direction = tick.last, FLAT
            return None
        traded = tick.volume - last.volume
        if traded <= 0 or tick.last <= 0:
            return None
        if self._price and tick.last > self._price + 1e-9:
            self._direction = UP
        elif self._price and tick.last < self._price - 1e-9:
            self._direction = DOWN
        self._price = tick.last
        trade = TapeTrade(tick.time, tick.last, traded, self._direction)
        self.trades.appendleft(trade)
        return trade
