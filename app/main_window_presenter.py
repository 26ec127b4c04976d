"""MainWindowPresenter: wires the main window to layout persistence, the status bar and the Beijing clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QWidget

from app.about_presenter import attach_about
from app.clock import beijing_now, format_clock
from app.docks import add_docks
from app.layout_store import LAYOUT_VERSION, LayoutStore, WorkspaceNameError
from app.resources import icon_path
from core.paths import display_path
from widgets.chart.toolbar import TIMESHARE
from widgets.chart_panel import ChartPanel
from widgets.main_window import MainWindow
from widgets.quote_board_panel import QuoteBoardPanel

_CLOCK_INTERVAL_MS = 1000
_MESSAGE_MS = 5000
# User-visible strings sit in literal QCoreApplication.translate() calls so pyside6-lupdate can extract them.


class MainWindowPresenter(QObject):
    """Owns the window-level behaviour: default/saved layout, quit, status texts and the clock."""

    def __init__(
        self,
        window: MainWindow,
        *,
        data_dir: Path,
        demo: bool,
        layout_store: LayoutStore | None,
        clock: Callable[[], dt.datetime] = beijing_now,
    ) -> None:
        # Parented to the window so it lives exactly as long as the window it serves.
        super().__init__(window)
        self._window = window
        self._layout_store = layout_store
        self._clock = clock
        # Captured before any saved layout is applied: this is what "Reset layout" returns to.
        self._default_state: QByteArray = window.saveState(LAYOUT_VERSION)
        if layout_store is not None:
            layout_store.restore(window)

        window.show_data_dir(display_path(data_dir))
        window.show_mode(_mode_text(demo))
        window.set_demo_mode(demo)
        window.set_about_text(_about_text())
        self.about = attach_about(window)  # Help → About opens the full dialog (licences, NOTICE, build)
        window.sig_quit_requested.connect(self._on_window_sig_quit_requested)
        window.sig_reset_layout_requested.connect(self._on_window_sig_reset_layout_requested)
        window.sig_closed.connect(self._on_window_sig_closed)
        window.sig_save_workspace_requested.connect(self._on_window_sig_save_workspace_requested)
        window.sig_load_workspace_requested.connect(self._on_window_sig_load_workspace_requested)
        window.sig_delete_workspace_requested.connect(self._on_window_sig_delete_workspace_requested)
        self._show_workspaces()

        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(_CLOCK_INTERVAL_MS)
        self._clock_timer.timeout.connect(self._on_clock_timer_timeout)
        self._on_clock_timer_timeout()
        self._clock_timer.start()

    @property
    def window(self) -> MainWindow:
        """The window this presenter drives."""
        return self._window

    def _on_window_sig_quit_requested(self) -> None:
        # Closing (rather than quitting Qt) runs the same save-and-stop path as the title bar's close button.
        self._window.close()

    def _on_window_sig_reset_layout_requested(self) -> None:
        self._window.restoreState(self._default_state, LAYOUT_VERSION)

    # -- named workspaces ----------------------------------------------------------------------
    def _show_workspaces(self) -> None:
        store = self._layout_store
        # Without a layout file (a screenshot, a scratch session) there is nowhere to keep a workspace.
        self._window.show_workspaces(store.workspaces() if store is not None else [], enabled=store is not None)

    def _on_window_sig_save_workspace_requested(self, name: str) -> None:
        if self._layout_store is None:
            return
        try:
            self._layout_store.save_workspace(name, self._window)
        except WorkspaceNameError as exc:
            self._window.statusBar().showMessage(str(exc), _MESSAGE_MS)
            return
        self._show_workspaces()
        self._window.statusBar().showMessage(
            QCoreApplication.translate("Status", "Workspace saved: {name}").format(name=name.strip()), _MESSAGE_MS
        )

    def _on_window_sig_load_workspace_requested(self, name: str) -> None:
        if self._layout_store is not None and not self._layout_store.load_workspace(name, self._window):
            self._window.statusBar().showMessage(
                QCoreApplication.translate("Status", "Workspace {name} no longer fits this version's docks").format(
                    name=name
                ),
                _MESSAGE_MS,
            )

    def _on_window_sig_delete_workspace_requested(self, name: str) -> None:
        if self._layout_store is not None:
            self._layout_store.delete_workspace(name)
            self._show_workspaces()

    def _on_window_sig_closed(self) -> None:
        self._clock_timer.stop()
        if self._layout_store is not None:
            self._layout_store.save(self._window)

    def _on_clock_timer_timeout(self) -> None:
        text = QCoreApplication.translate("Status", "Beijing {time}")
        self._window.show_clock(text.format(time=format_clock(self._clock())))


def _mode_text(demo: bool) -> str:
    if demo:
        return QCoreApplication.translate("Status", "demo replay")
    return QCoreApplication.translate("Status", "no bridge configured")


def _about_text() -> str:
    summary = QCoreApplication.translate("About", "QDesk — a desktop workstation for China A-share quant research.")
    data = QCoreApplication.translate(
        "About",
        "Demo data: real daily bars from the hikyuu project (fasiondog/hikyuu), Apache License 2.0; "
        "see resources/demo/NOTICE.",
    )
    return f"{summary}\n\n{data}"


def create_main_window(
    *,
    data_dir: Path,
    demo: bool,
    layout_store: LayoutStore | None,
    panels: Mapping[str, QWidget],
) -> MainWindowPresenter:
    """Build the main window with all its docks and wire it; translators must already be installed."""
    window = MainWindow()
    window.setWindowIcon(QIcon(str(icon_path())))
    add_docks(window, panels)
    presenter = MainWindowPresenter(window, data_dir=data_dir, demo=demo, layout_store=layout_store)
    connect_hotkeys(window, panels)
    return presenter


def connect_hotkeys(window: MainWindow, panels: Mapping[str, QWidget]) -> None:
    """F5 (K-line / 分时), F6 and Page Up/Down act on the chart and the quote board through their own intents."""
    chart, board = panels.get("chart"), panels.get("quote_board")
    if isinstance(chart, ChartPanel):

        def toggle_intraday() -> None:
            # Back to the K-line period last shown (daily when there was none).
            kline = chart.data.period if chart.data is not None else "1d"
            chart.sig_period_requested.emit(kline if chart.showing_timeshare else TIMESHARE)

        window.sig_toggle_intraday_requested.connect(toggle_intraday)
    if isinstance(board, QuoteBoardPanel):

        def show_watchlist() -> None:
            dock = window.dock("quote_board")
            dock.show()
            dock.raise_()
            board.table.setFocus()

        window.sig_watchlist_requested.connect(show_watchlist)
    if isinstance(chart, ChartPanel) and isinstance(board, QuoteBoardPanel):

        def step(delta: int) -> None:
            symbols = board.model.symbols()
            if not symbols:
                return
            current = chart.data.symbol if chart.data is not None else ""
            at = symbols.index(current) + delta if current in symbols else 0
            at %= len(symbols)  # wraps round, as terminals do
            board.table.selectRow(at)
            board.sig_open_chart_requested.emit(symbols[at])

        window.sig_step_symbol_requested.connect(step)
