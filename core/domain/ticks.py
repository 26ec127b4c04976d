"""Level-1 quote snapshots (ticks) as every layer sees them, whatever the source (QMT, replay, sim)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


# Not frozen on purpose: a frozen dataclass sets each field through object.__setattr__, which made
# building a Tick about 6x slower (10 µs vs 1.6 µs), and the bridge and the client build one per tick
# at full-market rates. Ticks are shared between subscribers and treated as values: never assign to one.
@dataclass(slots=True)
class Tick:
    """One Level-1 snapshot of a security (a value: build a new one rather than changing it).

    `volume` and `amount` are cumulative for the day (shares, CNY), as exchanges publish them.
    Bid/ask ladders hold up to five levels, best first. `limit_up`/`limit_down` are the day's price
    limits when the source knows them (0.0 when it does not).
    """

    symbol: str
    time: dt.datetime  # exchange time, Beijing
    last: float
    open: float
    high: float
    low: float
    pre_close: float
    volume: float
    amount: float
    bid_prices: tuple[float, ...] = field(default_factory=tuple)
    bid_volumes: tuple[float, ...] = field(default_factory=tuple)
    ask_prices: tuple[float, ...] = field(default_factory=tuple)
    ask_volumes: tuple[float, ...] = field(default_factory=tuple)
    limit_up: float = 0.0
    limit_down: float = 0.0
    suspended: bool = False

    @property
    def change(self) -> float:
        return self.last - self.pre_close if self.pre_close else 0.0

    @property
    def change_pct(self) -> float:
        return (self.last / self.pre_close - 1.0) * 100.0 if self.pre_close else 0.0

    @property
    def bid1(self) -> float:
        return self.bid_prices[0] if self.bid_prices else 0.0

    @property
    def ask1(self) -> float:
        return self.ask_prices[0] if self.ask_prices else 0.0

    @property
    def at_limit_up(self) -> bool:
        return bool(self.limit_up) and self.last >= self.limit_up - 1e-9

    @property
    def at_limit_down(self) -> bool:
        return bool(self.limit_down) and self.last <= self.limit_down + 1e-9


UP, DOWN, FLAT = 1, -1, 0  # a trade's direction by the tick rule


@dataclass(frozen=True, slots=True)
class TapeTrade:
    """One line of time and sales: volume (shares) traded since the previous snapshot, at its last price.

    `direction` follows the tick rule: UP when the price rose from the previous trade, DOWN when it fell,
    and the previous trade's direction when it is unchanged (FLAT before the first change of the day).
    """

    time: dt.datetime
    price: float
    volume: float
    direction: int
