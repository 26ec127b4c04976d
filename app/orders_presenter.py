"""OrdersPresenter: the paper broker (fed from the quote hub) and the trading service, shown in the orders dock."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from app.relay import EventRelay
from core.domain.orders import OrderRequest, Side, TradingStateChanged
from core.domain.symbols import SymbolFormatError, parse_symbol
from core.quotes.hub import QuoteHub
from core.rules.lots import lot_rule
from core.trading import new_client_id
from core.trading.accounts import paper_service, settings_limits
from core.trading.audit import AUDIT_FILE, AuditLog
from core.trading.queue_book import LIVE_QUEUE_FILE, QueuedBook, QueueError
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.rulebook import RuleBook
from core.trading.service import SubmitResult, TradingService
from widgets.order_ticket_dialog import TicketDraft, TicketInfo
from widgets.orders_panel import OrdersPanel
from widgets.tr import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from app.services import Services
    from core.settings import AppSettings

log = logging.getLogger(__name__)
_REFRESH_MS = 1000
USER = "desktop user"


def _tr(text: str) -> str:
    return QCoreApplication.translate("OrdersPresenter", text)


class OrdersPresenter(QObject):
    """Ticket drafts -> pre-trade preview; Send -> TradingService; broker events -> tables (via the relay)."""

    def __init__(
        self,
        panel: OrdersPanel,
        service: TradingService,
        hub: QuoteHub | None = None,
        names: dict[str, str] | None = None,
        release_at: dt.time = dt.time(9, 30),
        is_session: Callable[[dt.date], bool] | None = None,
    ) -> None:
        super().__init__(panel)
        self.is_session = is_session  # the exchange calendar; None: every weekday
        self._session_day: tuple[dt.date, bool] | None = None  # asked once a day: the check runs every second
        self.panel = panel
        self.service = service
        self.names = names or {}
        self.release_at = release_at  # 09:15 (call auction) or 09:30: when queued orders go out
        self._asked_release: dt.date | None = None
        self._ticket_quote: tuple[str, dt.datetime, float] | None = None  # the quote the ticket was last checked on
        self.last_result: Any = None
        self.relay = EventRelay("orders", self)
        self.relay.subscribe(self._on_relay_event)
        service.broker.add_listener(self.relay.core_handler())
        service.add_state_listener(self.relay.core_handler())
        service.add_queue_listener(self.relay.core_handler())
        self._remove_listener = None
        feed = getattr(service.broker, "on_ticks", None)
        if hub is not None and feed is not None:
            remove = hub.add_listener(feed)  # paper fills come from the live quotes
            self._remove_listener = remove
            panel.destroyed.connect(lambda *_: remove())
        panel.ticket.sig_preview_requested.connect(self._on_ticket_sig_preview_requested)
        panel.ticket.sig_send_requested.connect(self._on_ticket_sig_send_requested)
        panel.sig_cancel_requested.connect(self._on_panel_sig_cancel_requested)
        panel.sig_cancel_all_requested.connect(self._on_panel_sig_cancel_all_requested)
        panel.sig_kill_requested.connect(self._on_panel_sig_kill_requested)
        panel.sig_arm_requested.connect(self._on_panel_sig_arm_requested)
        panel.sig_cancel_queued_requested.connect(self._on_panel_sig_cancel_queued_requested)
        panel.set_limits(limit_rows(service.risk.limits))
        self.timer = QTimer(self)
        self.timer.setInterval(_REFRESH_MS)  # marks move with every tick; the tables follow once a second
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        broker = self.service.broker
        self.panel.set_mode(self.service.mode, self.service.armed)
        self.panel.set_account(broker.account())
        self.panel.set_orders(broker.orders())
        self.panel.set_fills(broker.fills())
        self.panel.set_positions(broker.positions())
        self.panel.set_queued(self.service.queued())
        self.refresh_ticket()
        self.release_due()

    def refresh_ticket(self) -> None:
        """Keep the ticket's quote live: check its draft again when its symbol's quote moved since the last
        check, so the verdict and cost shown are never those of an older quote."""
        draft = self.panel.ticket.draft()
        try:
            symbol = str(parse_symbol(draft.symbol)) if draft.symbol else ""
        except SymbolFormatError:
            return
        tick = self.service.broker.quote(symbol) if symbol else None
        seen = (symbol, tick.time, tick.last) if tick is not None else None
        if seen is None or seen == self._ticket_quote:
            return
        self._ticket_quote = seen
        self.panel.ticket.set_info(self.info(draft))

    def _session_today(self, day: dt.date) -> bool:
        if self._session_day is None or self._session_day[0] != day:
            self._session_day = (day, self.is_session(day) if self.is_session is not None else day.weekday() < 5)
        return self._session_day[1]

    def release_due(self) -> list[SubmitResult]:
        """At the session open, send what was queued for it; live and disarmed, ask first (once a session)."""
        now = self.service.broker.clock()
        if not (self.release_at <= now.time() < _SESSION_CLOSE) or not self._session_today(now.date()):
            return []
        due = [q for q in self.service.queued() if q.status == "queued" and q.session <= now.date()]
        if not due:
            return []
        if not self.service.armed:
            if self.service.mode != "live" or self._asked_release == now.date():
                return []
            self._asked_release = now.date()
            lines = [_line(q.request.side.value, q.request.symbol, q.request.qty, q.request.price) for q in due]
            if not self.panel.confirm_release(lines):
                self.panel.show_message(_tr("Queued orders kept: trading is disarmed."))
                return []
            self.service.arm(actor=USER, reason="armed to release the queued orders at the open")
        results = self.service.release_queued(now.date(), actor=USER)
        self._report(_tr("Queued orders released"), results)
        return results

    def _report(self, what: str, results: Sequence[SubmitResult]) -> None:
        refused = [r for r in results if not r.verdict.ok]
        self.panel.show_message(
            _tr("{what}: {sent} of {n} orders sent; {refused} refused{why}").format(
                what=what,
                sent=len(results) - len(refused),
                n=len(results),
                refused=len(refused),
                why=(": " + refused[0].verdict.reason) if refused else "",
            )
        )

    def _request(self, draft: TicketDraft, client_id: str) -> OrderRequest:
        symbol = str(parse_symbol(draft.symbol))
        return OrderRequest(client_id, symbol, draft.side, draft.qty, draft.price, draft.type)

    def info(self, draft: TicketDraft) -> TicketInfo:
        """What the ticket shows for a draft: quote, limits, lot rule, holdings, cost and the verdict."""
        try:
            request = self._request(draft, "preview")
        except SymbolFormatError as exc:
            return TicketInfo(refusals=(str(exc),))
        broker = self.service.broker
        tick = broker.quote(request.symbol)
        now = broker.clock()
        limits = broker.rules.limits(request.symbol, now.date(), tick)
        rule = lot_rule(request.symbol, now.date())
        lot = (
            _tr("lots of {n}").format(n=rule.step)
            if rule.step == rule.minimum
            else _tr("at least {n}, then steps of {step}").format(n=rule.minimum, step=rule.step)
        )
        pos = next((p for p in broker.positions() if p.symbol == request.symbol), None)
        context = self.service.context(request)
        price = context.price
        fees = broker.rules.fees(request.symbol, now.date(), request.side, price, request.qty) if price else None
        cost = _tr("{value:,.2f} + fees {fees:,.2f}").format(value=price * request.qty, fees=fees.total) if fees else ""
        verdict = self.service.preview(request)
        return TicketInfo(
            name=self.names.get(request.symbol, request.symbol),
            last=tick.last if tick else 0.0,
            limit_up=limits[0] if limits else 0.0,
            limit_down=limits[1] if limits else 0.0,
            lot=lot,
            sellable=pos.sellable if pos else 0,
            total=pos.total if pos else 0,
            cost=cost,
            ok=verdict.ok,
            refusals=tuple(f"{r.rule}: {r.reason}" for r in verdict.refusals),
        )

    def _on_ticket_sig_preview_requested(self, draft: TicketDraft) -> None:
        self._ticket_quote = None  # a new draft: the next quote of its symbol checks it again
        self.panel.ticket.set_info(self.info(draft))

    def _on_ticket_sig_send_requested(self, draft: TicketDraft) -> None:
        try:
            request = self._request(draft, new_client_id())
        except SymbolFormatError as exc:
            self.panel.ticket.set_info(TicketInfo(refusals=(str(exc),)))
            return
        result = self.service.submit(request, actor=USER)
        self.last_result = result
        self.refresh()
        info = self.info(draft)
        if not result.verdict.ok:
            info = TicketInfo(
                info.name,
                info.last,
                info.limit_up,
                info.limit_down,
                info.lot,
                info.sellable,
                info.total,
                info.cost,
                False,
                tuple(f"{r.rule}: {r.reason}" for r in result.verdict.refusals),
            )
        self.panel.ticket.set_info(info)

    def _on_panel_sig_cancel_requested(self, client_id: str) -> None:
        self.service.cancel(client_id, actor=USER)
        self.refresh()

    def _on_panel_sig_cancel_all_requested(self) -> None:
        self.service.cancel_all(actor=USER)
        self.refresh()

    def _on_panel_sig_kill_requested(self) -> None:
        opened = self.service.kill(actor=USER, reason="kill switch pressed in the orders panel")
        working = [o.client_id for o in self.service.broker.orders() if o.is_open]
        # Live, the bridge cancels on its side (orders QMT has not numbered yet too): the list shrinks
        # as its events arrive; what is shown here is what still works at this moment.
        self.panel.show_message(
            _tr(
                "Kill switch: disarmed; {n} open order(s) cancelled or being cancelled; still working: {working}"
            ).format(n=len(opened), working=", ".join(working) or _tr("none"))
        )
        self.refresh()

    def _on_panel_sig_cancel_queued_requested(self, queue_id: str) -> None:
        try:
            self.service.cancel_queued(queue_id, actor=USER)
        except QueueError as exc:
            self.panel.show_message(str(exc))
        self.refresh()

    def _on_panel_sig_arm_requested(self) -> None:
        self.service.arm(actor=USER)
        self.refresh()

    def _on_relay_event(self, event: object) -> None:
        if isinstance(event, TradingStateChanged):
            self.panel.set_limits(limit_rows(self.service.risk.limits))  # Settings may have changed them
        self.refresh()

    def prefill(self, symbol: str, side: Side = Side.BUY, price: float = 0.0, qty: int = 0) -> None:
        """Fill the ticket; with no price given, the price a trader would take now: the best ask to buy, the
        best bid to sell, else the last price (never the previous symbol's price left in the field)."""
        if price <= 0:
            try:
                tick = self.service.broker.quote(str(parse_symbol(symbol)))
            except SymbolFormatError:
                tick = None
            if tick is not None:
                best = tick.ask1 if side is Side.BUY else tick.bid1
                price = best if best > 0 else tick.last
        self.panel.ticket.prefill(symbol, side, price, qty)

    def send_rebalance(self, planned: Sequence[Any]) -> list[SubmitResult]:
        """Send a rebalance list (items with symbol, side, shares, price) after a confirmation listing
        every order; each goes through the same checks as a ticket order. Sells go first, freeing cash."""
        items = sorted(planned, key=lambda p: str(p.side) != "sell")
        lines = [_line(str(p.side), p.symbol, int(p.shares), float(p.price)) for p in items]
        if not items or not self.panel.confirm_orders(lines):
            return []
        return self.send_confirmed(items)

    def send_confirmed(self, planned: Sequence[Any]) -> list[SubmitResult]:
        """Send a rebalance the user already confirmed where it was planned (the Signals dock asks once)."""
        items = sorted(planned, key=lambda p: str(p.side) != "sell")
        if not items:
            return []
        requests = [
            OrderRequest(
                new_client_id(),
                str(parse_symbol(p.symbol)),
                Side(str(p.side)),
                int(p.shares),
                round(float(p.price), 2),
                origin="rebalance",
            )
            for p in items
        ]
        # One confirmed decision: sent as one batch, which the order-rate check counts once.
        results = self.service.submit_batch(requests, actor=USER)
        self._report(_tr("Rebalance"), results)
        self.refresh()
        return results


def _line(side: str, symbol: str, qty: int, price: float) -> str:
    return _tr("{side} {symbol} {qty:,} @ {price:.2f}").format(
        side=_tr("Sell") if side == "sell" else _tr("Buy"), symbol=symbol, qty=qty, price=price
    )


_SESSION_CLOSE = dt.time(15, 0)
_LIMIT_LABELS = {
    "max_order_value": QT_TRANSLATE_NOOP("OrdersPresenter", "Max order value (CNY)"),
    "max_order_qty": QT_TRANSLATE_NOOP("OrdersPresenter", "Max order quantity (shares)"),
    "max_position_weight": QT_TRANSLATE_NOOP("OrdersPresenter", "Max position weight"),
    "restricted": QT_TRANSLATE_NOOP("OrdersPresenter", "Restricted list"),
    "duplicate_window_s": QT_TRANSLATE_NOOP("OrdersPresenter", "Duplicate order window (s)"),
    "max_orders_per_window": QT_TRANSLATE_NOOP("OrdersPresenter", "Max orders per rate window"),
    "rate_window_s": QT_TRANSLATE_NOOP("OrdersPresenter", "Rate window (s)"),
    "max_orders_per_day": QT_TRANSLATE_NOOP("OrdersPresenter", "Max orders per day"),
    "max_daily_loss": QT_TRANSLATE_NOOP("OrdersPresenter", "Daily loss stop (CNY)"),
}


def limit_rows(limits: RiskLimits) -> list[tuple[str, str]]:
    """The limits as the panel lists them; price band, tick, lot and sellable checks have no parameter."""
    rows = []
    for key, value in limits.as_dict().items():
        if key == "max_position_weight":
            text = f"{float(value):.0%}"  # type: ignore[arg-type]
        elif isinstance(value, (list, tuple)):
            text = ", ".join(value) or "—"
        elif isinstance(value, float):
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
        else:
            text = f"{value:,}"
        rows.append((_tr(str(_LIMIT_LABELS.get(key, key))), text))
    return rows


def live_service(
    folder: Path,
    bridge_url: str,
    token: str,
    hub: QuoteHub | None,
    limits: RiskLimits | None = None,
    ca_file: str | None = None,
    rules: RuleBook | None = None,
) -> TradingService:
    """The QMT account through the bridge, disarmed: the desktop's own checks and audit run before the bridge's."""
    from core.bridge.client.http import BridgeHttp
    from core.bridge.client.live_broker import LiveBroker

    client = BridgeHttp(bridge_url, token, ca_file)
    broker = LiveBroker(client, rules=rules, quote=hub.latest if hub is not None else None)
    return TradingService(
        broker,
        RiskEngine(limits or RiskLimits()),
        AuditLog(folder / AUDIT_FILE),
        actor=USER,
        armed=False,
        queue_book=QueuedBook(folder / LIVE_QUEUE_FILE),  # what `routine run --account live` queued
    )


def start_live_broker(service: TradingService) -> asyncio.Task[None]:
    """Load the live account and follow the bridge's events on the running loop; a first failure is logged."""
    broker: Any = service.broker

    async def follow() -> None:
        try:
            await broker.start()
        except Exception:  # noqa: BLE001 (the mirror reconnects on its own once started)
            log.exception("live account could not be loaded from the bridge %s", broker.client.url)

    return asyncio.get_running_loop().create_task(follow(), name="live-broker-start")


class LiveBrokerStarter(QObject):
    """Starts the live mirror once the event loop runs (the window is built before it) and keeps its task."""

    def __init__(self, service: TradingService, parent: QObject) -> None:
        super().__init__(parent)
        self._service = service
        self.task: asyncio.Task[None] | None = None
        QTimer.singleShot(0, self._on_timer_timeout)

    def _on_timer_timeout(self) -> None:
        try:
            self.task = start_live_broker(self._service)
        except RuntimeError:  # no asyncio loop drives Qt here: nothing can follow the bridge
            log.error("live orders need the desktop's event loop; the live account was not loaded")


def release_time(settings: AppSettings | None) -> dt.time:
    """When queued orders go out at the open: 09:15 (call auction) or 09:30, from Settings → Orders."""
    return dt.time.fromisoformat(settings.queue_release_at) if settings is not None else dt.time(9, 30)


def open_trading_service(services: Services, settings: AppSettings | None = None) -> TradingService:
    """The session's account: paper by default, the live QMT account when settings ask and a bridge is set."""
    from core.trading.rule_inputs import store_holidays, store_rule_book

    bridge = services.bridge
    limits = settings_limits(settings)
    # The backtest's rule inputs from the same store: listing dates, ST names, the exchange calendar.
    rules = store_rule_book(services.store)
    if settings is not None and settings.trading_mode == "live" and bridge is not None and not services.demo:
        from core.bridge.client.credentials import load_token

        token = load_token(bridge.url)
        if token:
            folder = services.session_dir
            return live_service(folder, bridge.url, token, services.hub, limits, bridge.ca_file, rules)
        log.warning("live orders need the bridge token in the OS keyring; the orders dock uses paper")
    holidays = store_holidays(services.store)
    return paper_service(services.session_dir, services.hub, services.demo, limits, rules, holidays, actor=USER)
