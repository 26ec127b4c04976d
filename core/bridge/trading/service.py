"""Live orders through QMT: xttrader behind the one xtquant worker, idempotent client ids, reconcile on reconnect.

Past 400 lines: one class owns xttrader's session, its callbacks and the order book they update.

xttrader calls back on its own thread; callbacks only copy the record onto the event loop, and
nothing synchronous is ever asked of xtquant from inside a callback. An order whose outcome is not
known (the link dropped while it was in flight) is marked unknown and settled by querying the
broker when the link is back: it is never sent a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from core.bridge.trading.day_start import DAY_START_FILE, DayStartBook
from core.bridge.trading.holds import CashHolds, request_of, same_body
from core.bridge.trading.xt_trade_records import (
    XT_ORDER_TYPES,
    asset_to_domain,
    manual_client_id,
    order_to_domain,
    position_to_domain,
    trade_to_fill,
    xt_price_type,
)
from core.bridge.xt_worker import XtWorker
from core.domain.bars import Instrument
from core.domain.orders import Account, Fill, Order, OrderRequest, OrderStatus, Position, Side
from core.domain.ticks import Tick
from core.trading.audit import AuditLog
from core.trading.risk import RiskContext, RiskEngine, Verdict
from core.trading.rule_inputs import with_instruments
from core.trading.rulebook import RuleBook, mark_price
from core.trading.service import order_fields, request_fields
from core.trading.wire import account_to_wire, fill_to_wire, order_to_wire, position_to_wire
from core.util.backoff import Backoff

log = logging.getLogger(__name__)
_CALL_TIMEOUT_S = 10.0
_EVENT_QUEUE = 1000
STRATEGY_NAME = "qdesk"


class TradingRefused(Exception):
    """An order or command refused before reaching the broker: HTTP status, code and one-sentence reason."""

    def __init__(self, status: int, code: str, message: str, verdict: Verdict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.verdict = status, code, message, verdict


@dataclass(frozen=True, slots=True)
class KillReport:
    """What the kill switch did: cancels sent, cancels waiting (for QMT's number or the link), what still works."""

    cancel_sent: list[str]
    awaiting: list[str]
    working: list[str]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)


