"""What a plan for the next session may use: cash net of open buys, shares net of open sells."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.domain.orders import Account, Order, Position


@dataclass(frozen=True)
class Available:
    """An account as the planner sees it; `open_orders` are shown beside the plan."""

    holdings: dict[str, int]
    sellable: dict[str, int]
    cash: float
    open_orders: list[Order] = field(default_factory=list)
    source: str = "file"  # 'paper' | 'live' | 'file'

    @property
    def mode(self) -> str:
        return "live" if self.source == "live" else "paper"


def available_from(account: Account, positions: Sequence[Position], orders: Sequence[Order], source: str) -> Available:
    """From a broker's account, positions and orders.

    Cash held by open buys is not spendable again. Shares in open sells are not sellable again; today's
    buys are (the plan is for the next session, when T+1 has released them).
    """
    holdings = {p.symbol: p.total for p in positions if p.total > 0}
    open_sells: dict[str, int] = {}
    for o in orders:
        if o.is_open and o.side.value == "sell":
            open_sells[o.symbol] = open_sells.get(o.symbol, 0) + o.remaining
    sellable = {s: max(q - max(open_sells.get(s, 0), _frozen(positions, s)), 0) for s, q in holdings.items()}
    return Available(holdings, sellable, account.available, [o for o in orders if o.is_open], source)


def _frozen(positions: Sequence[Position], symbol: str) -> int:
    return next((p.frozen for p in positions if p.symbol == symbol), 0)


def paper_available(folder: Path) -> Available:
    """The paper account kept in `folder` (the data folder), read from its trading store."""
    from core.trading.paper import PaperBroker
    from core.trading.store import TRADING_FILE, TradingStore

    store = TradingStore(Path(folder) / TRADING_FILE)
    try:
        broker = PaperBroker(store, require_session=False)
        return available_from(broker.account(), broker.positions(), broker.orders(), "paper")
    finally:
        store.close()
