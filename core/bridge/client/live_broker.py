"""Live account on the desktop: a mirror of the bridge's orders, fills, positions and cash, kept by its events.

It has the paper broker's interface, so the trading service and the orders dock work the same on
either. Calls return at once with what is known (a new order shows as pending); the bridge's answer
and its events update the mirror on the event loop, and listeners hear of every change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from core.bridge.client.events import BridgeError, BridgeUnreachable
from core.bridge.client.http import BridgeHttp
from core.domain.orders import (
    Account,
    Fill,
    Order,
    OrderAccepted,
    OrderCancelled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderRequest,
    OrderStatus,
    OrderSubmitted,
    OrderUpdated,
    Position,
)
from core.domain.ticks import Tick
from core.trading.paper import local_tick
from core.trading.rulebook import RuleBook
from core.trading.wire import account_from_wire, fill_from_wire, order_from_wire, position_from_wire
from core.util.backoff import Backoff
from core.util.listeners import Listeners

log = logging.getLogger(__name__)


def _progress(order: Order) -> tuple[int, bool, bool]:
    """How far an order has come: filled shares, then ended, then acknowledged by the broker."""
    return order.filled_qty, not order.is_open, bool(order.broker_id)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)


class LiveBroker:
    name = "bridge"
    mode = "live"

    def __init__(
        self,
        client: BridgeHttp,
        rules: RuleBook | None = None,
        quote: Callable[[str], Tick | None] | None = None,
        clock: Callable[[], dt.datetime] = _now,
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.rules = rules or RuleBook()
        self.clock = clock
        self.backoff = backoff or Backoff(initial=1.0, maximum=30.0)
        self._quote = quote or (lambda symbol: None)
        self._orders: dict[str, Order] = {}
        self._fills: dict[str, Fill] = {}
        self._positions: dict[str, Position] = {}
        self._account = Account(0.0, account_id="live")
        self._listeners: Listeners[OrderEvent] = Listeners("trading")
        self._tasks: set[asyncio.Task[Any]] = set()
        self.connected = False
        self.day_start_equity: float | None = None  # fixed at the session start (the bridge's figure)
        self._equity_day: dt.date | None = None
        self.kill_report: dict[str, Any] = {}

    # -- life --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the account, then follow the bridge's events (reconnecting, reloading after each gap)."""
        await self.refresh()
        self._spawn(self._follow(), "live-broker-events")

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()

    async def refresh(self) -> None:
        account, positions = await self.client.account(), await self.client.positions()
        orders, trades = await self.client.orders(), await self.client.trades()
        state = await self.client.state()
        today = self.clock().date()
        if state.get("day_start_equity") is not None and state.get("equity_day") == today.isoformat():
            # The bridge fixed it from QMT's account at the session start: the daily-loss stop's base.
            self._equity_day, self.day_start_equity = today, float(state["day_start_equity"])
        elif self._equity_day != today:
            self._equity_day, self.day_start_equity = today, account.equity
        self._account = account
        self._positions = {p.symbol: p for p in positions}
        for fill in trades:
            self._fills[fill.fill_id] = fill
        for order in orders:
            self._set(order)
        self.connected = True

    async def _follow(self) -> None:
        attempt = 0
        while True:
            try:
                async for event in self.client.events():
                    if event.get("type") == "hello":
                        attempt = 0
                        await self.refresh()  # events missed while away are in the bridge's state
                    self.apply(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 (any link failure: wait, reconnect, reload)
                log.warning("bridge trading stream lost: %s", exc)
            self.connected = False
            await asyncio.sleep(self.backoff.delay(attempt))
            attempt += 1

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed", name, exc_info=t.exception())

        task.add_done_callback(done)

    # -- the mirror --------------------------------------------------------------------------
    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "order":
            self._set(order_from_wire(event["order"]))
        elif kind == "trade":
            fill = fill_from_wire(event["trade"])
            self._fills.setdefault(fill.fill_id, fill)
        elif kind == "portfolio":
            self._account = account_from_wire(event["account"])
            self._positions = {p["symbol"]: position_from_wire(p) for p in event["positions"]}

    def _set(self, order: Order) -> None:
        before = self._orders.get(order.client_id)
        if before == order:
            return
        self._orders[order.client_id] = order
        if order.filled_qty > (before.filled_qty if before else 0):
            event: OrderEvent = OrderFilled(order)
        elif order.status is OrderStatus.CANCELLED:
            event = OrderCancelled(order)
        elif order.status is OrderStatus.REJECTED:
            event = OrderRejected(order)
        elif order.broker_id and not (before and before.broker_id):
            event = OrderAccepted(order)
        else:
            event = OrderUpdated(order)
        self._notify(event)

    def _notify(self, event: OrderEvent) -> None:
        self._listeners.emit(event)

    # -- Broker interface --------------------------------------------------------------------
    def add_listener(self, listener: Callable[[OrderEvent], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def quote(self, symbol: str) -> Tick | None:
        tick = self._quote(symbol)
        return local_tick(tick) if tick is not None else None

    def account(self) -> Account:
        return self._account

    def positions(self) -> list[Position]:
        return sorted(self._positions.values(), key=lambda p: p.symbol)

    def orders(self) -> list[Order]:
        return list(self._orders.values())

    def fills(self) -> list[Fill]:
        return sorted(self._fills.values(), key=lambda f: f.time)

    def order(self, client_id: str) -> Order | None:
        return self._orders.get(client_id)

    def submit(self, request: OrderRequest) -> Order:
        """Shows the order as pending at once and sends it; the same client id is sent at most once here,
        and the bridge itself never places a client id twice."""
        existing = self._orders.get(request.client_id)
        if existing is not None:
            return existing
        now = self.clock()
        pending = Order.pending(request, now)
        self._orders[pending.client_id] = pending
        self._notify(OrderSubmitted(pending))
        self._spawn(self._send(request, pending), f"live-submit-{request.client_id}")
        return pending

    async def _send(self, request: OrderRequest, pending: Order) -> None:
        try:
            placed = await self.client.submit(request)
            # The reply and the event stream race: QMT's acknowledgement can arrive as an event before the
            # reply, which was written before it. A reply never takes the mirror back.
            current = self._orders.get(request.client_id, pending)
            if _progress(placed) >= _progress(current):
                self._set(placed)
        except BridgeError as exc:
            current = self._orders.get(request.client_id, pending)
            if isinstance(exc, BridgeUnreachable):
                # The request may or may not have arrived: unknown, settled by the next reload, never resent.
                self._set(current.evolve(status=OrderStatus.UNKNOWN, reason=exc.message))
            elif current.status is OrderStatus.PENDING:
                self._set(current.evolve(status=OrderStatus.REJECTED, reason=exc.message))

    def cancel(self, client_id: str, reason: str = "cancelled by the user") -> Order:
        order = self._orders[client_id]
        if order.is_open:
            self._spawn(self._call(self.client.cancel(client_id)), f"live-cancel-{client_id}")
        return order

    def set_armed(self, armed: bool, reason: str = "") -> None:
        self._spawn(self._call(self.client.arm(reason) if armed else self.client.disarm(reason)), "live-arm")

    def kill(self, reason: str = "kill switch") -> None:
        """The bridge's kill switch: disarms it and cancels every open order there, QMT's manual ones too
        (those QMT has not numbered yet as it does); `kill_report` keeps what the bridge said is still working."""
        self._spawn(self._kill(reason), "live-kill")

    async def _kill(self, reason: str) -> None:
        try:
            self.kill_report = await self.client.kill_report(reason)
        except BridgeError as exc:
            log.warning("bridge refused the kill switch: %s", exc.message)

    async def _call(self, call: Awaitable[Any]) -> None:
        try:
            await call
        except BridgeError as exc:
            log.warning("bridge refused: %s", exc.message)
