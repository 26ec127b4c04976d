"""F10 offscreen: a real store's instrument, name history and latest figures, opened by the F10 action."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.composition import connect_instrument_info
from app.i18n import installed_language
from core.data.importer import import_one
from core.domain.ticks import Tick
from core.quotes.hub import QuoteHub
from core.storage import MarketStore
from core.storage.instrument_names import record_names
from core.storage.instrument_shares import record_shares
from widgets.main_window import MainWindow

SYM = "600000.SH"


def _expected_year(cn_data: Path) -> tuple[float, float, float, float]:
    """Last close, previous close and the 52-week high/low (forward-adjusted), read from the CSV itself."""
    with (cn_data / "daily" / f"{SYM}.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    last = rows[-1]
    factor = float(last["factor"])
    cutoff = (dt.date.fromisoformat(last["date"]) - dt.timedelta(days=365)).isoformat()
    year = [r for r in rows if r["date"] > cutoff]
    high = max(float(r["high"]) * float(r["factor"]) / factor for r in year)
    low = min(float(r["low"]) * float(r["factor"]) / factor for r in year)
    prev = rows[-2]
    return float(last["close"]), float(prev["close"]) * float(prev["factor"]) / factor, high, low


def _open(
    qtbot: QtBot, cn_data: Path, tmp_path: Path, hub: QuoteHub, lang: str = "en"
) -> tuple[MainWindow, MarketStore]:
    store = MarketStore.open(tmp_path / "market.sqlite")
    assert import_one(store, cn_data / "daily" / f"{SYM}.csv").ok
    with store.transaction():
        store.update_instruments([(SYM, "", "1999-11-10", None)])
        record_names(store, [(SYM, "浦发银行", "1999-11-10"), (SYM, "ST浦发", "2022-12-29")], dt.date(2023, 1, 3))
    window = MainWindow()
    qtbot.addWidget(window)
    desk = SimpleNamespace(chart=SimpleNamespace(symbol=SYM))
    services = SimpleNamespace(store=store, hub=hub)
    connect_instrument_info(window, desk, services, lang)  # type: ignore[arg-type]
    return window, store


def test_f10_shows_the_charted_stock_with_its_names_and_latest_figures(
    qtbot: QtBot, cn_data: Path, tmp_path: Path
) -> None:
    window, store = _open(qtbot, cn_data, tmp_path, QuoteHub())
    try:
        assert ("F10", "Instrument info") in window.hotkeys()  # listed in Help → Keyboard shortcuts
        action = window.findChild(QAction, "instrument_info_action")
        assert action is not None and action.shortcut().toString() == "F10"
        action.trigger()
        dialog = window.findChild(object, "instrument_info_dialog")
        assert dialog is not None and dialog.isVisible()
        last, prev, high, low = _expected_year(cn_data)
        assert dialog.title_label.text() == f"ST浦发 {SYM}"
        assert dialog.value("Code") == SYM and dialog.value("Board") == "Main board"
        assert dialog.value("Listed") == "1999-11-10" and dialog.value("Delisted") == "—"
        assert dialog.value("Risk warning") == "ST / *ST" and dialog.value("As of") == "2022-12-30"
        assert dialog.value("Last") == f"{last:.2f}"
        assert dialog.value("Change") == f"{last - prev:+.2f} ({(last / prev - 1) * 100:+.2f}%)"
        assert dialog.value("52-week high") == f"{high:.2f}" and dialog.value("52-week low") == f"{low:.2f}"
        assert dialog.value("Turnover") == "147.93M" and dialog.value("Market cap") == "—"  # no share capital
        assert dialog.value("Turnover rate") == "—" and dialog.value("Float shares") == "—"
        history = [
            [dialog.history_table.item(r, c).text() for c in range(4)] for r in range(dialog.history_table.rowCount())
        ]
        assert history == [["2022-12-29", "now", "ST浦发", "ST"], ["1999-11-10", "2022-12-28", "浦发银行", ""]]
    finally:
        store.close()


def test_f10_on_a_day_before_the_rename_names_the_stock_as_it_was_and_takes_the_live_quote(
    qtbot: QtBot, cn_data: Path, tmp_path: Path
) -> None:
    hub = QuoteHub()
    window, store = _open(qtbot, cn_data, tmp_path, hub)
    try:
        with store.transaction():  # the rename is not until after the bars end
            store.query("UPDATE instrument_names SET start='2023-02-01' WHERE name='ST浦发'")
        window.findChild(QAction, "instrument_info_action").trigger()
        dialog = window.findChild(object, "instrument_info_dialog")
        assert dialog.value("Name") == "浦发银行" and dialog.value("Risk warning") == "none"
        live = Tick(SYM, dt.datetime(2023, 1, 3, 10, 0), 7.50, 7.30, 7.95, 7.25, 7.28, 1e7, 7.4e7)
        hub.publish([dataclasses.replace(live)])
        window.findChild(QAction, "instrument_info_action").trigger()
        assert dialog.value("As of") == "2023-01-03" and dialog.value("Last") == "7.50"
        assert dialog.value("Change") == "+0.22 (+3.02%)"
        _, _, high, _ = _expected_year(cn_data)
        assert dialog.value("52-week high") == f"{max(high, 7.95):.2f}"
    finally:
        store.close()


def test_f10_shows_share_capital_market_cap_and_turnover_in_terminal_units(
    qapp: QApplication, qtbot: QtBot, cn_data: Path, tmp_path: Path
) -> None:
    window, store = _open(qtbot, cn_data, tmp_path, QuoteHub(), lang="zh_CN")
    try:
        with store.transaction():
            record_shares(store, [(SYM, 29352178302.0, 28103763899.0, "")], dt.date(2023, 1, 3))
        last, _, _, _ = _expected_year(cn_data)
        with installed_language(qapp, "zh_CN"):
            window.findChild(QAction, "instrument_info_action").trigger()
            dialog = window.findChild(object, "instrument_info_dialog")
            assert dialog.value("总股本") == "293.52亿" and dialog.value("流通股本") == "281.04亿"
            assert dialog.value("总市值") == f"{29352178302.0 * last / 1e8:.2f}亿" == "2136.84亿"
            assert dialog.value("流通市值") == f"{28103763899.0 * last / 1e8:.2f}亿"
            assert dialog.value("换手率") == f"{20352396 / 28103763899.0 * 100:.2f}%" == "0.07%"
    finally:
        store.close()