class _Callback:
    """xttrader's XtQuantTraderCallback: runs on xttrader's thread, so it only hands records to the loop."""

    def __init__(self, owner: BridgeTrading) -> None:
        self._owner = owner

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._owner.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def on_disconnected(self) -> None:
        self._post(self._owner._on_disconnected)

    def on_stock_order(self, order: Any) -> None:
        self._post(self._owner._on_order, order)

    def on_stock_trade(self, trade: Any) -> None:
        self._post(self._owner._on_trade, trade)

    def on_order_error(self, error: Any) -> None:
        self._post(self._owner._on_order_error, error)

    def on_cancel_error(self, error: Any) -> None:
        self._post(self._owner._on_cancel_error, error)

    def on_order_stock_async_response(self, response: Any) -> None:
        self._post(self._owner._on_order_response, response)

    def on_cancel_order_stock_async_response(self, response: Any) -> None:
        pass  # the order's new status arrives through on_stock_order; failures through on_cancel_error

    def on_account_status(self, status: Any) -> None:
        pass

    def on_connected(self) -> None:
        pass


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
        self._rules_day: dt.date | None = None
        self._rules_lock: asyncio.Lock | None = None
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
        self._equity_day: dt.date | None = None
        self._by_broker: dict[str, str] = {}
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._start_lock: asyncio.Lock | None = None
        self._started = False  # connected and reconciled once: reads may serve what is known from now on
        self._requests: dict[str, OrderRequest] = {}  # every client id this bridge has taken, with its body
        self._inflight: dict[str, asyncio.Future[Order]] = {}
        self._holds = CashHolds()
        self._killing = False  # the kill switch is on: open orders are cancelled as QMT numbers them
        self._cancel_on_ack: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

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
            self._spawn(self._refresh_rules(self.clock().date()), "bridge-rules")  # ready before the first order

    def _open_trader(self) -> Any:  # worker thread
        trader = self.make_trader()
        trader.register_callback(_Callback(self))
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

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
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
        mark = self._holds.snapshot_mark()
        orders, trades, positions, asset = await self.worker.call(self._query_all, timeout=_CALL_TIMEOUT_S)
        self._holds.snapshot_taken(mark)
        seen: set[str] = set()
        for xo in orders:
            seen.add(self._merge_order(xo))
        for cid, order in list(self.orders.items()):
            if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN) and cid not in seen:
                # Queried after the link came back and the broker has no such order: it was never placed.
                self._set_order(
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
            self._fix_day_start(self.clock().date())
        self._emit(
            "portfolio",
            account=account_to_wire(self.account),
            positions=[position_to_wire(p) for p in self.positions.values()],
        )
        self.audit.append("bridge", "reconciled", "", orders=len(orders), trades=len(trades))

    async def _refresh_portfolio(self) -> None:
        t, acct = self.trader, self.account_ref
        mark = self._holds.snapshot_mark()
        positions, asset = await self.worker.call(
            lambda: (t.query_stock_positions(acct), t.query_stock_asset(acct)), timeout=_CALL_TIMEOUT_S
        )
        self._holds.snapshot_taken(mark)
        self.positions = {p.symbol: p for p in (position_to_domain(x) for x in positions)}
        if asset is not None:
            self.account = asset_to_domain(asset)
        self._emit(
            "portfolio",
            account=account_to_wire(self.account),
            positions=[position_to_wire(p) for p in self.positions.values()],
        )

    # -- commands ----------------------------------------------------------------------------
    async def submit(self, request: OrderRequest, actor: str) -> Order:
        return (await self.place(request, actor))[0]

    async def place(self, request: OrderRequest, actor: str) -> tuple[Order, bool]:
        """(the order, True when this call placed it). The client id is taken before anything is awaited,
        so parallel requests under one id place at most one order; a retry gets that order back."""
        cid = request.client_id
        self.audit.append(actor, "order_requested", cid, **request_fields(request))
        known = self._requests.get(cid) or (request_of(self.orders[cid]) if cid in self.orders else None)
        if known is not None:
            if not same_body(known, request):
                self.audit.append(actor, "order_conflict_refused", cid)
                raise TradingRefused(409, "client_id_conflict", f"client id {cid} is already used by a different order")
            first = self._inflight.get(cid)
            order = await asyncio.shield(first) if first is not None else self.orders[cid]
            self.audit.append(actor, "order_duplicate_ignored", cid, status=order.status.value)
            return order, False
        self._requests[cid] = request
        first = asyncio.get_running_loop().create_future()
        first.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved even with no retry
        self._inflight[cid] = first
        try:
            order = await self._place_new(request)
        except BaseException as exc:
            self._requests.pop(cid, None)  # a refused id may be used again
            if isinstance(exc, Exception):
                first.set_exception(exc)
            else:
                first.cancel()
            raise
        finally:
            self._inflight.pop(cid, None)
        first.set_result(order)
        return order, True

    async def _place_new(self, request: OrderRequest) -> Order:
        cid = request.client_id
        await self.ready()
        if not self.connected:
            raise TradingRefused(503, "unavailable", "the link to QMT is down; reconnecting, try again shortly")
        if not self.armed:
            self.audit.append("bridge", "order_refused", cid, reason="not armed")
            raise TradingRefused(409, "not_armed", "the bridge is not armed for trading; arm it first")
        ctx = await self._context(request)
        # From here to the worker call nothing is awaited: the check and the cash it holds are one step.
        ctx = replace(ctx, account=self._holds.account(ctx.account))
        verdict = self.risk.check(ctx)
        self.audit.append(
            "risk",
            "risk_checked",
            cid,
            ok=verdict.ok,
            checked=list(verdict.checked),
            refusals=[{"rule": r.rule, "reason": r.reason} for r in verdict.refusals],
        )
        if not verdict.ok:
            raise TradingRefused(422, "risk_refused", verdict.reason, verdict)
        if not self.armed:  # disarmed (kill switch) while the quote was awaited
            raise TradingRefused(409, "not_armed", "the bridge was disarmed; nothing was sent")
        if request.side is Side.BUY:
            price = ctx.price
            fees = self.rules.fees(request.symbol, ctx.now.date(), Side.BUY, price, request.qty).total
            self._holds.hold(cid, request.qty * price + fees)
        now = self.clock()
        order = Order.pending(request, now)
        self.orders[cid] = order  # before the call: a repeat while this one is in flight is a duplicate
        self._holds.sending(cid)
        try:
            seq = await self.worker.call(
                self.trader.order_stock_async,
                self.account_ref,
                request.symbol,
                XT_ORDER_TYPES[request.side],
                request.qty,
                xt_price_type(request.symbol, request.type),
                request.price,
                STRATEGY_NAME,
                cid,
                timeout=_CALL_TIMEOUT_S,
            )
        except Exception as exc:  # noqa: BLE001 (a timeout or vendor error: the outcome is unknown)
            self._set_order(
                self.orders[cid].evolve(
                    status=OrderStatus.UNKNOWN,
                    reason=f"outcome unknown ({exc or type(exc).__name__}); it will be reconciled, never resent",
                )
            )
            self.audit.append("xttrader", "broker_replied", cid, **order_fields(self.orders[cid]))
            return self.orders[cid]
        if isinstance(seq, int) and seq < 0:
            self._holds.release(cid)
            self._set_order(
                self.orders[cid].evolve(
                    status=OrderStatus.REJECTED, reason="QMT refused the order call (not connected)"
                )
            )
        self.audit.append("xttrader", "broker_replied", cid, seq=seq, **order_fields(self.orders[cid]))
        self._emit("order", order=order_to_wire(self.orders[cid]))
        return self.orders[cid]

    async def cancel(self, client_id: str, actor: str) -> Order:
        await self.ready()
        self.audit.append(actor, "cancel_requested", client_id)
        order = self.orders.get(client_id)
        if order is None:
            raise TradingRefused(404, "not_found", f"no order {client_id}")
        if not order.is_open:
            return order
        if not order.broker_id:
            # Cancel on acknowledgement: QMT has not numbered it yet, so the cancel goes when it does.
            self._cancel_on_ack.add(client_id)
            self.audit.append("bridge", "cancel_on_ack", client_id)
            return order
        if not self.connected:
            raise TradingRefused(503, "unavailable", "the link to QMT is down; reconnecting, try again shortly")
        await self._send_cancel(order)
        return self.orders[client_id]

    async def _send_cancel(self, order: Order) -> None:
        rc = await self.worker.call(
            self.trader.cancel_order_stock_async, self.account_ref, int(order.broker_id), timeout=_CALL_TIMEOUT_S
        )
        self.audit.append("xttrader", "cancel_sent", order.client_id, seq=rc)

    async def kill(self, actor: str, reason: str = "kill switch") -> KillReport:
        """Disarm first, then cancel every open order: those QMT numbered now, the others when it does;
        with the link down the cancels go after the reconnect. Reports what is still working."""
        self.set_armed(False, actor, reason)
        self._killing = True
        with contextlib.suppress(TradingRefused):  # never connected: nothing of ours can be open at QMT
            await self.ready()
        return await self._cancel_open(actor)

    async def _cancel_open(self, actor: str) -> KillReport:
        sent: list[str] = []
        waiting: list[str] = []
        for order in [o for o in self.orders.values() if o.is_open]:
            self.audit.append(actor, "cancel_requested", order.client_id)
            if not order.broker_id:
                self._cancel_on_ack.add(order.client_id)
                waiting.append(order.client_id)
                continue
            if not self.connected:
                waiting.append(order.client_id)
                continue
            try:
                await self._send_cancel(order)
                sent.append(order.client_id)
            except Exception as exc:  # noqa: BLE001 (link lost mid-kill: retried after the reconnect)
                self.audit.append("xttrader", "cancel_failed", order.client_id, error=str(exc))
                waiting.append(order.client_id)
        working = [o.client_id for o in self.orders.values() if o.is_open]
        report = KillReport(sent, waiting, working)
        self.audit.append(actor, "kill_progress", "", cancel_sent=sent, awaiting=waiting, working=working)
        return report

    def set_armed(self, armed: bool, actor: str, reason: str = "") -> None:
        self.armed = armed
        if armed:
            self._killing = False
            self._cancel_on_ack.clear()
        self.audit.append(actor, "armed" if armed else "disarmed", "", reason=reason)
        self._emit("state", armed=armed, actor=actor, reason=reason)

    def state(self) -> dict[str, Any]:
        """Armed, connected, the day's equity figures and the limits in force, for `/v1/trading/state`."""
        return {
            "armed": self.armed,
            "connected": self.connected,
            "day_start_equity": self.day_start_equity,
            "equity_day": self._equity_day.isoformat() if self._equity_day else None,
            "limits": self.risk.limits.as_dict(),
            "working": [o.client_id for o in self.orders.values() if o.is_open],
        }

    async def _marked(self, account: Account) -> Account:
        """The account with every holding marked to its live quote (QMT's market value lags)."""
        if self.quotes is None:
            return account
        value = 0.0
        for pos in list(self.positions.values()):
            tick = await self.quotes(pos.symbol)
            value += pos.total * (mark_price(tick) or pos.last or pos.cost)
        return Account(account.cash, account.frozen, value, account.account_id)

    async def _context(self, request: OrderRequest) -> RiskContext:
        now = self.clock()
        if self._equity_day != now.date():
            # A new session: the stop measures from the broker's account as the day starts.
            await self._refresh_portfolio()
            self._fix_day_start(now.date())
        if self._rules_day != now.date():
            await self._refresh_rules(now.date())
        tick = await self.quotes(request.symbol) if self.quotes is not None else None
        account = await self._marked(self.account)
        now = self.clock()
        today = [o for o in self.orders.values() if o.created.date() == now.date()]
        start = self.day_start_equity if self.day_start_equity is not None else account.equity
        return RiskContext(request, now, account, self.positions.get(request.symbol), tick, today, start, self.rules)

    async def _refresh_rules(self, day: dt.date) -> None:
        """Today's ST names and listing dates into the rule book the checks use (the backtest's inputs)."""
        if self.instruments is None:
            return
        if self._rules_lock is None:
            self._rules_lock = asyncio.Lock()
        async with self._rules_lock:  # the start's prefetch and a first order share one load
            if self._rules_day == day:
                return
            try:
                listed = await self.instruments()
            except Exception as exc:  # noqa: BLE001 (QMT busy or down: keep the last book, try at the next order)
                log.warning("instrument list not available for the rule book: %s", exc)
                return
            self.rules, self._rules_day = with_instruments(self.base_rules, listed, day), day
        st = sum(1 for periods in self.rules.st_periods.values() for s, e in periods if s <= day.isoformat() <= e)
        self.audit.append("bridge", "rules_loaded", "", day=day.isoformat(), instruments=len(listed), st=st)

    def _fix_day_start(self, day: dt.date) -> None:
        if self._equity_day != day:
            account = str(getattr(self.account_ref, "account_id", ""))
            known = self.day_starts.get(account, day)
            equity = known if known is not None else self.day_starts.fix(account, day, self.account.equity, _now())
            self._equity_day, self.day_start_equity = day, equity
            self.audit.append(
                "bridge", "day_start_equity", "", day=day.isoformat(), equity=equity, restored=known is not None
            )

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
            self._set_order(updated)
        return cid

    def _merge_trade(self, xt: Any) -> Fill | None:
        if str(xt.traded_id) in self.fills:
            return None
        fill = trade_to_fill(xt, self._client_id(xt.order_id, str(getattr(xt, "order_remark", "") or "")))
        self.fills[fill.fill_id] = fill
        self._emit("trade", trade=fill_to_wire(fill))
        return fill

    def _set_order(self, order: Order) -> None:
        self.orders[order.client_id] = order
        self._emit("order", order=order_to_wire(order))
        cid = order.client_id
        if not order.is_open:
            if not order.filled_qty:
                self._holds.release(cid)  # spent nothing; a fill stays held until a snapshot shows it
            self._cancel_on_ack.discard(cid)
        elif cid in self._cancel_on_ack and order.broker_id and self.connected:
            self._cancel_on_ack.discard(cid)
            self._spawn(self._cancel_acknowledged(order), f"xttrader-cancel-{cid}")

    async def _cancel_acknowledged(self, order: Order) -> None:
        try:
            await self._send_cancel(order)
        except Exception as exc:  # noqa: BLE001 (the link went again: the reconnect cancels it)
            self._cancel_on_ack.add(order.client_id)
            self.audit.append("xttrader", "cancel_failed", order.client_id, error=str(exc))

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
            self._spawn(self._refresh_portfolio(), "xttrader-portfolio")

    def _on_order_response(self, response: Any) -> None:
        cid = str(getattr(response, "order_remark", "") or "")
        order = self.orders.get(cid)
        self._by_broker[str(response.order_id)] = cid or manual_client_id(response.order_id)
        if order is not None and not order.broker_id and int(response.order_id) > 0:
            self._set_order(order.evolve(broker_id=str(response.order_id), updated=self.clock()))

    def _on_order_error(self, error: Any) -> None:
        cid = self._client_id(error.order_id, str(getattr(error, "order_remark", "") or ""))
        order = self.orders.get(cid)
        self.audit.append("xttrader", "order_error", cid, error_id=int(error.error_id), message=str(error.error_msg))
        if order is not None and order.is_open:
            self._set_order(
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
        self._emit("error", client_id=cid, message=str(error.error_msg))

    def _on_disconnected(self) -> None:
        if not self.connected:
            return
        self.connected = False
        self.audit.append("xttrader", "disconnected", "")
        for order in list(self.orders.values()):
            if order.status is OrderStatus.PENDING:
                self._set_order(
                    order.evolve(
                        status=OrderStatus.UNKNOWN,
                        updated=self.clock(),
                        reason="link to QMT lost while in flight; will be reconciled",
                    )
                )
        self._emit("state", armed=self.armed, connected=False)
        self._spawn(self._reconnect(), "xttrader-reconnect")

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
        if self._killing:
            await self._cancel_open("bridge")  # the kill switch pressed while the link was down
        self._emit("state", armed=self.armed, connected=True)

    # -- event stream ------------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_EVENT_QUEUE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def _emit(self, kind: str, **payload: Any) -> None:
        event = {"type": kind, **payload}
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()  # a slow reader loses the oldest event, never blocks the broker's
            queue.put_nowait(event)
