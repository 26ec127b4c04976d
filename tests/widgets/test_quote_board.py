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
    assert model.flashing(symbols[0]) == 1  # the rise flashes ...
    qtbot.waitUntil(lambda: model.flashing(symbols[0]) == 0, timeout=2000)
    assert len(changes) == 2  # ... and its end costs one more repaint of the same rows
    qtbot.wait(100)
    assert model.flushes == 2  # idle: the timer stopped, no empty repaints


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


def test_rows_without_a_value_sort_last_in_both_directions() -> None:
    model = QuoteTableModel()
    model.set_symbols(["600000.SH", "600004.SH", "600005.SH", "600006.SH"])
    model.apply_ticks([tick("600004.SH", 10.5), tick("600006.SH", 9.5)])  # the other two have no quote yet
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        model.sort(COL["change_pct"], order)
        assert model.symbols()[2:] == ["600000.SH", "600005.SH"]
        assert text(model, 3, "change_pct") == "—"
    assert model.symbols()[:2] == ["600004.SH", "600006.SH"]


def test_terminal_columns_show_open_pre_close_amplitude_and_volume_ratio() -> None:
    model = QuoteTableModel()
    model.set_symbols(["600000.SH", "600004.SH"])
    # 11:30: 120 of 240 minutes traded; 6M traded against a 5-day average of 8M a day -> 量比 1.50.
    t = Tick("600000.SH", dt.datetime(2023, 1, 3, 11, 30), 10.4, 10.1, 10.6, 9.8, 10.0, 6e6, 6.2e7)
    model.set_reference(avg_volume={"600000.SH": 8e6}, float_shares={"600000.SH": 1e9})
    model.apply_ticks([t, tick("600004.SH", 9.5)])
    assert [text(model, 0, k) for k in ("open", "pre_close", "amplitude", "volume_ratio", "turnover")] == [
        "10.10",
        "10.00",
        "8.00%",
        "1.50",
        "0.60%",
    ]
    assert text(model, 1, "volume_ratio") == "—" and text(model, 1, "turnover") == "—"  # no reference known


def test_limit_up_is_marked_on_the_price_and_a_change_flashes(qtbot: QtBot) -> None:
    model = QuoteTableModel()
    model.set_symbols(["600000.SH", "600004.SH"])
    model.apply_ticks([tick("600000.SH", 11.0, limit_up=11.0, limit_down=9.0), tick("600004.SH", 10.0)])
    background = lambda row: model.data(model.index(row, COL["last"]), Qt.ItemDataRole.BackgroundRole)  # noqa: E731
    assert background(0) is not None and background(1) is None
    assert model.data(model.index(0, COL["change_pct"]), Qt.ItemDataRole.ToolTipRole) == "limit up"
    model.apply_ticks([tick("600004.SH", 9.9)])
    assert model.flashing("600004.SH") == -1 and background(1) is not None
    qtbot.waitUntil(lambda: background(1) is None, timeout=2000)


def test_header_menu_hides_and_shows_columns(qtbot: QtBot) -> None:
    panel = QuoteBoardPanel()
    qtbot.addWidget(panel)
    assert "limit" not in panel.shown_columns() and "change_pct" in panel.shown_columns()
    menu = panel.build_header_menu()
    actions = {a.text(): a for a in menu.actions()}
    actions["Amount"].setChecked(False)
    actions["Limit"].setChecked(True)
    assert "amount" not in panel.shown_columns() and "limit" in panel.shown_columns()
    assert not actions["Code"].isEnabled()


def test_turnover_is_todays_volume_over_float_shares_and_rows_without_it_sort_last() -> None:
    model = QuoteTableModel()
    symbols = ["600000.SH", "600004.SH", "600005.SH", "600006.SH", "600007.SH"]
    model.set_symbols(symbols)
    # 600005 has a quote but no float shares known; 600007 float shares but no quote yet.
    model.set_reference(float_shares={"600000.SH": 2.81e10, "600004.SH": 2.07e9, "600006.SH": 2.07e9, "600007.SH": 1e9})
    model.apply_ticks(
        [
            tick("600000.SH", 7.3, volume=2.035e7),
            tick("600004.SH", 14.2, volume=4.14e7),
            tick("600005.SH", 3.1, volume=9e7),
            tick("600006.SH", 6.0, volume=4.14e7),  # a tie with 600004
        ]
    )
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        model.sort(COL["turnover"], order)
        assert model.symbols()[3:] == ["600005.SH", "600007.SH"]  # "—" last either way, in watchlist order
        assert [text(model, r, "turnover") for r in (3, 4)] == ["—", "—"]
    assert model.symbols()[:3] == ["600004.SH", "600006.SH", "600000.SH"]
    assert [text(model, r, "turnover") for r in range(3)] == ["2.00%", "2.00%", "0.07%"]


def test_the_turnover_column_is_in_the_header_menu_and_can_be_hidden(qtbot: QtBot) -> None:
    panel = QuoteBoardPanel()
    qtbot.addWidget(panel)
    assert "turnover" in panel.shown_columns()  # shown by default, as terminals do
    actions = {a.text(): a for a in panel.build_header_menu().actions()}
    actions["Turnover %"].setChecked(False)
    assert "turnover" not in panel.shown_columns()
    actions["Turnover %"].setChecked(True)
    assert "turnover" in panel.shown_columns()
