"""OrdersPanel offscreen: tables from domain values, cancel intents, mode and arm indicators."""

from __future__ import annotations

import datetime as dt

from pytestqt.qtbot import QtBot

from core.domain.orders import Account, Fees, Fill, Order, OrderStatus, OrderType, Position, Side
from widgets.order_ticket_dialog import OrderTicketDialog, TicketInfo
from widgets.orders_panel import OrdersPanel

T = dt.datetime(2021, 12, 1, 9, 31)


def _order(cid: str, status: OrderStatus) -> Order:
    return Order(cid, "600103.SH", Side.BUY, OrderType.LIMIT, 1000, 2.75, status, T, T)


def test_tables_and_cancel_intents(qtbot: QtBot) -> None:
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.set_orders([_order("a", OrderStatus.SUBMITTED), _order("b", OrderStatus.FILLED)])
    assert panel.open_table.rowCount() == 1 and panel.all_table.rowCount() == 2
    panel.set_positions([Position("600103.SH", 1000, 0, 2.7512, 2.80)])
    assert [panel.positions_table.item(0, c).text() for c in range(3)] == ["600103.SH", "1,000", "0"]
    assert panel.positions_table.item(0, 6).text() == "48.80"
    panel.set_fills([Fill("b-1", "b", "600103.SH", Side.BUY, 1000, 2.75, T, Fees(5.0, 0.0, 0.06))])
    assert panel.fills_table.item(0, 6).text() == "5.06"
    panel.set_account(Account(1_000_000.0, 2755.0, 2800.0))
    assert "1,000,000.00" in panel.account_label.text()
    asked: list[str] = []
    panel.sig_cancel_requested.connect(asked.append)
    panel.open_table.selectRow(0)
    panel.cancel_button.click()
    assert asked == ["a"]
    with qtbot.waitSignal(panel.sig_kill_requested):
        panel.kill_button.click()


def test_mode_indicator_and_ticket_verdict(qtbot: QtBot) -> None:
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.set_mode("live", False)
    assert "LIVE" in panel.mode_label.text() and panel.arm_button.isEnabled()
    ticket = panel.ticket
    with qtbot.waitSignal(ticket.sig_preview_requested) as blocker:
        ticket.prefill("600103.SH", Side.SELL, 2.80, 300)
    assert blocker.args[0].side is Side.SELL and blocker.args[0].qty == 300
    ticket.set_info(TicketInfo(refusals=("sellable: only 0 shares are sellable",)))
    assert not ticket.send_button.isEnabled() and "sellable" in ticket.verdict_label.text()
    ticket.set_info(TicketInfo(ok=True, limit_up=2.99, limit_down=2.45))
    assert ticket.send_button.isEnabled()
    dialog = OrderTicketDialog(ticket)
    qtbot.addWidget(dialog)
    assert dialog.ticket is ticket


def test_risk_limits_are_listed(qtbot: QtBot) -> None:
    from app.orders_presenter import limit_rows
    from core.trading.risk import RiskLimits

    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.set_limits(limit_rows(RiskLimits(max_position_weight=0.25, restricted=("600000.SH",))))
    rows = {
        panel.limits_table.item(r, 0).text(): panel.limits_table.item(r, 1).text()
        for r in range(panel.limits_table.rowCount())
    }
    assert rows["Max position weight"] == "25%" and rows["Restricted list"] == "600000.SH"
    assert rows["Max orders per day"] == "500" and rows["Daily loss stop (CNY)"] == "50,000"
