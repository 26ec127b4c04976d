"""Paper broker: orders fill from live quotes by the exchange's matching rules, state kept in SQLite."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from core.domain.orders import (
    Account,
    Fill,
    Order,
    OrderAccepted,
    OrderEvent,
    OrderRejected,
    OrderRequest,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    Position,
    Side,
)
from core.domain.ticks import Tick
from core.quotes.session import BEIJING, MarketSession, market_session
from core.trading.ledger import Changes, Ledger, LedgerError
from core.trading.rulebook import RuleBook
from core.trading.store import TradingStore
from core.util.listeners import Listeners

log = logging.getLogger(__name__)
EventListener = Callable[[OrderEvent], None]
DEFAULT_CASH = 1_000_000.0
# A market buy without a protection price may pay at most this much above the best ask (and never
# beyond the limit up); the exchanges cap market orders the same way since the 2023 protection rule.
MARKET_PROTECTION = 0.02


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)


def local_time(t: dt.datetime) -> dt.datetime:
    """Naive Beijing time, the way orders and fills keep it, whatever the source stamped."""
    return t.astimezone(BEIJING).replace(tzinfo=None) if t.tzinfo else t


def match(order: Order, tick: Tick, protection: float) -> list[tuple[int, float]]:
    """(shares, price) the order takes from this snapshot: walk the opposite five levels up to its
    limit (a market order: up to `protection`); a resting limit order also fills at its limit when the
    last trade went through it."""
    if tick.suspended or tick.last <= 0:
        return []
    buy = order.side is Side.BUY
    limit = order.price if order.type is OrderType.LIMIT else protection
    prices, volumes = (tick.ask_prices, tick.ask_volumes) if buy else (tick.bid_prices, tick.bid_volumes)
    left = order.remaining
    taken: list[tuple[int, float]] = []
    for price, volume in zip(prices, volumes, strict=False):  # a one-sided short ladder ends the walk
        if left <= 0 or price <= 0 or volume <= 0:
            break
        if (buy and price > limit + 1e-9) or (not buy and price < limit - 1e-9):
            break
        qty = int(min(left, volume))
        taken.append((qty, price))
        left -= qty
    crossed = tick.last < limit - 1e-9 if buy else tick.last > limit + 1e-9
    if not any(p > 0 for p in prices) and order.type is OrderType.MARKET and left > 0:
        # A source without depth (daily replay): a market order takes the last price if within protection.
        within = tick.last <= limit + 1e-9 if buy else tick.last >= limit - 1e-9
        return [(left, tick.last)] if within else []
    if left > 0 and order.type is OrderType.LIMIT and not taken and crossed:
        taken.append((left, order.price))
    return taken


class PaperBroker:
    """Simulated account in `store`: the same A-share rules and costs as the backtest.

    `quote` gives the latest snapshot of a symbol (the QuoteHub's); `on_ticks` is fed every batch.
    Market orders take what the book offers up to their protection price; the rest is cancelled.
    """

    name = "paper"
    mode = "paper"

    def __init__(
        self,
        store: TradingStore,
        rules: RuleBook | None = None,
        cash: float = DEFAULT_CASH,
        quote: Callable[[str], Tick | None] | None = None,
        clock: Callable[[], dt.datetime] = _now,
        require_session: bool = True,
    ) -> None:
        self.store = store
        self.rules = rules or RuleBook()
        self.clock = clock
        self.require_session = require_session
        self._quote = quote or (lambda symbol: self._latest.get(symbol))
        self._latest: dict[str, Tick] = {}
        self._market_time: dt.datetime | None = None
        self._listeners: Listeners[OrderEvent] = Listeners("trading")
        self.ledger = self._load(cash)

    def _load(self, cash: float) -> Ledger:
        state = self.store.state()
        day = state.get("day")
        ledger = Ledger(
            float(state.get("cash", cash)),
            dt.date.fromisoformat(str(day)) if day else None,
        )
        ledger.day_start_equity = float(state.get("day_start_equity", ledger.cash))
        for order, reserved in self.store.orders():
            ledger.orders[order.client_id] = order
            if order.is_open and order.side is Side.BUY:
                ledger.reserved[order.client_id] = reserved
        ledger.fills = self.store.fills()
        ledger.positions = {p.symbol: p for p in self.store.positions()}
        if not state:
            self._persist(ledger, Changes())
        return ledger

    # -- Broker interface --------------------------------------------------------------------
    def add_listener(self, listener: EventListener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def quote(self, symbol: str) -> Tick | None:
        tick = self._quote(symbol)
        if tick is not None and tick.time.tzinfo is not None:
            tick = replace(tick, time=local_time(tick.time))
        return tick

    def market_time(self) -> dt.datetime:
        """The time of the latest quote seen (a replay's clock), else now: a clock for paper trading on replays."""
        return self._market_time or _now()

    def account(self) -> Account:
        return self.ledger.account()

    def positions(self) -> list[Position]:
        return sorted(self.ledger.positions.values(), key=lambda p: p.symbol)

    def orders(self) -> list[Order]:
        return list(self.ledger.orders.values())

    def fills(self) -> list[Fill]:
        return list(self.ledger.fills)

    def order(self, client_id: str) -> Order | None:
        return self.ledger.orders.get(client_id)

    def submit(self, request: OrderRequest) -> Order:
        """Place an order (checks passed already); the same client id again returns the first order."""
        existing = self.ledger.orders.get(request.client_id)
        if existing is not None:
            return existing
        now = self.clock()
        changes = self._roll(now.date(), now)
        tick = self.quote(request.symbol)
        order = Order(
            request.client_id,
            request.symbol,
            request.side,
            request.type,
            request.qty,
            request.price,
            OrderStatus.PENDING,
            now,
            now,
            origin=request.origin,
        )
        protection = self._protection(order, tick)
        price_for_cash = order.price if order.type is OrderType.LIMIT else protection
        if order.side is Side.BUY and (not math.isfinite(price_for_cash) or price_for_cash <= 0):
            changes.merge(self._place_rejected(order, "no quote to price a market order"))
            self._finish(changes)
            return self.ledger.orders[order.client_id]
        reserve = 0.0
        if order.side is Side.BUY:
            reserve = (
                order.qty * price_for_cash
                + self.rules.fees(order.symbol, now.date(), Side.BUY, price_for_cash, order.qty).total
            )
        if order.side is Side.BUY and reserve > self.ledger.account().available + 1e-6:
            changes.merge(
                self._place_rejected(
                    order, f"not enough cash: needs {reserve:,.2f}, {self.ledger.account().available:,.2f} available"
                )
            )
            self._finish(changes)
            return self.ledger.orders[order.client_id]
        try:
            changes.merge(self.ledger.place(order, reserve))
        except LedgerError as exc:
            changes.merge(self._place_rejected(order, str(exc)))
            self._finish(changes)
            return self.ledger.orders[order.client_id]
        self.ledger.acknowledge(order.client_id, f"P{len(self.ledger.orders):06d}", now)
        changes.events += [OrderSubmitted(order), OrderAccepted(self.ledger.orders[order.client_id])]
        if tick is not None:
            changes.merge(self._try_fill(self.ledger.orders[order.client_id], tick))
        self._finish(changes)
        return self.ledger.orders[order.client_id]

    def cancel(self, client_id: str, reason: str = "cancelled by the user") -> Order:
        order = self.ledger.orders.get(client_id)
        if order is None:
            raise LedgerError(f"no order {client_id}")
        if not order.is_open:
            return order
        self._finish(self.ledger.cancel(client_id, self.clock(), reason))
        return self.ledger.orders[client_id]

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        """Mark positions and match open orders against each new snapshot."""
        changes = Changes()
        for tick in ticks:
            if tick.time.tzinfo is not None:
                tick = replace(tick, time=local_time(tick.time))
            self._latest[tick.symbol] = tick
            self._market_time = max(self._market_time or tick.time, tick.time)
            if self.ledger.day is None or tick.time.date() > self.ledger.day:
                changes.merge(self._roll(tick.time.date(), tick.time))
            if self.ledger.mark(tick.symbol, tick.last):
                changes.symbols.add(tick.symbol)
            for order in self.ledger.open_orders():
                if order.symbol == tick.symbol:
                    changes.merge(self._try_fill(order, tick))
        if changes.orders or changes.symbols or changes.fills:
            self._finish(changes)

    # -- internals ---------------------------------------------------------------------------
    def _protection(self, order: Order, tick: Tick | None) -> float:
        if order.type is OrderType.LIMIT:
            return order.price
        if order.price > 0:
            return order.price
        if tick is None:
            return math.nan
        limits = self.rules.limits(order.symbol, tick.time.date(), tick)
        if order.side is Side.BUY:
            best = tick.ask1 or tick.last
            cap = round(best * (1 + MARKET_PROTECTION), 2)
            return min(cap, limits[0]) if limits else cap
        best = tick.bid1 or tick.last
        floor = round(best * (1 - MARKET_PROTECTION), 2)
        return max(floor, limits[1]) if limits else floor

    def _try_fill(self, order: Order, tick: Tick) -> Changes:
        changes = Changes()
        if self.require_session and market_session(tick.time) is not MarketSession.CONTINUOUS:
            return changes
        protection = self._protection(order, tick)
        for qty, price in match(order, tick, protection):
            current = self.ledger.orders[order.client_id]
            fees = self.rules.fees(order.symbol, tick.time.date(), order.side, price, qty)
            n = sum(1 for f in self.ledger.fills if f.client_id == order.client_id) + 1
            changes.merge(self.ledger.fill(current.client_id, qty, price, fees, tick.time, f"{order.client_id}-{n}"))
        current = self.ledger.orders[order.client_id]
        if current.type is OrderType.MARKET and current.is_open:
            # Best-five-then-cancel: what the book could not fill up to the protection price goes.
            changes.merge(
                self.ledger.cancel(
                    current.client_id,
                    tick.time,
                    "market order: the rest was cancelled (no more liquidity within the protection price)",
                )
            )
        return changes

    def _place_rejected(self, order: Order, reason: str) -> Changes:
        self.ledger.orders[order.client_id] = order.evolve(status=OrderStatus.REJECTED, reason=reason)
        return Changes(orders={order.client_id}, events=[OrderRejected(self.ledger.orders[order.client_id])])

    def _roll(self, day: dt.date, now: dt.datetime) -> Changes:
        if self.ledger.day is not None and day <= self.ledger.day:
            return Changes()
        return self.ledger.roll_day(day, now)

    def _finish(self, changes: Changes) -> None:
        self._persist(self.ledger, changes)
        for event in changes.events:
            self._listeners.emit(event)  # a broken view must not undo a fill that already happened

    def _persist(self, ledger: Ledger, changes: Changes) -> None:
        orders = [(ledger.orders[c], ledger.reserved.get(c, 0.0)) for c in changes.orders]
        kept = [ledger.positions[s] for s in changes.symbols if s in ledger.positions]
        gone = [s for s in changes.symbols if s not in ledger.positions]
        self.store.save(
            orders=orders,
            fills=changes.fills,
            positions=kept,
            removed=gone,
            state={
                "cash": ledger.cash,
                "day": ledger.day.isoformat() if ledger.day else None,
                "day_start_equity": ledger.day_start_equity,
            },
        )
