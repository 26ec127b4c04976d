"""Order book dock offscreen: real SSE snapshots fill 五档 and 明细; a clicked price fills the ticket."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.composition import open_ticket
from app.order_book_presenter import OrderBookPresenter
from app.orders_presenter import OrdersPresenter
from core.domain.orders import Side
from core.domain.ticks import Tick
from core.quotes.hub import QuoteHub
from core.trading.accounts import paper_service
from tests.core.trading.conftest import continuous, load_ticks
from widgets.order_book_panel import LEVELS, OrderBookPanel
from widgets.orders_panel import OrdersPanel

SYM = "600103.SH"  # 2021-12-01: previous close 2.72, limits 2.99 / 2.45


class Desk:
    """The book and the orders dock wired as the composition root wires them, on one hub and paper account."""

    def __init__(self, qtbot: QtBot, tmp_path: Path) -> None:
        self.ticks = continuous(load_ticks(SYM))
        self.hub = QuoteHub()
        self.service = paper_service(tmp_path, self.hub, replay=False)
        self.now = self.ticks[0].time
        self.service.broker.clock = lambda: self.now  # type: ignore[misc]
        self.orders_panel = OrdersPanel()
        self.book_panel = OrderBookPanel()
        for panel in (self.orders_panel, self.book_panel):
            qtbot.addWidget(panel)
        self.orders = OrdersPresenter(self.orders_panel, self.service, self.hub, {SYM: "青山纸业"})
        self.book = OrderBookPresenter(
            self.book_panel,
            self.hub,
            {SYM: "青山纸业"},
            lambda symbol, side, price: open_ticket(self.orders, self.orders_panel, symbol, side, price),
            limits=self.service.broker.rules.limits,
        )

    def publish(self, ticks: list[Tick]) -> None:
        self.now = ticks[-1].time
        self.hub.publish(ticks)


def _cell(panel: OrderBookPanel, row: int, column: int) -> str:
    item = panel.book_table.item(row, column)
    return item.text() if item is not None else ""


def test_snapshots_fill_five_levels_limits_and_the_tape_of_the_followed_symbol(qtbot: QtBot, tmp_path: Path) -> None:
    desk = Desk(qtbot, tmp_path)
    desk.publish(desk.ticks[:1])  # arrived before the book followed the symbol
    desk.book.set_symbol("600103")
    panel = desk.book_panel
    first = desk.ticks[0]
    assert panel.title_label.text() == "青山纸业 600103.SH"
    assert _cell(panel, LEVELS - 1, 0) == "Ask 1" and _cell(panel, LEVELS, 0) == "Bid 1"
    assert _cell(panel, LEVELS - 1, 1) == f"{first.ask1:.2f}" and _cell(panel, LEVELS, 1) == f"{first.bid1:.2f}"
    assert _cell(panel, 0, 1) == f"{first.ask_prices[4]:.2f}"  # ask 5 on top
    assert _cell(panel, LEVELS, 2) == f"{first.bid_volumes[0] / 100:,.0f}"  # in lots
    assert "2.99" in panel.limits_label.text() and "2.45" in panel.limits_label.text()
    assert panel.trades.rowCount() == 0  # one snapshot: no trade yet

    batch = desk.ticks[1:40]
    desk.publish(batch)
    last = batch[-1]
    qtbot.waitUntil(lambda: _cell(panel, LEVELS, 1) == f"{last.bid1:.2f}", timeout=2000)
    traded = sum(1 for a, b in zip(desk.ticks[:40], batch, strict=False) if b.volume > a.volume)
    assert panel.trades.rowCount() == traded > 0
    newest = desk.book._tape.trades[0] if desk.book._tape is not None else None
    assert newest is not None and panel.trade_text(0, 1) == f"{newest.price:.2f}"
    assert panel.trade_text(0, 2) == f"{newest.volume / 100:,.0f}"
    assert panel.trade_text(0, 0) == newest.time.strftime("%H:%M:%S")

    other = dataclasses.replace(last, symbol="600000.SH", bid_prices=(9.99,) * 5)
    desk.publish([other])  # another symbol's quote leaves the book alone
    qtbot.wait(10)
    assert _cell(panel, LEVELS, 1) == f"{last.bid1:.2f}"


def test_limit_prices_in_the_book_are_marked(qtbot: QtBot, tmp_path: Path) -> None:
    desk = Desk(qtbot, tmp_path)
    desk.book.set_symbol(SYM)
    tick = desk.ticks[5]
    sealed = dataclasses.replace(
        tick, last=2.99, ask_prices=(0.0,) * 5, ask_volumes=(0.0,) * 5, bid_prices=(2.99, 2.98)
    )
    desk.publish([sealed])
    qtbot.waitUntil(lambda: "At limit up" in desk.book_panel.limits_label.text(), timeout=2000)
    assert _cell(desk.book_panel, LEVELS, 1) == "UL 2.99" and _cell(desk.book_panel, LEVELS - 1, 1) == "—"


def test_a_clicked_level_or_quick_button_fills_the_ticket_whose_quote_stays_live(qtbot: QtBot, tmp_path: Path) -> None:
    desk = Desk(qtbot, tmp_path)
    desk.book.set_symbol(SYM)
    desk.publish(desk.ticks[:20])
    tick = desk.ticks[19]
    panel, ticket = desk.book_panel, desk.orders_panel.ticket
    qtbot.waitUntil(lambda: _cell(panel, LEVELS, 1) == f"{tick.bid1:.2f}", timeout=2000)

    ask3 = panel.book_table.visualItemRect(panel.book_table.item(LEVELS - 3, 1)).center()
    qtbot.mouseClick(panel.book_table.viewport(), Qt.MouseButton.LeftButton, pos=ask3)
    draft = ticket.draft()
    assert (draft.symbol, draft.side, draft.price) == (SYM, Side.BUY, round(tick.ask_prices[2], 2))
    assert ticket.quote_label.text() == f"青山纸业 {tick.last:.2f}"
    assert ticket.send_button.isEnabled() and "passed" in ticket.verdict_label.text()

    bid1 = panel.book_table.visualItemRect(panel.book_table.item(LEVELS, 1)).center()
    qtbot.mouseClick(panel.book_table.viewport(), Qt.MouseButton.LeftButton, pos=bid1)
    draft = ticket.draft()
    assert (draft.side, draft.price) == (Side.SELL, round(tick.bid1, 2))
    assert not ticket.send_button.isEnabled() and "sellable" in ticket.verdict_label.text()  # nothing held

    panel.buy_button.click()
    assert (ticket.draft().side, ticket.draft().price) == (Side.BUY, round(tick.ask1, 2))
    assert ticket.send_button.isEnabled()

    moved = next(t for t in desk.ticks[20:] if abs(t.last - tick.last) > 0.005)
    desk.publish([moved])
    desk.orders.refresh()  # the orders dock's one-second timer
    assert ticket.quote_label.text() == f"青山纸业 {moved.last:.2f}"  # the ticket's quote kept live
    ticket.price_spin.setValue(3.20)  # above the limit up: the old verdict must not stay
    assert not ticket.send_button.isEnabled() and "2.99" in ticket.verdict_label.text()


def test_a_ticket_opened_without_a_price_takes_the_best_quote_of_its_side(qtbot: QtBot, tmp_path: Path) -> None:
    desk = Desk(qtbot, tmp_path)
    desk.publish(desk.ticks[:3])
    tick = desk.ticks[2]
    desk.orders_panel.ticket.prefill("600000.SH", Side.BUY, 10.55, 100)  # a price of another stock
    open_ticket(desk.orders, desk.orders_panel, SYM, Side.SELL)
    assert desk.orders_panel.ticket.draft().price == round(tick.bid1, 2)
    open_ticket(desk.orders, desk.orders_panel, SYM, Side.BUY)
    assert desk.orders_panel.ticket.draft().price == round(tick.ask1, 2)
