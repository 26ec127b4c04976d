"""键盘精灵 in a real main window: typing outside a text field opens it, Enter charts the instrument."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMainWindow
from pytestqt.qtbot import QtBot

from app.chart_presenter import ChartPresenter
from core.data.importer import import_files
from core.storage import MarketStore
from widgets.chart_panel import ChartPanel


@pytest.fixture(scope="module")
def store_path(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("wizard") / "market.sqlite"
    store = MarketStore.open(path)
    try:
        files = [cn_data / "daily" / f"{s}.csv" for s in ("000001.SZ", "600000.SH", "600519.SH")]
        for _ in import_files(store, files, freq="1d"):
            pass
    finally:
        store.close()
    yield path


@pytest.fixture()
def window(qtbot: QtBot, store_path: Path) -> tuple[QMainWindow, ChartPanel, ChartPresenter, QLineEdit]:
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = ChartPanel()
    window.setCentralWidget(panel)
    window.resize(900, 600)
    presenter = ChartPresenter(panel, store_path, names={"600519.SH": "贵州茅台", "000001.SZ": "平安银行"})
    window.show()
    qtbot.waitExposed(window)
    panel.graphics.setFocus()
    return window, panel, presenter, panel.toolbar.symbol_edit


def test_typing_pinyin_initials_on_the_chart_opens_the_wizard_and_enter_charts_it(
    qtbot: QtBot, window: tuple[QMainWindow, ChartPanel, ChartPresenter, QLineEdit]
) -> None:
    _, panel, presenter, _ = window
    popup = presenter.keyboard_wizard.popup
    qtbot.keyClicks(panel.graphics, "g")
    assert popup.isVisible() and popup.edit.text() == "g"
    qtbot.keyClicks(popup.edit, "zmt")
    assert popup.current_symbol() == "600519.SH" and "贵州茅台" in popup.results.item(0).text()
    qtbot.keyClick(popup.edit, Qt.Key.Key_Return)
    assert not popup.isVisible()
    qtbot.waitUntil(lambda: panel.data is not None and panel.data.symbol == "600519.SH", timeout=20_000)


def test_codes_and_arrow_keys_pick_among_several_hits(
    qtbot: QtBot, window: tuple[QMainWindow, ChartPanel, ChartPresenter, QLineEdit]
) -> None:
    _, panel, presenter, _ = window
    popup = presenter.keyboard_wizard.popup
    qtbot.keyClicks(panel.graphics, "6")
    assert [popup.results.item(i).data(Qt.ItemDataRole.UserRole) for i in range(popup.results.count())] == [
        "600000.SH",
        "600519.SH",
    ]
    qtbot.keyClick(popup.edit, Qt.Key.Key_Down)
    assert popup.current_symbol() == "600519.SH"
    qtbot.keyClick(popup.edit, Qt.Key.Key_Escape)
    assert not popup.isVisible()


def test_typing_into_a_text_field_is_left_alone(
    qtbot: QtBot, window: tuple[QMainWindow, ChartPanel, ChartPresenter, QLineEdit]
) -> None:
    _, _, presenter, symbol_edit = window
    symbol_edit.setFocus()
    qtbot.keyClicks(symbol_edit, "600")
    assert not presenter.keyboard_wizard.popup.isVisible() and symbol_edit.text().endswith("600")
