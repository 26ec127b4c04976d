"""Share holdings with T+1: what is held in total versus what may be sold today."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PositionBook:
    """Shares per symbol; shares bought today stay unsellable until the next trading day.

    T+1 for A shares since 1995-01-01 (SSE/SZSE rules): securities bought on a day may be sold from the next
    trading day. `t_plus_1=False` gives Qlib's T+0 behaviour for reconciliation.
    """

    t_plus_1: bool = True
    shares: dict[str, int] = field(default_factory=dict)
    bought_today: dict[str, int] = field(default_factory=dict)

    def total(self, symbol: str) -> int:
        return self.shares.get(symbol, 0)

    def sellable(self, symbol: str) -> int:
        held = self.shares.get(symbol, 0)
        return held - self.bought_today.get(symbol, 0) if self.t_plus_1 else held

    def buy(self, symbol: str, qty: int) -> None:
        self.shares[symbol] = self.shares.get(symbol, 0) + qty
        self.bought_today[symbol] = self.bought_today.get(symbol, 0) + qty

    def sell(self, symbol: str, qty: int) -> None:
        if qty > self.sellable(symbol):
            raise ValueError(f"{symbol}: selling {qty} shares but only {self.sellable(symbol)} are sellable")
        left = self.shares[symbol] - qty
        if left:
            self.shares[symbol] = left
        else:
            del self.shares[symbol]

    def rescale(self, symbol: str, shares: int) -> None:
        """Set the holding after a corporate action (bonus shares, splits); counts as settled."""
        if shares > 0:
            self.shares[symbol] = shares
        else:
            self.shares.pop(symbol, None)

    def end_day(self) -> None:
        self.bought_today.clear()

    def symbols(self) -> list[str]:
        return list(self.shares)
