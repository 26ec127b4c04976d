"""Builds the real panels and their presenters from the session's services (one presenter per dock)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.data_manager_presenter import DataManagerPresenter
from app.quote_board_presenter import QuoteBoardPresenter
from app.services import Services
from widgets.data_manager_panel import DataManagerPanel
from widgets.quote_board_panel import QuoteBoardPanel


@dataclass
class Panels:
    """Dock key -> widget for the main window, plus the presenters that keep them alive and wired."""

    widgets: dict[str, QWidget] = field(default_factory=dict)
    presenters: dict[str, QObject] = field(default_factory=dict)


def build_panels(services: Services, lang: str) -> Panels:
    panels = Panels()
    board = QuoteBoardPanel()
    board.model.chinese_units = lang == "zh_CN"
    panels.widgets["quote_board"] = board
    panels.presenters["quote_board"] = QuoteBoardPresenter(board, services.hub, services.watchlists,
                                                           services.names)
    data = DataManagerPanel()
    panels.widgets["data_manager"] = data
    panels.presenters["data_manager"] = DataManagerPresenter(data, services.store)
    return panels
