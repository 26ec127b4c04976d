"""The bridge's order path: one order per client id, the pre-trade checks on marked equity, then QMT."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from core.bridge.trading.holds import request_of, same_body
from core.bridge.trading.refused import LINK_DOWN, TradingRefused
from core.bridge.trading.xt_trade_records import XT_ORDER_TYPES, xt_price_type
from core.domain.orders import Account, Order, OrderRequest, OrderStatus, Side
from core.trading.risk import RiskContext
from core.trading.rule_inputs import with_instruments
from core.trading.rulebook import mark_price
from core.trading.service import order_fields, request_fields
from core.trading.wire import order_to_wire

if TYPE_CHECKING:
    from core.bridge.trading.service import BridgeTrading

log = logging.getLogger(__name__)
STRATEGY_NAME = "qdesk"


class OrderPath:
    """Audit the request, take its client id, check it against the day's figures, hold its cash, send it.

    The client id is taken before anything is awaited, so parallel requests under one id place at most
    one order; an order whose outcome is not known is marked unknown and reconciled, never sent again.
    """

    def __init__(self, owner: BridgeTrading, call_timeout: float) -> None:
        self.owner = owner
        self.call_timeout = call_timeout
        self.requests: dict[str, OrderRequest] = {}  # every client id this bridge has taken, with its body
        self.inflight: dict[str, asyncio.Future[Order]] = {}
        self.rules_day: dt.date | None = None
        self._rules_lock: asyncio.Lock | None = None

    async def place(self, request: OrderRequest, actor: str) -> tuple[Order, bool]:
        """(the order, True when this call placed it); a retry of a used id gets that order back."""
        t, cid = self.owner, request.client_id
        t.audit.append(actor, "order_requested", cid, **request_fields(request))
        known = self.requests.get(cid) or (request_of(t.orders[cid]) if cid in t.orders else None)
        if known is not None:
            if not same_body(known, request):
                t.audit.append(actor, "order_conflict_refused", cid)
                raise TradingRefused(409, "client_id_conflict", f"client id {cid} is already used by a different order")
            first = self.inflight.get(cid)
            order = await asyncio.shield(first) if first is not None else t.orders[cid]
            t.audit.append(actor, "order_duplicate_ignored", cid, status=order.status.value)
            return order, False
        self.requests[cid] = request
        first = asyncio.get_running_loop().create_future()
        first.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved even with no retry
        self.inflight[cid] = first
        try:
            order = await self._place_new(request)
        except BaseException as exc:
            self.requests.pop(cid, None)  # a refused id may be used again
            if isinstance(exc, Exception):
                first.set_exception(exc)
            else:
                first.cancel()
            raise
        finally:
            self.inflight.pop(cid, None)
        first.set_result(order)
        return order, True

    async def _place_new(self, request: OrderRequest) -> Order:
        t, cid = self.owner, request.client_id
        await t.ready()
        if not t.connected:
            raise TradingRefused(503, "unavailable", LINK_DOWN)
        if not t.armed:
            t.audit.append("bridge", "order_refused", cid, reason="not armed")
            raise TradingRefused(409, "not_armed", "the bridge is not armed for trading; arm it first")
        ctx = await self.context(request)
        # From here to the worker call nothing is awaited: the check and the cash it holds are one step.
        ctx = replace(ctx, account=t.holds.account(ctx.account))
        verdict = t.risk.check(ctx)
        t.audit.append(
            "risk",
            "risk_checked",
            cid,
            ok=verdict.ok,
            checked=list(verdict.checked),
            refusals=[{"rule": r.rule, "reason": r.reason} for r in verdict.refusals],
        )
        if not verdict.ok:
            raise TradingRefused(422, "risk_refused", verdict.reason, verdict)
        if not t.armed:  # disarmed (kill switch) while the quote was awaited
            raise TradingRefused(409, "not_armed", "the bridge was disarmed; nothing was sent")
        if request.side is Side.BUY:
            fees = t.rules.fees(request.symbol, ctx.now.date(), Side.BUY, ctx.price, request.qty).total
            t.holds.hold(cid, request.qty * ctx.price + fees)
        t.orders[cid] = Order.pending(request, t.clock())  # before the call: a repeat now is a duplicate
        t.holds.sending(cid)
        try:
            seq = await t.worker.call(
                t.trader.order_stock_async,
                t.account_ref,
                request.symbol,
                XT_ORDER_TYPES[request.side],
                request.qty,
                xt_price_type(request.symbol, request.type),
                request.price,
                STRATEGY_NAME,
                cid,
                timeout=self.call_timeout,
            )
        except Exception as exc:  # noqa: BLE001 (a timeout or vendor error: the outcome is unknown)
            t.set_order(
                t.orders[cid].evolve(
                    status=OrderStatus.UNKNOWN,
                    reason=f"outcome unknown ({exc or type(exc).__name__}); it will be reconciled, never resent",
                )
            )
            t.audit.append("xttrader", "broker_replied", cid, **order_fields(t.orders[cid]))
            return t.orders[cid]
        if isinstance(seq, int) and seq < 0:
            t.holds.release(cid)
            t.set_order(
                t.orders[cid].evolve(status=OrderStatus.REJECTED, reason="QMT refused the order call (not connected)")
            )
        t.audit.append("xttrader", "broker_replied", cid, seq=seq, **order_fields(t.orders[cid]))
        t.emit("order", order=order_to_wire(t.orders[cid]))
        return t.orders[cid]

    # -- the figures an order is checked against ----------------------------------------------
    async def context(self, request: OrderRequest) -> RiskContext:
        t = self.owner
        now = t.clock()
        if t.equity_day != now.date():
            # A new session: the stop measures from the broker's account as the day starts.
            await t.refresh_portfolio()
            self.fix_day_start(now.date())
        if self.rules_day != now.date():
            await self.refresh_rules(now.date())
        tick = await t.quotes(request.symbol) if t.quotes is not None else None
        account = await self._marked(t.account)
        now = t.clock()
        today = [o for o in t.orders.values() if o.created.date() == now.date()]
        start = t.day_start_equity if t.day_start_equity is not None else account.equity
        return RiskContext(request, now, account, t.positions.get(request.symbol), tick, today, start, t.rules)

    async def _marked(self, account: Account) -> Account:
        """The account with every holding marked to its live quote (QMT's market value lags)."""
        t = self.owner
        if t.quotes is None:
            return account
        value = 0.0
        for pos in list(t.positions.values()):
            tick = await t.quotes(pos.symbol)
            value += pos.total * (mark_price(tick) or pos.last or pos.cost)
        return Account(account.cash, account.frozen, value, account.account_id)

    async def refresh_rules(self, day: dt.date) -> None:
        """Today's ST names and listing dates into the rule book the checks use (the backtest's inputs)."""
        t = self.owner
        if t.instruments is None:
            return
        if self._rules_lock is None:
            self._rules_lock = asyncio.Lock()
        async with self._rules_lock:  # the start's prefetch and a first order share one load
            if self.rules_day == day:
                return
            try:
                listed = await t.instruments()
            except Exception as exc:  # noqa: BLE001 (QMT busy or down: keep the last book, try at the next order)
                log.warning("instrument list not available for the rule book: %s", exc)
                return
            t.rules, self.rules_day = with_instruments(t.base_rules, listed, day), day
        st = sum(1 for periods in t.rules.st_periods.values() for s, e in periods if s <= day.isoformat() <= e)
        t.audit.append("bridge", "rules_loaded", "", day=day.isoformat(), instruments=len(listed), st=st)

    def fix_day_start(self, day: dt.date) -> None:
        """The day's starting equity: the one recorded for this account and day, else the account's now."""
        t = self.owner
        if t.equity_day == day:
            return
        account = str(getattr(t.account_ref, "account_id", ""))
        known = t.day_starts.get(account, day)
        equity = known if known is not None else t.day_starts.fix(account, day, t.account.equity, t.clock())
        t.equity_day, t.day_start_equity = day, equity
        t.audit.append("bridge", "day_start_equity", "", day=day.isoformat(), equity=equity, restored=known is not None)
