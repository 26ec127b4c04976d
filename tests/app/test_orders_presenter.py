"""Orders dock end to end, offscreen: ticket -> pre-trade preview -> paper order -> fill from real quotes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.orders_presenter import OrdersPresenter
from core.domain.orders import OrderStatus, Side
from core.quotes.hub import QuoteHub
from core.trading.accounts import paper_service
from core.trading.audit import verify
from tests.core.trading.conftest import continuous, load_ticks
from widgets.orders_panel import OrdersPanel


def make(qtbot: QtBot, tmp_path: Path) -> tuple[OrdersPanel, OrdersPresenter, QuoteHub, list]:
    ticks = continuous(load_ticks("600103.SH"))
    hub = QuoteHub()
    service = paper_service(tmp_path, hub, replay=False)
    service.broker.clock = lambda: ticks[0].time  # type: ignore[misc]
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    presenter = OrdersPresenter(panel, service, hub, {"600103.SH": "青山纸业"})
    hub.publish(ticks[:1])
    return panel, presenter, hub, ticks


def test_ticket_paper_order_fill_shows_in_positions(qtbot: QtBot, tmp_path: Path) -> None:
    panel, presenter, hub, ticks = make(qtbot, tmp_path)
    ticket = panel.ticket
    ticket.prefill("600103", Side.BUY, ticks[0].ask1, 150)
    assert not ticket.send_button.isEnabled()
    assert "lots of 100" in ticket.verdict_label.text()  # refused before sending, with the reason
    assert "2.99" in ticket.limits_label.text() and "2.45" in ticket.limits_label.text()
    ticket.qty_spin.setValue(1000)
    assert ticket.send_button.isEnabled() and "+ fees" in ticket.cost_label.text()
    qtbot.mouseClick(ticket.send_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    result = presenter.last_result
    assert result is not None and result.accepted
    qtbot.waitUntil(lambda: panel.positions_table.rowCount() == 1, timeout=5000)
    row = [panel.positions_table.item(0, c).text() for c in range(3)]
    assert row == ["600103.SH", "1,000", "0"]  # T+1: held, not sellable today
    assert panel.fills_table.rowCount() >= 1 and panel.all_table.rowCount() == 1
    assert verify(tmp_path / "audit.sqlite").ok


def test_resting_order_cancel_and_kill_switch(qtbot: QtBot, tmp_path: Path) -> None:
    panel, presenter, hub, ticks = make(qtbot, tmp_path)
    ticket = panel.ticket
    ticket.prefill("600103.SH", Side.BUY, 2.50, 1000)
    ticket.send_button.click()
    ticket.prefill("600103.SH", Side.BUY, 2.51, 1000)
    ticket.send_button.click()
    assert panel.open_table.rowCount() == 2
    panel.open_table.selectRow(0)
    panel.cancel_button.click()
    assert panel.open_table.rowCount() == 1
    panel.kill_button.click()
    assert panel.open_table.rowCount() == 0
    assert (
        "1 open order(s) cancelled" in panel.message_label.text()
        and "still working: none" in panel.message_label.text()
    )
    assert "disarmed" in panel.armed_label.text() and panel.arm_button.isEnabled()
    ticket.prefill("600103.SH", Side.BUY, 2.52, 1000)
    assert not ticket.send_button.isEnabled() and "armed" in ticket.verdict_label.text()
    panel.arm_button.click()
    ticket.prefill("600103.SH", Side.BUY, 2.53, 1000)
    assert ticket.send_button.isEnabled()
    statuses = {o.status for o in presenter.service.broker.orders()}
    assert statuses == {OrderStatus.CANCELLED}


def test_restart_shows_the_same_account(qtbot: QtBot, tmp_path: Path) -> None:
    panel, presenter, hub, ticks = make(qtbot, tmp_path)
    panel.ticket.prefill("600103.SH", Side.BUY, ticks[0].ask1, 500)
    panel.ticket.send_button.click()
    text = panel.account_label.text()
    presenter.service.broker.store.close()  # type: ignore[attr-defined]
    again, _, _, _ = make(qtbot, tmp_path)
    assert again.account_label.text() == text and again.positions_table.rowCount() == 1
    assert dt.date.today()  # the broker's clock is the replay's, not the wall clock


def test_send_rebalance_list_confirms_every_order(qtbot: QtBot, tmp_path: Path) -> None:
    from core.strategy.rebalance import PlannedOrder

    panel, presenter, hub, ticks = make(qtbot, tmp_path)
    plan = [
        PlannedOrder("600103.SH", "buy", 1000, ticks[0].ask1, 2750.0, 5.0, 2.99, 2.45),
        PlannedOrder("600103.SH", "buy", 150, 2.50, 375.0, 5.0, 2.99, 2.45),
    ]
    asked: list[list[str]] = []
    panel.confirm_orders = lambda lines: asked.append(list(lines)) or False  # type: ignore[method-assign]
    assert presenter.send_rebalance(plan) == [] and presenter.service.broker.orders() == []
    panel.confirm_orders = lambda lines: True  # type: ignore[method-assign]
    results = presenter.send_rebalance(plan)
    assert len(asked[0]) == 2 and "600103.SH 1,000 @" in asked[0][0]
    assert [r.verdict.ok for r in results] == [True, False]
    assert "1 of 2 orders sent; 1 refused" in panel.message_label.text() and "lot" in panel.message_label.text()
    assert all(o.origin == "rebalance" for o in presenter.service.broker.orders())


def test_queued_orders_show_cancel_and_go_out_at_the_release_time(qtbot: QtBot, tmp_path: Path) -> None:
    from core.domain.orders import OrderRequest

    panel, presenter, hub, ticks = make(qtbot, tmp_path)
    service = presenter.service
    now = {"t": dt.datetime(2021, 12, 1, 9, 0)}
    service.broker.clock = lambda: now["t"]  # type: ignore[misc]
    presenter.release_at = dt.time(9, 15)
    made = service.queue(
        [OrderRequest(f"qq{i}", "600103.SH", Side.BUY, 100, round(2.60 + 0.01 * i, 2)) for i in range(3)],
        dt.date(2021, 12, 1),
    )
    presenter.refresh()
    assert panel.queued_table.rowCount() == 3 and "(3)" in panel.tabs.tabText(panel.tabs.indexOf(panel.queued_page))
    panel.queued_table.selectRow(0)
    panel.cancel_queued_button.click()
    assert [q.status for q in service.queued()].count("cancelled") == 1
    assert service.broker.orders() == []  # 09:00: before the release time nothing goes
    now["t"] = dt.datetime(2021, 12, 1, 9, 15)
    presenter.refresh()
    assert sorted(o.client_id for o in service.broker.orders()) == sorted(q.request.client_id for q in made[1:])
    assert "2 of 2 orders sent" in panel.message_label.text()
    assert panel.limits_table.rowCount() == 9  # the limits in force stay on show


def test_live_and_disarmed_at_the_open_it_asks_and_no_keeps_them_queued(qtbot: QtBot, tmp_path: Path) -> None:
    from app.orders_presenter import live_service
    from core.domain.orders import OrderRequest

    service = live_service(tmp_path, "http://127.0.0.1:9", "t" * 32, None)
    service.broker.clock = lambda: dt.datetime(2021, 12, 1, 9, 31)  # type: ignore[misc]
    service.queue([OrderRequest("lq1", "600103.SH", Side.BUY, 100, 2.70)], dt.date(2021, 12, 1))
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    asked: list[list[str]] = []
    panel.confirm_release = lambda lines: asked.append(list(lines)) or False  # type: ignore[method-assign]
    presenter = OrdersPresenter(panel, service)
    presenter.refresh()
    assert asked == [["Buy 600103.SH 100 @ 2.70"]]  # asked once this session, not on every refresh
    assert not service.armed and [q.status for q in service.queued()] == ["queued"]
    assert "disarmed" in panel.message_label.text()


def test_no_release_on_an_exchange_holiday_then_at_the_next_session_open(qtbot: QtBot, tmp_path: Path) -> None:
    from app.orders_presenter import live_service
    from core.data.exchange_calendar import SessionCalendar, days_from_holidays
    from core.domain.orders import OrderRequest

    qingming = [dt.date(2012, 4, 2), dt.date(2012, 4, 3), dt.date(2012, 4, 4)]
    calendar = SessionCalendar([], days_from_holidays([dt.date(2012, 1, 2), *qingming, dt.date(2012, 10, 1)]))
    now = {"t": dt.datetime(2012, 4, 2, 9, 31)}  # Monday, Qingming: the exchanges are closed
    service = live_service(tmp_path, "http://127.0.0.1:9", "t" * 32, None)
    service.broker.clock = lambda: now["t"]  # type: ignore[misc]
    service.queue([OrderRequest("lq1", "600103.SH", Side.BUY, 100, 2.70)], dt.date(2012, 4, 2))
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    asked: list[list[str]] = []
    panel.confirm_release = lambda lines: asked.append(list(lines)) or False  # type: ignore[method-assign]
    presenter = OrdersPresenter(panel, service, is_session=calendar.is_session)
    presenter.refresh()
    assert asked == [] and [q.status for q in service.queued()] == ["queued"]
    now["t"] = dt.datetime(2012, 4, 5, 9, 31)  # the next session
    presenter.refresh()
    assert asked == [["Buy 600103.SH 100 @ 2.70"]]
