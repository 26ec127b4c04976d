"""Live orders through QMT: xttrader's session, its callbacks and the order book they keep.

xttrader calls back on its own thread; callbacks only copy the record onto the event loop, and
nothing synchronous is ever asked of xtquant from inside a callback. An order whose outcome is not
known (the link dropped while it was in flight) is marked unknown and settled by querying the
broker when the link is back: it is never sent a second time. The order path (order_path.py), the
kill switch (kill_switch.py) and the cash held for orders in flight (holds.py) work on this book.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from core.bridge.trading.day_start import DAY_START_FILE, DayStartBook
from core.bridge.trading.holds import CashHolds
from core.bridge.trading.kill_switch import KillReport, KillSwitch
from core.bridge.trading.order_path import OrderPath
from core.bridge.trading.refused import TradingRefused
from core.bridge.trading.xt_callback import TraderCallback
from core.bridge.trading.xt_trade_records import (
    asset_to_domain,
    manual_client_id,
    order_to_domain,
    position_to_domain,
    trade_to_fill,
)
from core.bridge.xt_worker import XtWorker
from core.domain.bars import Instrument
from core.domain.orders import Account, Fill, Order, OrderRequest, OrderStatus, Position
from core.domain.ticks import Tick
from core.trading.audit import AuditLog
from core.trading.risk import RiskEngine
from core.trading.rulebook import RuleBook
from core.trading.wire import account_to_wire, fill_to_wire, order_to_wire, position_to_wire
from core.util.backoff import Backoff

__all__ = ["BridgeTrading", "KillReport", "TradingRefused"]
log = logging.getLogger(__name__)
_CALL_TIMEOUT_S = 10.0
_EVENT_QUEUE = 1000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)


class BridgeTrading:
    """The account in QMT as the bridge serves it. Disarmed at every start; arming needs an authenticated call."""

    def __init__(
        self,
        make_trader: Callable[[], Any],
        account: Any,
        audit: AuditLog,
        risk: RiskEngine | None = None,
        rules: RuleBook | None = None,
        quotes: Callable[[str], Awaitable[Tick | None]] | None = None,
        worker: XtWorker | None = None,
        instruments: Callable[[], Awaitable[list[Instrument]]] | None = None,
        day_starts: DayStartBook | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.make_trader = make_trader
        self.account_ref = account
        self.audit = audit
        self.risk = risk or RiskEngine()
        self.base_rules = rules or RuleBook()
        self.rules = self.base_rules
        self.quotes = quotes
        self.instruments = instruments  # names (ST) and listing dates as QMT reports them, read once a day
        self.worker = worker or XtWorker("xttrader-worker")
        self.backoff = backoff or Backoff(initial=0.5, maximum=10.0)
        self.clock = clock
        self.loop: asyncio.AbstractEventLoop | None = None
        self.armed = False
        self.connected = False
        self.trader: Any = None
        self.orders: dict[str, Order] = {}
        self.fills: dict[str, Fill] = {}
        self.positions: dict[str, Position] = {}
        self.account = Account(0.0, account_id=str(getattr(account, "account_id", "")))
        self.day_start_equity: float | None = None
        # Kept beside the audit log: a bridge restarted mid-session measures the loss from the same start.
        self.day_starts = day_starts or DayStartBook(audit.path.parent / DAY_START_FILE)
        self.equity_day: dt.date | None = None
        self._by_broker: dict[str, str] = {}
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._start_lock: asyncio.Lock | None = None
        self._started = False  # connected and reconciled once: reads may serve what is known from now on
        self.holds = CashHolds()  # cash of buys in flight, until QMT's account shows it spent
        self._tasks: set[asyncio.Task[None]] = set()
        self.order_path = OrderPath(self, _CALL_TIMEOUT_S)
        self.kill_switch = KillSwitch(self)

    # -- lifecycle ---------------------------------------------------------------------------
    async def ready(self) -> None:
        """For reads: connect on first use; afterwards serve what is known even while reconnecting."""
        if not self._started:
            await self.ensure_started()  # parallel first callers wait for the one connection

    async def ensure_started(self) -> None:
        """Connect on first use, on the loop that serves requests (callbacks are posted to it)."""
        if self.connected:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self.connected:
                return
            self.loop = asyncio.get_running_loop()
            self.worker.start()
            try:
                self.trader = await self.worker.call(self._open_trader, timeout=_CALL_TIMEOUT_S)
            except Exception as exc:
                raise TradingRefused(503, "unavailable", f"cannot reach QMT's trading interface: {exc}") from None
            self.connected = True
            await self.reconcile()
            self._started = True
            self.spawn(
                self.order_path.refresh_rules(self.clock().date()), "bridge-rules"
            )  # ready before the first order

    def _open_trader(self) -> Any:  # worker thread
        trader = self.make_trader()
        trader.register_callback(TraderCallback(self))
        trader.start()
        if trader.connect() != 0:
            trader.stop()
            raise ConnectionError("QMT refused the connection (is the terminal running and logged in?)")
        if trader.subscribe(self.account_ref) != 0:
            trader.stop()
            raise ConnectionError(f"cannot subscribe to account {getattr(self.account_ref, 'account_id', '?')}")
        return trader

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.trader is not None:
            await self.worker.call(self.trader.stop)
        self.worker.stop()
        self.day_starts.close()

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed", name, exc_info=t.exception())

        task.add_done_callback(done)

    # -- queries -----------------------------------------------------------------------------
    def _query_all(self) -> tuple[list[Any], list[Any], list[Any], Any]:  # worker thread
        t, acct = self.trader, self.account_ref
        return (
            t.query_stock_orders(acct, False),
            t.query_stock_trades(acct),
            t.query_stock_positions(acct),
            t.query_stock_asset(acct),
        )

    async def reconcile(self) -> None:
        """Take the broker's word for every order, trade, position and the cash; settle unknown outcomes."""
        mark = self.holds.snapshot_mark()
        orders, trades, positions, asset = await self.worker.call(self._query_all, timeout=_CALL_TIMEOUT_S)
        self.holds.snapshot_taken(mark)
        seen: set[str] = set()
        for xo in orders:
            seen.add(self._merge_order(xo))
        for cid, order in list(self.orders.items()):
            if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN) and cid not in seen:
                # Queried after the link came back and the broker has no such order: it was never placed.
                self.set_order(
                    order.evolve(
                        status=OrderStatus.REJECTED,
                        updated=self.clock(),
                        reason="not received by the broker (checked after reconnecting); not resent",
                    )
                )
        for xt in trades:
            self._merge_trade(xt)
        self.positions = {p.symbol: p for p in (position_to_domain(x) for x in positions)}
        if asset is not None:
            self.account = asset_to_domain(asset)
            self.order_path.fix_day_start(self.clock().date())
        self.emit(
            "portfolio",
            account=account_to_wire(self.account),
            positions=[position_to_wire(p) for p in self.positions.values()],
        )
        self.audit.append("bridge", "reconciled", "", orders=len(orders), trades=len(trades))

    async def refresh_portfolio(self) -> None:
        t, acct = self.trader, self.account_ref
        mark = self.holds.snapshot_mark()
        positions, asset = await self.worker.call(
            lambda: (t.query_stock_positions(acct), t.query_stock_asset(acct)), timeout=_CALL_TIMEOUT_S
        )
        self.holds.snapshot_taken(mark)
        self.positions = {p.symbol: p for p in (position_to_domain(x) for x in positions)}
        if asset is not None:
            self.account = asset_to_domain(asset)
        self.emit(
            "portfolio",
            account=account_to_wire(self.account),
            positions=[position_to_wire(p) for p in self.positions.values()],
        )

    # -- commands: the order path and the kill switch ------------------------------------------
    async def submit(self, request: OrderRequest, actor: str) -> Order:
        return (await self.order_path.place(request, actor))[0]

    async def place(self, request: OrderRequest, actor: str) -> tuple[Order, bool]:
        """(the order, True when this call placed it); see OrderPath.place."""
        return await self.order_path.place(request, actor)

    async def cancel(self, client_id: str, actor: str) -> Order:
        return await self.kill_switch.cancel(client_id, actor)

    async def kill(self, actor: str, reason: str = "kill switch") -> KillReport:
        return await self.kill_switch.kill(actor, reason)

    def set_armed(self, armed: bool, actor: str, reason: str = "") -> None:
        self.kill_switch.set_armed(armed, actor, reason)

    async def send_cancel(self, order: Order) -> None:
        rc = await self.worker.call(
            self.trader.cancel_order_stock_async, self.account_ref, int(order.broker_id), timeout=_CALL_TIMEOUT_S
        )
        self.audit.append("xttrader", "cancel_sent", order.client_id, seq=rc)

    def state(self) -> dict[str, Any]:
        """Armed, connected, the day's equity figures and the limits in force, for `/v1/trading/state`."""
        return {
            "armed": self.armed,
            "connected": self.connected,
            "day_start_equity": self.day_start_equity,
            "equity_day": self.equity_day.isoformat() if self.equity_day else None,
            "limits": self.risk.limits.as_dict(),
            "working": [o.client_id for o in self.orders.values() if o.is_open],
        }

    # -- callbacks, on the loop --------------------------------------------------------------
    def _client_id(self, order_id: Any, remark: str) -> str:
        if remark and remark in self.orders:
            return remark
        return self._by_broker.get(str(order_id)) or remark or manual_client_id(order_id)

    def _merge_order(self, xo: Any) -> str:
        cid = self._client_id(xo.order_id, str(getattr(xo, "order_remark", "") or ""))
        known = self.orders.get(cid)
        self._by_broker[str(xo.order_id)] = cid
        updated = order_to_domain(xo, known)
        if known is not None and known.filled_qty > updated.filled_qty:
            updated = updated.evolve(filled_qty=known.filled_qty, avg_price=known.avg_price)  # stale snapshot
        if updated != known:
            self.set_order(updated)
        return cid

    def _merge_trade(self, xt: Any) -> Fill | None:
        if str(xt.traded_id) in self.fills:
            return None
        fill = trade_to_fill(xt, self._client_id(xt.order_id, str(getattr(xt, "order_remark", "") or "")))
        self.fills[fill.fill_id] = fill
        self.emit("trade", trade=fill_to_wire(fill))
        return fill

    def set_order(self, order: Order) -> None:
        self.orders[order.client_id] = order
        self.emit("order", order=order_to_wire(order))
        if not order.is_open and not order.filled_qty:
            self.holds.release(order.client_id)  # spent nothing; a fill stays held until a snapshot shows it
        self.kill_switch.order_changed(order)

    def _on_order(self, xo: Any) -> None:
        self._merge_order(xo)

    def _on_trade(self, xt: Any) -> None:
        if self._merge_trade(xt) is not None:
            self.audit.append(
                "xttrader",
                "trade_reported",
                self._client_id(xt.order_id, xt.order_remark),
                traded_id=str(xt.traded_id),
                qty=int(xt.traded_volume),
                price=float(xt.traded_price),
            )
            self.spawn(self.refresh_portfolio(), "xttrader-portfolio")

    def _on_order_response(self, response: Any) -> None:
        cid = str(getattr(response, "order_remark", "") or "")
        order = self.orders.get(cid)
        self._by_broker[str(response.order_id)] = cid or manual_client_id(response.order_id)
        if order is not None and not order.broker_id and int(response.order_id) > 0:
            self.set_order(order.evolve(broker_id=str(response.order_id), updated=self.clock()))

    def _on_order_error(self, error: Any) -> None:
        cid = self._client_id(error.order_id, str(getattr(error, "order_remark", "") or ""))
        order = self.orders.get(cid)
        self.audit.append("xttrader", "order_error", cid, error_id=int(error.error_id), message=str(error.error_msg))
        if order is not None and order.is_open:
            self.set_order(
                order.evolve(
                    status=OrderStatus.REJECTED,
                    reason=str(error.error_msg),
                    broker_id=order.broker_id or str(error.order_id),
                    updated=self.clock(),
                )
            )

    def _on_cancel_error(self, error: Any) -> None:
        cid = self._by_broker.get(str(error.order_id), "")
        self.audit.append("xttrader", "cancel_error", cid, error_id=int(error.error_id), message=str(error.error_msg))
        self.emit("error", client_id=cid, message=str(error.error_msg))

    def _on_disconnected(self) -> None:
        if not self.connected:
            return
        self.connected = False
        self.audit.append("xttrader", "disconnected", "")
        for order in list(self.orders.values()):
            if order.status is OrderStatus.PENDING:
                self.set_order(
                    order.evolve(
                        status=OrderStatus.UNKNOWN,
                        updated=self.clock(),
                        reason="link to QMT lost while in flight; will be reconciled",
                    )
                )
        self.emit("state", armed=self.armed, connected=False)
        self.spawn(self._reconnect(), "xttrader-reconnect")

    async def _reconnect(self) -> None:
        old, self.trader = self.trader, None
        if old is not None:
            await self.worker.call(old.stop)
        attempt = 0
        while not self.connected:
            await asyncio.sleep(self.backoff.delay(attempt))
            try:
                await self.ensure_started()  # reconnects and reconciles; nothing is ever resent
            except TradingRefused:
                attempt += 1
        await self.kill_switch.link_restored()
        self.emit("state", armed=self.armed, connected=True)

    # -- event stream ------------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_EVENT_QUEUE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def emit(self, kind: str, **payload: Any) -> None:
        event = {"type": kind, **payload}
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()  # a slow reader loses the oldest event, never blocks the broker's
            queue.put_nowait(event)
