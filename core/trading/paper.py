"""Paper broker: orders fill from live quotes by the exchange's matching rules, state kept in SQLite."""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Callable, Container, Sequence
from dataclasses import replace

from core.domain.orders import (
    Account,
    Fees,
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
SESSION_CLOSE = dt.time(15, 0)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)


def local_time(t: dt.datetime) -> dt.datetime:
    """Naive Beijing time, the way orders and fills keep it, whatever the source stamped."""
    return t.astimezone(BEIJING).replace(tzinfo=None) if t.tzinfo else t


def local_tick(tick: Tick) -> Tick:
    """The tick stamped in naive Beijing time, as brokers compare it with orders and sessions."""
    return replace(tick, time=local_time(tick.time)) if tick.time.tzinfo is not None else tick


def session_day(t: dt.datetime, holidays: Container[dt.date] = ()) -> dt.date:
    """The trading day `t` belongs to: that day until its close, after it (or on a closed day) the next
    trading day, so an order sent in the evening waits for the next session instead of expiring."""
    day = t.date()
    if day.weekday() < 5 and day not in holidays and t.time() < SESSION_CLOSE:
        return day
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or day in holidays:
        day += dt.timedelta(days=1)
    return day


def match(order: Order, tick: Tick, protection: float, rules: RuleBook | None = None) -> list[tuple[int, float]]:
    """(shares, price) the order takes from this snapshot: walk the opposite five levels up to its
    limit (a market order: up to `protection`); a resting limit order also fills at its limit when the
    last trade went through it. A board sealed at its limit (one side of the book empty, the other
    queued at the limit) gives nothing, as the rule engine says for the backtest."""
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
    if taken or left <= 0:
        return taken
    if rules is not None and rules.limit_blocks(order.symbol, order.side, tick, tick.last):
        return []  # sealed limit-up (no buys) or limit-down (no sells): nothing trades through it
    other = tick.bid_prices if buy else tick.ask_prices
    if not any(p > 0 for p in prices) and not any(p > 0 for p in other) and order.type is OrderType.MARKET:
        # A source without depth (daily replay): a market order takes the last price if within protection.
        within = tick.last <= limit + 1e-9 if buy else tick.last >= limit - 1e-9
        return [(left, tick.last)] if within else []
    crossed = tick.last < limit - 1e-9 if buy else tick.last > limit + 1e-9
    if order.type is OrderType.LIMIT and crossed:
        return [(left, order.price)]
    return []


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
        holidays: Container[dt.date] = (),
    ) -> None:
        self.store = store
        self.rules = rules or RuleBook()
        self.clock = clock
        self.require_session = require_session
        self.holidays = holidays
        self._quote = quote or (lambda symbol: self._latest.get(symbol))
        self._latest: dict[str, Tick] = {}
        self._listeners: Listeners[OrderEvent] = Listeners("trading")
        # API and strategy callers are multi-threaded, and the tick feeder runs beside them: every state
        # change and every read of the books happens under this one lock.
        self._lock = threading.RLock()
        self.ledger = self._load(cash)
        seen = self.store.state().get("market_time")
        self._market_time: dt.datetime | None = dt.datetime.fromisoformat(str(seen)) if seen else None

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
        return local_tick(tick) if tick is not None else None

    def market_time(self) -> dt.datetime:
        """The time of the latest quote seen (a replay's clock, kept across restarts), else now."""
        return self._market_time or _now()

    @property
    def day_start_equity(self) -> float:
        return self.ledger.day_start_equity

    def account(self) -> Account:
        with self._lock:
            return self.ledger.account()

    def positions(self) -> list[Position]:
        with self._lock:
            return sorted(self.ledger.positions.values(), key=lambda p: p.symbol)

    def orders(self) -> list[Order]:
        with self._lock:
            return list(self.ledger.orders.values())

    def fills(self) -> list[Fill]:
        with self._lock:
            return list(self.ledger.fills)

    def order(self, client_id: str) -> Order | None:
        with self._lock:
            return self.ledger.orders.get(client_id)

    def submit(self, request: OrderRequest) -> Order:
        """Place an order (checks passed already); the same client id again returns the first order."""
        with self._lock:
            return self._submit(request)

    def _submit(self, request: OrderRequest) -> Order:
        existing = self.ledger.orders.get(request.client_id)
        if existing is not None:
            return existing
        now = self.clock()
        changes = self._roll(now)
        tick = self.quote(request.symbol)
        order = Order.pending(request, now)
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
        if tick is not None and self._tradable_now(tick, now):
            changes.merge(self._try_fill(self.ledger.orders[order.client_id], tick))
        self._finish(changes)
        return self.ledger.orders[order.client_id]

    def cancel(self, client_id: str, reason: str = "cancelled by the user") -> Order:
        with self._lock:
            order = self.ledger.orders.get(client_id)
            if order is None:
                raise LedgerError(f"no order {client_id}")
            if not order.is_open:
                return order
            self._finish(self.ledger.cancel(client_id, self.clock(), reason))
            return self.ledger.orders[client_id]

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        """Mark positions and match open orders against each new snapshot."""
        with self._lock:
            self._on_ticks(ticks)

    def _on_ticks(self, ticks: Sequence[Tick]) -> None:
        changes = Changes()
        for tick in ticks:
            tick = local_tick(tick)
            self._latest[tick.symbol] = tick
            seen = self._market_time
            # A replay that starts over goes back in time: the market's clock (and its days) follow it.
            looped = seen is not None and tick.time.date() < seen.date()
            self._market_time = tick.time if seen is None or looped else max(seen, tick.time)
            changes.merge(self._roll(tick.time))
            if self.ledger.mark(tick.symbol, tick.last):
                changes.symbols.add(tick.symbol)
            for order in self.ledger.open_orders():
                if order.symbol == tick.symbol:
                    changes.merge(self._try_fill(order, tick))
        if changes.orders or changes.symbols or changes.fills:
            self._finish(changes)

    # -- internals ---------------------------------------------------------------------------
    def _protection(self, order: Order, tick: Tick | None) -> float:
        if order.type is OrderType.LIMIT or order.price > 0:
            return order.price
        return self.rules.protection(order.symbol, order.side, tick)

    def _try_fill(self, order: Order, tick: Tick) -> Changes:
        changes = Changes()
        if tick.time.date() in self.holidays:
            return changes  # the exchanges are closed: no quote of that day trades, replayed or not
        if self.require_session and market_session(tick.time, self.holidays) is not MarketSession.CONTINUOUS:
            return changes
        protection = self._protection(order, tick)
        for qty, price in match(order, tick, protection, self.rules):
            current = self.ledger.orders[order.client_id]
            fees = self._fill_fees(current, qty, price, tick.time.date())
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

    def _tradable_now(self, tick: Tick, now: dt.datetime) -> bool:
        """An order meets the book at once only during the session the quote is from: the morning's
        snapshot does not fill an order sent in the evening."""
        if session_day(tick.time, self.holidays) != session_day(now, self.holidays):
            return False
        return not self.require_session or market_session(now, self.holidays) is MarketSession.CONTINUOUS

    def _fill_fees(self, order: Order, qty: int, price: float, day: dt.date) -> Fees:
        """This fill's share of the order's fees: brokers charge the minimum commission once per order,
        so each piece pays what the order's cost grows by."""
        before = [f for f in self.ledger.fills if f.client_id == order.client_id]
        done_qty = sum(f.qty for f in before)
        done_value = sum(f.qty * f.price for f in before)
        paid = Fees(
            sum(f.fees.commission for f in before),
            sum(f.fees.stamp_duty for f in before),
            sum(f.fees.transfer_fee for f in before),
        )
        total_qty = done_qty + qty
        whole = self.rules.fees(order.symbol, day, order.side, (done_value + qty * price) / total_qty, total_qty)
        return Fees(
            max(whole.commission - paid.commission, 0.0),
            max(whole.stamp_duty - paid.stamp_duty, 0.0),
            max(whole.transfer_fee - paid.transfer_fee, 0.0),
        )

    def _place_rejected(self, order: Order, reason: str) -> Changes:
        self.ledger.orders[order.client_id] = order.evolve(status=OrderStatus.REJECTED, reason=reason)
        return Changes(orders={order.client_id}, events=[OrderRejected(self.ledger.orders[order.client_id])])

    def _roll(self, now: dt.datetime) -> Changes:
        """A new trading session when the market's day changes (forwards, or back on a replay that loops):
        orders of earlier sessions expire, those sent after the close for this one stay, T+1 shares free up."""
        day = session_day(now, self.holidays)
        if self.ledger.day == day:
            return Changes()
        return self.ledger.roll_day(day, now, keep=lambda o: session_day(o.created, self.holidays) == day)

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
                "market_time": seen.isoformat() if (seen := getattr(self, "_market_time", None)) else None,
            },
        )
