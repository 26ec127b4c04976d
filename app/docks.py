"""The dock table: which panels the main window has, where each starts, and what each is for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QSizePolicy, QWidget

from widgets.main_window import MainWindow
from widgets.tr import QT_TRANSLATE_NOOP

_LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
_RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
_BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


@dataclass(frozen=True, slots=True)
class DockSpec:
    """One dock: stable key, untranslated title and description, starting area or tab partner."""

    key: str
    title: str
    description: str
    area: Qt.DockWidgetArea
    tab_with: str | None = None
    right_of: str | None = None


# Order matters: a dock that others tab onto comes first, and the first of each tab group stays in front.
DOCKS: tuple[DockSpec, ...] = (
    DockSpec(
        "quote_board",
        QT_TRANSLATE_NOOP("Docks", "Quote board"),
        QT_TRANSLATE_NOOP("Docks", "Live quotes for the watch list: last price, change and volume."),
        _LEFT,
    ),
    DockSpec(
        "data_manager",
        QT_TRANSLATE_NOOP("Docks", "Data manager"),
        QT_TRANSLATE_NOOP("Docks", "Import, inspect and export the local market store."),
        _LEFT,
        tab_with="quote_board",
    ),
    DockSpec(
        "chart",
        QT_TRANSLATE_NOOP("Docks", "Chart"),
        QT_TRANSLATE_NOOP("Docks", "Candlesticks, volume and indicators for the selected symbol."),
        _RIGHT,
    ),
    # Beside the chart, as terminals place 五档 and 明细: the book of the charted symbol, one click from a ticket.
    DockSpec(
        "order_book",
        QT_TRANSLATE_NOOP("Docks", "Order book"),
        QT_TRANSLATE_NOOP(
            "Docks", "Five bid and ask levels and the trades of the charted symbol; click a price for a ticket at it."
        ),
        _RIGHT,
        right_of="chart",
    ),
    # The orders dock heads the bottom tabs: it is what a trader looks at during the session.
    DockSpec(
        "orders",
        QT_TRANSLATE_NOOP("Docks", "Orders"),
        QT_TRANSLATE_NOOP("Docks", "Orders, fills and positions of the paper or live account."),
        _BOTTOM,
    ),
    DockSpec(
        "signals",
        QT_TRANSLATE_NOOP("Docks", "Signals"),
        QT_TRANSLATE_NOOP("Docks", "Model predictions and the trade signals drawn from them."),
        _BOTTOM,
        tab_with="orders",
    ),
    DockSpec(
        "training",
        QT_TRANSLATE_NOOP("Docks", "Training"),
        QT_TRANSLATE_NOOP("Docks", "Train models on Qlib datasets and follow their progress."),
        _BOTTOM,
        tab_with="orders",
    ),
    DockSpec(
        "research",
        QT_TRANSLATE_NOOP("Docks", "Research"),
        QT_TRANSLATE_NOOP("Docks", "Hyper-parameter studies: live trials, best so far, importances."),
        _BOTTOM,
        tab_with="orders",
    ),
    DockSpec(
        "backtest",
        QT_TRANSLATE_NOOP("Docks", "Backtest"),
        QT_TRANSLATE_NOOP("Docks", "Run strategies over history under A-share trading rules."),
        _BOTTOM,
        tab_with="orders",
    ),
    DockSpec(
        "monitor",
        QT_TRANSLATE_NOOP("Docks", "Monitor"),
        QT_TRANSLATE_NOOP("Docks", "Health of the bridge, the data feeds and running jobs."),
        _BOTTOM,
        tab_with="orders",
    ),
)

# Starting sizes for the default 1280x800 window: a quote column just wide enough for code, name, last,
# change and change %, an order book column just wide enough for price and lots, and a bottom strip just tall
# enough for the order ticket's Send button and the Train button, leave the chart the rest. Qt shares other
# window sizes out in the same proportions.
_DEFAULT_WIDTHS = {"quote_board": 370, "chart": 720, "order_book": 190}
_DEFAULT_HEIGHTS = {"chart": 480, "orders": 250}


def add_docks(window: MainWindow, panels: Mapping[str, QWidget]) -> None:
    """Add every dock of DOCKS with its panel from `panels`; the View menu entry says what the dock is for."""
    missing = [spec.key for spec in DOCKS if spec.key not in panels]
    if missing:
        raise ValueError(f"no panel for the dock(s): {', '.join(missing)}")
    for spec in DOCKS:
        title = QCoreApplication.translate("Docks", spec.title)
        dock = window.add_dock(
            spec.key, title, panels[spec.key], spec.area, tab_with=spec.tab_with, right_of=spec.right_of
        )
        description = QCoreApplication.translate("Docks", spec.description)
        dock.toggleViewAction().setStatusTip(description)
        dock.toggleViewAction().setToolTip(description)
    for spec in DOCKS:
        if spec.tab_with is None:
            window.dock(spec.key).raise_()
        # Only the chart grows with the window: the quote column and the bottom tabs keep their size.
        grows = QSizePolicy.Policy.Expanding if spec.key == "chart" else QSizePolicy.Policy.Preferred
        window.dock(spec.key).widget().setSizePolicy(grows, grows)
    window.set_growing_dock("chart")
    apply_default_sizes(window)


def apply_default_sizes(window: MainWindow) -> None:
    """Give the docks their starting proportions."""
    # Each call names both neighbours in real pixels: before the window is first shown, resizing one
    # dock alone is silently lost, and small weights are clamped to minimum sizes first.
    for weights, orientation in (
        (_DEFAULT_WIDTHS, Qt.Orientation.Horizontal),
        (_DEFAULT_HEIGHTS, Qt.Orientation.Vertical),
    ):
        window.resizeDocks([window.dock(key) for key in weights], list(weights.values()), orientation)
