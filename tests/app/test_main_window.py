"""Main window: its docks, the View menu, layout reset and persistence, Chinese titles, the desktop entry."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from app.desktop import SCREENSHOT_SIZE, SETTINGS_FILE, run_desktop
from app.docks import DOCKS, add_docks
from app.i18n import installed_language, lookup
from app.layout_store import LayoutStore
from app.main_window_presenter import MainWindowPresenter, create_main_window
from tests.app.desktop_driver import run_desktop_driven
from tests.app.stand_in_panels import stand_in_panels
from widgets.main_window import MainWindow

ENGLISH_TITLES = {
    "quote_board": "Quote board",
    "chart": "Chart",
    "data_manager": "Data manager",
    "training": "Training",
    "research": "Research",
    "backtest": "Backtest",
    "signals": "Signals",
    "orders": "Orders",
    "monitor": "Monitor",
    "order_book": "Order book",
}


def _open_window(qtbot: QtBot, data_dir: Path, store: LayoutStore | None = None) -> MainWindow:
    window = create_main_window(data_dir=data_dir, demo=True, layout_store=store, panels=stand_in_panels()).window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _action(window: MainWindow, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def _label_text(window: MainWindow, name: str) -> str:
    label = window.findChild(QLabel, name)
    assert label is not None, name
    return label.text()


def test_window_has_every_dock_each_saying_what_it_is_for(qtbot: QtBot, tmp_path: Path) -> None:
    window = _open_window(qtbot, tmp_path)

    assert {key: window.dock(key).windowTitle() for key in window.dock_keys()} == ENGLISH_TITLES
    for key in window.dock_keys():
        dock = window.dock(key)
        assert dock.objectName() == f"{key}_dock"
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetMovable
        panel = window.panel(key)
        assert panel.objectName() == f"{key}_stand_in"
        assert dock.isAncestorOf(panel)
        description = dock.toggleViewAction().statusTip()
        assert description and description != ENGLISH_TITLES[key]
        assert dock.toggleViewAction().toolTip() == description
    assert not window.windowIcon().isNull()


def test_a_panel_with_a_large_minimum_scrolls_instead_of_squeezing_the_chart(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QWidget

    tall = QWidget()
    tall.setMinimumSize(500, 700)  # taller than the whole bottom strip of the default layout
    window = create_main_window(
        data_dir=tmp_path, demo=True, layout_store=None, panels={**stand_in_panels(), "training": tall}
    ).window
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    assert window.dock("chart").height() > 400
    assert window.dock("training").height() < 700 and tall.height() >= 700


def test_view_menu_has_a_toggle_per_dock_that_hides_and_shows_it(qtbot: QtBot, tmp_path: Path) -> None:
    window = _open_window(qtbot, tmp_path)
    view_menu = window.findChild(QMenu, "view_menu")
    assert view_menu is not None
    view_texts = [action.text() for action in view_menu.actions()]
    assert set(ENGLISH_TITLES.values()) <= set(view_texts)
    assert view_texts[-1] == "&Reset layout"

    toggle = _action(window, "chart_toggle_action")
    toggle.trigger()
    assert window.dock("chart").isHidden()
    toggle.trigger()
    assert window.dock("chart").isVisible()


def test_reset_layout_brings_back_the_default_arrangement(qtbot: QtBot, tmp_path: Path) -> None:
    window = _open_window(qtbot, tmp_path)
    window.dock("chart").close()
    window.dock("quote_board").setFloating(True)
    window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, window.dock("signals"))

    _action(window, "reset_layout_action").trigger()

    qtbot.waitUntil(lambda: window.dock("chart").isVisible())
    assert not window.dock("quote_board").isFloating()
    assert window.dockWidgetArea(window.dock("signals")) == Qt.DockWidgetArea.BottomDockWidgetArea
    # The default gives the chart most of the width.
    assert window.dock("chart").width() > window.dock("quote_board").width()


def test_named_workspaces_are_saved_loaded_listed_and_deleted(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / SETTINGS_FILE
    window = _open_window(qtbot, tmp_path, LayoutStore(settings))
    window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, window.dock("signals"))
    window.dock("orders").close()
    monkeypatch.setattr(window, "ask_workspace_name", lambda: "  研究 ")
    _action(window, "save_workspace_action").trigger()
    assert window.statusBar().currentMessage() == "Workspace saved: 研究"

    _action(window, "reset_layout_action").trigger()
    qtbot.waitUntil(lambda: window.dock("orders").isVisible())
    menu = window.findChild(QMenu, "workspace_menu")
    assert menu is not None
    load = next(a for a in menu.actions() if a.text() == "研究")
    load.trigger()
    qtbot.waitUntil(lambda: window.dock("orders").isHidden())
    assert window.dockWidgetArea(window.dock("signals")) == Qt.DockWidgetArea.TopDockWidgetArea

    # A bad name is refused in the status bar and nothing is stored; the list survives a new window.
    monkeypatch.setattr(window, "ask_workspace_name", lambda: "a/b")
    _action(window, "save_workspace_action").trigger()
    assert "cannot contain" in window.statusBar().currentMessage()
    assert LayoutStore(settings).workspaces() == ["研究"]
    second = _open_window(qtbot, tmp_path, LayoutStore(settings))
    delete_menu = second.findChild(QMenu, "delete_workspace_menu")
    assert delete_menu is not None and delete_menu.isEnabled()
    next(a for a in delete_menu.actions() if a.text() == "研究").trigger()
    assert LayoutStore(settings).workspaces() == [] and not delete_menu.isEnabled()


def test_layout_saved_on_close_is_restored_by_a_fresh_window(qtbot: QtBot, tmp_path: Path) -> None:
    settings = tmp_path / SETTINGS_FILE
    first = _open_window(qtbot, tmp_path, LayoutStore(settings))
    first.dock("orders").close()
    first.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, first.dock("chart"))
    _action(first, "quit_action").trigger()  # quit closes the window, which saves the layout
    assert not first.isVisible()
    assert settings.stat().st_size > 0

    second = _open_window(qtbot, tmp_path, LayoutStore(settings))
    assert second.dock("orders").isHidden()
    assert second.dockWidgetArea(second.dock("chart")) == Qt.DockWidgetArea.TopDockWidgetArea
    assert not second.dock("monitor").isHidden()


def test_status_bar_shows_data_folder_mode_and_beijing_time(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    add_docks(window, stand_in_panels())
    utc_moment = dt.datetime(2024, 1, 2, 1, 30, tzinfo=dt.timezone.utc)
    MainWindowPresenter(window, data_dir=tmp_path, demo=False, layout_store=None, clock=lambda: utc_moment)

    assert _label_text(window, "data_label") == f"Data: {tmp_path}"
    assert _label_text(window, "mode_label") == "no bridge configured"
    assert _label_text(window, "clock_label") == "Beijing 2024-01-02 09:30:00"
    assert _label_text(_open_window(qtbot, tmp_path), "mode_label") == "demo replay"


def test_about_box_credits_the_demo_data(qtbot: QtBot, tmp_path: Path) -> None:
    window = _open_window(qtbot, tmp_path)
    _action(window, "about_action").trigger()
    box = window.findChild(QMessageBox)
    assert box is not None and box.isVisible()
    assert "hikyuu" in box.text() and "Apache License 2.0" in box.text()
    box.close()


def test_zh_cn_gives_chinese_titles_and_leaves_no_translator_behind(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    with installed_language(qapp, "zh_CN"):
        window = _open_window(qtbot, tmp_path)
        assert window.dock("quote_board").windowTitle() == "行情看板"
        for spec in DOCKS:
            chinese = lookup("zh_CN", "Docks", spec.title)
            assert chinese is not None and window.dock(spec.key).windowTitle() == chinese
            assert lookup("zh_CN", "Docks", spec.description) is not None
        assert window.menuBar().actions()[0].text() == "文件(&F)"
        assert "量化" in window.windowTitle()

    assert _open_window(qtbot, tmp_path).dock("quote_board").windowTitle() == "Quote board"


def test_run_desktop_screenshot_writes_a_1280x800_png(
    qapp: QApplication, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    shot = tmp_path / "shots" / "main.png"

    assert run_desktop(data_dir, True, "en", shot) == 0

    image = QImage(str(shot))
    assert not image.isNull()
    assert image.size() == QSize(*SCREENSHOT_SIZE) == QSize(1280, 800)
    assert str(shot) in capsys.readouterr().out
    assert not data_dir.exists()  # a screenshot run writes nothing but the PNG


def test_run_desktop_runs_until_the_window_closes_and_saves_the_layout(qapp: QApplication, tmp_path: Path) -> None:
    def close(window: MainWindow) -> None:
        window.close()

    assert run_desktop_driven(close, tmp_path, False) == 0
    assert (tmp_path / SETTINGS_FILE).stat().st_size > 0


def test_run_desktop_without_a_display_explains_and_exits_2(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)

    assert run_desktop(tmp_path, True, "en", None) == 2
    message = capsys.readouterr().err
    assert "no display found" in message and "--screenshot" in message
    assert message.count("\n") == 1

    # A screenshot needs no display: Qt is pointed at its offscreen platform instead.
    assert run_desktop(tmp_path, True, "en", tmp_path / "shot.png") == 0
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_run_desktop_rejects_an_unknown_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_desktop(tmp_path, True, "fr", None) == 2
    assert "unknown language" in capsys.readouterr().err


BEIJING = dt.timezone(dt.timedelta(hours=8))


def test_status_bar_follows_a_real_bridge_and_the_session(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, cn_data: Path
) -> None:
    import asyncio

    import qasync

    from app.services import open_services
    from app.status_presenter import StatusPresenter
    from core.data.importer import import_files
    from core.paths import store_path
    from core.storage import MarketStore
    from tests.core.data.test_bridge_update import store_bridge

    store = MarketStore.open(store_path(tmp_path))
    for _ in import_files(store, [cn_data / "daily" / "600000.SH.csv"], freq="1d", workers=1):
        pass
    store.close()
    with store_bridge(store_path(tmp_path), tmp_path / "bridge") as (url, token):
        services = open_services(tmp_path, demo=False, bridge_url=url, bridge_token=token)
        window = MainWindow()
        qtbot.addWidget(window)
        moment = dt.datetime(2023, 1, 4, 10, 15, tzinfo=BEIJING)  # a Wednesday, morning session
        status = StatusPresenter(window, services, clock=lambda: moment)
        assert _label_text(window, "mode_label") == "bridge not started"
        assert _label_text(window, "session_label") == "continuous trading"
        assert _label_text(window, "freshness_label") == "data to 2022-12-30"
        stored_day = dt.date(2022, 12, 30)
        assert services.hub.latest("600000.SH").time.date() == stored_day  # the last stored close, until live

        async def scenario() -> None:
            services.start()
            for _ in range(500):  # the watchlist's symbol streams from the bridge into the hub
                tick = services.hub.latest("600000.SH")
                if tick is not None and tick.time.date() != stored_day:
                    break
                await asyncio.sleep(0.02)
            status._on_timer_timeout()
            await services.stop()

        loop = qasync.QEventLoop(qapp)
        try:
            loop.run_until_complete(asyncio.wait_for(scenario(), 20))
        finally:
            loop.close()
            asyncio.set_event_loop(None)
            services.close()
    tick = services.hub.latest("600000.SH")
    assert tick is not None and tick.time.date() != stored_day and tick.last > 0  # a live tick from the bridge
    assert _label_text(window, "mode_label").startswith("bridge connected · ")
    assert services.bridge is not None and services.bridge.state.value == "closed"


def test_status_bar_speaks_chinese_in_demo_mode(qapp: QApplication, qtbot: QtBot, tmp_path: Path) -> None:
    from app.services import open_services
    from app.status_presenter import StatusPresenter

    services = open_services(tmp_path, demo=True, scratch=True)
    try:
        with installed_language(qapp, "zh_CN"):
            window = MainWindow()
            qtbot.addWidget(window)
            lunch = dt.datetime(2023, 1, 4, 12, 0, tzinfo=BEIJING)
            MainWindowPresenter(window, data_dir=tmp_path, demo=True, layout_store=None, clock=lambda: lunch)
            StatusPresenter(window, services, clock=lambda: lunch)
            assert _label_text(window, "session_label") == "午间休市"
            assert _label_text(window, "freshness_label") == "数据截至 2011-12-06"
            assert _label_text(window, "mode_label").startswith("演示回放 ")
            assert _label_text(window, "clock_label") == "北京时间 2023-01-04 12:00:00"
    finally:
        services.close()


def test_hotkeys_switch_the_chart_period_step_through_the_list_and_are_listed(qtbot: QtBot, tmp_path: Path) -> None:
    import numpy as np

    from core.domain.ticks import Tick
    from widgets.chart.timeshare_view import TimeShareData
    from widgets.chart.view_state import ChartData
    from widgets.chart_panel import ChartPanel
    from widgets.quote_board_panel import QuoteBoardPanel

    chart, board = ChartPanel(), QuoteBoardPanel()
    window = create_main_window(
        data_dir=tmp_path,
        demo=True,
        layout_store=None,
        panels={**stand_in_panels(), "chart": chart, "quote_board": board},
    ).window
    qtbot.addWidget(window)
    symbols = ["600000.SH", "600004.SH", "600005.SH"]
    board.model.set_symbols(symbols)
    board.model.apply_ticks([Tick(s, dt.datetime(2023, 1, 3, 10), 10, 10, 10, 10, 10, 1, 1) for s in symbols])
    one = np.ones(1)
    chart.set_data(ChartData("600004.SH", "1d", "none", np.array(["2023-01-03"], "datetime64[s]"), *[one] * 6))
    periods: list[str] = []
    opened: list[str] = []
    chart.sig_period_requested.connect(periods.append)
    board.sig_open_chart_requested.connect(opened.append)

    _action(window, "toggle_intraday_action").trigger()  # K-line → 分时
    chart.show_timeshare(TimeShareData("600004.SH", "2023-01-03", 10.0, *[np.full(240, np.nan)] * 2, np.zeros(240)))
    _action(window, "toggle_intraday_action").trigger()  # 分时 → the K-line period shown before
    _action(window, "next_symbol_action").trigger()
    _action(window, "previous_symbol_action").trigger()
    assert periods == ["ts", "1d"] and opened == ["600005.SH", "600000.SH"]
    assert _action(window, "toggle_intraday_action").shortcut().toString() == "F5"
    assert _action(window, "next_symbol_action").shortcut().toString() == "PgDown"
    listed = dict(window.hotkeys())
    assert {"F5", "F6", "PgUp", "PgDown", "21 / 23", "Del / right-click", "Esc"} <= set(listed)
    assert "intraday" in listed["F5"]
    _action(window, "shortcuts_action").trigger()
    box = window.findChild(QMessageBox, "shortcuts_box")
    assert box is not None and "F6" in box.text()


def test_a_larger_window_gives_the_extra_room_to_the_chart(qtbot: QtBot, tmp_path: Path) -> None:
    window = _open_window(qtbot, tmp_path)
    assert (window.width(), window.height()) == (1280, 800)
    board, chart, orders = window.dock("quote_board"), window.dock("chart"), window.dock("orders")
    before = (board.width(), orders.height(), chart.width(), chart.height())
    window.resize(1440, 900)
    qtbot.waitUntil(lambda: chart.width() >= before[2] + 150, timeout=2000)
    assert (board.width(), orders.height()) == before[:2]  # quote column and bottom tabs as they were
    assert chart.height() >= before[3] + 90
    # A width the user dragged to is the one kept through the next resize.
    window.resizeDocks([board, chart], [300, board.width() + chart.width() - 300], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: board.width() == 300, timeout=2000)
    window.resize(1360, 860)
    qtbot.waitUntil(lambda: window.width() == 1360, timeout=2000)
    QApplication.processEvents()
    assert board.width() == 300
