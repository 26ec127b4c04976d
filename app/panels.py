"""Builds the real panels and their presenters from the session's services (one presenter per dock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QWidget

from app.backtest_presenter import add_backtest_panel
from app.chart_presenter import ChartPresenter
from app.data_manager_presenter import DataManagerPresenter
from app.monitor_presenter import add_monitor_panel
from app.orders_presenter import add_orders_panel
from app.quote_board_presenter import QuoteBoardPresenter
from app.resources import theme_file
from app.services import Services
from app.settings_presenter import SettingsPresenter
from app.signals_presenter import add_signals_panel
from app.training_presenter import add_training_panel
from core.secrets import BRIDGE_TOKEN_SERVICE, SecretStore
from core.settings import AppSettings
from widgets.chart_panel import ChartPanel
from widgets.data_manager_panel import DataManagerPanel
from widgets.main_window import MainWindow
from widgets.quote_board_panel import QuoteBoardPanel


@dataclass
class Panels:
    """Dock key -> widget for the main window, plus the presenters that keep them alive and wired."""

    widgets: dict[str, QWidget] = field(default_factory=dict)
    presenters: dict[str, QObject] = field(default_factory=dict)


def build_panels(services: Services, lang: str, settings: AppSettings) -> Panels:
    panels = Panels()
    board = QuoteBoardPanel()
    board.model.chinese_units = lang == "zh_CN"
    board.model.set_red_up(settings.red_up)
    panels.widgets["quote_board"] = board
    board_presenter = QuoteBoardPresenter(
        board, services.hub, services.watchlists, services.names, subscribe=services.subscribe
    )
    panels.presenters["quote_board"] = board_presenter
    chart, chart_presenter = build_chart(services, settings)
    panels.widgets["chart"] = chart
    panels.presenters["chart"] = chart_presenter
    board_presenter.set_open_chart(lambda symbol: _open_chart(chart, chart_presenter, symbol))
    data = DataManagerPanel()
    panels.widgets["data_manager"] = data
    panels.presenters["data_manager"] = DataManagerPresenter(
        data, services.store, bridge_url=settings.bridge_url, bridge_ca_file=settings.bridge_ca_file
    )
    add_training_panel(panels, services)
    add_backtest_panel(panels, services)
    add_orders_panel(panels, services, settings)
    add_signals_panel(panels, services)  # after orders: it plans against that account
    add_monitor_panel(panels, services)  # last: it lists the other presenters' jobs
    return panels


def build_chart(services: Services, settings: AppSettings) -> tuple[ChartPanel, ChartPresenter]:
    """The chart dock, opened on the first stock of the current watchlist so it never starts blank."""
    chart = ChartPanel(theme="light" if settings.theme == "light" else "dark")
    chart.set_red_up(settings.red_up)
    presenter = ChartPresenter(
        chart, services.store.path, services.hub, services.names, replay=services.demo, subscribe=services.subscribe
    )
    indices = services.store.index_symbols()
    first = next((s for s in services.watchlists.symbols() if s not in indices), None)
    if first is not None:
        presenter.open_symbol(first)
    return chart, presenter


def _open_chart(chart: ChartPanel, presenter: ChartPresenter, symbol: str) -> None:
    if presenter.open_symbol(symbol):
        chart.reveal()


def apply_theme(app: QApplication, theme: str) -> None:
    path = theme_file(theme)
    app.setStyleSheet(path.read_text(encoding="utf-8") if path.exists() else "")


def connect_settings(window: MainWindow, panels: Panels, settings: AppSettings, settings_path: Path) -> None:
    """File → Settings: edits saved to `settings_path`; colours and theme apply at once."""

    def applied(new: AppSettings) -> None:
        board = panels.widgets.get("quote_board")
        if isinstance(board, QuoteBoardPanel):
            board.model.set_red_up(new.red_up)
        chart = panels.widgets.get("chart")
        if isinstance(chart, ChartPanel):
            chart.set_red_up(new.red_up)
            chart.set_theme("light" if new.theme == "light" else "dark")
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, new.theme)

    presenter = SettingsPresenter(window, settings, settings_path, SecretStore(BRIDGE_TOKEN_SERVICE), applied)
    panels.presenters["settings"] = presenter
    window.sig_settings_requested.connect(lambda: presenter.open(window))
