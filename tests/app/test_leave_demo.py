"""Demo mode is a read-only sandbox: imports go to the user's own store, and leaving the demo is one click."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from app.composition import Desk, build_desk
from app.services import Services, open_services
from core.data.importer import import_files
from core.paths import store_path
from core.settings import AppSettings
from core.storage import MarketStore
from tests.app.desktop_driver import run_desktop_driven
from widgets.data_manager_panel import DataManagerPanel
from widgets.main_window import MainWindow


@pytest.fixture
def demo_desk(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[Desk, Services]]:
    services = open_services(tmp_path, demo=True)
    desk = build_desk(services, "en", AppSettings())
    for panel in desk.panels.values():
        qtbot.addWidget(panel)
    try:
        yield desk, services
    finally:
        services.close()


def test_an_import_in_demo_mode_fills_the_users_store_and_leaves_the_demo_untouched(
    qtbot: QtBot, demo_desk: tuple[Desk, Services], cn_data: Path, tmp_path: Path
) -> None:
    desk, services = demo_desk
    panel, presenter = desk.panel("data_manager"), desk.data_manager
    assert isinstance(panel, DataManagerPanel)
    demo_series = [(s.symbol, s.freq, s.rows) for s in services.store.series()]
    assert services.demo and demo_series
    assert not panel.demo_note.isHidden() and str(tmp_path) in panel.demo_note.text()
    assert not panel.leave_demo_button.isEnabled()  # nothing of the user's own to open yet
    assert panel.tree.topLevelItemCount() == 0  # the list is the user's store, not the demo's

    reports: list[str] = []
    panel.show_report = lambda title, summary, errors: reports.append(summary)  # type: ignore[method-assign]
    panel.sig_import_requested.emit([str(cn_data / "daily" / "600000.SH.csv")])
    qtbot.waitUntil(lambda: bool(reports) and not presenter.runner.busy, timeout=20_000)

    assert "1 of 1 file(s) imported" in reports[0]
    assert [(s.symbol, s.freq, s.rows) for s in services.store.series()] == demo_series
    user = MarketStore.open(store_path(tmp_path))
    try:
        assert [s.symbol for s in user.series("1d")] == ["600000.SH"]
    finally:
        user.close()
    assert panel.leave_demo_button.isEnabled()
    with qtbot.waitSignal(presenter.sig_leave_demo_requested, timeout=1000):
        panel.leave_demo_button.click()


def test_leave_demo_reopens_the_window_on_the_users_own_data(qapp: QApplication, tmp_path: Path, cn_data: Path) -> None:
    user = MarketStore.open(store_path(tmp_path))
    try:
        for _ in import_files(user, [cn_data / "daily" / "000001.SZ.csv"], freq="1d", workers=1):
            pass
    finally:
        user.close()
    seen: list[tuple[bool, str]] = []  # per window: whether it offered "leave demo", its mode text

    def act_on_the_open_window(widget: MainWindow) -> None:
        leave = widget.findChild(QAction, "leave_demo_action")
        mode = widget.findChild(QLabel, "mode_label")
        assert leave is not None and mode is not None
        seen.append((leave.isVisible(), mode.text()))
        if leave.isVisible():
            leave.trigger()  # File → Leave demo: the window closes and reopens on the user's store
        else:
            widget.close()

    assert run_desktop_driven(act_on_the_open_window, tmp_path, True) == 0
    assert [offered for offered, _ in seen] == [True, False]
    assert seen[0][1].startswith("demo replay") and "demo" not in seen[1][1]


def test_leave_demo_from_the_data_manager_built_after_launch(qapp: QApplication, tmp_path: Path, cn_data: Path) -> None:
    user = MarketStore.open(store_path(tmp_path))
    try:
        for _ in import_files(user, [cn_data / "daily" / "000001.SZ.csv"], freq="1d", workers=1):
            pass
    finally:
        user.close()
    modes: list[str] = []  # per window, its mode text

    def act_on_the_open_window(widget: MainWindow) -> None:
        mode = widget.findChild(QLabel, "mode_label")
        assert mode is not None
        if not mode.text().startswith("demo replay"):
            modes.append(mode.text())
            widget.close()
            return
        if not modes:
            modes.append(mode.text())
        panel = widget.findChild(DataManagerPanel)
        if panel is None:  # not built at launch: the tab behind the quote board builds it when raised
            widget.dock("data_manager").raise_()
        elif panel.leave_demo_button.isEnabled():
            panel.leave_demo_button.click()

    assert run_desktop_driven(act_on_the_open_window, tmp_path, True) == 0
    assert len(modes) == 2 and modes[0].startswith("demo replay") and "demo" not in modes[1]
