"""The Monitor's Trading section on the paper account: real bars of a falling stock, P&L, drawdown and its alert."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from pytestqt.qtbot import QtBot

from app.composition import publish_account_changes
from app.events import GuiEvents
from app.monitor_presenter import MonitorPresenter
from app.monitor_sampling import MonitorSources
from core.data.importer import import_one
from core.domain.orders import OrderRequest, OrderStatus, OrderType, Side
from core.events import EventBus
from core.monitor.alerts import NoticeKind
from core.monitor.config import MonitorConfig
from core.monitor.exporter import monitor_registry
from core.monitor.format import format_value
from core.quotes.demo_feed import build_replay
from core.quotes.hub import QuoteHub
from core.storage import MarketStore
from core.trading.accounts import paper_service
from core.trading.risk import RiskLimits
from widgets.monitor_panel import MonitorPanel

SYMBOL = "000002.SZ"
BUY_DAY = dt.date(2022, 3, 3)  # Vanke, before its March 2022 slide


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_losing_paper_account_shows_pnl_drawdown_and_fires_the_alert(
    qtbot: QtBot, tmp_path: Path, cn_data: Path
) -> None:
    store = MarketStore.open(tmp_path / "market.sqlite")
    assert import_one(store, cn_data / "daily" / f"{SYMBOL}.csv").ok
    days = build_replay(store, [SYMBOL], days=250)
    store.close()
    start = next(i for i, d in enumerate(days) if dt.date.fromisoformat(str(d.day)[:10]) == BUY_DAY)
    hub = QuoteHub()
    service = paper_service(tmp_path / "paper", hub, replay=True, limits=RiskLimits(max_position_weight=1.0))
    hub.add_listener(service.broker.on_ticks)  # as the orders dock feeds its broker
    bus = EventBus()
    events = GuiEvents(bus)
    publish_account_changes(service, bus)  # as the desk announces the account's changes
    panel = MonitorPanel()
    qtbot.addWidget(panel)
    panel.show()
    clock = Clock()
    peak = service.broker.account().equity  # the monitor's first sample, taken as it is built
    presenter = MonitorPresenter(
        panel, MonitorSources(tmp_path, trading=service), MonitorConfig(), clock=clock, events=events
    )
    try:
        hub.publish(days[start].ticks)
        tick = days[start].ticks[0]
        cash = service.broker.account().cash
        protection = round(tick.last * 1.01, 2)  # the order's value is checked at this price
        qty = int(cash * 0.95 / protection) // 100 * 100
        result = service.submit(OrderRequest("buy-1", SYMBOL, Side.BUY, qty, protection, OrderType.MARKET))
        assert result.order is not None and result.order.status is OrderStatus.FILLED, result.verdict.reason
        presenter.refresh()  # same instant: the fill (an account change) has the figures sampled again
        exposure = service.broker.account().market_value
        assert exposure > 0 and panel.metric_text("trading", "trading.exposure") == format_value(exposure, "money")

        fired_at: float | None = None
        below: list[float] = []  # drawdowns seen before the alert fired
        for day in days[start + 1 : start + 10]:
            hub.publish(day.ticks)
            clock.now += 2.0  # the trading figures are sampled every two seconds
            presenter.refresh()
            equity = service.broker.account().equity
            peak = max(peak, equity)
            drawdown = 100.0 * (peak - equity) / peak
            pnl = equity - service.broker.ledger.day_start_equity  # type: ignore[attr-defined]
            assert panel.metric_text("trading", "trading.pnl_today") == format_value(pnl, "money")
            assert panel.metric_text("trading", "trading.drawdown_pct") == format_value(drawdown, "pct")
            fired = [n for n in presenter.notices if n.rule.key == "drawdown" and n.kind is NoticeKind.FIRED]
            assert bool(fired) == (drawdown > 10 or fired_at is not None)  # fires once it is beyond 10%
            if not fired:
                below.append(drawdown)
            if fired and fired_at is None:
                fired_at = drawdown
                assert panel.metric_level("trading", "trading.drawdown_pct") == "critical"
                assert "Drawdown beyond limit" in panel.summary_label.text()
        assert fired_at is not None and fired_at > 10
        assert any(0 < d <= 10 for d in below)  # losing, but not yet beyond the limit: no alert
        assert panel.metric_text("trading", "trading.open_orders") == "0"
        # The same figure is what the dashboard's drawdown panel scrapes from /metrics.
        scrape = generate_latest(monitor_registry(presenter.monitor)).decode()
        line = next(x for x in scrape.splitlines() if x.startswith("qdesk_desktop_trading_drawdown_pct"))
        assert float(line.split()[-1]) == pytest.approx(drawdown)
    finally:
        presenter.shutdown()
