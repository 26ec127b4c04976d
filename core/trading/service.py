"""Trading as one object: arm state and kill switch, pre-trade checks, the broker, and the audit trail."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.domain.orders import (
    Account,
    Fill,
    Order,
    OrderEvent,
    OrderRejected,
    OrderRequest,
    Position,
    QueuedOrder,
    Side,
    TradingStateChanged,
)
from core.domain.ticks import Tick
from core.trading.audit import AuditLog
from core.trading.queue_book import CANCELLED, QUEUE_FILE, QUEUED, RELEASED, QueuedBook, QueueError
from core.trading.risk import Refusal, RiskContext, RiskEngine, RiskLimits, Verdict
from core.trading.rulebook import RuleBook, mark_price
from core.util.listeners import Listeners

log = logging.getLogger(__name__)
LIMITS_CHANGED = "risk limits changed"
DISARMED = "trading is disarmed (kill switch or not armed yet); arm it to send orders"


class Broker(Protocol):
    """What the service needs of the paper broker (and of any other in-process broker)."""

    name: str
    mode: str
    rules: RuleBook
    clock: Callable[[], dt.datetime]

    def add_listener(self, listener: Callable[[OrderEvent], None]) -> Callable[[], None]: ...
    def quote(self, symbol: str) -> Tick | None: ...
    def account(self) -> Account: ...
    def positions(self) -> list[Position]: ...
    def orders(self) -> list[Order]: ...
    def fills(self) -> list[Fill]: ...
    def order(self, client_id: str) -> Order | None: ...
    def submit(self, request: OrderRequest) -> Order: ...
    def cancel(self, client_id: str, reason: str = ...) -> Order: ...


@dataclass(frozen=True, slots=True)
class SubmitResult:
    verdict: Verdict
    order: Order | None

    @property
    def accepted(self) -> bool:
        return self.order is not None and self.verdict.ok


def _same_order(order: Order, request: OrderRequest) -> bool:
    return (order.symbol, order.side, order.qty, round(order.price, 4), order.type) == (
        request.symbol,
        request.side,
        request.qty,
        round(request.price, 4),
        request.type,
    )


def order_fields(order: Order) -> dict[str, object]:
    return {
        "client_id": order.client_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "qty": order.qty,
        "price": order.price,
        "status": order.status.value,
        "filled_qty": order.filled_qty,
        "avg_price": order.avg_price,
        "broker_id": order.broker_id,
        "reason": order.reason,
    }


def request_fields(req: OrderRequest) -> dict[str, object]:
    return {
        "client_id": req.client_id,
        "symbol": req.symbol,
        "side": req.side.value,
        "type": req.type.value,
        "qty": req.qty,
        "price": req.price,
        "origin": req.origin,
    }


class TradingService:
    """Every order goes: audit the request -> armed? -> pre-trade checks (audited) -> broker (audited).

    Callers may be on several threads (API, strategies, the GUI): a check and the order it lets through
    happen under one lock, so two orders never both spend the same cash or take the same client id.
    """

    def __init__(
        self,
        broker: Broker,
        risk: RiskEngine,
        audit: AuditLog,
        actor: str = "desktop",
        armed: bool = True,
        queue_book: QueuedBook | None = None,
    ) -> None:
        self.broker = broker
        self.risk = risk
        self.audit = audit
        self.actor = actor
        self._armed = armed
        self._state_listeners: Listeners[TradingStateChanged] = Listeners("trading state")
        self._lock = threading.RLock()
        self.queue_book = queue_book or QueuedBook(audit.path.parent / QUEUE_FILE)
        self._queue_listeners: Listeners[list[QueuedOrder]] = Listeners("queued orders")
        broker.add_listener(self._on_broker_event)

    @property
    def armed(self) -> bool:
        return self._armed

    @property
    def mode(self) -> str:
        return self.broker.mode

    def add_state_listener(self, listener: Callable[[TradingStateChanged], None]) -> Callable[[], None]:
        return self._state_listeners.add(listener)

    def add_queue_listener(self, listener: Callable[[list[QueuedOrder]], None]) -> Callable[[], None]:
        """Hear every change of the queued-order book (the whole book after it); returns the way to stop."""
        return self._queue_listeners.add(listener)

    def marked_account(self) -> Account:
        """The broker's account with holdings marked to live quotes (a live broker's own value lags)."""
        broker = self.broker
        account = broker.account()
        value = 0.0
        for pos in broker.positions():
            value += pos.total * (mark_price(broker.quote(pos.symbol)) or pos.last or pos.cost)
        return Account(account.cash, account.frozen, value, account.account_id)

    def context(self, request: OrderRequest, batch: frozenset[str] = frozenset()) -> RiskContext:
        broker = self.broker
        now = broker.clock()
        today = [o for o in broker.orders() if o.created.date() == now.date()]
        positions = {p.symbol: p for p in broker.positions()}
        account = self.marked_account()
        start = getattr(broker, "day_start_equity", None)
        return RiskContext(
            request,
            now,
            account,
            positions.get(request.symbol),
            broker.quote(request.symbol),
            today,
            float(start) if start is not None else account.equity,
            broker.rules,
            batch,
        )

    def preview(self, request: OrderRequest) -> Verdict:
        """The verdict the order would get now, for the ticket to show before sending; nothing is recorded."""
        verdict = self.risk.check(self.context(request))
        if not self._armed:
            return Verdict((Refusal("armed", DISARMED), *verdict.refusals), ("armed", *verdict.checked))
        return verdict

    def submit(self, request: OrderRequest, actor: str | None = None) -> SubmitResult:
        with self._lock:
            return self._submit(request, actor or self.actor, frozenset())

    def submit_batch(self, requests: Sequence[OrderRequest], actor: str | None = None) -> list[SubmitResult]:
        """A confirmed list (a rebalance) is one decision: it counts once against the order-rate limit,
        so QDesk never refuses its own batch for pacing. Every other check runs on each order."""
        batch = frozenset(r.client_id for r in requests)
        who = actor or self.actor
        with self._lock:
            self.audit.append(who, "batch_requested", "", orders=len(requests), client_ids=sorted(batch))
            return [self._submit(r, who, batch) for r in requests]

    def _submit(self, request: OrderRequest, who: str, batch: frozenset[str]) -> SubmitResult:
        self.audit.append(who, "order_requested", request.client_id, **request_fields(request))
        existing = self.broker.order(request.client_id)
        if existing is not None:
            if not _same_order(existing, request):
                verdict = Verdict(
                    (Refusal("client_id", f"client id {request.client_id} is used by another order"),), ("client_id",)
                )
                self.audit.append(who, "order_conflict_refused", request.client_id)
                return SubmitResult(verdict, None)
            # Idempotent: the same client order id never places a second order.
            self.audit.append(who, "order_duplicate_ignored", request.client_id, status=existing.status.value)
            return SubmitResult(Verdict((), ()), existing)
        if not self._armed:
            verdict = Verdict((Refusal("armed", DISARMED),), ("armed",))
        else:
            verdict = self.risk.check(self.context(request, batch))
        self.audit.append(
            "risk",
            "risk_checked",
            request.client_id,
            ok=verdict.ok,
            checked=list(verdict.checked),
            refusals=[{"rule": r.rule, "reason": r.reason} for r in verdict.refusals],
        )
        if not verdict.ok:
            log.info("%s refused: %s", _describe(request), "; ".join(r.reason for r in verdict.refusals))
            return SubmitResult(verdict, None)
        order = self.broker.submit(request)
        self.audit.append(self.broker.name, "broker_replied", request.client_id, **order_fields(order))
        log.info("%s sent to %s: %s", _describe(request), self.broker.name, order.status.value)
        return SubmitResult(verdict, order)

    # -- the queued-order book (预埋单) ------------------------------------------------------------
    def queue(self, requests: Sequence[OrderRequest], session: dt.date, actor: str | None = None) -> list[QueuedOrder]:
        """Keep orders for `session`'s open; they pass the pre-trade checks when released, not now."""
        who = actor or self.actor
        with self._lock:
            made = self.queue_book.add(list(requests), session, self.broker.clock())
            for q in made:
                self.audit.append(
                    who,
                    "order_queued",
                    q.request.client_id,
                    queue_id=q.queue_id,
                    session=session.isoformat(),
                    **request_fields(q.request),
                )
        self._queue_changed()
        return made

    def queued(self) -> list[QueuedOrder]:
        return self.queue_book.all()

    def cancel_queued(self, queue_id: str, actor: str | None = None) -> QueuedOrder:
        with self._lock:
            done = self.queue_book.take(queue_id, CANCELLED)
            self.audit.append(actor or self.actor, "queued_cancelled", done.request.client_id, queue_id=queue_id)
        self._queue_changed()
        return done

    def release_queued(self, session: dt.date, actor: str | None = None) -> list[SubmitResult]:
        """Send the orders queued for `session` (or earlier) as one batch through the usual checks.

        Disarmed, nothing is sent and the orders stay queued (each result says why): live trading asks the
        user to arm first."""
        who = actor or self.actor
        with self._lock:
            due = [q for q in self.queue_book.all() if q.status == QUEUED and q.session <= session]
            if not due:
                return []
            if not self._armed:
                self.audit.append(who, "queue_release_refused", "", session=session.isoformat(), reason="not armed")
                refusal = Verdict((Refusal("armed", DISARMED),), ("armed",))
                return [SubmitResult(refusal, None) for _ in due]
            taken = []
            for q in due:
                try:
                    taken.append(self.queue_book.take(q.queue_id, RELEASED))
                except QueueError:
                    continue  # cancelled meanwhile
                self.audit.append(
                    who, "queued_released", q.request.client_id, queue_id=q.queue_id, session=session.isoformat()
                )
            # Sells first: they free the cash the buys need.
            ordered = sorted(taken, key=lambda q: q.request.side is not Side.SELL)
            results = self.submit_batch([q.request for q in ordered], who)
        self._queue_changed()
        return results

    def _queue_changed(self) -> None:
        self._queue_listeners.emit(self.queued())

    def cancel(self, client_id: str, actor: str | None = None) -> Order:
        with self._lock:
            return self._cancel(client_id, actor)

    def _cancel(self, client_id: str, actor: str | None) -> Order:
        self.audit.append(actor or self.actor, "cancel_requested", client_id)
        order = self.broker.cancel(client_id)
        self.audit.append(self.broker.name, "broker_replied", client_id, **order_fields(order))
        log.info("cancel of order %s sent to %s: %s", client_id, self.broker.name, order.status.value)
        return order

    def cancel_all(self, actor: str | None = None) -> list[Order]:
        with self._lock:
            return [self._cancel(o.client_id, actor) for o in self.broker.orders() if o.is_open]

    def kill(self, actor: str | None = None, reason: str = "kill switch") -> list[Order]:
        """Disarm first (so nothing new slips in), then cancel every open order."""
        who = actor or self.actor
        log.warning("kill switch (%s) by %s on %s", reason, who, self.broker.name)
        remote_kill = getattr(self.broker, "kill", None)
        self._set_armed(False, who, reason, remote=remote_kill is None)
        if remote_kill is not None:
            # A live broker has its own kill switch (the bridge's): it disarms there and cancels every
            # open order it knows, those placed by hand in QMT included.
            opened = [o for o in self.broker.orders() if o.is_open]
            self.audit.append(who, "kill_sent", "", reason=reason, open_orders=[o.client_id for o in opened])
            remote_kill(reason)
            return opened
        return self.cancel_all(who)

    def arm(self, actor: str | None = None, reason: str = "armed by the user") -> None:
        self._set_armed(True, actor or self.actor, reason)

    def set_limits(self, limits: RiskLimits, actor: str | None = None) -> None:
        """Pre-trade limits from now on (Settings → Orders): the next check uses them, no restart needed.
        Swapped under the order lock, so no order is judged half by the old limits and half by the new."""
        who = actor or self.actor
        with self._lock:
            if limits == self.risk.limits:
                return
            self.risk = RiskEngine(limits)
            self.audit.append(who, "limits_changed", "", **limits.as_dict())
        self._state_listeners.emit(TradingStateChanged(self._armed, who, LIMITS_CHANGED))

    def _set_armed(self, armed: bool, actor: str, reason: str, remote: bool = True) -> None:
        self._armed = armed
        remote_arm = getattr(self.broker, "set_armed", None)
        if remote and remote_arm is not None:
            remote_arm(armed, reason)  # a live broker arms (or disarms) the bridge as well
        self.audit.append(actor, "armed" if armed else "disarmed", "", reason=reason)
        log.info("%s %s by %s: %s", self.broker.name, "armed" if armed else "disarmed", actor, reason)
        event = TradingStateChanged(armed, actor, reason)
        self._state_listeners.emit(event)

    def _on_broker_event(self, event: OrderEvent) -> None:
        data = order_fields(event.order)
        fill = getattr(event, "fill", None)
        if fill is not None:
            data["fill"] = {
                "fill_id": fill.fill_id,
                "qty": fill.qty,
                "price": fill.price,
                "fees": round(fill.fees.total, 4),
            }
        self.audit.append(self.broker.name, type(event).__name__, event.order.client_id, **data)
        order = event.order
        if fill is not None:
            log.info(
                "filled %s %s %d @ %.3f (order %s %s)",
                order.side.value,
                order.symbol,
                fill.qty,
                fill.price,
                order.client_id,
                order.status.value,
            )
        elif isinstance(event, OrderRejected):
            log.warning("order %s %s %s rejected: %s", order.client_id, order.side.value, order.symbol, order.reason)


def _describe(request: OrderRequest) -> str:
    price = f"{request.price:.3f}" if request.price else "market"
    return f"order {request.client_id} {request.side.value} {request.symbol} {request.qty} @ {price}"
