"""Quote board model and panel: coalesced repaints, sorting, colour convention, intents."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.domain.ticks import Tick
from widgets.quote_board_model import COLUMNS, QuoteTableModel, format_big
from widgets.quote_board_panel import QuoteBoardPanel

COL = {c.key: i for i, c in enumerate(COLUMNS)}
T0 = dt.datetime(2023, 1, 3, 10, 0)


def tick(symbol: str, last: float, pre_close: float = 10.0, volume: float = 1e6, **kw: float) -> Tick:
    return Tick(
        symbol, T0, last, pre_close, max(last, pre_close), min(last, pre_close), pre_close, volume, volume * last, **kw
    )  # type: ignore[arg-type]


def text(model: QuoteTableModel, row: int, key: str) -> str:
    return str(model.data(model.index(row, COL[key])))


def test_a_burst_of_ticks_costs_one_repaint(qtbot: QtBot) -> None:
    model = QuoteTableModel()
    symbols = [f"{600000 + i:06d}.SH" for i in range(500)]
    model.set_symbols(symbols)
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changes.append((a.row(), b.row())))
    for round_ in range(20):  # 10,000 ticks arrive before the GUI gets a turn
        model.apply_ticks([tick(s, 10 + round_ * 0.01) for s in symbols])
    assert changes == []  # nothing repainted per tick
    qtbot.waitUntil(lambda: len(changes) == 1, timeout=1000)
    assert changes == [(0, 499)] and model.ticks_received == 10_000
    assert text(model, 0, "last") == "10.19"
    qtbot.wait(100)
    assert model.flushes == 1  # idle: the timer stopped, no empty repaints


def test_only_dirty_rows_are_repainted(qtbot: QtBot) -> None:
    model = QuoteTableModel()
    model.set_symbols(["600000.SH", "600004.SH", "600005.SH", "600006.SH"])
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changes.append((a.row(), b.row())))
    model.apply_ticks([tick("600004.SH", 10.2), tick("600005.SH", 9.9), tick("000001.SZ", 5.0)])
    model.flush()
    assert changes == [(1, 2)]


def test_display_values_limits_and_units() -> None:
    model = QuoteTableModel()
    model.set_symbols(["600000.SH", "600004.SH"], {"600000.SH": "浦发银行"})
    model.apply_ticks(
        [
            tick("600000.SH", 11.0, volume=123_456_789, limit_up=11.0, limit_down=9.0),
            tick("600004.SH", 9.5, bid_prices=(9.49,), ask_prices=(9.5,)),
        ]
    )
    assert [text(model, 0, k) for k in ("code", "name", "last", "change", "change_pct")] == [
        "600000.SH",
        "浦发银行",
        "11.00",
        "+1.00",
        "+10.00%",
    ]
    assert text(model, 0, "limit") == "limit up" and text(model, 1, "limit") == ""
    assert (text(model, 1, "bid1"), text(model, 1, "ask1")) == ("9.49", "9.50")
    assert text(model, 0, "volume") == "123.46M"
    model.chinese_units = True
    assert text(model, 0, "volume") == "1.23亿"
    assert format_big(56_789, True) == "5.68万" and format_big(999, False) == "999"


def test_red_up_green_down_and_the_switch() -> None:
    model = QuoteTableModel()
    model.set_symbols(["600000.SH", "600004.SH"])
    model.apply_ticks([tick("600000.SH", 10.5), tick("600004.SH", 9.5)])
    colour = lambda row: model.data(model.index(row, COL["last"]), Qt.ItemDataRole.ForegroundRole).color().name()  # noqa: E731
    assert (colour(0), colour(1)) == ("#e0403a", "#1aa260")
    model.set_red_up(False)
    assert (colour(0), colour(1)) == ("#1aa260", "#e0403a")


def test_sorting_by_change_pct_uses_numbers_not_text(qtbot: QtBot) -> None:
    panel = QuoteBoardPanel()
    qtbot.addWidget(panel)
    panel.model.set_symbols(["600000.SH", "600004.SH", "600005.SH"])
    panel.model.apply_ticks([tick("600000.SH", 10.5), tick("600004.SH", 9.0), tick("600005.SH", 11.0)])
    panel.model.flush()
    panel.table.sortByColumn(COL["change_pct"], Qt.SortOrder.DescendingOrder)
    assert [panel.symbol_at(r) for r in range(3)] == ["600005.SH", "600000.SH", "600004.SH"]
    panel.model.apply_ticks([tick("600004.SH", 12.0)])
    panel.model.flush()
    assert panel.symbol_at(0) == "600005.SH"  # rows do not jump on every repaint...
    qtbot.waitUntil(lambda: panel.symbol_at(0) == "600004.SH", timeout=2000)  # ...they re-rank each second


def test_panel_intents(qtbot: QtBot) -> None:
    panel = QuoteBoardPanel()
    qtbot.addWidget(panel)
    panel.set_watchlists(["Watchlist", "Banks"], "Watchlist")
    panel.model.set_symbols(["600000.SH"])
    with qtbot.waitSignal(panel.sig_open_chart_requested) as opened:
        panel.table.doubleClicked.emit(panel.model.index(0, 0))
    assert opened.args == ["600000.SH"]
    panel.add_edit.setText("sh600036")
    with qtbot.waitSignal(panel.sig_add_symbol_requested) as added:
        panel.add_edit.returnPressed.emit()
    assert added.args == ["Watchlist", "sh600036"]
    menu = panel.build_context_menu("600000.SH")
    actions = {a.text(): a for a in menu.actions()}
    with qtbot.waitSignal(panel.sig_remove_symbol_requested) as removed:
        actions["Remove from this watchlist"].trigger()
    assert removed.args == ["Watchlist", "600000.SH"]
    add_to = next(a for a in menu.actions() if a.menu() is not None).menu()
    with qtbot.waitSignal(panel.sig_add_symbol_requested) as copied:
        add_to.actions()[0].trigger()
    assert copied.args == ["Banks", "600000.SH"]
    actions["Copy code"].trigger()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == "600000.SH"
