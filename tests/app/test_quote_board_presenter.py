"""Quote board presenter: hub ticks reach the view through the relay; watchlist intents persist."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.quote_board_presenter import QuoteBoardPresenter
from core.domain.ticks import Tick
from core.quotes.hub import QuoteHub
from core.quotes.watchlists import WatchlistStore
from widgets.quote_board_panel import QuoteBoardPanel


def tick(symbol: str, last: float) -> Tick:
    return Tick(symbol, dt.datetime(2023, 1, 3, 10), last, 10, last, last, 10, 1e6, 1e7)


def make(qtbot: QtBot, tmp_path: Path) -> tuple[QuoteBoardPanel, QuoteHub, QuoteBoardPresenter, list[str]]:
    panel = QuoteBoardPanel()
    qtbot.addWidget(panel)
    hub = QuoteHub()
    hub.publish([tick("600000.SH", 10.1)])  # arrived before the board opened
    opened: list[str] = []
    presenter = QuoteBoardPresenter(
        panel,
        hub,
        WatchlistStore.load(tmp_path / "w.json", ["600000.SH", "000001.SZ"]),
        {"600000.SH": "浦发银行"},
        opened.append,
    )
    return panel, hub, presenter, opened


def test_ticks_flow_from_hub_to_view_and_late_boards_start_filled(qtbot: QtBot, tmp_path: Path) -> None:
    panel, hub, presenter, _ = make(qtbot, tmp_path)
    assert panel.model.data(panel.model.index(0, 2)) == "10.10"
    hub.publish([tick("000001.SZ", 9.5)])
    qtbot.waitUntil(lambda: panel.model.data(panel.model.index(1, 2)) == "9.50", timeout=1000)
    assert presenter.relay.delivered >= 1 and presenter.relay.failed == 0


def test_watchlist_intents_update_view_and_file(qtbot: QtBot, tmp_path: Path) -> None:
    panel, _, _, opened = make(qtbot, tmp_path)
    panel.sig_add_symbol_requested.emit("Watchlist", "not a code")
    assert not panel.message.isHidden() and "Not added" in panel.message.text()
    panel.sig_add_symbol_requested.emit("Watchlist", "sh600036")
    assert panel.model.symbols() == ["600000.SH", "000001.SZ", "600036.SH"] and panel.message.isHidden()
    panel.sig_move_symbol_requested.emit("Watchlist", "600036.SH", -1)
    assert panel.model.symbols() == ["600000.SH", "600036.SH", "000001.SZ"]
    panel.sig_watchlist_create_requested.emit("Banks")
    assert panel.current_watchlist() == "Banks" and panel.model.symbols() == []
    panel.sig_open_chart_requested.emit("600000.SH")
    assert opened == ["600000.SH"]
    saved = WatchlistStore.load(tmp_path / "w.json")
    assert saved.symbols("Watchlist") == ["600000.SH", "600036.SH", "000001.SZ"] and saved.current == "Banks"


def test_names_learnt_later_reach_the_name_column(qtbot: QtBot, tmp_path: Path) -> None:
    panel = QuoteBoardPanel()
    qtbot.addWidget(panel)
    names: dict[str, str] = {}  # the session's names: empty after a CSV import of bars alone
    presenter = QuoteBoardPresenter(panel, QuoteHub(), WatchlistStore.load(tmp_path / "w.json", ["600000.SH"]), names)
    name_column = next(
        c for c in range(panel.model.columnCount()) if panel.model.headerData(c, Qt.Orientation.Horizontal) == "Name"
    )
    assert not panel.model.data(panel.model.index(0, name_column))
    names["600000.SH"] = "浦发银行"  # what the bridge's instrument list taught the session
    presenter.refresh_names()
    assert panel.model.data(panel.model.index(0, name_column)) == "浦发银行"


def test_float_shares_learnt_later_fill_the_turnover_column(qtbot: QtBot, tmp_path: Path) -> None:
    panel = QuoteBoardPanel()
    qtbot.addWidget(panel)
    hub = QuoteHub()
    hub.publish([tick("600000.SH", 7.3)])  # 1e6 shares traded so far today
    float_shares: dict[str, float] = {}  # the session's: empty until the bridge's instrument list arrives
    watchlists = WatchlistStore.load(tmp_path / "w.json", ["600000.SH", "000001.SZ"])
    presenter = QuoteBoardPresenter(panel, hub, watchlists, {}, float_shares=float_shares)
    turnover = next(
        c
        for c in range(panel.model.columnCount())
        if panel.model.headerData(c, Qt.Orientation.Horizontal) == "Turnover %"
    )
    assert panel.model.data(panel.model.index(0, turnover)) == "—"
    float_shares["600000.SH"] = 2e8
    presenter.refresh_names()
    assert panel.model.data(panel.model.index(0, turnover)) == "0.50%"
    assert panel.model.data(panel.model.index(1, turnover)) == "—"  # no quote, no shares
